/* test_worker.c - media worker threads: posting, ordering, sync calls, stop. */
#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/base/worker.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

struct counter {
	gint n;
	gint order_ok;
	struct worker *w;
	gint on_thread;
};

static void bump(void *arg)
{
	struct counter *c = arg;
	int prev = g_atomic_int_add(&c->n, 1);

	(void)prev;
	if (worker_is_current(c->w))
		g_atomic_int_inc(&c->on_thread);
}

static void test_post_runs_on_worker(void **state)
{
	struct workers *ws;
	struct counter c = { 0 };

	assert_int_equal(workers_alloc(&ws, 2), 0);
	assert_int_equal(workers_count(ws), 2);
	c.w = workers_get(ws, 1);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(worker_post(c.w, bump, &c), 0);
	/* A sync call runs after what was posted before it. */
	assert_int_equal(worker_call(c.w, bump, &c), 0);
	assert_int_equal(g_atomic_int_get(&c.n), 1001);
	assert_int_equal(g_atomic_int_get(&c.on_thread), 1001);
	assert_false(worker_is_current(c.w));
	workers_free(ws);
}

struct seq {
	int next;
	int bad;
};

static void seq_check(void *arg)
{
	struct seq *s = arg;

	s->next++;
}

static void test_fifo_and_drain_on_stop(void **state)
{
	struct workers *ws;
	struct seq s = { 0 };

	assert_int_equal(workers_alloc(&ws, 1), 0);
	for (int i = 0; i < 500; i++)
		worker_post(workers_get(ws, 0), seq_check, &s);
	/* Stopping runs what was already posted. */
	workers_free(ws);
	assert_int_equal(s.next, 500);
}

static void test_pick_balances(void **state)
{
	struct workers *ws;
	struct worker *a, *b;

	assert_int_equal(workers_alloc(&ws, 2), 0);
	a = workers_pick(ws);
	worker_load_add(a, 1);
	b = workers_pick(ws);
	assert_ptr_not_equal(a, b);
	worker_load_add(b, 2);
	assert_ptr_equal(workers_pick(ws), a);
	workers_free(ws);
}

static void test_default_count_is_cores(void **state)
{
	struct workers *ws;

	assert_int_equal(workers_alloc(&ws, 0), 0);
	assert_true(workers_count(ws) >= 1);
	workers_free(ws);
	assert_int_not_equal(workers_alloc(&ws, 100000), 0);
}

struct sched_seen {
	int policy;
	int rt_prio;
	int nice;
};

static void sched_read(void *arg)
{
	struct sched_seen *s = arg;
	struct sched_param sp;

	pthread_getschedparam(pthread_self(), &s->policy, &sp);
	s->rt_prio = sp.sched_priority;
	errno = 0;
	s->nice = getpriority(PRIO_PROCESS, (id_t)gettid());
}

static void expect_sched(struct workers *ws, int policy, int rt_prio, int nice)
{
	for (unsigned i = 0; i < workers_count(ws); i++) {
		struct sched_seen s = { -1, -1, 99 };

		assert_int_equal(worker_call(workers_get(ws, i), sched_read, &s), 0);
		assert_int_equal(s.policy, policy);
		assert_int_equal(s.rt_prio, rt_prio);
		if (policy == SCHED_OTHER)
			assert_int_equal(s.nice, nice);
	}
}

/* Each worker's thread takes the priority asked for, and back; the thread
 * that asked is left alone. Needs CAP_SYS_NICE (tests run as root in CI):
 * skipped without it. */
static void test_priority(void **state)
{
	struct workers *ws;
	int err;

	(void)state;
	assert_int_equal(workers_alloc(&ws, 2), 0);
	assert_int_equal(workers_set_priority(ws, (enum worker_priority)7), EINVAL);
	err = workers_set_priority(ws, WORKER_PRIORITY_REALTIME);
	if (err == EPERM) {
		workers_free(ws);
		skip();
	}
	assert_int_equal(err, 0);
	expect_sched(ws, SCHED_RR, 10, 0);
	assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
	assert_int_equal(workers_set_priority(ws, WORKER_PRIORITY_HIGH), 0);
	expect_sched(ws, SCHED_OTHER, 0, -10);
	assert_int_equal(getpriority(PRIO_PROCESS, (id_t)gettid()), 0);
	assert_int_equal(workers_set_priority(ws, WORKER_PRIORITY_NORMAL), 0);
	expect_sched(ws, SCHED_OTHER, 0, 0);
	workers_free(ws);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_post_runs_on_worker),
		cmocka_unit_test(test_fifo_and_drain_on_stop),
		cmocka_unit_test(test_pick_balances),
		cmocka_unit_test(test_default_count_is_cores),
		cmocka_unit_test(test_priority),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
