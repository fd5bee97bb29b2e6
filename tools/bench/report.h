/* report.h - parley-bench's results: per SRTP profile, the server's counters
 * and CPU time over the measured window, the viewers' loss, delay and join
 * times; printed as a table or as JSON. */
#ifndef PARLEY_BENCH_REPORT_H
#define PARLEY_BENCH_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tools/bench/peer.h"
#include "tools/bench/stats.h"

/* The server at one moment: /metrics counters and /proc figures. */
struct server_sample {
	int64_t at_us;
	uint64_t rtp_in, rtp_out, bytes_in, bytes_out, retransmits, send_errors, srtp_errors;
	uint64_t lane_sent, lane_full; /* datagrams sent by another worker (parallel fanout) */
	struct bench_prom_hist fwd_delay; /* parley_forward_delay_seconds */
	bool have_proc;
	double cpu_s;
	double worker_cpu_s[16];  /* parleyd's media workers ("worker-N") */
	unsigned n_workers;
	uint64_t rss_kib;
};

struct run_result {
	char profile_name[32];
	struct server_sample start, end;
	uint64_t rss_before_kib;      /* before any peer joined */
	unsigned viewers, failed;     /* started; could not start */
	unsigned connected, receiving;/* connected; got audio and video */
	uint64_t expected, lost, duplicates, reordered, unmatched, rtx_in;
	uint64_t expected_kind[2], lost_kind[2];
	uint64_t pub_rtp_out, pub_plis, pub_nacks, pub_rtx_out;
	uint64_t nacks_out;           /* NACKs the subscribers sent */
	struct bench_hist delay;      /* over every viewer */
	struct bench_hist join;       /* POST to first media packet, per viewer */
	struct bench_hist join_offer; /* ... to the first subscribe offer (API) */
	struct bench_hist join_conn;  /* ... to ICE + DTLS connected */
	char first_error[160];
};

struct report {
	const char *scenario;
	bool have_proc;
	int subscribers;
	const char *video;
	int packet_size;
	int duration_s;
	int parallel;                 /* join */
	struct run_result *runs[4];
	unsigned n_runs;
};

void report_init(struct report *r, const char *scenario, bool have_proc);
void report_clear(struct report *r);
/* A new run (at most 4), owned by the report. */
struct run_result *report_run_new(struct report *r, const char *profile_name);
/* A subscriber's figures; it counts as receiving when it got at least the
 * wanted number of audio and video streams. */
void report_add_viewer(struct run_result *r, const struct bench_peer_stats *st,
		       unsigned want_audio, unsigned want_video);
void report_add_publisher(struct run_result *r, const struct bench_peer_stats *st);

/* Reads parley_* counters out of a /metrics text into *s. */
void report_parse_metrics(const char *text, struct server_sample *s);

void report_print_table(const struct report *r, FILE *f);
void report_print_json(const struct report *r, FILE *f);

#endif
