/* sfu_forward.c - producers and consumers: the packet path. One incoming
 * packet is parsed once; each consumer writes its own header (its SSRC,
 * payload type, rewritten sequence number and timestamp) in front of the
 * shared payload into a stack buffer, which SRTP protects and ICE sends. */
#define LOG_MOD "sfu"
#include "rooms/sfu.h"
#include "media/base/counters.h"
#include "media/base/log.h"
#include "media/base/util.h"
#include "media/pktbuf.h"
#include "media/retx.h"
#include "media/rtp.h"
#include "media/srtp.h"

#include <errno.h>
#include <string.h>

#define RETX_PACKETS 512         /* about 2 s of 2.5 Mbit/s video, 1 s of 5 */
/* A NACK for an older packet comes too late for a receiver's jitter buffer
 * (browsers ask again for a keyframe by then); a low-rate stream would
 * otherwise hold its buffers for many seconds. */
#define RETX_MAX_AGE_US 1000000
#define KEYFRAME_INTERVAL_US 500000
#define NACK_MAX_TRIES 3

/* One packet to forward, in its original (unwrapped from RTX) form. */
struct fwd {
	uint16_t seq;
	uint32_t ts;
	bool marker;
	const uint8_t *payload;
	size_t payload_len;
	bool keyframe;
	bool rtx;      /* it came as an RTX packet */
	struct vp8_desc vp8;
	bool has_vp8;
};

int producer_alloc(struct producer **out, struct pmedia *owner, const char *mid,
		   enum sdp_kind kind, enum codec_id codec, uint8_t pt, int rtx_pt,
		   uint32_t clock_rate)
{
	struct producer *p = g_new0(struct producer, 1);

	/* Only video is retransmitted: parley offers NACK for VP8, not for
	 * Opus (browsers do not NACK audio), so audio keeps no buffer. */
	if (util_random_id(p->id, sizeof(p->id), "TR_", 12) ||
	    (kind == SDP_KIND_VIDEO && retx_alloc(&p->retx, RETX_PACKETS, RETX_MAX_AGE_US))) {
		g_free(p);
		return EIO;
	}
	p->owner = owner;
	g_strlcpy(p->mid, mid, sizeof(p->mid));
	p->kind = kind;
	p->codec = codec;
	p->pt = pt;
	p->rtx_pt = rtx_pt;
	p->clock_rate = clock_rate;
	p->consumers = g_ptr_array_new();
	kfreq_init(&p->kf, KEYFRAME_INTERVAL_US);
	*out = p;
	return 0;
}

void producer_free(struct producer *p)
{
	if (!p)
		return;
	while (p->consumers->len > 0) {
		struct consumer *c = g_ptr_array_index(p->consumers, p->consumers->len - 1);

		g_ptr_array_remove_index(p->consumers, p->consumers->len - 1);
		c->prod = NULL;
	}
	g_ptr_array_free(p->consumers, TRUE);
	retx_free(p->retx);
	g_free(p);
}

void producer_new_source(struct producer *p, uint32_t ssrc, int64_t now_us)
{
	uint32_t old = p->ssrc;

	p->ssrc = ssrc;
	p->sources++;
	if (!old)
		return; /* the first source (an RTX SSRC learned already stays) */
	/* late packets of the old source, main or RTX, are dropped */
	p->prev_ssrc = old;
	p->prev_rtx_ssrc = p->rtx_ssrc;
	p->rtx_ssrc = 0; /* learned again from the new source's RTX packets */
	p->seq_started = false;
	p->cycles = 0;
	p->received = p->expected_prior = p->received_prior = 0;
	rtcp_jitter_init(&p->jitter);
	p->last_sr_compact = 0;
	p->last_sr_us = 0;
	p->n_nack = 0;
	if (p->retx)
		retx_clear(p->retx);
	for (guint i = 0; i < p->consumers->len; i++) {
		struct consumer *c = g_ptr_array_index(p->consumers, i);

		rewrite_switch(&c->rw);
		c->need_keyframe = c->kind == SDP_KIND_VIDEO;
	}
	producer_request_keyframe(p, now_us);
}

json_t *producer_json(const struct producer *p)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:b}", "id", p->id, "kind",
			 p->kind == SDP_KIND_AUDIO ? "audio" : "video", "mid", p->mid, "codec",
			 codec_name(p->codec), "muted", p->muted);
}

/* What consumers need of a parsed packet. RTX packets (RFC 4588) are
 * unwrapped: the original sequence number leads the payload. */
static int fwd_from_view(const struct producer *p, const struct rtp_view *v, struct fwd *f)
{
	f->ts = v->ts;
	f->marker = v->marker;
	f->payload = rtp_payload(v);
	f->payload_len = v->payload_len;
	f->seq = v->seq;
	f->rtx = p->rtx_pt >= 0 && v->pt == p->rtx_pt;
	if (f->rtx) {
		if (f->payload_len < 2)
			return EBADMSG; /* padding-only RTX probe */
		f->seq = (uint16_t)((f->payload[0] << 8) | f->payload[1]);
		f->payload += 2;
		f->payload_len -= 2;
	} else if (v->pt != p->pt) {
		return EBADMSG;
	}
	f->has_vp8 = p->codec == CODEC_VP8 && f->payload_len > 0 &&
		     vp8_desc_parse(&f->vp8, f->payload, f->payload_len) == 0;
	f->keyframe = f->has_vp8 && f->vp8.keyframe;
	return f->payload_len > 0 ? 0 : EBADMSG;
}

/* The same for a packet kept in the retransmission buffer. */
static int fwd_parse(const struct producer *p, const struct pktbuf *pkt, struct fwd *f)
{
	struct rtp_view v;

	if (rtp_parse(&v, pkt->data, pkt->len))
		return EBADMSG;
	return fwd_from_view(p, &v, f);
}

/* --- consumer --------------------------------------------------------- */

int consumer_alloc(struct consumer **out, struct pmedia *owner, struct producer *prod,
		   const char *mid)
{
	struct consumer *c = g_new0(struct consumer, 1);

	c->owner = owner;
	c->prod = prod;
	g_strlcpy(c->mid, mid, sizeof(c->mid));
	c->kind = prod->kind;
	c->clock_rate = prod->clock_rate;
	c->pt = prod->kind == SDP_KIND_AUDIO ? SDP_PT_OPUS : SDP_PT_VP8; /* our offers' */
	c->need_keyframe = prod->kind == SDP_KIND_VIDEO;
	do {
		util_random_bytes(&c->ssrc, sizeof(c->ssrc));
		util_random_bytes(&c->rtx_ssrc, sizeof(c->rtx_ssrc));
	} while (c->ssrc == 0 || c->rtx_ssrc == 0 || c->rtx_ssrc == c->ssrc);
	util_random_bytes(&c->rtx_seq, sizeof(c->rtx_seq));
	rewrite_init(&c->rw, c->clock_rate);
	g_ptr_array_add(prod->consumers, c);
	*out = c;
	return 0;
}

void consumer_free(struct consumer *c)
{
	if (!c)
		return;
	if (c->prod)
		g_ptr_array_remove(c->prod->consumers, c);
	g_free(c);
}

/* Writes the consumer's packet (header + payload) and sends it. `retrans`:
 * an answer to a NACK, which must not move the rewriter forward and goes
 * out as RTX (RFC 4588: own SSRC and sequence, the original sequence number
 * in front of the payload) when the subscriber negotiated it. */
static void consumer_send(struct consumer *c, const struct fwd *f, int64_t now_us, bool retrans)
{
	_Alignas(8) uint8_t buf[PKTBUF_CAP + SRTP_TRAILER_MAX]; /* libsrtp reads words */
	struct rtp_header h = { .marker = f->marker, .pt = c->pt, .ssrc = c->ssrc };
	struct rtp_ext mid;
	bool rtx = retrans && c->rtx_pt;
	bool new_source = c->rw.pending && c->rw.started; /* not the first source */
	size_t hl = 0, osn = rtx ? 2 : 0;

	if (c->mid_ext_id) { /* WHEP viewers; one-byte form carries up to 16 bytes */
		mid = (struct rtp_ext){ .id = c->mid_ext_id, .len = strlen(c->mid),
					.data = (const uint8_t *)c->mid };
		h.ext = mid.len <= 16 ? &mid : NULL;
		h.ext_count = mid.len <= 16;
	}
	if (f->payload_len + osn + 32 > PKTBUF_CAP)
		return;
	if (!retrans && !rewrite_map(&c->rw, f->seq, f->ts, now_us, &h.seq, &h.ts))
		return;
	if (retrans) {
		h.seq = (uint16_t)(f->seq + c->rw.seq_off);
		h.ts = f->ts + c->rw.ts_off;
	}
	if (rtx) {
		h.pt = c->rtx_pt;
		h.ssrc = c->rtx_ssrc;
	}
	uint16_t out_seq = h.seq;

	if (rtx)
		h.seq = c->rtx_seq++;
	if (rtp_write_header(buf, sizeof(buf), &h, &hl))
		return;
	if (rtx) {
		buf[hl] = (uint8_t)(out_seq >> 8);
		buf[hl + 1] = (uint8_t)out_seq;
	}
	memcpy(buf + hl + osn, f->payload, f->payload_len);
	if (f->has_vp8 && f->vp8.has_picture_id) {
		/* picture ids continue across sources (no-op for the first one) */
		uint16_t pid;
		uint8_t tl0;

		rewrite_map_vp8(&c->rw, new_source && !retrans, f->vp8.picture_id,
				f->vp8.tl0picidx, &pid, &tl0);
		if (pid != f->vp8.picture_id || (f->vp8.has_tl0picidx && tl0 != f->vp8.tl0picidx))
			vp8_desc_rewrite(buf + hl + osn, &f->vp8, pid, tl0);
	}
	if (pmedia_send_rtp(c->owner, buf, hl + osn + f->payload_len, sizeof(buf)))
		return;
	if (retrans) {
		c->retransmitted++;
		MEDIA_COUNT(retransmits, 1);
		return;
	}
	c->packets++;
	c->octets += (uint32_t)f->payload_len;
	c->last_ts = h.ts;
	c->last_ts_us = now_us;
}

/* The consumer's share of one incoming packet. */
static void consumer_forward(struct consumer *c, const struct fwd *f, int64_t now_us)
{
	if (c->prod->muted)
		return;
	if (!c->negotiated || c->stopped || !pmedia_sub_ready(c->owner)) {
		c->need_keyframe = c->kind == SDP_KIND_VIDEO;
		return;
	}
	if (c->need_keyframe) {
		if (!f->keyframe) {
			producer_request_keyframe(c->prod, now_us);
			return;
		}
		c->need_keyframe = false;
	}
	consumer_send(c, f, now_us, false);
}

void consumer_retransmit(struct consumer *c, const uint16_t *seqs, size_t n)
{
	int64_t now = util_now_us();

	if (!c->prod || !c->prod->retx || !c->rw.started)
		return;
	for (size_t i = 0; i < n; i++) {
		uint16_t in_seq = (uint16_t)(seqs[i] - c->rw.seq_off);
		struct pktbuf *pkt = retx_get(c->prod->retx, in_seq);
		struct fwd f;

		if (pkt && fwd_parse(c->prod, pkt, &f) == 0 && f.seq == in_seq)
			consumer_send(c, &f, now, true);
	}
}

/* --- producer ----------------------------------------------------------- */

static void send_feedback(struct producer *p, int (*write)(struct rtcp_writer *, struct producer *))
{
	_Alignas(8) uint8_t buf[512 + SRTP_TRAILER_MAX];
	struct rtcp_writer w;

	rtcp_writer_init(&w, buf, 512);
	if (rtcp_write_rr(&w, pmedia_rtcp_ssrc(p->owner), NULL, 0) || write(&w, p))
		return;
	pmedia_send_rtcp(p->owner, false, buf, w.len, sizeof(buf));
}

static int write_pli(struct rtcp_writer *w, struct producer *p)
{
	MEDIA_COUNT(plis_out, 1);
	return rtcp_write_pli(w, pmedia_rtcp_ssrc(p->owner), p->ssrc);
}

/* A NACK for every missing packet still worth asking for. */
static int write_nack(struct rtcp_writer *w, struct producer *p)
{
	uint16_t seqs[64];
	size_t n = 0;

	for (unsigned i = 0; i < p->n_nack; i++) {
		if (p->nack_tries[i] < NACK_MAX_TRIES) {
			p->nack_tries[i]++;
			seqs[n++] = p->nack_seq[i];
		}
	}
	if (!n)
		return ENOENT;
	MEDIA_COUNT(nacks_out, 1);
	return rtcp_write_nack(w, pmedia_rtcp_ssrc(p->owner), p->ssrc, seqs, n);
}

void producer_request_keyframe(struct producer *p, int64_t now_us)
{
	if (p->kind == SDP_KIND_VIDEO && p->ssrc && kfreq_want(&p->kf, now_us))
		send_feedback(p, write_pli);
}

static void nack_remove(struct producer *p, uint16_t seq)
{
	for (unsigned i = 0; i < p->n_nack; i++) {
		if (p->nack_seq[i] == seq) {
			p->n_nack--;
			p->nack_seq[i] = p->nack_seq[p->n_nack];
			p->nack_tries[i] = p->nack_tries[p->n_nack];
			return;
		}
	}
}

/* Drops retries that are exhausted or too old to be useful. */
static void nack_prune(struct producer *p)
{
	for (unsigned i = 0; i < p->n_nack;) {
		uint16_t age = (uint16_t)(p->max_seq - p->nack_seq[i]);

		if (p->nack_tries[i] >= NACK_MAX_TRIES || age > RETX_PACKETS / 2) {
			p->n_nack--;
			p->nack_seq[i] = p->nack_seq[p->n_nack];
			p->nack_tries[i] = p->nack_tries[p->n_nack];
		} else {
			i++;
		}
	}
}

/* Sequence bookkeeping (RFC 3550 A.1); returns true when packets were lost
 * before this one (and queues NACKs for them). */
static bool seq_update(struct producer *p, uint16_t seq)
{
	uint16_t delta;
	bool gap = false;

	p->received++;
	if (!p->seq_started) {
		p->seq_started = true;
		p->base_seq = seq;
		p->max_seq = seq;
		return false;
	}
	delta = (uint16_t)(seq - p->max_seq);
	if (delta == 0 || delta >= 0x8000)
		return false; /* duplicate or reordered */
	if (seq < p->max_seq)
		p->cycles += 65536;
	if (p->rtx_pt >= 0 && delta > 1 && delta < 64) {
		for (uint16_t s = (uint16_t)(p->max_seq + 1); s != seq && p->n_nack < 64; s++) {
			p->nack_seq[p->n_nack] = s;
			p->nack_tries[p->n_nack++] = 0;
			gap = true;
		}
	}
	p->max_seq = seq;
	return gap;
}

void producer_receive(struct producer *p, struct pktbuf *pkt, const struct rtp_view *v,
		      int64_t now_us)
{
	struct fwd f;

	if (fwd_from_view(p, v, &f))
		return;
	if (f.rtx && p->retx && retx_get(p->retx, f.seq))
		return; /* we have it already */
	nack_remove(p, f.seq);
	if (f.rtx) {
		p->recovered++;
	} else {
		rtcp_jitter_update(&p->jitter, f.ts, now_us, p->clock_rate);
		if (seq_update(p, f.seq))
			send_feedback(p, write_nack);
	}
	p->packets++;
	p->bytes += pkt->len;
	if (p->retx)
		retx_put(p->retx, f.seq, pktbuf_ref(pkt), now_us);
	if (f.keyframe) {
		p->keyframes++;
		kfreq_keyframe(&p->kf);
	}
	for (guint i = 0; i < p->consumers->len; i++)
		consumer_forward(g_ptr_array_index(p->consumers, i), &f, now_us);
}

void producer_tick(struct producer *p, int64_t now_us)
{
	if (kfreq_poll(&p->kf, now_us))
		send_feedback(p, write_pli);
	nack_prune(p);
	if (p->n_nack)
		send_feedback(p, write_nack);
}

void producer_report(struct producer *p, int64_t now_us, struct rtcp_report_block *rb)
{
	uint32_t ext_max = p->cycles + p->max_seq;
	uint32_t expected = ext_max - p->base_seq + 1;
	uint32_t exp_int = expected - p->expected_prior;
	uint32_t rec_int = p->received - p->received_prior;

	p->expected_prior = expected;
	p->received_prior = p->received;
	*rb = (struct rtcp_report_block){
		.ssrc = p->ssrc,
		.fraction_lost = rtcp_fraction_lost(exp_int, rec_int),
		.cumulative_lost = rtcp_cumulative_lost(expected, p->received),
		.ext_highest_seq = ext_max,
		.jitter = rtcp_jitter_get(&p->jitter),
		.lsr = p->last_sr_compact,
		.dlsr = p->last_sr_us ? rtcp_dlsr_from_us(now_us - p->last_sr_us) : 0,
	};
}

void producer_sender_report(struct producer *p, uint64_t ntp, int64_t now_us)
{
	p->last_sr_compact = rtcp_ntp_compact(ntp);
	p->last_sr_us = now_us;
}
