/* stats.c - see stats.h. */
#include "tools/bench/stats.h"

#include <errno.h>
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- sequence checking ---------------------------------------------------- */

void bench_seq_init(struct bench_seq *s)
{
	memset(s, 0, sizeof(*s));
}

static bool seen_test_set(struct bench_seq *s, uint64_t ext)
{
	uint64_t i = ext % BENCH_SEQ_WINDOW, bit = 1ull << (i % 64);
	bool was = (s->seen[i / 64] & bit) != 0;

	s->seen[i / 64] |= bit;
	return was;
}

static void seen_clear(struct bench_seq *s, uint64_t ext)
{
	uint64_t i = ext % BENCH_SEQ_WINDOW;

	s->seen[i / 64] &= ~(1ull << (i % 64));
}

void bench_seq_add(struct bench_seq *s, uint16_t seq)
{
	uint64_t ext_max, ext;
	uint16_t delta;

	if (!s->started) {
		s->started = true;
		s->max_seq = seq;
		s->base = seq;
		s->received = 1;
		seen_test_set(s, seq);
		return;
	}
	ext_max = s->cycles + s->max_seq;
	delta = (uint16_t)(seq - s->max_seq);
	if (delta != 0 && delta < 0x8000) { /* newer */
		ext = ext_max + delta;
		/* forget what the window held for the numbers skipped */
		for (uint64_t x = ext_max + 1; x < ext && x < ext_max + BENCH_SEQ_WINDOW; x++)
			seen_clear(s, x);
		seen_clear(s, ext);
		if (seq < s->max_seq)
			s->cycles += 65536;
		s->max_seq = seq;
	} else { /* the same or older */
		uint16_t dist = (uint16_t)(s->max_seq - seq);

		if (dist > ext_max - s->base)
			return; /* before the first: late, not counted */
		ext = ext_max - dist;
		if (ext_max - ext < BENCH_SEQ_WINDOW && seen_test_set(s, ext)) {
			s->duplicates++;
			return;
		}
		s->reordered++;
		s->received++;
		return;
	}
	seen_test_set(s, ext);
	s->received++;
}

bool bench_seq_has(const struct bench_seq *s, uint16_t seq)
{
	uint64_t ext_max = s->cycles + s->max_seq, ext, i;
	uint16_t dist = (uint16_t)(s->max_seq - seq);

	if (!s->started || dist >= 0x8000 || dist > ext_max - s->base || dist >= BENCH_SEQ_WINDOW)
		return false; /* newer than the highest, before the first, or forgotten */
	ext = ext_max - dist;
	i = ext % BENCH_SEQ_WINDOW;
	return (s->seen[i / 64] >> (i % 64)) & 1;
}

uint64_t bench_seq_expected(const struct bench_seq *s)
{
	return s->started ? s->cycles + s->max_seq - s->base + 1 : 0;
}

uint64_t bench_seq_lost(const struct bench_seq *s)
{
	uint64_t e = bench_seq_expected(s);

	return e > s->received ? e - s->received : 0;
}

/* --- delay histogram ------------------------------------------------------ */

void bench_hist_init(struct bench_hist *h)
{
	memset(h, 0, sizeof(*h));
}

static unsigned bucket_of(uint64_t v)
{
	unsigned e;

	if (v < 128)
		return (unsigned)v;
	if (v >= (1ull << 31))
		return BENCH_HIST_BUCKETS - 1;
	e = 63u - (unsigned)__builtin_clzll(v); /* 7..30 */
	return 128 + (e - 7) * 64 + (unsigned)((v >> (e - 6)) & 63);
}

static int64_t bucket_low(unsigned b)
{
	unsigned e, sub;

	if (b < 128)
		return b;
	e = 7 + (b - 128) / 64;
	sub = (b - 128) % 64;
	return (int64_t)((64ull + sub) << (e - 6));
}

void bench_hist_add(struct bench_hist *h, int64_t us)
{
	uint64_t v = us > 0 ? (uint64_t)us : 0;

	h->b[bucket_of(v)]++;
	h->count++;
	h->sum_us += v;
	if ((int64_t)v > h->max_us)
		h->max_us = (int64_t)v;
}

void bench_hist_merge(struct bench_hist *into, const struct bench_hist *from)
{
	for (unsigned i = 0; i < BENCH_HIST_BUCKETS; i++)
		into->b[i] += from->b[i];
	into->count += from->count;
	into->sum_us += from->sum_us;
	if (from->max_us > into->max_us)
		into->max_us = from->max_us;
}

int64_t bench_hist_percentile(const struct bench_hist *h, double p)
{
	uint64_t rank, acc = 0;

	if (!h->count)
		return 0;
	if (p <= 0)
		p = 0;
	if (p > 100)
		p = 100;
	/* the smallest value with at least p% of the values at or below it */
	rank = (uint64_t)((p / 100.0) * (double)h->count + 0.999999);
	if (rank == 0)
		rank = 1;
	for (unsigned i = 0; i < BENCH_HIST_BUCKETS; i++) {
		acc += h->b[i];
		if (acc >= rank)
			return bucket_low(i);
	}
	return h->max_us;
}

/* --- a Prometheus histogram ------------------------------------------------- */

unsigned bench_prom_hist_parse(const char *text, const char *name, struct bench_prom_hist *h)
{
	char prefix[128];
	size_t n;

	memset(h, 0, sizeof(*h));
	n = (size_t)g_snprintf(prefix, sizeof(prefix), "%s_bucket{le=\"", name);
	if (n >= sizeof(prefix))
		return 0;
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		char *end;
		double le;

		if (strncmp(p, prefix, n) != 0)
			continue;
		uint64_t count;

		le = g_ascii_strtod(p + n, &end);
		/* bounds: ascending, from 0 up to BENCH_PROM_MAX_S or +Inf (which
		 * can only be last); counts: cumulative. Anything else is not a
		 * histogram we can read. */
		if (end == p + n || strncmp(end, "\"} ", 3) != 0 || h->n == BENCH_PROM_BUCKETS ||
		    !(le >= 0) || (!isinf(le) && le > BENCH_PROM_MAX_S) ||
		    (h->n && !(le > h->le_s[h->n - 1])))
			return h->n = 0;
		count = g_ascii_strtoull(end + 3, NULL, 10);
		if (h->n && count < h->count[h->n - 1])
			return h->n = 0;
		h->le_s[h->n] = le;
		h->count[h->n] = count;
		h->n++;
	}
	return h->n;
}

int64_t bench_prom_percentile(const struct bench_prom_hist *a, const struct bench_prom_hist *b,
			      double p, uint64_t *samples)
{
	uint64_t total, want, prev = 0;
	double lo = 0;

	*samples = 0;
	if (!b->n || a->n != b->n)
		return -1;
	for (unsigned i = 0; i < b->n; i++) /* the same histogram, later */
		if (a->le_s[i] != b->le_s[i] || b->count[i] < a->count[i])
			return -1;
	total = b->count[b->n - 1] - a->count[a->n - 1];
	*samples = total;
	if (!total)
		return -1;
	want = (uint64_t)((double)total * p / 100.0 + 0.5);
	if (want < 1)
		want = 1;
	for (unsigned i = 0; i < b->n; i++) {
		uint64_t c = b->count[i] - a->count[i];

		if (c >= want) {
			if (isinf(b->le_s[i]))
				return (int64_t)(lo * 1e6);
			/* linear inside (lo, le] */
			return (int64_t)((lo + (b->le_s[i] - lo) * (double)(want - prev) /
						     (double)(c - prev)) * 1e6 + 0.5);
		}
		prev = c;
		lo = b->le_s[i];
	}
	return (int64_t)(lo * 1e6);
}

/* --- send times ------------------------------------------------------------- */

#define US_MASK ((1ull << 48) - 1)

void bench_sendlog_init(struct bench_sendlog *l)
{
	/* seq 0 with time "all ones" marks an empty entry */
	for (size_t i = 0; i < BENCH_SENDLOG_SIZE; i++)
		l->e[i] = US_MASK;
}

void bench_sendlog_put(struct bench_sendlog *l, uint16_t seq, int64_t us)
{
	uint64_t v = ((uint64_t)seq << 48) | ((uint64_t)us & US_MASK);

	__atomic_store_n(&l->e[seq % BENCH_SENDLOG_SIZE], v, __ATOMIC_RELAXED);
}

bool bench_sendlog_get(const struct bench_sendlog *l, uint16_t seq, int64_t *us)
{
	uint64_t v = __atomic_load_n(&l->e[seq % BENCH_SENDLOG_SIZE], __ATOMIC_RELAXED);

	if ((v & US_MASK) == US_MASK || (uint16_t)(v >> 48) != seq)
		return false;
	*us = (int64_t)(v & US_MASK);
	return true;
}

/* --- a process, from /proc -------------------------------------------------- */

int bench_proc_parse_stat(const char *text, long ticks_per_s, double *seconds)
{
	/* "pid (comm) state ppid ...": comm may hold spaces and parentheses,
	 * so fields are counted from the last ')'; utime and stime are fields
	 * 14 and 15, the 12th and 13th after the state. */
	const char *p = strrchr(text, ')');
	unsigned long long ut, st;
	char state;

	if (!p || ticks_per_s <= 0)
		return EBADMSG;
	if (sscanf(p + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &state, &ut,
		   &st) != 3)
		return EBADMSG;
	*seconds = (double)(ut + st) / (double)ticks_per_s;
	return 0;
}

int bench_proc_parse_status(const char *text, uint64_t *kib)
{
	const char *p = strstr(text, "\nVmRSS:");
	unsigned long long v;

	if (!p || sscanf(p + 7, " %llu kB", &v) != 1)
		return EBADMSG;
	*kib = v;
	return 0;
}

static int proc_read(pid_t pid, const char *file, char **text)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, file);
	return g_file_get_contents(path, text, NULL, NULL) ? 0 : ENOENT;
}

int bench_proc_cpu(pid_t pid, double *seconds)
{
	char *text = NULL;
	int err = proc_read(pid, "stat", &text);

	if (!err)
		err = bench_proc_parse_stat(text, sysconf(_SC_CLK_TCK), seconds);
	g_free(text);
	return err;
}

int bench_proc_threads_cpu(pid_t pid, const char *prefix, double *seconds, unsigned max,
			   unsigned *n)
{
	char path[64];
	GDir *dir;
	const char *tid;
	size_t plen = strlen(prefix);

	*n = 0;
	for (unsigned i = 0; i < max; i++)
		seconds[i] = 0;
	snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
	dir = g_dir_open(path, 0, NULL);
	if (!dir)
		return ENOENT;
	while ((tid = g_dir_read_name(dir))) {
		char *comm = NULL, *stat = NULL, *file;
		double s;

		file = g_strdup_printf("%s/%s/comm", path, tid);
		if (g_file_get_contents(file, &comm, NULL, NULL) && !strncmp(comm, prefix, plen)) {
			char *end;
			unsigned long i = strtoul(comm + plen, &end, 10);

			g_free(file);
			file = g_strdup_printf("%s/%s/stat", path, tid);
			if (end != comm + plen && (*end == '\n' || !*end) && i < max &&
			    g_file_get_contents(file, &stat, NULL, NULL) &&
			    bench_proc_parse_stat(stat, sysconf(_SC_CLK_TCK), &s) == 0) {
				seconds[i] = s;
				if (i + 1 > *n)
					*n = (unsigned)i + 1;
			}
		}
		g_free(file);
		g_free(comm);
		g_free(stat);
	}
	g_dir_close(dir);
	return 0;
}

int bench_proc_rss_kib(pid_t pid, uint64_t *kib)
{
	char *text = NULL;
	int err = proc_read(pid, "status", &text);

	if (!err)
		err = bench_proc_parse_status(text, kib);
	g_free(text);
	return err;
}
