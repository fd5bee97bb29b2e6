/* test_lanes.c - datagrams handed from one worker to another: order and
 * contents on real UDP sockets, the sending thread, a full lane, a socket
 * released while datagrams for it are queued, and bad arguments. Runs in a
 * loopback-only network namespace (tests/netns-run). */
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
#include <unistd.h>

#include "media/base/counters.h"
#include "media/base/worker.h"
#include "media/lanes.h"

/* A receiving socket on 127.0.0.1 and the GSocket that sends to it. */
struct pair {
	int rx;
	struct sockaddr_in to;
	GSocket *tx;
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
}

static void pair_close(struct pair *p)
{
	close(p->rx);
	if (p->tx)
		g_object_unref(p->tx);
}

/* Work run on the producing worker. */
struct push {
	struct lane *lane;
	struct pair *p;
	unsigned first, n;
	unsigned ok, full;
	bool release;          /* then lane_release(p->tx) and forget it */
};

static void push_run(void *arg)
{
	struct push *j = arg;

	for (unsigned i = j->first; i < j->first + j->n; i++) {
		uint8_t buf[1200];

		memset(buf, (int)(i & 0xff), sizeof(buf));
		memcpy(buf, &i, sizeof(i));
		int err = lane_send(j->lane, g_socket_get_fd(j->p->tx),
				    (const struct sockaddr *)&j->p->to, sizeof(j->p->to), buf,
				    sizeof(buf));
		if (err == 0)
			j->ok++;
		else if (err == ENOBUFS)
			j->full++;
	}
	if (j->release) {
		lane_release(j->lane, j->p->tx);
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

/* Holds a worker busy until released, so that a lane into it fills up. */
struct gate {
	GMutex lock;
	GCond cond;
	bool entered, open;
};

static void gate_run(void *arg)
{
	struct gate *g = arg;

	g_mutex_lock(&g->lock);
	g->entered = true;
	g_cond_broadcast(&g->cond);
	while (!g->open)
		g_cond_wait(&g->cond, &g->lock);
	g_mutex_unlock(&g->lock);
}

static void gate_close(struct gate *g, struct worker *w)
{
	g_mutex_init(&g->lock);
	g_cond_init(&g->cond);
	g->entered = g->open = false;
	assert_int_equal(worker_post(w, gate_run, g), 0);
	g_mutex_lock(&g->lock);
	while (!g->entered)
		g_cond_wait(&g->cond, &g->lock);
	g_mutex_unlock(&g->lock);
}

static void gate_open(struct gate *g)
{
	g_mutex_lock(&g->lock);
	g->open = true;
	g_cond_broadcast(&g->cond);
	g_mutex_unlock(&g->lock);
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
	struct workers *ws;
	struct lanes *ls;
	struct pair p;
	struct media_counters before, after;
	struct push j = { 0 };

	(void)state;
	pair_open(&p);
	assert_int_equal(workers_alloc(&ws, 2), 0);
	assert_int_equal(lanes_alloc(&ls, ws, 64), 0);
	media_counters_sum(&before);
	j.lane = lanes_get(ls, workers_get(ws, 0), workers_get(ws, 1));
	j.p = &p;
	/* several rounds, each more than the lane holds when the other worker
	 * is slow, less when it keeps up; the receiver reads as they come */
	for (unsigned round = 0; round < 20; round++) {
		unsigned ok_before = j.ok;

		j.first = round * 40;
		j.n = 40;
		assert_int_equal(worker_call(workers_get(ws, 0), push_run, &j), 0);
		assert_int_equal(j.ok - ok_before, 40);
		for (unsigned i = j.first; i < j.first + 40; i++)
			expect_datagram(p.rx, i);
	}
	expect_nothing(p.rx);
	assert_int_equal(j.full, 0);
	/* the worker counts after a batch: let it finish the one it is in */
	assert_int_equal(worker_call(workers_get(ws, 1), noop, NULL), 0);
	media_counters_sum(&after);
	assert_int_equal(after.lane_sent - before.lane_sent, 800);
	workers_free(ws);
	lanes_free(ls);
	pair_close(&p);
}

/* A lane whose worker is busy holds `slots` datagrams and refuses the rest
 * (counted: the caller sends those); the held ones go out once the worker
 * is free. */
static void test_full_lane_drops(void **state)
{
	struct workers *ws;
	struct lanes *ls;
	struct pair p;
	struct gate g;
	struct media_counters before, after;
	struct push j = { 0 };

	(void)state;
	pair_open(&p);
	assert_int_equal(workers_alloc(&ws, 2), 0);
	assert_int_equal(lanes_alloc(&ls, ws, 16), 0);
	j.lane = lanes_get(ls, workers_get(ws, 0), workers_get(ws, 1));
	j.p = &p;
	j.n = 20;
	media_counters_sum(&before);
	gate_close(&g, workers_get(ws, 1));
	assert_int_equal(worker_call(workers_get(ws, 0), push_run, &j), 0);
	assert_int_equal(j.ok, 16);
	assert_int_equal(j.full, 4);
	expect_nothing(p.rx);
	gate_open(&g);
	for (unsigned i = 0; i < 16; i++)
		expect_datagram(p.rx, i);
	/* the lane is usable again */
	j.first = 100;
	j.n = 10;
	assert_int_equal(worker_call(workers_get(ws, 0), push_run, &j), 0);
	for (unsigned i = 100; i < 110; i++)
		expect_datagram(p.rx, i);
	assert_int_equal(worker_call(workers_get(ws, 1), noop, NULL), 0);
	media_counters_sum(&after);
	assert_int_equal(after.lane_full - before.lane_full, 4);
	assert_int_equal(after.lane_sent - before.lane_sent, 26);
	workers_free(ws);
	lanes_free(ls);
	g_mutex_clear(&g.lock);
	g_cond_clear(&g.cond);
	pair_close(&p);
}

/* A socket released while datagrams for it wait in the lane stays open
 * until they are sent, then closes. */
static void test_release_after_queued(void **state)
{
	struct workers *ws;
	struct lanes *ls;
	struct pair p;
	struct gate g;
	struct push j = { 0 };
	int fd;

	(void)state;
	pair_open(&p);
	fd = g_socket_get_fd(p.tx);
	assert_int_equal(workers_alloc(&ws, 2), 0);
	assert_int_equal(lanes_alloc(&ls, ws, 64), 0);
	j.lane = lanes_get(ls, workers_get(ws, 0), workers_get(ws, 1));
	j.p = &p;
	j.n = 10;
	j.release = true;
	gate_close(&g, workers_get(ws, 1));
	assert_int_equal(worker_call(workers_get(ws, 0), push_run, &j), 0);
	assert_null(p.tx); /* the lane holds the only reference now */
	assert_true(fcntl(fd, F_GETFD) >= 0);
	gate_open(&g);
	for (unsigned i = 0; i < 10; i++)
		expect_datagram(p.rx, i);
	assert_int_equal(worker_call(workers_get(ws, 1), noop, NULL), 0);
	assert_true(fcntl(fd, F_GETFD) < 0); /* closed after its datagrams */
	workers_free(ws);
	lanes_free(ls);
	g_mutex_clear(&g.lock);
	g_cond_clear(&g.cond);
	pair_close(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_order_and_contents),
		cmocka_unit_test(test_full_lane_drops),
		cmocka_unit_test(test_release_after_queued),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
