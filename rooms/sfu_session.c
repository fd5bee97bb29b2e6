/* sfu_session.c - one participant's media: the publish connection (the
 * client offers, we answer and receive its tracks as producers) and the
 * subscribe connection (we offer the other participants' tracks as
 * consumers, renegotiating as they come and go; the client answers). */
#define LOG_MOD "sfu"
#include "rooms/sfu.h"
#include "media/base/log.h"
#include "media/base/util.h"
#include "media/transport_sdp.h"
#include "media/base/worker.h"
#include "media/dtls.h"
#include "media/lanes.h"
#include "media/pktbuf.h"
#include "media/rtp.h"
#include "media/srtp.h"
#include "media/transport.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define TICK_MS 100
#define REPORT_TICKS 10 /* RTCP reports every second */

struct pmedia {
	const struct sfu_cfg *cfg;        /* borrowed */
	struct worker *w;                 /* borrowed */
	const struct sfu_room_ops *ops;   /* borrowed */
	void *room_arg;
	char *name;                       /* owned, for logs */
	char pid[20];
	bool can_publish, can_subscribe;
	uint32_t rtcp_ssrc;
	struct transport *pub;            /* owned */
	struct transport *sub;            /* owned */
	struct worker *send_w;            /* borrowed: sends the out transport's datagrams */
	GPtrArray *producers;             /* owned struct producer* */
	GPtrArray *consumers;             /* owned struct consumer*, in mid order */
	unsigned next_mid;
	uint8_t pub_mid_ext;
	/* a publish offer waiting for our candidates */
	struct sdp *pending_offer;        /* owned */
	pmedia_done_h *pending_done;
	void *pending_arg;
	bool viewer;                      /* WHEP: consumers on the client-offer transport */
	/* subscribe negotiation */
	unsigned sub_version;
	char *sub_offer;                  /* owned: the last offer sent */
	bool sub_outstanding;
	bool sub_dirty;
	GSource *timer;                   /* owned */
	bool timer_fast;                  /* TICK_MS (publishing) or 1 s */
	unsigned ticks;
	GSource *fail_idle;               /* owned */
	char fail_reason[96];
};

static void sub_renegotiate(struct pmedia *pm);
static void publish_finish(struct pmedia *pm);
static void view_finish(struct pmedia *pm);
static void sub_feedback(struct pmedia *pm, struct rtcp_pkt *pkt);
static struct transport *out_transport(const struct pmedia *pm);

const char *pmedia_pid(const struct pmedia *pm)
{
	return pm->pid;
}

GPtrArray *pmedia_producers(struct pmedia *pm)
{
	return pm->producers;
}

uint32_t pmedia_rtcp_ssrc(const struct pmedia *pm)
{
	return pm->rtcp_ssrc;
}

bool pmedia_sub_ready(const struct pmedia *pm)
{
	struct transport *t = out_transport(pm);

	return t && transport_connected(t);
}

/* The transport consumers send on: the subscribe connection, or for a WHEP
 * viewer the one connection it offered. */
static struct transport *out_transport(const struct pmedia *pm)
{
	return pm->viewer ? pm->pub : pm->sub;
}

struct worker *pmedia_send_worker(const struct pmedia *pm)
{
	return out_transport(pm) ? pm->send_w : NULL;
}

int pmedia_send_rtp(struct pmedia *pm, uint8_t *buf, size_t len, size_t cap)
{
	struct transport *t = out_transport(pm);

	return t ? transport_send_rtp(t, buf, len, cap) : ENOTCONN;
}

bool pmedia_is_viewer(const struct pmedia *pm)
{
	return pm->viewer;
}

void pmedia_send_rtcp(struct pmedia *pm, bool sub, uint8_t *buf, size_t len, size_t cap)
{
	struct transport *t = sub ? out_transport(pm) : pm->pub;

	if (t && transport_connected(t))
		transport_send_rtcp(t, buf, len, cap);
}

json_t *pmedia_tracks_json(const struct pmedia *pm)
{
	json_t *a = json_array();

	for (guint i = 0; i < pm->producers->len; i++)
		json_array_append_new(a, producer_json(g_ptr_array_index(pm->producers, i)));
	return a;
}

/* --- failure ------------------------------------------------------------ */

static gboolean fail_report(gpointer data)
{
	struct pmedia *pm = data;

	g_source_unref(pm->fail_idle);
	pm->fail_idle = NULL;
	pm->ops->failed(pm->room_arg, pm, pm->fail_reason); /* may free pm */
	return G_SOURCE_REMOVE;
}

/* Transports report from inside libnice and OpenSSL callbacks: the room
 * hears of it from an idle callback, where freeing everything is safe. */
static void fail_later(struct pmedia *pm, const char *reason)
{
	if (pm->fail_idle)
		return;
	g_strlcpy(pm->fail_reason, reason, sizeof(pm->fail_reason));
	pm->fail_idle = g_idle_source_new();
	g_source_set_callback(pm->fail_idle, fail_report, pm, NULL);
	g_source_attach(pm->fail_idle, worker_context(pm->w));
}

/* --- publish transport ------------------------------------------------- */

static struct producer *producer_by_ssrc(struct pmedia *pm, uint32_t ssrc)
{
	for (guint i = 0; i < pm->producers->len; i++) {
		struct producer *p = g_ptr_array_index(pm->producers, i);

		if (p->ssrc == ssrc || (p->rtx_ssrc && p->rtx_ssrc == ssrc))
			return p;
	}
	return NULL;
}

static struct producer *producer_by_mid(struct pmedia *pm, const char *mid)
{
	for (guint i = 0; i < pm->producers->len; i++) {
		struct producer *p = g_ptr_array_index(pm->producers, i);

		if (strcmp(p->mid, mid) == 0)
			return p;
	}
	return NULL;
}

/* An SSRC we have not seen: the mid header extension says whose it is. */
static struct producer *producer_learn(struct pmedia *pm, const struct rtp_view *v)
{
	char mid[33];
	struct producer *p;

	if (!pm->pub_mid_ext || rtp_ext_get_sdes(v, pm->pub_mid_ext, mid, sizeof(mid)))
		return NULL;
	p = producer_by_mid(pm, mid);
	if (!p || v->ssrc == p->prev_ssrc || (p->prev_rtx_ssrc && v->ssrc == p->prev_rtx_ssrc))
		return NULL; /* unknown, or a late packet of the previous source */
	if (p->rtx_pt >= 0 && v->pt == p->rtx_pt && !p->rtx_ssrc) {
		p->rtx_ssrc = v->ssrc;
	} else if (v->pt == p->pt) {
		if (p->ssrc)
			log_info("[%s] track %s changes source: ssrc %u -> %u", pm->name, p->id,
				 p->ssrc, v->ssrc);
		producer_new_source(p, v->ssrc, util_now_us());
	} else {
		return NULL;
	}
	log_debug("[%s] mid %s has ssrc %u", pm->name, mid, v->ssrc);
	return p;
}

static void pub_on_rtp(void *arg, struct pktbuf *pkt)
{
	struct pmedia *pm = arg;
	struct rtp_view v;
	struct producer *p;

	if (rtp_parse(&v, pkt->data, pkt->len))
		return;
	p = producer_by_ssrc(pm, v.ssrc);
	if (!p)
		p = producer_learn(pm, &v);
	if (p)
		producer_receive(p, pkt, &v, util_now_us());
}

static void pub_on_rtcp(void *arg, const uint8_t *buf, size_t len)
{
	struct pmedia *pm = arg;
	struct rtcp_iter it;
	struct rtcp_pkt pkt;

	if (rtcp_iter_init(&it, buf, len))
		return;
	while (rtcp_iter_next(&it, &pkt)) {
		struct rtcp_sr sr;
		struct producer *p;

		if (pm->viewer)
			sub_feedback(pm, &pkt);
		if (pkt.kind != RTCP_KIND_SR || rtcp_sr_parse(&pkt, &sr))
			continue;
		p = producer_by_ssrc(pm, sr.ssrc);
		if (p)
			producer_sender_report(p, sr.info.ntp, util_now_us());
	}
}

static void on_candidate(void *arg, const char *cand)
{
	/* Our candidates go into our SDP once gathering is done. */
}

static void pub_on_gathered(void *arg)
{
	struct pmedia *pm = arg;

	if (pm->pending_offer && pm->viewer)
		view_finish(pm);
	else if (pm->pending_offer)
		publish_finish(pm);
}

static void sub_on_connected(void *arg);
static void timer_set(struct pmedia *pm, bool fast);

static void pub_on_connected(void *arg)
{
	struct pmedia *pm = arg;

	if (pm->viewer)
		sub_on_connected(pm); /* keyframes for the viewer's consumers */
}

static void on_closed(void *arg, int err, const char *reason)
{
	struct pmedia *pm = arg;

	fail_later(pm, reason);
}

static const struct transport_handlers pub_h = {
	.candidate = on_candidate,
	.gathering_done = pub_on_gathered,
	.connected = pub_on_connected,
	.closed = on_closed,
	.rtp = pub_on_rtp,
	.rtcp = pub_on_rtcp,
};

/* --- subscribe transport ------------------------------------------------ */

static struct consumer *consumer_by_ssrc(struct pmedia *pm, uint32_t ssrc)
{
	for (guint i = 0; i < pm->consumers->len; i++) {
		struct consumer *c = g_ptr_array_index(pm->consumers, i);

		if (c->ssrc == ssrc && !c->stopped)
			return c;
	}
	return NULL;
}

/* Feedback from the subscriber: NACKs are answered from the producer's
 * buffer, keyframe requests go (throttled) to the publisher. */
static void sub_feedback(struct pmedia *pm, struct rtcp_pkt *pkt)
{
	uint16_t seqs[128];
	struct rtcp_fb fb;
	struct consumer *c;
	size_t n = 0;

	if (pkt->kind == RTCP_KIND_NACK) {
		if (rtcp_nack_parse(pkt, &fb, seqs, G_N_ELEMENTS(seqs), &n) && n == 0)
			return;
		c = consumer_by_ssrc(pm, fb.media_ssrc);
		if (c)
			consumer_retransmit(c, seqs, n);
	} else if (pkt->kind == RTCP_KIND_PLI || pkt->kind == RTCP_KIND_FIR) {
		struct rtcp_fir fir;

		if (pkt->kind == RTCP_KIND_PLI ? rtcp_fb_parse(pkt, &fb) :
						 rtcp_fir_parse(pkt, &fb, &fir))
			return;
		if (pkt->kind == RTCP_KIND_FIR && fir.count > 0) {
			struct rtcp_fir_entry e;

			rtcp_fir_get(&fir, 0, &e);
			fb.media_ssrc = e.ssrc;
		}
		c = consumer_by_ssrc(pm, fb.media_ssrc);
		if (c && c->prod)
			producer_request_keyframe(c->prod, util_now_us());
	}
}

static void sub_on_rtcp(void *arg, const uint8_t *buf, size_t len)
{
	struct pmedia *pm = arg;
	struct rtcp_iter it;
	struct rtcp_pkt pkt;

	if (rtcp_iter_init(&it, buf, len))
		return;
	while (rtcp_iter_next(&it, &pkt))
		sub_feedback(pm, &pkt);
}

static void sub_on_rtp(void *arg, struct pktbuf *pkt)
{
	/* The subscribe connection is send-only on our side. */
}

static void sub_on_gathered(void *arg)
{
	struct pmedia *pm = arg;

	if (pm->sub_dirty)
		sub_renegotiate(pm);
}

static void sub_on_connected(void *arg)
{
	struct pmedia *pm = arg;
	int64_t now = util_now_us();

	for (guint i = 0; i < pm->consumers->len; i++) {
		struct consumer *c = g_ptr_array_index(pm->consumers, i);

		if (c->prod && c->negotiated && c->need_keyframe)
			producer_request_keyframe(c->prod, now);
	}
}

static const struct transport_handlers sub_h = {
	.candidate = on_candidate,
	.gathering_done = sub_on_gathered,
	.connected = sub_on_connected,
	.closed = on_closed,
	.rtp = sub_on_rtp,
	.rtcp = sub_on_rtcp,
};

static int transport_make(struct pmedia *pm, bool sub, struct transport **out)
{
	char name[96];
	struct transport_params tp = {
		.ctx = worker_context(pm->w),
		.ice_controlling = sub, /* the offerer controls */
		.local_addrs = pm->cfg->local_addrs,
		.port_min = pm->cfg->port_min,
		.port_max = pm->cfg->port_max,
		.public_ip = pm->cfg->public_ip,
		.cert = pm->cfg->cert,
		.connect_timeout_s = pm->cfg->connect_timeout_s,
		.name = name,
		.mux = pm->cfg->muxes ? pm->cfg->muxes[worker_index(pm->w)] : NULL,
		.rx_stamps = true, /* parley_forward_delay_seconds */
	};
	int err;

	if (sub || pm->viewer) { /* the connection media goes out on */
		pm->send_w = pm->ops->send_worker ? pm->ops->send_worker(pm->room_arg, pm) : pm->w;
		if (pm->cfg->lanes && pm->send_w != pm->w)
			tp.lane = lanes_get(pm->cfg->lanes, pm->w, pm->send_w);
	}
	g_snprintf(name, sizeof(name), "%s/%s", pm->name, sub ? "sub" : "pub");
	err = transport_alloc(out, &tp, sub ? &sub_h : &pub_h, pm);
	if (!err)
		err = transport_gather(*out);
	return err;
}

/* --- SDP helpers -------------------------------------------------------- */

/* --- publish negotiation ------------------------------------------------ */

static const char *const ext_uris[] = { SDP_EXT_MID, NULL };

static void publish_reply(struct pmedia *pm, int err, const char *msg, char *sdp)
{
	pmedia_done_h *done = pm->pending_done;
	void *arg = pm->pending_arg;

	sdp_free(pm->pending_offer);
	pm->pending_offer = NULL;
	pm->pending_done = NULL;
	done(err, msg, sdp, arg);
}

/* The offer's SSRCs for a section: a=ssrc-group:FID main rtx, or the one a=ssrc. */
static void offer_ssrcs(const struct sdp_media *m, uint32_t *main, uint32_t *rtx)
{
	for (unsigned i = 0; i < m->n_ssrc_groups; i++) {
		const struct sdp_ssrc_group *g = &m->ssrc_groups[i];

		if (strcmp(g->semantics, "FID") == 0 && g->n_ssrcs == 2) {
			*main = g->ssrcs[0];
			*rtx = g->ssrcs[1];
			return;
		}
	}
	if (m->n_ssrcs >= 1)
		*main = m->ssrcs[0].ssrc;
}

/* Makes the producer for an accepted section, or keeps the one it has. */
static struct producer *producer_for(struct pmedia *pm, const struct sdp_media *am,
				     const struct sdp_media *om, bool *created)
{
	struct producer *p = producer_by_mid(pm, am->mid);
	const struct sdp_codec *c = &am->codecs[0];
	uint32_t ssrc = 0, rtx_ssrc = 0;

	*created = false;
	offer_ssrcs(om, &ssrc, &rtx_ssrc);
	if (p) {
		/* a new offer may announce a new sender for the same track */
		if (ssrc && ssrc != p->ssrc) {
			if (p->ssrc)
				log_info("[%s] track %s changes source: ssrc %u -> %u (offer)",
					 pm->name, p->id, p->ssrc, ssrc);
			producer_new_source(p, ssrc, util_now_us());
			p->rtx_ssrc = rtx_ssrc;
		}
		return p;
	}
	if (producer_alloc(&p, pm, am->mid, am->kind, codec_from_name(c->name), c->pt,
			   sdp_codec_rtx_pt(am, c), c->clock_rate))
		return NULL;
	if (ssrc)
		producer_new_source(p, ssrc, util_now_us());
	p->rtx_ssrc = rtx_ssrc;
	g_ptr_array_add(pm->producers, p);
	*created = true;
	if (!pm->timer_fast)
		timer_set(pm, true);
	log_info("[%s] publishes %s track %s (mid %s, %s/%u pt %u)", pm->name,
		 sdp_kind_name(p->kind), p->id, p->mid, c->name, c->clock_rate, c->pt);
	return p;
}

/* Applies a built answer: producers for the sections we receive, and the
 * end of those that are gone. Returns the new producers (borrowed). */
static GPtrArray *publish_apply(struct pmedia *pm, const struct sdp *offer,
				const struct sdp *ans, GPtrArray *gone)
{
	GPtrArray *added = g_ptr_array_new();

	for (unsigned i = 0; i < ans->n_media; i++) {
		const struct sdp_media *am = &ans->media[i];
		bool created;
		struct producer *p;

		if (am->port == 0 || !am->mid || am->n_codecs == 0 || !sdp_dir_recvs(am->dir) ||
		    (am->kind != SDP_KIND_AUDIO && am->kind != SDP_KIND_VIDEO))
			continue;
		if (!pm->pub_mid_ext)
			pm->pub_mid_ext = (uint8_t)sdp_extmap_id(am, SDP_EXT_MID);
		p = producer_for(pm, am, &offer->media[i], &created);
		if (p && created)
			g_ptr_array_add(added, p);
	}
	for (guint i = 0; i < pm->producers->len;) {
		struct producer *p = g_ptr_array_index(pm->producers, i);
		const struct sdp_media *am = sdp_media_by_mid(ans, p->mid);

		if (!am || am->port == 0 || !sdp_dir_recvs(am->dir)) {
			g_ptr_array_remove_index(pm->producers, i);
			g_ptr_array_add(gone, p);
		} else {
			i++;
		}
	}
	return added;
}

static void publish_finish(struct pmedia *pm)
{
	struct sdp_answer_params ap = {
		.audio = { .codecs = &sdp_cap_opus, .n_codecs = 1, .max_codecs = 1,
			   .ext_uris = ext_uris, .dir = SDP_DIR_RECVONLY },
		.video = { .codecs = &sdp_cap_vp8, .n_codecs = 1, .max_codecs = 1,
			   .ext_uris = ext_uris, .dir = SDP_DIR_RECVONLY },
		.bundle_only = true,
	};
	GPtrArray *hold = g_ptr_array_new(), *added, *gone = g_ptr_array_new();
	struct sdp *ans = NULL;
	char *text = NULL;
	int err;

	err = transport_sdp_local(pm->pub, pm->cfg->cert, &ap.local, hold);
	if (!err)
		err = sdp_answer_build(&ans, pm->pending_offer, &ap);
	if (!err)
		err = sdp_write(ans, &text);
	transport_sdp_hold_free(hold);
	if (err) {
		sdp_free(ans);
		g_ptr_array_free(gone, TRUE);
		publish_reply(pm, EBADMSG, "no acceptable media in the offer", NULL);
		return;
	}
	added = publish_apply(pm, pm->pending_offer, ans, gone);
	sdp_free(ans);
	publish_reply(pm, 0, NULL, text);
	for (guint i = 0; i < gone->len; i++) {
		struct producer *p = g_ptr_array_index(gone, i);

		pm->ops->track_removed(pm->room_arg, pm, p);
		producer_free(p);
	}
	for (guint i = 0; i < added->len; i++)
		pm->ops->track_added(pm->room_arg, pm, g_ptr_array_index(added, i));
	g_ptr_array_free(gone, TRUE);
	g_ptr_array_free(added, TRUE);
}

/* Sections the offer sends us: each becomes a track. */
static unsigned offered_tracks(const struct sdp *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->n_media; i++) {
		const struct sdp_media *m = &s->media[i];

		if (m->port && sdp_dir_sends(m->dir) &&
		    (m->kind == SDP_KIND_AUDIO || m->kind == SDP_KIND_VIDEO))
			n++;
	}
	return n;
}

/* Takes a client offer for the connection the client offers on: parses it,
 * makes the transport, applies the peer's ICE/DTLS parameters and
 * candidates, and answers once our candidates are gathered. */
static void offer_take(struct pmedia *pm, const char *text, size_t len, pmedia_done_h *done,
		       void *arg)
{
	char msg[160] = "";
	struct sdp *offer = NULL;
	int err;

	if (pm->pending_done) {
		done(EBUSY, "a negotiation is in progress", NULL, arg);
		return;
	}
	if (sdp_parse(&offer, text, len, msg, sizeof(msg))) {
		done(EBADMSG, msg, NULL, arg);
		return;
	}
	if (!pm->viewer && offered_tracks(offer) > pm->cfg->max_tracks) {
		snprintf(msg, sizeof(msg), "at most %u tracks per participant", pm->cfg->max_tracks);
		sdp_free(offer);
		done(E2BIG, msg, NULL, arg);
		return;
	}
	err = pm->pub ? 0 : transport_make(pm, false, &pm->pub);
	if (!err)
		err = transport_sdp_apply_remote(pm->pub, offer, false);
	if (err) {
		sdp_free(offer);
		done(err == EPROTO ? EBADMSG : err,
		     "the offer lacks ICE credentials, a fingerprint or a usable a=setup", NULL, arg);
		return;
	}
	transport_sdp_add_candidates(pm->pub, offer);
	pm->pending_offer = offer;
	pm->pending_done = done;
	pm->pending_arg = arg;
	if (transport_gathering_done(pm->pub))
		pub_on_gathered(pm);
}

void pmedia_publish(struct pmedia *pm, const char *text, size_t len, pmedia_done_h *done,
		    void *arg)
{
	if (!pm->can_publish || pm->viewer) {
		done(EACCES, "the access token does not allow publishing (canPublish)", NULL, arg);
		return;
	}
	offer_take(pm, text, len, done, arg);
}

/* --- WHEP viewer ---------------------------------------------------------- */

static const struct sdp_codec_cap view_video_codecs[] = {
	{ .name = "VP8", .clock_rate = 90000, .fb = SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_CCM_FIR },
};

/* The next source of `kind` not used yet, or NULL. */
static struct producer *source_next(GPtrArray *sources, enum sdp_kind kind)
{
	for (guint i = 0; i < sources->len; i++) {
		struct producer *p = g_ptr_array_index(sources, i);

		if (p && p->kind == kind) {
			g_ptr_array_index(sources, i) = NULL;
			return p;
		}
	}
	return NULL;
}

/* Which offered sections get a source: the others are rejected. */
static const struct sdp_media_caps **view_plan(const struct sdp *offer, GPtrArray *sources,
					       struct producer **picked)
{
	static const struct sdp_media_caps reject = { 0 };
	const struct sdp_media_caps **caps = g_new0(const struct sdp_media_caps *, offer->n_media);
	GPtrArray *left = g_ptr_array_copy(sources, NULL, NULL);

	for (unsigned i = 0; i < offer->n_media; i++) {
		const struct sdp_media *m = &offer->media[i];

		picked[i] = NULL;
		if (m->port && sdp_dir_recvs(m->dir) &&
		    (m->kind == SDP_KIND_AUDIO || m->kind == SDP_KIND_VIDEO))
			picked[i] = source_next(left, m->kind);
		if (!picked[i])
			caps[i] = &reject;
	}
	g_ptr_array_free(left, TRUE);
	return caps;
}

static void view_apply(struct pmedia *pm, const struct sdp *ans, struct producer **picked)
{
	for (unsigned i = 0; i < ans->n_media; i++) {
		const struct sdp_media *am = &ans->media[i];
		struct consumer *c;

		if (!picked[i] || am->port == 0 || am->n_codecs == 0 || !am->mid)
			continue;
		consumer_alloc(&c, pm, picked[i], am->mid);
		c->pt = am->codecs[0].pt;
		c->mid_ext_id = (uint8_t)sdp_extmap_id(am, SDP_EXT_MID);
		c->negotiated = true;
		c->offered_version = 1;
		g_ptr_array_add(pm->consumers, c);
		log_info("[%s] views track %s as mid %s", pm->name, picked[i]->id, am->mid);
	}
}

static void view_finish(struct pmedia *pm)
{
	struct sdp_answer_params ap = {
		.audio = { .codecs = &sdp_cap_opus, .n_codecs = 1, .max_codecs = 1,
			   .ext_uris = ext_uris, .dir = SDP_DIR_SENDONLY },
		.video = { .codecs = view_video_codecs, .n_codecs = 1, .max_codecs = 1,
			   .ext_uris = ext_uris, .dir = SDP_DIR_SENDONLY },
		.bundle_only = true,
	};
	const struct sdp *offer = pm->pending_offer;
	GPtrArray *hold = g_ptr_array_new();
	GPtrArray *sources = pm->ops->sources(pm->room_arg, pm);
	struct producer **picked = g_new0(struct producer *, offer->n_media ? offer->n_media : 1);
	const struct sdp_media_caps **caps = view_plan(offer, sources, picked);
	struct sdp *ans = NULL;
	char *text = NULL;
	int err;

	ap.sections = caps;
	ap.n_sections = offer->n_media;
	err = transport_sdp_local(pm->pub, pm->cfg->cert, &ap.local, hold);
	if (!err)
		err = sdp_answer_build(&ans, offer, &ap);
	if (!err)
		err = sdp_write(ans, &text);
	transport_sdp_hold_free(hold);
	if (!err)
		view_apply(pm, ans, picked);
	sdp_free(ans);
	g_free(caps);
	g_free(picked);
	g_ptr_array_free(sources, TRUE);
	if (err)
		publish_reply(pm, EBADMSG, "no acceptable media in the offer", NULL);
	else
		publish_reply(pm, 0, NULL, text);
}

void pmedia_view(struct pmedia *pm, const char *text, size_t len, pmedia_done_h *done, void *arg)
{
	if (pm->pub) {
		done(EBUSY, "this viewer's connection is already negotiated", NULL, arg);
		return;
	}
	pm->viewer = true;
	offer_take(pm, text, len, done, arg);
}

/* --- subscribe negotiation ---------------------------------------------- */


static void offer_section(const struct consumer *c, struct sdp_offer_media *m)
{
	memset(m, 0, sizeof(*m));
	m->kind = c->kind;
	m->mid = c->mid;
	m->stopped = c->stopped || !c->prod;
	m->dir = m->stopped ? SDP_DIR_INACTIVE : SDP_DIR_SENDONLY;
	m->codecs = c->kind == SDP_KIND_AUDIO ? &sdp_offer_opus : &sdp_offer_vp8;
	m->n_codecs = 1;
	m->rtcp_rsize = true;
	if (m->stopped)
		return;
	m->ssrc = c->ssrc;
	if (c->kind == SDP_KIND_VIDEO)
		m->rtx_ssrc = c->rtx_ssrc;
	m->cname = "parley";
	m->stream_id = pmedia_pid(c->prod->owner);
	m->track_id = c->prod->id;
}

/* Sends the subscriber a new offer with every consumer slot, unless one is
 * still unanswered or our candidates are not gathered yet (then later). */
static void sub_renegotiate(struct pmedia *pm)
{
	struct sdp_offer_params op = { .bundle = true };
	struct sdp_offer_media *media;
	GPtrArray *hold = g_ptr_array_new();
	struct sdp *offer = NULL;
	char *text = NULL, version[16];
	int err;

	pm->sub_dirty = true;
	if (pm->sub_outstanding || pm->consumers->len == 0)
		return;
	if (!pm->sub && transport_make(pm, true, &pm->sub))
		return;
	/* Gathering may complete inside transport_make, and its handler may
	 * already have sent the offer. */
	if (!transport_gathering_done(pm->sub) || pm->sub_outstanding || !pm->sub_dirty)
		return;
	media = g_new0(struct sdp_offer_media, pm->consumers->len);
	for (guint i = 0; i < pm->consumers->len; i++)
		offer_section(g_ptr_array_index(pm->consumers, i), &media[i]);
	g_snprintf(version, sizeof(version), "%u", pm->sub_version + 1);
	op.media = media;
	op.n_media = pm->consumers->len;
	op.sess_version = version;
	op.sess_id = "1";
	err = transport_sdp_local(pm->sub, pm->cfg->cert, &op.local, hold);
	if (!err)
		err = sdp_offer_build(&offer, &op);
	if (!err)
		err = sdp_write(offer, &text);
	sdp_free(offer);
	transport_sdp_hold_free(hold);
	g_free(media);
	if (err) {
		log_err("[%s] cannot build a subscribe offer (%d)", pm->name, err);
		return;
	}
	pm->sub_version++;
	pm->sub_outstanding = true;
	pm->sub_dirty = false;
	for (guint i = 0; i < pm->consumers->len; i++) {
		struct consumer *c = g_ptr_array_index(pm->consumers, i);

		if (!c->offered_version)
			c->offered_version = pm->sub_version;
	}
	pm->ops->event(pm->room_arg, pm, "subscribe_offer",
		       json_pack("{s:s, s:i}", "sdp", text, "version", (int)pm->sub_version));
	g_free(pm->sub_offer);
	pm->sub_offer = text;
}

bool pmedia_pending_offer(const struct pmedia *pm, const char **sdp, unsigned *version)
{
	if (!pm->sub_outstanding || !pm->sub_offer)
		return false;
	*sdp = pm->sub_offer;
	*version = pm->sub_version;
	return true;
}

int pmedia_subscribe_answer(struct pmedia *pm, unsigned version, const char *text, size_t len,
			    char *msg, size_t msgsize)
{
	struct sdp *ans = NULL;
	int err;

	if (!pm->sub_outstanding || version != pm->sub_version) {
		snprintf(msg, msgsize, "no subscribe offer %u is waiting for an answer (current %u)",
			 version, pm->sub_version);
		return ESTALE;
	}
	if (sdp_parse(&ans, text, len, msg, msgsize))
		return EBADMSG;
	err = transport_sdp_apply_remote(pm->sub, ans, true);
	if (err) {
		snprintf(msg, msgsize, "the answer lacks ICE credentials, a fingerprint or a=setup");
		sdp_free(ans);
		return EBADMSG;
	}
	transport_sdp_add_candidates(pm->sub, ans);
	for (guint i = 0; i < pm->consumers->len; i++) {
		struct consumer *c = g_ptr_array_index(pm->consumers, i);
		const struct sdp_media *m = sdp_media_by_mid(ans, c->mid);

		if (c->offered_version && c->offered_version <= version && m && m->port) {
			const struct sdp_codec *vc = sdp_codec_by_pt(m, c->pt);
			int rtx = vc ? sdp_codec_rtx_pt(m, vc) : -1;

			c->negotiated = true;
			c->rtx_pt = rtx > 0 ? (uint8_t)rtx : 0;
		}
	}
	sdp_free(ans);
	pm->sub_outstanding = false;
	if (pm->sub_dirty)
		sub_renegotiate(pm);
	sub_on_connected(pm); /* keyframes for the new consumers, if connected */
	return 0;
}

int pmedia_subscribe_restart(struct pmedia *pm, unsigned *version, char *msg, size_t msgsize)
{
	unsigned before = pm->sub_version;
	int err;

	if (!pm->sub) {
		snprintf(msg, msgsize, "there is no subscribe connection yet");
		return ENOENT;
	}
	err = transport_restart_ice_local(pm->sub);
	if (err) {
		snprintf(msg, msgsize, "the subscribe connection is closed");
		return err == ENOTCONN ? ENOENT : err;
	}
	sub_renegotiate(pm);
	/* the offer just sent, or the one after the offer still unanswered */
	*version = pm->sub_version != before ? pm->sub_version : pm->sub_version + 1;
	return 0;
}

/* Our end as a trickle fragment (RFC 8840): credentials, candidates, end. */
static char *local_frag(struct transport *t, const char *mid)
{
	GString *f = g_string_new(NULL);
	const char *const *cands;
	unsigned n;

	g_string_append_printf(f, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", transport_ice_ufrag(t),
			       transport_ice_pwd(t));
	if (mid)
		g_string_append_printf(f, "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:%s\r\n", mid);
	cands = transport_local_candidates(t, &n);
	for (unsigned i = 0; i < n; i++)
		g_string_append_printf(f, "a=%s\r\n", cands[i]);
	g_string_append(f, "a=end-of-candidates\r\n");
	return g_string_free(f, FALSE);
}

/* The credentials a fragment carries: session level, else its first section. */
static void frag_credentials(const struct sdp *frag, const char **ufrag, const char **pwd,
			     const char **mid)
{
	*ufrag = frag->ice_ufrag;
	*pwd = frag->ice_pwd;
	*mid = NULL;
	for (unsigned i = 0; i < frag->n_media; i++) {
		if (!*mid)
			*mid = frag->media[i].mid;
		if (!*ufrag && frag->media[i].ice_ufrag) {
			*ufrag = frag->media[i].ice_ufrag;
			*pwd = frag->media[i].ice_pwd;
		}
	}
}

int pmedia_trickle(struct pmedia *pm, bool sub, const char *text, size_t len, char **reply,
		   char *msg, size_t msgsize)
{
	struct transport *t = sub ? out_transport(pm) : pm->pub;
	const char *ufrag, *pwd, *mid;
	struct sdp *frag = NULL;
	bool restarted = false;
	int err = 0;

	*reply = NULL;
	if (!t) {
		snprintf(msg, msgsize, "there is no %s connection yet", sub ? "subscribe" : "publish");
		return ENOENT;
	}
	if (sdp_frag_parse(&frag, text, len, msg, msgsize))
		return EBADMSG;
	frag_credentials(frag, &ufrag, &pwd, &mid);
	if (ufrag && pwd)
		err = transport_set_remote_ice(t, ufrag, pwd, &restarted);
	if (err) {
		snprintf(msg, msgsize, "the fragment's ICE credentials are not valid");
		sdp_free(frag);
		return err == ENOTCONN ? ENOENT : EINVAL;
	}
	transport_sdp_add_candidates(t, frag);
	sdp_free(frag);
	if (restarted)
		*reply = local_frag(t, mid);
	return 0;
}

struct producer *pmedia_track_mute(struct pmedia *pm, const char *track_id, bool muted)
{
	for (guint i = 0; i < pm->producers->len; i++) {
		struct producer *p = g_ptr_array_index(pm->producers, i);

		if (strcmp(p->id, track_id) != 0)
			continue;
		if (p->muted && !muted && p->kind == SDP_KIND_VIDEO) {
			for (guint j = 0; j < p->consumers->len; j++)
				((struct consumer *)g_ptr_array_index(p->consumers, j))->need_keyframe = true;
			p->muted = false;
			producer_request_keyframe(p, util_now_us());
		}
		p->muted = muted;
		log_info("[%s] track %s %s", pm->name, p->id, muted ? "muted" : "unmuted");
		return p;
	}
	return NULL;
}

void pmedia_consume(struct pmedia *pm, struct producer *prod)
{
	struct consumer *c;
	char mid[12];

	if (!pm->can_subscribe || pm->viewer)
		return;
	g_snprintf(mid, sizeof(mid), "%u", pm->next_mid++);
	consumer_alloc(&c, pm, prod, mid);
	g_ptr_array_add(pm->consumers, c);
	sub_renegotiate(pm);
}

void pmedia_unconsume(struct pmedia *pm, struct producer *prod)
{
	bool changed = false;

	for (guint i = 0; i < pm->consumers->len; i++) {
		struct consumer *c = g_ptr_array_index(pm->consumers, i);

		if (c->prod != prod)
			continue;
		g_ptr_array_remove(prod->consumers, c);
		c->prod = NULL;
		c->stopped = true;
		c->negotiated = false;
		changed = true;
	}
	if (changed)
		sub_renegotiate(pm);
}

/* --- timer, life cycle -------------------------------------------------- */

static void send_reports(struct pmedia *pm, int64_t now)
{
	_Alignas(8) uint8_t buf[1400 + SRTP_TRAILER_MAX];
	struct rtcp_report_block rb[31];
	struct rtcp_writer w;
	unsigned n = 0;

	for (guint i = 0; i < pm->producers->len && n < 31; i++) {
		struct producer *p = g_ptr_array_index(pm->producers, i);

		if (p->ssrc && p->seq_started)
			producer_report(p, now, &rb[n++]);
	}
	rtcp_writer_init(&w, buf, 1400);
	if (n && !rtcp_write_rr(&w, pm->rtcp_ssrc, rb, n))
		pmedia_send_rtcp(pm, false, buf, w.len, sizeof(buf));
	rtcp_writer_init(&w, buf, 1400);
	for (guint i = 0; i < pm->consumers->len; i++) {
		struct consumer *c = g_ptr_array_index(pm->consumers, i);
		struct rtcp_sender_info si;

		if (!c->packets || c->stopped)
			continue;
		si.ntp = rtcp_ntp_now();
		si.rtp_ts = c->last_ts + (uint32_t)((uint64_t)(now - c->last_ts_us) *
						     c->clock_rate / 1000000u);
		si.packets = c->packets;
		si.octets = c->octets;
		if (rtcp_write_sr(&w, c->ssrc, &si, NULL, 0))
			break;
	}
	if (w.len)
		pmedia_send_rtcp(pm, true, buf, w.len, sizeof(buf));
}

static gboolean on_tick(gpointer data);

/* A participant that publishes ticks every TICK_MS (NACK and keyframe
 * request retries); one that only subscribes needs its reports once a
 * second, on GLib's whole-second timers, which fire together: with many
 * subscribers that is one wake-up a second instead of ten each. */
static void timer_set(struct pmedia *pm, bool fast)
{
	if (pm->timer) {
		g_source_destroy(pm->timer);
		g_source_unref(pm->timer);
	}
	pm->timer_fast = fast;
	pm->timer = fast ? g_timeout_source_new(TICK_MS) : g_timeout_source_new_seconds(1);
	g_source_set_callback(pm->timer, on_tick, pm, NULL);
	g_source_attach(pm->timer, worker_context(pm->w));
}

static gboolean on_tick(gpointer data)
{
	struct pmedia *pm = data;
	int64_t now = util_now_us();

	if (!pm->timer_fast) {
		send_reports(pm, now);
		return G_SOURCE_CONTINUE;
	}
	for (guint i = 0; i < pm->producers->len; i++)
		producer_tick(g_ptr_array_index(pm->producers, i), now);
	if (++pm->ticks % REPORT_TICKS == 0)
		send_reports(pm, now);
	if (pm->producers->len == 0) {
		timer_set(pm, false); /* destroys this source: returning REMOVE is moot */
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

struct pmedia *pmedia_alloc(const struct sfu_cfg *cfg, struct worker *w,
			    const struct sfu_room_ops *ops, void *room_arg, const char *name,
			    const char *pid, bool can_publish, bool can_subscribe)
{
	struct pmedia *pm = g_new0(struct pmedia, 1);

	pm->cfg = cfg;
	pm->w = w;
	pm->ops = ops;
	pm->room_arg = room_arg;
	pm->name = g_strdup(name);
	g_strlcpy(pm->pid, pid, sizeof(pm->pid));
	pm->can_publish = can_publish;
	pm->can_subscribe = can_subscribe;
	do {
		util_random_bytes(&pm->rtcp_ssrc, sizeof(pm->rtcp_ssrc));
	} while (pm->rtcp_ssrc == 0);
	pm->producers = g_ptr_array_new();
	pm->consumers = g_ptr_array_new();
	timer_set(pm, false);
	return pm;
}

/* Frees everything; the room has already been told about the producers
 * (pmedia_producers) and unlinked other participants' consumers. */
void pmedia_free(struct pmedia *pm)
{
	if (!pm)
		return;
	g_source_destroy(pm->timer);
	g_source_unref(pm->timer);
	if (pm->fail_idle) {
		g_source_destroy(pm->fail_idle);
		g_source_unref(pm->fail_idle);
	}
	if (pm->pending_done)
		publish_reply(pm, ESHUTDOWN, "the participant left", NULL);
	for (guint i = 0; i < pm->consumers->len; i++)
		consumer_free(g_ptr_array_index(pm->consumers, i));
	for (guint i = 0; i < pm->producers->len; i++)
		producer_free(g_ptr_array_index(pm->producers, i));
	g_ptr_array_free(pm->consumers, TRUE);
	g_ptr_array_free(pm->producers, TRUE);
	transport_free(pm->pub);
	transport_free(pm->sub);
	g_free(pm->sub_offer);
	g_free(pm->name);
	g_free(pm);
}
