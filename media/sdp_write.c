/* sdp_write.c - writes a model as SDP text, and trickle ICE fragments.
 *
 * The writer is the parser's mirror: every value is checked against the
 * class the parser expects, and every line against SDP_MAX_LINE, so that
 * what sdp_write produces always parses again. A model the writer cannot
 * represent is EINVAL; output longer than SDP_MAX_SIZE is EMSGSIZE. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "media/sdp_int.h"

struct wr {
	GString *o;
	size_t line_start;
	int err; /* first error */
};

static void w_fail(struct wr *w, int err)
{
	if (!w->err)
		w->err = err;
}

/* Checks a value; a bad one fails the whole write. */
static bool w_ok(struct wr *w, bool ok)
{
	if (!ok)
		w_fail(w, EINVAL);
	return ok;
}

/* Ends the current line with CRLF, checking its length. */
static void w_end(struct wr *w)
{
	if (w->o->len - w->line_start > SDP_MAX_LINE)
		w_fail(w, EINVAL);
	g_string_append(w->o, "\r\n");
	w->line_start = w->o->len;
}

static void G_GNUC_PRINTF(2, 3) w_line(struct wr *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_string_append_vprintf(w->o, fmt, ap);
	va_end(ap);
	w_end(w);
}

static bool is_mid(const char *s)
{
	return sdp_is_token(s, 1, SDP_TOKEN_MAX);
}

/* ---- session ---------------------------------------------------------- */

static void w_ice(struct wr *w, const char *ufrag, const char *pwd)
{
	if (ufrag && w_ok(w, sdp_is_ice_chars(ufrag, SDP_UFRAG_MIN, SDP_ICE_MAX)))
		w_line(w, "a=ice-ufrag:%s", ufrag);
	if (pwd && w_ok(w, sdp_is_ice_chars(pwd, SDP_PWD_MIN, SDP_ICE_MAX)))
		w_line(w, "a=ice-pwd:%s", pwd);
}

static void w_dtls(struct wr *w, const struct sdp_fingerprint *fp, enum sdp_setup setup)
{
	if (fp->len) {
		g_string_append(w->o, "a=fingerprint:");
		w_ok(w, sdp_fingerprint_append(w->o, fp));
		w_end(w);
	}
	if (setup != SDP_SETUP_NONE && w_ok(w, sdp_setup_name(setup) != NULL))
		w_line(w, "a=setup:%s", sdp_setup_name(setup));
}

static void w_ice_options(struct wr *w, const struct sdp *s)
{
	if (s->ice_trickle || s->ice2)
		w_line(w, "a=ice-options:%s%s%s", s->ice_trickle ? "trickle" : "",
		       s->ice_trickle && s->ice2 ? " " : "", s->ice2 ? "ice2" : "");
}

static void w_bundle(struct wr *w, const struct sdp *s, bool check_mids)
{
	if (!s->n_bundle || !w_ok(w, s->n_bundle <= SDP_MAX_MEDIA))
		return;
	g_string_append(w->o, "a=group:BUNDLE");
	for (unsigned i = 0; i < s->n_bundle; i++) {
		const char *mid = s->bundle[i];

		/* The parser wants each mid once, and (in a full description)
		 * in some section. */
		w_ok(w, is_mid(mid) && (!check_mids || sdp_media_by_mid(s, mid)));
		for (unsigned j = 0; j < i && !w->err; j++)
			w_ok(w, strcmp(s->bundle[j], mid) != 0);
		if (!w->err)
			g_string_append_printf(w->o, " %s", mid);
	}
	w_end(w);
}

static void w_session(struct wr *w, const struct sdp *s)
{
	const char *user = s->origin_user ? s->origin_user : "-";
	const char *id = s->sess_id ? s->sess_id : "0";
	const char *ver = s->sess_version ? s->sess_version : "1";
	const char *name = s->name && *s->name ? s->name : "-";

	w_ok(w, sdp_is_visible(user, 1, SDP_VALUE_MAX) && sdp_is_digits(id, 1, 32) &&
		     sdp_is_digits(ver, 1, 32) && sdp_is_text(name, 1, SDP_VALUE_MAX));
	w_line(w, "v=0");
	w_line(w, "o=%s %s %s IN IP4 127.0.0.1", user, id, ver);
	w_line(w, "s=%s", name);
	w_line(w, "t=0 0");
	if (s->ice_lite)
		w_line(w, "a=ice-lite");
	w_bundle(w, s, true);
	if (s->extmap_allow_mixed)
		w_line(w, "a=extmap-allow-mixed");
	if (s->msid_semantic && w_ok(w, sdp_is_value(s->msid_semantic, SDP_VALUE_MAX)))
		w_line(w, "a=msid-semantic:%s", s->msid_semantic);
	w_ice_options(w, s);
	w_ice(w, s->ice_ufrag, s->ice_pwd);
	w_dtls(w, &s->fingerprint, s->setup);
	if (s->end_of_candidates)
		w_line(w, "a=end-of-candidates");
}

/* ---- m= and c= -------------------------------------------------------- */

static const char *proto_text(const struct sdp_media *m)
{
	switch (m->proto) {
	case SDP_PROTO_RTP_SAVPF: return "UDP/TLS/RTP/SAVPF";
	case SDP_PROTO_UDP_DTLS_SCTP: return "UDP/DTLS/SCTP";
	case SDP_PROTO_DTLS_SCTP: return "DTLS/SCTP";
	default: return m->proto_name;
	}
}

static bool is_rtp(const struct sdp_media *m)
{
	return m->proto == SDP_PROTO_RTP_SAVPF || m->proto == SDP_PROTO_RTP_OTHER;
}

static bool first_is_port(const char *fmt)
{
	char buf[8];
	size_t n = strcspn(fmt, " ");
	uint64_t port;

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, fmt, n);
	buf[n] = '\0';
	return sdp_parse_uint(buf, 65535, &port) && port;
}

static void w_formats(struct wr *w, const struct sdp_media *m)
{
	if (is_rtp(m)) {
		w_ok(w, m->n_codecs >= 1 && m->n_codecs <= SDP_MAX_CODECS);
		for (unsigned i = 0; i < m->n_codecs && !w->err; i++) {
			w_ok(w, m->codecs[i].pt <= 127);
			for (unsigned j = 0; j < i; j++)
				w_ok(w, m->codecs[j].pt != m->codecs[i].pt);
			g_string_append_printf(w->o, " %u", m->codecs[i].pt);
		}
	} else if (m->fmt) {
		/* A legacy SCTP section's first format is its port. */
		w_ok(w, sdp_is_value(m->fmt, SDP_VALUE_MAX) &&
				(m->proto != SDP_PROTO_DTLS_SCTP || m->port == 0 ||
				 first_is_port(m->fmt)));
		g_string_append_printf(w->o, " %s", m->fmt);
	} else if (m->proto == SDP_PROTO_UDP_DTLS_SCTP) {
		g_string_append(w->o, " webrtc-datachannel");
	} else if (m->proto == SDP_PROTO_DTLS_SCTP && m->sctp_port) {
		g_string_append_printf(w->o, " %u", m->sctp_port);
	} else {
		w_fail(w, EINVAL);
	}
}

static void w_mline(struct wr *w, const struct sdp_media *m)
{
	const char *kind = m->kind == SDP_KIND_OTHER ? m->kind_name : sdp_kind_name(m->kind);
	const char *proto = proto_text(m);
	const char *addr = m->conn_addr ? m->conn_addr : "0.0.0.0";

	/* The name must give back the same profile when parsed again. */
	if (!w_ok(w, sdp_is_token(kind, 1, SDP_TOKEN_MAX) && sdp_is_proto(proto) &&
			     sdp_proto_of(proto) == m->proto &&
			     sdp_is_visible(addr, 1, SDP_VALUE_MAX)))
		return;
	g_string_append_printf(w->o, "m=%s %u %s", kind, m->port, proto);
	w_formats(w, m);
	w_end(w);
	w_line(w, "c=IN %s %s", strchr(addr, ':') ? "IP6" : "IP4", addr);
}

/* ---- codecs ----------------------------------------------------------- */

static void w_codec(struct wr *w, const struct sdp_codec *c)
{
	if (c->name && w_ok(w, sdp_is_token(c->name, 1, SDP_TOKEN_MAX) && !strchr(c->name, '/') &&
				       c->clock_rate > 0)) {
		g_string_append_printf(w->o, "a=rtpmap:%u %s/%" G_GUINT32_FORMAT, c->pt, c->name,
				       c->clock_rate);
		if (c->channels > 1)
			g_string_append_printf(w->o, "/%u", c->channels);
		w_end(w);
	}
	if (c->n_rtcp_fb) {
		w_ok(w, c->n_rtcp_fb <= SDP_MAX_RTCP_FB);
		for (unsigned i = 0; i < c->n_rtcp_fb && !w->err; i++)
			if (w_ok(w, sdp_is_value(c->rtcp_fb[i], SDP_TOKEN_MAX)))
				w_line(w, "a=rtcp-fb:%u %s", c->pt, c->rtcp_fb[i]);
	} else {
		for (unsigned bit = 1; bit <= SDP_FB_TRANSPORT_CC; bit <<= 1)
			if (c->fb & bit)
				w_line(w, "a=rtcp-fb:%u %s", c->pt, sdp_fb_name(bit));
	}
	if (c->fmtp && w_ok(w, sdp_fmtp_check(c->fmtp)))
		w_line(w, "a=fmtp:%u %s", c->pt, c->fmtp);
}

static void w_extmaps(struct wr *w, const struct sdp_media *m)
{
	w_ok(w, m->n_extmaps <= SDP_MAX_EXTMAPS);
	for (unsigned i = 0; i < m->n_extmaps && !w->err; i++) {
		const struct sdp_extmap *e = &m->extmaps[i];

		w_ok(w, e->id >= 1 && e->id <= 255 && sdp_is_visible(e->uri, 1, SDP_VALUE_MAX) &&
				(!e->attrs || sdp_is_value(e->attrs, SDP_VALUE_MAX)) &&
				(e->dir == SDP_DIR_NONE || sdp_dir_name(e->dir)));
		for (unsigned j = 0; j < i; j++)
			w_ok(w, m->extmaps[j].id != e->id);
		if (w->err)
			return;
		g_string_append_printf(w->o, "a=extmap:%u", e->id);
		if (e->dir != SDP_DIR_NONE)
			g_string_append_printf(w->o, "/%s", sdp_dir_name(e->dir));
		g_string_append_printf(w->o, " %s", e->uri);
		if (e->attrs)
			g_string_append_printf(w->o, " %s", e->attrs);
		w_end(w);
	}
}

/* ---- SSRCs, simulcast, candidates ------------------------------------- */

static bool msid_ok(const char *stream, const char *track)
{
	return sdp_is_token(stream, 1, SDP_TOKEN_MAX) &&
	       (!track || sdp_is_token(track, 1, SDP_TOKEN_MAX));
}

static void w_msid(struct wr *w, const char *prefix, const char *stream, const char *track)
{
	if (w_ok(w, msid_ok(stream, track)))
		w_line(w, "%s%s%s%s", prefix, stream, track ? " " : "", track ? track : "");
}

static void w_ssrcs(struct wr *w, const struct sdp_media *m)
{
	w_ok(w, m->n_ssrc_groups <= SDP_MAX_SSRC_GROUPS && m->n_ssrcs <= SDP_MAX_SSRCS);
	for (unsigned i = 0; i < m->n_ssrc_groups && !w->err; i++) {
		const struct sdp_ssrc_group *g = &m->ssrc_groups[i];

		if (!w_ok(w, sdp_is_token(g->semantics, 1, SDP_TOKEN_MAX) && g->n_ssrcs >= 1 &&
				     g->n_ssrcs <= SDP_MAX_GROUP_SSRCS))
			return;
		g_string_append_printf(w->o, "a=ssrc-group:%s", g->semantics);
		for (unsigned j = 0; j < g->n_ssrcs; j++)
			g_string_append_printf(w->o, " %" G_GUINT32_FORMAT, g->ssrcs[j]);
		w_end(w);
	}
	for (unsigned i = 0; i < m->n_ssrcs && !w->err; i++) {
		const struct sdp_ssrc *s = &m->ssrcs[i];
		char prefix[32];

		if (s->cname && w_ok(w, sdp_is_visible(s->cname, 1, 255)))
			w_line(w, "a=ssrc:%" G_GUINT32_FORMAT " cname:%s", s->ssrc, s->cname);
		g_snprintf(prefix, sizeof(prefix), "a=ssrc:%" G_GUINT32_FORMAT " msid:", s->ssrc);
		if (s->msid_stream)
			w_msid(w, prefix, s->msid_stream, s->msid_track);
	}
}

static void w_sim_list(struct wr *w, const char *dir, const struct sdp_simulcast *sim)
{
	if (w->o->str[w->o->len - 1] != ':')
		g_string_append_c(w->o, ' ');
	g_string_append_printf(w->o, "%s ", dir);
	w_ok(w, sim->n_rids <= SDP_MAX_RIDS);
	for (unsigned i = 0; i < sim->n_rids && !w->err; i++) {
		const struct sdp_sim_rid *r = &sim->rids[i];

		w_ok(w, sdp_is_rid(r->rid));
		if (i)
			g_string_append_c(w->o, r->stream == sim->rids[i - 1].stream ? ',' : ';');
		g_string_append_printf(w->o, "%s%s", r->paused ? "~" : "", r->rid);
	}
}

static void w_simulcast(struct wr *w, const struct sdp_media *m)
{
	w_ok(w, m->n_rids <= SDP_MAX_RIDS);
	for (unsigned i = 0; i < m->n_rids && !w->err; i++) {
		const struct sdp_rid *r = &m->rids[i];

		w_ok(w, sdp_is_rid(r->id) &&
				(r->dir == SDP_DIR_SENDONLY || r->dir == SDP_DIR_RECVONLY) &&
				(!r->params || sdp_is_value(r->params, SDP_VALUE_MAX)));
		for (unsigned j = 0; j < i; j++)
			w_ok(w, strcmp(m->rids[j].id, r->id) != 0);
		if (!w->err)
			w_line(w, "a=rid:%s %s%s%s", r->id, r->dir == SDP_DIR_SENDONLY ? "send" : "recv",
			       r->params ? " " : "", r->params ? r->params : "");
	}
	if (!m->sim_send.n_rids && !m->sim_recv.n_rids)
		return;
	g_string_append(w->o, "a=simulcast:");
	if (m->sim_send.n_rids)
		w_sim_list(w, "send", &m->sim_send);
	if (m->sim_recv.n_rids)
		w_sim_list(w, "recv", &m->sim_recv);
	w_end(w);
}

static void w_candidates(struct wr *w, const struct sdp_candidate *c, unsigned n, bool eoc)
{
	w_ok(w, n <= SDP_MAX_CANDIDATES);
	for (unsigned i = 0; i < n && !w->err; i++) {
		g_string_append(w->o, "a=");
		w_ok(w, sdp_candidate_append(w->o, &c[i]));
		w_end(w);
	}
	if (eoc)
		w_line(w, "a=end-of-candidates");
}

/* ---- sections --------------------------------------------------------- */

static void w_sctp(struct wr *w, const struct sdp_media *m)
{
	if (m->proto == SDP_PROTO_DTLS_SCTP && m->sctp_port) {
		w_line(w, "a=sctpmap:%u webrtc-datachannel 1024", m->sctp_port);
		return;
	}
	if (m->sctp_port)
		w_line(w, "a=sctp-port:%u", m->sctp_port);
	if (m->max_message_size)
		w_line(w, "a=max-message-size:%" G_GUINT64_FORMAT, m->max_message_size);
}

static void w_flags(struct wr *w, const struct sdp_media *m)
{
	if (m->dir != SDP_DIR_NONE && w_ok(w, sdp_dir_name(m->dir) != NULL))
		w_line(w, "a=%s", sdp_dir_name(m->dir));
	if (m->msid_stream)
		w_msid(w, "a=msid:", m->msid_stream, m->msid_track);
	if (m->rtcp_mux)
		w_line(w, "a=rtcp-mux");
	if (m->rtcp_mux_only)
		w_line(w, "a=rtcp-mux-only");
	if (m->rtcp_rsize)
		w_line(w, "a=rtcp-rsize");
	if (m->bundle_only)
		w_line(w, "a=bundle-only");
	if (m->extmap_allow_mixed)
		w_line(w, "a=extmap-allow-mixed");
}

static void w_media(struct wr *w, const struct sdp_media *m)
{
	w_mline(w, m);
	if (m->mid && w_ok(w, is_mid(m->mid)))
		w_line(w, "a=mid:%s", m->mid);
	if (m->port == 0) {
		w_line(w, "a=inactive");
		return;
	}
	w_ice(w, m->ice_ufrag, m->ice_pwd);
	w_dtls(w, &m->fingerprint, m->setup);
	w_extmaps(w, m);
	w_flags(w, m);
	for (unsigned i = 0; is_rtp(m) && i < m->n_codecs && !w->err; i++)
		w_codec(w, &m->codecs[i]);
	w_sctp(w, m);
	w_ssrcs(w, m);
	w_simulcast(w, m);
	w_candidates(w, m->candidates, m->n_candidates, m->end_of_candidates);
}

static int w_finish(struct wr *w, char **out)
{
	if (!w->err && w->o->len > SDP_MAX_SIZE)
		w->err = EMSGSIZE;
	if (w->err) {
		g_string_free(w->o, TRUE);
		return w->err;
	}
	*out = g_string_free(w->o, FALSE);
	return 0;
}

int sdp_write(const struct sdp *s, char **out)
{
	struct wr w = { g_string_sized_new(4096), 0, 0 };

	if (!s || !out) {
		g_string_free(w.o, TRUE);
		return EINVAL;
	}
	w_ok(&w, s->n_media <= SDP_MAX_MEDIA);
	w_session(&w, s);
	for (unsigned i = 0; i < s->n_media && !w.err; i++) {
		const char *mid = s->media[i].mid;

		for (unsigned j = 0; mid && j < i; j++)
			w_ok(&w, !s->media[j].mid || strcmp(s->media[j].mid, mid) != 0);
		w_media(&w, &s->media[i]);
	}
	return w_finish(&w, out);
}

/* ---- trickle fragments ------------------------------------------------ */

static void w_frag_media(struct wr *w, const struct sdp *f, const struct sdp_media *m)
{
	const char *kind = m->kind == SDP_KIND_OTHER ? NULL : sdp_kind_name(m->kind);

	/* RFC 8840: the m= line only delimits; the mid says which section. */
	w_line(w, "m=%s 9 RTP/AVP 0", kind ? kind : "audio");
	if (m->mid && w_ok(w, is_mid(m->mid)))
		w_line(w, "a=mid:%s", m->mid);
	w_ice(w, m->ice_ufrag && (!f->ice_ufrag || strcmp(m->ice_ufrag, f->ice_ufrag)) ?
			 m->ice_ufrag : NULL,
	      m->ice_pwd && (!f->ice_pwd || strcmp(m->ice_pwd, f->ice_pwd)) ? m->ice_pwd : NULL);
	w_candidates(w, m->candidates, m->n_candidates, m->end_of_candidates);
}

int sdp_frag_write(const struct sdp *f, char **out)
{
	struct wr w = { g_string_sized_new(1024), 0, 0 };

	if (!f || !out) {
		g_string_free(w.o, TRUE);
		return EINVAL;
	}
	w_ok(&w, f->n_media <= SDP_MAX_MEDIA);
	w_ice_options(&w, f);
	w_bundle(&w, f, false);
	w_ice(&w, f->ice_ufrag, f->ice_pwd);
	if (f->end_of_candidates)
		w_line(&w, "a=end-of-candidates");
	for (unsigned i = 0; i < f->n_media && !w.err; i++) {
		const char *mid = f->media[i].mid;

		for (unsigned j = 0; mid && j < i; j++)
			w_ok(&w, !f->media[j].mid || strcmp(f->media[j].mid, mid) != 0);
		w_frag_media(&w, f, &f->media[i]);
	}
	return w_finish(&w, out);
}
