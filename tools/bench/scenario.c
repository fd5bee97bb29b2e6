/* scenario.c - parley-bench's scenarios:
 *   fanout   one publisher (audio + video), N subscribers
 *   meeting  N participants, each publishing audio + video, all subscribed to all
 *   audio    N participants publishing audio only, all subscribed to all
 *   join     one publisher, then M subscribers joining at once (K in flight)
 * Participants go through the HTTP API like the browser client (member.c);
 * with --whep, fanout and join use a WHIP publisher and WHEP viewers
 * (peer.c). The server is sampled through /metrics and /proc. */
#include "tools/bench/bench.h"
#include "media/base/util.h"
#include "signaling/jwt.h"
#include "tools/bench/http.h"
#include "tools/bench/member.h"
#include "tools/bench/peer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define CONNECT_WAIT_US (20 * G_USEC_PER_SEC)

static char *token_for(const struct bench_opts *o, const char *room, const char *identity)
{
	struct jwt_grants g = {
		.identity = (char *)identity, .api_key = o->api_key, .room = (char *)room,
		.room_join = true, .can_publish = true, .can_subscribe = true,
		.exp = util_unix_time() + 3600,
	};

	return jwt_sign(&g, o->api_secret);
}

static struct worker *next_worker(struct bench *b)
{
	guint i = (guint)g_atomic_int_add((gint *)&b->next_worker, 1);

	return workers_get(b->ws, i % workers_count(b->ws));
}

/* --- the server's side ------------------------------------------------------- */

static void server_sample(const struct bench_opts *o, struct server_sample *s)
{
	struct bench_http_res res;
	char *url = g_strdup_printf("%s/metrics", o->url);

	memset(s, 0, sizeof(*s));
	s->at_us = util_now_us();
	if (bench_http_request("GET", url, NULL, NULL, NULL, 0, &res) == 0 && res.status == 200)
		report_parse_metrics(res.body, s);
	bench_http_res_clear(&res);
	g_free(url);
	if (o->server_pid > 0) {
		s->have_proc = bench_proc_cpu(o->server_pid, &s->cpu_s) == 0 &&
			       bench_proc_rss_kib(o->server_pid, &s->rss_kib) == 0;
		(void)bench_proc_threads_cpu(o->server_pid, "worker-", s->worker_cpu_s,
					     G_N_ELEMENTS(s->worker_cpu_s), &s->n_workers);
	}
}

static void progress(const struct bench_opts *o, const char *what, int second,
		     const struct server_sample *a, const struct server_sample *b)
{
	double dt = (double)(b->at_us - a->at_us) / 1e6;

	if (o->quiet || dt <= 0)
		return;
	fprintf(stderr, "  %s %2d/%ds: server in %.0f pkt/s, out %.0f pkt/s", what, second,
		o->duration, (double)(b->rtp_in - a->rtp_in) / dt,
		(double)(b->rtp_out - a->rtp_out) / dt);
	if (a->have_proc && b->have_proc)
		fprintf(stderr, ", CPU %.0f%%", 100.0 * (b->cpu_s - a->cpu_s) / dt);
	fprintf(stderr, "\n");
}

/* Samples the server over o->duration seconds, a progress line per second. */
static void measure(const struct bench_opts *o, struct run_result *r)
{
	struct server_sample last, now;

	server_sample(o, &r->start);
	last = r->start;
	for (int s = 1; s <= o->duration; s++) {
		g_usleep(G_USEC_PER_SEC);
		server_sample(o, &now);
		progress(o, r->profile_name, s, &last, &now);
		last = now;
	}
	r->end = last;
}

/* --- participants through the API ---------------------------------------------- */

/* Who is who: participant id -> the publisher's send-time logs. The logs
 * belong to the crowd and outlive every member: receivers on worker threads
 * read them until the last member has left. */
struct crowd;

struct logpair {
	struct crowd *c;                /* borrowed */
	struct bench_sendlog *l[2];     /* owned, NULL when not published */
	bool publishes;
};

struct crowd {
	struct bench *b;
	const char *room;
	unsigned profile;
	GMutex lock;
	GHashTable *logs;               /* pid (owned) -> struct logpair * (borrowed) */
	struct bench_member **m;        /* owned array of owned members */
	struct logpair *own;            /* owned: member i's logs */
	unsigned n;
};

static struct bench_sendlog *log_for(void *arg, const char *pid, int kind)
{
	struct crowd *c = arg;
	struct logpair *lp;

	g_mutex_lock(&c->lock);
	lp = g_hash_table_lookup(c->logs, pid);
	g_mutex_unlock(&c->lock);
	return lp ? lp->l[kind] : NULL;
}

static void on_joined(void *arg, const char *pid)
{
	struct logpair *lp = arg;

	g_mutex_lock(&lp->c->lock);
	g_hash_table_insert(lp->c->logs, g_strdup(pid), lp);
	g_mutex_unlock(&lp->c->lock);
}

static void crowd_init(struct crowd *c, struct bench *b, const char *room, unsigned profile,
		       unsigned n)
{
	memset(c, 0, sizeof(*c));
	c->b = b;
	c->room = room;
	c->profile = profile;
	c->n = n;
	g_mutex_init(&c->lock);
	c->logs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	c->m = g_new0(struct bench_member *, n);
	c->own = g_new0(struct logpair, n);
	for (unsigned i = 0; i < n; i++)
		c->own[i].c = c;
}

/* Every member leaves first (their threads and connections stop); only
 * then go the logs they read. */
static void crowd_free(struct crowd *c)
{
	for (unsigned i = 0; i < c->n; i++)
		bench_member_leave(c->m[i]);
	for (unsigned i = 0; i < c->n; i++) {
		g_free(c->own[i].l[0]);
		g_free(c->own[i].l[1]);
	}
	g_free(c->m);
	g_free(c->own);
	g_hash_table_destroy(c->logs);
	g_mutex_clear(&c->lock);
}

/* Member i joins (publishing audio/video as asked); false on failure. */
static bool crowd_join(struct crowd *c, unsigned i, bool audio, bool video)
{
	struct bench *b = c->b;
	struct bench_member_params mp = {
		.base_url = b->o->url, .room = c->room, .w = next_worker(b), .cert = b->cert,
		.srtp_profiles = c->profile, .local_addrs = b->local_addrs,
		.log_for = log_for, .log_arg = c, .t0_us = b->t0,
		.joined = on_joined, .joined_arg = &c->own[i],
		.max_streams = 2 * c->n + 8,
	};
	char id[32], msg[256];
	int err;

	g_snprintf(id, sizeof(id), "bench-%u", i);
	mp.identity = id;
	mp.token = token_for(b->o, c->room, id);
	for (int k = 0; k < 2; k++) {
		if (!(k == BENCH_AUDIO ? audio : video))
			continue;
		mp.track[k] = b->track[k];
		c->own[i].l[k] = g_new(struct bench_sendlog, 1);
		bench_sendlog_init(c->own[i].l[k]);
		mp.log[k] = c->own[i].l[k];
	}
	c->own[i].publishes = audio || video;
	err = bench_member_join(&c->m[i], &mp, msg, sizeof(msg));
	if (err)
		fprintf(stderr, "parley-bench: %s: %s\n", id, msg);
	g_free((char *)mp.token);
	return err == 0;
}

/* Waits until every member receives what it should, or the time is up. */
static void crowd_wait(struct crowd *c, unsigned from, unsigned want_a, unsigned want_v)
{
	struct bench_peer_stats *pub = g_new(struct bench_peer_stats, 1);
	struct bench_peer_stats *sub = g_new(struct bench_peer_stats, 1);
	int64_t end = util_now_us() + CONNECT_WAIT_US;
	char err[200];

	for (unsigned i = from; i < c->n && util_now_us() < end; i++) {
		while (c->m[i] && util_now_us() < end) {
			bench_member_stats(c->m[i], pub, sub, err, sizeof(err));
			if ((sub->streams[BENCH_AUDIO] >= want_a && sub->streams[BENCH_VIDEO] >= want_v) ||
			    err[0] || sub->closed)
				break;
			g_usleep(10000);
		}
	}
	g_free(pub);
	g_free(sub);
}

static void crowd_collect(struct crowd *c, unsigned from, struct run_result *r,
			  unsigned want_a, unsigned want_v)
{
	struct bench_peer_stats *pub = g_new(struct bench_peer_stats, 1);
	struct bench_peer_stats *sub = g_new(struct bench_peer_stats, 1);
	char err[200];

	for (unsigned i = 0; i < c->n; i++) {
		if (!c->m[i]) {
			r->failed += i >= from;
			continue;
		}
		bench_member_stats(c->m[i], pub, sub, err, sizeof(err));
		if (c->own[i].publishes)
			report_add_publisher(r, pub);
		if (i >= from)
			report_add_viewer(r, sub, want_a, want_v);
		if (err[0] && !r->first_error[0])
			g_strlcpy(r->first_error, err, sizeof(r->first_error));
	}
	g_free(pub);
	g_free(sub);
}

struct join_job {
	struct crowd *c;
	unsigned i;
};

static void join_one(gpointer data, gpointer user)
{
	struct join_job *j = data;

	(void)user;
	crowd_join(j->c, j->i, false, false);
	g_free(j);
}

/* Members [from, n) join subscribe-only, `parallel` at a time. */
static void crowd_storm(struct crowd *c, unsigned from, int parallel)
{
	GThreadPool *pool = g_thread_pool_new(join_one, NULL, parallel, TRUE, NULL);

	for (unsigned i = from; i < c->n; i++) {
		struct join_job *j = g_new(struct join_job, 1);

		j->c = c;
		j->i = i;
		g_thread_pool_push(pool, j, NULL);
	}
	g_thread_pool_free(pool, FALSE, TRUE); /* waits for every join */
}

static int run_api(struct bench *b, const char *room, unsigned profile, struct run_result *r)
{
	const struct bench_opts *o = b->o;
	bool all_publish = !strcmp(o->scenario, "meeting") || !strcmp(o->scenario, "audio");
	bool video = strcmp(o->scenario, "audio") != 0;
	unsigned n = all_publish ? (unsigned)o->participants :
		     1 + (unsigned)(!strcmp(o->scenario, "join") ? o->joins : o->subscribers);
	unsigned from = all_publish ? 0 : 1; /* the members that subscribe */
	bool audio = !o->no_audio || !video;
	unsigned want_v = !video ? 0 : all_publish ? n - 1 : 1;
	unsigned want_a = !audio ? 0 : all_publish ? n - 1 : 1;
	struct crowd *c = g_new(struct crowd, 1);
	struct server_sample before;

	crowd_init(c, b, room, profile, n);
	if (!all_publish && !crowd_join(c, 0, audio, true)) {
		crowd_free(c);
		g_free(c);
		return EIO;
	}
	if (!strcmp(o->scenario, "join")) {
		server_sample(o, &r->start);
		crowd_storm(c, 1, o->parallel);
	} else {
		for (unsigned i = from; i < n; i++) {
			crowd_join(c, i, all_publish && audio, all_publish && video);
			if (i == from) { /* memory is counted from the second subscriber on */
				crowd_wait(c, from, all_publish ? 0 : want_a, all_publish ? 0 : want_v);
				server_sample(o, &before);
				r->rss_before_kib = before.rss_kib;
			}
		}
	}
	crowd_wait(c, from, want_a, want_v);
	if (!strcmp(o->scenario, "join")) {
		g_usleep(G_USEC_PER_SEC);
		server_sample(o, &r->end);
	} else {
		g_usleep((gulong)o->warmup * G_USEC_PER_SEC);
		measure(o, r);
	}
	crowd_collect(c, from, r, want_a, want_v);
	crowd_free(c);
	g_free(c);
	return 0;
}

/* --- WHIP publisher and WHEP viewers --------------------------------------------- */

static struct bench_peer *whep_start(struct bench *b, struct bench_sendlog **logs, bool publish,
				     const char *room, const char *identity, unsigned profile)
{
	struct bench_peer_params pp = {
		.mode = publish ? BENCH_PEER_WHIP : BENCH_PEER_WHEP, .w = next_worker(b),
		.cert = b->cert, .srtp_profiles = profile, .local_addrs = b->local_addrs,
		.t0_us = b->t0, .name = identity,
	};
	struct bench_peer *p = NULL;
	char msg[256], *url, *token;

	url = g_strdup_printf("%s/%s/%s", b->o->url, publish ? "whip" : "whep", room);
	token = token_for(b->o, room, identity);
	pp.url = url;
	pp.token = token;
	for (int k = 0; k < 2; k++) {
		pp.track[k] = k == BENCH_AUDIO && b->o->no_audio ? NULL : b->track[k];
		pp.log[k] = logs[k];
	}
	if (bench_peer_start(&p, &pp, msg, sizeof(msg)))
		fprintf(stderr, "parley-bench: %s: %s\n", identity, msg);
	g_free(url);
	g_free(token);
	return p;
}

static bool wait_connected(struct bench_peer *p)
{
	struct bench_peer_stats *st = g_new(struct bench_peer_stats, 1);
	int64_t end = util_now_us() + CONNECT_WAIT_US;
	bool ok = false;

	while (p && util_now_us() < end) {
		bench_peer_stats(p, st);
		if (st->connected || st->closed) {
			ok = st->connected;
			break;
		}
		g_usleep(10000);
	}
	g_free(st);
	return ok;
}

struct whep_job {
	struct bench *b;
	struct bench_sendlog **logs;
	const char *room;
	unsigned profile;
	struct bench_peer **slot;
	unsigned index;
};

static void whep_one(gpointer data, gpointer user)
{
	struct whep_job *j = data;
	char id[32];

	(void)user;
	g_snprintf(id, sizeof(id), "viewer-%u", j->index);
	*j->slot = whep_start(j->b, j->logs, false, j->room, id, j->profile);
	g_free(j);
}

static int run_whep(struct bench *b, const char *room, unsigned profile, struct run_result *r)
{
	const struct bench_opts *o = b->o;
	bool join = !strcmp(o->scenario, "join");
	unsigned n = (unsigned)(join ? o->joins : o->subscribers);
	struct bench_peer **v = g_new0(struct bench_peer *, n), *pub;
	struct bench_peer_stats *st = g_new(struct bench_peer_stats, 1);
	struct bench_sendlog *logs[2];
	struct server_sample before;
	GThreadPool *pool;

	for (int k = 0; k < 2; k++) {
		logs[k] = g_new(struct bench_sendlog, 1);
		bench_sendlog_init(logs[k]);
	}
	pub = whep_start(b, logs, true, room, "publisher", profile);
	if (!wait_connected(pub)) {
		fprintf(stderr, "parley-bench: the WHIP publisher did not connect\n");
		n = 0;
	}
	if (join)
		server_sample(o, &r->start);
	pool = g_thread_pool_new(whep_one, NULL, join ? o->parallel : 1, TRUE, NULL);
	for (unsigned i = 0; i < n; i++) {
		struct whep_job *j = g_new(struct whep_job, 1);

		*j = (struct whep_job){ b, logs, room, profile, &v[i], i };
		if (i > 0 || join) {
			g_thread_pool_push(pool, j, NULL);
			continue;
		}
		whep_one(j, NULL); /* memory is counted from the second viewer on */
		wait_connected(v[0]);
		server_sample(o, &before);
		r->rss_before_kib = before.rss_kib;
	}
	g_thread_pool_free(pool, FALSE, TRUE);
	for (unsigned i = 0; i < n; i++)
		wait_connected(v[i]);
	g_usleep((gulong)(join ? 1 : o->warmup) * G_USEC_PER_SEC);
	if (join)
		server_sample(o, &r->end);
	else
		measure(o, r);
	for (unsigned i = 0; i < n; i++) {
		if (!v[i]) {
			r->failed++;
			continue;
		}
		bench_peer_stats(v[i], st);
		report_add_viewer(r, st, !b->o->no_audio, 1);
		bench_peer_stop(v[i], false);
	}
	if (pub) {
		bench_peer_stats(pub, st);
		report_add_publisher(r, st);
	}
	bench_peer_stop(pub, false);
	g_free(st);
	g_free(v);
	g_free(logs[0]);
	g_free(logs[1]);
	return n ? 0 : EIO;
}

int bench_scenario_run(struct bench *b, const char *room, unsigned profile,
		       struct run_result *r)
{
	if (b->o->whep)
		return run_whep(b, room, profile, r);
	return run_api(b, room, profile, r);
}
