/* fuzz_metrics.c - libFuzzer target for what parley-bench reads out of a
 * server's /metrics text (tools/bench/report.c, tools/bench/stats.c): the
 * counters and the parley_forward_delay_seconds histogram.
 *
 * The input, as text, is cut in two at its first empty line: the first
 * half is the reading before, the second the reading after (no empty
 * line: the same text twice). A histogram read must have ascending bounds
 * from 0 and counts that do not go down; a percentile between two readings
 * must be -1 or within the histogram's finite bounds (abort otherwise). */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools/bench/report.h"
#include "tools/bench/stats.h"
#include "tests/fuzz/fuzz.h"

static void check_hist(const struct bench_prom_hist *h)
{
	CHECK(h->n <= BENCH_PROM_BUCKETS);
	CHECK(!h->n || h->le_s[0] >= 0);
	for (unsigned i = 1; i < h->n; i++)
		CHECK(h->le_s[i] > h->le_s[i - 1] && h->count[i] >= h->count[i - 1]);
}

static void check_percentiles(const struct bench_prom_hist *a, const struct bench_prom_hist *b)
{
	static const double ps[] = { 0, 0.5, 50, 95, 99, 100 };
	double top = 0;

	for (unsigned i = 0; i < b->n; i++)
		if (!isinf(b->le_s[i]) && b->le_s[i] > top)
			top = b->le_s[i];
	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		uint64_t n = 0;
		int64_t v = bench_prom_percentile(a, b, ps[i], &n);

		if (v == -1)
			continue;
		CHECK(n > 0);
		CHECK(v >= 0 && (double)v <= top * 1e6 + 1); /* inside [0, top] */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *cut;
	struct server_sample before, after;
	const char *second = text;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	cut = strstr(text, "\n\n");
	if (cut) {
		cut[1] = '\0';
		second = cut + 2;
	}

	memset(&before, 0, sizeof(before));
	memset(&after, 0, sizeof(after));
	report_parse_metrics(text, &before);
	report_parse_metrics(second, &after);
	check_hist(&before.fwd_delay);
	check_hist(&after.fwd_delay);
	check_percentiles(&before.fwd_delay, &after.fwd_delay);
	check_percentiles(&after.fwd_delay, &after.fwd_delay);
	free(text);
	return 0;
}
