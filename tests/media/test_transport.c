/* test_transport.c - the WebRTC stack without a browser: two in-process
 * transports on loopback complete ICE, DTLS and SRTP and exchange RTP and
 * RTCP. Runs inside tests/netns-run (only 127.0.0.1 exists). */
#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "media/dtls.h"
#include "media/pktbuf.h"
#include "media/rtp.h"
#include "media/srtp.h"
#include "media/transport.h"

struct end {
	struct transport *t;
	struct end *other;
	bool connected;
	bool closed;
	int close_err;
	unsigned rtp, rtcp;
	uint16_t last_seq;
	uint8_t last_payload[64];
	size_t last_payload_len;
	unsigned stamped;      /* packets with a kernel receive time near now */
	int rtcp_stamp_err;    /* transport_rx_time in the last RTCP handler */
	int rtcp_again_err;    /* ... asked a second time for the same packet */
	bool hold_candidates;
	GPtrArray *held;
};

static void on_cand(void *arg, const char *cand)
{
	struct end *e = arg;

	if (e->hold_candidates)
		g_ptr_array_add(e->held, g_strdup(cand));
	else
		assert_int_equal(transport_add_remote_candidate(e->other->t, cand), 0);
}

static void on_gathered(void *arg)
{
	struct end *e = arg;

	transport_remote_gathering_done(e->other->t);
}

static void on_connected(void *arg)
{
	((struct end *)arg)->connected = true;
}

static void on_closed(void *arg, int err, const char *reason)
{
	struct end *e = arg;

	e->closed = true;
	e->close_err = err;
}

static void on_rtp(void *arg, struct pktbuf *p)
{
	struct end *e = arg;
	struct rtp_view v;

	assert_int_equal(rtp_parse(&v, p->data, p->len), 0);
	e->rtp++;
	e->last_seq = v.seq;
	/* The kernel stamps from the first query on: later packets have one. */
	int64_t rx, now = g_get_real_time();

	/* (the kernel's clock reading and ours may differ by a microsecond) */
	if (transport_rx_time(e->t, &rx) == 0 && rx <= now + 1000 && now - rx < 5 * G_USEC_PER_SEC) {
		int64_t again = 0;

		/* in the RTP handler, the stamp read for the packet: as often as asked */
		assert_int_equal(transport_rx_time(e->t, &again), 0);
		assert_true(again == rx);
		e->stamped++;
	}
	e->last_payload_len = MIN(v.payload_len, sizeof(e->last_payload));
	memcpy(e->last_payload, rtp_payload(&v), e->last_payload_len);
}

static void on_rtcp(void *arg, const uint8_t *buf, size_t len)
{
	struct end *e = arg;
	int64_t rx;

	e->rtcp++;
	e->rtcp_stamp_err = transport_rx_time(e->t, &rx);
	e->rtcp_again_err = transport_rx_time(e->t, &rx);
}

static const struct transport_handlers handlers = {
	on_cand, on_gathered, on_connected, on_closed, on_rtp, on_rtcp,
};

static const char *const loopback[] = { "127.0.0.1", NULL };

#define RUN_UNTIL(ctx, cond)                                                    \
	do {                                                                    \
		gint64 end_ = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;     \
		while (!(cond) && g_get_monotonic_time() < end_)                \
			g_main_context_iteration(ctx, TRUE);                     \
		assert_true(cond);                                              \
	} while (0)

static void fingerprint(struct dtls_cert *c, uint8_t *fp, size_t *len)
{
	char s[DTLS_FP_STR_MAX];

	assert_int_equal(dtls_cert_fingerprint(c, "sha-256", s, sizeof(s)), 0);
	assert_int_equal(dtls_fingerprint_parse(s, fp, 64, len), 0);
}

static void pair_up(GMainContext *ctx, struct end *a, struct end *b, struct dtls_cert *ca,
		    struct dtls_cert *cb, unsigned timeout_s)
{
	struct transport_params pa = { .ctx = ctx, .ice_controlling = true, .local_addrs = loopback,
				       .cert = ca, .connect_timeout_s = timeout_s, .name = "a" };
	struct transport_params pb = pa;
	uint8_t fpa[64], fpb[64];
	size_t la, lb;

	pb.ice_controlling = false;
	pb.cert = cb;
	pb.name = "b";
	pb.rx_stamps = true;
	a->other = b;
	b->other = a;
	a->held = g_ptr_array_new_with_free_func(g_free);
	b->held = g_ptr_array_new_with_free_func(g_free);
	assert_int_equal(transport_alloc(&a->t, &pa, &handlers, a), 0);
	assert_int_equal(transport_alloc(&b->t, &pb, &handlers, b), 0);
	fingerprint(ca, fpa, &la);
	fingerprint(cb, fpb, &lb);
	/* a is the offerer and DTLS client (a=setup:actpass answered passive). */
	assert_int_equal(transport_set_remote(a->t, transport_ice_ufrag(b->t),
					      transport_ice_pwd(b->t), "sha-256", fpb, lb,
					      DTLS_ROLE_CLIENT), 0);
	assert_int_equal(transport_set_remote(b->t, transport_ice_ufrag(a->t),
					      transport_ice_pwd(a->t), "sha-256", fpa, la,
					      DTLS_ROLE_SERVER), 0);
	assert_int_equal(transport_gather(a->t), 0);
	assert_int_equal(transport_gather(b->t), 0);
}

static void ends_free(struct end *a, struct end *b)
{
	transport_free(a->t);
	transport_free(b->t);
	g_ptr_array_free(a->held, TRUE);
	g_ptr_array_free(b->held, TRUE);
}

static size_t make_rtp(uint8_t *buf, uint16_t seq, const char *payload)
{
	struct rtp_header h = { .pt = 96, .seq = seq, .ts = seq * 3000u, .ssrc = 0x11223344 };
	size_t len = 0;

	assert_int_equal(rtp_write_header(buf, 1500, &h, &len), 0);
	memcpy(buf + len, payload, strlen(payload));
	return len + strlen(payload);
}

static void test_ice_dtls_srtp_rtp(void **state)
{
	GMainContext *ctx = g_main_context_new();
	struct dtls_cert *ca, *cb;
	struct end a = { 0 }, b = { 0 };
	uint8_t buf[1600];
	size_t len;

	g_main_context_push_thread_default(ctx);
	assert_int_equal(srtp_global_init(), 0);
	assert_int_equal(dtls_cert_generate(&ca), 0);
	assert_int_equal(dtls_cert_generate(&cb), 0);
	pair_up(ctx, &a, &b, ca, cb, 20);
	len = make_rtp(buf, 1, "x");
	assert_int_equal(transport_send_rtp(a.t, buf, len, sizeof(buf)), ENOTCONN);
	RUN_UNTIL(ctx, a.connected && b.connected);
	assert_string_equal(transport_srtp_profile(a.t), "AEAD_AES_128_GCM");

	for (uint16_t s = 100; s < 110; s++) {
		len = make_rtp(buf, s, "hello media");
		assert_int_equal(transport_send_rtp(a.t, buf, len, sizeof(buf)), 0);
	}
	RUN_UNTIL(ctx, b.rtp == 10);
	assert_int_equal(b.last_seq, 109);
	assert_int_equal(b.last_payload_len, strlen("hello media"));
	assert_memory_equal(b.last_payload, "hello media", b.last_payload_len);
	/* b asked for receive stamps: the kernel stamps from b's pair selection
	 * on (packets already queued then have none), so every packet of a
	 * second batch has one, close to now. */
	unsigned stamped = b.stamped;

	for (uint16_t s = 110; s < 120; s++) {
		len = make_rtp(buf, s, "hello media");
		assert_int_equal(transport_send_rtp(a.t, buf, len, sizeof(buf)), 0);
	}
	RUN_UNTIL(ctx, b.rtp == 20);
	assert_int_equal(b.stamped - stamped, 10);

	/* RTCP the other way: a receiver report (RFC 3550, no blocks). */
	uint8_t rr[64] = { 0x80, 201, 0x00, 0x01, 0xaa, 0xbb, 0xcc, 0xdd };
	assert_int_equal(transport_send_rtcp(b.t, rr, 8, sizeof(rr)), 0);
	RUN_UNTIL(ctx, a.rtcp == 1);
	assert_int_equal(a.rtcp_stamp_err, ENOENT); /* a did not ask for receive stamps */
	/* b did: a stamp the first time; the same one again reads as none (the
	 * datagram would have come in on another socket) */
	assert_int_equal(transport_send_rtcp(a.t, rr, 8, sizeof(rr)), 0);
	RUN_UNTIL(ctx, b.rtcp == 1);
	assert_int_equal(b.rtcp_stamp_err, 0);
	assert_int_equal(b.rtcp_again_err, ENOENT);

	struct transport_stats st;
	transport_stats(b.t, &st);
	assert_int_equal(st.rtp_in, 20);
	assert_int_equal(st.srtp_errors, 0);
	assert_false(a.closed || b.closed);

	ends_free(&a, &b);
	dtls_cert_unref(ca);
	dtls_cert_unref(cb);
	g_main_context_pop_thread_default(ctx);
	g_main_context_unref(ctx);
}

static void test_fingerprint_mismatch_closes(void **state)
{
	GMainContext *ctx = g_main_context_new();
	struct dtls_cert *ca, *cb, *other;
	struct end a = { 0 }, b = { 0 };

	g_main_context_push_thread_default(ctx);
	assert_int_equal(dtls_cert_generate(&ca), 0);
	assert_int_equal(dtls_cert_generate(&cb), 0);
	assert_int_equal(dtls_cert_generate(&other), 0);
	/* b expects a's fingerprint but a presents another certificate. */
	struct transport_params pa = { .ctx = ctx, .ice_controlling = true, .local_addrs = loopback,
				       .cert = other, .connect_timeout_s = 20, .name = "a" };
	struct transport_params pb = pa;
	uint8_t fpa[64], fpb[64];
	size_t la, lb;

	pb.ice_controlling = false;
	pb.cert = cb;
	a.other = &b;
	b.other = &a;
	a.held = g_ptr_array_new_with_free_func(g_free);
	b.held = g_ptr_array_new_with_free_func(g_free);
	assert_int_equal(transport_alloc(&a.t, &pa, &handlers, &a), 0);
	assert_int_equal(transport_alloc(&b.t, &pb, &handlers, &b), 0);
	fingerprint(ca, fpa, &la);
	fingerprint(cb, fpb, &lb);
	assert_int_equal(transport_set_remote(a.t, transport_ice_ufrag(b.t), transport_ice_pwd(b.t),
					      "sha-256", fpb, lb, DTLS_ROLE_CLIENT), 0);
	assert_int_equal(transport_set_remote(b.t, transport_ice_ufrag(a.t), transport_ice_pwd(a.t),
					      "sha-256", fpa, la, DTLS_ROLE_SERVER), 0);
	assert_int_equal(transport_gather(a.t), 0);
	assert_int_equal(transport_gather(b.t), 0);
	RUN_UNTIL(ctx, b.closed);
	assert_int_equal(b.close_err, EPROTO);
	assert_false(b.connected);
	ends_free(&a, &b);
	dtls_cert_unref(ca);
	dtls_cert_unref(cb);
	dtls_cert_unref(other);
	g_main_context_pop_thread_default(ctx);
	g_main_context_unref(ctx);
}

static void test_peer_vanishes_times_out(void **state)
{
	GMainContext *ctx = g_main_context_new();
	struct dtls_cert *ca, *cb;
	struct end a = { 0 }, b = { 0 };

	g_main_context_push_thread_default(ctx);
	assert_int_equal(dtls_cert_generate(&ca), 0);
	assert_int_equal(dtls_cert_generate(&cb), 0);
	/* Candidates never reach the other side: nothing can connect. */
	a.hold_candidates = b.hold_candidates = true;
	pair_up(ctx, &a, &b, ca, cb, 5);
	RUN_UNTIL(ctx, a.closed && b.closed);
	assert_false(a.connected);
	ends_free(&a, &b);
	dtls_cert_unref(ca);
	dtls_cert_unref(cb);
	g_main_context_pop_thread_default(ctx);
	g_main_context_unref(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ice_dtls_srtp_rtp),
		cmocka_unit_test(test_fingerprint_mismatch_closes),
		cmocka_unit_test(test_peer_vanishes_times_out),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	pktbuf_pool_drain();
	return rc;
}
