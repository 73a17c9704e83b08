/* SPDX-License-Identifier: Apache-2.0 */
/* classify - see classify.h. */
#include "analyzer/classify.h"
#include "analyzer/confirm.h"
#include "core/ew_mem.h"

#include <ctype.h>
#include <ndpi_api.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct cls_state {
	struct cls_state *next_free;
	struct cls_state *next_all;    /* every state the pool made, for ew_classify_free */
	uint32_t pkts;
	uint8_t app_known;
	uint8_t held;                  /* nDPI named something else while the port's checker
					* (cf) still looks: held_* wait for its answer */
	uint16_t held_master, held_app;
	struct ew_confirm cf;          /* the responder port's protocol checker (confirm.h) */
	uint8_t cf_wait;               /* packets nDPI had to agree after the checker's yes */
	struct ndpi_flow_struct *nf;   /* points just after this struct */
};

#define GUESS_SLOTS 65536
#define CF_WAIT 4                  /* packets nDPI may take to name a confirmed flow */

/* nDPI's port guess for (protocol, ports), remembered: a guess looks up nDPI's port
 * tables at every call (bench_telemetry: 15% of the record path), and the answer for the
 * same ports never changes. */
struct guess {
	uint32_t key;             /* proto << 24 | slot check; 0 = empty */
	uint16_t sport, dport;
	uint16_t master, app;
};

/* A port's applications for ew_classify_port_apps, filled on first use. */
struct port_apps {
	uint16_t id[3];
	uint16_t done;
};

/* What nDPI's port tables say of each port, [proto == 17][port], learnt once for the
 * process: every classifier builds its nDPI alike (no preferences, every protocol), so
 * their port tables and protocol ids are the same, and a port one worker's classifier
 * asked nDPI about is not asked again by the others (each used to learn them all
 * itself: with a million random-port TCP flows, about 133,000 questions to nDPI in
 * every worker). Whichever classifier meets a port first fills its entry; the answer
 * is the same whoever asks, so concurrent fills store the same value. Each entry is one
 * atomic word: port_named_tab 0 not asked yet, 1 not named, 2 named; port_apps_tab the
 * ids of ew_classify_port_apps, 16 bits each, with PA_DONE. */
#define PA_DONE (1ULL << 63)
static uint8_t port_named_tab[2 * 65536];
static uint64_t port_apps_tab[2 * 65536];
static pthread_once_t port_tabs_once = PTHREAD_ONCE_INIT;

static void port_tabs_touch(void)
{
	/* read for every new flow at random: resident before the first */
	ew_mem_populate(port_named_tab, sizeof(port_named_tab));
	ew_mem_populate(port_apps_tab, sizeof(port_apps_tab));
}

/* Ports where lateral movement runs and nDPI's port table says nothing or names only
 * the carrier (NetBIOS for SMB over tcp/139). */
static const struct {
	uint8_t proto;
	uint16_t lo, hi;
	const char *names[3];
} port_alias[] = {
	{ 6, 139, 139, { "SMBv23", "SMBv1", "NetBIOS" } },
	{ 6, 445, 445, { "SMBv23", "SMBv1", NULL } },
	{ 6, 464, 464, { "Kerberos", NULL, NULL } },
	{ 17, 464, 464, { "Kerberos", NULL, NULL } },
	{ 6, 593, 593, { "DCE_RPC", NULL, NULL } },
	{ 6, 636, 636, { "LDAP", NULL, NULL } },
	{ 6, 3268, 3269, { "LDAP", NULL, NULL } },
	{ 6, 5902, 5909, { "VNC", NULL, NULL } },
};

struct ew_classify {
	struct ndpi_detection_module_struct *ndpi;
	struct guess *guesses;
	struct port_apps other[256];   /* protocols without ports (ICMP, SCTP...), lazily */
	uint16_t cf_id[EW_CF_SMB + 1]; /* nDPI id each checker confirms (SMB: SMBv23) */
	uint16_t id_smb1;
	struct ew_cls_conf conf;
	struct cls_state *free_list;
	struct cls_state *all;         /* the pool owns every state, handed out or not */
	uint32_t nflow;                /* nDPI flow struct size */
	struct ew_cls_stats st;
	struct {                       /* names read back (ew_classify_set_name), by hash */
		char name[48];
		uint16_t master, proto;
	} named_cache[256];
	/* nDPI's protocols by name (id + 1; 0: free), open addressing: ew_classify_lookup
	 * runs for every export record that names its application (a search in turn was
	 * 26% of bench_telemetry's samples on bench/out/nbar-100k.pcap; with this and
	 * decode_ipfix.c's index by id, the whole record path went from 0.5 to 1.5 M
	 * records/s) */
	uint16_t *byname;              /* twice as many slots as protocols, a power of two */
	uint32_t byname_mask;
};

/* A name's hash, letters in either case alike. */
static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)tolower((unsigned char)*s)) * 16777619u;
	return h ^ (h >> 15);
}

/* Every protocol's name into c->byname (a name two share is the lower id's, as a search
 * in turn would find it). EW_OK or EW_E_NOMEM. */
static int index_names(struct ew_classify *c)
{
	u_int n = ndpi_get_num_supported_protocols(c->ndpi);
	uint32_t slots = 16;

	while (slots < 2 * n)
		slots <<= 1;
	if ((c->byname = calloc(slots, sizeof(*c->byname))) == NULL)
		return EW_E_NOMEM;
	c->byname_mask = slots - 1;
	for (u_int i = 0; i < n && i < 65535; i++) {
		const char *pn = ndpi_get_proto_name(c->ndpi, (u_int16_t)i);

		if (pn == NULL)
			continue;
		for (uint32_t h = name_hash(pn);; h++) {
			uint16_t *x = &c->byname[h & c->byname_mask];

			if (*x == 0) {
				*x = (uint16_t)(i + 1);
				break;
			}
			if (strcasecmp(ndpi_get_proto_name(c->ndpi, (u_int16_t)(*x - 1)), pn) == 0)
				break;
		}
	}
	return EW_OK;
}

void ew_cls_conf_default(struct ew_cls_conf *c)
{
	c->max_active = 262144;
	c->max_tcp_pkts = 80;
	c->max_udp_pkts = 24;
	c->confirm = 1;
}

struct ew_classify *ew_classify_new(const struct ew_cls_conf *conf, struct ew_err *err)
{
	struct ew_classify *c = calloc(1, sizeof(*c));
	NDPI_PROTOCOL_BITMASK all;

	if (c == NULL) {
		ew_err_set(err, "classify: out of memory");
		return NULL;
	}
	c->conf = *conf;
	c->ndpi = ndpi_init_detection_module(ndpi_no_prefs);
	if (c->ndpi == NULL) {
		ew_err_set(err, "classify: nDPI failed to initialise");
		free(c);
		return NULL;
	}
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(c->ndpi, &all);
	ndpi_finalize_initialization(c->ndpi);
	c->nflow = ndpi_detection_get_sizeof_ndpi_flow_struct();
	c->guesses = calloc(GUESS_SLOTS, sizeof(*c->guesses));
	if (c->guesses == NULL || index_names(c) != EW_OK) {
		ew_err_set(err, "classify: out of memory");
		ndpi_exit_detection_module(c->ndpi);
		free(c->guesses);
		free(c->byname);
		free(c);
		return NULL;
	}
	/* read for every new flow at random, written as they are learnt */
	ew_mem_populate(c->guesses, GUESS_SLOTS * sizeof(*c->guesses));
	pthread_once(&port_tabs_once, port_tabs_touch);
	c->st.state_bytes = (uint32_t)sizeof(struct cls_state) + c->nflow;
	for (int k = EW_CF_LDAP; k <= EW_CF_SMB; k++) {
		int id = ew_classify_lookup(c, ew_confirm_kind_name(k));

		c->cf_id[k] = id > 0 ? (uint16_t)id : 0;
	}
	{
		int id = ew_classify_lookup(c, "SMBv1");

		c->id_smb1 = id > 0 ? (uint16_t)id : 0;
	}
	return c;
}

void ew_classify_free(struct ew_classify *c)
{
	if (c == NULL)
		return;
	while (c->all) {
		struct cls_state *s = c->all;

		c->all = s->next_all;
		if (s->nf != NULL)
			ndpi_free_flow_data(s->nf);   /* still inspecting when the pool closed */
		free(s);
	}
	ndpi_exit_detection_module(c->ndpi);
	free(c->guesses);
	free(c->byname);
	free(c);
}

static struct cls_state *state_get(struct ew_classify *c)
{
	struct cls_state *s = c->free_list;

	if (c->st.active >= c->conf.max_active)
		return NULL;
	if (s != NULL) {
		c->free_list = s->next_free;
	} else {
		s = malloc(sizeof(*s) + c->nflow);
		if (s == NULL)
			return NULL;
		s->next_all = c->all;
		c->all = s;
	}
	{
		struct cls_state *keep = s->next_all;

		memset(s, 0, sizeof(*s) + c->nflow);
		s->next_all = keep;
	}
	s->nf = (struct ndpi_flow_struct *)(s + 1);
	if (++c->st.active > c->st.peak_active)
		c->st.peak_active = c->st.active;
	return s;
}

static void state_put(struct ew_classify *c, void **state)
{
	struct cls_state *s = *state;

	if (s == NULL)
		return;
	ndpi_free_flow_data(s->nf);    /* strings nDPI allocated for this flow */
	s->nf = NULL;
	s->next_free = c->free_list;
	c->free_list = s;
	c->st.active--;
	*state = NULL;
}

/* nDPI 4.2's TLS dissector gives every TCP flow it looks at a 2 KB reassembly buffer,
 * TLS or not (bench_pipeline memory: 2.8 KB of heap per flow under inspection, 0.7 KB
 * without it). A TLS flow's first payload, from either side, starts with a record
 * header (content type 20-24) or an SSLv2 hello (high bit set); any other first byte
 * rules TLS out, so the dissector is excluded for that flow and never allocates. */
static void exclude_tls_unless_tls(struct cls_state *s, const uint8_t *l3, uint32_t len)
{
	const uint8_t *l4;
	uint16_t l4len;
	uint8_t proto;
	uint32_t off;

	if (ndpi_detection_get_l4(l3, (uint16_t)len, &l4, &l4len, &proto, 0) != 0 || proto != 6 ||
	    l4len < 20)
		return;
	off = (uint32_t)(l4[12] >> 4) * 4;
	if (off < 20 || off >= l4len)
		return;                      /* no payload here: decide on a later packet */
	if ((l4[off] >= 20 && l4[off] <= 24) || (l4[off] & 0x80))
		return;
	NDPI_ADD_PROTOCOL_TO_BITMASK(s->nf->excluded_protocol_bitmask, NDPI_PROTOCOL_TLS);
}

static uint8_t source_of(const struct ndpi_flow_struct *nf, int guessed)
{
	switch (nf->confidence) {
	case NDPI_CONFIDENCE_DPI:
	case NDPI_CONFIDENCE_DPI_CACHE:
		return EW_APP_DPI;
	case NDPI_CONFIDENCE_MATCH_BY_PORT:
	case NDPI_CONFIDENCE_MATCH_BY_IP:
		return EW_APP_PORT;
	default:
		return guessed ? EW_APP_PORT : EW_APP_DPI;
	}
}

static void set_app(struct ew_flow *f, ndpi_protocol r, uint8_t source)
{
	f->app_master = r.master_protocol;
	f->app_proto = r.app_protocol;
	if (r.app_protocol == NDPI_PROTOCOL_UNKNOWN && r.master_protocol == NDPI_PROTOCOL_UNKNOWN)
		f->app_source = EW_APP_NONE;
	else
		f->app_source = source;
}

/* The flow's risks: nDPI's, plus what its URL reveals (XSS, SQL or code injection).
 * nDPI leaves the URL check to its caller (ndpiReader and ntopng call
 * ndpi_validate_url when they report a flow), so it is done here, once the flow is
 * classified. */
static uint64_t flow_risk(struct cls_state *s)
{
	uint64_t r = s->nf->risk;

	if (s->nf->http.url && s->nf->http.url[0]) {
		ndpi_risk_enum u = ndpi_validate_url(s->nf->http.url);

		if (u != NDPI_NO_RISK && (int)u < 64)
			r |= 1ULL << u;
	}
	return r;
}

/* The checker for f's responder port (a TCP port whose applications include one that
 * nDPI 4.2 misnames), or EW_CF_NONE. */
static uint8_t checker_for(struct ew_classify *c, struct ew_flow *f)
{
	if (f->proto != 6 || !c->conf.confirm)
		return EW_CF_NONE;
	ew_classify_port_apps(c, f);
	for (int k = 0; k < 3 && f->port_app[k]; k++) {
		for (int kind = EW_CF_LDAP; kind <= EW_CF_SMB; kind++)
			if (c->cf_id[kind] && f->port_app[k] == c->cf_id[kind])
				return (uint8_t)kind;
		if (c->id_smb1 && f->port_app[k] == c->id_smb1)
			return EW_CF_SMB;
	}
	return EW_CF_NONE;
}

/* The L4 payload of a TCP segment (l3: its IP header) and whether the initiator sent
 * it; 0 when there is none. */
static size_t tcp_payload(const struct ew_flow *f, const uint8_t *l3, uint32_t len,
			  const uint8_t **pl, int *from_initiator)
{
	uint32_t off, tcp_len;
	uint8_t src[16];

	if (len < 20)
		return 0;
	memset(src, 0, sizeof(src));
	if ((l3[0] >> 4) == 4) {
		uint32_t tot = (uint32_t)l3[2] << 8 | l3[3];

		off = (uint32_t)(l3[0] & 15) * 4;
		if (l3[9] != 6 || off < 20 || (l3[6] & 0x1f) != 0 || l3[7] != 0)
			return 0;                 /* not TCP, or a later fragment */
		if (tot >= off && tot < len)
			len = tot;
		src[10] = src[11] = 0xff;
		memcpy(src + 12, l3 + 12, 4);
	} else if ((l3[0] >> 4) == 6 && len >= 40) {
		uint8_t nh = l3[6];

		off = 40;
		while ((nh == 0 || nh == 43 || nh == 60) && off + 8 <= len) {
			nh = l3[off];
			off += ((uint32_t)l3[off + 1] + 1) * 8;
		}
		if (nh != 6)
			return 0;
		memcpy(src, l3 + 8, 16);
	} else {
		return 0;
	}
	if (off + 20 > len)
		return 0;
	tcp_len = (uint32_t)(l3[off + 12] >> 4) * 4;
	if (tcp_len < 20 || off + tcp_len >= len)
		return 0;
	*pl = l3 + off + tcp_len;
	*from_initiator = memcmp(src, f->src.a, 16) == 0;
	return len - off - tcp_len;
}

/* The checker has not answered yet. */
static int cf_pending(const struct cls_state *s)
{
	return s->cf.kind != EW_CF_NONE && s->cf.answer == EW_CF_MORE;
}

/* nDPI's name r is the protocol of the flow's checker (SMB: either version; not SMB's
 * carrier, NetBIOS, alone). */
static int same_protocol(const struct ew_classify *c, const struct cls_state *s,
			 ndpi_protocol r)
{
	uint16_t want = c->cf_id[s->cf.kind];

	if (r.app_protocol == want || (r.master_protocol == want && r.app_protocol == 0))
		return 1;
	return s->cf.kind == EW_CF_SMB && r.app_protocol == c->id_smb1;
}

/* A name nDPI gives a flow whose port has a checker still looking is taken at once when
 * it is the checker's own protocol, else held for the checker's answer. */
static int hold_name(const struct ew_classify *c, const struct cls_state *s, ndpi_protocol r)
{
	return cf_pending(s) && !same_protocol(c, s, r);
}

/* The checker said yes: the port's protocol is the application, as DPI (SMB as SMBv1,
 * with nDPI's risk for it, or SMBv23; without the NetBIOS master nDPI adds when its own
 * dissector saw the session start, as nDPI names the same flows by their port). */
static void confirmed(struct ew_classify *c, struct cls_state *s, struct ew_flow *f)
{
	ndpi_protocol r;

	memset(&r, 0, sizeof(r));
	r.app_protocol = c->cf_id[s->cf.kind];
	if (s->cf.kind == EW_CF_SMB) {
		if (s->cf.smb_version == 1) {
			r.app_protocol = c->id_smb1;
			f->risk |= 1ULL << NDPI_SMB_INSECURE_VERSION;
		}
	}
	set_app(f, r, EW_APP_DPI);
	c->st.detected++;
	c->st.confirmed++;
	s->held = 0;
}

static int give_up(struct ew_classify *c, struct cls_state *s, struct ew_flow *f)
{
	u_int8_t guessed = 0;
	ndpi_protocol r = ndpi_detection_giveup(c->ndpi, s->nf, 1, &guessed);

	set_app(f, r, source_of(s->nf, guessed));
	f->risk |= flow_risk(s);
	if (f->app_source == EW_APP_DPI)
		c->st.detected++;
	else if (f->app_source == EW_APP_PORT)
		c->st.guessed++;
	else
		c->st.unknown++;
	return f->app_source != EW_APP_NONE ? EW_CLS_APP_KNOWN : 0;
}

/* nDPI named the flow r at this packet (or the held name now stands): the application
 * is known; inspection goes on while nDPI can still learn risks. */
static int named(struct ew_classify *c, void **state, struct ew_flow *f, ndpi_protocol r,
		 int enough)
{
	struct cls_state *s = *state;
	int rc = EW_CLS_APP_KNOWN;

	s->app_known = 1;
	s->held = 0;
	set_app(f, r, source_of(s->nf, 0));
	if (f->app_source == EW_APP_DPI)
		c->st.detected++;
	else
		c->st.guessed++;
	if (enough || !ndpi_extra_dissection_possible(c->ndpi, s->nf)) {
		f->risk |= flow_risk(s);
		state_put(c, state);
		rc |= EW_CLS_FINISHED;
	}
	return rc;
}

static ndpi_protocol held_name(const struct cls_state *s)
{
	ndpi_protocol r;

	memset(&r, 0, sizeof(r));
	r.master_protocol = s->held_master;
	r.app_protocol = s->held_app;
	return r;
}

int ew_classify_packet(struct ew_classify *c, void **state, struct ew_flow *f,
		       const uint8_t *l3, uint32_t l3_len, uint64_t ts_us)
{
	struct cls_state *s = *state;
	ndpi_protocol r;
	uint32_t limit;
	int enough, rc = 0;

	if (s == NULL) {
		s = state_get(c);
		if (s == NULL) {
			c->st.overflow++;
			ew_classify_guess(c, f);
			return (f->app_source != EW_APP_NONE ? EW_CLS_APP_KNOWN : 0) |
			       EW_CLS_FINISHED;
		}
		*state = s;
	}
	if (l3_len > 0xffff)
		l3_len = 0xffff;
	if (s->pkts == 0 && f->proto == 6) {
		exclude_tls_unless_tls(s, l3, l3_len);
		s->cf.kind = checker_for(c, f);
		s->cf.answer = s->cf.kind != EW_CF_NONE ? EW_CF_MORE : EW_CF_NO;
	}
	s->pkts++;
	c->st.inspected_pkts++;
	limit = f->proto == 17 ? c->conf.max_udp_pkts : c->conf.max_tcp_pkts;
	enough = s->pkts > limit;
	if (cf_pending(s) && !s->app_known) {
		const uint8_t *pl;
		int fi;
		size_t n = tcp_payload(f, l3, l3_len, &pl, &fi);

		if (n)
			ew_confirm_payload(&s->cf, fi, pl, n);
		if (enough && cf_pending(s))
			s->cf.answer = EW_CF_NO;
	}
	r = ndpi_detection_process_packet(c->ndpi, s->nf, l3, (unsigned short)l3_len,
					  ts_us / 1000);
	if (!s->app_known) {
		int yes = s->cf.kind != EW_CF_NONE && s->cf.answer == EW_CF_YES;

		if (yes && r.app_protocol != NDPI_PROTOCOL_UNKNOWN && same_protocol(c, s, r)) {
			rc |= named(c, state, f, r, enough);     /* nDPI agrees: its name */
		} else if (yes && r.app_protocol == NDPI_PROTOCOL_UNKNOWN && !enough &&
			   s->cf_wait++ < CF_WAIT) {
			;   /* nDPI may still name it (with the master it gives, NetBIOS.SMBv1) */
		} else if (yes) {
			confirmed(c, s, f);
			s->app_known = 1;
			rc |= EW_CLS_APP_KNOWN;
			if (enough || !ndpi_extra_dissection_possible(c->ndpi, s->nf)) {
				f->risk |= flow_risk(s);
				state_put(c, state);
				rc |= EW_CLS_FINISHED;
			}
		} else if (r.app_protocol != NDPI_PROTOCOL_UNKNOWN && hold_name(c, s, r)) {
			s->held = 1;                  /* the checker has not answered */
			s->held_master = r.master_protocol;
			s->held_app = r.app_protocol;
		} else if (r.app_protocol != NDPI_PROTOCOL_UNKNOWN) {
			rc |= named(c, state, f, r, enough);
		} else if (s->held && !cf_pending(s)) {
			rc |= named(c, state, f, held_name(s), enough);
		} else if (enough) {
			rc |= give_up(c, s, f) | EW_CLS_FINISHED;
			state_put(c, state);
		}
	} else {
		/* Known application, more to learn (certificates, banners): keep the
		 * application as first named, collect risks. */
		f->risk |= flow_risk(s);
		if (enough || !ndpi_extra_dissection_possible(c->ndpi, s->nf)) {
			state_put(c, state);
			rc |= EW_CLS_FINISHED;
		}
	}
	return rc;
}

int ew_classify_finish(struct ew_classify *c, void **state, struct ew_flow *f)
{
	struct cls_state *s = *state;
	int rc = 0;

	if (s == NULL) {         /* never inspected (no payload): the port guess */
		if (f->app_source == EW_APP_NONE)
			ew_classify_guess(c, f);
		if (f->app_source == EW_APP_PORT)
			c->st.guessed++;
		else
			c->st.unknown++;
		return f->app_source != EW_APP_NONE ? EW_CLS_APP_KNOWN : 0;
	}
	if (s->app_known) {
		f->risk |= flow_risk(s);
	} else if (s->cf.kind != EW_CF_NONE && s->cf.answer == EW_CF_YES) {
		confirmed(c, s, f);
		f->risk |= flow_risk(s);
		rc = EW_CLS_APP_KNOWN;
	} else if (s->held) {
		/* the checker never answered: nDPI's name stands */
		set_app(f, held_name(s), source_of(s->nf, 0));
		f->risk |= flow_risk(s);
		c->st.detected++;
		rc = EW_CLS_APP_KNOWN;
	} else {
		rc = give_up(c, s, f);
	}
	state_put(c, state);
	return rc;
}

/* Do nDPI's port tables name port (TCP or UDP)? Asked of nDPI once per port and
 * process (port_named_tab). */
static int port_named(struct ew_classify *c, uint8_t proto, uint16_t port)
{
	uint8_t *k = &port_named_tab[(proto == 17) * 65536 + port];
	uint8_t v = __atomic_load_n(k, __ATOMIC_RELAXED);

	if (v == 0) {
		ndpi_protocol r = ndpi_guess_undetected_protocol(c->ndpi, NULL, proto, 0, port, 0,
								   port);

		v = r.app_protocol != NDPI_PROTOCOL_UNKNOWN ||
		    r.master_protocol != NDPI_PROTOCOL_UNKNOWN ? 2 : 1;
		__atomic_store_n(k, v, __ATOMIC_RELAXED);
	}
	return v == 2;
}

void ew_classify_guess(struct ew_classify *c, struct ew_flow *f)
{
	uint32_t h = ((uint32_t)f->proto * 0x9e3779b1u ^ (uint32_t)f->sport * 0x85ebca6bu ^
		      (uint32_t)f->dport * 0xc2b2ae35u);
	struct guess *g = &c->guesses[(h ^ (h >> 16)) & (GUESS_SLOTS - 1)];
	ndpi_protocol r;

	if (g->key == (1u << 31 | f->proto) && g->sport == f->sport && g->dport == f->dport) {
		r.master_protocol = g->master;
		r.app_protocol = g->app;
	} else if ((f->proto == 6 || f->proto == 17) && f->sport && f->dport &&
		   !port_named(c, f->proto, f->sport) && !port_named(c, f->proto, f->dport)) {
		/* nDPI guesses from its port tables one port at a time (the addresses it is
		 * given are 0): when neither port is in them, nothing (test_classify
		 * compares this with nDPI's own answer); random ports no longer pay
		 * nDPI's lookups at every flow */
		r.master_protocol = r.app_protocol = NDPI_PROTOCOL_UNKNOWN;
	} else {
		/* By ports only: nDPI would also look the addresses up in its lists of
		 * public services (Google, Amazon...), which east-west addresses never are,
		 * and which would make the answer depend on more than the ports. */
		r = ndpi_guess_undetected_protocol(c->ndpi, NULL, f->proto, 0, f->sport, 0, f->dport);
		g->key = 1u << 31 | f->proto;
		g->sport = f->sport;
		g->dport = f->dport;
		g->master = r.master_protocol;
		g->app = r.app_protocol;
	}
	set_app(f, r, EW_APP_PORT);
}

void ew_classify_port_apps(struct ew_classify *c, struct ew_flow *f)
{
	struct port_apps *pa;
	struct ew_flow g;

	if (f->proto != 6 && f->proto != 17) {
		pa = &c->other[f->proto];
		if (!pa->done) {
			memset(&g, 0, sizeof(g));
			g.proto = f->proto;
			if (f->proto == 1 || f->proto == 58 || f->proto == 132)
				ew_classify_guess(c, &g);
			pa->id[0] = g.app_proto ? g.app_proto : g.app_master;
			pa->done = 1;
		}
		memcpy(f->port_app, pa->id, sizeof(f->port_app));
		return;
	}
	uint64_t *slot = &port_apps_tab[(f->proto == 17) * 65536 + f->dport];
	uint64_t v = __atomic_load_n(slot, __ATOMIC_RELAXED);

	if (!(v & PA_DONE)) {
		uint16_t id[3] = { 0, 0, 0 };
		size_t i;

		for (i = 0; i < sizeof(port_alias) / sizeof(port_alias[0]); i++)
			if (port_alias[i].proto == f->proto && f->dport >= port_alias[i].lo &&
			    f->dport <= port_alias[i].hi)
				break;
		if (i < sizeof(port_alias) / sizeof(port_alias[0])) {
			for (int k = 0, n = 0; k < 3; k++) {
				int a = port_alias[i].names[k] ?
					ew_classify_lookup(c, port_alias[i].names[k]) : -1;

				if (a > 0)
					id[n++] = (uint16_t)a;
			}
		} else {
			/* by the responder's port alone: a client port from the ephemeral
			 * range, which nDPI's tables do not name */
			ndpi_protocol r = ndpi_guess_undetected_protocol(c->ndpi, NULL, f->proto, 0,
									  40000, 0, f->dport);

			id[0] = r.app_protocol ? r.app_protocol : r.master_protocol;
		}
		v = PA_DONE | id[0] | (uint64_t)id[1] << 16 | (uint64_t)id[2] << 32;
		__atomic_store_n(slot, v, __ATOMIC_RELAXED);
	}
	for (int i = 0; i < 3; i++)
		f->port_app[i] = (uint16_t)(v >> 16 * i);
}

const char *ew_classify_name(const struct ew_classify *c, uint16_t id)
{
	const char *n = ndpi_get_proto_name(c->ndpi, id);

	return n ? n : "Unknown";
}

int ew_classify_lookup(const struct ew_classify *c, const char *name)
{
	for (uint32_t h = name_hash(name);; h++) {   /* at most half full: ends */
		uint16_t x = c->byname[h & c->byname_mask];

		if (x == 0)
			return -1;
		if (strcasecmp(ndpi_get_proto_name(c->ndpi, (u_int16_t)(x - 1)), name) == 0)
			return x - 1;
	}
}

void ew_classify_set_name(struct ew_classify *c, struct ew_flow *f, const char *name)
{
	uint32_t h = name_hash(name) & 255;
	size_t len = strlen(name);
	const char *dot;
	int a, m = -1;

	if (len < sizeof(c->named_cache[h].name) && strcmp(c->named_cache[h].name, name) == 0) {
		f->app_master = c->named_cache[h].master;
		f->app_proto = c->named_cache[h].proto;
		return;
	}
	/* "TLS.Google": master and application; a name with a dot of its own first */
	if ((a = ew_classify_lookup(c, name)) < 0 && (dot = strchr(name, '.')) != NULL &&
	    (size_t)(dot - name) < 64) {
		char mn[64];

		memcpy(mn, name, (size_t)(dot - name));
		mn[dot - name] = 0;
		m = ew_classify_lookup(c, mn);
		a = ew_classify_lookup(c, dot + 1);
		if (a < 0)
			a = m;
	}
	f->app_master = (uint16_t)(m > 0 && m != a ? m : 0);
	f->app_proto = (uint16_t)(a > 0 ? a : 0);
	if (len < sizeof(c->named_cache[h].name)) {
		memcpy(c->named_cache[h].name, name, len + 1);
		c->named_cache[h].master = f->app_master;
		c->named_cache[h].proto = f->app_proto;
	}
}

const char *ew_classify_flow_name(const struct ew_classify *c, const struct ew_flow *f,
				  char *out, size_t outlen)
{
	const char *a = ew_classify_name(c, f->app_proto ? f->app_proto : f->app_master);
	size_t n = 0;

	if (outlen == 0)
		return out;
	if (f->app_master != 0 && f->app_proto != 0 && f->app_master != f->app_proto) {
		const char *m = ew_classify_name(c, f->app_master);

		while (*m && n + 1 < outlen)
			out[n++] = *m++;
		if (n + 1 < outlen)
			out[n++] = '.';
	}
	while (*a && n + 1 < outlen)
		out[n++] = *a++;
	out[n] = '\0';
	return out;
}

const char *ew_classify_risk_name(int r)
{
	if (r <= 0 || r >= NDPI_MAX_RISK)
		return NULL;
	return ndpi_risk2str((ndpi_risk_enum)r);
}

void ew_classify_stats(const struct ew_classify *c, struct ew_cls_stats *out)
{
	*out = c->st;
}
