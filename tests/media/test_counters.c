/* test_counters.c - the media counters' forwarding-delay histogram: bucket
 * edges, the sum and count, a copy counted only while a packet is being
 * forwarded, and blocks of several threads summed. */
#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/base/counters.h"

static void test_buckets(void **state)
{
	struct media_counters a, b;
	/* value -> the bucket it lands in */
	const struct { int64_t us; unsigned bucket; } cases[] = {
		{ -7, 0 }, { 0, 0 }, { 50, 0 }, { 51, 1 }, { 100, 1 }, { 101, 2 },
		{ 999, 6 }, { 1000, 6 }, { 1001, 7 }, { 250000, MEDIA_DELAY_BUCKETS - 1 },
		{ 250001, MEDIA_DELAY_BUCKETS }, { INT64_C(1) << 40, MEDIA_DELAY_BUCKETS },
	};

	(void)state;
	for (unsigned i = 1; i < MEDIA_DELAY_BUCKETS; i++)
		assert_true(media_delay_bounds_us[i] > media_delay_bounds_us[i - 1]);
	assert_int_equal(media_delay_bounds_us[6], 1000);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		media_counters_sum(&a);
		media_delay_add(cases[i].us);
		media_counters_sum(&b);
		for (unsigned k = 0; k <= MEDIA_DELAY_BUCKETS; k++)
			assert_int_equal(b.fwd_delay[k] - a.fwd_delay[k], k == cases[i].bucket);
		assert_int_equal(b.fwd_delay_us - a.fwd_delay_us, cases[i].us < 0 ? 0 : cases[i].us);
		assert_int_equal(media_delay_count(&b) - media_delay_count(&a), 1);
	}
}

/* media_delay_sent counts only while an arrival is set (a packet is being
 * forwarded), from that arrival. */
static void test_sent_while_forwarding(void **state)
{
	struct media_counters a, b;

	(void)state;
	media_counters_sum(&a);
	media_arrival_set(0);
	media_delay_sent();
	media_counters_sum(&b);
	assert_int_equal(media_delay_count(&b), media_delay_count(&a));

	media_arrival_set(g_get_real_time() - 2500);
	assert_true(media_arrival() > 0);
	media_delay_sent();
	media_delay_sent();
	media_arrival_set(0);
	media_counters_sum(&b);
	assert_int_equal(media_delay_count(&b) - media_delay_count(&a), 2);
	/* 2.5 ms ago: above the 2 ms bound */
	for (unsigned k = 0; k <= MEDIA_DELAY_BUCKETS; k++)
		if (k < MEDIA_DELAY_BUCKETS && media_delay_bounds_us[k] <= 2000)
			assert_int_equal(b.fwd_delay[k], a.fwd_delay[k]);
	assert_true(b.fwd_delay_us - a.fwd_delay_us >= 5000);
}

static gpointer add_some(gpointer arg)
{
	(void)arg;
	assert_int_equal(media_arrival(), 0); /* per thread */
	for (int i = 0; i < 1000; i++)
		media_delay_add(10);
	return NULL;
}

static void test_threads_summed(void **state)
{
	struct media_counters a, b;
	GThread *t[3];

	(void)state;
	media_arrival_set(12345); /* this thread's, not theirs */
	media_counters_sum(&a);
	for (int i = 0; i < 3; i++)
		t[i] = g_thread_new("adder", add_some, NULL);
	for (int i = 0; i < 3; i++)
		g_thread_join(t[i]);
	media_counters_sum(&b);
	assert_int_equal(b.fwd_delay[0] - a.fwd_delay[0], 3000);
	assert_int_equal(b.fwd_delay_us - a.fwd_delay_us, 30000);
	media_arrival_set(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_sent_while_forwarding),
		cmocka_unit_test(test_threads_summed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
