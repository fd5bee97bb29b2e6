/* test_bench_stats.c - parley-bench's sequence checker, delay histogram,
 * send-time log and /proc parsers. */
#include <glib.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "tools/bench/stats.h"

static struct bench_seq seq;

static void test_seq_in_order_across_wrap(void **state)
{
	(void)state;
	bench_seq_init(&seq);
	assert_int_equal(bench_seq_expected(&seq), 0);
	for (unsigned i = 0; i < 70000; i++)
		bench_seq_add(&seq, (uint16_t)(65000 + i));
	assert_int_equal(bench_seq_expected(&seq), 70000);
	assert_int_equal(seq.received, 70000);
	assert_int_equal(bench_seq_lost(&seq), 0);
	assert_int_equal(seq.duplicates, 0);
	assert_int_equal(seq.reordered, 0);
}

static void test_seq_loss_duplicates_reordering(void **state)
{
	static const uint16_t in[] = { 10, 11, 13, 12, 12, 16, 17, 11, 20 };

	(void)state;
	bench_seq_init(&seq);
	for (size_t i = 0; i < G_N_ELEMENTS(in); i++)
		bench_seq_add(&seq, in[i]);
	/* 10..20 expected (11), distinct 10,11,12,13,16,17,20 (7): 14,15,18,19 lost */
	assert_int_equal(bench_seq_expected(&seq), 11);
	assert_int_equal(seq.received, 7);
	assert_int_equal(bench_seq_lost(&seq), 4);
	assert_int_equal(seq.duplicates, 2); /* the second 12 and the late 11 */
	assert_int_equal(seq.reordered, 1);  /* 12 after 13 */
	assert_false(bench_seq_has(&seq, 14));
	assert_true(bench_seq_has(&seq, 13));
	assert_false(bench_seq_has(&seq, 21)); /* not yet */
	assert_false(bench_seq_has(&seq, 9));  /* before the first */
	/* A late packet that fills a gap is no longer lost. */
	bench_seq_add(&seq, 14);
	assert_int_equal(bench_seq_lost(&seq), 3);
	assert_true(bench_seq_has(&seq, 14));
	/* Older than the first packet: ignored. */
	bench_seq_add(&seq, 5);
	assert_int_equal(bench_seq_lost(&seq), 3);
	assert_int_equal(seq.received, 8);
}

static void test_seq_before_the_first_at_zero(void **state)
{
	(void)state;
	bench_seq_init(&seq);
	bench_seq_add(&seq, 0);
	bench_seq_add(&seq, 65535); /* one before the first: no wrap below zero */
	assert_int_equal(seq.received, 1);
	assert_int_equal(seq.reordered, 0);
	assert_int_equal(bench_seq_expected(&seq), 1);
}

static void test_seq_big_jump_forgets_old_window(void **state)
{
	(void)state;
	bench_seq_init(&seq);
	bench_seq_add(&seq, 0);
	bench_seq_add(&seq, 1);
	/* a jump of exactly the window: slot 1 + 4096 aliases slot 1 */
	bench_seq_add(&seq, (uint16_t)(1 + BENCH_SEQ_WINDOW));
	bench_seq_add(&seq, (uint16_t)(2 + BENCH_SEQ_WINDOW));
	assert_int_equal(seq.duplicates, 0);
	assert_int_equal(seq.received, 4);
	assert_int_equal(bench_seq_lost(&seq), BENCH_SEQ_WINDOW + 3 - 4);
}

static void test_hist_percentiles(void **state)
{
	struct bench_hist *h = g_new(struct bench_hist, 1), *h2 = g_new(struct bench_hist, 1);

	(void)state;
	bench_hist_init(h);
	assert_int_equal(bench_hist_percentile(h, 50), 0);
	for (int64_t v = 1; v <= 100; v++)
		bench_hist_add(h, v); /* exact below 128 */
	assert_int_equal(bench_hist_percentile(h, 50), 50);
	assert_int_equal(bench_hist_percentile(h, 99), 99);
	assert_int_equal(bench_hist_percentile(h, 100), 100);
	assert_int_equal(bench_hist_percentile(h, 0), 1);
	assert_int_equal(h->max_us, 100);
	/* Large values: within 1.6% below the value. */
	bench_hist_init(h2);
	for (int i = 0; i < 1000; i++)
		bench_hist_add(h2, 250000);
	bench_hist_add(h2, -5); /* counts as 0 */
	assert_true(bench_hist_percentile(h2, 50) <= 250000);
	assert_true(bench_hist_percentile(h2, 50) >= 250000 * 0.984);
	assert_int_equal(bench_hist_percentile(h2, 0.01), 0);
	bench_hist_add(h2, (int64_t)1 << 40); /* beyond the range: last bucket */
	assert_int_equal(h2->max_us, (int64_t)1 << 40);
	bench_hist_merge(h, h2);
	assert_int_equal(h->count, 1102);
	assert_true(bench_hist_percentile(h, 50) >= 246000);
	g_free(h);
	g_free(h2);
}

/* parleyd's parley_forward_delay_seconds as /metrics gives it, read twice. */
static void test_prom_histogram(void **state)
{
	const char *before = "# HELP x_seconds y\n# TYPE x_seconds histogram\n"
			     "x_seconds_bucket{le=\"0.0001\"} 10\n"
			     "x_seconds_bucket{le=\"0.0005\"} 10\n"
			     "x_seconds_bucket{le=\"0.001\"} 10\n"
			     "x_seconds_bucket{le=\"+Inf\"} 10\n"
			     "x_seconds_sum 0.0005\nx_seconds_count 10\nother_bucket{le=\"1\"} 4\n";
	/* 100 more: 50 up to 100 us, 40 in (100, 500], 9 in (500, 1000], 1 above */
	const char *after = "x_seconds_bucket{le=\"0.0001\"} 60\n"
			    "x_seconds_bucket{le=\"0.0005\"} 100\n"
			    "x_seconds_bucket{le=\"0.001\"} 109\n"
			    "x_seconds_bucket{le=\"+Inf\"} 110\n";
	struct bench_prom_hist a, b, bad;
	uint64_t n = 0;

	(void)state;
	assert_int_equal(bench_prom_hist_parse(before, "x_seconds", &a), 4);
	assert_int_equal(bench_prom_hist_parse(after, "x_seconds", &b), 4);
	assert_true(isinf(b.le_s[3]));
	assert_int_equal(b.count[2], 109);
	/* p50: the 50th of 100, the top of the first bucket */
	assert_int_equal(bench_prom_percentile(&a, &b, 50, &n), 100);
	assert_int_equal(n, 100);
	/* p70: the 20th of 40 in (100, 500] -> halfway */
	assert_int_equal(bench_prom_percentile(&a, &b, 70, &n), 300);
	/* p99: the last of (500, 1000] */
	assert_int_equal(bench_prom_percentile(&a, &b, 99, &n), 1000);
	/* p100: in +Inf, which reads as the last finite bound */
	assert_int_equal(bench_prom_percentile(&a, &b, 100, &n), 1000);
	/* nothing added, or readings that do not match: -1 */
	assert_int_equal(bench_prom_percentile(&a, &a, 50, &n), -1);
	assert_int_equal(n, 0);
	assert_int_equal(bench_prom_percentile(&b, &a, 50, &n), -1); /* went back */
	assert_int_equal(bench_prom_hist_parse(after, "y_seconds", &bad), 0);
	assert_int_equal(bench_prom_percentile(&a, &bad, 50, &n), -1);
	/* malformed: no histogram at all */
	assert_int_equal(bench_prom_hist_parse("x_seconds_bucket{le=\"abc\"} 1\n", "x_seconds", &bad), 0);
	assert_int_equal(bench_prom_hist_parse("x_seconds_bucket{le=\"0.1\"} 1\n"
					       "x_seconds_bucket{le=\"0.1\"} 1\n", "x_seconds", &bad), 0);
	assert_int_equal(bench_prom_hist_parse("x_seconds_bucket{le=\"0.1\" 1\n", "x_seconds", &bad), 0);
	assert_int_equal(bench_prom_hist_parse("", "x_seconds", &bad), 0);
	/* bounds that are not a histogram's: NaN, negative, beyond 1e6 s,
	 * +Inf before the last; counts going down */
	assert_int_equal(bench_prom_hist_parse("x_seconds_bucket{le=\"nan\"} 1\n", "x_seconds", &bad), 0);
	assert_int_equal(bench_prom_hist_parse("x_seconds_bucket{le=\"-0.5\"} 1\n", "x_seconds", &bad), 0);
	assert_int_equal(bench_prom_hist_parse("x_seconds_bucket{le=\"1e300\"} 1\n", "x_seconds", &bad), 0);
	assert_int_equal(bench_prom_hist_parse("x_seconds_bucket{le=\"+Inf\"} 1\n"
					       "x_seconds_bucket{le=\"1\"} 1\n", "x_seconds", &bad), 0);
	assert_int_equal(bench_prom_hist_parse("x_seconds_bucket{le=\"0.1\"} 5\n"
					       "x_seconds_bucket{le=\"0.2\"} 4\n", "x_seconds", &bad), 0);
	/* readings of another histogram (other bounds), or a bucket that went
	 * down between the readings: -1 */
	{
		struct bench_prom_hist other = b;

		other.le_s[1] = 0.0004;
		assert_int_equal(bench_prom_percentile(&a, &other, 50, &n), -1);
		other = b;
		other.count[0] = 5; /* below a's 10 */
		assert_int_equal(bench_prom_percentile(&a, &other, 50, &n), -1);
	}
	{
		GString *many = g_string_new(NULL);

		for (int i = 1; i <= BENCH_PROM_BUCKETS + 1; i++)
			g_string_append_printf(many, "x_seconds_bucket{le=\"%d\"} %d\n", i, i);
		assert_int_equal(bench_prom_hist_parse(many->str, "x_seconds", &bad), 0);
		g_string_free(many, TRUE);
	}
}

static void test_sendlog(void **state)
{
	struct bench_sendlog *l = g_new(struct bench_sendlog, 1);
	int64_t us;

	(void)state;
	bench_sendlog_init(l);
	assert_false(bench_sendlog_get(l, 0, &us));
	assert_false(bench_sendlog_get(l, 7, &us));
	bench_sendlog_put(l, 7, 123456789);
	assert_true(bench_sendlog_get(l, 7, &us));
	assert_int_equal(us, 123456789);
	/* A newer packet in the same slot replaces it. */
	bench_sendlog_put(l, (uint16_t)(7 + BENCH_SENDLOG_SIZE), 5);
	assert_false(bench_sendlog_get(l, 7, &us));
	assert_true(bench_sendlog_get(l, (uint16_t)(7 + BENCH_SENDLOG_SIZE), &us));
	assert_int_equal(us, 5);
	bench_sendlog_put(l, 0, 0);
	assert_true(bench_sendlog_get(l, 0, &us));
	assert_int_equal(us, 0);
	g_free(l);
}

static void test_proc_parsers(void **state)
{
	double s = 0;
	uint64_t kib = 0;

	(void)state;
	assert_int_equal(bench_proc_parse_stat("42 (par ley) d) S 1 42 42 0 -1 4194560 100 0 0 0 "
					       "250 50 0 0 20 0 3 0 100 1000 200",
					       100, &s),
			 0);
	assert_true(s > 2.99 && s < 3.01);
	assert_int_equal(bench_proc_parse_stat("42 parleyd S 1", 100, &s), EBADMSG);
	assert_int_equal(bench_proc_parse_stat("42 (x) S 1 2", 100, &s), EBADMSG);
	assert_int_equal(bench_proc_parse_status("Name:\tparleyd\nVmPeak:\t 9 kB\nVmRSS:\t  20480 kB\n",
						 &kib),
			 0);
	assert_int_equal(kib, 20480);
	assert_int_equal(bench_proc_parse_status("Name:\tx\n", &kib), EBADMSG);
	/* This process. */
	assert_int_equal(bench_proc_cpu(getpid(), &s), 0);
	assert_int_equal(bench_proc_rss_kib(getpid(), &kib), 0);
	assert_true(kib > 0);
	assert_int_equal(bench_proc_cpu(0x7ffffff0, &s), ENOENT);
}

/* Threads named like parleyd's media workers, found by index in this
 * process's /proc/self/task, one of them having used some CPU. */
static GMutex park_lock;
static GCond park_cond;
static bool park_open;
static gint burnt;

static gpointer park(gpointer data)
{
	if (data) { /* use 50 ms of CPU first (of its own, whatever the load) */
		volatile unsigned long x = 0;
		struct timespec ts;

		do {
			for (int i = 0; i < 100000; i++)
				x++;
			clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
		} while (ts.tv_sec == 0 && ts.tv_nsec < 50000000);
		g_atomic_int_set(&burnt, 1);
	}
	g_mutex_lock(&park_lock);
	while (!park_open)
		g_cond_wait(&park_cond, &park_lock);
	g_mutex_unlock(&park_lock);
	return NULL;
}

static void test_proc_threads(void **state)
{
	GThread *w0 = g_thread_new("worker-0", park, NULL);
	GThread *w2 = g_thread_new("worker-2", park, (gpointer)1);
	GThread *other = g_thread_new("worker-x", park, NULL);
	double s[4] = { -1, -1, -1, -1 };
	unsigned n = 99;

	(void)state;
	while (!g_atomic_int_get(&burnt))
		g_usleep(1000);
	assert_int_equal(bench_proc_threads_cpu(getpid(), "worker-", s, 4, &n), 0);
	assert_int_equal(n, 3);            /* worker-0 .. worker-2; worker-x is not one */
	assert_true(s[0] >= 0 && s[0] < 0.05);
	assert_true(s[1] == 0);            /* no worker-1 */
	assert_true(s[2] > 0);             /* it used 50 ms */
	assert_true(s[3] == 0);
	assert_int_equal(bench_proc_threads_cpu(getpid(), "nosuch-", s, 4, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(bench_proc_threads_cpu(0x7ffffff0, "worker-", s, 4, &n), ENOENT);
	g_mutex_lock(&park_lock);
	park_open = true;
	g_cond_broadcast(&park_cond);
	g_mutex_unlock(&park_lock);
	g_thread_join(w0);
	g_thread_join(w2);
	g_thread_join(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seq_in_order_across_wrap),
		cmocka_unit_test(test_seq_loss_duplicates_reordering),
		cmocka_unit_test(test_seq_before_the_first_at_zero),
		cmocka_unit_test(test_seq_big_jump_forgets_old_window),
		cmocka_unit_test(test_hist_percentiles),
		cmocka_unit_test(test_prom_histogram),
		cmocka_unit_test(test_sendlog),
		cmocka_unit_test(test_proc_threads),
		cmocka_unit_test(test_proc_parsers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
