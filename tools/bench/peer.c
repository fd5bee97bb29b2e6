/* peer.c - see peer.h. */
#define LOG_MOD "bench"
#include "tools/bench/peer.h"
#include "media/base/log.h"
#include "media/base/util.h"
#include "media/pktbuf.h"
#include "media/rtcp.h"
#include "media/rtp.h"
#include "media/sdp.h"
#include "media/srtp.h"
#include "media/transport.h"
#include "media/transport_sdp.h"
#include "tools/bench/http.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#define PT_OPUS SDP_PT_OPUS /* ours and parleyd's offers use these */
#define PT_VP8 SDP_PT_VP8
#define PT_RTX SDP_PT_VP8_RTX
#define TICK_MS 2       /* the publisher's send timer */
#define MAX_BURST 4     /* frames started at once when the timer was late */
#define PACE_FACTOR 2.5
#define MAX_QUEUED 30

struct outgoing {
	uint32_t ssrc;
	uint16_t seq;
	uint32_t ts_base;
	uint64_t frame_no;   /* frames started */
	unsigned pos;        /* frame of the loop started next */
	struct bench_pacer pacer;
	bool want_key;
	/* the frame being sent: packets go out paced, as browsers do */
	unsigned cur, cur_pkt, cur_n;
	unsigned queued;     /* frames due, not started yet */
	uint32_t cur_ts;
	uint16_t cur_pid;
	double budget;       /* bytes that may go out now */
	double pace_bpus;    /* pacing rate, bytes per microsecond */
	int64_t last_us;
	/* retransmissions (video): RFC 4588 RTX answering the server's NACKs */
	uint32_t rtx_ssrc;
	uint16_t rtx_seq;
	struct sent *hist;   /* owned, HIST entries, indexed by seq */
};

/* A packet as it was sent (before SRTP), kept for NACKs. */
#define HIST 512
struct sent {
	uint16_t seq;
	uint16_t len;        /* 0: empty */
	uint8_t data[1500];
};

/* A stream this peer receives. */
struct instream {
	uint32_t ssrc;               /* 0: taken by the first packet of its kind (WHEP) */
	int kind;
	struct bench_sendlog *log;   /* borrowed: the publisher's, may be NULL */
	uint32_t rtx_ssrc;           /* its retransmissions (a=ssrc-group:FID), 0: none */
	struct bench_seq seq;
	struct {                     /* video packets asked for and not there yet */
		uint16_t seq;
		uint8_t tries;
		int64_t next_us;
	} nack[64];
	unsigned n_nack;
};

#define NACK_RETRY_US 20000  /* asked again after this (an RTT on loopback and then some) */
#define NACK_TRIES 3

struct bench_peer {
	struct bench_peer_params p; /* strings below are owned copies */
	struct instream *in;        /* owned, max_in entries, worker */
	unsigned n_in, max_in;
	char *url, *token, *name;
	char *location;             /* owned: the session URL */
	struct transport *t;        /* owned, worker */
	GSource *timer;             /* owned, worker */
	int64_t join_start_us;      /* join (API) or POST (WHIP/WHEP) */
	struct outgoing out[2];
	struct bench_peer_stats st; /* worker */
};

static bool publishing(const struct bench_peer *p)
{
	return p->p.mode == BENCH_PEER_WHIP || p->p.mode == BENCH_PEER_API_PUB;
}

/* --- receiving ------------------------------------------------------------- */

static struct instream *stream_find(struct bench_peer *p, uint32_t ssrc, int kind)
{
	for (unsigned i = 0; i < p->n_in; i++)
		if (p->in[i].ssrc == ssrc)
			return &p->in[i];
	for (unsigned i = 0; i < p->n_in; i++) {
		if (p->in[i].ssrc == 0 && p->in[i].kind == kind) {
			p->in[i].ssrc = ssrc; /* WHEP: the first stream of its kind */
			return &p->in[i];
		}
	}
	return NULL;
}

static struct instream *stream_add(struct bench_peer *p, uint32_t ssrc, uint32_t rtx_ssrc,
				   int kind, struct bench_sendlog *log)
{
	struct instream *s;

	for (unsigned i = 0; ssrc && i < p->n_in; i++)
		if (p->in[i].ssrc == ssrc)
			return &p->in[i];
	if (p->n_in == p->max_in)
		return NULL;
	s = &p->in[p->n_in++];
	s->ssrc = ssrc;
	s->rtx_ssrc = rtx_ssrc;
	s->kind = kind;
	s->log = log;
	bench_seq_init(&s->seq);
	return s;
}

/* A retransmission (RFC 4588): the original sequence number leads the
 * payload; it fills its stream's gap. */
static void rtx_received(struct bench_peer *p, const struct rtp_view *v)
{
	const uint8_t *pl = rtp_payload(v);

	p->st.rtx_in++;
	if (v->payload_len < 2)
		return; /* padding */
	for (unsigned i = 0; i < p->n_in; i++) {
		if (p->in[i].rtx_ssrc == v->ssrc) {
			bench_seq_add(&p->in[i].seq, (uint16_t)(pl[0] << 8 | pl[1]));
			return;
		}
	}
}

static void nack_send(struct bench_peer *p, const struct instream *s, const uint16_t *seqs,
		      size_t n)
{
	_Alignas(8) uint8_t buf[256 + SRTP_TRAILER_MAX];
	struct rtcp_writer w;

	rtcp_writer_init(&w, buf, 256);
	if (!n || rtcp_write_rr(&w, p->out[BENCH_VIDEO].ssrc, NULL, 0) ||
	    rtcp_write_nack(&w, p->out[BENCH_VIDEO].ssrc, s->ssrc, seqs, n))
		return;
	if (transport_send_rtcp(p->t, buf, w.len, sizeof(buf)) == 0)
		p->st.nacks_out++;
}

/* Video packets missing before `seq` are asked for, as browsers do: at
 * once, then again every NACK_RETRY_US while still missing, NACK_TRIES
 * times in all (nack_retry). */
static void nack_gap(struct bench_peer *p, struct instream *s, uint16_t seq, int64_t now)
{
	uint16_t gap = (uint16_t)(seq - s->seq.max_seq), seqs[64];
	size_t n = 0;

	if (gap < 2 || gap >= 0x8000)
		return; /* in order, or older */
	for (uint16_t x = (uint16_t)(s->seq.max_seq + 1); x != seq && n < G_N_ELEMENTS(seqs); x++) {
		seqs[n++] = x;
		if (s->n_nack < G_N_ELEMENTS(s->nack)) {
			s->nack[s->n_nack].seq = x;
			s->nack[s->n_nack].tries = 1;
			s->nack[s->n_nack++].next_us = now + NACK_RETRY_US;
		}
	}
	nack_send(p, s, seqs, n);
}

static void nack_retry(struct bench_peer *p, struct instream *s, int64_t now)
{
	uint16_t seqs[64];
	size_t n = 0;

	for (unsigned i = 0; i < s->n_nack;) {
		if (bench_seq_has(&s->seq, s->nack[i].seq) || s->nack[i].tries >= NACK_TRIES) {
			s->nack[i] = s->nack[--s->n_nack]; /* came, or given up */
			continue;
		}
		if (s->nack[i].next_us <= now) {
			seqs[n++] = s->nack[i].seq;
			s->nack[i].tries++;
			s->nack[i].next_us = now + NACK_RETRY_US;
		}
		i++;
	}
	nack_send(p, s, seqs, n);
}

/* When the packet being handled reached this machine (wall clock). */
static int64_t arrival(const struct bench_peer *p)
{
	int64_t us;

	return transport_rx_time(p->t, &us) == 0 ? us : g_get_real_time();
}

static void on_rtp(void *arg, struct pktbuf *pkt)
{
	struct bench_peer *p = arg;
	int64_t now = util_now_us(), sent;
	struct instream *s;
	struct rtp_view v;

	if (rtp_parse(&v, pkt->data, pkt->len))
		return;
	p->st.rtp_in++;
	p->st.bytes_in += pkt->len;
	if (v.pt == PT_RTX) {
		rtx_received(p, &v);
		return;
	}
	s = stream_find(p, v.ssrc, v.pt == PT_VP8 ? BENCH_VIDEO : BENCH_AUDIO);
	if (!s) {
		p->st.unmatched++;
		return;
	}
	if (p->st.join_us < 0)
		p->st.join_us = now - p->join_start_us;
	if (s->kind == BENCH_VIDEO && s->seq.started) {
		nack_gap(p, s, v.seq, now);
		if (s->n_nack)
			nack_retry(p, s, now);
	}
	bench_seq_add(&s->seq, v.seq);
	/* parleyd keeps a first source's sequence numbers: match on them. The
	 * arrival is the kernel's receive stamp, so the time this process took
	 * to get to the packet is not counted as the server's. */
	if (s->log && bench_sendlog_get(s->log, v.seq, &sent))
		bench_hist_add(&p->st.delay, arrival(p) - p->p.t0_us - sent);
	else
		p->st.unmatched++;
}

/* Sends the packets a NACK names again, as RTX. */
static void answer_nack(struct bench_peer *p, const struct rtcp_pkt *pkt)
{
	struct outgoing *o = &p->out[BENCH_VIDEO];
	uint16_t seqs[256];
	struct rtcp_fb fb;
	size_t n = 0;

	if (!o->hist || rtcp_nack_parse(pkt, &fb, seqs, G_N_ELEMENTS(seqs), &n) == EBADMSG ||
	    fb.media_ssrc != o->ssrc)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct sent *e = &o->hist[seqs[i] % HIST];
		_Alignas(8) uint8_t buf[1500 + 2 + SRTP_TRAILER_MAX];
		struct rtp_view v;
		size_t hl = 0;

		if (!e->len || e->seq != seqs[i] || rtp_parse(&v, e->data, e->len))
			continue;
		struct rtp_header h = { .pt = PT_RTX, .seq = o->rtx_seq++, .ts = v.ts,
					.ssrc = o->rtx_ssrc, .marker = v.marker };

		if (rtp_write_header(buf, 12, &h, &hl) || hl != 12)
			continue;
		buf[12] = (uint8_t)(v.seq >> 8);
		buf[13] = (uint8_t)v.seq;
		memcpy(buf + 14, rtp_payload(&v), v.payload_len);
		if (transport_send_rtp(p->t, buf, 14 + v.payload_len, sizeof(buf)) == 0)
			p->st.rtx_out++;
	}
}

static void on_rtcp(void *arg, const uint8_t *buf, size_t len)
{
	struct bench_peer *p = arg;
	struct rtcp_iter it;
	struct rtcp_pkt pkt;

	p->st.rtcp_in++;
	if (rtcp_iter_init(&it, buf, len))
		return;
	while (rtcp_iter_next(&it, &pkt)) {
		if (pkt.kind == RTCP_KIND_PLI || pkt.kind == RTCP_KIND_FIR) {
			p->st.plis_in++;
			p->out[BENCH_VIDEO].want_key = true;
		} else if (pkt.kind == RTCP_KIND_NACK) {
			p->st.nacks_in++;
			answer_nack(p, &pkt);
		}
	}
}

/* --- sending ----------------------------------------------------------------- */

/* Sends the next packet of the current frame. */
static void send_packet(struct bench_peer *p, int kind)
{
	const struct bench_track *tr = p->p.track[kind];
	struct outgoing *o = &p->out[kind];
	_Alignas(8) uint8_t buf[1500 + SRTP_TRAILER_MAX];
	struct rtp_header h = { .pt = kind == BENCH_VIDEO ? PT_VP8 : PT_OPUS, .seq = o->seq,
				.ts = o->cur_ts, .ssrc = o->ssrc };
	size_t hl = 0, len;

	len = bench_track_packet(tr, o->cur, o->cur_pkt++, o->cur_pid, buf + 12, 1500 - 12,
				 &h.marker);
	if (!len || rtp_write_header(buf, 12, &h, &hl) || hl != 12)
		return;
	bench_sendlog_put(p->p.log[kind], o->seq, g_get_real_time() - p->p.t0_us);
	if (o->hist) { /* before SRTP changes buf */
		struct sent *e = &o->hist[o->seq % HIST];

		e->seq = o->seq;
		e->len = (uint16_t)(hl + len);
		memcpy(e->data, buf, hl + len);
	}
	o->seq++;
	o->budget -= (double)(hl + len);
	if (transport_send_rtp(p->t, buf, hl + len, sizeof(buf)) == 0) {
		p->st.rtp_out++;
		p->st.bytes_out += hl + len;
	}
}

/* Starts the next frame of the loop (a keyframe when one was asked for). */
static void start_frame(struct outgoing *o, const struct bench_track *tr)
{
	unsigned f = o->pos;

	if (o->want_key) {
		f = bench_track_next_keyframe(tr, f);
		o->want_key = false;
	}
	o->cur = f;
	o->cur_pkt = 0;
	o->cur_n = bench_track_packets(tr, f);
	o->cur_ts = o->ts_base + (uint32_t)(o->frame_no * bench_track_frame_ticks(tr));
	o->cur_pid = (uint16_t)(o->frame_no & 0x7fff);
	o->pos = (f + 1) % bench_track_frames(tr);
	o->frame_no++;
}

/* One track's work at a timer tick: frames that are due join the queue,
 * and video packets leave at the pacing rate, a frame after the other
 * (like a browser's pacer); audio goes out at once. */
static void track_tick(struct bench_peer *p, int kind, int64_t now)
{
	const struct bench_track *tr = p->p.track[kind];
	struct outgoing *o = &p->out[kind];
	unsigned due = bench_pacer_take(&o->pacer, now, MAX_BURST);

	o->budget += (double)(now - o->last_us) * o->pace_bpus;
	o->last_us = now;
	if (o->budget > 4 * 1500)
		o->budget = 4 * 1500; /* no big bursts after a late tick */
	o->queued += due;
	if (o->queued > MAX_QUEUED)
		o->queued = MAX_QUEUED; /* the pacer cannot keep up: frames are skipped */
	for (;;) {
		if (o->cur_pkt == o->cur_n) {
			if (!o->queued)
				break;
			o->queued--;
			start_frame(o, tr);
		}
		if (o->budget <= 0 && kind == BENCH_VIDEO)
			break;
		send_packet(p, kind);
	}
}

static gboolean on_tick(gpointer data)
{
	struct bench_peer *p = data;
	int64_t now = util_now_us();

	for (int kind = 0; kind < 2; kind++)
		if (p->p.track[kind])
			track_tick(p, kind, now);
	return G_SOURCE_CONTINUE;
}

static void start_sending(struct bench_peer *p)
{
	int64_t now = util_now_us();

	for (int kind = 0; kind < 2; kind++) {
		struct outgoing *o = &p->out[kind];

		if (!p->p.track[kind])
			continue;
		bench_pacer_init(&o->pacer, now, bench_track_frame_us(p->p.track[kind]));
		/* Chrome paces at 2.5 times the target bitrate */
		o->pace_bpus = PACE_FACTOR *
			       (double)bench_track_bytes_per_second(p->p.track[kind]) / 1e6;
		o->last_us = now;
	}
	p->timer = g_timeout_source_new(TICK_MS);
	g_source_set_callback(p->timer, on_tick, p, NULL);
	g_source_attach(p->timer, worker_context(p->p.w));
}

/* --- transport handlers -------------------------------------------------------- */

static void on_candidate(void *arg, const char *cand)
{
	(void)arg;
	(void)cand; /* all host candidates are in the offer */
}

static void on_gathered(void *arg)
{
	(void)arg;
}

static void on_connected(void *arg)
{
	struct bench_peer *p = arg;

	p->st.connected = true;
	p->st.connected_us = util_now_us() - p->join_start_us;
	g_strlcpy(p->st.srtp_profile, transport_srtp_profile(p->t), sizeof(p->st.srtp_profile));
	if (publishing(p)) {
		p->st.join_us = util_now_us() - p->join_start_us;
		start_sending(p);
	}
}

static void stop_timer(struct bench_peer *p)
{
	if (!p->timer)
		return;
	g_source_destroy(p->timer);
	g_source_unref(p->timer);
	p->timer = NULL;
}

static void on_closed(void *arg, int err, const char *reason)
{
	struct bench_peer *p = arg;

	(void)err;
	p->st.closed = true;
	g_strlcpy(p->st.error, reason, sizeof(p->st.error));
	stop_timer(p);
}

static const struct transport_handlers peer_h = {
	.candidate = on_candidate,
	.gathering_done = on_gathered,
	.connected = on_connected,
	.closed = on_closed,
	.rtp = on_rtp,
	.rtcp = on_rtcp,
};

/* --- negotiation (on the worker) ------------------------------------------------- */

struct job {
	struct bench_peer *p;
	char *text;       /* offer out, answer in */
	size_t len;
	int err;
	char msg[200];
	struct bench_peer_stats *stats; /* job_stats: filled */
};


static void offer_section(struct bench_peer *p, int kind, struct sdp_offer_media *m)
{
	memset(m, 0, sizeof(*m));
	m->kind = kind == BENCH_VIDEO ? SDP_KIND_VIDEO : SDP_KIND_AUDIO;
	m->mid = kind == BENCH_VIDEO ? "1" : "0";
	m->codecs = kind == BENCH_VIDEO ? &sdp_offer_vp8 : &sdp_offer_opus;
	m->n_codecs = 1;
	m->rtcp_rsize = true;
	m->dir = publishing(p) ? SDP_DIR_SENDONLY : SDP_DIR_RECVONLY;
	if (!publishing(p))
		return;
	m->ssrc = p->out[kind].ssrc;
	if (kind == BENCH_VIDEO)
		m->rtx_ssrc = p->out[kind].rtx_ssrc;
	m->cname = "parley-bench";
	m->stream_id = p->name;
	m->track_id = kind == BENCH_VIDEO ? "video" : "audio";
}

static int offer_write(struct bench_peer *p, char **text)
{
	struct sdp_offer_params op = { .bundle = true, .sess_id = "1" };
	struct sdp_offer_media media[2];
	GPtrArray *hold = g_ptr_array_new();
	struct sdp *offer = NULL;
	int err;

	for (int kind = 0; kind < 2; kind++)
		if (p->p.track[kind])
			offer_section(p, kind, &media[op.n_media++]);
	op.media = media;
	err = transport_sdp_local(p->t, p->p.cert, &op.local, hold);
	if (!err)
		err = sdp_offer_build(&offer, &op);
	if (!err)
		err = sdp_write(offer, text);
	sdp_free(offer);
	transport_sdp_hold_free(hold);
	return err;
}

/* `remote_lite`: the server's offer says a=ice-lite, so we control even
 * as the answerer (RFC 8445 §6.1.1). */
static int transport_make(struct bench_peer *p, bool remote_lite)
{
	struct transport_params tp = {
		.ctx = worker_context(p->p.w),
		/* the offerer controls, or the full agent facing a lite one */
		.ice_controlling = p->p.mode != BENCH_PEER_API_SUB || remote_lite,
		.local_addrs = p->p.local_addrs,
		.cert = p->p.cert,
		.connect_timeout_s = 20,
		.srtp_profiles = p->p.srtp_profiles,
		.rx_stamps = true, /* delay up to the kernel's arrival */
		.name = p->name,
	};
	int err = transport_alloc(&p->t, &tp, &peer_h, p);

	return err ? err : transport_gather(p->t);
}

static void job_offer(void *arg)
{
	struct job *j = arg;
	struct bench_peer *p = j->p;

	j->err = transport_make(p, false);
	if (!j->err)
		j->err = offer_write(p, &j->text);
	if (j->err)
		g_snprintf(j->msg, sizeof(j->msg), "cannot make the offer (%d)", j->err);
	else
		j->len = strlen(j->text);
	/* WHEP: one stream per offered kind, its SSRC taken from the first packet */
	for (int kind = 0; !j->err && p->p.mode == BENCH_PEER_WHEP && kind < 2; kind++)
		if (p->p.track[kind])
			stream_add(p, 0, 0, kind, p->p.log[kind]);
}

static void job_answer(void *arg)
{
	struct job *j = arg;
	struct bench_peer *p = j->p;
	struct sdp *ans = NULL;

	if (sdp_parse(&ans, j->text, j->len, j->msg, sizeof(j->msg))) {
		j->err = EBADMSG;
		return;
	}
	for (unsigned i = 0; i < ans->n_media; i++) {
		if (ans->media[i].port == 0) {
			g_snprintf(j->msg, sizeof(j->msg), "the server rejected section %u", i);
			j->err = ENOENT;
		}
	}
	if (!j->err && transport_sdp_apply_remote(p->t, ans, true)) {
		g_snprintf(j->msg, sizeof(j->msg), "the answer lacks ICE or DTLS parameters");
		j->err = EPROTO;
	}
	if (!j->err)
		transport_sdp_add_candidates(p->t, ans);
	sdp_free(ans);
}

/* The streams a subscribe offer announces: a=ssrc and whose (a=msid). */
static void streams_from_offer(struct bench_peer *p, const struct sdp *offer)
{
	for (unsigned i = 0; i < offer->n_media; i++) {
		const struct sdp_media *m = &offer->media[i];
		int kind = m->kind == SDP_KIND_VIDEO ? BENCH_VIDEO : BENCH_AUDIO;
		uint32_t ssrc = m->n_ssrcs ? m->ssrcs[0].ssrc : 0, rtx = 0;

		if (m->port == 0 || !ssrc || !sdp_dir_sends(m->dir) || !m->msid_stream ||
		    (m->kind != SDP_KIND_VIDEO && m->kind != SDP_KIND_AUDIO))
			continue;
		if (m->n_ssrc_groups && m->ssrc_groups[0].n_ssrcs == 2) {
			ssrc = m->ssrc_groups[0].ssrcs[0]; /* FID: main, then RTX */
			rtx = m->ssrc_groups[0].ssrcs[1];
		}
		stream_add(p, ssrc, rtx, kind,
			   p->p.log_for ? p->p.log_for(p->p.log_arg, m->msid_stream, kind) : NULL);
	}
}

static int answer_write(struct bench_peer *p, const struct sdp *offer, char **text)
{
	struct sdp_answer_params ap = {
		.audio = { .codecs = &sdp_cap_opus, .n_codecs = 1, .dir = SDP_DIR_RECVONLY },
		.video = { .codecs = &sdp_cap_vp8, .n_codecs = 1, .dir = SDP_DIR_RECVONLY },
		.bundle_only = true,
	};
	GPtrArray *hold = g_ptr_array_new();
	struct sdp *ans = NULL;
	int err = transport_sdp_local(p->t, p->p.cert, &ap.local, hold);

	if (!err)
		err = sdp_answer_build(&ans, offer, &ap);
	if (!err)
		err = sdp_write(ans, text);
	sdp_free(ans);
	transport_sdp_hold_free(hold);
	return err;
}

static void job_sub_answer(void *arg)
{
	struct job *j = arg;
	struct bench_peer *p = j->p;
	struct sdp *offer = NULL;

	if (p->st.offer_us < 0)
		p->st.offer_us = util_now_us() - p->join_start_us;
	if (sdp_parse(&offer, j->text, j->len, j->msg, sizeof(j->msg))) {
		j->err = EBADMSG;
		return;
	}
	j->text = NULL; /* the caller's */
	if (!p->t)
		j->err = transport_make(p, offer->ice_lite);
	if (!j->err && transport_sdp_apply_remote(p->t, offer, false)) {
		g_snprintf(j->msg, sizeof(j->msg), "the offer lacks ICE or DTLS parameters");
		j->err = EPROTO;
	}
	if (!j->err) {
		transport_sdp_add_candidates(p->t, offer);
		streams_from_offer(p, offer);
		j->err = answer_write(p, offer, &j->text);
		if (j->err)
			g_snprintf(j->msg, sizeof(j->msg), "cannot answer (%d)", j->err);
	}
	sdp_free(offer);
}

/* Totals over the received streams. */
static void stats_streams(struct bench_peer *p, struct bench_peer_stats *out)
{
	out->expected = out->received = out->lost = out->duplicates = out->reordered = 0;
	for (int k = 0; k < 2; k++)
		out->streams[k] = out->expected_kind[k] = out->lost_kind[k] = 0;
	for (unsigned i = 0; i < p->n_in; i++) {
		const struct bench_seq *q = &p->in[i].seq;

		if (!q->started)
			continue;
		out->streams[p->in[i].kind]++;
		out->expected += bench_seq_expected(q);
		out->received += q->received;
		out->lost += bench_seq_lost(q);
		out->expected_kind[p->in[i].kind] += bench_seq_expected(q);
		out->lost_kind[p->in[i].kind] += bench_seq_lost(q);
		out->duplicates += q->duplicates;
		out->reordered += q->reordered;
	}
}

static void job_stats(void *arg)
{
	struct job *j = arg;

	*j->stats = j->p->st;
	stats_streams(j->p, j->stats);
}

static void job_stop(void *arg)
{
	struct job *j = arg;

	stop_timer(j->p);
	transport_free(j->p->t);
	j->p->t = NULL;
}

/* --- public ------------------------------------------------------------------------ */

static void peer_free(struct bench_peer *p)
{
	struct job j = { .p = p };

	if (p->t)
		worker_call(p->p.w, job_stop, &j);
	g_free(p->url);
	g_free(p->token);
	g_free(p->name);
	g_free(p->location);
	g_free(p->in);
	g_free(p->out[BENCH_VIDEO].hist);
	g_free(p);
}

static struct bench_peer *peer_new(const struct bench_peer_params *prm)
{
	struct bench_peer *p = g_new0(struct bench_peer, 1);

	p->p = *prm;
	p->url = g_strdup(prm->url);
	p->token = g_strdup(prm->token);
	p->name = g_strdup(prm->name ? prm->name : "peer");
	p->st.join_us = p->st.offer_us = p->st.connected_us = -1;
	p->join_start_us = prm->join_start_us;
	p->max_in = prm->max_streams ? prm->max_streams : 8;
	p->in = g_new0(struct instream, p->max_in);
	bench_hist_init(&p->st.delay);
	for (int kind = 0; kind < 2; kind++) {
		do {
			util_random_bytes(&p->out[kind].ssrc, sizeof(p->out[kind].ssrc));
		} while (!p->out[kind].ssrc);
		util_random_bytes(&p->out[kind].seq, sizeof(p->out[kind].seq));
		util_random_bytes(&p->out[kind].ts_base, sizeof(p->out[kind].ts_base));
		do {
			util_random_bytes(&p->out[kind].rtx_ssrc, sizeof(p->out[kind].rtx_ssrc));
		} while (!p->out[kind].rtx_ssrc || p->out[kind].rtx_ssrc == p->out[kind].ssrc);
	}
	if (publishing(p) && prm->track[BENCH_VIDEO])
		p->out[BENCH_VIDEO].hist = g_new0(struct sent, HIST);
	return p;
}

static int exchange(struct bench_peer *p, struct job *j)
{
	struct bench_http_res res;
	int err;

	long want = p->p.mode == BENCH_PEER_API_PUB ? 200 : 201;

	if (!p->join_start_us)
		p->join_start_us = util_now_us();
	err = bench_http_request("POST", p->url, p->token, "application/sdp", j->text, j->len,
				 &res);
	g_free(j->text);
	j->text = NULL;
	if (err || res.status != want) {
		g_snprintf(j->msg, sizeof(j->msg), "POST %s: %ld %s", p->url, res.status,
			   res.error);
		bench_http_res_clear(&res);
		return err ? err : EPROTO;
	}
	p->location = res.location;
	res.location = NULL;
	j->text = res.body;
	j->len = res.body_len;
	res.body = NULL;
	bench_http_res_clear(&res);
	return 0;
}

int bench_peer_start(struct bench_peer **out, const struct bench_peer_params *prm, char *msg,
		     size_t msgsize)
{
	struct bench_peer *p = peer_new(prm);
	struct job j = { .p = p };
	int err;

	if (p->p.mode == BENCH_PEER_API_SUB) {
		*out = p;
		return 0;
	}
	err = worker_call(p->p.w, job_offer, &j);
	if (!err)
		err = j.err;
	if (!err)
		err = exchange(p, &j);
	if (!err)
		err = worker_call(p->p.w, job_answer, &j);
	if (!err)
		err = j.err;
	g_free(j.text);
	if (err) {
		g_strlcpy(msg, j.msg[0] ? j.msg : "worker stopped", msgsize);
		bench_peer_stop(p, false);
		return err;
	}
	*out = p;
	return 0;
}

int bench_peer_answer(struct bench_peer *p, const char *offer, size_t len, char **answer,
		      char *msg, size_t msgsize)
{
	struct job j = { .p = p, .text = (char *)offer, .len = len };
	int err = worker_call(p->p.w, job_sub_answer, &j);

	if (!err)
		err = j.err;
	if (err) {
		g_strlcpy(msg, j.msg[0] ? j.msg : "worker stopped", msgsize);
		return err;
	}
	*answer = j.text;
	return 0;
}

void bench_peer_stats(struct bench_peer *p, struct bench_peer_stats *out)
{
	struct job j = { .p = p, .stats = out };

	if (worker_call(p->p.w, job_stats, &j))
		memset(out, 0, sizeof(*out));
}

void bench_peer_stop(struct bench_peer *p, bool quiet)
{
	struct bench_http_res res;

	if (!p)
		return;
	if (p->t) {
		struct job j = { .p = p };

		worker_call(p->p.w, job_stop, &j);
	}
	if (p->location && !quiet) {
		bench_http_request("DELETE", p->location, p->token, NULL, NULL, 0, &res);
		bench_http_res_clear(&res);
	}
	peer_free(p);
}
