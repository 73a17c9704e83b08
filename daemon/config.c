/* SPDX-License-Identifier: Apache-2.0 */
/* config - see config.h. */
#include "daemon/config.h"
#include "analyzer/classify.h"
#include "collector/exptab.h"
#include "collector/source.h"
#include "core/ew_sev.h"
#include "core/ew_log.h"
#include "core/ew_time.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void ew_config_init(struct ew_config *c)
{
	memset(c, 0, sizeof(*c));
	c->sensor = NULL;
	c->spool_dir = "/var/lib/eastwatch/spool";
	c->rules = NULL;
	ew_pipeline_conf_default(&c->pc);
	ew_cls_conf_default(&c->cls);
	c->log_level = EW_LOG_INFO;
}

void ew_config_free(struct ew_config *c)
{
	for (unsigned i = 0; i < c->nsrc; i++) {
		free(c->src[i].exporters);
		c->src[i].exporters = NULL;
	}
	free(c->home);
	c->home = NULL;
	c->pc.home = NULL;
	c->pc.nhome = 0;
	ew_conf_free(c->doc);
	c->doc = NULL;
}

static int opt_str(struct ew_conf_node m, const char *k, const char **out, struct ew_err *err)
{
	struct ew_conf_node n = ew_conf_get(m, k);

	if (!ew_conf_present(n))
		return EW_OK;
	return ew_conf_string(n, out, err);
}

static int opt_dur(struct ew_conf_node m, const char *k, uint64_t *out, struct ew_err *err)
{
	struct ew_conf_node n = ew_conf_get(m, k);

	return ew_conf_present(n) ? ew_conf_duration(n, out, err) : EW_OK;
}

static int opt_u32(struct ew_conf_node m, const char *k, uint64_t min, uint64_t max,
		   uint32_t *out, struct ew_err *err)
{
	struct ew_conf_node n = ew_conf_get(m, k);
	uint64_t v;

	if (!ew_conf_present(n))
		return EW_OK;
	if (ew_conf_uint(n, max, &v, err) != EW_OK)
		return EW_E_INVAL;
	if (v < min)
		return ew_conf_errf(err, n, "%s must be at least %llu", k, (unsigned long long)min);
	*out = (uint32_t)v;
	return EW_OK;
}

/* An address to listen on, checked as the daemon will use it: "ADDR:PORT", "[V6]:PORT"
 * or ":PORT", a numeric address and a port 1-65535 (check said ok to 127.0.0.1:99999 and
 * to a bare host name, which run then refused). */
static int check_listen(struct ew_conf_node n, struct ew_err *err)
{
	char host[128];
	uint16_t port;
	struct ew_addr a;
	const char *s = ew_conf_str(n);

	if (ew_hostport_split(s, host, sizeof(host), &port, 0) != 0)
		return ew_conf_errf(err, n, "\"%s\": expected ADDRESS:PORT, [IPV6]:PORT or :PORT "
				    "(a port 1-65535)", s);
	if (host[0] && ew_addr_parse(&a, host) != 0)
		return ew_conf_errf(err, n, "\"%s\": %s is not a numeric address", s, host);
	return EW_OK;
}

/* HOST:PORT of a server (Redis): a port 1-65535 is required. */
static int check_server(struct ew_conf_node n, uint16_t defport, struct ew_err *err)
{
	char host[256];
	uint16_t port;
	const char *s = ew_conf_str(n);

	if (ew_hostport_split(s, host, sizeof(host), &port, defport) != 0 || !host[0])
		return ew_conf_errf(err, n, "\"%s\": expected HOST:PORT (a port 1-65535)", s);
	return EW_OK;
}

/* KEY: [ADDR or PREFIX, ...] into *out (allocated), *n entries. */
static int parse_prefixes(const char *key, struct ew_conf_node n, struct ew_prefix **out,
			  uint32_t *nout, struct ew_err *err)
{
	size_t k = ew_conf_len(n);

	if (ew_conf_type(n) != EW_CONF_SEQ || k == 0)
		return ew_conf_errf(err, n, "%s: expected a list of addresses or prefixes", key);
	if (k > 65536)
		return ew_conf_errf(err, n, "%s: more than 65536 entries", key);
	*out = calloc(k, sizeof(**out));
	if (*out == NULL)
		return ew_conf_errf(err, n, "out of memory");
	for (size_t i = 0; i < k; i++) {
		struct ew_conf_node x = ew_conf_at(n, i);
		const char *v;
		unsigned len;

		if (ew_conf_string(x, &v, err) != EW_OK)
			return EW_E_INVAL;
		if (ew_prefix_parse(&(*out)[i].a, &len, v, 0) != 0)
			return ew_conf_errf(err, x, "%s: \"%s\" is not an address or a prefix (host "
					    "bits must be zero)", key, v);
		(*out)[i].len = (uint8_t)len;
	}
	*nout = (uint32_t)k;
	return EW_OK;
}

/* exporters: [ADDR or PREFIX, ...]: the only sources a listener takes datagrams from. */
static int parse_exporters(struct ew_config_source *s, struct ew_conf_node n, struct ew_err *err)
{
	return parse_prefixes("exporters", n, &s->exporters, &s->nexporters, err);
}

/* A source's mapping: its type picks its entry in the source registry, which says the
 * key naming what to read and the further keys it takes (collector/source.h). */
static int parse_source(struct ew_config *c, struct ew_conf_node n, struct ew_err *err)
{
	const char *keys[24];
	const struct ew_source_ops *ops;
	struct ew_config_source *s;
	struct ew_conf_node t, x;
	size_t nk = 0;
	uint32_t v;

	if (ew_conf_type(n) != EW_CONF_MAP)
		return ew_conf_errf(err, n, "a source is a mapping (type: ...)");
	if (c->nsrc == EW_MAX_SOURCES)
		return ew_conf_errf(err, n, "more than %d sources", EW_MAX_SOURCES);
	t = ew_conf_get(n, "type");
	if (!ew_conf_present(t))
		return ew_conf_errf(err, n, "source has no type");
	ops = ew_source_find(ew_conf_str(t));
	if (ops == NULL)
		return ew_conf_errf(err, t, "unknown source type \"%s\" (expected %s)",
				    ew_conf_str(t), ew_source_names());
	keys[nk++] = "type";
	keys[nk++] = ops->target_key;
	for (size_t i = 0; ops->keys && ops->keys[i] && nk + 1 < sizeof(keys) / sizeof(keys[0]); i++)
		keys[nk++] = ops->keys[i];
	keys[nk] = NULL;
	for (size_t i = 0; i < ew_conf_len(n); i++)   /* each worker reads every source */
		if (strcmp(ew_conf_str(ew_conf_key(n, i)), "workers") == 0)
			return ew_conf_errf(err, ew_conf_key(n, i),
					    "workers is the sensor's, not a source's: \"workers: N\" "
					    "at the top level (or --workers N) splits every source "
					    "over N workers");
	if (ew_conf_check_map(n, "source", keys, err) != EW_OK)
		return EW_E_INVAL;
	s = &c->src[c->nsrc];
	memset(s, 0, sizeof(*s));
	s->promisc = 1;
	s->silence_us = 300 * 1000000ULL;
	s->type = ops->name;            /* "netflow" is "ipfix": one decoder takes v5, v9 and IPFIX */
	x = ew_conf_get(n, ops->target_key);
	if (!ew_conf_present(x))
		return ew_conf_errf(err, n, "%s source needs %s:", ew_conf_str(t), ops->target_key);
	if (strcmp(ops->target_key, "listen") == 0 && ew_conf_type(x) == EW_CONF_SCALAR &&
	    check_listen(x, err) != EW_OK)
		return EW_E_INVAL;
	if (ew_conf_string(x, &s->target, err) != EW_OK ||
	    opt_str(n, "filter", &s->filter, err) != EW_OK)
		return EW_E_INVAL;
	x = ew_conf_get(n, "promisc");
	if (ew_conf_present(x) && ew_conf_bool(x, &s->promisc, err) != EW_OK)
		return EW_E_INVAL;
	v = 0;
	if (opt_u32(n, "buffer_mb", 1, 4096, &v, err) != EW_OK)
		return EW_E_INVAL;
	s->buffer_mb = (int)v;
	v = 0;
	if (opt_u32(n, "snaplen", 64, 262144, &v, err) != EW_OK)
		return EW_E_INVAL;
	s->snaplen = (int)v;
	v = 0;
	if (opt_u32(n, "block_ms", 1, 1000, &v, err) != EW_OK)
		return EW_E_INVAL;
	s->block_ms = (int)v;
	if (opt_dur(n, "silence", &s->silence_us, err) != EW_OK ||
	    opt_u32(n, "max_exporters", 1, EW_EXPTAB_MOST, &s->max_exporters, err) != EW_OK ||
	    opt_u32(n, "max_templates", 1, 1u << 20, &s->max_templates, err) != EW_OK)
		return EW_E_INVAL;
	x = ew_conf_get(n, "exporters");
	if (ew_conf_present(x)) {
		c->nsrc++;     /* so that ew_config_free frees the list, even half-made */
		return parse_exporters(s, x, err);
	}
	c->nsrc++;
	return EW_OK;
}

/* An optional severity word at n.key into *out. */
static int opt_sev(struct ew_conf_node n, const char *key, uint8_t *out, struct ew_err *err)
{
	const char *w = NULL;
	int sev;

	if (opt_str(n, key, &w, err) != EW_OK)
		return EW_E_INVAL;
	if (w == NULL)
		return EW_OK;
	sev = ew_severity_parse(w);
	if (sev < 0)
		return ew_conf_errf(err, ew_conf_get(n, key), "bad severity \"%s\": expected info, "
				    "low, medium, high or critical", w);
	*out = (uint8_t)sev;
	return EW_OK;
}

/* scan: { enabled, window, settle, hosts, ports, attempts, attempt_ports: [tcp/22, ...],
 *         max_sources, hold, severity } */
static int parse_scan(struct ew_config *c, struct ew_conf_node n, struct ew_err *err)
{
	static const char *const keys[] = { "enabled", "window", "settle", "hosts", "ports",
					    "attempts",
					    "attempt_ports", "max_sources", "hold", "severity",
					    NULL };
	struct ew_scan_conf *sc = &c->pc.scan;
	struct ew_conf_node x;

	if (ew_conf_check_map(n, "the scan detector", keys, err) != EW_OK)
		return EW_E_INVAL;
	if (ew_conf_present(x = ew_conf_get(n, "enabled")) &&
	    ew_conf_bool(x, &c->pc.scan_enabled, err) != EW_OK)
		return EW_E_INVAL;
	if (opt_dur(n, "window", &sc->window_us, err) != EW_OK ||
	    opt_dur(n, "settle", &sc->settle_us, err) != EW_OK ||
	    opt_dur(n, "hold", &c->pc.scan_hold_us, err) != EW_OK ||
	    opt_u32(n, "hosts", 2, 1000000, &sc->hosts, err) != EW_OK ||
	    opt_u32(n, "ports", 2, 65536, &sc->ports, err) != EW_OK ||
	    opt_u32(n, "attempts", 2, 1000000, &sc->attempts, err) != EW_OK ||
	    opt_u32(n, "max_sources", 64, 16777216, &sc->max_sources, err) != EW_OK ||
	    opt_sev(n, "severity", &c->pc.scan_sev, err) != EW_OK)
		return EW_E_INVAL;
	if (sc->window_us < 1000000)
		return ew_conf_errf(err, ew_conf_get(n, "window"), "window must be at least 1s");
	if (sc->settle_us > sc->window_us)
		sc->settle_us = sc->window_us;
	x = ew_conf_get(n, "attempt_ports");
	if (!ew_conf_present(x))
		return EW_OK;
	if (ew_conf_type(x) != EW_CONF_SEQ)
		return ew_conf_errf(err, x, "attempt_ports must be a list like [tcp/22, tcp/3389]");
	memset(sc->attempt_ports, 0, sizeof(sc->attempt_ports));
	for (size_t i = 0; i < ew_conf_len(x); i++) {
		const char *v = ew_conf_str(ew_conf_at(x, i));
		char *end;
		unsigned long port;

		if (strncmp(v, "tcp/", 4) == 0)
			v += 4;
		port = strtoul(v, &end, 10);
		if (*v == '\0' || *end != '\0' || port == 0 || port > 65535)
			return ew_conf_errf(err, ew_conf_at(x, i), "bad attempt port \"%s\": "
					    "expected tcp/PORT", ew_conf_str(ew_conf_at(x, i)));
		sc->attempt_ports[port >> 3] |= (uint8_t)(1u << (port & 7));
	}
	return EW_OK;
}

/* detectors: { risk: { enabled: BOOL, severity: { "NDPI RISK NAME": SEVERITY|off } },
 *             new_edge: { state: FILE, learn_for: DURATION, max: N, severity: SEV },
 *             scan: { ... } } */
static int parse_detectors(struct ew_config *c, struct ew_conf_node n, struct ew_err *err)
{
	static const char *const k_det[] = { "risk", "new_edge", "scan", NULL };
	static const char *const k_edge[] = { "state", "learn_for", "max", "severity", NULL };
	struct ew_conf_node ne = ew_conf_get(n, "new_edge");
	static const char *const k_risk[] = { "enabled", "severity", NULL };
	struct ew_conf_node r = ew_conf_get(n, "risk"), e, sv;
	int on = 1;

	if (ew_conf_check_map(n, "detectors", k_det, err) != EW_OK)
		return EW_E_INVAL;
	if (ew_conf_present(e = ew_conf_get(n, "scan")) && parse_scan(c, e, err) != EW_OK)
		return EW_E_INVAL;
	if (ew_conf_present(ne)) {
		if (ew_conf_check_map(ne, "the new-edge detector", k_edge, err) != EW_OK ||
		    opt_str(ne, "state", &c->pc.edges_path, err) != EW_OK ||
		    opt_dur(ne, "learn_for", &c->pc.edges_learn_us, err) != EW_OK ||
		    opt_u32(ne, "max", 1, 100000000, &c->pc.edges_max, err) != EW_OK ||
		    opt_sev(ne, "severity", &c->pc.edges_sev, err) != EW_OK)
			return EW_E_INVAL;
		if (c->pc.edges_path == NULL)
			return ew_conf_errf(err, ne, "new_edge needs state: the file that keeps the "
					    "baseline across restarts");
	}
	if (!ew_conf_present(r))
		return EW_OK;
	if (ew_conf_check_map(r, "the risk detector", k_risk, err) != EW_OK)
		return EW_E_INVAL;
	if (ew_conf_present(e = ew_conf_get(r, "enabled")) && ew_conf_bool(e, &on, err) != EW_OK)
		return EW_E_INVAL;
	if (!on) {
		memset(c->pc.risk_sev, EW_RISK_OFF, sizeof(c->pc.risk_sev));
		return EW_OK;
	}
	sv = ew_conf_get(r, "severity");
	if (!ew_conf_present(sv))
		return EW_OK;
	if (ew_conf_type(sv) != EW_CONF_MAP)
		return ew_conf_errf(err, sv, "severity must map nDPI risk names to a severity or off");
	for (size_t i = 0; i < ew_conf_len(sv); i++) {
		const char *name = ew_conf_str(ew_conf_key(sv, i)), *v = ew_conf_str(ew_conf_val(sv, i));
		int bit = -1, sev;

		for (int b = 1; b < 64 && bit < 0; b++) {
			const char *rn = ew_classify_risk_name(b);

			if (rn && strcasecmp(rn, name) == 0)
				bit = b;
		}
		if (bit < 0)
			return ew_conf_errf(err, ew_conf_key(sv, i), "unknown nDPI risk \"%s\" (names as "
					    "ndpiReader prints them, e.g. \"Clear-Text Credentials\")",
					    name);
		if (strcmp(v, "off") == 0) {
			c->pc.risk_sev[bit] = EW_RISK_OFF;
			continue;
		}
		sev = ew_severity_parse(v);
		if (sev < 0)
			return ew_conf_errf(err, ew_conf_val(sv, i), "bad severity \"%s\": expected "
					    "info, low, medium, high, critical or off", v);
		c->pc.risk_sev[bit] = (uint8_t)sev;
	}
	return EW_OK;
}

int ew_config_load(struct ew_config *c, const char *path, struct ew_err *err)
{
	static const char *const top[] = { "sensor", "rules", "policy", "inventory", "sources", "sinks",
					   "throttle", "flows", "classify", "log", "user", "spool_dir",
					   "alerter", "analyze", "metrics", "detectors", "workers",
					   "home_networks", NULL };
	static const char *const k_sensor[] = { "name", NULL };
	static const char *const k_inv[] = { "file", "redis", NULL };
	static const char *const k_pol[] = { "redis", NULL };
	static const char *const k_thr[] = { "window", "max_keys", "redis", NULL };
	static const char *const k_flows[] = { "max", "tcp_idle", "tcp_handshake", "tcp_closed",
					       "udp_idle", "other_idle", "active", "max_unpaired",
					       NULL };
	static const char *const k_cls[] = { "max_active", "max_tcp_packets", "max_udp_packets",
					     "confirm", NULL };
	static const char *const k_log[] = { "level", "format", NULL };
	struct ew_conf_node root, n;

	if (ew_conf_load(&c->doc, path, err) != EW_OK)
		return EW_E_INVAL;
	root = ew_conf_root(c->doc);
	if (!ew_conf_present(root))
		return EW_OK;
	if (ew_conf_check_map(root, "the configuration", top, err) != EW_OK)
		return EW_E_INVAL;
	n = ew_conf_get(root, "sensor");
	if (ew_conf_present(n) && (ew_conf_check_map(n, "sensor", k_sensor, err) != EW_OK ||
				   opt_str(n, "name", &c->sensor, err) != EW_OK))
		return EW_E_INVAL;
	if (opt_str(root, "rules", &c->rules, err) != EW_OK ||
	    opt_str(root, "user", &c->user, err) != EW_OK ||
	    opt_str(root, "spool_dir", &c->spool_dir, err) != EW_OK)
		return EW_E_INVAL;
	if (opt_u32(root, "workers", 1, 32, &c->workers, err) != EW_OK)
		return EW_E_INVAL;
	if (c->user && getpwnam(c->user) == NULL)
		return ew_conf_errf(err, ew_conf_get(root, "user"), "no such user \"%s\" on this "
				    "host", c->user);
	if (c->spool_dir && c->spool_dir[0] != '/')
		return ew_conf_errf(err, ew_conf_get(root, "spool_dir"),
				    "spool_dir must be an absolute path");
	n = ew_conf_get(root, "inventory");
	if (ew_conf_present(n)) {
		if (ew_conf_check_map(n, "inventory", k_inv, err) != EW_OK ||
		    opt_str(n, "file", &c->inventory, err) != EW_OK ||
		    opt_str(n, "redis", &c->inventory_redis, err) != EW_OK)
			return EW_E_INVAL;
		if ((c->inventory == NULL) == (c->inventory_redis == NULL))
			return ew_conf_errf(err, n, "inventory needs file: or redis: (one of them)");
		if (c->inventory_redis && check_server(ew_conf_get(n, "redis"), 6379, err) != EW_OK)
			return EW_E_INVAL;
	}
	n = ew_conf_get(root, "policy");
	if (ew_conf_present(n)) {
		if (ew_conf_check_map(n, "policy", k_pol, err) != EW_OK ||
		    opt_str(n, "redis", &c->policy_redis, err) != EW_OK)
			return EW_E_INVAL;
		if (c->policy_redis == NULL)
			return ew_conf_errf(err, n, "policy needs redis: \"HOST:PORT\"");
		if (check_server(ew_conf_get(n, "redis"), 6379, err) != EW_OK)
			return EW_E_INVAL;
		if (c->rules)
			return ew_conf_errf(err, n, "policy: { redis } and rules: exclude each other: "
					    "the policy comes from one place");
	}
	n = ew_conf_get(root, "sources");
	if (ew_conf_present(n)) {
		if (ew_conf_type(n) != EW_CONF_SEQ)
			return ew_conf_errf(err, n, "sources must be a list");
		for (size_t i = 0; i < ew_conf_len(n); i++)
			if (parse_source(c, ew_conf_at(n, i), err) != EW_OK)
				return EW_E_INVAL;
	}
	n = ew_conf_get(root, "metrics");
	if (ew_conf_present(n)) {
		static const char *const k_met[] = { "listen", NULL };

		if (ew_conf_check_map(n, "metrics", k_met, err) != EW_OK ||
		    opt_str(n, "listen", &c->metrics, err) != EW_OK)
			return EW_E_INVAL;
		if (c->metrics && check_listen(ew_conf_get(n, "listen"), err) != EW_OK)
			return EW_E_INVAL;
	}
	n = ew_conf_get(root, "detectors");
	if (ew_conf_present(n) && parse_detectors(c, n, err) != EW_OK)
		return EW_E_INVAL;
	n = ew_conf_get(root, "home_networks");
	if (ew_conf_present(n) &&
	    parse_prefixes("home_networks", n, &c->home, &c->pc.nhome, err) != EW_OK)
		return EW_E_INVAL;
	c->pc.home = c->home;
	c->alerter = ew_conf_get(root, "alerter");   /* read by "eastwatch alerter" */
	if (ew_conf_present(c->alerter) && ew_conf_type(c->alerter) != EW_CONF_MAP)
		return ew_conf_errf(err, c->alerter, "alerter must be a mapping (brokers, topic, "
				    "group, options)");
	c->analyze = ew_conf_get(root, "analyze");   /* read by "eastwatch analyze" */
	if (ew_conf_present(c->analyze)) {
		static const char *const k_an[] = { "brokers", "topic", "group", "redis", "prefix",
						    "options", NULL };

		if (ew_conf_check_map(c->analyze, "analyze", k_an, err) != EW_OK)
			return EW_E_INVAL;
	}
	n = ew_conf_get(root, "sinks");
	if (ew_conf_present(n) && ew_conf_type(n) != EW_CONF_SEQ)
		return ew_conf_errf(err, n, "sinks must be a list");
	c->sinks = n;
	n = ew_conf_get(root, "throttle");
	if (ew_conf_present(n) &&
	    (ew_conf_check_map(n, "throttle", k_thr, err) != EW_OK ||
	     opt_dur(n, "window", &c->pc.throttle_window_us, err) != EW_OK ||
	     opt_u32(n, "max_keys", 1, 100000000, &c->pc.throttle_keys, err) != EW_OK ||
	     opt_str(n, "redis", &c->throttle_redis, err) != EW_OK ||
	     (c->throttle_redis && check_server(ew_conf_get(n, "redis"), 6379, err) != EW_OK)))
		return EW_E_INVAL;
	n = ew_conf_get(root, "flows");
	if (ew_conf_present(n) &&
	    (ew_conf_check_map(n, "flows", k_flows, err) != EW_OK ||
	     opt_u32(n, "max", 1, 1u << 30, &c->pc.ft.max_flows, err) != EW_OK ||
	     opt_dur(n, "tcp_idle", &c->pc.ft.tcp_idle_us, err) != EW_OK ||
	     opt_dur(n, "tcp_handshake", &c->pc.ft.tcp_syn_us, err) != EW_OK ||
	     opt_dur(n, "tcp_closed", &c->pc.ft.tcp_closed_us, err) != EW_OK ||
	     opt_dur(n, "udp_idle", &c->pc.ft.udp_idle_us, err) != EW_OK ||
	     opt_dur(n, "other_idle", &c->pc.ft.other_idle_us, err) != EW_OK ||
	     opt_dur(n, "active", &c->pc.ft.active_us, err) != EW_OK ||
	     opt_u32(n, "max_unpaired", 1, 1u << 26, &c->pc.pairing_max, err) != EW_OK))
		return EW_E_INVAL;
	n = ew_conf_get(root, "classify");
	if (ew_conf_present(n) &&
	    (ew_conf_check_map(n, "classify", k_cls, err) != EW_OK ||
	     opt_u32(n, "max_active", 1, 1u << 30, &c->cls.max_active, err) != EW_OK ||
	     opt_u32(n, "max_tcp_packets", 1, 1000, &c->cls.max_tcp_pkts, err) != EW_OK ||
	     opt_u32(n, "max_udp_packets", 1, 1000, &c->cls.max_udp_pkts, err) != EW_OK))
		return EW_E_INVAL;
	if (ew_conf_present(n) && ew_conf_present(ew_conf_get(n, "confirm"))) {
		int on;

		if (ew_conf_bool(ew_conf_get(n, "confirm"), &on, err) != EW_OK)
			return EW_E_INVAL;
		c->cls.confirm = (uint8_t)on;
	}
	n = ew_conf_get(root, "log");
	if (ew_conf_present(n)) {
		const char *lv = NULL, *fm = NULL;

		if (ew_conf_check_map(n, "log", k_log, err) != EW_OK ||
		    opt_str(n, "level", &lv, err) != EW_OK || opt_str(n, "format", &fm, err) != EW_OK)
			return EW_E_INVAL;
		if (lv) {
			static const char *const lvls[] = { "error", "warn", "info", "debug" };
			int found = -1;

			for (int i = 0; i < 4; i++)
				if (strcmp(lv, lvls[i]) == 0)
					found = i;
			if (found < 0)
				return ew_conf_errf(err, ew_conf_get(n, "level"), "log level must be "
						    "error, warn, info or debug");
			c->log_level = found;
		}
		if (fm) {
			if (strcmp(fm, "json") == 0)
				c->log_json = 1;
			else if (strcmp(fm, "text") != 0)
				return ew_conf_errf(err, ew_conf_get(n, "format"), "log format must "
						    "be text or json");
		}
	}
	return EW_OK;
}
