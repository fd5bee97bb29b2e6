/* test_worker.c - media worker threads: posting, ordering, sync calls, stop. */
#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/base/worker.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_post_runs_on_worker),
		cmocka_unit_test(test_fifo_and_drain_on_stop),
		cmocka_unit_test(test_pick_balances),
		cmocka_unit_test(test_default_count_is_cores),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
