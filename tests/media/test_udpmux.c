/* test_udpmux.c - the shared media port, driven by hand-made STUN from a
 * plain UDP socket (the peer): which checks get an answer and which are
 * dropped and counted, how paths are learnt, selected and forgotten, and
 * credentials during a restart. Runs inside tests/netns-run (loopback). */
#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "media/stun.h"
#include "media/udpmux.h"

static const char *const loopback[] = { "127.0.0.1", NULL };
#define UFRAG "ufragA"
#define PWD "passwordpasswordpassword"
#define PEER_PWD "peerpasswordpeerpassword"

struct ep_rec {
	int selected;
	GString *got;
	struct udpmux_ep *ep;  /* set: the handler asks for the arrival stamp */
	int stamp_err;
	int64_t stamp_us;
};

static void on_recv(void *arg, uint8_t *buf, size_t len)
{
	struct ep_rec *r = arg;

	g_string_append_len(r->got, (const char *)buf, (gssize)len);
	if (r->ep)
		r->stamp_err = udpmux_ep_rx_time(r->ep, &r->stamp_us);
}

static void on_selected(void *arg)
{
	struct ep_rec *r = arg;

	r->selected++;
}

static const struct udpmux_ep_handlers eh = { on_recv, on_selected };

struct rig {
	GMainContext *ctx;
	struct udpmux *mux;
	struct sockaddr_in to; /* the mux */
	int peer;              /* the browser's socket */
	struct sockaddr_in peer_addr;
};

static int udp_socket(struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	socklen_t len = sizeof(*addr);

	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)addr, sizeof(*addr)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)addr, &len), 0);
	return fd;
}

static void rig_init(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	r->ctx = g_main_context_new();
	assert_int_equal(udpmux_alloc(&r->mux, r->ctx, loopback, 0), 0);
	assert_int_equal(udpmux_n_local(r->mux), 1);
	assert_string_equal(udpmux_local_addr(r->mux, 0), "127.0.0.1");
	assert_null(udpmux_local_addr(r->mux, 1));
	r->to.sin_family = AF_INET;
	r->to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r->to.sin_port = htons((uint16_t)udpmux_port(r->mux));
	r->peer = udp_socket(&r->peer_addr);
}

static void rig_clear(struct rig *r)
{
	close(r->peer);
	udpmux_free(r->mux);
	g_main_context_unref(r->ctx);
}

/* Lets the mux read what was sent to it. */
static void pump(struct rig *r)
{
	for (int i = 0; i < 20; i++) {
		g_usleep(1000);
		while (g_main_context_iteration(r->ctx, FALSE))
			;
	}
}

static void send_raw(struct rig *r, int fd, const void *buf, size_t len)
{
	assert_int_equal(sendto(fd, buf, len, 0, (struct sockaddr *)&r->to, sizeof(r->to)),
			 (ssize_t)len);
}

/* A binding request from `fd`: USERNAME "lfrag:peer", integrity with
 * `pwd`, and the flags asked for. */
struct req_opts {
	bool use_candidate;
	bool controlled;   /* ICE-CONTROLLED instead of ICE-CONTROLLING */
	bool unknown_attr; /* a comprehension-required attribute nobody knows */
	bool no_fingerprint;
};

static void send_check(struct rig *r, int fd, const char *lfrag, const char *pwd,
		       const struct req_opts *o, uint8_t tid_out[STUN_TID_LEN])
{
	uint8_t b[512];
	struct stun_writer w;
	char user[300];
	size_t len = 0;

	g_snprintf(user, sizeof(user), "%s:peer", lfrag);
	stun_writer_init(&w, b, sizeof(b), STUN_BINDING, STUN_REQUEST, NULL);
	stun_put(&w, STUN_ATTR_USERNAME, user, strlen(user));
	stun_put_u32(&w, STUN_ATTR_PRIORITY, 0x6e0001ff);
	stun_put_u64(&w, o && o->controlled ? STUN_ATTR_ICE_CONTROLLED : STUN_ATTR_ICE_CONTROLLING,
		     42);
	if (o && o->use_candidate)
		stun_put(&w, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	if (o && o->unknown_attr)
		stun_put_u32(&w, 0x7001, 7);
	assert_int_equal(stun_writer_finish(&w, pwd, strlen(pwd), !(o && o->no_fingerprint), &len),
			 0);
	if (tid_out)
		memcpy(tid_out, b + 8, STUN_TID_LEN);
	send_raw(r, fd, b, len);
}

/* The answer waiting on `fd`, if any (after pump). */
static bool recv_answer(int fd, struct stun_msg *m, uint8_t *buf, size_t cap)
{
	ssize_t n = recv(fd, buf, cap, MSG_DONTWAIT);

	if (n <= 0)
		return false;
	assert_int_equal(stun_parse(m, buf, (size_t)n), 0);
	return true;
}

/* The peer's answer to a check of ours (transaction `tid`), signed with
 * `pwd`. */
static void send_answer(struct rig *r, int fd, const uint8_t *tid, const char *pwd)
{
	uint8_t b[256];
	struct stun_writer w;
	size_t len = 0;

	stun_writer_init(&w, b, sizeof(b), STUN_BINDING, STUN_SUCCESS, tid);
	stun_put_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, (struct sockaddr *)&r->to);
	assert_int_equal(stun_writer_finish(&w, pwd, strlen(pwd), true, &len), 0);
	send_raw(r, fd, b, len);
}

static void test_check_answered_and_selected(void **state)
{
	struct rig r;
	struct udpmux_ep *ep;
	struct ep_rec rec = { .got = g_string_new(NULL) };
	struct udpmux_stats st;
	struct stun_msg m;
	uint8_t buf[1500], tid[STUN_TID_LEN];
	struct req_opts nominate = { .use_candidate = true };
	const struct sockaddr *dest;
	socklen_t destlen;
	int fd;

	(void)state;
	rig_init(&r);
	assert_int_equal(udpmux_ep_alloc(&ep, r.mux, UFRAG, PWD, &eh, &rec), 0);
	assert_int_equal(udpmux_ep_send(ep, (const uint8_t *)"x", 1), ENOTCONN);
	assert_int_equal(udpmux_ep_dest(ep, &fd, &dest, &destlen), ENOTCONN);
	assert_string_equal(udpmux_ep_pair_str(ep), "");

	/* a check without nomination: answered, the path is known, not selected */
	send_check(&r, r.peer, UFRAG, PWD, NULL, tid);
	pump(&r);
	assert_true(recv_answer(r.peer, &m, buf, sizeof(buf)));
	assert_int_equal(m.cls, STUN_SUCCESS);
	assert_memory_equal(m.tid, tid, STUN_TID_LEN);
	assert_true(m.has_fingerprint);
	assert_int_equal(stun_check_integrity(&m, PWD, strlen(PWD)), 0);
	assert_true(m.has_mapped);
	assert_memory_equal(&m.mapped, &r.peer_addr, sizeof(r.peer_addr));
	assert_int_equal(rec.selected, 0);

	/* nominated: selected, and media both ways */
	send_check(&r, r.peer, UFRAG, PWD, &nominate, NULL);
	pump(&r);
	assert_true(recv_answer(r.peer, &m, buf, sizeof(buf)));
	assert_int_equal(rec.selected, 1);
	assert_non_null(strstr(udpmux_ep_pair_str(ep), "127.0.0.1:"));
	assert_int_equal(udpmux_ep_dest(ep, &fd, &dest, &destlen), 0);
	assert_int_equal(destlen, sizeof(struct sockaddr_in));
	assert_memory_equal(dest, &r.peer_addr, sizeof(r.peer_addr));
	rec.ep = ep;
	rec.stamp_err = -1;
	{
		int64_t t0 = g_get_real_time();

		send_raw(&r, r.peer, "\x80media", 6);
		pump(&r);
		/* the kernel's arrival stamp, while the handler runs; none after */
		assert_int_equal(rec.stamp_err, 0);
		assert_true(rec.stamp_us >= t0 - 1000 && rec.stamp_us <= g_get_real_time());
		assert_int_equal(udpmux_ep_rx_time(ep, &rec.stamp_us), ENOENT);
	}
	assert_int_equal(rec.got->len, 6);
	assert_int_equal(udpmux_ep_send(ep, (const uint8_t *)"\x80" "back", 5), 0);
	assert_int_equal(recv(r.peer, buf, sizeof(buf), MSG_DONTWAIT), 5);
	assert_memory_equal(buf, "\x80" "back", 5);

	udpmux_stats(r.mux, &st);
	assert_int_equal(st.stun_answered, 2);
	assert_int_equal(st.stun_rejected, 0);
	assert_int_equal(st.unknown_source, 0);

	/* gone: its address is a stranger again */
	udpmux_ep_free(ep);
	send_raw(&r, r.peer, "\x80late", 5);
	pump(&r);
	udpmux_stats(r.mux, &st);
	assert_int_equal(st.unknown_source, 1);
	assert_int_equal(rec.got->len, 6);
	g_string_free(rec.got, TRUE);
	rig_clear(&r);
}

/* Nothing is answered without the right ufrag and password; everything
 * dropped is counted. */
static void test_rejected(void **state)
{
	struct rig r;
	struct udpmux_ep *ep;
	struct ep_rec rec = { .got = g_string_new(NULL) };
	struct udpmux_stats st;
	struct stun_msg m;
	uint8_t buf[1500], resp[64];
	struct req_opts nominate = { .use_candidate = true };
	struct stun_writer w;
	size_t len = 0;

	(void)state;
	rig_init(&r);
	assert_int_equal(udpmux_ep_alloc(&ep, r.mux, UFRAG, PWD, &eh, &rec), 0);
	struct req_opts no_fp = { .use_candidate = true, .no_fingerprint = true };

	send_check(&r, r.peer, UFRAG, "wrongpasswordwrongpassword", &nominate, NULL);
	send_check(&r, r.peer, "nobody", PWD, &nominate, NULL); /* a stranger, not an error */
	send_check(&r, r.peer, UFRAG, PWD, &no_fp, NULL);
	send_raw(&r, r.peer, "\x00\x01\x00\x04garbage!", 12); /* STUN's first byte, not STUN */
	/* a response to no check of ours: stray */
	stun_writer_init(&w, resp, sizeof(resp), STUN_BINDING, STUN_SUCCESS, NULL);
	assert_int_equal(stun_writer_finish(&w, NULL, 0, true, &len), 0);
	send_raw(&r, r.peer, resp, len);
	/* media from an address that never checked */
	send_raw(&r, r.peer, "\x80rtp", 4);
	/* an indication (a keep-alive) is fine and silent */
	stun_writer_init(&w, resp, sizeof(resp), STUN_BINDING, STUN_INDICATION, NULL);
	assert_int_equal(stun_writer_finish(&w, NULL, 0, true, &len), 0);
	send_raw(&r, r.peer, resp, len);
	pump(&r);
	assert_false(recv_answer(r.peer, &m, buf, sizeof(buf)));
	assert_int_equal(rec.selected, 0);
	assert_int_equal(rec.got->len, 0);
	udpmux_stats(r.mux, &st);
	assert_int_equal(st.stun_answered, 0);
	assert_int_equal(st.stun_rejected, 3); /* password, FINGERPRINT, garbage */
	assert_int_equal(st.unknown_source, 3); /* ufrag, response, media */
	assert_int_equal(st.datagrams_in, 7);

	/* authenticated but not acceptable: 487 for a peer that wants to be
	 * controlled too, 420 for an unknown required attribute; no path */
	struct req_opts controlled = { .controlled = true, .use_candidate = true };
	struct req_opts unknown = { .unknown_attr = true, .use_candidate = true };
	send_check(&r, r.peer, UFRAG, PWD, &controlled, NULL);
	pump(&r);
	assert_true(recv_answer(r.peer, &m, buf, sizeof(buf)));
	assert_int_equal(m.cls, STUN_ERROR);
	assert_int_equal(m.error_code, 487);
	assert_int_equal(stun_check_integrity(&m, PWD, strlen(PWD)), 0);
	send_check(&r, r.peer, UFRAG, PWD, &unknown, NULL);
	pump(&r);
	assert_true(recv_answer(r.peer, &m, buf, sizeof(buf)));
	assert_int_equal(m.error_code, 420);
	assert_int_equal(rec.selected, 0);
	send_raw(&r, r.peer, "\x80rtp", 4);
	pump(&r);
	assert_int_equal(rec.got->len, 0);

	udpmux_ep_free(ep);
	g_string_free(rec.got, TRUE);
	rig_clear(&r);
}

/* Two endpoints on one port, and a restart: the old credentials work until
 * the peer nominates with the new ones; then only the new ones do. A path
 * that is another endpoint's stays theirs; a new path is used only once it
 * answered the endpoint's own check. */
static void test_two_endpoints_and_restart(void **state)
{
	struct rig r;
	struct udpmux_ep *a, *b, *x = NULL;
	struct ep_rec ra = { .got = g_string_new(NULL) }, rb = { .got = g_string_new(NULL) };
	struct stun_msg m;
	uint8_t buf[1500];
	struct req_opts nominate = { .use_candidate = true };
	struct sockaddr_in other_addr;
	int other = udp_socket(&other_addr);

	(void)state;
	rig_init(&r);
	assert_int_equal(udpmux_ep_alloc(&a, r.mux, UFRAG, PWD, &eh, &ra), 0);
	assert_int_equal(udpmux_ep_alloc(&b, r.mux, "ufragB", PWD, &eh, &rb), 0);
	assert_int_equal(udpmux_ep_alloc(&x, r.mux, UFRAG, PWD, &eh, &ra), EEXIST);
	assert_int_equal(udpmux_ep_alloc(&x, r.mux, "abc", PWD, &eh, &ra), EINVAL);
	assert_int_equal(udpmux_ep_alloc(&x, r.mux, "abcd", "short", &eh, &ra), EINVAL);
	assert_int_equal(udpmux_ep_alloc(&x, r.mux, "ab:cd", PWD, &eh, &ra), EINVAL);
	assert_null(x);
	assert_int_equal(udpmux_ep_set_remote(a, "pe", PEER_PWD), EINVAL);
	assert_int_equal(udpmux_ep_set_remote(a, "peer", PEER_PWD), 0);

	send_check(&r, r.peer, UFRAG, PWD, &nominate, NULL);
	send_check(&r, other, "ufragB", PWD, &nominate, NULL);
	pump(&r);
	assert_true(recv_answer(r.peer, &m, buf, sizeof(buf)));
	assert_true(recv_answer(other, &m, buf, sizeof(buf)));
	send_raw(&r, r.peer, "\x80toA", 4);
	send_raw(&r, other, "\x80toB", 4);
	pump(&r);
	assert_int_equal(ra.got->len, 4);
	assert_memory_equal(ra.got->str, "\x80toA", 4);
	assert_int_equal(rb.got->len, 4);
	assert_memory_equal(rb.got->str, "\x80toB", 4);

	assert_int_equal(udpmux_ep_restart(a, "ufragB", PWD), EEXIST);
	assert_int_equal(udpmux_ep_restart(a, "new1", "newpasswordnewpassword"), 0);
	/* old credentials still answered, media still flows */
	send_check(&r, r.peer, UFRAG, PWD, NULL, NULL);
	pump(&r);
	assert_true(recv_answer(r.peer, &m, buf, sizeof(buf)));
	assert_int_equal(stun_check_integrity(&m, PWD, strlen(PWD)), 0);
	assert_int_equal(udpmux_ep_send(a, (const uint8_t *)"\x80x", 2), 0);
	assert_int_equal(recv(r.peer, buf, sizeof(buf), MSG_DONTWAIT), 2);
	/* nominated with the new ones from b's address (spoofed, say): answered,
	 * but b keeps its path and a stays where it is */
	send_check(&r, other, "new1", "newpasswordnewpassword", &nominate, NULL);
	pump(&r);
	assert_true(recv_answer(other, &m, buf, sizeof(buf)));
	assert_int_equal(ra.selected, 1);
	assert_int_equal(udpmux_ep_send(b, (const uint8_t *)"\x80x", 2), 0);
	assert_int_equal(recv(other, buf, sizeof(buf), MSG_DONTWAIT), 2);
	/* nominated from a third address: a checks it first, and moves only on
	 * an authenticated answer from there */
	{
		struct sockaddr_in third_addr;
		int third = udp_socket(&third_addr);
		uint8_t tid[STUN_TID_LEN];
		char lfrag[64];

		send_check(&r, third, "new1", "newpasswordnewpassword", &nominate, NULL);
		pump(&r);
		assert_true(recv_answer(third, &m, buf, sizeof(buf))); /* the answer */
		assert_int_equal(m.cls, STUN_SUCCESS);
		assert_true(recv_answer(third, &m, buf, sizeof(buf))); /* a's own check */
		assert_int_equal(m.cls, STUN_REQUEST);
		assert_true(m.ice_controlled && m.has_fingerprint && m.has_priority);
		assert_int_equal(stun_username_local(&m, lfrag, sizeof(lfrag)), 0);
		assert_string_equal(lfrag, "peer");
		assert_memory_equal(m.username + 5, "new1", 4);
		assert_int_equal(stun_check_integrity(&m, PEER_PWD, strlen(PEER_PWD)), 0);
		memcpy(tid, m.tid, sizeof(tid));
		assert_int_equal(ra.selected, 1); /* not yet */
		/* a forged answer (wrong key), and one from elsewhere: nothing */
		send_answer(&r, third, tid, "wrongpasswordwrongpassword");
		pump(&r);
		assert_int_equal(ra.selected, 1);
		send_check(&r, third, "new1", "newpasswordnewpassword", &nominate, NULL);
		pump(&r);
		while (recv_answer(third, &m, buf, sizeof(buf)))
			if (m.cls == STUN_REQUEST)
				memcpy(tid, m.tid, sizeof(tid));
		send_answer(&r, r.peer, tid, PEER_PWD);
		pump(&r);
		assert_int_equal(ra.selected, 1);
		send_answer(&r, third, tid, PEER_PWD);
		pump(&r);
		assert_int_equal(ra.selected, 2);
		assert_int_equal(udpmux_ep_send(a, (const uint8_t *)"\x80y", 2), 0);
		assert_int_equal(recv(third, buf, sizeof(buf), MSG_DONTWAIT), 2);
		close(third);
	}
	/* the old ufrag is gone */
	send_check(&r, r.peer, UFRAG, PWD, NULL, NULL);
	pump(&r);
	assert_false(recv_answer(r.peer, &m, buf, sizeof(buf)));
	/* and may be used by someone else */
	assert_int_equal(udpmux_ep_alloc(&x, r.mux, UFRAG, PWD, &eh, &rb), 0);

	udpmux_ep_free(x);
	udpmux_ep_free(a);
	udpmux_ep_free(b);
	close(other);
	g_string_free(ra.got, TRUE);
	g_string_free(rb.got, TRUE);
	rig_clear(&r);
}

/* A handler that frees its endpoint (as a failing transport may): the
 * datagram that made the endpoint select a path is not delivered, and
 * nothing of the endpoint is touched after. */
static struct udpmux_ep *to_free;

static void free_on_selected(void *arg)
{
	struct ep_rec *r = arg;

	r->selected++;
	udpmux_ep_free(to_free);
	to_free = NULL;
}

static void test_handler_frees_endpoint(void **state)
{
	static const struct udpmux_ep_handlers fh = { on_recv, free_on_selected };
	struct rig r;
	struct ep_rec rec = { .got = g_string_new(NULL) };
	struct stun_msg m;
	uint8_t buf[1500];

	(void)state;
	rig_init(&r);
	assert_int_equal(udpmux_ep_alloc(&to_free, r.mux, UFRAG, PWD, &fh, &rec), 0);
	send_check(&r, r.peer, UFRAG, PWD, NULL, NULL); /* a path, not selected */
	send_raw(&r, r.peer, "\x16" "dtls", 5);         /* selects it: the handler frees */
	send_raw(&r, r.peer, "\x16more", 5);
	pump(&r);
	assert_true(recv_answer(r.peer, &m, buf, sizeof(buf)));
	assert_int_equal(rec.selected, 1);
	assert_null(to_free);
	assert_int_equal(rec.got->len, 0);
	g_string_free(rec.got, TRUE);
	rig_clear(&r);
}

/* Without the peer's credentials an endpoint cannot check a new path: it
 * stays on the one selected first. */
static void test_no_remote_credentials_keeps_path(void **state)
{
	struct rig r;
	struct udpmux_ep *ep;
	struct ep_rec rec = { .got = g_string_new(NULL) };
	struct req_opts nominate = { .use_candidate = true };
	struct sockaddr_in other_addr;
	int other = udp_socket(&other_addr);
	struct stun_msg m;
	uint8_t buf[1500];

	(void)state;
	rig_init(&r);
	assert_int_equal(udpmux_ep_alloc(&ep, r.mux, UFRAG, PWD, &eh, &rec), 0);
	send_check(&r, r.peer, UFRAG, PWD, &nominate, NULL);
	send_check(&r, other, UFRAG, PWD, &nominate, NULL);
	pump(&r);
	assert_true(recv_answer(other, &m, buf, sizeof(buf)));
	assert_false(recv_answer(other, &m, buf, sizeof(buf))); /* no check of ours */
	assert_int_equal(rec.selected, 1);
	assert_true(recv_answer(r.peer, &m, buf, sizeof(buf)));
	assert_int_equal(udpmux_ep_send(ep, (const uint8_t *)"\x80x", 2), 0);
	assert_int_equal(recv(r.peer, buf, sizeof(buf), MSG_DONTWAIT), 2);
	udpmux_ep_free(ep);
	close(other);
	g_string_free(rec.got, TRUE);
	rig_clear(&r);
}

/* Bad addresses, a port in use, the host's addresses, two families. */
static void test_alloc_errors(void **state)
{
	GMainContext *ctx = g_main_context_new();
	struct udpmux *m = NULL, *m2 = NULL;
	const char *const bad[] = { "not-an-ip", NULL };
	const char *const two[] = { "127.0.0.1", "::1", NULL };
	const char *const absent[] = { "127.0.0.1", "192.0.2.1", NULL };

	(void)state;
	assert_int_equal(udpmux_alloc(&m, ctx, bad, 0), EINVAL);
	assert_null(m);
	assert_int_equal(udpmux_alloc(&m, ctx, loopback, 0), 0);
	assert_int_equal(udpmux_alloc(&m2, ctx, loopback, udpmux_port(m)), EADDRINUSE);
	assert_null(m2);
	udpmux_free(m);
	/* no address given: the host's (only loopback in this namespace) */
	assert_int_equal(udpmux_alloc(&m, ctx, NULL, 0), 0);
	assert_true(udpmux_n_local(m) >= 1);
	udpmux_free(m);
	/* two families on one port (::1 exists in the namespace once lo is up) */
	assert_int_equal(udpmux_alloc(&m, ctx, two, 0), 0);
	assert_int_equal(udpmux_n_local(m), 2);
	assert_string_equal(udpmux_local_addr(m, 1), "::1");
	udpmux_free(m);
	/* the second address is not this host's: the first socket is closed again */
	m = NULL;
	assert_int_equal(udpmux_alloc(&m, ctx, absent, 0), EADDRNOTAVAIL);
	assert_null(m);
	udpmux_free(NULL);
	g_main_context_unref(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_answered_and_selected),
		cmocka_unit_test(test_rejected),
		cmocka_unit_test(test_two_endpoints_and_restart),
		cmocka_unit_test(test_handler_frees_endpoint),
		cmocka_unit_test(test_no_remote_credentials_keeps_path),
		cmocka_unit_test(test_alloc_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
