/* test_sfu_forward.c - the forwarding path of rooms/sfu_forward.c with a
 * real producer, consumers, retransmission buffer and rewriters; only the
 * subscriber's transport is replaced: the test's pmedia_send_rtp() records
 * each packet a consumer would send (before SRTP) instead of sending it. */
#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "media/codec.h"
#include "media/pktbuf.h"
#include "media/rtcp.h"
#include "media/rtp.h"
#include "rooms/sfu.h"

/* --- the subscriber side, recorded ------------------------------------- */

struct sent {
	uint32_t ssrc;
	uint16_t seq;
	uint32_t ts;
	uint8_t pt;
	bool has_pid;
	uint16_t pid;
	bool keyframe;
	uint8_t tag;        /* the byte after the VP8 payload header: feed()'s tag */
};

static struct sent sent[256];
static unsigned n_sent;
static unsigned n_pli;
static bool sub_ready = true;

int pmedia_send_rtp(struct pmedia *pm, uint8_t *buf, size_t len, size_t cap)
{
	struct rtp_view v;
	struct vp8_desc d;
	struct sent *s;

	(void)pm;
	(void)cap;
	assert_int_equal(rtp_parse(&v, buf, len), 0);
	assert_true(n_sent < G_N_ELEMENTS(sent));
	s = &sent[n_sent++];
	*s = (struct sent){ .ssrc = v.ssrc, .seq = v.seq, .ts = v.ts, .pt = v.pt };
	if (v.pt == 96 && vp8_desc_parse(&d, rtp_payload(&v), v.payload_len) == 0) {
		s->has_pid = d.has_picture_id;
		s->pid = d.picture_id;
		s->keyframe = d.keyframe;
		s->tag = rtp_payload(&v)[d.header_len + 1];
	}
	return 0;
}

void pmedia_send_rtcp(struct pmedia *pm, bool sub, uint8_t *buf, size_t len, size_t cap)
{
	struct rtcp_iter it;
	struct rtcp_pkt pkt;

	(void)pm;
	(void)sub;
	(void)cap;
	assert_int_equal(rtcp_iter_init(&it, buf, len), 0);
	while (rtcp_iter_next(&it, &pkt))
		if (pkt.kind == RTCP_KIND_PLI)
			n_pli++;
}

bool pmedia_sub_ready(const struct pmedia *pm)
{
	(void)pm;
	return sub_ready;
}

uint32_t pmedia_rtcp_ssrc(const struct pmedia *pm)
{
	(void)pm;
	return 1;
}

/* --- the publisher side ------------------------------------------------- */

#define VP8_PT 96
#define T0 1000000000 /* a clock that does not start at 0 */
#define RTX_PT 97

/* Feeds one VP8 packet (15-bit picture id) from `ssrc` into the producer. */
static void feed(struct producer *p, uint32_t ssrc, uint16_t seq, uint32_t ts, uint16_t pid,
		 bool keyframe, uint8_t tag, int64_t now_us)
{
	struct pktbuf *pkt = pktbuf_alloc();
	struct rtp_header h = { .pt = VP8_PT, .seq = seq, .ts = ts, .ssrc = ssrc, .marker = true };
	struct rtp_view v;
	size_t hl;

	assert_int_equal(rtp_write_header(pkt->data, PKTBUF_CAP, &h, &hl), 0);
	pkt->data[hl] = 0x90;                     /* X, S, partition 0 */
	pkt->data[hl + 1] = 0x80;                 /* I */
	pkt->data[hl + 2] = (uint8_t)(0x80 | (pid >> 8));
	pkt->data[hl + 3] = (uint8_t)pid;
	pkt->data[hl + 4] = keyframe ? 0x10 : 0x11; /* P bit: 0 for key frames */
	pkt->data[hl + 5] = tag;
	pkt->len = hl + 6 + 100;
	memset(pkt->data + hl + 6, tag, 100);
	assert_int_equal(rtp_parse(&v, pkt->data, pkt->len), 0);
	producer_receive(p, pkt, &v, T0 + now_us);
	pktbuf_unref(pkt);
}

struct fixture {
	struct producer *p;
	struct consumer *c[2];
};

static int setup(void **state)
{
	struct fixture *f = g_new0(struct fixture, 1);
	struct pmedia *owner = (struct pmedia *)f; /* opaque to the forwarding path */

	n_sent = n_pli = 0;
	sub_ready = true;
	assert_int_equal(producer_alloc(&f->p, owner, "1", SDP_KIND_VIDEO, CODEC_VP8, VP8_PT,
					RTX_PT, 90000), 0);
	producer_new_source(f->p, 0x1111, 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(consumer_alloc(&f->c[i], owner, f->p, i ? "1" : "0"), 0);
		f->c[i]->negotiated = true;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	consumer_free(f->c[0]);
	consumer_free(f->c[1]);
	producer_free(f->p);
	g_free(f);
	pktbuf_pool_drain();
	return 0;
}

/* Packets sent by consumer i, in order. */
static unsigned of(const struct fixture *f, int i, struct sent *out, unsigned max)
{
	unsigned n = 0;

	for (unsigned k = 0; k < n_sent && n < max; k++)
		if (sent[k].ssrc == f->c[i]->ssrc)
			out[n++] = sent[k];
	return n;
}

static void test_each_consumer_waits_for_a_keyframe(void **state)
{
	struct fixture *f = *state;
	struct sent s[64] = { 0 };

	/* Delta frames first: nothing goes out, one PLI goes up (throttled). */
	feed(f->p, 0x1111, 100, 1000, 10, false, 1, 0);
	feed(f->p, 0x1111, 101, 4000, 11, false, 2, 1000);
	assert_int_equal(n_sent, 0);
	assert_int_equal(n_pli, 1);
	feed(f->p, 0x1111, 102, 7000, 12, true, 3, 2000);
	feed(f->p, 0x1111, 103, 10000, 13, false, 4, 3000);
	assert_int_equal(of(f, 0, s, 64), 2);
	assert_true(s[0].keyframe);
	/* The first source keeps its numbers. */
	assert_int_equal(s[0].seq, 102);
	assert_int_equal(s[0].ts, 7000);
	assert_int_equal(s[0].pid, 12);
	assert_int_equal(s[1].seq, 103);
	assert_int_equal(of(f, 1, s, 64), 2);
	assert_int_not_equal(f->c[0]->ssrc, f->c[1]->ssrc);
}

static void test_new_source_continues_the_stream(void **state)
{
	struct fixture *f = *state;
	struct sent s[64] = { 0 };
	unsigned n;

	for (uint16_t i = 0; i < 5; i++)
		feed(f->p, 0x1111, (uint16_t)(65533 + i), 90000u * 10 + i * 3000u,
		     (uint16_t)(32765 + i), i == 0, (uint8_t)i, (int64_t)i * 33333);
	/* The publisher's encoder restarts under a new SSRC with other numbers. */
	producer_new_source(f->p, 0x2222, T0 + 5 * 33333);
	assert_int_equal(n_pli, 1); /* the new source is asked for a keyframe at once */
	feed(f->p, 0x1111, 2, 90000u * 10 + 5 * 3000u, 2, false, 50, 5 * 33333); /* late, old */
	feed(f->p, 0x2222, 7000, 123456, 500, false, 51, 6 * 33333); /* not a keyframe */
	feed(f->p, 0x2222, 7001, 126456, 501, true, 52, 7 * 33333);
	feed(f->p, 0x2222, 7002, 129456, 502, false, 53, 8 * 33333);

	n = of(f, 0, s, 64);
	assert_int_equal(n, 7);
	for (unsigned i = 1; i < n; i++) {
		assert_int_equal((uint16_t)(s[i].seq - s[i - 1].seq), 1);       /* no gap */
		assert_int_equal((s[i].pid - s[i - 1].pid) & 0x7fff, 1);          /* ids go on */
		assert_true(s[i].ts - s[i - 1].ts > 0 && s[i].ts - s[i - 1].ts < 90000);
		assert_int_equal(s[i].ssrc, f->c[0]->ssrc);
	}
	/* 65533..65535, 0, 1, then the new source from its keyframe. */
	assert_int_equal(s[5].tag, 52);
	assert_true(s[5].keyframe);
	assert_int_equal(s[6].tag, 53);
	/* The old source's late packet was not forwarded. */
	for (unsigned i = 0; i < n; i++)
		assert_int_not_equal(s[i].tag, 50);
}

static void test_nack_answered_from_the_buffer(void **state)
{
	struct fixture *f = *state;
	struct sent s[64] = { 0 };
	uint16_t want;

	for (uint16_t i = 0; i < 4; i++)
		feed(f->p, 0x1111, (uint16_t)(200 + i), i * 3000u, (uint16_t)(40 + i), i == 0,
		     (uint8_t)(10 + i), (int64_t)i * 33333);
	n_sent = 0;
	want = 202; /* the consumer's numbers: the first source kept them */
	consumer_retransmit(f->c[1], &want, 1);
	assert_int_equal(of(f, 1, s, 64), 1);
	assert_int_equal(s[0].seq, 202);
	assert_int_equal(s[0].tag, 12);

	/* After a source change the old packets are gone: nothing to resend. */
	producer_new_source(f->p, 0x3333, T0 + 200000);
	n_sent = 0;
	consumer_retransmit(f->c[1], &want, 1);
	assert_int_equal(n_sent, 0);
}

static void test_muted_and_unready(void **state)
{
	struct fixture *f = *state;

	feed(f->p, 0x1111, 1, 0, 1, true, 1, 0);
	assert_int_equal(n_sent, 2);
	f->p->muted = true;
	feed(f->p, 0x1111, 2, 3000, 2, false, 2, 33333);
	assert_int_equal(n_sent, 2);
	f->p->muted = false;
	sub_ready = false; /* a subscriber not connected yet needs a keyframe after */
	feed(f->p, 0x1111, 3, 6000, 3, false, 3, 66666);
	sub_ready = true;
	feed(f->p, 0x1111, 4, 9000, 4, false, 4, 99999);
	assert_int_equal(n_sent, 2);
	feed(f->p, 0x1111, 5, 12000, 5, true, 5, 1000000);
	assert_int_equal(n_sent, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_each_consumer_waits_for_a_keyframe, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_new_source_continues_the_stream, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_nack_answered_from_the_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_muted_and_unready, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
