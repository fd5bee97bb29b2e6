/* sdp.c - the session description model: storage, lookups, codec matching,
 * character classes, fingerprints and candidates. Parsing is in
 * sdp_parse.c, writing and the answer and offer builders in sdp_build.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/sdp_int.h"

/* ---- storage ---------------------------------------------------------- */

struct sdp *sdp_model_new(void)
{
	struct sdp *s = g_new0(struct sdp, 1);

	s->priv = g_string_chunk_new(1024);
	return s;
}

const char *sdp_model_str(struct sdp *s, const char *str)
{
	return str ? g_string_chunk_insert(s->priv, str) : NULL;
}

const char *sdp_model_strn(struct sdp *s, const char *str, size_t n)
{
	return g_string_chunk_insert_len(s->priv, str, (gssize)n);
}

const char *sdp_model_printf(struct sdp *s, const char *fmt, ...)
{
	va_list ap;
	char *tmp;
	const char *r;

	va_start(ap, fmt);
	tmp = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	r = sdp_model_str(s, tmp);
	g_free(tmp);
	return r;
}

void *sdp_arr_push(void *arr, unsigned *n, size_t size, unsigned max)
{
	char **a = arr;
	unsigned cnt = *n;
	char *el;

	if (cnt >= max)
		return NULL;
	/* Capacity is implied by the count: 4, then doubled at every power of 2. */
	if (cnt == 0)
		*a = g_malloc(4 * size);
	else if (cnt >= 4 && (cnt & (cnt - 1)) == 0)
		*a = g_realloc(*a, 2 * (size_t)cnt * size);
	el = *a + (size_t)cnt * size;
	memset(el, 0, size);
	*n = cnt + 1;
	return el;
}

static void media_clear(struct sdp_media *m)
{
	for (unsigned i = 0; i < m->n_codecs; i++) {
		g_free(m->codecs[i].params);
		g_free(m->codecs[i].rtcp_fb);
	}
	g_free(m->codecs);
	g_free(m->candidates);
	g_free(m->extmaps);
	g_free(m->ssrcs);
	g_free(m->ssrc_groups);
	g_free(m->rids);
	g_free(m->sim_send.rids);
	g_free(m->sim_recv.rids);
}

void sdp_free(struct sdp *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->n_media; i++)
		media_clear(&s->media[i]);
	g_free(s->media);
	g_free(s->bundle);
	if (s->priv)
		g_string_chunk_free(s->priv);
	g_free(s);
}

/* ---- character classes and numbers ------------------------------------ */

static bool len_ok(const char *s, size_t min, size_t max, size_t *len)
{
	if (!s)
		return false;
	*len = strnlen(s, max + 1);
	return *len >= min && *len <= max;
}

static bool is_token_char(unsigned char c)
{
	return c == '!' || (c >= '#' && c <= '\'') || c == '*' || c == '+' || c == '-' ||
	       c == '.' || g_ascii_isalnum(c) || (c >= '^' && c <= '~');
}

bool sdp_is_token(const char *s, size_t min, size_t max)
{
	size_t n;

	if (!len_ok(s, min, max, &n))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_token_char((unsigned char)s[i]))
			return false;
	return true;
}

bool sdp_is_proto(const char *s)
{
	size_t n;

	if (!len_ok(s, 1, SDP_TOKEN_MAX, &n))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_token_char((unsigned char)s[i]) && s[i] != '/')
			return false;
	return true;
}

bool sdp_is_ice_chars(const char *s, size_t min, size_t max)
{
	size_t n;

	if (!len_ok(s, min, max, &n))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(s[i]) && s[i] != '+' && s[i] != '/')
			return false;
	return true;
}

bool sdp_is_visible(const char *s, size_t min, size_t max)
{
	size_t n;

	if (!len_ok(s, min, max, &n))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == 0x7f)
			return false;
	}
	return true;
}

bool sdp_is_text(const char *s, size_t min, size_t max)
{
	size_t n;

	if (!len_ok(s, min, max, &n))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < ' ' || c == 0x7f)
			return false;
	}
	return true;
}

bool sdp_is_digits(const char *s, size_t min, size_t max)
{
	size_t n;

	if (!len_ok(s, min, max, &n))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isdigit(s[i]))
			return false;
	return true;
}

bool sdp_is_rid(const char *s)
{
	size_t n;

	if (!len_ok(s, 1, SDP_TOKEN_MAX, &n))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

bool sdp_is_value(const char *s, size_t max)
{
	size_t n;

	return sdp_is_text(s, 1, max) && (n = strlen(s)) && s[0] != ' ' && s[n - 1] != ' ';
}

enum sdp_proto sdp_proto_of(const char *proto)
{
	if (strcmp(proto, "UDP/TLS/RTP/SAVPF") == 0 || strcmp(proto, "TCP/DTLS/RTP/SAVPF") == 0)
		return SDP_PROTO_RTP_SAVPF;
	if (strstr(proto, "RTP/"))
		return SDP_PROTO_RTP_OTHER;
	if (strcmp(proto, "UDP/DTLS/SCTP") == 0 || strcmp(proto, "TCP/DTLS/SCTP") == 0)
		return SDP_PROTO_UDP_DTLS_SCTP;
	if (strcmp(proto, "DTLS/SCTP") == 0)
		return SDP_PROTO_DTLS_SCTP;
	return SDP_PROTO_OTHER;
}

bool sdp_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		unsigned d;

		if (!g_ascii_isdigit(*s))
			return false;
		d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

unsigned sdp_split(char *s, char **tok, unsigned max)
{
	unsigned n = 0;

	while (*s) {
		while (*s == ' ')
			*s++ = '\0';
		if (!*s)
			break;
		if (n == max)
			return max + 1;
		tok[n++] = s;
		while (*s && *s != ' ')
			s++;
	}
	return n;
}

/* ---- names ------------------------------------------------------------ */

const char *sdp_kind_name(enum sdp_kind k)
{
	switch (k) {
	case SDP_KIND_AUDIO: return "audio";
	case SDP_KIND_VIDEO: return "video";
	case SDP_KIND_APPLICATION: return "application";
	default: return NULL;
	}
}

const char *sdp_dir_name(enum sdp_dir d)
{
	switch (d) {
	case SDP_DIR_SENDRECV: return "sendrecv";
	case SDP_DIR_SENDONLY: return "sendonly";
	case SDP_DIR_RECVONLY: return "recvonly";
	case SDP_DIR_INACTIVE: return "inactive";
	default: return NULL;
	}
}

const char *sdp_setup_name(enum sdp_setup s)
{
	switch (s) {
	case SDP_SETUP_ACTPASS: return "actpass";
	case SDP_SETUP_ACTIVE: return "active";
	case SDP_SETUP_PASSIVE: return "passive";
	case SDP_SETUP_HOLDCONN: return "holdconn";
	default: return NULL;
	}
}

const char *sdp_cand_type_name(enum sdp_cand_type t)
{
	switch (t) {
	case SDP_CAND_HOST: return "host";
	case SDP_CAND_SRFLX: return "srflx";
	case SDP_CAND_PRFLX: return "prflx";
	case SDP_CAND_RELAY: return "relay";
	default: return NULL;
	}
}

bool sdp_dir_sends(enum sdp_dir d)
{
	return d == SDP_DIR_NONE || d == SDP_DIR_SENDRECV || d == SDP_DIR_SENDONLY;
}

bool sdp_dir_recvs(enum sdp_dir d)
{
	return d == SDP_DIR_NONE || d == SDP_DIR_SENDRECV || d == SDP_DIR_RECVONLY;
}

static const char *const fb_names[] = {
	"nack", "nack pli", "ccm fir", "goog-remb", "transport-cc",
};

unsigned sdp_fb_bit(const char *value)
{
	for (unsigned i = 0; i < G_N_ELEMENTS(fb_names); i++)
		if (strcmp(value, fb_names[i]) == 0)
			return 1u << i;
	return 0;
}

const char *sdp_fb_name(unsigned bit)
{
	for (unsigned i = 0; i < G_N_ELEMENTS(fb_names); i++)
		if (bit == 1u << i)
			return fb_names[i];
	return NULL;
}

/* ---- static payload types --------------------------------------------- */

struct static_pt {
	uint8_t pt;
	uint8_t channels;
	uint32_t clock;
	const char *name;
};

static const struct static_pt static_pts[] = {
	{ 0, 1, 8000, "PCMU" },   { 3, 1, 8000, "GSM" },    { 4, 1, 8000, "G723" },
	{ 5, 1, 8000, "DVI4" },   { 6, 1, 16000, "DVI4" },  { 7, 1, 8000, "LPC" },
	{ 8, 1, 8000, "PCMA" },   { 9, 1, 8000, "G722" },   { 10, 2, 44100, "L16" },
	{ 11, 1, 44100, "L16" },  { 12, 1, 8000, "QCELP" }, { 13, 1, 8000, "CN" },
	{ 14, 0, 90000, "MPA" },  { 15, 1, 8000, "G728" },  { 16, 1, 11025, "DVI4" },
	{ 17, 1, 22050, "DVI4" }, { 18, 1, 8000, "G729" },  { 25, 0, 90000, "CelB" },
	{ 26, 0, 90000, "JPEG" }, { 28, 0, 90000, "nv" },   { 31, 0, 90000, "H261" },
	{ 32, 0, 90000, "MPV" },  { 33, 0, 90000, "MP2T" }, { 34, 0, 90000, "H263" },
};

const char *sdp_static_codec(unsigned pt, uint32_t *clock_rate, uint8_t *channels)
{
	for (unsigned i = 0; i < G_N_ELEMENTS(static_pts); i++) {
		if (static_pts[i].pt != pt)
			continue;
		*clock_rate = static_pts[i].clock;
		*channels = static_pts[i].channels;
		return static_pts[i].name;
	}
	return NULL;
}

/* ---- fmtp ------------------------------------------------------------- */

static const char *param_add(struct sdp_codec *c, struct sdp *s, const char *item)
{
	const char *eq = strchr(item, '=');
	struct sdp_param *p;
	char *key, *value = NULL;

	p = sdp_arr_push(&c->params, &c->n_params, sizeof(*p), SDP_MAX_FMTP_PARAMS);
	if (!p)
		return "too many fmtp parameters";
	key = g_strstrip(eq ? g_strndup(item, (size_t)(eq - item)) : g_strdup(item));
	if (eq)
		value = g_strstrip(g_strdup(eq + 1));
	p->key = sdp_model_str(s, key);
	p->value = sdp_model_str(s, value);
	g_free(key);
	g_free(value);
	return NULL;
}

const char *sdp_fmtp_split(struct sdp_codec *c, const char *fmtp, struct sdp *s)
{
	char **items = g_strsplit(fmtp, ";", SDP_MAX_FMTP_PARAMS + 2);
	const char *why = NULL;

	for (unsigned i = 0; items[i] && !why; i++) {
		if (!*g_strstrip(items[i]))
			continue;
		why = param_add(c, s, items[i]);
	}
	g_strfreev(items);
	if (why)
		return why;
	c->apt = -1;
	for (unsigned i = 0; i < c->n_params; i++) {
		uint64_t v;

		if (g_ascii_strcasecmp(c->params[i].key, "apt") != 0)
			continue;
		if (!c->params[i].value || !sdp_parse_uint(c->params[i].value, 127, &v))
			return "bad apt";
		c->apt = (int)v;
	}
	return NULL;
}

bool sdp_fmtp_check(const char *fmtp)
{
	struct sdp *tmp;
	struct sdp_codec c;
	bool ok;

	if (!sdp_is_value(fmtp, SDP_VALUE_MAX))
		return false;
	memset(&c, 0, sizeof(c));
	tmp = sdp_model_new();
	ok = sdp_fmtp_split(&c, fmtp, tmp) == NULL;
	g_free(c.params);
	sdp_free(tmp);
	return ok;
}

void sdp_media_link_rtx(struct sdp_media *m)
{
	for (unsigned i = 0; i < m->n_codecs; i++)
		m->codecs[i].rtx_pt = -1;
	for (unsigned i = 0; i < m->n_codecs; i++) {
		struct sdp_codec *rtx = &m->codecs[i];
		struct sdp_codec *orig;

		if (rtx->apt < 0 || !rtx->name || g_ascii_strcasecmp(rtx->name, "rtx") != 0)
			continue;
		orig = (struct sdp_codec *)sdp_codec_by_pt(m, (unsigned)rtx->apt);
		if (orig && orig != rtx && orig->rtx_pt < 0)
			orig->rtx_pt = rtx->pt;
	}
}

/* ---- lookups and codec matching --------------------------------------- */

const struct sdp_media *sdp_media_by_mid(const struct sdp *s, const char *mid)
{
	if (!s || !mid)
		return NULL;
	for (unsigned i = 0; i < s->n_media; i++)
		if (s->media[i].mid && strcmp(s->media[i].mid, mid) == 0)
			return &s->media[i];
	return NULL;
}

const struct sdp_codec *sdp_codec_by_pt(const struct sdp_media *m, unsigned pt)
{
	for (unsigned i = 0; m && i < m->n_codecs; i++)
		if (m->codecs[i].pt == pt)
			return &m->codecs[i];
	return NULL;
}

const char *sdp_codec_param(const struct sdp_codec *c, const char *key)
{
	for (unsigned i = 0; c && i < c->n_params; i++)
		if (g_ascii_strcasecmp(c->params[i].key, key) == 0)
			return c->params[i].value;
	return NULL;
}

int sdp_codec_rtx_pt(const struct sdp_media *m, const struct sdp_codec *c)
{
	for (unsigned i = 0; m && c && i < m->n_codecs; i++) {
		const struct sdp_codec *r = &m->codecs[i];

		if (r->apt == c->pt && r->name && g_ascii_strcasecmp(r->name, "rtx") == 0)
			return r->pt;
	}
	return -1;
}

unsigned sdp_extmap_id(const struct sdp_media *m, const char *uri)
{
	for (unsigned i = 0; m && uri && i < m->n_extmaps; i++)
		if (m->extmaps[i].uri && strcmp(m->extmaps[i].uri, uri) == 0)
			return m->extmaps[i].id;
	return 0;
}

/* The value of `key` in a raw fmtp string, copied into buf, or NULL. */
static const char *fmtp_get(const char *fmtp, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);
	const char *p = fmtp;

	while (p && *p) {
		const char *end = strchr(p, ';');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		while (n && *p == ' ')
			p++, n--;
		if (n > klen && p[klen] == '=' && g_ascii_strncasecmp(p, key, klen) == 0) {
			n = MIN(n - klen - 1, size - 1);
			memcpy(buf, p + klen + 1, n);
			buf[n] = '\0';
			return g_strstrip(buf);
		}
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

/* H264 profiles from profile-level-id's profile_idc and profile-iop, as
 * WebRTC classifies them (a pattern char per bit, MSB first: x any). */
static int h264_profile(const char *plid)
{
	static const struct {
		uint8_t idc;
		const char *iop;
		int profile;
	} pats[] = {
		{ 0x42, "x1xx0000", 1 }, { 0x4d, "1xxx0000", 1 }, { 0x58, "11xx0000", 1 },
		{ 0x42, "x0xx0000", 2 }, { 0x58, "10xx0000", 2 }, { 0x4d, "0x0x0000", 3 },
		{ 0x64, "00000000", 4 }, { 0x64, "00001100", 5 }, { 0xf4, "00000000", 6 },
	};
	unsigned idc, iop;
	char tmp[3] = { 0 };

	if (strlen(plid) != 6 || !g_ascii_isxdigit(plid[0]) || !g_ascii_isxdigit(plid[1]) ||
	    !g_ascii_isxdigit(plid[2]) || !g_ascii_isxdigit(plid[3]))
		return -1;
	memcpy(tmp, plid, 2);
	idc = (unsigned)strtoul(tmp, NULL, 16);
	memcpy(tmp, plid + 2, 2);
	iop = (unsigned)strtoul(tmp, NULL, 16);
	for (unsigned i = 0; i < G_N_ELEMENTS(pats); i++) {
		bool ok = pats[i].idc == idc;

		for (unsigned b = 0; ok && b < 8; b++) {
			char want = pats[i].iop[b];
			unsigned bit = (iop >> (7 - b)) & 1;

			ok = want == 'x' || (unsigned)(want - '0') == bit;
		}
		if (ok)
			return pats[i].profile;
	}
	return -1;
}

/* Compares parameter `key` of two fmtp strings with default `def`. */
static bool fmtp_same(const char *a, const char *b, const char *key, const char *def)
{
	char ba[64], bb[64];
	const char *va = fmtp_get(a, key, ba, sizeof(ba));
	const char *vb = fmtp_get(b, key, bb, sizeof(bb));

	return g_ascii_strcasecmp(va ? va : def, vb ? vb : def) == 0;
}

static bool h264_same(const char *a, const char *b)
{
	char ba[64], bb[64];
	const char *pa = fmtp_get(a, "profile-level-id", ba, sizeof(ba));
	const char *pb = fmtp_get(b, "profile-level-id", bb, sizeof(bb));
	int fa, fb;

	if (!fmtp_same(a, b, "packetization-mode", "0"))
		return false;
	pa = pa ? pa : "42000a";
	pb = pb ? pb : "42000a";
	fa = h264_profile(pa);
	fb = h264_profile(pb);
	if (fa >= 0 || fb >= 0)
		return fa == fb;
	return strlen(pa) == 6 && strlen(pb) == 6 && g_ascii_strncasecmp(pa, pb, 4) == 0;
}

bool sdp_codec_matches(const struct sdp_codec *c, const char *name, uint32_t clock_rate,
		       unsigned channels, const char *fmtp)
{
	const char *cf = c->fmtp ? c->fmtp : "";

	if (!c->name || g_ascii_strcasecmp(c->name, name) != 0 || c->clock_rate != clock_rate)
		return false;
	if (channels && (c->channels ? c->channels : 1u) != channels)
		return false;
	if (!fmtp)
		return true;
	if (g_ascii_strcasecmp(name, "H264") == 0)
		return h264_same(cf, fmtp);
	if (g_ascii_strcasecmp(name, "VP9") == 0)
		return fmtp_same(cf, fmtp, "profile-id", "0");
	if (g_ascii_strcasecmp(name, "AV1") == 0)
		return fmtp_same(cf, fmtp, "profile", "0");
	return true;
}

const struct sdp_codec *sdp_codec_find(const struct sdp_media *m, const char *name,
				       uint32_t clock_rate, unsigned channels, const char *fmtp)
{
	for (unsigned i = 0; m && name && i < m->n_codecs; i++)
		if (sdp_codec_matches(&m->codecs[i], name, clock_rate, channels, fmtp))
			return &m->codecs[i];
	return NULL;
}

/* ---- fingerprints ----------------------------------------------------- */

static int fingerprint_len(const char *alg)
{
	static const struct {
		const char *alg;
		int len;
	} algs[] = {
		{ "sha-1", 20 },  { "sha-224", 28 }, { "sha-256", 32 }, { "sha-384", 48 },
		{ "sha-512", 64 }, { "md5", 16 },     { "md2", 16 },
	};

	for (unsigned i = 0; i < G_N_ELEMENTS(algs); i++)
		if (strcmp(alg, algs[i].alg) == 0)
			return algs[i].len;
	return -1;
}

static const char *hex_bytes(struct sdp_fingerprint *fp, const char *p)
{
	fp->len = 0;
	for (;;) {
		if (!g_ascii_isxdigit(p[0]) || !g_ascii_isxdigit(p[1]))
			return "fingerprint: bad hex";
		if (fp->len == sizeof(fp->bytes))
			return "fingerprint: too long";
		fp->bytes[fp->len++] = (uint8_t)(g_ascii_xdigit_value(p[0]) << 4 |
						 g_ascii_xdigit_value(p[1]));
		p += 2;
		if (*p == '\0')
			return NULL;
		if (*p != ':')
			return "fingerprint: bad hex";
		p++;
	}
}

const char *sdp_fingerprint_parse(struct sdp_fingerprint *fp, const char *value)
{
	struct sdp_fingerprint f;
	const char *sp = strchr(value, ' ');
	const char *why;
	size_t alen;
	int want;

	memset(&f, 0, sizeof(f));
	if (!sp)
		return "fingerprint: missing hash";
	alen = (size_t)(sp - value);
	if (alen == 0 || alen >= sizeof(f.alg))
		return "fingerprint: bad algorithm";
	for (size_t i = 0; i < alen; i++)
		f.alg[i] = g_ascii_tolower(value[i]);
	if (!sdp_is_token(f.alg, 1, sizeof(f.alg) - 1))
		return "fingerprint: bad algorithm";
	while (*sp == ' ')
		sp++;
	why = hex_bytes(&f, sp);
	if (why)
		return why;
	want = fingerprint_len(f.alg);
	if (want >= 0 && want != f.len)
		return "fingerprint: length does not match the algorithm";
	*fp = f;
	return NULL;
}

bool sdp_fingerprint_append(GString *out, const struct sdp_fingerprint *fp)
{
	int want;

	if (fp->len == 0 || fp->len > sizeof(fp->bytes) ||
	    !sdp_is_token(fp->alg, 1, sizeof(fp->alg) - 1))
		return false;
	want = fingerprint_len(fp->alg);
	if (want >= 0 && want != fp->len)
		return false;
	for (const char *a = fp->alg; *a; a++)
		if (g_ascii_isupper(*a))
			return false;
	g_string_append(out, fp->alg);
	for (unsigned i = 0; i < fp->len; i++)
		g_string_append_printf(out, "%c%02X", i ? ':' : ' ', fp->bytes[i]);
	return true;
}

/* ---- candidates ------------------------------------------------------- */

/* IPv4, IPv6 (with a zone) or a host name: the characters they use. */
static bool is_address(const char *s)
{
	size_t n;

	if (!len_ok(s, 1, 255, &n))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(s[i]) && !strchr(".:-_%", s[i]))
			return false;
	return true;
}

static bool is_foundation(const char *s)
{
	return sdp_is_ice_chars(s, 1, 32);
}

static const char *cand_type(struct sdp_candidate *c, const char *t)
{
	static const char *const types[] = { "host", "srflx", "prflx", "relay" };

	for (unsigned i = 0; i < G_N_ELEMENTS(types); i++) {
		if (strcmp(t, types[i]) == 0) {
			c->type = (enum sdp_cand_type)i;
			return NULL;
		}
	}
	return "candidate: unknown type";
}

static const char *cand_ext(struct sdp_candidate *c, const char *k, const char *v,
			    struct sdp *s)
{
	uint64_t n;

	if (strcmp(k, "raddr") == 0) {
		if (!is_address(v))
			return "candidate: bad raddr";
		c->raddr = sdp_model_str(s, v);
	} else if (strcmp(k, "rport") == 0) {
		if (!sdp_parse_uint(v, 65535, &n))
			return "candidate: bad rport";
		c->rport = (uint16_t)n;
	} else if (strcmp(k, "tcptype") == 0) {
		if (strcmp(v, "active") == 0)
			c->tcptype = SDP_TCPTYPE_ACTIVE;
		else if (strcmp(v, "passive") == 0)
			c->tcptype = SDP_TCPTYPE_PASSIVE;
		else if (strcmp(v, "so") == 0)
			c->tcptype = SDP_TCPTYPE_SO;
		else
			return "candidate: bad tcptype";
	} else if (strcmp(k, "ufrag") == 0) {
		if (!sdp_is_ice_chars(v, 1, SDP_ICE_MAX))
			return "candidate: bad ufrag";
		c->ufrag = sdp_model_str(s, v);
	} else if (strcmp(k, "generation") == 0) {
		if (!sdp_parse_uint(v, INT32_MAX, &n))
			return "candidate: bad generation";
		c->generation = (int32_t)n;
	} else if (strcmp(k, "network-id") == 0) {
		if (!sdp_parse_uint(v, INT32_MAX, &n))
			return "candidate: bad network-id";
		c->network_id = (int32_t)n;
	} else if (strcmp(k, "network-cost") == 0) {
		if (!sdp_parse_uint(v, INT32_MAX, &n))
			return "candidate: bad network-cost";
		c->network_cost = (int32_t)n;
	}
	/* Other extensions are ignored. */
	return NULL;
}

static const char *cand_base(struct sdp_candidate *c, char **t, struct sdp *s)
{
	uint64_t n;

	if (!is_foundation(t[0]))
		return "candidate: bad foundation";
	c->foundation = sdp_model_str(s, t[0]);
	if (!sdp_parse_uint(t[1], 256, &n) || n == 0)
		return "candidate: bad component";
	c->component = (uint16_t)n;
	if (g_ascii_strcasecmp(t[2], "udp") == 0)
		c->transport = SDP_CAND_UDP;
	else if (g_ascii_strcasecmp(t[2], "tcp") == 0)
		c->transport = SDP_CAND_TCP;
	else
		return "candidate: unknown transport";
	if (!sdp_parse_uint(t[3], UINT32_MAX, &n))
		return "candidate: bad priority";
	c->priority = (uint32_t)n;
	if (!is_address(t[4]))
		return "candidate: bad address";
	c->address = sdp_model_str(s, t[4]);
	if (!sdp_parse_uint(t[5], 65535, &n))
		return "candidate: bad port";
	c->port = (uint16_t)n;
	if (strcmp(t[6], "typ") != 0)
		return "candidate: missing typ";
	return cand_type(c, t[7]);
}

const char *sdp_candidate_parse_value(struct sdp_candidate *c, const char *value, struct sdp *s)
{
	char buf[SDP_MAX_LINE + 1];
	char *t[41];
	unsigned n;
	const char *why;

	if (strlen(value) > SDP_MAX_LINE)
		return "candidate: too long";
	memset(c, 0, sizeof(*c));
	c->generation = c->network_id = c->network_cost = -1;
	strcpy(buf, value);
	n = sdp_split(buf, t, G_N_ELEMENTS(t) - 1);
	if (n > G_N_ELEMENTS(t) - 1)
		return "candidate: too many fields";
	if (n < 8)
		return "candidate: missing fields";
	why = cand_base(c, t, s);
	if (why)
		return why;
	if ((n - 8) % 2)
		return "candidate: extension without a value";
	for (unsigned i = 8; i < n && !why; i += 2)
		why = cand_ext(c, t[i], t[i + 1], s);
	return why;
}

bool sdp_candidate_append(GString *out, const struct sdp_candidate *c)
{
	const char *type = sdp_cand_type_name(c->type);
	static const char *const tcptypes[] = { NULL, "active", "passive", "so" };

	if (!is_foundation(c->foundation) || !is_address(c->address) || !type ||
	    c->component == 0 || c->component > 256 ||
	    (c->transport != SDP_CAND_UDP && c->transport != SDP_CAND_TCP) ||
	    (unsigned)c->tcptype >= G_N_ELEMENTS(tcptypes) ||
	    (c->raddr && !is_address(c->raddr)) ||
	    (c->ufrag && !sdp_is_ice_chars(c->ufrag, 1, SDP_ICE_MAX)))
		return false;
	g_string_append_printf(out, "candidate:%s %u %s %" G_GUINT32_FORMAT " %s %u typ %s",
			       c->foundation, c->component,
			       c->transport == SDP_CAND_TCP ? "tcp" : "udp", c->priority,
			       c->address, c->port, type);
	if (c->raddr)
		g_string_append_printf(out, " raddr %s rport %u", c->raddr, c->rport);
	if (c->transport == SDP_CAND_TCP && c->tcptype != SDP_TCPTYPE_NONE)
		g_string_append_printf(out, " tcptype %s", tcptypes[c->tcptype]);
	if (c->generation >= 0)
		g_string_append_printf(out, " generation %d", c->generation);
	if (c->ufrag)
		g_string_append_printf(out, " ufrag %s", c->ufrag);
	if (c->network_id >= 0)
		g_string_append_printf(out, " network-id %d", c->network_id);
	if (c->network_cost >= 0)
		g_string_append_printf(out, " network-cost %d", c->network_cost);
	return true;
}

/* A parsed candidate and the storage of its strings. */
struct cand_box {
	struct sdp_candidate c; /* first: sdp_candidate_free casts back */
	struct sdp *store;
};

/* The value after "[a=]candidate:" in `line` (NUL-terminated, CRLF
 * stripped), or NULL with a reason. */
static const char *cand_value(char *line, const char **why)
{
	char *v = line;

	if (g_str_has_prefix(v, "a="))
		v += 2;
	if (!g_str_has_prefix(v, "candidate:")) {
		*why = "not a candidate attribute";
		return NULL;
	}
	for (const char *p = v; *p; p++) {
		if ((unsigned char)*p < ' ' || *p == 0x7f) {
			*why = "candidate: control character";
			return NULL;
		}
	}
	return v + strlen("candidate:");
}

int sdp_candidate_parse(struct sdp_candidate **out, const char *text, size_t len,
			char *err, size_t errsize)
{
	struct cand_box *box;
	const char *why = NULL, *v;
	char *line;

	if (!out || !text)
		return EINVAL;
	if (err && errsize)
		err[0] = '\0';
	if (len > SDP_MAX_LINE)
		why = "candidate: too long";
	else if (memchr(text, '\0', len))
		why = "candidate: NUL byte";
	if (why)
		goto out;
	line = g_strchomp(g_strndup(text, len));
	v = cand_value(line, &why);
	box = g_new0(struct cand_box, 1);
	box->store = sdp_model_new();
	if (v)
		why = sdp_candidate_parse_value(&box->c, v, box->store);
	if (why)
		sdp_candidate_free(&box->c);
	else
		*out = &box->c;
	g_free(line);
out:
	if (why && err && errsize)
		snprintf(err, errsize, "%s", why);
	return why ? EBADMSG : 0;
}

void sdp_candidate_free(struct sdp_candidate *c)
{
	struct cand_box *box = (struct cand_box *)c;

	if (!box)
		return;
	sdp_free(box->store);
	g_free(box);
}

int sdp_candidate_write(const struct sdp_candidate *c, char **out)
{
	GString *s;

	if (!c || !out)
		return EINVAL;
	s = g_string_new(NULL);
	if (!sdp_candidate_append(s, c)) {
		g_string_free(s, TRUE);
		return EINVAL;
	}
	*out = g_string_free(s, FALSE);
	return 0;
}
