/* test_lanes.c - datagrams handed from one worker to another: order and
 * contents on real UDP sockets, a full lane, a descriptor released while
 * datagrams for it are queued (and the socket closed by its owner, as
 * libnice does), a flooded lane not starving its worker, and bad arguments.
 * Runs in a loopback-only network namespace (tests/netns-run). */
#include <gio/gio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <stdbool.h>
#include <unistd.h>

#include "media/base/counters.h"
#include "media/base/worker.h"
#include "media/lanes.h"
#include "tests/media/gate.h"

/* A receiving socket on 127.0.0.1, the GSocket that sends to it (bound to
 * 127.0.0.1:from_port) and the duplicate of its descriptor the lane uses. */
struct pair {
	int rx;
	struct sockaddr_in to;
	GSocket *tx;
	unsigned from_port;
	int fd;
};

static void pair_open(struct pair *p)
{
	socklen_t len = sizeof(p->to);
	struct timeval tv = { .tv_sec = 5 };
	GError *err = NULL;

	p->rx = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(p->rx >= 0);
	memset(&p->to, 0, sizeof(p->to));
	p->to.sin_family = AF_INET;
	p->to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(p->rx, (struct sockaddr *)&p->to, sizeof(p->to)), 0);
	assert_int_equal(getsockname(p->rx, (struct sockaddr *)&p->to, &len), 0);
	assert_int_equal(setsockopt(p->rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	p->tx = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
			     G_SOCKET_PROTOCOL_UDP, &err);
	assert_non_null(p->tx);
	{
		GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
		GSocketAddress *any = g_inet_socket_address_new(lo, 0);
		GSocketAddress *bound;

		assert_true(g_socket_bind(p->tx, any, FALSE, &err));
		bound = g_socket_get_local_address(p->tx, &err);
		assert_non_null(bound);
		p->from_port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
		g_object_unref(bound);
		g_object_unref(any);
		g_object_unref(lo);
	}
	p->fd = fcntl(g_socket_get_fd(p->tx), F_DUPFD_CLOEXEC, 0);
	assert_true(p->fd >= 0);
}

static void pair_close(struct pair *p)
{
	close(p->rx);
	if (p->fd >= 0)
		close(p->fd);
	if (p->tx)
		g_object_unref(p->tx);
}

/* True when nothing holds the sending socket any more (its port is free). */
static bool port_free(unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	bool ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;

	close(fd);
	return ok;
}

/* Work run on the producing worker. */
struct push {
	struct lane *lane;
	struct pair *p;
	unsigned first, n;
	unsigned ok, full;
	bool release;          /* then lane_release(p->fd), and the socket's owner
				  closes it (as libnice does when a stream goes) */
	int64_t arrival_us;    /* the packet being forwarded (media_arrival), 0 none */
};

static void push_run(void *arg)
{
	struct push *j = arg;

	media_arrival_set(j->arrival_us);
	for (unsigned i = j->first; i < j->first + j->n; i++) {
		uint8_t buf[1200];

		memset(buf, (int)(i & 0xff), sizeof(buf));
		memcpy(buf, &i, sizeof(i));
		int err = lane_send(j->lane, j->p->fd, (const struct sockaddr *)&j->p->to,
				    sizeof(j->p->to), buf, sizeof(buf));
		if (err == 0)
			j->ok++;
		else if (err == ENOBUFS)
			j->full++;
	}
	media_arrival_set(0);
	if (j->release) {
		lane_release(j->lane, j->p->fd);
		j->p->fd = -1;
		g_socket_close(j->p->tx, NULL);
		g_object_unref(j->p->tx);
		j->p->tx = NULL;
	}
}

/* Receives datagram number `i` (as push_run wrote it). */
static void expect_datagram(int fd, unsigned i)
{
	uint8_t buf[2000];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	unsigned got;

	assert_int_equal(n, 1200);
	memcpy(&got, buf, sizeof(got));
	assert_int_equal(got, i);
	assert_int_equal(buf[1199], (uint8_t)(i & 0xff));
}

static void expect_nothing(int fd)
{
	uint8_t buf[2000];

	assert_true(recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0);
}

static void noop(void *arg)
{
	(void)arg;
}

/* What most tests use: two workers, lanes of `slots` slots, the lane from
 * worker 0 to worker 1, and a socket pair to send through it. */
struct rig {
	struct workers *ws;
	struct lanes *ls;
	struct lane *lane;
	struct pair p;
};

static void rig_open(struct rig *r, unsigned slots)
{
	pair_open(&r->p);
	assert_int_equal(workers_alloc(&r->ws, 2), 0);
	assert_int_equal(lanes_alloc(&r->ls, r->ws, slots), 0);
	r->lane = lanes_get(r->ls, workers_get(r->ws, 0), workers_get(r->ws, 1));
}

static void rig_close(struct rig *r)
{
	workers_free(r->ws);
	lanes_free(r->ls);
	pair_close(&r->p);
}

static void test_get(void **state)
{
	struct workers *ws;
	struct lanes *ls;
	struct worker *a, *b;

	(void)state;
	assert_int_equal(workers_alloc(&ws, 3), 0);
	assert_int_equal(lanes_alloc(&ls, ws, 0), 0);
	a = workers_get(ws, 0);
	b = workers_get(ws, 2);
	assert_null(lanes_get(ls, a, a));
	assert_non_null(lanes_get(ls, a, b));
	assert_ptr_equal(lanes_get(ls, a, b), lanes_get(ls, a, b));
	assert_ptr_not_equal(lanes_get(ls, a, b), lanes_get(ls, b, a));
	assert_ptr_equal(lane_worker(lanes_get(ls, a, b)), b);
	workers_free(ws);
	lanes_free(ls);
	lanes_free(NULL);
}

static void test_bad_args(void **state)
{
	struct workers *ws;
	struct lanes *ls = NULL;

	(void)state;
	assert_int_equal(workers_alloc(&ws, 2), 0);
	assert_int_equal(lanes_alloc(&ls, ws, 100), EINVAL);  /* not a power of two */
	assert_int_equal(lanes_alloc(&ls, ws, 8), EINVAL);    /* too few */
	assert_int_equal(lanes_alloc(&ls, ws, 1u << 17), EINVAL);
	assert_int_equal(lanes_alloc(&ls, ws, 16), 0);
	{
		struct lane *l = lanes_get(ls, workers_get(ws, 0), workers_get(ws, 1));
		struct sockaddr_in to = { .sin_family = AF_INET };
		static uint8_t big[LANE_MTU + 1];

		assert_int_equal(lane_send(l, 0, (struct sockaddr *)&to, sizeof(to), big,
					   sizeof(big)), EMSGSIZE);
	}
	workers_free(ws);
	lanes_free(ls);
}

/* Datagrams pushed on one worker go out, in order and intact, from the
 * other one; they are counted as sent through a lane. */
static void test_order_and_contents(void **state)
{
	struct rig r;
	struct media_counters before, after;
	struct push j = { 0 };

	(void)state;
	rig_open(&r, 64);
	media_counters_sum(&before);
	j.lane = r.lane;
	j.p = &r.p;
	/* several rounds of 40 (the lane holds 64), the receiver reading as
	 * they come */
	for (unsigned round = 0; round < 20; round++) {
		unsigned ok_before = j.ok;

		j.first = round * 40;
		j.n = 40;
		assert_int_equal(worker_call(workers_get(r.ws, 0), push_run, &j), 0);
		assert_int_equal(j.ok - ok_before, 40);
		for (unsigned i = j.first; i < j.first + 40; i++)
			expect_datagram(r.p.rx, i);
		/* the slots are free once the worker is past its batch (it frees
		 * them after the sendmmsg returns) */
		assert_int_equal(worker_call(workers_get(r.ws, 1), noop, NULL), 0);
	}
	expect_nothing(r.p.rx);
	assert_int_equal(j.full, 0);
	/* the worker counts after a batch: let it finish the one it is in */
	assert_int_equal(worker_call(workers_get(r.ws, 1), noop, NULL), 0);
	media_counters_sum(&after);
	assert_int_equal(after.lane_sent - before.lane_sent, 800);
	rig_close(&r);
}

/* Copies of a packet being forwarded count their delay (from the packet's
 * arrival) when the lane's worker sends them, not when they are queued;
 * other datagrams count none. */
static void test_forward_delay(void **state)
{
	struct rig r;
	struct media_counters before, queued, after;
	struct push j = { 0 };
	struct gate g;

	(void)state;
	rig_open(&r, 64);
	j.lane = r.lane;
	j.p = &r.p;
	j.n = 10; /* not copies of a forwarded packet */
	media_counters_sum(&before);
	assert_int_equal(worker_call(workers_get(r.ws, 0), push_run, &j), 0);
	for (unsigned i = 0; i < 10; i++)
		expect_datagram(r.p.rx, i);
	assert_int_equal(worker_call(workers_get(r.ws, 1), noop, NULL), 0);
	media_counters_sum(&after);
	assert_int_equal(media_delay_count(&after), media_delay_count(&before));

	/* 20 copies of a packet that arrived 3 ms ago, queued while the lane's
	 * worker is held: nothing counted until it sends them */
	gate_close(&g, workers_get(r.ws, 1));
	j.first = 10;
	j.n = 20;
	j.arrival_us = g_get_real_time() - 3000;
	assert_int_equal(worker_call(workers_get(r.ws, 0), push_run, &j), 0);
	assert_int_equal(j.ok, 30);
	media_counters_sum(&queued);
	assert_int_equal(media_delay_count(&queued), media_delay_count(&before));
	gate_open(&g);
	for (unsigned i = 10; i < 30; i++)
		expect_datagram(r.p.rx, i);
	assert_int_equal(worker_call(workers_get(r.ws, 1), noop, NULL), 0);
	media_counters_sum(&after);
	assert_int_equal(media_delay_count(&after) - media_delay_count(&before), 20);
	for (unsigned k = 0; k < MEDIA_DELAY_BUCKETS && media_delay_bounds_us[k] <= 3000; k++)
		assert_int_equal(after.fwd_delay[k], before.fwd_delay[k]);
	assert_true(after.fwd_delay_us - before.fwd_delay_us >= 20 * 3000);
	gate_clear(&g);
	rig_close(&r);
}

/* Runs of datagrams for two sockets, queued while the lane's worker is
 * busy: the worker sends each run in batches (one sendmmsg for up to 64 on
 * a socket); each receiver gets its own, in order and intact. */
struct mixed {
	struct lane *lane;
	struct pair *a, *b;
	unsigned ok;
};

/* Datagram i goes to b when it is in a short run (7) after each long
 * one (70) of a's. */
static bool mixed_to_b(unsigned i)
{
	return i % 77 >= 70;
}

static void mixed_run(void *arg)
{
	struct mixed *j = arg;

	for (unsigned i = 0; i < 230; i++) {
		struct pair *p = mixed_to_b(i) ? j->b : j->a;
		uint8_t buf[1200];

		memset(buf, (int)(i & 0xff), sizeof(buf));
		memcpy(buf, &i, sizeof(i));
		j->ok += lane_send(j->lane, p->fd, (const struct sockaddr *)&p->to, sizeof(p->to),
				   buf, sizeof(buf)) == 0;
	}
}

static void test_batches_per_socket(void **state)
{
	struct rig r;
	struct pair b;
	struct gate g = { 0 };
	struct mixed j = { 0 };
	struct media_counters before, after;
	int size = 1 << 20;

	(void)state;
	rig_open(&r, 256);
	pair_open(&b);
	assert_int_equal(setsockopt(r.p.rx, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)), 0);
	j.lane = r.lane;
	j.a = &r.p;
	j.b = &b;
	media_counters_sum(&before);
	gate_close(&g, workers_get(r.ws, 1));
	assert_int_equal(worker_call(workers_get(r.ws, 0), mixed_run, &j), 0);
	assert_int_equal(j.ok, 230);
	gate_open(&g);
	for (unsigned i = 0; i < 230; i++)
		expect_datagram(mixed_to_b(i) ? b.rx : r.p.rx, i);
	expect_nothing(r.p.rx);
	expect_nothing(b.rx);
	assert_int_equal(worker_call(workers_get(r.ws, 1), noop, NULL), 0);
	media_counters_sum(&after);
	assert_int_equal(after.lane_sent - before.lane_sent, 230);
	assert_int_equal(after.send_errors - before.send_errors, 0);
	pair_close(&b);
	rig_close(&r);
	gate_clear(&g);
}

/* A lane whose worker is busy holds `slots` datagrams and refuses the rest
 * (counted: the caller sends those); the held ones go out once the worker
 * is free. */
static void test_full_lane_drops(void **state)
{
	struct rig r;
	struct gate g;
	struct media_counters before, after;
	struct push j = { 0 };

	(void)state;
	rig_open(&r, 16);
	j.lane = r.lane;
	j.p = &r.p;
	j.n = 20;
	media_counters_sum(&before);
	gate_close(&g, workers_get(r.ws, 1));
	assert_int_equal(worker_call(workers_get(r.ws, 0), push_run, &j), 0);
	assert_int_equal(j.ok, 16);
	assert_int_equal(j.full, 4);
	expect_nothing(r.p.rx);
	gate_open(&g);
	for (unsigned i = 0; i < 16; i++)
		expect_datagram(r.p.rx, i);
	/* the lane is usable again, once the worker is past its batch */
	assert_int_equal(worker_call(workers_get(r.ws, 1), noop, NULL), 0);
	j.first = 100;
	j.n = 10;
	assert_int_equal(worker_call(workers_get(r.ws, 0), push_run, &j), 0);
	for (unsigned i = 100; i < 110; i++)
		expect_datagram(r.p.rx, i);
	assert_int_equal(worker_call(workers_get(r.ws, 1), noop, NULL), 0);
	media_counters_sum(&after);
	assert_int_equal(after.lane_full - before.lane_full, 4);
	assert_int_equal(after.lane_sent - before.lane_sent, 26);
	gate_clear(&g);
	rig_close(&r);
}

/* A descriptor released while datagrams for it wait in the lane stays
 * open until they are sent, then closes, even though the socket's owner
 * closed its own descriptor at once (libnice does so when a stream goes). */
static void test_release_after_queued(void **state)
{
	struct rig r;
	struct gate g;
	struct push j = { 0 };

	(void)state;
	rig_open(&r, 64);
	j.lane = r.lane;
	j.p = &r.p;
	j.n = 10;
	j.release = true;
	gate_close(&g, workers_get(r.ws, 1));
	assert_int_equal(worker_call(workers_get(r.ws, 0), push_run, &j), 0);
	assert_null(r.p.tx); /* the owner's descriptor is closed: the lane's is left */
	assert_false(port_free(r.p.from_port));
	gate_open(&g);
	for (unsigned i = 0; i < 10; i++)
		expect_datagram(r.p.rx, i);
	assert_int_equal(worker_call(workers_get(r.ws, 1), noop, NULL), 0);
	assert_true(port_free(r.p.from_port)); /* closed after its datagrams */
	gate_clear(&g);
	rig_close(&r);
}

/* One worker floods a lane (a room sending more than the other worker can
 * take); the other worker still runs its own work between passes over the
 * lane. The flood stops when that work has run, or after 20 s (a worker
 * that stays in the lane for that long fails the test). */
#define FLOOD_MAX_US (20 * G_USEC_PER_SEC)

struct flood {
	struct lane *lane;
	struct pair *p;
	gint started, stop;
	unsigned long rounds;
};

static void flood_run(void *arg)
{
	struct flood *f = arg;
	uint8_t buf[1200] = { 0 };

	int64_t until = g_get_monotonic_time() + FLOOD_MAX_US;

	g_atomic_int_set(&f->started, 1);
	while (!g_atomic_int_get(&f->stop) &&
	       ((f->rounds & 1023) || g_get_monotonic_time() < until)) {
		f->rounds++;
		(void)lane_send(f->lane, f->p->fd, (const struct sockaddr *)&f->p->to,
				sizeof(f->p->to), buf, sizeof(buf));
	}
}

static void stop_flood(void *arg)
{
	g_atomic_int_set(&((struct flood *)arg)->stop, 1);
}

static void test_flood_does_not_starve(void **state)
{
	struct rig r;
	struct flood f = { 0 };

	(void)state;
	rig_open(&r, 512);
	f.lane = r.lane;
	f.p = &r.p;
	assert_int_equal(worker_post(workers_get(r.ws, 0), flood_run, &f), 0);
	/* let the flood start, then ask worker 1 for its own work */
	while (!g_atomic_int_get(&f.started))
		g_usleep(1000);
	g_usleep(20000);
	assert_int_equal(worker_post(workers_get(r.ws, 1), stop_flood, &f), 0);
	assert_int_equal(worker_call(workers_get(r.ws, 0), noop, NULL), 0); /* flood over */
	assert_int_equal(g_atomic_int_get(&f.stop), 1);
	assert_true(f.rounds > 0);
	rig_close(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_order_and_contents),
		cmocka_unit_test(test_forward_delay),
		cmocka_unit_test(test_batches_per_socket),
		cmocka_unit_test(test_full_lane_drops),
		cmocka_unit_test(test_release_after_queued),
		cmocka_unit_test(test_flood_does_not_starve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
