/* stats.h - what parley-bench measures: a receiver's sequence checker
 * (loss, duplicates, reordering), a delay histogram with percentiles, the
 * send-time log that matches a received packet to when it was sent, and a
 * process's CPU time and memory read from /proc. Plain values, no
 * allocation after init; each is used on one thread except bench_sendlog
 * (written by the sender's thread, read by receivers' threads). */
#ifndef PARLEY_BENCH_STATS_H
#define PARLEY_BENCH_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* --- sequence checking ---------------------------------------------------- */

#define BENCH_SEQ_WINDOW 4096 /* packets back that duplicates are detected for */

struct bench_seq {
	bool started;
	uint16_t max_seq;
	uint64_t cycles;        /* 65536 per wrap */
	uint64_t base;          /* extended first sequence number */
	uint64_t received;      /* distinct packets */
	uint64_t duplicates;
	uint64_t reordered;     /* arrived after a later one */
	uint64_t seen[BENCH_SEQ_WINDOW / 64]; /* bit per extended seq, modulo the window */
};

void bench_seq_init(struct bench_seq *s);
void bench_seq_add(struct bench_seq *s, uint16_t seq);
/* Packets from the first to the highest seen (0 before the first). */
uint64_t bench_seq_expected(const struct bench_seq *s);
/* expected - received, never negative. */
uint64_t bench_seq_lost(const struct bench_seq *s);
/* True when `seq` (within the window behind the highest) has been received. */
bool bench_seq_has(const struct bench_seq *s, uint16_t seq);

/* --- delay histogram ------------------------------------------------------ */

/* Microsecond values, exact below 128 us, then 64 steps per power of two
 * (under 1.6% error), up to 2^31 us. */
#define BENCH_HIST_BUCKETS (128 + 25 * 64)

struct bench_hist {
	uint64_t count;
	uint64_t sum_us;
	int64_t max_us;
	uint64_t b[BENCH_HIST_BUCKETS];
};

void bench_hist_init(struct bench_hist *h);
/* Adds a value (negative counts as 0). */
void bench_hist_add(struct bench_hist *h, int64_t us);
void bench_hist_merge(struct bench_hist *into, const struct bench_hist *from);
/* The value at percentile p (0..100): the lower edge of its bucket; 0 when empty. */
int64_t bench_hist_percentile(const struct bench_hist *h, double p);

/* --- a Prometheus histogram ------------------------------------------------- */

/* Cumulative buckets as /metrics gives them (upper bounds ascending, the
 * last may be +Inf). */
#define BENCH_PROM_BUCKETS 32
#define BENCH_PROM_MAX_S 1e6 /* the largest finite bound read (seconds) */

struct bench_prom_hist {
	unsigned n;
	double le_s[BENCH_PROM_BUCKETS];     /* upper bound, seconds */
	uint64_t count[BENCH_PROM_BUCKETS];  /* values <= le_s[i] */
};

/* Reads `name`_bucket{le="..."} lines out of a /metrics text. Returns the
 * number of buckets read; 0 when the server has no such histogram, or none
 * that reads as one (bounds ascending from 0 to BENCH_PROM_MAX_S or +Inf
 * last, counts not decreasing, at most BENCH_PROM_BUCKETS). */
unsigned bench_prom_hist_parse(const char *text, const char *name, struct bench_prom_hist *h);

/* Percentile p (0..100) in microseconds of what was added between two
 * readings of one histogram, interpolated inside its bucket; a value in the
 * +Inf bucket reads as the last finite bound. Sets *samples; returns -1
 * when nothing was added or the readings are not of one histogram (other
 * bounds, or a count that went down). */
int64_t bench_prom_percentile(const struct bench_prom_hist *a, const struct bench_prom_hist *b,
			      double p, uint64_t *samples);

/* --- send times ------------------------------------------------------------- */

#define BENCH_SENDLOG_SIZE 16384 /* power of two: ~16 s of 1000 packets/s */

/* When each recent packet of one stream was sent, by sequence number. One
 * writer thread, any number of reader threads (one atomic word per entry). */
struct bench_sendlog {
	uint64_t e[BENCH_SENDLOG_SIZE]; /* seq << 48 | send time in us (48 bits) */
};

void bench_sendlog_init(struct bench_sendlog *l);
/* `us` must be >= 0 and < 2^48 (time since the bench started). */
void bench_sendlog_put(struct bench_sendlog *l, uint16_t seq, int64_t us);
/* The send time of `seq` if it is still in the log. */
bool bench_sendlog_get(const struct bench_sendlog *l, uint16_t seq, int64_t *us);

/* --- a process, from /proc -------------------------------------------------- */

/* User + system CPU seconds of process `pid` (all its threads). Returns 0,
 * ENOENT (no such process) or EBADMSG (unreadable stat line). */
int bench_proc_cpu(pid_t pid, double *seconds);
/* Resident memory in KiB (VmRSS). Returns 0, ENOENT or EBADMSG. */
int bench_proc_rss_kib(pid_t pid, uint64_t *kib);
/* CPU seconds of the threads of `pid` whose name starts with `prefix`
 * (parleyd's media workers are "worker-0", "worker-1", ...), in the order of
 * their index: seconds[i] for "<prefix>i", up to `max`; *n is one more than
 * the highest index found (0: none). Returns 0 or ENOENT. */
int bench_proc_threads_cpu(pid_t pid, const char *prefix, double *seconds, unsigned max,
			   unsigned *n);
/* Parsers of the two files' text, for tests. */
int bench_proc_parse_stat(const char *text, long ticks_per_s, double *seconds);
int bench_proc_parse_status(const char *text, uint64_t *kib);

#endif
