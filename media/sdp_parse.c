/* sdp_parse.c - the SDP parser (RFC 8866 with the WebRTC attributes of
 * RFC 8839/8841/8843/8851/8853, 5576, 5888, 8285, 4585, 4588, 8122) and the
 * trickle ICE fragment parser (RFC 8840).
 *
 * The text is split into lines (CRLF or LF), each copied into a bounded,
 * NUL-terminated buffer and checked (no NUL, no control characters, the
 * "x=" shape) before any attribute parser sees it, so attribute parsers work
 * on C strings and cannot read past the input. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "media/sdp_int.h"

struct parser {
	struct sdp *s;
	bool frag;              /* parsing a trickle fragment */
	unsigned line;          /* current line number, from 1 */
	int cur;                /* current section, -1 at session level */
	bool seen_v;
	enum sdp_dir sess_dir;
	const char *sess_conn;
	unsigned bundle_line;
	uint8_t rtpmap_seen[16]; /* payload types with an a=rtpmap in this section */
	struct sdp_media sess_ext; /* session-level a=extmap, inherited at the end */
	char *err;
	size_t errsize;
};

/* Records "line N: <message>" and returns EBADMSG. */
static int G_GNUC_PRINTF(2, 3) perr(struct parser *p, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!p->err || !p->errsize)
		return EBADMSG;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errsize, "line %u: %s", p->line, msg);
	return EBADMSG;
}

static struct sdp_media *cur_media(struct parser *p)
{
	return p->cur >= 0 ? &p->s->media[p->cur] : NULL;
}

static bool is_rtp(const struct sdp_media *m)
{
	return m && (m->proto == SDP_PROTO_RTP_SAVPF || m->proto == SDP_PROTO_RTP_OTHER);
}

/* ---- session lines ---------------------------------------------------- */

static int line_o(struct parser *p, char *v)
{
	char *t[7];

	if (p->frag)
		return 0;
	if (sdp_split(v, t, 6) != 6)
		return perr(p, "o=: expected 6 fields");
	if (!sdp_is_visible(t[0], 1, SDP_VALUE_MAX) || !sdp_is_digits(t[1], 1, 32) ||
	    !sdp_is_digits(t[2], 1, 32))
		return perr(p, "o=: bad username, session id or version");
	if (strcmp(t[3], "IN") != 0 || (strcmp(t[4], "IP4") != 0 && strcmp(t[4], "IP6") != 0) ||
	    !sdp_is_visible(t[5], 1, SDP_VALUE_MAX))
		return perr(p, "o=: bad address");
	p->s->origin_user = sdp_model_str(p->s, t[0]);
	p->s->sess_id = sdp_model_str(p->s, t[1]);
	p->s->sess_version = sdp_model_str(p->s, t[2]);
	return 0;
}

static int line_c(struct parser *p, char *v)
{
	char *t[4];
	const char *addr;

	if (p->frag)
		return 0;
	if (sdp_split(v, t, 3) != 3 || strcmp(t[0], "IN") != 0 ||
	    (strcmp(t[1], "IP4") != 0 && strcmp(t[1], "IP6") != 0) ||
	    !sdp_is_visible(t[2], 1, SDP_VALUE_MAX))
		return perr(p, "c=: expected IN IP4|IP6 <address>");
	addr = sdp_model_str(p->s, t[2]);
	if (cur_media(p))
		cur_media(p)->conn_addr = addr;
	else
		p->sess_conn = addr;
	return 0;
}

/* ---- m= --------------------------------------------------------------- */

static void media_kind(struct sdp_media *m, const char *kind)
{
	if (strcmp(kind, "audio") == 0)
		m->kind = SDP_KIND_AUDIO;
	else if (strcmp(kind, "video") == 0)
		m->kind = SDP_KIND_VIDEO;
	else if (strcmp(kind, "application") == 0)
		m->kind = SDP_KIND_APPLICATION;
	else
		m->kind = SDP_KIND_OTHER;
}

static int media_port(struct parser *p, struct sdp_media *m, char *port)
{
	char *slash = strchr(port, '/');
	uint64_t v, n;

	if (slash) {
		*slash = '\0';
		if (!sdp_parse_uint(slash + 1, 65535, &n) || n == 0)
			return perr(p, "m=: bad port count");
	}
	if (!sdp_parse_uint(port, 65535, &v))
		return perr(p, "m=: bad port");
	m->port = (uint16_t)v;
	return 0;
}

static int media_codec_add(struct parser *p, struct sdp_media *m, const char *fmt)
{
	struct sdp_codec *c;
	uint64_t pt;

	if (!sdp_parse_uint(fmt, 127, &pt))
		return perr(p, "m=: bad payload type \"%.16s\"", fmt);
	if (sdp_codec_by_pt(m, (unsigned)pt))
		return perr(p, "m=: duplicate payload type %u", (unsigned)pt);
	c = sdp_arr_push(&m->codecs, &m->n_codecs, sizeof(*c), SDP_MAX_CODECS);
	if (!c)
		return perr(p, "m=: too many payload types");
	c->pt = (uint8_t)pt;
	c->apt = c->rtx_pt = -1;
	c->name = sdp_static_codec(c->pt, &c->clock_rate, &c->channels);
	if (!c->name)
		c->channels = m->kind == SDP_KIND_AUDIO ? 1 : 0;
	return 0;
}

static int media_formats(struct parser *p, struct sdp_media *m, char **t, unsigned n)
{
	GString *raw;
	uint64_t port;
	int err = 0;

	if (is_rtp(m)) {
		for (unsigned i = 0; i < n && !err; i++)
			err = media_codec_add(p, m, t[i]);
		return err;
	}
	raw = g_string_new(NULL);
	for (unsigned i = 0; i < n; i++)
		g_string_append_printf(raw, "%s%s", i ? " " : "", t[i]);
	if (raw->len > SDP_VALUE_MAX)
		err = perr(p, "m=: format list too long");
	else
		m->fmt = sdp_model_str(p->s, raw->str);
	g_string_free(raw, TRUE);
	if (!err && m->proto == SDP_PROTO_DTLS_SCTP && m->port != 0) {
		if (!sdp_parse_uint(t[0], 65535, &port) || port == 0)
			return perr(p, "m=: bad SCTP port");
		m->sctp_port = (uint16_t)port;
	}
	return err;
}

static int line_m(struct parser *p, char *v)
{
	char *t[SDP_MAX_CODECS + 4];
	struct sdp_media *m;
	unsigned n = sdp_split(v, t, G_N_ELEMENTS(t));
	int err;

	if (n > G_N_ELEMENTS(t))
		return perr(p, "m=: too many formats");
	if (n < 4)
		return perr(p, "m=: expected <media> <port> <proto> <fmt> ...");
	if (!sdp_is_token(t[0], 1, SDP_TOKEN_MAX) || !sdp_is_proto(t[2]))
		return perr(p, "m=: bad media or proto");
	m = sdp_arr_push(&p->s->media, &p->s->n_media, sizeof(*m), SDP_MAX_MEDIA);
	if (!m)
		return perr(p, "more than %d m= sections", SDP_MAX_MEDIA);
	p->cur = (int)p->s->n_media - 1;
	memset(p->rtpmap_seen, 0, sizeof(p->rtpmap_seen));
	media_kind(m, t[0]);
	m->kind_name = sdp_model_str(p->s, t[0]);
	m->proto = sdp_proto_of(t[2]);
	m->proto_name = sdp_model_str(p->s, t[2]);
	err = media_port(p, m, t[1]);
	if (err)
		return err;
	return media_formats(p, m, t + 3, n - 3);
}

/* ---- ICE, DTLS, bundle ------------------------------------------------ */

static int attr_ice_ufrag(struct parser *p, char *v)
{
	const char **dst = cur_media(p) ? &cur_media(p)->ice_ufrag : &p->s->ice_ufrag;

	if (!sdp_is_ice_chars(v, SDP_UFRAG_MIN, SDP_ICE_MAX))
		return perr(p, "a=ice-ufrag: must be 4-256 ice-chars");
	*dst = sdp_model_str(p->s, v);
	return 0;
}

static int attr_ice_pwd(struct parser *p, char *v)
{
	const char **dst = cur_media(p) ? &cur_media(p)->ice_pwd : &p->s->ice_pwd;

	if (!sdp_is_ice_chars(v, SDP_PWD_MIN, SDP_ICE_MAX))
		return perr(p, "a=ice-pwd: must be 22-256 ice-chars");
	*dst = sdp_model_str(p->s, v);
	return 0;
}

static int attr_ice_options(struct parser *p, char *v)
{
	char *t[16];
	unsigned n = sdp_split(v, t, G_N_ELEMENTS(t));

	if (n > G_N_ELEMENTS(t))
		return perr(p, "a=ice-options: too many options");
	for (unsigned i = 0; i < n; i++) {
		if (strcmp(t[i], "trickle") == 0)
			p->s->ice_trickle = true;
		else if (strcmp(t[i], "ice2") == 0)
			p->s->ice2 = true;
	}
	return 0;
}

static int attr_fingerprint(struct parser *p, char *v)
{
	struct sdp_fingerprint *dst =
		cur_media(p) ? &cur_media(p)->fingerprint : &p->s->fingerprint;
	struct sdp_fingerprint fp;
	const char *why = sdp_fingerprint_parse(&fp, v);

	if (why)
		return perr(p, "a=%s", why);
	/* Keep the first one, unless a later one is the sha-256 we prefer. */
	if (dst->len == 0 || (strcmp(dst->alg, "sha-256") != 0 && strcmp(fp.alg, "sha-256") == 0))
		*dst = fp;
	return 0;
}

static int attr_setup(struct parser *p, char *v)
{
	enum sdp_setup *dst = cur_media(p) ? &cur_media(p)->setup : &p->s->setup;

	for (int i = SDP_SETUP_ACTPASS; i <= SDP_SETUP_HOLDCONN; i++) {
		if (strcmp(v, sdp_setup_name((enum sdp_setup)i)) == 0) {
			*dst = (enum sdp_setup)i;
			return 0;
		}
	}
	return perr(p, "a=setup: expected actpass, active, passive or holdconn");
}

static int attr_group(struct parser *p, char *v)
{
	char *t[SDP_MAX_MEDIA + 2];
	unsigned n = sdp_split(v, t, G_N_ELEMENTS(t));

	if (n > G_N_ELEMENTS(t) - 1)
		return perr(p, "a=group: too many mids");
	if (n == 0 || !sdp_is_token(t[0], 1, SDP_TOKEN_MAX))
		return perr(p, "a=group: missing semantics");
	if (strcmp(t[0], "BUNDLE") != 0 || p->bundle_line)
		return 0; /* other groups, and BUNDLE groups after the first */
	p->bundle_line = p->line;
	p->s->bundle = g_new0(const char *, n);
	for (unsigned i = 1; i < n; i++) {
		if (!sdp_is_token(t[i], 1, SDP_TOKEN_MAX))
			return perr(p, "a=group: bad mid");
		for (unsigned j = 0; j < p->s->n_bundle; j++)
			if (strcmp(p->s->bundle[j], t[i]) == 0)
				return perr(p, "a=group: mid %s listed twice", t[i]);
		p->s->bundle[p->s->n_bundle++] = sdp_model_str(p->s, t[i]);
	}
	return 0;
}

static int attr_mid(struct parser *p, char *v)
{
	struct sdp_media *m = cur_media(p);

	if (!sdp_is_token(v, 1, SDP_TOKEN_MAX))
		return perr(p, "a=mid: bad mid");
	if (m->mid)
		return perr(p, "a=mid: second mid in one section");
	if (sdp_media_by_mid(p->s, v))
		return perr(p, "a=mid: duplicate mid %s", v);
	m->mid = sdp_model_str(p->s, v);
	return 0;
}

static int attr_candidate(struct parser *p, char *v)
{
	struct sdp_media *m = cur_media(p);
	struct sdp_candidate *c;
	const char *why;

	if (!m) {
		/* Only fragments get here: a candidate before any m= line. */
		m = sdp_arr_push(&p->s->media, &p->s->n_media, sizeof(*m), SDP_MAX_MEDIA);
		if (!m)
			return perr(p, "more than %d m= sections", SDP_MAX_MEDIA);
		p->cur = (int)p->s->n_media - 1;
	}
	c = sdp_arr_push(&m->candidates, &m->n_candidates, sizeof(*c), SDP_MAX_CANDIDATES);
	if (!c)
		return perr(p, "more than %d candidates in a section", SDP_MAX_CANDIDATES);
	why = sdp_candidate_parse_value(c, v, p->s);
	return why ? perr(p, "a=%s", why) : 0;
}

/* ---- codecs ----------------------------------------------------------- */

/* The codec of payload type `ptstr` in the current RTP section, or NULL
 * with the error set. */
static struct sdp_codec *codec_of(struct parser *p, const char *attr, const char *ptstr, int *err)
{
	uint64_t pt;
	struct sdp_codec *c;

	if (!sdp_parse_uint(ptstr, 127, &pt)) {
		*err = perr(p, "a=%s: bad payload type", attr);
		return NULL;
	}
	c = (struct sdp_codec *)sdp_codec_by_pt(cur_media(p), (unsigned)pt);
	if (!c)
		*err = perr(p, "a=%s: payload type %u not in the m= line", attr, (unsigned)pt);
	return c;
}

/* Splits "<first> <rest>" at the first run of spaces; rest may be "". */
static char *split_first(char *v)
{
	char *sp = strchr(v, ' ');

	if (!sp)
		return v + strlen(v);
	*sp++ = '\0';
	while (*sp == ' ')
		sp++;
	return sp;
}

static int attr_rtpmap(struct parser *p, char *v)
{
	char *rest = split_first(v);
	char *parts[4];
	struct sdp_codec *c;
	uint64_t clock, ch = 0;
	unsigned n;
	int err = 0;

	if (!is_rtp(cur_media(p)))
		return 0;
	c = codec_of(p, "rtpmap", v, &err);
	if (!c)
		return err;
	if (p->rtpmap_seen[c->pt / 8] & (1u << (c->pt % 8)))
		return perr(p, "a=rtpmap: second rtpmap for payload type %u", c->pt);
	p->rtpmap_seen[c->pt / 8] |= (uint8_t)(1u << (c->pt % 8));
	n = 0;
	for (char *s = rest, *tok; n < 4 && (tok = strsep(&s, "/"));)
		parts[n++] = tok;
	if (n < 2 || n > 3 || !sdp_is_token(parts[0], 1, SDP_TOKEN_MAX) ||
	    !sdp_parse_uint(parts[1], UINT32_MAX, &clock) || clock == 0 ||
	    (n == 3 && (!sdp_parse_uint(parts[2], 255, &ch) || ch == 0)))
		return perr(p, "a=rtpmap: expected <pt> <name>/<clock>[/<channels>]");
	c->name = sdp_model_str(p->s, parts[0]);
	c->clock_rate = (uint32_t)clock;
	if (n == 3)
		c->channels = (uint8_t)ch;
	return 0;
}

static int attr_fmtp(struct parser *p, char *v)
{
	char *rest = split_first(v);
	struct sdp_codec *c;
	const char *why;
	int err = 0;

	if (!is_rtp(cur_media(p)))
		return 0;
	c = codec_of(p, "fmtp", v, &err);
	if (!c)
		return err;
	if (c->fmtp)
		return perr(p, "a=fmtp: second fmtp for payload type %u", c->pt);
	if (!*rest || strlen(rest) > SDP_VALUE_MAX)
		return perr(p, "a=fmtp: missing or too long parameters");
	c->fmtp = sdp_model_str(p->s, rest);
	why = sdp_fmtp_split(c, rest, p->s);
	return why ? perr(p, "a=fmtp: %s", why) : 0;
}

static int codec_fb_add(struct parser *p, struct sdp_codec *c, const char *fb)
{
	for (unsigned i = 0; i < c->n_rtcp_fb; i++)
		if (strcmp(c->rtcp_fb[i], fb) == 0)
			return 0;
	if (c->n_rtcp_fb == SDP_MAX_RTCP_FB)
		return perr(p, "a=rtcp-fb: more than %d for payload type %u", SDP_MAX_RTCP_FB, c->pt);
	*(const char **)sdp_arr_push(&c->rtcp_fb, &c->n_rtcp_fb, sizeof(char *),
				     SDP_MAX_RTCP_FB) = sdp_model_str(p->s, fb);
	c->fb |= sdp_fb_bit(fb);
	return 0;
}

static int attr_rtcp_fb(struct parser *p, char *v)
{
	struct sdp_media *m = cur_media(p);
	char *rest = split_first(v);
	char *t[9];
	char *fb;
	unsigned n;
	int err = 0;
	struct sdp_codec *c = NULL;

	if (!is_rtp(m))
		return 0;
	if (strcmp(v, "*") != 0 && !(c = codec_of(p, "rtcp-fb", v, &err)))
		return err;
	n = sdp_split(rest, t, G_N_ELEMENTS(t) - 1);
	if (n == 0 || n > G_N_ELEMENTS(t) - 1)
		return perr(p, "a=rtcp-fb: expected <pt> <type> [<param>]");
	t[n] = NULL;
	fb = g_strjoinv(" ", t);
	if (!sdp_is_text(fb, 1, SDP_TOKEN_MAX))
		err = perr(p, "a=rtcp-fb: too long");
	for (unsigned i = 0; !err && i < m->n_codecs; i++)
		if (!c || c == &m->codecs[i])
			err = codec_fb_add(p, &m->codecs[i], fb);
	g_free(fb);
	return err;
}

/* ---- extensions, SSRCs, msid ------------------------------------------ */

static int dir_parse(const char *v, enum sdp_dir *out)
{
	for (int i = SDP_DIR_SENDRECV; i <= SDP_DIR_INACTIVE; i++) {
		if (strcmp(v, sdp_dir_name((enum sdp_dir)i)) == 0) {
			*out = (enum sdp_dir)i;
			return 0;
		}
	}
	return EINVAL;
}

static int attr_extmap(struct parser *p, char *v)
{
	struct sdp_media *m = cur_media(p) ? cur_media(p) : &p->sess_ext;
	char *uri = split_first(v);
	char *attrs = split_first(uri);
	char *slash = strchr(v, '/');
	enum sdp_dir dir = SDP_DIR_NONE;
	struct sdp_extmap *e;
	uint64_t id;

	if (slash) {
		*slash = '\0';
		if (dir_parse(slash + 1, &dir))
			return perr(p, "a=extmap: bad direction");
	}
	if (!sdp_parse_uint(v, 255, &id) || id == 0)
		return perr(p, "a=extmap: id must be 1-255");
	if (!sdp_is_visible(uri, 1, SDP_VALUE_MAX) || (*attrs && !sdp_is_text(attrs, 1, SDP_VALUE_MAX)))
		return perr(p, "a=extmap: bad URI");
	for (unsigned i = 0; i < m->n_extmaps; i++)
		if (m->extmaps[i].id == id)
			return perr(p, "a=extmap: duplicate id %u", (unsigned)id);
	e = sdp_arr_push(&m->extmaps, &m->n_extmaps, sizeof(*e), SDP_MAX_EXTMAPS);
	if (!e)
		return perr(p, "a=extmap: more than %d in a section", SDP_MAX_EXTMAPS);
	e->id = (uint16_t)id;
	e->dir = dir;
	e->uri = sdp_model_str(p->s, uri);
	e->attrs = *attrs ? sdp_model_str(p->s, attrs) : NULL;
	return 0;
}

/* Parses "<stream> [<track>]" (RFC 8830). */
static int msid_parse(struct parser *p, const char *attr, char *v, const char **stream,
		      const char **track)
{
	char *t[3];
	unsigned n = sdp_split(v, t, 2);

	if (n < 1 || n > 2 || !sdp_is_token(t[0], 1, SDP_TOKEN_MAX) ||
	    (n == 2 && !sdp_is_token(t[1], 1, SDP_TOKEN_MAX)))
		return perr(p, "%s: expected <stream id> [<track id>] of 1-64 token chars", attr);
	*stream = sdp_model_str(p->s, t[0]);
	*track = n == 2 ? sdp_model_str(p->s, t[1]) : NULL;
	return 0;
}

static int attr_msid(struct parser *p, char *v)
{
	struct sdp_media *m = cur_media(p);
	const char *stream, *track;
	int err = msid_parse(p, "a=msid", v, &stream, &track);

	if (err || m->msid_stream)
		return err; /* a second a=msid (more streams) is not kept */
	m->msid_stream = stream;
	m->msid_track = track;
	return 0;
}

static int attr_ssrc(struct parser *p, char *v)
{
	struct sdp_media *m = cur_media(p);
	char *rest = split_first(v);
	char *val = strchr(rest, ':');
	struct sdp_ssrc *s = NULL;
	uint64_t id;

	if (!sdp_parse_uint(v, UINT32_MAX, &id))
		return perr(p, "a=ssrc: bad SSRC");
	for (unsigned i = 0; i < m->n_ssrcs && !s; i++)
		if (m->ssrcs[i].ssrc == id)
			s = &m->ssrcs[i];
	if (!s && !(s = sdp_arr_push(&m->ssrcs, &m->n_ssrcs, sizeof(*s), SDP_MAX_SSRCS)))
		return perr(p, "a=ssrc: more than %d SSRCs in a section", SDP_MAX_SSRCS);
	s->ssrc = (uint32_t)id;
	if (val)
		*val++ = '\0';
	if (strcmp(rest, "cname") == 0) {
		if (!val || !sdp_is_visible(val, 1, 255))
			return perr(p, "a=ssrc: bad cname");
		s->cname = sdp_model_str(p->s, val);
	} else if (strcmp(rest, "msid") == 0) {
		if (!val)
			return perr(p, "a=ssrc: msid without a value");
		return msid_parse(p, "a=ssrc", val, &s->msid_stream, &s->msid_track);
	}
	return 0;
}

static int attr_ssrc_group(struct parser *p, char *v)
{
	struct sdp_media *m = cur_media(p);
	char *t[SDP_MAX_GROUP_SSRCS + 2];
	unsigned n = sdp_split(v, t, SDP_MAX_GROUP_SSRCS + 1);
	struct sdp_ssrc_group *g;

	if (n < 2 || n > SDP_MAX_GROUP_SSRCS + 1 || !sdp_is_token(t[0], 1, SDP_TOKEN_MAX))
		return perr(p, "a=ssrc-group: expected <semantics> and 1-%d SSRCs",
			    SDP_MAX_GROUP_SSRCS);
	g = sdp_arr_push(&m->ssrc_groups, &m->n_ssrc_groups, sizeof(*g), SDP_MAX_SSRC_GROUPS);
	if (!g)
		return perr(p, "a=ssrc-group: more than %d in a section", SDP_MAX_SSRC_GROUPS);
	g->semantics = sdp_model_str(p->s, t[0]);
	for (unsigned i = 1; i < n; i++) {
		uint64_t id;

		if (!sdp_parse_uint(t[i], UINT32_MAX, &id))
			return perr(p, "a=ssrc-group: bad SSRC");
		g->ssrcs[g->n_ssrcs++] = (uint32_t)id;
	}
	return 0;
}

/* ---- simulcast -------------------------------------------------------- */

static int attr_rid(struct parser *p, char *v)
{
	struct sdp_media *m = cur_media(p);
	char *dir = split_first(v);
	char *params = split_first(dir);
	struct sdp_rid *r;
	enum sdp_dir d;

	if (!sdp_is_rid(v))
		return perr(p, "a=rid: bad rid");
	if (strcmp(dir, "send") == 0)
		d = SDP_DIR_SENDONLY;
	else if (strcmp(dir, "recv") == 0)
		d = SDP_DIR_RECVONLY;
	else
		return perr(p, "a=rid: expected send or recv");
	if (*params && !sdp_is_text(params, 1, SDP_VALUE_MAX))
		return perr(p, "a=rid: bad restrictions");
	for (unsigned i = 0; i < m->n_rids; i++)
		if (strcmp(m->rids[i].id, v) == 0)
			return perr(p, "a=rid: duplicate rid %s", v);
	r = sdp_arr_push(&m->rids, &m->n_rids, sizeof(*r), SDP_MAX_RIDS);
	if (!r)
		return perr(p, "a=rid: more than %d in a section", SDP_MAX_RIDS);
	r->id = sdp_model_str(p->s, v);
	r->dir = d;
	r->params = *params ? sdp_model_str(p->s, params) : NULL;
	return 0;
}

/* Parses "a;b,~c" (with an optional "rid=" of the old drafts). */
static int sim_list(struct parser *p, struct sdp_simulcast *sim, char *list)
{
	unsigned stream = 0;
	char *st;

	if (g_str_has_prefix(list, "rid="))
		list += 4;
	while ((st = strsep(&list, ";"))) {
		char *alt;

		if (!*st)
			return perr(p, "a=simulcast: empty stream");
		while ((alt = strsep(&st, ","))) {
			struct sdp_sim_rid *r;
			bool paused = alt[0] == '~';

			if (!sdp_is_rid(alt + paused))
				return perr(p, "a=simulcast: bad rid");
			for (unsigned i = 0; i < sim->n_rids; i++)
				if (strcmp(sim->rids[i].rid, alt + paused) == 0)
					return perr(p, "a=simulcast: rid %s listed twice", alt + paused);
			r = sdp_arr_push(&sim->rids, &sim->n_rids, sizeof(*r), SDP_MAX_RIDS);
			if (!r)
				return perr(p, "a=simulcast: more than %d rids", SDP_MAX_RIDS);
			r->rid = sdp_model_str(p->s, alt + paused);
			r->paused = paused;
			r->stream = stream;
		}
		stream++;
	}
	return 0;
}

static int attr_simulcast(struct parser *p, char *v)
{
	struct sdp_media *m = cur_media(p);
	char *t[5];
	unsigned n = sdp_split(v, t, 4);

	if (n != 2 && n != 4)
		return perr(p, "a=simulcast: expected send|recv <list> [send|recv <list>]");
	for (unsigned i = 0; i < n; i += 2) {
		struct sdp_simulcast *sim;
		int err;

		if (strcmp(t[i], "send") == 0)
			sim = &m->sim_send;
		else if (strcmp(t[i], "recv") == 0)
			sim = &m->sim_recv;
		else
			return perr(p, "a=simulcast: expected send or recv");
		if (sim->n_rids)
			return perr(p, "a=simulcast: %s given twice", t[i]);
		err = sim_list(p, sim, t[i + 1]);
		if (err)
			return err;
	}
	return 0;
}

/* ---- data channels, flags, direction ---------------------------------- */

static int attr_sctp_port(struct parser *p, char *v)
{
	uint64_t port;

	if (!sdp_parse_uint(v, 65535, &port) || port == 0)
		return perr(p, "a=sctp-port: bad port");
	cur_media(p)->sctp_port = (uint16_t)port;
	return 0;
}

static int attr_max_message_size(struct parser *p, char *v)
{
	uint64_t size;

	if (!sdp_parse_uint(v, UINT64_MAX, &size))
		return perr(p, "a=max-message-size: bad size");
	cur_media(p)->max_message_size = size;
	return 0;
}

static int attr_sctpmap(struct parser *p, char *v)
{
	char *t[4];
	uint64_t port;

	if (sdp_split(v, t, 3) < 2 || !sdp_parse_uint(t[0], 65535, &port) || port == 0)
		return perr(p, "a=sctpmap: expected <port> <protocol> [<streams>]");
	if (!cur_media(p)->sctp_port)
		cur_media(p)->sctp_port = (uint16_t)port;
	return 0;
}

static int attr_msid_semantic(struct parser *p, char *v)
{
	if (!sdp_is_text(v, 1, SDP_VALUE_MAX))
		return perr(p, "a=msid-semantic: too long");
	p->s->msid_semantic = sdp_model_str(p->s, v);
	return 0;
}

/* Flags: `v` is NULL (or an ignored value). */
static int attr_flag(struct parser *p, const char *name)
{
	struct sdp_media *m = cur_media(p);
	bool *f = NULL;

	if (strcmp(name, "end-of-candidates") == 0)
		f = m ? &m->end_of_candidates : &p->s->end_of_candidates;
	else if (strcmp(name, "extmap-allow-mixed") == 0)
		f = m ? &m->extmap_allow_mixed : &p->s->extmap_allow_mixed;
	else if (strcmp(name, "ice-lite") == 0)
		f = m ? NULL : &p->s->ice_lite;
	else if (m && strcmp(name, "rtcp-mux") == 0)
		f = &m->rtcp_mux;
	else if (m && strcmp(name, "rtcp-mux-only") == 0)
		f = &m->rtcp_mux_only;
	else if (m && strcmp(name, "rtcp-rsize") == 0)
		f = &m->rtcp_rsize;
	else if (m && strcmp(name, "bundle-only") == 0)
		f = &m->bundle_only;
	if (f) {
		*f = true;
		return 0;
	}
	if (dir_parse(name, m ? &m->dir : &p->sess_dir) == 0)
		return 0;
	return 1; /* not a flag */
}

/* ---- lines ------------------------------------------------------------ */

enum {
	AT_SESSION = 1, /* allowed at session level */
	AT_MEDIA = 2,   /* allowed in a section */
	AT_FRAG = 4,    /* read in fragments too */
};

struct attr_def {
	const char *name;
	unsigned where;
	int (*fn)(struct parser *p, char *v);
};

static const struct attr_def attrs[] = {
	{ "ice-ufrag", AT_SESSION | AT_MEDIA | AT_FRAG, attr_ice_ufrag },
	{ "ice-pwd", AT_SESSION | AT_MEDIA | AT_FRAG, attr_ice_pwd },
	{ "ice-options", AT_SESSION | AT_MEDIA | AT_FRAG, attr_ice_options },
	{ "candidate", AT_MEDIA | AT_FRAG, attr_candidate },
	{ "mid", AT_MEDIA | AT_FRAG, attr_mid },
	{ "group", AT_SESSION | AT_FRAG, attr_group },
	{ "fingerprint", AT_SESSION | AT_MEDIA, attr_fingerprint },
	{ "setup", AT_SESSION | AT_MEDIA, attr_setup },
	{ "rtpmap", AT_MEDIA, attr_rtpmap },
	{ "fmtp", AT_MEDIA, attr_fmtp },
	{ "rtcp-fb", AT_MEDIA, attr_rtcp_fb },
	{ "extmap", AT_SESSION | AT_MEDIA, attr_extmap },
	{ "msid", AT_MEDIA, attr_msid },
	{ "ssrc", AT_MEDIA, attr_ssrc },
	{ "ssrc-group", AT_MEDIA, attr_ssrc_group },
	{ "rid", AT_MEDIA, attr_rid },
	{ "simulcast", AT_MEDIA, attr_simulcast },
	{ "sctp-port", AT_MEDIA, attr_sctp_port },
	{ "max-message-size", AT_MEDIA, attr_max_message_size },
	{ "sctpmap", AT_MEDIA, attr_sctpmap },
	{ "msid-semantic", AT_SESSION, attr_msid_semantic },
};

static int line_a(struct parser *p, char *v)
{
	char *val = strchr(v, ':');
	unsigned where;

	if (val) {
		*val++ = '\0';
		while (*val == ' ')
			val++;
	}
	if (!val && (!p->frag || strcmp(v, "end-of-candidates") == 0) && attr_flag(p, v) == 0)
		return 0;
	/* In a fragment, a candidate may come before any m= line. */
	where = cur_media(p) || (p->frag && strcmp(v, "candidate") == 0) ? AT_MEDIA : AT_SESSION;
	for (unsigned i = 0; i < G_N_ELEMENTS(attrs); i++) {
		if (strcmp(v, attrs[i].name) != 0)
			continue;
		if (!(attrs[i].where & where) || (p->frag && !(attrs[i].where & AT_FRAG)))
			return 0;
		if (!val || !*val)
			return perr(p, "a=%s: missing value", v);
		return attrs[i].fn(p, val);
	}
	return 0; /* unknown attributes are ignored */
}

/* Checks the characters of one line; strips trailing spaces. */
static int line_check(struct parser *p, char *line, size_t *n)
{
	if (memchr(line, '\0', *n))
		return perr(p, "NUL byte");
	for (size_t i = 0; i < *n; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c < ' ' || c == 0x7f)
			return perr(p, "control character 0x%02x", c);
	}
	while (*n && line[*n - 1] == ' ')
		line[--*n] = '\0';
	if (*n && (*n < 2 || line[1] != '=' || !g_ascii_islower(line[0])))
		return perr(p, "expected <type>=<value>");
	return 0;
}

static int parse_line(struct parser *p, char *line, size_t n)
{
	int err = line_check(p, line, &n);
	char *v = line + 2;

	if (err || n == 0)
		return err;
	if (!p->frag && !p->seen_v) {
		if (line[0] != 'v' || strcmp(v, "0") != 0)
			return perr(p, "expected v=0 first");
		p->seen_v = true;
		return 0;
	}
	switch (line[0]) {
	case 'v':
		return p->frag ? 0 : perr(p, "second v= line");
	case 'o':
		return p->cur < 0 ? line_o(p, v) : 0;
	case 's':
		if (p->frag || p->cur >= 0)
			return 0;
		if (strlen(v) > SDP_VALUE_MAX)
			return perr(p, "s=: too long");
		p->s->name = sdp_model_str(p->s, v);
		return 0;
	case 'c':
		return line_c(p, v);
	case 'm':
		return line_m(p, v);
	case 'a':
		return line_a(p, v);
	default:
		return 0; /* b=, i=, t=, ... and unknown types */
	}
}

/* ---- after the last line ---------------------------------------------- */

static void inherit_extmaps(struct parser *p, struct sdp_media *m)
{
	for (unsigned i = 0; i < p->sess_ext.n_extmaps; i++) {
		const struct sdp_extmap *e = &p->sess_ext.extmaps[i];
		struct sdp_extmap *n;
		bool have = false;

		for (unsigned j = 0; j < m->n_extmaps; j++)
			have = have || m->extmaps[j].id == e->id;
		if (!have && (n = sdp_arr_push(&m->extmaps, &m->n_extmaps, sizeof(*n),
					       SDP_MAX_EXTMAPS)))
			*n = *e;
	}
}

static void inherit(struct parser *p, struct sdp_media *m)
{
	const struct sdp *s = p->s;

	if (!m->ice_ufrag)
		m->ice_ufrag = s->ice_ufrag;
	if (!m->ice_pwd)
		m->ice_pwd = s->ice_pwd;
	if (p->frag)
		return;
	if (m->fingerprint.len == 0)
		m->fingerprint = s->fingerprint;
	if (m->setup == SDP_SETUP_NONE)
		m->setup = s->setup;
	if (m->dir == SDP_DIR_NONE)
		m->dir = p->sess_dir != SDP_DIR_NONE ? p->sess_dir : SDP_DIR_SENDRECV;
	if (!m->conn_addr)
		m->conn_addr = p->sess_conn;
	inherit_extmaps(p, m);
	sdp_media_link_rtx(m);
}

static int finish(struct parser *p)
{
	struct sdp *s = p->s;

	if (!p->frag && !p->seen_v) {
		p->line = MAX(p->line, 1u);
		return perr(p, "missing v=0");
	}
	for (unsigned i = 0; i < s->n_bundle && !p->frag; i++) {
		if (!sdp_media_by_mid(s, s->bundle[i])) {
			p->line = p->bundle_line;
			return perr(p, "a=group:BUNDLE names mid %s that no section has",
				    s->bundle[i]);
		}
	}
	for (unsigned i = 0; i < s->n_media; i++)
		inherit(p, &s->media[i]);
	return 0;
}

static int parse_text(struct parser *p, const char *text, size_t len)
{
	char line[SDP_MAX_LINE + 1];
	const char *pos = text, *end = text + len;
	int err = 0;

	while (pos < end && !err) {
		const char *nl = memchr(pos, '\n', (size_t)(end - pos));
		size_t n = nl ? (size_t)(nl - pos) : (size_t)(end - pos);
		const char *next = nl ? nl + 1 : end;

		p->line++;
		if (n && pos[n - 1] == '\r')
			n--;
		if (n > SDP_MAX_LINE)
			return perr(p, "longer than %d bytes", SDP_MAX_LINE);
		memcpy(line, pos, n);
		line[n] = '\0';
		err = parse_line(p, line, n);
		pos = next;
	}
	return err ? err : finish(p);
}

static int parse_any(struct sdp **out, const char *text, size_t len, char *err, size_t errsize,
		     bool frag)
{
	struct parser p;
	int rc;

	if (!out || (!text && len))
		return EINVAL;
	if (err && errsize)
		err[0] = '\0';
	if (len > SDP_MAX_SIZE) {
		if (err && errsize)
			snprintf(err, errsize, "longer than %d bytes", SDP_MAX_SIZE);
		return EMSGSIZE;
	}
	memset(&p, 0, sizeof(p));
	p.s = sdp_model_new();
	p.frag = frag;
	p.cur = -1;
	p.err = err;
	p.errsize = errsize;
	rc = parse_text(&p, text ? text : "", len);
	g_free(p.sess_ext.extmaps);
	if (rc)
		sdp_free(p.s);
	else
		*out = p.s;
	return rc;
}

int sdp_parse(struct sdp **out, const char *text, size_t len, char *err, size_t errsize)
{
	return parse_any(out, text, len, err, errsize, false);
}

int sdp_frag_parse(struct sdp **out, const char *text, size_t len, char *err, size_t errsize)
{
	return parse_any(out, text, len, err, errsize, true);
}
