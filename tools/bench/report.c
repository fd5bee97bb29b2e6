/* report.c - see report.h. */
#include "tools/bench/report.h"

#include <glib.h>
#include <jansson.h>
#include <string.h>

void report_init(struct report *r, const char *scenario, bool have_proc)
{
	memset(r, 0, sizeof(*r));
	r->scenario = scenario;
	r->have_proc = have_proc;
}

void report_clear(struct report *r)
{
	for (unsigned i = 0; i < r->n_runs; i++)
		g_free(r->runs[i]);
	r->n_runs = 0;
}

struct run_result *report_run_new(struct report *r, const char *profile_name)
{
	struct run_result *run;

	if (r->n_runs == G_N_ELEMENTS(r->runs))
		return NULL;
	run = g_new0(struct run_result, 1);
	g_strlcpy(run->profile_name, profile_name, sizeof(run->profile_name));
	bench_hist_init(&run->delay);
	bench_hist_init(&run->join);
	bench_hist_init(&run->join_offer);
	bench_hist_init(&run->join_conn);
	r->runs[r->n_runs++] = run;
	return run;
}

void report_add_viewer(struct run_result *r, const struct bench_peer_stats *st,
		       unsigned want_audio, unsigned want_video)
{
	r->viewers++;
	r->connected += st->connected;
	if (st->streams[BENCH_AUDIO] >= want_audio && st->streams[BENCH_VIDEO] >= want_video)
		r->receiving++;
	r->expected += st->expected;
	r->lost += st->lost;
	r->duplicates += st->duplicates;
	for (int k = 0; k < 2; k++) {
		r->expected_kind[k] += st->expected_kind[k];
		r->lost_kind[k] += st->lost_kind[k];
	}
	r->reordered += st->reordered;
	r->unmatched += st->unmatched;
	r->rtx_in += st->rtx_in;
	r->nacks_out += st->nacks_out;
	bench_hist_merge(&r->delay, &st->delay);
	if (st->join_us >= 0)
		bench_hist_add(&r->join, st->join_us);
	if (st->offer_us >= 0)
		bench_hist_add(&r->join_offer, st->offer_us);
	if (st->connected_us >= 0)
		bench_hist_add(&r->join_conn, st->connected_us);
	if (st->error[0] && !r->first_error[0])
		g_strlcpy(r->first_error, st->error, sizeof(r->first_error));
}

void report_add_publisher(struct run_result *r, const struct bench_peer_stats *st)
{
	r->pub_rtp_out += st->rtp_out;
	r->pub_plis += st->plis_in;
	r->pub_nacks += st->nacks_in;
	r->pub_rtx_out += st->rtx_out;
}

static uint64_t metric(const char *text, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, name, n) == 0 && p[n] == ' ')
			return g_ascii_strtoull(p + n + 1, NULL, 10);
	}
	return 0;
}

void report_parse_metrics(const char *text, struct server_sample *s)
{
	s->rtp_in = metric(text, "parley_rtp_packets_in_total");
	s->rtp_out = metric(text, "parley_rtp_packets_out_total");
	s->bytes_in = metric(text, "parley_media_bytes_in_total");
	s->bytes_out = metric(text, "parley_media_bytes_out_total");
	s->retransmits = metric(text, "parley_retransmits_total");
	s->send_errors = metric(text, "parley_media_send_errors_total");
	s->srtp_errors = metric(text, "parley_srtp_errors_total");
	s->lane_sent = metric(text, "parley_lane_sent_total");
	s->lane_full = metric(text, "parley_lane_full_total");
	(void)bench_prom_hist_parse(text, "parley_forward_delay_seconds", &s->fwd_delay);
}

/* parleyd's own share of the delay, from its histogram over the window
 * (interpolated within its buckets). */
static void server_delay_line(const struct run_result *r, FILE *f)
{
	const struct bench_prom_hist *a = &r->start.fwd_delay, *b = &r->end.fwd_delay;
	uint64_t n = 0;
	int64_t p50 = bench_prom_percentile(a, b, 50, &n);

	if (p50 < 0)
		return;
	fprintf(f, "    server delay  p50 %lld us, p95 %lld us, p99 %lld us (parleyd's: arrival to "
		"send, %llu copies)\n",
		(long long)p50, (long long)bench_prom_percentile(a, b, 95, &n),
		(long long)bench_prom_percentile(a, b, 99, &n), (unsigned long long)n);
}

/* Figures derived from one run. */
struct derived {
	double secs, in_pps, out_pps, in_mbps, out_mbps, cpu_s, cpu_pct, fwd_per_cpu_s;
	double rss_per_sub_kib, loss_pct;
};

static void derive(const struct report *rep, const struct run_result *r, struct derived *d)
{
	const struct server_sample *a = &r->start, *b = &r->end;

	memset(d, 0, sizeof(*d));
	d->secs = (double)(b->at_us - a->at_us) / 1e6;
	if (d->secs > 0) {
		d->in_pps = (double)(b->rtp_in - a->rtp_in) / d->secs;
		d->out_pps = (double)(b->rtp_out - a->rtp_out) / d->secs;
		d->in_mbps = (double)(b->bytes_in - a->bytes_in) * 8 / d->secs / 1e6;
		d->out_mbps = (double)(b->bytes_out - a->bytes_out) * 8 / d->secs / 1e6;
	}
	if (a->have_proc && b->have_proc) {
		d->cpu_s = b->cpu_s - a->cpu_s;
		d->cpu_pct = d->secs > 0 ? 100 * d->cpu_s / d->secs : 0;
		d->fwd_per_cpu_s = d->cpu_s > 0 ? (double)(b->rtp_out - a->rtp_out) / d->cpu_s : 0;
		/* the server's memory per subscriber beyond the first */
		if (r->rss_before_kib && r->viewers > 1)
			d->rss_per_sub_kib = ((double)b->rss_kib - (double)r->rss_before_kib) /
					     (r->viewers - 1);
	}
	d->loss_pct = r->expected ? 100.0 * (double)r->lost / (double)r->expected : 0;
}

/* The share of the datagrams parleyd sent that another worker sent for the
 * room's (media/lanes.h), in percent. */
static double lane_share(const struct run_result *r)
{
	uint64_t out = (r->end.rtp_out - r->start.rtp_out);
	uint64_t lanes = r->end.lane_sent - r->start.lane_sent;

	return out ? 100.0 * (double)lanes / (double)out : 0;
}

void report_print_table(const struct report *rep, FILE *f)
{
	fprintf(f, "\nparley-bench %s: %d subscribers, video %s, packets up to %d B", rep->scenario,
		rep->subscribers, rep->video, rep->packet_size);
	if (strcmp(rep->scenario, "join") == 0)
		fprintf(f, ", %d joins in flight\n", rep->parallel);
	else
		fprintf(f, ", %d s measured\n", rep->duration_s);
	for (unsigned i = 0; i < rep->n_runs; i++) {
		const struct run_result *r = rep->runs[i];
		struct derived d;

		derive(rep, r, &d);
		fprintf(f, "\n  %s\n", r->profile_name);
		fprintf(f, "    server in     %10.0f pkt/s %8.2f Mbit/s\n", d.in_pps, d.in_mbps);
		fprintf(f, "    server out    %10.0f pkt/s %8.2f Mbit/s\n", d.out_pps, d.out_mbps);
		if (rep->have_proc) {
			fprintf(f, "    server CPU    %10.2f s (%.1f%% of one core)\n", d.cpu_s, d.cpu_pct);
			fprintf(f, "    forwarded     %10.0f pkt per CPU-second\n", d.fwd_per_cpu_s);
			if (r->end.n_workers > 1 && r->end.n_workers == r->start.n_workers) {
				fprintf(f, "    workers      ");
				for (unsigned w = 0; w < r->end.n_workers; w++)
					fprintf(f, " %s%.2f s", w ? "/ " : "",
						r->end.worker_cpu_s[w] - r->start.worker_cpu_s[w]);
				fprintf(f, " (media workers' CPU)\n");
			}
			fprintf(f, "    server RSS    %10llu KiB", (unsigned long long)r->end.rss_kib);
			if (r->rss_before_kib && r->viewers > 1)
				fprintf(f, " (%+.0f KiB per subscriber after the first)",
					d.rss_per_sub_kib);
			fprintf(f, "\n");
		}
		if (r->end.lane_sent > r->start.lane_sent || r->end.lane_full > r->start.lane_full)
			fprintf(f, "    lanes         %.0f%% of the datagrams sent by another worker, "
				"%llu found a lane full\n",
				lane_share(r), (unsigned long long)(r->end.lane_full - r->start.lane_full));
		fprintf(f, "    subscribers   %u started, %u failed, %u connected, %u got every stream\n",
			r->viewers, r->failed, r->connected, r->receiving);
		fprintf(f, "    loss          %.3f%% (%llu of %llu), %llu duplicates, %llu reordered\n",
			d.loss_pct, (unsigned long long)r->lost, (unsigned long long)r->expected,
			(unsigned long long)r->duplicates, (unsigned long long)r->reordered);
		fprintf(f, "                  audio %llu of %llu, video %llu of %llu\n",
			(unsigned long long)r->lost_kind[BENCH_AUDIO],
			(unsigned long long)r->expected_kind[BENCH_AUDIO],
			(unsigned long long)r->lost_kind[BENCH_VIDEO],
			(unsigned long long)r->expected_kind[BENCH_VIDEO]);
		fprintf(f, "    delay         p50 %lld us, p95 %lld us, p99 %lld us, max %lld us\n",
			(long long)bench_hist_percentile(&r->delay, 50),
			(long long)bench_hist_percentile(&r->delay, 95),
			(long long)bench_hist_percentile(&r->delay, 99), (long long)r->delay.max_us);
		server_delay_line(r, f);
		fprintf(f, "    join          p50 %.1f ms, p95 %.1f ms (join request to first media packet)\n",
			(double)bench_hist_percentile(&r->join, 50) / 1000.0,
			(double)bench_hist_percentile(&r->join, 95) / 1000.0);
		fprintf(f, "    join phases   p50: subscribe offer %.1f ms, connected %.1f ms\n",
			(double)bench_hist_percentile(&r->join_offer, 50) / 1000.0,
			(double)bench_hist_percentile(&r->join_conn, 50) / 1000.0);
		if (r->nacks_out || r->pub_nacks)
			fprintf(f, "    repair        subscribers sent %llu NACKs, got %llu RTX; "
				"publishers got %llu NACKs, sent %llu RTX\n",
				(unsigned long long)r->nacks_out, (unsigned long long)r->rtx_in,
				(unsigned long long)r->pub_nacks, (unsigned long long)r->pub_rtx_out);
		if (r->first_error[0])
			fprintf(f, "    first error   %s\n", r->first_error);
	}
	fprintf(f, "\n");
}

static json_t *server_delay_json(const struct run_result *r)
{
	uint64_t n = 0;
	int64_t p50 = bench_prom_percentile(&r->start.fwd_delay, &r->end.fwd_delay, 50, &n);

	if (p50 < 0)
		return json_null();
	return json_pack("{s:I, s:I, s:I, s:I}", "samples", (json_int_t)n, "p50", (json_int_t)p50,
			 "p95", (json_int_t)bench_prom_percentile(&r->start.fwd_delay,
								   &r->end.fwd_delay, 95, &n),
			 "p99", (json_int_t)bench_prom_percentile(&r->start.fwd_delay,
								   &r->end.fwd_delay, 99, &n));
}

static json_t *run_json(const struct report *rep, const struct run_result *r)
{
	struct derived d;
	json_t *j;

	derive(rep, r, &d);
	j = json_pack("{s:s, s:f, s:{s:f, s:f, s:f, s:f}, s:{s:I, s:I, s:I, s:I, s:I}}",
		      "srtp_profile", r->profile_name, "seconds", d.secs,
		      "server", "in_pps", d.in_pps, "out_pps", d.out_pps, "in_mbps", d.in_mbps,
		      "out_mbps", d.out_mbps,
		      "viewers", "started", (json_int_t)r->viewers, "failed", (json_int_t)r->failed,
		      "connected", (json_int_t)r->connected, "receiving",
		      (json_int_t)r->receiving, "rtx_received", (json_int_t)r->rtx_in);
	json_object_set_new(json_object_get(j, "viewers"), "nacks_sent",
			    json_integer((json_int_t)r->nacks_out));
	json_object_set_new(json_object_get(j, "server"), "lane_sent",
			    json_integer((json_int_t)(r->end.lane_sent - r->start.lane_sent)));
	json_object_set_new(json_object_get(j, "server"), "lane_full",
			    json_integer((json_int_t)(r->end.lane_full - r->start.lane_full)));
	if (rep->have_proc) {
		json_t *s = json_object_get(j, "server");

		json_object_set_new(s, "cpu_seconds", json_real(d.cpu_s));
		json_object_set_new(s, "cpu_percent", json_real(d.cpu_pct));
		json_object_set_new(s, "forwarded_per_cpu_second", json_real(d.fwd_per_cpu_s));
		if (r->end.n_workers == r->start.n_workers) {
			json_t *w = json_array();

			for (unsigned i = 0; i < r->end.n_workers; i++)
				json_array_append_new(w, json_real(r->end.worker_cpu_s[i] -
								   r->start.worker_cpu_s[i]));
			json_object_set_new(s, "worker_cpu_seconds", w);
		}
		json_object_set_new(s, "rss_kib", json_integer((json_int_t)r->end.rss_kib));
		json_object_set_new(s, "rss_per_subscriber_kib",
				    r->rss_before_kib && r->viewers > 1 ? json_real(d.rss_per_sub_kib)
									: json_null());
	}
	json_object_set_new(j, "loss", json_pack("{s:I, s:I, s:f, s:I, s:I, s:I}", "expected",
						 (json_int_t)r->expected, "lost", (json_int_t)r->lost,
						 "percent", d.loss_pct, "duplicates",
						 (json_int_t)r->duplicates, "reordered",
						 (json_int_t)r->reordered, "unmatched",
						 (json_int_t)r->unmatched));
	json_object_set_new(json_object_get(j, "loss"), "audio",
			    json_pack("{s:I, s:I}", "expected", (json_int_t)r->expected_kind[BENCH_AUDIO],
				      "lost", (json_int_t)r->lost_kind[BENCH_AUDIO]));
	json_object_set_new(json_object_get(j, "loss"), "video",
			    json_pack("{s:I, s:I}", "expected", (json_int_t)r->expected_kind[BENCH_VIDEO],
				      "lost", (json_int_t)r->lost_kind[BENCH_VIDEO]));
	json_object_set_new(j, "delay_us", json_pack("{s:I, s:I, s:I, s:I, s:I}", "samples",
				(json_int_t)r->delay.count, "p50", (json_int_t)bench_hist_percentile(&r->delay, 50),
				"p95", (json_int_t)bench_hist_percentile(&r->delay, 95),
				"p99", (json_int_t)bench_hist_percentile(&r->delay, 99),
				"max", (json_int_t)r->delay.max_us));
	json_object_set_new(j, "server_delay_us", server_delay_json(r));
	json_object_set_new(j, "join_ms", json_pack("{s:I, s:f, s:f, s:f, s:f}", "samples",
				(json_int_t)r->join.count,
				"p50", (double)bench_hist_percentile(&r->join, 50) / 1000.0,
				"p95", (double)bench_hist_percentile(&r->join, 95) / 1000.0,
				"offer_p50", (double)bench_hist_percentile(&r->join_offer, 50) / 1000.0,
				"connected_p50",
				(double)bench_hist_percentile(&r->join_conn, 50) / 1000.0));
	json_object_set_new(j, "publisher", json_pack("{s:I, s:I, s:I, s:I}", "rtp_sent",
				(json_int_t)r->pub_rtp_out, "plis", (json_int_t)r->pub_plis,
				"nacks", (json_int_t)r->pub_nacks, "rtx_sent",
				(json_int_t)r->pub_rtx_out));
	if (r->first_error[0])
		json_object_set_new(j, "first_error", json_string(r->first_error));
	return j;
}

void report_print_json(const struct report *rep, FILE *f)
{
	json_t *runs = json_array();
	json_t *j;

	for (unsigned i = 0; i < rep->n_runs; i++)
		json_array_append_new(runs, run_json(rep, rep->runs[i]));
	j = json_pack("{s:s, s:i, s:s, s:i, s:i, s:o}", "scenario", rep->scenario, "viewers",
		      rep->subscribers, "video", rep->video, "packet_size", rep->packet_size,
		      "duration_s", rep->duration_s, "runs", runs);
	json_dumpf(j, f, JSON_INDENT(2));
	fputc('\n', f);
	json_decref(j);
}
