/* sdp_build.c - the server's side of negotiation: the answer to a client's
 * offer (publish, WHIP) and the server's own offers (subscribe, WHEP).
 * Both build a model; sdp_write turns it into text. The builders follow
 * JSEP (RFC 9429) for what goes where, and only read their params: which
 * codecs, extensions and directions to accept is the caller's choice. */
#include <errno.h>
#include <string.h>

#include "media/sdp_int.h"

#define DEFAULT_SCTP_PORT 5000
#define DEFAULT_MAX_MESSAGE_SIZE 262144

/* ---- shared ----------------------------------------------------------- */

static int transport_check(const struct sdp_transport_params *t)
{
	GString *tmp;
	bool ok = true;

	if (!sdp_is_ice_chars(t->ice_ufrag, SDP_UFRAG_MIN, SDP_ICE_MAX) ||
	    !sdp_is_ice_chars(t->ice_pwd, SDP_PWD_MIN, SDP_ICE_MAX) ||
	    t->n_candidates > SDP_MAX_CANDIDATES || (t->n_candidates && !t->candidates))
		return EINVAL;
	tmp = g_string_new(NULL);
	ok = sdp_fingerprint_append(tmp, &t->fingerprint);
	for (unsigned i = 0; i < t->n_candidates && ok; i++)
		ok = sdp_candidate_append(tmp, &t->candidates[i]);
	g_string_free(tmp, TRUE);
	return ok ? 0 : EINVAL;
}

static int session_init(struct sdp *s, const char *id, const char *version,
			const struct sdp_transport_params *t)
{
	if ((id && !sdp_is_digits(id, 1, 32)) || (version && !sdp_is_digits(version, 1, 32)))
		return EINVAL;
	s->origin_user = "-";
	s->sess_id = sdp_model_str(s, id ? id : "0");
	s->sess_version = sdp_model_str(s, version ? version : "1");
	s->name = "-";
	/* A lite agent has all its candidates in the description; trickling
	 * is the full agent's business. */
	s->ice_lite = t->ice_lite;
	s->ice_trickle = !t->ice_lite;
	return 0;
}

/* The local ICE and DTLS attributes of an accepted section. */
static void media_local(struct sdp *s, struct sdp_media *m, const struct sdp_transport_params *t,
			enum sdp_setup setup)
{
	m->ice_ufrag = sdp_model_str(s, t->ice_ufrag);
	m->ice_pwd = sdp_model_str(s, t->ice_pwd);
	m->fingerprint = t->fingerprint;
	m->setup = setup;
	m->conn_addr = "0.0.0.0";
	m->port = 9;
}

/* Puts the local candidates into `m`, whose m= and c= then name the first
 * UDP RTP candidate (the default candidate of RFC 8839). */
static void media_candidates(struct sdp *s, struct sdp_media *m, const struct sdp_transport_params *t)
{
	bool dflt = false;

	for (unsigned i = 0; i < t->n_candidates; i++) {
		const struct sdp_candidate *in = &t->candidates[i];
		struct sdp_candidate *c = sdp_arr_push(&m->candidates, &m->n_candidates,
						       sizeof(*c), SDP_MAX_CANDIDATES);

		*c = *in;
		c->foundation = sdp_model_str(s, in->foundation);
		c->address = sdp_model_str(s, in->address);
		c->raddr = sdp_model_str(s, in->raddr);
		c->ufrag = sdp_model_str(s, in->ufrag);
		if (!dflt && c->transport == SDP_CAND_UDP && c->component == 1 && c->port) {
			m->conn_addr = c->address;
			m->port = c->port;
			dflt = true;
		}
	}
	m->end_of_candidates = t->end_of_candidates;
}

static void codec_fb_set(struct sdp_codec *c, unsigned fb)
{
	c->fb = fb;
	for (unsigned bit = 1; bit <= SDP_FB_TRANSPORT_CC; bit <<= 1)
		if (fb & bit)
			*(const char **)sdp_arr_push(&c->rtcp_fb, &c->n_rtcp_fb, sizeof(char *),
						     SDP_MAX_RTCP_FB) = sdp_fb_name(bit);
}

/* A copy of `in` (an offered codec) into `m`, keeping `fb` of its feedback. */
static struct sdp_codec *codec_copy(struct sdp *s, struct sdp_media *m, const struct sdp_codec *in,
				    unsigned fb)
{
	struct sdp_codec *c = sdp_arr_push(&m->codecs, &m->n_codecs, sizeof(*c), SDP_MAX_CODECS);

	c->pt = in->pt;
	c->name = sdp_model_str(s, in->name);
	c->clock_rate = in->clock_rate;
	c->channels = in->channels;
	c->fmtp = sdp_model_str(s, in->fmtp);
	if (c->fmtp)
		sdp_fmtp_split(c, c->fmtp, s); /* a bad one fails write_check */
	c->apt = in->apt;
	codec_fb_set(c, fb);
	return c;
}

/* ---- answer ----------------------------------------------------------- */

static enum sdp_dir answer_dir(enum sdp_dir offer, enum sdp_dir local)
{
	bool send = sdp_dir_recvs(offer) && sdp_dir_sends(local);
	bool recv = sdp_dir_sends(offer) && sdp_dir_recvs(local);

	if (send && recv)
		return SDP_DIR_SENDRECV;
	if (send)
		return SDP_DIR_SENDONLY;
	return recv ? SDP_DIR_RECVONLY : SDP_DIR_INACTIVE;
}

/* The server is the DTLS server whenever the offer lets it choose. */
static enum sdp_setup answer_setup(enum sdp_setup offer)
{
	return offer == SDP_SETUP_PASSIVE ? SDP_SETUP_ACTIVE : SDP_SETUP_PASSIVE;
}

static bool codec_taken(const struct sdp_media *m, unsigned pt)
{
	return sdp_codec_by_pt(m, pt) != NULL;
}

/* Adds the offered codecs that match the caps, in caps order. */
static void answer_codecs(struct sdp *s, struct sdp_media *am, const struct sdp_media *om,
			  const struct sdp_media_caps *caps)
{
	unsigned kept = 0;

	for (unsigned i = 0; i < caps->n_codecs; i++) {
		const struct sdp_codec_cap *cap = &caps->codecs[i];

		for (unsigned j = 0; j < om->n_codecs; j++) {
			const struct sdp_codec *oc = &om->codecs[j];
			const struct sdp_codec *rtx;

			if (caps->max_codecs && kept == caps->max_codecs)
				break;
			if (!cap->name || codec_taken(am, oc->pt) ||
			    !sdp_codec_matches(oc, cap->name, cap->clock_rate, cap->channels, cap->fmtp))
				continue;
			codec_copy(s, am, oc, oc->fb & cap->fb);
			kept++;
			rtx = oc->rtx_pt >= 0 ? sdp_codec_by_pt(om, (unsigned)oc->rtx_pt) : NULL;
			if (cap->rtx && rtx && !codec_taken(am, rtx->pt))
				codec_copy(s, am, rtx, 0);
		}
	}
	sdp_media_link_rtx(am);
}

static bool uri_listed(const char *const *uris, const char *uri)
{
	for (unsigned i = 0; uris && uris[i]; i++)
		if (strcmp(uris[i], uri) == 0)
			return true;
	return false;
}

static enum sdp_dir reverse_dir(enum sdp_dir d)
{
	if (d == SDP_DIR_SENDONLY)
		return SDP_DIR_RECVONLY;
	if (d == SDP_DIR_RECVONLY)
		return SDP_DIR_SENDONLY;
	return d;
}

static void answer_extmaps(struct sdp *s, struct sdp_media *am, const struct sdp_media *om,
			   const struct sdp_media_caps *caps)
{
	for (unsigned i = 0; i < om->n_extmaps; i++) {
		const struct sdp_extmap *oe = &om->extmaps[i];
		struct sdp_extmap *e;

		if (!uri_listed(caps->ext_uris, oe->uri))
			continue;
		e = sdp_arr_push(&am->extmaps, &am->n_extmaps, sizeof(*e), SDP_MAX_EXTMAPS);
		e->id = oe->id;
		e->dir = reverse_dir(oe->dir);
		e->uri = sdp_model_str(s, oe->uri);
	}
}

/* The offer's send rids, answered as recv (RFC 8853 section 5.3). */
static void answer_simulcast(struct sdp *s, struct sdp_media *am, const struct sdp_media *om)
{
	for (unsigned i = 0; i < om->sim_send.n_rids; i++) {
		const struct sdp_sim_rid *or = &om->sim_send.rids[i];
		struct sdp_sim_rid *r;
		struct sdp_rid *rid;
		bool declared = false;

		for (unsigned j = 0; j < om->n_rids; j++)
			declared = declared || (om->rids[j].dir == SDP_DIR_SENDONLY &&
						strcmp(om->rids[j].id, or->rid) == 0);
		for (unsigned j = 0; j < am->n_rids; j++)
			declared = declared && strcmp(am->rids[j].id, or->rid) != 0;
		if (!declared)
			continue;
		rid = sdp_arr_push(&am->rids, &am->n_rids, sizeof(*rid), SDP_MAX_RIDS);
		rid->id = sdp_model_str(s, or->rid);
		rid->dir = SDP_DIR_RECVONLY;
		r = sdp_arr_push(&am->sim_recv.rids, &am->sim_recv.n_rids, sizeof(*r), SDP_MAX_RIDS);
		*r = *or;
		r->rid = rid->id;
	}
}

/* A section answered with port 0: its mid and one of its formats. */
static void answer_reject(struct sdp *s, struct sdp_media *am, const struct sdp_media *om)
{
	am->port = 0;
	am->dir = SDP_DIR_INACTIVE;
	am->conn_addr = "0.0.0.0";
	am->fmt = sdp_model_str(s, om->fmt);
	if (om->n_codecs) {
		struct sdp_codec *c = sdp_arr_push(&am->codecs, &am->n_codecs, sizeof(*c), 1);

		c->pt = om->codecs[0].pt;
		c->apt = c->rtx_pt = -1;
	}
}

static const struct sdp_media_caps *answer_caps(const struct sdp_answer_params *p, unsigned i,
						enum sdp_kind kind)
{
	if (i < p->n_sections && p->sections && p->sections[i])
		return p->sections[i];
	if (kind == SDP_KIND_AUDIO)
		return &p->audio;
	return kind == SDP_KIND_VIDEO ? &p->video : NULL;
}

static bool in_bundle(const struct sdp *s, const char *mid)
{
	for (unsigned i = 0; mid && i < s->n_bundle; i++)
		if (strcmp(s->bundle[i], mid) == 0)
			return true;
	return false;
}

static bool answer_rtp(struct sdp *s, struct sdp_media *am, const struct sdp_media *om,
		       const struct sdp_media_caps *caps)
{
	if (om->proto != SDP_PROTO_RTP_SAVPF || !om->rtcp_mux || !caps)
		return false;
	answer_codecs(s, am, om, caps);
	if (!am->n_codecs)
		return false;
	answer_extmaps(s, am, om, caps);
	am->dir = answer_dir(om->dir, caps->dir);
	am->rtcp_mux = true;
	am->rtcp_rsize = om->rtcp_rsize;
	am->extmap_allow_mixed = om->extmap_allow_mixed;
	if (caps->simulcast)
		answer_simulcast(s, am, om);
	return true;
}

static bool answer_sctp(struct sdp *s, struct sdp_media *am, const struct sdp_media *om,
			const struct sdp_answer_params *p)
{
	if (!p->datachannel || om->kind != SDP_KIND_APPLICATION ||
	    (om->proto != SDP_PROTO_UDP_DTLS_SCTP && om->proto != SDP_PROTO_DTLS_SCTP))
		return false;
	am->sctp_port = p->sctp_port ? p->sctp_port : DEFAULT_SCTP_PORT;
	if (om->proto == SDP_PROTO_DTLS_SCTP) {
		am->fmt = sdp_model_printf(s, "%u", am->sctp_port);
	} else {
		am->fmt = "webrtc-datachannel";
		am->max_message_size = p->max_message_size ? p->max_message_size :
							      DEFAULT_MAX_MESSAGE_SIZE;
	}
	return true;
}

/* Answers section i; `allowed` false rejects it. Returns 0, or EPROTO for
 * an acceptable section the offer gives no ICE credentials or fingerprint
 * for. */
static int answer_media(struct sdp *s, const struct sdp *offer, unsigned i,
			const struct sdp_answer_params *p, bool allowed)
{
	const struct sdp_media *om = &offer->media[i];
	struct sdp_media *am = sdp_arr_push(&s->media, &s->n_media, sizeof(*am), SDP_MAX_MEDIA);
	bool ok = allowed && om->port != 0;

	am->kind = om->kind;
	am->kind_name = sdp_model_str(s, om->kind_name);
	am->proto = om->proto;
	am->proto_name = sdp_model_str(s, om->proto_name);
	am->mid = sdp_model_str(s, om->mid);
	ok = ok && (answer_rtp(s, am, om, answer_caps(p, i, om->kind)) || answer_sctp(s, am, om, p));
	if (!ok) {
		answer_reject(s, am, om);
		return 0;
	}
	if (!om->ice_ufrag || !om->ice_pwd || !om->fingerprint.len)
		return EPROTO;
	media_local(s, am, &p->local, answer_setup(om->setup));
	return 0;
}

/* The BUNDLE group: the accepted mids of the offer's group, in its order.
 * The first (the tagged section) carries the candidates, as do accepted
 * sections outside the group. */
static void answer_bundle(struct sdp *s, const struct sdp *offer, const struct sdp_answer_params *p)
{
	if (offer->n_bundle)
		s->bundle = g_new0(const char *, offer->n_bundle);
	for (unsigned i = 0; i < offer->n_bundle; i++) {
		const struct sdp_media *m = sdp_media_by_mid(s, offer->bundle[i]);

		if (m && m->port)
			s->bundle[s->n_bundle++] = m->mid;
	}
	for (unsigned i = 0; i < s->n_media; i++) {
		struct sdp_media *m = &s->media[i];
		bool bundled = in_bundle(s, m->mid);

		if (m->port && (!bundled || strcmp(m->mid, s->bundle[0]) == 0))
			media_candidates(s, m, &p->local);
	}
}

/* A model the builders made must write (and so parse again). */
static int write_check(const struct sdp *s)
{
	char *text = NULL;
	int err = sdp_write(s, &text);

	g_free(text);
	return err;
}

/* May section i be accepted, given p->bundle_only and what was accepted? */
static bool answer_allowed(const struct sdp *offer, const struct sdp *answer, unsigned i,
			   const struct sdp_answer_params *p)
{
	if (!p->bundle_only)
		return true;
	if (offer->n_bundle)
		return in_bundle(offer, offer->media[i].mid);
	for (unsigned j = 0; j < answer->n_media; j++)
		if (answer->media[j].port)
			return false;
	return true;
}

int sdp_answer_build(struct sdp **out, const struct sdp *offer, const struct sdp_answer_params *p)
{
	struct sdp *s;
	int err;

	if (!out || !offer || !p || offer->n_media > SDP_MAX_MEDIA || transport_check(&p->local))
		return EINVAL;
	s = sdp_model_new();
	err = session_init(s, p->sess_id, p->sess_version, &p->local);
	s->extmap_allow_mixed = offer->extmap_allow_mixed;
	for (unsigned i = 0; i < offer->n_media && !err; i++)
		err = answer_media(s, offer, i, p, answer_allowed(offer, s, i, p));
	if (!err) {
		answer_bundle(s, offer, p);
		err = write_check(s);
	}
	if (err) {
		sdp_free(s);
		return err;
	}
	*out = s;
	return 0;
}

/* ---- offer ------------------------------------------------------------ */

static int offer_codec(struct sdp *s, struct sdp_media *m, const struct sdp_offer_codec *oc)
{
	struct sdp_codec *c;

	if (oc->pt > 127 || codec_taken(m, oc->pt) || !sdp_is_token(oc->name, 1, SDP_TOKEN_MAX) ||
	    strchr(oc->name, '/') || !oc->clock_rate || (oc->fmtp && !sdp_fmtp_check(oc->fmtp)) ||
	    !(c = sdp_arr_push(&m->codecs, &m->n_codecs, sizeof(*c), SDP_MAX_CODECS)))
		return EINVAL;
	c->pt = oc->pt;
	c->name = sdp_model_str(s, oc->name);
	c->clock_rate = oc->clock_rate;
	c->channels = oc->channels;
	c->fmtp = sdp_model_str(s, oc->fmtp);
	c->apt = -1;
	if (c->fmtp)
		sdp_fmtp_split(c, c->fmtp, s);
	codec_fb_set(c, oc->fb);
	if (!oc->rtx_pt)
		return 0;
	if (oc->rtx_pt > 127 || codec_taken(m, oc->rtx_pt) ||
	    !(c = sdp_arr_push(&m->codecs, &m->n_codecs, sizeof(*c), SDP_MAX_CODECS)))
		return EINVAL;
	c->pt = oc->rtx_pt;
	c->name = "rtx";
	c->clock_rate = oc->clock_rate;
	c->fmtp = sdp_model_printf(s, "apt=%u", oc->pt);
	sdp_fmtp_split(c, c->fmtp, s);
	return 0;
}

static void offer_ssrc(struct sdp *s, struct sdp_media *m, const struct sdp_offer_media *om,
		       uint32_t id)
{
	struct sdp_ssrc *x = sdp_arr_push(&m->ssrcs, &m->n_ssrcs, sizeof(*x), SDP_MAX_SSRCS);

	x->ssrc = id;
	x->cname = sdp_model_str(s, om->cname);
	x->msid_stream = m->msid_stream;
	x->msid_track = m->msid_track;
}

/* a=msid, a=ssrc lines and the FID group of a section that sends. */
static int offer_ssrcs(struct sdp *s, struct sdp_media *m, const struct sdp_offer_media *om)
{
	struct sdp_ssrc_group *g;

	if (om->track_id) {
		m->msid_stream = sdp_model_str(s, om->stream_id ? om->stream_id : "-");
		m->msid_track = sdp_model_str(s, om->track_id);
	}
	if (!om->ssrc)
		return om->rtx_ssrc ? EINVAL : 0;
	offer_ssrc(s, m, om, om->ssrc);
	if (!om->rtx_ssrc)
		return 0;
	if (om->rtx_ssrc == om->ssrc)
		return EINVAL;
	offer_ssrc(s, m, om, om->rtx_ssrc);
	g = sdp_arr_push(&m->ssrc_groups, &m->n_ssrc_groups, sizeof(*g), SDP_MAX_SSRC_GROUPS);
	g->semantics = "FID";
	g->ssrcs[0] = om->ssrc;
	g->ssrcs[1] = om->rtx_ssrc;
	g->n_ssrcs = 2;
	return 0;
}

static int offer_rtp(struct sdp *s, struct sdp_media *m, const struct sdp_offer_media *om)
{
	int err = 0;

	m->proto = SDP_PROTO_RTP_SAVPF;
	if (!om->n_codecs || !om->codecs || om->n_extmaps > SDP_MAX_EXTMAPS ||
	    (om->n_extmaps && !om->extmaps))
		return EINVAL;
	for (unsigned i = 0; i < om->n_codecs && !err; i++)
		err = offer_codec(s, m, &om->codecs[i]);
	sdp_media_link_rtx(m);
	if (err || om->stopped)
		return err;
	for (unsigned i = 0; i < om->n_extmaps; i++) {
		struct sdp_extmap *e = sdp_arr_push(&m->extmaps, &m->n_extmaps, sizeof(*e),
						    SDP_MAX_EXTMAPS);

		*e = om->extmaps[i];
		e->uri = sdp_model_str(s, e->uri);
		e->attrs = sdp_model_str(s, e->attrs);
	}
	m->rtcp_mux = true;
	m->rtcp_rsize = om->rtcp_rsize;
	return sdp_dir_sends(om->dir) ? offer_ssrcs(s, m, om) : 0;
}

static int offer_media(struct sdp *s, const struct sdp_offer_params *p,
		       const struct sdp_offer_media *om)
{
	struct sdp_media *m;
	int err = 0;

	if (!sdp_is_token(om->mid, 1, SDP_TOKEN_MAX) || sdp_media_by_mid(s, om->mid) ||
	    !(m = sdp_arr_push(&s->media, &s->n_media, sizeof(*m), SDP_MAX_MEDIA)))
		return EINVAL;
	m->kind = om->kind;
	m->mid = sdp_model_str(s, om->mid);
	if (om->kind == SDP_KIND_APPLICATION) {
		m->proto = SDP_PROTO_UDP_DTLS_SCTP;
		m->fmt = "webrtc-datachannel";
		m->sctp_port = om->sctp_port ? om->sctp_port : DEFAULT_SCTP_PORT;
		m->max_message_size = om->max_message_size ? om->max_message_size :
							     DEFAULT_MAX_MESSAGE_SIZE;
	} else if (om->kind == SDP_KIND_AUDIO || om->kind == SDP_KIND_VIDEO) {
		err = offer_rtp(s, m, om);
	} else {
		err = EINVAL;
	}
	if (err)
		return err;
	media_local(s, m, &p->local, SDP_SETUP_ACTPASS);
	m->dir = om->dir;
	if (om->stopped) {
		m->port = 0;
		m->dir = SDP_DIR_INACTIVE;
	}
	return 0;
}

const struct sdp_offer_codec sdp_offer_opus = {
	.pt = SDP_PT_OPUS, .name = "opus", .clock_rate = 48000, .channels = 2,
	.fmtp = "minptime=10;useinbandfec=1",
};

const struct sdp_offer_codec sdp_offer_vp8 = {
	.pt = SDP_PT_VP8, .name = "VP8", .clock_rate = 90000,
	.fb = SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_CCM_FIR, .rtx_pt = SDP_PT_VP8_RTX,
};

const struct sdp_codec_cap sdp_cap_opus = { .name = "opus", .clock_rate = 48000, .channels = 2 };

const struct sdp_codec_cap sdp_cap_vp8 = {
	.name = "VP8", .clock_rate = 90000,
	.fb = SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_CCM_FIR, .rtx = true,
};

int sdp_offer_build(struct sdp **out, const struct sdp_offer_params *p)
{
	struct sdp *s;
	int err;

	if (!out || !p || p->n_media > SDP_MAX_MEDIA || (p->n_media && !p->media) ||
	    transport_check(&p->local))
		return EINVAL;
	s = sdp_model_new();
	err = session_init(s, p->sess_id, p->sess_version, &p->local);
	s->extmap_allow_mixed = p->extmap_allow_mixed;
	s->msid_semantic = "WMS *";
	for (unsigned i = 0; i < p->n_media && !err; i++)
		err = offer_media(s, p, &p->media[i]);
	if (p->bundle && s->n_media)
		s->bundle = g_new0(const char *, s->n_media);
	for (unsigned i = 0; i < s->n_media && !err; i++) {
		struct sdp_media *m = &s->media[i];

		if (!m->port)
			continue;
		if (p->bundle)
			s->bundle[s->n_bundle++] = m->mid;
		if (!p->bundle || s->n_bundle == 1)
			media_candidates(s, m, &p->local);
	}
	if (!err)
		err = write_check(s);
	if (err) {
		sdp_free(s);
		return err;
	}
	*out = s;
	return 0;
}
