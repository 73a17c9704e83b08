/* SPDX-License-Identifier: Apache-2.0 */
/* main - the eastwatch command: replay, run, check, explain (SPEC §2).
 *
 * The only file that exits. It parses flags, loads configuration and policy, builds the
 * context (classifier, policy, sinks, pipeline) and drives sources: capture files to
 * their end for replay, the libevent loop for run. Exit codes: 0 success, 1 invalid
 * input, 2 usage, 3 runtime failure. */
#include "alerting/alert_parse.h"
#include "alerting/sink.h"
#include "core/ew_owner.h"
#include "analyzer/classify.h"
#include "analyzer/policy.h"
#include "collector/source.h"
#include "core/ew_log.h"
#include "core/ew_time.h"
#include "daemon/central.h"
#include "daemon/config.h"
#include "daemon/learn.h"
#include "daemon/metrics.h"
#include "daemon/pipeline.h"

#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <dirent.h>
#include <grp.h>
#include <librdkafka/rdkafka.h>
#include <openssl/evp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

enum { EXIT_INPUT = 1, EXIT_USAGE = 2, EXIT_RUNTIME = 3 };

#define DEFAULT_RULES "/etc/eastwatch/rules.d"

static const char usage_top[] =
	"usage: eastwatch COMMAND [OPTIONS]\n"
	"\n"
	"Watch east-west traffic and report every flow the allowed-flow map does not permit.\n"
	"\n"
	"commands:\n"
	"  replay   analyse capture files offline; alerts as JSON lines on stdout\n"
	"  run      the sensor daemon: live interfaces, until SIGTERM/SIGINT\n"
	"  check    validate the policy (rules.d) and the configuration\n"
	"  explain  say which rule decides a flow, and why\n"
	"  alerter  deliver alerts from Kafka to syslog, e-mail and webhook sinks\n"
	"  learn    observe traffic and propose the allowed-flow map (rules.d YAML)\n"
	"  policy   policy push DIR --redis ADDR: validate and publish a central policy\n"
	"\n"
	"'eastwatch COMMAND --help' describes each command's options.\n";

static const char usage_replay[] =
	"usage: eastwatch replay [--config FILE] [--rules DIR] [--output FILE] [--kafka BROKERS]\n"
	"                        [--flows FILE] [--sensor NAME] [--filter BPF] PCAP...\n"
	"\n"
	"Analyse capture files (pcap or pcapng) in the order given, as if seen live.\n"
	"Alerts go to stdout as JSON lines (or to --output FILE) and to every sink of the\n"
	"configuration; a summary goes to stderr. Exits once every sink has delivered or\n"
	"spooled its alerts.\n"
	"\n"
	"  -c, --config FILE   eastwatch.yaml (sinks, limits, sensor name)\n"
	"  -r, --rules DIR     policy directory (default: config's rules, else " DEFAULT_RULES ")\n"
	"  -o, --output FILE   write alerts to FILE instead of stdout\n"
	"      --kafka BROKERS also send alerts to Kafka (host:port,...; topic eastwatch.alerts)\n"
	"      --flows FILE    also write every flow record with its verdict as JSON lines\n"
	"      --sensor NAME   observer.name in alerts (default: config, else host name)\n"
	"  -f, --filter BPF    only packets matching this libpcap filter\n"
	"  -q, --quiet         no summary on stderr\n"
	"  -h, --help          this text\n";

static const char usage_run[] =
	"usage: eastwatch run [--config FILE] [--rules DIR] [--iface IF]... [--filter BPF]\n"
	"                     [--ipfix ADDR:PORT] [--netflow ADDR:PORT] [--sflow ADDR:PORT]\n"
	"                     [--output FILE] [--kafka BROKERS] [--metrics ADDR:PORT]\n"
	"                     [--flows FILE] [--sensor NAME] [--user USER]\n"
	"\n"
	"The sensor daemon. Captures on every --iface, collects flow telemetry on every\n"
	"listener (and the config's sources), judges every flow and sends alerts to the sinks\n"
	"(stdout when none is configured). Runs until\n"
	"SIGTERM or SIGINT, then ends open flows, delivers every alert and exits 0. SIGHUP\n"
	"reloads the policy; a bad new policy is reported and the old one stays in force.\n"
	"\n"
	"  -c, --config FILE   eastwatch.yaml\n"
	"  -r, --rules DIR     policy directory\n"
	"  -i, --iface IF      capture on interface IF (repeatable)\n"
	"  -f, --filter BPF    libpcap filter for the --iface interfaces\n"
	"      --ipfix ADDR:PORT    receive IPFIX, NetFlow v9 and v5 (one port takes all three)\n"
	"      --netflow ADDR:PORT  the same (a second port, for exporters set up that way)\n"
	"      --sflow ADDR:PORT    receive sFlow v5 ([::]:6343 takes IPv4 and IPv6)\n"
	"  -o, --output FILE   write alerts as JSON lines to FILE\n"
	"      --kafka BROKERS send alerts to Kafka (host:port,...; topic eastwatch.alerts)\n"
	"      --metrics ADDR:PORT  serve Prometheus /metrics and /healthz there\n"
	"      --flows FILE    write every flow record with its verdict as JSON lines\n"
	"      --sensor NAME   observer.name in alerts\n"
	"  -u, --user USER     drop root to USER after opening captures (default: nobody when\n"
	"                      started as root; 'root' keeps root)\n"
	"      --log-format F  text (default) or json\n"
	"  -h, --help          this text\n";

static const char usage_alerter[] =
	"usage: eastwatch alerter [--config FILE] [--kafka BROKERS] [--output FILE]\n"
	"\n"
	"Consume the alerts sensors put on Kafka (a consumer group: run several alerters to\n"
	"share the topic's partitions) and deliver them to the configuration's sinks (syslog,\n"
	"e-mail, webhook, file). Offsets are committed only once every sink has delivered or\n"
	"spooled the alerts read, so an alerter that dies loses nothing. Configuration:\n"
	"  alerter: { brokers: \"k1:9092\", topic: eastwatch.alerts, group: eastwatch-alerter,\n"
	"             options: { security.protocol: ... } }\n"
	"Runs until SIGTERM or SIGINT, then delivers (or spools) what it has read and exits 0.\n"
	"\n"
	"  -c, --config FILE   eastwatch.yaml (alerter: and sinks:)\n"
	"      --kafka BROKERS the brokers (instead of alerter.brokers)\n"
	"  -o, --output FILE   also write the alerts as JSON lines to FILE (\"-\": stdout)\n"
	"      --log-format F  text (default) or json\n"
	"  -h, --help          this text\n";

static const char usage_check[] =
	"usage: eastwatch check [--rules DIR] [--config FILE]\n"
	"\n"
	"Validate the policy and the configuration without starting anything. Errors are\n"
	"printed as FILE:LINE:COL: message (exit 1); success prints one summary line.\n"
	"\n"
	"  -r, --rules DIR     policy directory\n"
	"  -c, --config FILE   eastwatch.yaml\n"
	"  -h, --help          this text\n";

static const char usage_explain[] =
	"usage: eastwatch explain [--rules DIR] [--config FILE] SRC DST PROTO[/PORT] [APP]\n"
	"\n"
	"Say which rule decides a flow from SRC to DST on PROTO/PORT (tcp/22, udp/53, icmp)\n"
	"and why. APP is the application as nDPI names it (SSH, TLS); without it the flow is\n"
	"judged as flow telemetry would be: with nDPI's guess from the port.\n"
	"\n"
	"  -r, --rules DIR     policy directory\n"
	"  -c, --config FILE   eastwatch.yaml\n"
	"  -h, --help          this text\n";

static const char usage_learn[] =
	"usage: eastwatch learn [--config FILE] [--rules DIR] [--output FILE] [--graph FILE.dot]\n"
	"                       [--diff DIR] PCAP...\n"
	"       eastwatch learn --for DURATION [--iface IF]... [--ipfix|--netflow|--sflow ADDR:PORT]\n"
	"                       [--config FILE] [--rules DIR] [--output FILE] [--graph FILE.dot]\n"
	"\n"
	"Observe traffic (capture files, or live sources for DURATION such as 10m) and propose\n"
	"an allowed-flow map in the rules.d format that permits exactly what was seen: hosts\n"
	"grouped by the groups of --rules, else the inventory's role label, else their /24 or\n"
	"/64; services by responder port (client ports ignored), with the applications DPI\n"
	"named; each rule commented with its evidence (flows, bytes, first and last seen).\n"
	"\n"
	"  -c, --config FILE   eastwatch.yaml (inventory, sources)\n"
	"  -r, --rules DIR     an existing policy: its groups name hosts, and the proposal\n"
	"                      is written to join that directory (no groups, no default)\n"
	"  -o, --output FILE   write the proposal to FILE (default: stdout)\n"
	"      --graph FILE    also write the flow map as Graphviz (dot -Tsvg FILE)\n"
	"      --diff DIR      policy simulation: judge the observed flows by the policy in\n"
	"                      DIR and by --rules (or by the proposal) and print the flows\n"
	"                      DIR would newly deny or newly allow\n"
	"      --for DURATION  observe live sources for this long (SIGINT ends it sooner)\n"
	"  -i, --iface IF      capture on IF;  --ipfix/--netflow/--sflow ADDR:PORT listeners\n"
	"  -f, --filter BPF    libpcap filter\n"
	"  -q, --quiet         no summary on stderr\n"
	"  -h, --help          this text\n";

static const char usage_policy[] =
	"usage: eastwatch policy push DIR --redis HOST:PORT [--author NAME] [--config FILE]\n"
	"       eastwatch policy show --redis HOST:PORT\n"
	"\n"
	"push validates the rules directory DIR as check does and stores it in Redis as a new\n"
	"policy version (content, sha256, author, time); sensors started with\n"
	"policy: { redis: HOST:PORT } load it at once and swap it in atomically (a version\n"
	"that does not compile on a sensor is refused there and the old one stays). Every\n"
	"push is written to the audit stream eastwatch:audit. A DIR that does not validate\n"
	"is not stored (exit 1). show prints the version in force and the audit stream's\n"
	"last entries.\n"
	"\n"
	"      --redis ADDR    the Redis that holds the central policy\n"
	"      --author NAME   who pushes (default: $SUDO_USER, $USER, else the user id)\n"
	"  -c, --config FILE   eastwatch.yaml (its inventory resolves label: members)\n"
	"  -h, --help          this text\n";

struct opts {
	const char *config, *rules, *output, *flows, *sensor, *filter, *user, *log_format;
	const char *kafka, *metrics;
	const char *graph, *diff, *learn_for, *author, *redis;
	const char *ifaces[EW_MAX_SOURCES];
	const char *listen_type[EW_MAX_SOURCES], *listen_addr[EW_MAX_SOURCES];
	int nifaces, nlisten, quiet, help;
};

static int parse_opts(int argc, char **argv, struct opts *o, const char *shortopts)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "rules", required_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ "flows", required_argument, NULL, 'F' },
		{ "sensor", required_argument, NULL, 'S' },
		{ "filter", required_argument, NULL, 'f' },
		{ "iface", required_argument, NULL, 'i' },
		{ "ipfix", required_argument, NULL, 'I' },
		{ "netflow", required_argument, NULL, 'N' },
		{ "sflow", required_argument, NULL, 's' },
		{ "user", required_argument, NULL, 'u' },
		{ "log-format", required_argument, NULL, 'L' },
		{ "kafka", required_argument, NULL, 'K' },
		{ "metrics", required_argument, NULL, 'M' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "graph", required_argument, NULL, 'G' },
		{ "diff", required_argument, NULL, 'D' },
		{ "for", required_argument, NULL, 'T' },
		{ "author", required_argument, NULL, 'A' },
		{ "redis", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, li = -1;

	optind = 1;
	while ((ch = getopt_long(argc, argv, shortopts, longopts, &li)) != -1) {
		if (ch != 'h' && ch != '?' && strchr(shortopts, ch) == NULL) {
			fprintf(stderr, "eastwatch %s: option --%s does not apply here\n", argv[0],
				li >= 0 ? longopts[li].name : "?");
			return -1;
		}
		li = -1;
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'r': o->rules = optarg; break;
		case 'o': o->output = optarg; break;
		case 'F': o->flows = optarg; break;
		case 'S': o->sensor = optarg; break;
		case 'f': o->filter = optarg; break;
		case 'u': o->user = optarg; break;
		case 'L': o->log_format = optarg; break;
		case 'K': o->kafka = optarg; break;
		case 'M': o->metrics = optarg; break;
		case 'q': o->quiet = 1; break;
		case 'G': o->graph = optarg; break;
		case 'D': o->diff = optarg; break;
		case 'T': o->learn_for = optarg; break;
		case 'A': o->author = optarg; break;
		case 'R': o->redis = optarg; break;
		case 'I':
		case 'N':
		case 's':
			if (o->nlisten == EW_MAX_SOURCES) {
				fprintf(stderr, "eastwatch: too many listeners\n");
				return -1;
			}
			/* NetFlow and IPFIX share one decoder: any version on any port */
			o->listen_type[o->nlisten] = ch == 's' ? "sflow" : "ipfix";
			o->listen_addr[o->nlisten++] = optarg;
			break;
		case 'i':
			if (o->nifaces == EW_MAX_SOURCES) {
				fprintf(stderr, "eastwatch: too many --iface\n");
				return -1;
			}
			o->ifaces[o->nifaces++] = optarg;
			break;
		case 'h': o->help = 1; break;
		default: return -1;
		}
	}
	return 0;
}

/* A command's options and operands: returns -1 to go on, or the exit code now (after
 * --help, or a usage error with the command's usage on stderr). */
static int command_opts(int argc, char **argv, struct opts *o, const char *shortopts,
			const char *usage, int min_operands, int max_operands)
{
	int n;

	if (parse_opts(argc, argv, o, shortopts) != 0) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (o->help) {
		fputs(usage, stdout);
		return 0;
	}
	n = argc - optind;
	if (n < min_operands || n > max_operands) {
		if (n > max_operands)
			fprintf(stderr, "eastwatch %s: unexpected argument \"%s\"\n", argv[0],
				argv[optind + max_operands]);
		else
			fprintf(stderr, "eastwatch %s: missing arguments\n", argv[0]);
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	return -1;
}

/* The shared start-up of every command: configuration, classifier, policy. */
struct ctx {
	struct opts o;
	struct ew_config cfg;
	struct ew_classify *cls;
	struct ew_policy *pol;
	const char *rules_dir;
	char hostname[256];
	char policy_version[80];   /* "sha256:HEX" of the policy in force */
	char policy_from[300];     /* the rules directory, or "redis HOST:PORT" */
	struct ew_bundle *bundle;  /* the rules files in force */
	struct ew_inventory *inv;  /* labels (inventory file or Redis), or NULL */
	redisContext *rpol, *rinv; /* blocking Redis connections, policy and inventory */
};

static int resolve_app(void *arg, const char *name)
{
	return ew_classify_lookup(arg, name);
}

/* A blocking Redis connection that is up: reconnected if the last command broke it. */
static redisContext *redis_up(redisContext **rc, const char *addr)
{
	struct ew_err err;

	if (addr == NULL)
		return NULL;
	if (*rc && (*rc)->err) {
		ew_central_close(*rc);
		*rc = NULL;
	}
	if (*rc == NULL && (*rc = ew_central_connect(addr, &err)) == NULL)
		ew_warn("%s", err.msg);
	return *rc;
}

/* The inventory from its file or Redis into c->inv. */
static int load_inventory(struct ctx *c, struct ew_err *err)
{
	if (c->cfg.inventory) {
		struct ew_inventory *inv = ew_inventory_load_file(c->cfg.inventory, err);

		if (inv == NULL)
			return EW_E_INVAL;
		ew_inventory_free(c->inv);
		c->inv = inv;
	} else if (c->cfg.inventory_redis) {
		if (redis_up(&c->rinv, c->cfg.inventory_redis) == NULL) {
			ew_err_set(err, "inventory: Redis %s is not reachable", c->cfg.inventory_redis);
			return EW_E_IO;
		}
		if (ew_central_inventory(c->rinv, &c->inv, err) != EW_OK)
			return EW_E_IO;
	}
	return EW_OK;
}

/* The rules files in force now: the rules directory, or Redis's current version. */
static struct ew_bundle *fetch_bundle(struct ctx *c, const char *version, struct ew_err *err)
{
	if (c->cfg.policy_redis) {
		if (redis_up(&c->rpol, c->cfg.policy_redis) == NULL) {
			ew_err_set(err, "policy: Redis %s is not reachable", c->cfg.policy_redis);
			return NULL;
		}
		return ew_central_fetch(c->rpol, version, err);
	}
	return ew_bundle_from_dir(c->rules_dir, c->cfg.inventory, err);
}

static struct ew_policy *compile(struct ctx *c, const struct ew_bundle *b, struct ew_err *err)
{
	struct ew_policy_opts po = { resolve_app, c->cls, NULL, c->inv };

	return ew_bundle_load(b, &po, err);
}

/* Append to the audit stream (when a Redis is configured) and the log. */
static void audit(struct ctx *c, const char *event, const char *version, const char *previous,
		  const char *what, const char *detail)
{
	redisContext *rc = redis_up(&c->rpol, c->cfg.policy_redis);
	char t[32];
	const char *kv[] = { "event", event, "sensor", c->cfg.pc.sensor, "version", version,
			     "previous", previous && previous[0] ? previous : "-", "time",
			     ew_time_rfc3339(ew_time_now_us(), t), "source", c->policy_from,
			     what, detail };

	if (rc == NULL)
		rc = redis_up(&c->rinv, c->cfg.inventory_redis);
	ew_info("audit: %s %s (previous %s) from %s: %s", event, version,
		previous && previous[0] ? previous : "-", c->policy_from, detail);
	if (rc)
		ew_central_audit(rc, kv, 14);
}

static int ctx_init(struct ctx *c, int need_policy)
{
	struct ew_err err;

	ew_config_init(&c->cfg);
	if (c->o.config && ew_config_load(&c->cfg, c->o.config, &err) != EW_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return EXIT_INPUT;
	}
	ew_log_setup((enum ew_log_level)c->cfg.log_level,
		     c->o.log_format ? strcmp(c->o.log_format, "json") == 0 : c->cfg.log_json);
	c->rules_dir = c->o.rules ? c->o.rules : c->cfg.rules ? c->cfg.rules : DEFAULT_RULES;
	if (c->o.rules)
		c->cfg.policy_redis = NULL;      /* --rules overrides a central policy */
	if (c->cfg.policy_redis)
		snprintf(c->policy_from, sizeof(c->policy_from), "redis %s", c->cfg.policy_redis);
	else
		snprintf(c->policy_from, sizeof(c->policy_from), "%s", c->rules_dir);
	if (gethostname(c->hostname, sizeof(c->hostname) - 1) != 0)
		strcpy(c->hostname, "eastwatch");
	c->cfg.pc.sensor = c->o.sensor ? c->o.sensor : c->cfg.sensor ? c->cfg.sensor : c->hostname;
	c->cls = ew_classify_new(&c->cfg.cls, &err);
	if (c->cls == NULL) {
		fprintf(stderr, "eastwatch: %s\n", err.msg);
		return EXIT_RUNTIME;
	}
	if (need_policy) {
		int rc = load_inventory(c, &err);

		if (rc != EW_OK) {
			fprintf(stderr, "%s\n", err.msg);
			return rc == EW_E_IO ? EXIT_RUNTIME : EXIT_INPUT;
		}
		c->bundle = fetch_bundle(c, NULL, &err);
		if (c->bundle == NULL) {
			fprintf(stderr, "%s\n", err.msg);
			return c->cfg.policy_redis ? EXIT_RUNTIME : EXIT_INPUT;
		}
		c->pol = compile(c, c->bundle, &err);
		if (c->pol == NULL) {
			fprintf(stderr, "%s\n", err.msg);
			return EXIT_INPUT;
		}
		snprintf(c->policy_version, sizeof(c->policy_version), "%s", c->bundle->version);
	}
	return 0;
}

static void ctx_free(struct ctx *c)
{
	ew_policy_free(c->pol);
	ew_bundle_free(c->bundle);
	ew_inventory_free(c->inv);
	ew_central_close(c->rpol);
	ew_central_close(c->rinv);
	ew_classify_free(c->cls);
	ew_config_free(&c->cfg);
}

static int add_flag_sink(struct ew_sinkset *s, struct ew_conf **keep, const char *flag,
			 const char *type, const char *key, const char *value,
			 struct event_base *eb, struct ew_err *err)
{
	char yaml[4400];
	size_t n = 0;

	/* named after the type, unless the configuration already has a sink of that name */
	n += (size_t)snprintf(yaml, sizeof(yaml), "{type: %s, name: %s%s, %s: \"", type, type,
			      ew_sinkset_has(s, type) ? "-flag" : "", key);
	for (const char *p = value; *p && n < sizeof(yaml) - 8; p++) {
		if (*p == '"' || *p == '\\')
			yaml[n++] = '\\';
		yaml[n++] = *p;
	}
	n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, "\"}");
	if (ew_conf_load_mem(keep, flag, yaml, n, err) != EW_OK)
		return EW_E_INVAL;
	return ew_sinkset_add(s, ew_conf_root(*keep), eb, err);
}

/* Sinks of the configuration, then --kafka and --output (or stdout by default:
 * stdout_default 2 always adds it when --output is absent, 1 only when nothing else is
 * configured). */
/* Deny rules' notify: names that no sink of s has: each reported as FILE:LINE:COL (an
 * error for check, a warning for the daemons, whose other sinks still get the alerts).
 * Returns how many. Nothing when no sink is configured (a policy checked alone). */
static unsigned notify_unknown(const struct ew_policy *pol, const struct ew_sinkset *s,
			       int as_error)
{
	struct ew_policy_info pi;
	unsigned bad = 0;

	if (pol == NULL || s == NULL || ew_sinkset_count(s) == 0)
		return 0;
	ew_policy_info(pol, &pi);
	for (uint32_t i = 0; i < pi.rules; i++) {
		const struct ew_rule *r = ew_policy_rule(pol, i);

		for (uint32_t j = 0; r && j < r->nnotify; j++) {
			uint32_t k, n = ew_sinkset_count(s);
			struct ew_sink_stats st;

			for (k = 0; k < n; k++) {
				ew_sinkset_stats(s, k, &st);
				if (strcmp(st.name, r->notify[j]) == 0)
					break;
			}
			if (k < n)
				continue;
			bad++;
			if (as_error)
				fprintf(stderr, "%s:%u:%u: rule %s: notify names sink \"%s\", which the "
					"configuration does not define\n", r->file, r->line, r->col,
					r->name, r->notify[j]);
			else
				ew_warn("%s:%u:%u: rule %s: notify names sink \"%s\", which the "
					"configuration does not define; its alerts go to the other sinks",
					r->file, r->line, r->col, r->name, r->notify[j]);
		}
	}
	return bad;
}

static int open_sinks(struct ctx *c, struct ew_sinkset *s, struct ew_conf **flagdoc,
		      struct event_base *eb, int stdout_default)
{
	struct ew_err err;
	size_t n = ew_conf_len(c->cfg.sinks);

	for (size_t i = 0; i < n; i++)
		if (ew_sinkset_add(s, ew_conf_at(c->cfg.sinks, i), eb, &err) != EW_OK) {
			fprintf(stderr, "%s\n", err.msg);
			return strchr(err.msg, ':') && (strstr(err.msg, "cannot open") ||
							strstr(err.msg, "spool")) ? EXIT_RUNTIME
										 : EXIT_INPUT;
		}
	if (c->o.kafka) {
		if (add_flag_sink(s, &flagdoc[1], "--kafka", "kafka", "brokers", c->o.kafka, eb,
				  &err) != EW_OK) {
			fprintf(stderr, "eastwatch: --kafka: %s\n", err.msg);
			return EXIT_RUNTIME;
		}
		n++;
	}
	if (c->o.output || (stdout_default && (n == 0 || c->o.output == NULL) &&
			    (stdout_default == 2 || n == 0))) {
		if (add_flag_sink(s, &flagdoc[0], "--output", "file", "path",
				  c->o.output ? c->o.output : "-", eb, &err) != EW_OK) {
			fprintf(stderr, "eastwatch: %s\n", err.msg);
			return EXIT_RUNTIME;
		}
	}
	if (c->cfg.throttle_redis &&
	    ew_sinkset_share_throttle(s, c->cfg.throttle_redis, c->cfg.pc.throttle_window_us, eb,
				      &err) != EW_OK) {
		fprintf(stderr, "eastwatch: throttle.redis: %s\n", err.msg);
		return EXIT_INPUT;
	}
	return 0;
}

static FILE *open_flows(const char *path)
{
	FILE *f;

	if (path == NULL)
		return NULL;
	if (strcmp(path, "-") == 0)
		return stdout;
	f = fopen(path, "w");
	if (f == NULL)
		fprintf(stderr, "eastwatch: %s: %s\n", path, strerror(errno));
	return f;
}

/* ---------------------------------------------------------------- replay */

static volatile int stop_requested;

static void on_stop_signal(int sig)
{
	stop_requested = sig;
}

struct progress {
	struct ew_pipeline *p;
	uint64_t next, start;
	int tty;
};

static void print_rule(void *arg, const char *rule, uint64_t n)
{
	fprintf(arg, " %s %llu", rule, (unsigned long long)n);
}

static void replay_record(void *arg, const struct ew_record *r, uint16_t id, uint64_t now)
{
	ew_pipeline_record(((struct progress *)arg)->p, r, id, now);
}

static void progress_packet(void *arg, const struct ew_raw_pkt *rp)
{
	struct progress *pr = arg;

	ew_pipeline_packet(pr->p, rp);
	if (pr->tty) {
		struct ew_pipeline_stats st;
		uint64_t now;

		ew_pipeline_stats(pr->p, &st);
		if ((st.packets & 0x3fff) != 0)
			return;
		now = ew_time_mono_us();
		if (now < pr->next)
			return;
		pr->next = now + 250000;
		fprintf(stderr, "\r  %llu packets, %llu flows, %llu alerts, %.0f packets/s   ",
			(unsigned long long)st.packets, (unsigned long long)st.flows,
			(unsigned long long)st.alerts,
			st.packets / ((now - pr->start + 1) / 1e6));
	}
}

static int cmd_replay(int argc, char **argv)
{
	struct ctx c = { 0 };
	struct ew_sinkset *sinks = NULL;
	struct ew_conf *flagdoc[2] = { NULL, NULL };
	struct ew_pipeline *p = NULL;
	struct progress pr = { 0 };
	struct ew_err err;
	FILE *flows = NULL;
	uint64_t t0;
	int rc;

	if ((rc = command_opts(argc, argv, &c.o, "c:r:o:K:F:S:f:qh", usage_replay, 1, INT_MAX)) >= 0)
		return rc;
	rc = ctx_init(&c, 1);
	if (rc != 0)
		goto out;
	sinks = ew_sinkset_new(c.cfg.pc.sensor, c.cfg.spool_dir);
	if (sinks == NULL || (rc = open_sinks(&c, sinks, flagdoc, NULL, 2)) != 0)
		goto out;
	notify_unknown(c.pol, sinks, 0);
	if (c.o.flows && (flows = open_flows(c.o.flows)) == NULL) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	c.cfg.pc.flows_out = flows;
	p = ew_pipeline_new(&c.cfg.pc, c.cls, c.pol, sinks, &err);
	if (p == NULL) {
		fprintf(stderr, "eastwatch: %s\n", err.msg);
		rc = EXIT_RUNTIME;
		goto out;
	}
	signal(SIGINT, on_stop_signal);
	signal(SIGTERM, on_stop_signal);
	pr.p = p;
	pr.tty = isatty(2) && !c.o.quiet;
	pr.start = t0 = ew_time_mono_us();
	for (int i = optind; i < argc && !stop_requested; i++) {
		const char *type = ew_source_file_type(argv[i]);   /* a capture or a flow log */
		const struct ew_source_ops *ops = ew_source_find(type);
		struct ew_source_conf sc = { .type = type, .target = argv[i], .filter = c.o.filter,
					     .id = (uint16_t)(i - optind), .stop = &stop_requested };
		struct ew_source_out out = { .packet = progress_packet, .record = replay_record,
					     .arg = &pr };
		void *st = NULL;

		if (ops->open(&st, &sc, NULL, &out, &err) != EW_OK) {
			fprintf(stderr, "eastwatch: %s\n", err.msg);
			rc = strstr(err.msg, "filter") ? EXIT_USAGE : EXIT_INPUT;
			break;
		}
		if (ops->run(st, &err) != EW_OK) {
			fprintf(stderr, "eastwatch: %s\n", err.msg);
			rc = EXIT_INPUT;
		}
		ops->close(st);
		if (rc != 0)
			break;
	}
	ew_pipeline_drain(p);
	ew_pipeline_finish(p);
	ew_sinkset_flush(sinks, 10000);
	if (!c.o.quiet) {
		struct ew_pipeline_stats st;
		double secs = (ew_time_mono_us() - t0) / 1e6;

		ew_pipeline_stats(p, &st);
		if (pr.tty)
			fputs("\r\033[K", stderr);
		fprintf(stderr, "eastwatch replay: %d file(s), %llu packets, %llu flows, %llu alerts "
			"(%llu repeats throttled) in %.3f s: %.0f packets/s\n",
			argc - optind, (unsigned long long)st.packets, (unsigned long long)st.flows,
			(unsigned long long)st.alerts, (unsigned long long)st.throttled, secs,
			secs > 0 ? st.packets / secs : 0.0);
		fprintf(stderr, "  alerts by rule:");
		ew_pipeline_rule_counts(p, print_rule, stderr);
		fprintf(stderr, "%s\n", st.alerts ? "" : " none");
		ew_pipeline_report(p, stderr);
	}
out:
	ew_pipeline_free(p);
	ew_sinkset_free(sinks);
	ew_conf_free(flagdoc[0]);
	ew_conf_free(flagdoc[1]);
	if (flows && flows != stdout)
		fclose(flows);
	ctx_free(&c);
	return rc;
}

/* ---------------------------------------------------------------- run */

static void pipeline_record(void *arg, const struct ew_record *r, uint16_t id, uint64_t now)
{
	ew_pipeline_record(arg, r, id, now);
}

static void pipeline_sample(void *arg, const struct ew_sflow_sample *s, uint16_t id, uint64_t now)
{
	ew_pipeline_sflow_sample(arg, s, id, now);
}

static void pipeline_gap(void *arg, const struct ew_exporter_health *h, uint8_t kind,
			 uint64_t silent_us, uint64_t now)
{
	char a[EW_ADDR_STRLEN];

	if (silent_us)
		ew_warn("exporter %s silent for %llu s", ew_addr_format(&h->addr, a),
			(unsigned long long)(silent_us / 1000000));
	else
		ew_info("exporter %s heard again", ew_addr_format(&h->addr, a));
	ew_pipeline_telemetry_gap(arg, h, kind, silent_us, now);
}

static void log_exporter(void *arg, const struct ew_exporter_health *h)
{
	char a[EW_ADDR_STRLEN], ts[32];

	ew_info("  exporter %s: %llu datagrams, %llu records, %llu templates, %llu sequence gaps "
		"(%llu lost), %llu undecodable, last seen %s", ew_addr_format(&h->addr, a),
		(unsigned long long)h->datagrams, (unsigned long long)h->records,
		(unsigned long long)h->templates, (unsigned long long)h->seq_gaps,
		(unsigned long long)h->lost, (unsigned long long)h->errors,
		ew_time_rfc3339(h->last_seen_us, ts));
}

struct runsrc {
	const struct ew_source_ops *ops;
	void *st;
	char name[300];
};

struct runstate {
	struct ctx *c;
	struct event_base *eb;
	struct ew_pipeline *p;
	struct ew_sinkset *sinks;
	struct runsrc *srcs;
	int nsrcs;
	int ticks;
	struct ew_metrics_view view;
	struct ew_metrics_source msrc[EW_MAX_SOURCES * 3];
	struct ew_metrics *metrics;
	struct ew_central_watch *watch;   /* Redis notices (central policy, inventory) */
	struct ew_central_watch *watch_inv;   /* the inventory's, when in another Redis */
	struct event *inv_timer;          /* recompile once a burst of label changes settles */
};

/* Compile nb (the rules in force, or new ones) with the inventory in force and swap it
 * into the pipeline; a policy that does not compile is refused and the old one stays.
 * nb is taken over (freed when refused, unless it is the bundle in force). */
static int apply_policy(struct runstate *rs, struct ew_bundle *nb, const char *why)
{
	struct ctx *c = rs->c;
	struct ew_err err;
	struct ew_policy *np = compile(c, nb, &err);
	char change[2048], previous[80];

	snprintf(previous, sizeof(previous), "%s", c->policy_version);
	if (np == NULL) {
		ew_error("policy reload refused, the previous policy stays in force: %s (version %s, "
			 "%s)", err.msg, nb->version, why);
		rs->view.policy_refused++;
		audit(c, "policy-refused", nb->version, previous, "error", err.msg);
		if (nb != c->bundle)
			ew_bundle_free(nb);
		return -1;
	}
	ew_policy_change(c->bundle, c->pol, nb, np, change, sizeof(change));
	ew_policy_free((struct ew_policy *)ew_pipeline_set_policy(rs->p, np));
	c->pol = np;
	if (nb != c->bundle) {
		ew_bundle_free(c->bundle);
		c->bundle = nb;
	}
	snprintf(c->policy_version, sizeof(c->policy_version), "%s", nb->version);
	rs->view.policy_reloads++;
	rs->view.policy_loaded_us = ew_time_now_us();
	ew_info("policy reloaded from %s (%s, %s)", c->policy_from, c->policy_version, why);
	if (nb->author[0])
		snprintf(change + strlen(change), sizeof(change) - strlen(change),
			 " (pushed by %s at %s)", nb->author, nb->time);
	audit(c, strcmp(why, "inventory") == 0 ? "inventory-applied" : "policy-applied",
	      c->policy_version, previous, "changes", change);
	return 0;
}

static void on_inventory_timer(evutil_socket_t fd, short what, void *arg)
{
	struct runstate *rs = arg;

	(void)fd;
	(void)what;
	apply_policy(rs, rs->c->bundle, "inventory");
}

/* A label change announced on eastwatch:inventory: reload that host (or all), then
 * recompile 50 ms later (a burst of changes compiles once). */
static void on_inventory_notice(void *arg, const char *addr)
{
	struct runstate *rs = arg;
	struct ctx *c = rs->c;
	struct ew_err err;
	struct timeval tv = { 0, 50000 };
	int rc;

	if (redis_up(&c->rinv, c->cfg.inventory_redis) == NULL)
		return;
	if (strcmp(addr, "*") == 0 || addr[0] == '\0') {
		rc = ew_central_inventory(c->rinv, &c->inv, &err);
	} else {
		if (c->inv == NULL && (c->inv = ew_inventory_new()) == NULL)
			return;
		rc = ew_central_host(c->rinv, addr, c->inv, &err);
	}
	if (rc != EW_OK) {
		ew_warn("inventory: %s", err.msg);
		return;
	}
	evtimer_add(rs->inv_timer, &tv);
}

/* A policy version published on eastwatch:policy. */
static void on_policy_notice(void *arg, const char *version)
{
	struct runstate *rs = arg;
	struct ew_err err;
	struct ew_bundle *nb;

	if (strcmp(version, rs->c->policy_version) == 0)
		return;
	nb = fetch_bundle(rs->c, version, &err);
	if (nb == NULL) {
		ew_error("policy %s refused, the previous policy stays in force: %s", version,
			 err.msg);
		rs->view.policy_refused++;
		audit(rs->c, "policy-refused", version, rs->c->policy_version, "error", err.msg);
		return;
	}
	apply_policy(rs, nb, "redis");
}

/* The subscription came back: what was announced meanwhile is lost, so reload. */
static void on_resync(void *arg)
{
	struct runstate *rs = arg;
	char cur[80];
	struct ew_err err;

	if (rs->c->cfg.inventory_redis)
		on_inventory_notice(rs, "*");
	if (rs->c->cfg.policy_redis && redis_up(&rs->c->rpol, rs->c->cfg.policy_redis) &&
	    ew_central_current(rs->c->rpol, cur, &err) == EW_OK && cur[0])
		on_policy_notice(rs, cur);
}

/* Open every --iface, listener and configured source on eb, feeding p. Returns 0, or
 * an exit code (what was opened is in srcs[0..*n) for the caller to close). */
static int open_sources(struct ctx *c, struct event_base *eb, struct ew_pipeline *p,
			struct runsrc *srcs, int *n, int *live)
{
	struct ew_err err;

	for (int i = 0; i < c->o.nifaces + c->o.nlisten + (int)c->cfg.nsrc; i++) {
		struct ew_source_conf sc = { .promisc = 1, .id = (uint16_t)i };
		struct ew_source_out out = { .packet = ew_pipeline_packet, .record = pipeline_record,
					     .sample = pipeline_sample, .gap = pipeline_gap,
					     .arg = p };

		if (i < c->o.nifaces) {
			sc.type = "iface";
			sc.target = c->o.ifaces[i];
			sc.filter = c->o.filter;
		} else if (i < c->o.nifaces + c->o.nlisten) {
			sc.type = c->o.listen_type[i - c->o.nifaces];
			sc.target = c->o.listen_addr[i - c->o.nifaces];
			sc.silence_us = 300 * 1000000ULL;
		} else {
			const struct ew_config_source *cs = &c->cfg.src[i - c->o.nifaces - c->o.nlisten];

			sc.type = cs->type;
			sc.target = cs->target;
			sc.filter = cs->filter;
			sc.promisc = cs->promisc;
			sc.buffer_mb = cs->buffer_mb;
			sc.snaplen = cs->snaplen;
			sc.silence_us = cs->silence_us;
			sc.exporters = cs->exporters;
			sc.nexporters = cs->nexporters;
			sc.state_dir = c->cfg.spool_dir;
		}
		srcs[*n].ops = ew_source_find(sc.type);
		srcs[*n].st = NULL;
		if (srcs[*n].ops->open(&srcs[*n].st, &sc, eb, &out, &err) != EW_OK) {
			fprintf(stderr, "eastwatch: %s\n", err.msg);
			(*n)++;
			return strstr(err.msg, "filter") ? EXIT_INPUT : EXIT_RUNTIME;
		}
		/* live: driven by the event loop (interfaces, listeners), or looked at every
		 * second (a directory of flow logs) */
		*live += srcs[*n].ops->run == NULL || srcs[*n].ops->tick != NULL;
		snprintf(srcs[*n].name, sizeof(srcs[*n].name), "%s %s", sc.type, sc.target);
		ew_info("capturing on %s %s", sc.type, sc.target);
		(*n)++;
	}
	return 0;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct runstate *rs = arg;

	if (sig == SIGHUP) {
		struct ew_err err;
		struct ew_bundle *nb;

		ew_sinkset_reopen(rs->sinks);   /* logrotate */
		if (load_inventory(rs->c, &err) != EW_OK ||
		    (nb = fetch_bundle(rs->c, NULL, &err)) == NULL) {
			ew_error("policy reload refused, the previous policy stays in force: %s",
				 err.msg);
			rs->view.policy_refused++;
			audit(rs->c, "policy-refused", "-", rs->c->policy_version, "error", err.msg);
			return;
		}
		apply_policy(rs, nb, "SIGHUP");
		return;
	}
	ew_info("signal %d: ending flows, delivering alerts, exiting", (int)sig);
	event_base_loopexit(rs->eb, NULL);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct runstate *rs = arg;

	ew_sinkset_flush(rs->sinks, 0);
	if (++rs->ticks % 5 == 0) {
		uint64_t now = ew_time_now_us();

		for (int i = 0; i < rs->nsrcs; i++)
			if (rs->srcs[i].ops->tick)
				rs->srcs[i].ops->tick(rs->srcs[i].st, now);
		ew_pipeline_tick(rs->p, now);
		ew_sinkset_tick(rs->sinks, now);
	}
}

static int drop_privileges(const char *user)
{
	struct passwd *pw;

	if (geteuid() != 0 || strcmp(user, "root") == 0)
		return 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		ew_error("cannot drop privileges: no user \"%s\"", user);
		return -1;
	}
	if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		ew_error("cannot drop privileges to %s: %s", user, strerror(errno));
		return -1;
	}
	ew_info("running as %s", user);
	return 0;
}

/* Descriptors: the soft limit up to the hard one (1,024 by default: a sensor with many
 * sinks, exporters and scrapers should not run out). */
static void raise_nofile(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur >= r.rlim_max)
		return;
	r.rlim_cur = r.rlim_max > (1u << 20) ? (1u << 20) : r.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &r) != 0)
		ew_debug("cannot raise the descriptor limit: %s", strerror(errno));
}

/* Running as root for a service user: the files made for it before the drop (spools,
 * the alert file) are given to it. An unknown user is refused here, before anything is
 * opened. */
static int files_owner(const char *user)
{
	struct passwd *pw;

	if (geteuid() != 0 || strcmp(user, "root") == 0)
		return 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		fprintf(stderr, "eastwatch: cannot run as \"%s\": no such user\n", user);
		return EXIT_RUNTIME;
	}
	ew_files_owner_set(pw->pw_uid, pw->pw_gid);
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	struct ctx c = { 0 };
	struct runstate rs = { 0 };
	struct ew_conf *flagdoc[2] = { NULL, NULL };
	struct ew_err err;
	struct event *evs[4] = { 0 };
	struct runsrc srcs[EW_MAX_SOURCES * 3];
	int nsrcs = 0, rc, live = 0;
	FILE *flows = NULL;
	const int sigs[] = { SIGTERM, SIGINT, SIGHUP };

	if ((rc = command_opts(argc, argv, &c.o, "c:r:o:K:M:F:S:f:i:I:N:s:u:L:h", usage_run, 0, 0)) >= 0)
		return rc;
	rc = ctx_init(&c, 1);
	if (rc != 0)
		goto out;
	if (c.o.nifaces == 0 && c.o.nlisten == 0 && c.cfg.nsrc == 0) {
		fprintf(stderr, "eastwatch run: no source: give --iface IF, --ipfix, --netflow or "
			"--sflow ADDR:PORT, or sources: in the configuration\n");
		rc = EXIT_USAGE;
		goto out;
	}
	rs.c = &c;
	raise_nofile();
	if ((rc = files_owner(c.o.user ? c.o.user : c.cfg.user ? c.cfg.user : "nobody")) != 0)
		goto out;
	rs.eb = event_base_new();
	rs.sinks = ew_sinkset_new(c.cfg.pc.sensor, c.cfg.spool_dir);
	if (rs.eb == NULL || rs.sinks == NULL) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	if ((rc = open_sinks(&c, rs.sinks, flagdoc, rs.eb, 1)) != 0)
		goto out;
	notify_unknown(c.pol, rs.sinks, 0);
	if (c.o.flows && (flows = open_flows(c.o.flows)) == NULL) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	c.cfg.pc.flows_out = flows;
	rs.p = ew_pipeline_new(&c.cfg.pc, c.cls, c.pol, rs.sinks, &err);
	if (rs.p == NULL) {
		fprintf(stderr, "eastwatch: %s\n", err.msg);
		rc = EXIT_RUNTIME;
		goto out;
	}
	if ((rc = open_sources(&c, rs.eb, rs.p, srcs, &nsrcs, &live)) != 0)
		goto out;
	rs.srcs = srcs;
	rs.nsrcs = nsrcs;
	if (c.o.metrics || c.cfg.metrics) {
		rs.view.sensor = c.cfg.pc.sensor;
		rs.view.rules_dir = c.policy_from;
		rs.view.policy_version = c.policy_version;
		rs.view.p = rs.p;
		rs.view.sinks = rs.sinks;
		rs.view.pol = (const struct ew_policy *const *)&c.pol;
		for (int i = 0; i < nsrcs; i++) {
			rs.msrc[i].name = srcs[i].name;
			rs.msrc[i].ops = srcs[i].ops;
			rs.msrc[i].st = srcs[i].st;
		}
		rs.view.src = rs.msrc;
		rs.view.nsrc = nsrcs;
		rs.view.start_us = rs.view.policy_loaded_us = ew_time_now_us();
		rs.metrics = ew_metrics_start(rs.eb, c.o.metrics ? c.o.metrics : c.cfg.metrics,
					      &rs.view, &err);
		if (rs.metrics == NULL) {
			fprintf(stderr, "eastwatch: %s\n", err.msg);
			rc = EXIT_RUNTIME;
			goto out;
		}
		ew_info("metrics on http://%s/metrics", c.o.metrics ? c.o.metrics : c.cfg.metrics);
	}
	if (drop_privileges(c.o.user ? c.o.user : c.cfg.user ? c.cfg.user : "nobody") != 0) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	for (int i = 0; i < nsrcs; i++)
		if (srcs[i].ops->run && srcs[i].ops->run(srcs[i].st, &err) != EW_OK)
			ew_error("%s", err.msg);
	for (int i = 0; i < 3; i++) {
		evs[i] = evsignal_new(rs.eb, sigs[i], on_signal, &rs);
		event_add(evs[i], NULL);
	}
	{
		struct timeval tv = { 0, 200000 };

		evs[3] = event_new(rs.eb, -1, EV_PERSIST, on_tick, &rs);
		event_add(evs[3], &tv);
	}
	if (c.cfg.policy_redis || c.cfg.inventory_redis) {
		struct ew_central_cb cb = { on_inventory_notice, on_policy_notice, on_resync, &rs };
		const char *addr = c.cfg.policy_redis ? c.cfg.policy_redis : c.cfg.inventory_redis;
		int two = c.cfg.policy_redis && c.cfg.inventory_redis &&
			  strcmp(c.cfg.policy_redis, c.cfg.inventory_redis) != 0;

		rs.inv_timer = evtimer_new(rs.eb, on_inventory_timer, &rs);
		/* one subscription per Redis server: policy notices from the policy's, label
		 * notices from the inventory's */
		rs.watch = ew_central_watch_start(rs.eb, addr, c.cfg.inventory_redis != NULL && !two,
						  c.cfg.policy_redis != NULL, &cb, &err);
		if (rs.watch && two &&
		    (rs.watch_inv = ew_central_watch_start(rs.eb, c.cfg.inventory_redis, 1, 0, &cb,
							   &err)) == NULL) {
			ew_central_watch_free(rs.watch);
			rs.watch = NULL;
		}
		if (rs.watch == NULL || rs.inv_timer == NULL) {
			fprintf(stderr, "eastwatch: %s\n", err.msg);
			rc = EXIT_RUNTIME;
			goto out;
		}
	}
	ew_info("eastwatch %s running: sensor %s, policy %s (%s)", EW_VERSION, c.cfg.pc.sensor,
		c.policy_from, c.policy_version);
	if (live)
		event_base_dispatch(rs.eb);
	ew_pipeline_finish(rs.p);
	ew_sinkset_flush(rs.sinks, 10000);
	{
		struct ew_pipeline_stats st;

		ew_pipeline_stats(rs.p, &st);
		ew_info("stopped: %llu packets, %llu flow records, %llu sFlow samples, %llu flows, "
			"%llu alerts (%llu throttled)", (unsigned long long)st.packets,
			(unsigned long long)st.records, (unsigned long long)st.samples,
			(unsigned long long)st.flows, (unsigned long long)st.alerts,
			(unsigned long long)st.throttled);
		for (int i = 0; i < nsrcs; i++) {
			struct ew_source_stats ss;

			srcs[i].ops->stats(srcs[i].st, &ss);
			ew_info("  %s: %llu %s, %llu dropped by the kernel, %llu errors", srcs[i].name,
				(unsigned long long)ss.packets,
				srcs[i].ops->exporters ? "datagrams" : "packets",
				(unsigned long long)ss.kernel_drops, (unsigned long long)ss.errors);
			if (srcs[i].ops->exporters)
				srcs[i].ops->exporters(srcs[i].st, log_exporter, NULL);
		}
	}
	rc = 0;
out:
	ew_central_watch_free(rs.watch);
	ew_central_watch_free(rs.watch_inv);
	if (rs.inv_timer)
		event_free(rs.inv_timer);
	ew_metrics_free(rs.metrics);
	for (int i = 0; i < 4; i++)
		if (evs[i])
			event_free(evs[i]);
	for (int i = 0; i < nsrcs; i++)
		if (srcs[i].ops)
			srcs[i].ops->close(srcs[i].st);
	ew_pipeline_free(rs.p);
	ew_sinkset_free(rs.sinks);
	ew_conf_free(flagdoc[0]);
	ew_conf_free(flagdoc[1]);
	if (flows && flows != stdout)
		fclose(flows);
	if (rs.eb)
		event_base_free(rs.eb);
	ctx_free(&c);
	return rc;
}

/* ---------------------------------------------------------------- alerter */

static void alerter_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	if (level <= 3)
		ew_warn("kafka: %s: %s", fac, buf);
}

static int kset(rd_kafka_conf_t *kc, const char *k, const char *v)
{
	char e[256];

	if (rd_kafka_conf_set(kc, k, v, e, sizeof(e)) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "eastwatch alerter: %s: %s\n", k, e);
		return -1;
	}
	return 0;
}

/* Wait until every sink has delivered or spooled what it was given, then commit what
 * was read. */
static int alerter_commit(rd_kafka_t *rk, struct ew_sinkset *sinks, uint64_t *uncommitted)
{
	rd_kafka_resp_err_t e;

	if (*uncommitted == 0)
		return 0;
	while (!ew_sinkset_settled(sinks))
		usleep(2000);
	e = rd_kafka_commit(rk, NULL, 0);
	if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET) {
		ew_warn("alerter: commit failed: %s (alerts will be read again)", rd_kafka_err2str(e));
		return -1;
	}
	*uncommitted = 0;
	return 0;
}

static int cmd_alerter(int argc, char **argv)
{
	struct ctx c = { 0 };
	struct ew_sinkset *sinks = NULL;
	struct ew_conf *flagdoc[2] = { NULL, NULL };
	struct ew_conf_node an, n;
	const char *brokers = NULL, *topic = "eastwatch.alerts", *group = "eastwatch-alerter";
	rd_kafka_conf_t *kc = NULL;
	rd_kafka_t *rk = NULL;
	rd_kafka_topic_partition_list_t *tl = NULL;
	uint64_t uncommitted = 0, got = 0, bad = 0, last_commit;
	char e[512];
	int rc;

	if ((rc = command_opts(argc, argv, &c.o, "c:K:o:L:h", usage_alerter, 0, 0)) >= 0)
		return rc;
	rc = ctx_init(&c, 0);
	if (rc != 0)
		goto out;
	an = c.cfg.alerter;
	if (ew_conf_present(an)) {
		static const char *const keys[] = { "brokers", "topic", "group", "options", NULL };
		struct ew_err err;

		if (ew_conf_check_map(an, "alerter", keys, &err) != EW_OK) {
			fprintf(stderr, "%s\n", err.msg);
			rc = EXIT_INPUT;
			goto out;
		}
		if (ew_conf_present(n = ew_conf_get(an, "brokers")))
			brokers = ew_conf_str(n);
		if (ew_conf_present(n = ew_conf_get(an, "topic")))
			topic = ew_conf_str(n);
		if (ew_conf_present(n = ew_conf_get(an, "group")))
			group = ew_conf_str(n);
	}
	if (c.o.kafka)
		brokers = c.o.kafka;
	if (brokers == NULL) {
		fprintf(stderr, "eastwatch alerter: no brokers: give --kafka BROKERS or alerter.brokers "
			"in the configuration\n");
		rc = EXIT_USAGE;
		goto out;
	}
	sinks = ew_sinkset_new(c.cfg.pc.sensor, c.cfg.spool_dir);
	c.o.kafka = NULL;   /* the brokers to read from, not a sink */
	if (sinks == NULL || (rc = open_sinks(&c, sinks, flagdoc, NULL, 1)) != 0)
		goto out;
	kc = rd_kafka_conf_new();
	if (kset(kc, "bootstrap.servers", brokers) || kset(kc, "group.id", group) ||
	    kset(kc, "enable.auto.commit", "false") || kset(kc, "auto.offset.reset", "earliest") ||
	    kset(kc, "enable.partition.eof", "false")) {
		rc = EXIT_INPUT;
		goto out;
	}
	n = ew_conf_present(an) ? ew_conf_get(an, "options") : (struct ew_conf_node){ 0 };
	for (size_t i = 0; ew_conf_type(n) == EW_CONF_MAP && i < ew_conf_len(n); i++)
		if (kset(kc, ew_conf_str(ew_conf_key(n, i)), ew_conf_str(ew_conf_val(n, i)))) {
			rc = EXIT_INPUT;
			goto out;
		}
	rd_kafka_conf_set_log_cb(kc, alerter_log);
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, e, sizeof(e));
	if (rk == NULL) {
		fprintf(stderr, "eastwatch alerter: %s\n", e);
		rc = EXIT_RUNTIME;
		goto out;
	}
	kc = NULL;
	rd_kafka_poll_set_consumer(rk);
	tl = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(tl, topic, RD_KAFKA_PARTITION_UA);
	if (rd_kafka_subscribe(rk, tl) != 0) {
		fprintf(stderr, "eastwatch alerter: cannot subscribe to %s\n", topic);
		rc = EXIT_RUNTIME;
		goto out;
	}
	signal(SIGINT, on_stop_signal);
	signal(SIGTERM, on_stop_signal);
	ew_info("eastwatch %s alerter running: topic %s, group %s, %u sinks", EW_VERSION, topic,
		group, ew_sinkset_count(sinks));
	last_commit = ew_time_mono_us();
	while (!stop_requested) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
		uint64_t now = ew_time_mono_us();

		if (m) {
			if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
				struct ew_alert_parsed ap;
				struct ew_err err;

				got++;
				if (ew_alert_parse(&ap, m->payload, m->len, &err) == EW_OK) {
					ew_sinkset_emit(sinks, &ap.a);
				} else {
					bad++;
					ew_warn("alerter: %s [%d] offset %lld skipped: %s",
						rd_kafka_topic_name(m->rkt), (int)m->partition,
						(long long)m->offset, err.msg);
				}
				ew_alert_parsed_free(&ap);
				uncommitted++;
			} else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
				ew_warn("alerter: %s", rd_kafka_message_errstr(m));
			}
			rd_kafka_message_destroy(m);
		}
		if (uncommitted >= 10000 || (uncommitted && now - last_commit >= 500000)) {
			alerter_commit(rk, sinks, &uncommitted);
			last_commit = now;
		}
		if (now / 1000000 != (now - 100000) / 1000000)
			ew_sinkset_tick(sinks, ew_time_now_us());
	}
	ew_info("alerter: stopping: delivering what was read");
	ew_sinkset_flush(sinks, 10000);
	alerter_commit(rk, sinks, &uncommitted);
	ew_info("alerter: stopped: %llu alerts read, %llu not eastwatch alerts",
		(unsigned long long)got, (unsigned long long)bad);
	rc = 0;
out:
	if (tl)
		rd_kafka_topic_partition_list_destroy(tl);
	if (rk) {
		rd_kafka_consumer_close(rk);
		rd_kafka_destroy(rk);
	}
	if (kc)
		rd_kafka_conf_destroy(kc);
	ew_sinkset_free(sinks);
	ew_conf_free(flagdoc[0]);
	ew_conf_free(flagdoc[1]);
	ctx_free(&c);
	return rc;
}

/* ---------------------------------------------------------------- check */

static int cmd_check(int argc, char **argv)
{
	struct ctx c = { 0 };
	struct ew_policy_info pi;
	int rc;

	if ((rc = command_opts(argc, argv, &c.o, "c:r:h", usage_check, 0, 0)) >= 0)
		return rc;
	rc = ctx_init(&c, 1);
	if (rc == 0) {
		struct ew_sinkset *s = ew_sinkset_new(c.cfg.pc.sensor, c.cfg.spool_dir);
		struct ew_err err;
		size_t n = ew_conf_len(c.cfg.sinks);

		/* Sinks are validated by parsing them as the daemon would (secret files are
		 * read and checked; nothing is connected or created). */
		if (s)
			ew_sinkset_validate_only(s);
		for (size_t i = 0; s && i < n; i++)
			if (ew_sinkset_add(s, ew_conf_at(c.cfg.sinks, i), NULL, &err) != EW_OK) {
				fprintf(stderr, "%s\n", err.msg);
				rc = EXIT_INPUT;
				break;
			}
		if (rc == 0 && notify_unknown(c.pol, s, 1))
			rc = EXIT_INPUT;
		ew_sinkset_free(s);
	}
	if (rc == 0) {
		ew_policy_info(c.pol, &pi);
		printf("ok: %u groups, %u rules (%u allow, %u deny), %u files in %s; default %s%s%s\n",
		       pi.groups, pi.rules, pi.allow_rules, pi.deny_rules, pi.files, c.rules_dir,
		       pi.default_action == EW_DENY ? "deny" : "allow",
		       pi.default_action == EW_DENY ? " " : "",
		       pi.default_action == EW_DENY ? ew_severity_name(pi.default_severity) : "");
	}
	ctx_free(&c);
	return rc;
}

/* ---------------------------------------------------------------- explain */

static int parse_service_arg(const char *s, struct ew_flow *f)
{
	static const struct { const char *n; uint8_t p; } names[] = {
		{ "tcp", 6 }, { "udp", 17 }, { "sctp", 132 }, { "icmp", 1 }, { "ipv6-icmp", 58 },
		{ "icmpv6", 58 },
	};
	char proto[32];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	int found = 0;

	if (n == 0 || n >= sizeof(proto))
		return -1;
	memcpy(proto, s, n);
	proto[n] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(proto, names[i].n) == 0) {
			f->proto = names[i].p;
			found = 1;
		}
	if (!found) {
		char *end;
		unsigned long v = strtoul(proto, &end, 10);

		if (*end || v > 255 || proto[0] < '0' || proto[0] > '9')
			return -1;
		f->proto = (uint8_t)v;
	}
	if (slash) {
		char *end;
		unsigned long v = strtoul(slash + 1, &end, 10);

		if (*end || v > 65535 || slash[1] < '0' || slash[1] > '9')
			return -1;
		f->dport = (uint16_t)v;
	}
	if (f->proto == 1)
		f->sport = 8;         /* echo request, as a ping flow */
	else if (f->proto == 58)
		f->sport = 128;
	else
		f->sport = 49152;
	return 0;
}

static void print_groups(const struct ew_policy *pol, const char *label, uint32_t set)
{
	uint32_t n, shown = 0;
	const uint32_t *g = ew_policy_set(pol, set, &n);

	printf("  %s:", label);
	for (uint32_t i = 0; i < n; i++) {
		const struct ew_group *gr = ew_policy_group(pol, g[i]);

		if (gr->inline_members)
			continue;
		printf(" %s (%s:%u)", gr->name, gr->file, gr->line);
		shown++;
	}
	printf("%s\n", shown ? "" : " (none)");
}

static int cmd_explain(int argc, char **argv)
{
	struct ctx c = { 0 };
	struct ew_flow f;
	struct ew_verdict v;
	const struct ew_rule *m[64];
	char app[64], tb[8];
	uint32_t nm;
	int rc;

	if ((rc = command_opts(argc, argv, &c.o, "c:r:h", usage_explain, 3, 4)) >= 0)
		return rc;
	memset(&f, 0, sizeof(f));
	if (ew_addr_parse(&f.src, argv[optind]) || ew_addr_parse(&f.dst, argv[optind + 1])) {
		fprintf(stderr, "eastwatch explain: SRC and DST must be IP addresses\n");
		return EXIT_USAGE;
	}
	if (parse_service_arg(argv[optind + 2], &f) != 0) {
		fprintf(stderr, "eastwatch explain: bad service \"%s\": expected tcp/PORT, "
			"udp/PORT, icmp, ipv6-icmp or a protocol number\n", argv[optind + 2]);
		return EXIT_USAGE;
	}
	rc = ctx_init(&c, 1);
	if (rc != 0)
		goto out;
	if (argc - optind == 4) {
		int id = ew_classify_lookup(c.cls, argv[optind + 3]);

		if (id <= 0) {
			fprintf(stderr, "eastwatch explain: unknown application \"%s\" (use nDPI's "
				"names, e.g. TLS, SSH)\n", argv[optind + 3]);
			rc = EXIT_USAGE;
			goto out;
		}
		f.app_proto = (uint16_t)id;
		f.app_source = EW_APP_DPI;
	} else {
		ew_classify_guess(c.cls, &f);
	}
	ew_classify_port_apps(c.cls, &f);
	ew_policy_verdict(c.pol, &f, &v);
	ew_classify_flow_name(c.cls, &f, app, sizeof(app));
	printf("%s %s -> %s %s", v.action == EW_DENY ? "DENY" : "ALLOW", argv[optind],
	       argv[optind + 1], ew_transport_name(f.proto, tb));
	if (f.proto == 6 || f.proto == 17 || f.proto == 132)
		printf("/%u", f.dport);
	if (f.app_source == EW_APP_DPI)
		printf(" app %s (as observed)", app);
	else if (f.app_source == EW_APP_PORT)
		printf(" app %s (port guess: allow rules' apps are waived)", app);
	else
		printf(" (application unknown: allow rules' apps are waived)");
	for (int k = 0; k < 3 && f.port_app[k]; k++)   /* deny rules' apps also hold on these */
		printf("%s%s", k ? ", " : "; the port's: ", ew_classify_name(c.cls, f.port_app[k]));
	printf("\n");
	switch (v.by) {
	case EW_BY_DENY_RULE:
		printf("  decided by deny rule \"%s\" at %s:%u, severity %s\n", v.rule->name,
		       v.rule->file, v.rule->line, ew_severity_name(v.severity));
		break;
	case EW_BY_ALLOW_RULE:
		printf("  allowed by rule \"%s\" at %s:%u\n", v.rule->name, v.rule->file,
		       v.rule->line);
		break;
	case EW_BY_INTRA:
		printf("  allowed: both ends are in group \"%s\" (intra: allow, %s:%u)\n",
		       ew_policy_group(c.pol, v.intra_group)->name,
		       ew_policy_group(c.pol, v.intra_group)->file,
		       ew_policy_group(c.pol, v.intra_group)->line);
		break;
	default: {
		struct ew_policy_info pi;

		ew_policy_info(c.pol, &pi);
		printf("  no rule matches: the default action decides (%s%s%s, %s:%u)\n",
		       v.action == EW_DENY ? "deny" : "allow", v.action == EW_DENY ? ", severity " : "",
		       v.action == EW_DENY ? ew_severity_name(v.severity) : "", pi.default_file,
		       pi.default_line);
	}
	}
	print_groups(c.pol, "source groups", v.src_set);
	print_groups(c.pol, "destination groups", v.dst_set);
	nm = ew_policy_matches(c.pol, &f, m, 64);
	for (uint32_t i = 0; i < nm && i < 64; i++) {
		if (m[i] == v.rule)
			continue;
		printf("  also matches %s rule \"%s\" at %s:%u%s\n",
		       m[i]->action == EW_DENY ? "deny" : "allow", m[i]->name, m[i]->file,
		       m[i]->line,
		       m[i]->action == EW_ALLOW && v.action == EW_DENY ? " (a deny rule overrides it)" : "");
	}
out:
	ctx_free(&c);
	return rc;
}

/* ---------------------------------------------------------------- learn */

static void learn_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopexit(arg, NULL);
}

/* The proposal compiled (for --diff without --rules): written to memory and loaded. */
static struct ew_policy *proposal_policy(struct ctx *c, struct ew_learn *l, struct ew_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	struct ew_policy_opts po = { resolve_app, c->cls, NULL, c->inv };
	struct ew_policy *p;

	if (m == NULL) {
		ew_err_set(err, "learn: out of memory");
		return NULL;
	}
	ew_learn_write_policy(l, m, "the observed traffic");
	fclose(m);
	p = ew_policy_load_mem("(proposal)", buf, len, &po, err);
	free(buf);
	return p;
}

static int cmd_learn(int argc, char **argv)
{
	struct ctx c = { 0 };
	struct ew_pipeline_conf pc;
	struct ew_pipeline *p = NULL;
	struct ew_sinkset *sinks = NULL;
	struct ew_policy *allow_all = NULL, *existing = NULL, *after = NULL, *before = NULL;
	struct ew_bundle *eb_rules = NULL, *eb_after = NULL;
	struct ew_learn_conf lc = { 0 };
	struct ew_learn *l = NULL;
	struct ew_learn_stats ls;
	struct ew_err err;
	struct ew_policy_opts po;
	char from[512];
	uint64_t for_us = 0;
	FILE *out = NULL;
	int rc, nop;

	if ((rc = command_opts(argc, argv, &c.o, "c:r:o:G:D:T:i:I:N:s:f:qh", usage_learn, 0,
			       INT_MAX)) >= 0)
		return rc;
	nop = argc - optind;
	if (c.o.learn_for && (ew_duration_parse(c.o.learn_for, &for_us) != 0 || for_us == 0)) {
		fprintf(stderr, "eastwatch learn: bad --for \"%s\" (e.g. 90s, 10m, 1h)\n", c.o.learn_for);
		return EXIT_USAGE;
	}
	if ((nop == 0) == (for_us == 0) || (for_us && c.o.nifaces + c.o.nlisten == 0)) {
		fprintf(stderr, "eastwatch learn: give capture files, or --for DURATION with live "
			"sources (--iface, --ipfix, --netflow, --sflow)\n");
		fputs(usage_learn, stderr);
		return EXIT_USAGE;
	}
	rc = ctx_init(&c, 0);
	if (rc != 0)
		goto out;
	c.cfg.nsrc = 0;                  /* learn observes what its command line names */
	rc = EXIT_INPUT;
	if (load_inventory(&c, &err) != EW_OK) {
		fprintf(stderr, "%s\n", err.msg);
		goto out;
	}
	po = (struct ew_policy_opts){ resolve_app, c.cls, NULL, c.inv };
	if (c.o.rules) {                 /* an existing policy names the hosts */
		if ((eb_rules = ew_bundle_from_dir(c.o.rules, NULL, &err)) == NULL ||
		    (existing = ew_bundle_load(eb_rules, &po, &err)) == NULL) {
			fprintf(stderr, "%s\n", err.msg);
			goto out;
		}
	}
	if (c.o.diff && ((eb_after = ew_bundle_from_dir(c.o.diff, NULL, &err)) == NULL ||
			 (after = ew_bundle_load(eb_after, &po, &err)) == NULL)) {
		fprintf(stderr, "%s\n", err.msg);
		goto out;
	}
	allow_all = ew_policy_load_mem("(learn)", "default: { action: allow }\n", 27, &po, &err);
	lc.groups_from = existing;
	lc.inv = c.inv;
	l = ew_learn_new(&lc, c.cls);
	sinks = ew_sinkset_new(c.cfg.pc.sensor, NULL);
	pc = c.cfg.pc;
	pc.scan_enabled = 0;
	pc.edges_path = NULL;
	memset(pc.risk_sev, EW_RISK_OFF, sizeof(pc.risk_sev));
	pc.flow_fn = ew_learn_flow;
	pc.flow_arg = l;
	rc = EXIT_RUNTIME;
	if (allow_all == NULL || l == NULL || sinks == NULL ||
	    (p = ew_pipeline_new(&pc, c.cls, allow_all, sinks, &err)) == NULL) {
		fprintf(stderr, "eastwatch learn: cannot start\n");
		goto out;
	}
	signal(SIGINT, on_stop_signal);
	signal(SIGTERM, on_stop_signal);
	if (for_us) {
		struct event_base *evb = event_base_new();
		struct runsrc srcs[EW_MAX_SOURCES * 2];
		int n = 0, live = 0;
		struct event *stop = NULL, *sig[2] = { NULL, NULL };
		struct timeval tv = { (time_t)(for_us / 1000000), (suseconds_t)(for_us % 1000000) };

		if (evb == NULL)
			goto out;
		rc = open_sources(&c, evb, p, srcs, &n, &live);
		if (rc == 0) {
			stop = evtimer_new(evb, learn_stop, evb);
			evtimer_add(stop, &tv);
			sig[0] = evsignal_new(evb, SIGINT, learn_stop, evb);
			sig[1] = evsignal_new(evb, SIGTERM, learn_stop, evb);
			event_add(sig[0], NULL);
			event_add(sig[1], NULL);
			ew_info("learning from live sources for %s", c.o.learn_for);
			event_base_dispatch(evb);
		}
		for (int i = 0; i < n; i++)
			srcs[i].ops->close(srcs[i].st);
		for (int i = 0; i < 2; i++)
			if (sig[i])
				event_free(sig[i]);
		if (stop)
			event_free(stop);
		event_base_free(evb);
		if (rc != 0)
			goto out;
		snprintf(from, sizeof(from), "live sources over %s", c.o.learn_for);
	} else {
		size_t len = 0;

		from[0] = '\0';
		for (int i = optind; i < argc && !stop_requested; i++) {
			const char *type = ew_source_file_type(argv[i]);   /* capture or flow log */
			const struct ew_source_ops *ops = ew_source_find(type);
			struct ew_source_conf sc = { .type = type, .target = argv[i],
						     .filter = c.o.filter, .id = (uint16_t)(i - optind),
						     .stop = &stop_requested };
			struct ew_source_out so = { .packet = ew_pipeline_packet,
						    .record = pipeline_record, .arg = p };
			void *st = NULL;
			const char *base = strrchr(argv[i], '/');

			if (ops->open(&st, &sc, NULL, &so, &err) != EW_OK || ops->run(st, &err) != EW_OK) {
				fprintf(stderr, "eastwatch: %s\n", err.msg);
				if (st)
					ops->close(st);
				rc = EXIT_INPUT;
				goto out;
			}
			ops->close(st);
			if (len + 64 < sizeof(from))
				len += (size_t)snprintf(from + len, sizeof(from) - len, "%s%s",
							len ? ", " : "", base ? base + 1 : argv[i]);
		}
	}
	ew_pipeline_finish(p);
	rc = EXIT_RUNTIME;
	if (c.o.output || !c.o.diff) {
		out = c.o.output ? fopen(c.o.output, "w") : stdout;
		if (out == NULL || ew_learn_write_policy(l, out, from) != EW_OK) {
			fprintf(stderr, "eastwatch learn: cannot write %s\n", c.o.output);
			goto out;
		}
		if (out != stdout)
			fclose(out);
		out = NULL;
	}
	if (c.o.graph) {
		FILE *g = fopen(c.o.graph, "w");

		if (g == NULL || ew_learn_write_graph(l, g) != EW_OK) {
			fprintf(stderr, "eastwatch learn: cannot write %s\n", c.o.graph);
			if (g)
				fclose(g);
			goto out;
		}
		fclose(g);
	}
	if (c.o.diff) {
		before = existing ? existing : proposal_policy(&c, l, &err);
		if (before == NULL) {
			fprintf(stderr, "eastwatch learn: the proposal does not compile: %s\n", err.msg);
			goto out;
		}
		ew_learn_diff(l, before, existing ? c.o.rules : "the proposal (what was observed)",
			      after, c.o.diff, stdout);
		if (before != existing)
			ew_policy_free(before);
	}
	ew_learn_stats(l, &ls);
	if (!c.o.quiet)
		fprintf(stderr, "eastwatch learn: %llu flows, %llu distinct flows between %llu hosts"
			"%s\n", (unsigned long long)ls.flows, (unsigned long long)ls.edges,
			(unsigned long long)ls.hosts, ls.dropped ? " (table full: some not recorded)" : "");
	rc = 0;
out:
	ew_pipeline_free(p);
	ew_sinkset_free(sinks);
	ew_learn_free(l);
	ew_policy_free(allow_all);
	ew_policy_free(existing);
	ew_policy_free(after);
	ew_bundle_free(eb_rules);
	ew_bundle_free(eb_after);
	ctx_free(&c);
	return rc;
}

/* ---------------------------------------------------------------- policy push */

static int cmd_policy(int argc, char **argv)
{
	struct ctx c = { 0 };
	struct ew_err err;
	struct ew_bundle *b = NULL, *prevb = NULL;
	struct ew_policy *pol = NULL, *prevp = NULL;
	struct ew_policy_info pi;
	redisContext *rc_redis = NULL;
	char previous[80] = "", change[2048], author[128];
	const char *sub;
	int rc;

	if ((rc = command_opts(argc, argv, &c.o, "c:R:A:h", usage_policy, 1, 2)) >= 0)
		return rc;
	sub = argv[optind];
	if (c.o.redis == NULL || (strcmp(sub, "push") == 0) != (argc - optind == 2) ||
	    (strcmp(sub, "push") != 0 && strcmp(sub, "show") != 0)) {
		fputs(usage_policy, stderr);
		return EXIT_USAGE;
	}
	if ((rc = ctx_init(&c, 0)) != 0)
		goto out;
	if ((rc_redis = ew_central_connect(c.o.redis, &err)) == NULL) {
		fprintf(stderr, "eastwatch policy: %s\n", err.msg);
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (strcmp(sub, "show") == 0) {
		redisReply *r;

		if (ew_central_current(rc_redis, previous, &err) != EW_OK) {
			fprintf(stderr, "eastwatch policy: %s\n", err.msg);
			rc = EXIT_RUNTIME;
			goto out;
		}
		printf("current: %s\n", previous[0] ? previous : "(none)");
		r = redisCommand(rc_redis, "XREVRANGE eastwatch:audit + - COUNT 10");
		for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
			const redisReply *e = r->element[i];

			if (e->elements != 2)
				continue;
			printf("%s", e->element[0]->str);
			for (size_t k = 0; k + 1 < e->element[1]->elements; k += 2)
				printf(" %s=%s", e->element[1]->element[k]->str,
				       e->element[1]->element[k + 1]->str);
			printf("\n");
		}
		if (r)
			freeReplyObject(r);
		rc = 0;
		goto out;
	}
	rc = EXIT_INPUT;
	if (load_inventory(&c, &err) != EW_OK) {
		fprintf(stderr, "%s\n", err.msg);
		goto out;
	}
	b = ew_bundle_from_dir(argv[optind + 1], NULL, &err);
	if (b == NULL || (pol = compile(&c, b, &err)) == NULL) {
		fprintf(stderr, "%s\n", err.msg);
		fprintf(stderr, "eastwatch policy push: refused; nothing was stored, the version in "
			"force stays\n");
		goto out;
	}
	if (c.o.author)
		snprintf(author, sizeof(author), "%s", c.o.author);
	else if (getenv("SUDO_USER"))
		snprintf(author, sizeof(author), "%s", getenv("SUDO_USER"));
	else if (getenv("USER"))
		snprintf(author, sizeof(author), "%s", getenv("USER"));
	else
		snprintf(author, sizeof(author), "uid %u", (unsigned)getuid());
	if (ew_central_current(rc_redis, previous, &err) == EW_OK && previous[0]) {
		if (strcmp(previous, b->version) == 0) {
			printf("policy %s is already the current version\n", b->version);
			rc = 0;
			goto out;
		}
		prevb = ew_central_fetch(rc_redis, previous, &err);
		if (prevb)
			prevp = compile(&c, prevb, &err);
	}
	ew_policy_change(prevb, prevp, b, pol, change, sizeof(change));
	if (ew_central_push(rc_redis, b, author, change, previous, &err) != EW_OK) {
		fprintf(stderr, "eastwatch policy push: %s\n", err.msg);
		rc = EXIT_RUNTIME;
		goto out;
	}
	ew_policy_info(pol, &pi);
	printf("pushed %s (%u files, %u groups, %u rules) by %s, replacing %s: %s\n", b->version,
	       b->n, pi.groups, pi.rules, author, previous[0] ? previous : "nothing", change);
	rc = 0;
out:
	ew_central_close(rc_redis);
	ew_policy_free(pol);
	ew_policy_free(prevp);
	ew_bundle_free(b);
	ew_bundle_free(prevb);
	ctx_free(&c);
	return rc;
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		fputs(usage_top, stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage_top, stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("eastwatch %s\n", EW_VERSION);
		return 0;
	}
	if (strcmp(cmd, "replay") == 0)
		return cmd_replay(argc - 1, argv + 1);
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(cmd, "alerter") == 0)
		return cmd_alerter(argc - 1, argv + 1);
	if (strcmp(cmd, "explain") == 0)
		return cmd_explain(argc - 1, argv + 1);
	if (strcmp(cmd, "learn") == 0)
		return cmd_learn(argc - 1, argv + 1);
	if (strcmp(cmd, "policy") == 0)
		return cmd_policy(argc - 1, argv + 1);
	fprintf(stderr, "eastwatch: unknown command \"%s\"\n\n%s", cmd, usage_top);
	return EXIT_USAGE;
}
