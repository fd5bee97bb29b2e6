/* test_ice.c - two libnice agents on loopback complete ICE (trickle both
 * ways), exchange datagrams, and restart. Runs inside tests/netns-run, so
 * only 127.0.0.1 exists. */
#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "media/ice.h"
#include "media/lanes.h"
#include "media/udpmux.h"
#include "media/base/counters.h"
#include "media/base/worker.h"
#include "tests/media/gate.h"

struct peer {
	struct ice_agent *a;
	struct peer *other;
	enum ice_state state;
	int n_cands;
	unsigned min_port, max_port;
	bool ports_ok;
	bool done;
	GString *got;
	bool drop_candidates; /* hold candidates back (non-trickle peer) */
	GPtrArray *held;
};

static void on_cand(void *arg, const char *cand)
{
	struct peer *p = arg;
	gchar **tok = g_strsplit(cand, " ", -1);
	unsigned port = (unsigned)g_ascii_strtoull(tok[5], NULL, 10);

	if (p->min_port && (port < p->min_port || port > p->max_port))
		p->ports_ok = false;
	assert_string_equal(tok[4], p->min_port == 40100 ? "198.51.100.7" : "127.0.0.1");
	g_strfreev(tok);
	p->n_cands++;
	if (p->drop_candidates)
		g_ptr_array_add(p->held, g_strdup(cand));
	else
		assert_int_equal(ice_agent_add_remote_candidate(p->other->a, cand), 0);
}

static void on_done(void *arg)
{
	struct peer *p = arg;

	p->done = true;
}

static void on_state(void *arg, enum ice_state st)
{
	struct peer *p = arg;

	p->state = st;
}

static void on_recv(void *arg, uint8_t *buf, size_t len)
{
	struct peer *p = arg;

	g_string_append_len(p->got, (const char *)buf, (gssize)len);
}

static const struct ice_handlers handlers = { on_cand, on_done, on_state, on_recv };
static const char *const loopback[] = { "127.0.0.1", NULL };

static struct lane *next_lane; /* the next peer_init's, then NULL */
static struct udpmux *next_mux; /* the same */

static void peer_init(struct peer *p, GMainContext *ctx, bool controlling, unsigned pmin,
		      unsigned pmax)
{
	struct ice_params prm = { .ctx = ctx, .controlling = controlling,
				  .local_addrs = loopback, .port_min = pmin, .port_max = pmax,
				  .lane = next_lane, .mux = next_mux };

	memset(p, 0, sizeof(*p));
	p->min_port = pmin;
	p->max_port = pmax;
	p->ports_ok = true;
	p->got = g_string_new(NULL);
	p->held = g_ptr_array_new_with_free_func(g_free);
	next_lane = NULL;
	next_mux = NULL;
	assert_int_equal(ice_agent_alloc(&p->a, &prm, &handlers, p), 0);
	assert_non_null(ice_agent_ufrag(p->a));
	assert_true(strlen(ice_agent_pwd(p->a)) >= 22);
}

static void peer_clear(struct peer *p)
{
	ice_agent_free(p->a);
	g_string_free(p->got, TRUE);
	g_ptr_array_free(p->held, TRUE);
}

/* Iterates the context until `cond` holds; fails after a generous bound. */
#define RUN_UNTIL(ctx, cond)                                                       \
	do {                                                                       \
		gint64 end_ = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;        \
		while (!(cond) && g_get_monotonic_time() < end_)                   \
			g_main_context_iteration(ctx, TRUE);                        \
		assert_true(cond);                                                 \
	} while (0)

static gboolean tick(gpointer data)
{
	return G_SOURCE_CONTINUE;
}

/* This thread's context with a 50 ms tick (libnice's timers), and for the
 * lane tests two workers with their lanes. */
struct rig {
	GMainContext *ctx;
	GSource *tick;
	struct workers *ws; /* NULL without workers */
	struct lanes *ls;
};

static void rig_open(struct rig *r, bool workers)
{
	memset(r, 0, sizeof(*r));
	r->ctx = g_main_context_new();
	r->tick = g_timeout_source_new(50);
	g_source_set_callback(r->tick, tick, NULL, NULL);
	g_source_attach(r->tick, r->ctx);
	g_main_context_push_thread_default(r->ctx);
	if (!workers)
		return;
	assert_int_equal(workers_alloc(&r->ws, 2), 0);
	assert_int_equal(lanes_alloc(&r->ls, r->ws, 64), 0);
}

static void rig_close(struct rig *r)
{
	workers_free(r->ws);
	lanes_free(r->ls);
	g_source_destroy(r->tick);
	g_source_unref(r->tick);
	g_main_context_pop_thread_default(r->ctx);
	g_main_context_unref(r->ctx);
}

static void connect_pair(GMainContext *ctx, struct peer *a, struct peer *b)
{
	a->other = b;
	b->other = a;
	assert_int_equal(ice_agent_set_remote_credentials(a->a, ice_agent_ufrag(b->a),
							  ice_agent_pwd(b->a)), 0);
	assert_int_equal(ice_agent_set_remote_credentials(b->a, ice_agent_ufrag(a->a),
							  ice_agent_pwd(a->a)), 0);
	assert_int_equal(ice_agent_gather(a->a), 0);
	assert_int_equal(ice_agent_gather(b->a), 0);
	RUN_UNTIL(ctx, a->done && b->done);
	ice_agent_remote_gathering_done(a->a);
	ice_agent_remote_gathering_done(b->a);
	RUN_UNTIL(ctx, a->state == ICE_STATE_CONNECTED && b->state == ICE_STATE_CONNECTED);
}

/* ICE restart on both sides (new credentials, the candidates again) until
 * both are connected again. */
static void restart_pair(GMainContext *ctx, struct peer *a, struct peer *b)
{
	a->done = b->done = false;
	assert_int_equal(ice_agent_restart(a->a), 0);
	assert_int_equal(ice_agent_restart(b->a), 0);
	assert_int_equal(ice_agent_set_remote_credentials(a->a, ice_agent_ufrag(b->a),
							  ice_agent_pwd(b->a)), 0);
	assert_int_equal(ice_agent_set_remote_credentials(b->a, ice_agent_ufrag(a->a),
							  ice_agent_pwd(a->a)), 0);
	ice_agent_remote_gathering_done(a->a);
	ice_agent_remote_gathering_done(b->a);
	RUN_UNTIL(ctx, a->state == ICE_STATE_CONNECTED && b->state == ICE_STATE_CONNECTED);
}

static void test_connect_send_restart(void **state)
{
	struct rig r;
	struct peer a, b;
	GMainContext *ctx;

	rig_open(&r, false);
	ctx = r.ctx;
	peer_init(&a, ctx, true, 40000, 40099);
	peer_init(&b, ctx, false, 0, 0);
	assert_int_equal(ice_agent_send(a.a, (const uint8_t *)"x", 1), ENOTCONN);
	connect_pair(ctx, &a, &b);
	assert_true(a.n_cands >= 1 && b.n_cands >= 1);
	assert_true(a.ports_ok);
	assert_true(strlen(ice_agent_pair_str(a.a)) > 0);

	assert_int_equal(ice_agent_send(a.a, (const uint8_t *)"hello", 5), 0);
	assert_int_equal(ice_agent_send(b.a, (const uint8_t *)"world", 5), 0);
	RUN_UNTIL(ctx, b.got->len == 5 && a.got->len == 5);
	assert_string_equal(b.got->str, "hello");
	assert_string_equal(a.got->str, "world");

	/* ICE restart on both sides: new credentials, candidates again. */
	char *old = g_strdup(ice_agent_ufrag(a.a));
	restart_pair(ctx, &a, &b);
	assert_string_not_equal(old, ice_agent_ufrag(a.a));
	g_free(old);
	g_string_truncate(b.got, 0);
	assert_int_equal(ice_agent_send(a.a, (const uint8_t *)"again", 5), 0);
	RUN_UNTIL(ctx, b.got->len == 5);

	peer_clear(&a);
	peer_clear(&b);
	rig_close(&r);
}

/* An agent that sends through a lane (media/lanes.h): datagrams go out on
 * the lane's worker, also across a restart, and those still queued when
 * the agent is freed (libnice then closes its sockets) still reach the
 * peer: the lane sends on its own duplicate of the descriptor, closed after
 * them. */
static void test_lane_send_and_free_with_queued(void **state)
{
	struct rig r;
	struct workers *ws;
	struct lanes *ls;
	GMainContext *ctx;
	struct peer a, b;
	struct gate g = { 0 };

	(void)state;
	rig_open(&r, true);
	ctx = r.ctx;
	ws = r.ws;
	ls = r.ls;
	/* this thread is the lane's only producer, standing in for worker 0 */
	next_lane = lanes_get(ls, workers_get(ws, 0), workers_get(ws, 1));
	peer_init(&a, ctx, true, 0, 0);
	peer_init(&b, ctx, false, 0, 0);
	connect_pair(ctx, &a, &b);
	assert_int_equal(ice_agent_send(a.a, (const uint8_t *)"lane", 4), 0);
	RUN_UNTIL(ctx, b.got->len == 4);
	assert_string_equal(b.got->str, "lane");

	restart_pair(ctx, &a, &b);
	g_string_truncate(b.got, 0);
	assert_int_equal(ice_agent_send(a.a, (const uint8_t *)"after", 5), 0);
	RUN_UNTIL(ctx, b.got->len == 5);

	/* the lane's worker is busy: the last datagram waits in the lane while
	 * the agent goes */
	gate_close(&g, workers_get(ws, 1));
	g_string_truncate(b.got, 0);
	assert_int_equal(ice_agent_send(a.a, (const uint8_t *)"last", 4), 0);
	ice_agent_free(a.a);
	a.a = NULL;
	gate_open(&g);
	RUN_UNTIL(ctx, b.got->len == 4);
	assert_string_equal(b.got->str, "last");

	peer_clear(&a);
	peer_clear(&b);
	rig_close(&r);
	gate_clear(&g);
}

static void noop(void *arg)
{
	(void)arg;
}

/* A full agent (libnice, controlling: the browser's part) and a lite one
 * on a worker's shared port: connect, both directions, the lite side's
 * datagrams through a lane, an ICE restart during which media goes on, and
 * two lite agents on one port kept apart. */
static void test_lite_with_full_peer(void **state)
{
	struct rig r;
	struct workers *ws;
	struct lanes *ls;
	GMainContext *ctx;
	struct udpmux *mux;
	struct peer a, b, c, d;
	struct udpmux_stats st;
	struct media_counters mc0, mc1;
	char *old;

	(void)state;
	rig_open(&r, true);
	ctx = r.ctx;
	ws = r.ws;
	ls = r.ls;
	assert_int_equal(udpmux_alloc(&mux, ctx, loopback, 0), 0);
	assert_true(udpmux_port(mux) > 0);
	/* made controlled (an answerer); told the peer is lite, it controls */
	peer_init(&a, ctx, false, 0, 0);
	ice_agent_set_remote_lite(a.a);
	next_mux = mux;
	next_lane = lanes_get(ls, workers_get(ws, 0), workers_get(ws, 1));
	peer_init(&b, ctx, false /* ignored: lite is controlled */, 0, 0);
	assert_true(ice_agent_is_lite(b.a));
	assert_false(ice_agent_is_lite(a.a));
	assert_int_equal(ice_agent_send(b.a, (const uint8_t *)"x", 1), ENOTCONN);
	connect_pair(ctx, &a, &b);
	media_counters_sum(&mc0);
	assert_int_equal(b.n_cands, 1);
	assert_non_null(strstr(ice_agent_pair_str(b.a), "127.0.0.1:"));
	assert_int_equal(ice_agent_send(a.a, (const uint8_t *)"hello", 5), 0);
	assert_int_equal(ice_agent_send(b.a, (const uint8_t *)"world", 5), 0);
	RUN_UNTIL(ctx, b.got->len == 5 && a.got->len == 5);
	assert_string_equal(b.got->str, "hello");
	assert_string_equal(a.got->str, "world");
	/* the lane's worker counts after a batch: let it finish the one it is in */
	assert_int_equal(worker_call(workers_get(ws, 1), noop, NULL), 0);
	media_counters_sum(&mc1);
	assert_true(mc1.lane_sent > mc0.lane_sent); /* b's went through the lane */

	/* a second pair on the same port */
	peer_init(&c, ctx, true, 0, 0);
	next_mux = mux;
	peer_init(&d, ctx, false, 0, 0);
	connect_pair(ctx, &c, &d);
	assert_int_equal(ice_agent_send(c.a, (const uint8_t *)"other", 5), 0);
	assert_int_equal(ice_agent_send(d.a, (const uint8_t *)"reply", 5), 0);
	RUN_UNTIL(ctx, d.got->len == 5 && c.got->len == 5);
	assert_string_equal(d.got->str, "other");
	assert_string_equal(c.got->str, "reply");
	assert_int_equal(b.got->len, 5); /* nothing of theirs reached b */

	/* restart: media keeps flowing on the old path, then the new one */
	old = g_strdup(ice_agent_ufrag(b.a));
	b.done = false;
	assert_int_equal(ice_agent_restart(b.a), 0);
	assert_true(b.done);
	assert_string_not_equal(old, ice_agent_ufrag(b.a));
	assert_int_equal(b.state, ICE_STATE_CONNECTED);
	assert_int_equal(ice_agent_send(b.a, (const uint8_t *)"still", 5), 0);
	RUN_UNTIL(ctx, a.got->len == 10);
	restart_pair(ctx, &a, &b);
	g_string_truncate(a.got, 0);
	g_string_truncate(b.got, 0);
	assert_int_equal(ice_agent_send(a.a, (const uint8_t *)"again", 5), 0);
	assert_int_equal(ice_agent_send(b.a, (const uint8_t *)"AGAIN", 5), 0);
	RUN_UNTIL(ctx, b.got->len == 5 && a.got->len == 5);
	assert_string_equal(a.got->str, "AGAIN");
	g_free(old);
	udpmux_stats(mux, &st);
	assert_int_equal(st.stun_rejected, 0); /* no role conflict either */
	assert_true(st.stun_answered > 0);

	peer_clear(&a);
	peer_clear(&b);
	peer_clear(&c);
	peer_clear(&d);
	workers_free(ws); /* before the mux: its lane sends on the mux's socket */
	r.ws = NULL;
	udpmux_free(mux);
	rig_close(&r);
}

static void test_bad_input(void **state)
{
	GMainContext *ctx = g_main_context_new();
	struct peer a;
	const char *bad[] = { "", "candidate:", "candidate:1 1 udp", "garbage",
			      "candidate:1 1 udp 2122260223 999.1.1.1 5000 typ host",
			      "candidate:1 1 udp 2122260223 127.0.0.1 99999999 typ host",
			      "candidate:1 1 udp x 127.0.0.1 5000 typ host" };
	const char *const bad_addr[] = { "not-an-ip", NULL };
	struct ice_params prm = { .ctx = ctx, .local_addrs = bad_addr };
	struct ice_agent *x = NULL;

	peer_init(&a, ctx, false, 0, 0);
	for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++)
		assert_int_equal(ice_agent_add_remote_candidate(a.a, bad[i]), EBADMSG);
	assert_int_equal(ice_agent_add_remote_candidate(
				 a.a, "candidate:1 1 udp 2122260223 abc.local 5000 typ host"),
			 ENOTSUP);
	assert_int_equal(ice_agent_add_remote_candidate(
				 a.a, "candidate:2 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active"),
			 ENOTSUP);
	assert_int_equal(ice_agent_add_remote_candidate(
				 a.a, "a=candidate:3 1 udp 2122260223 127.0.0.1 5000 typ host"),
			 0);
	assert_int_equal(ice_agent_set_remote_credentials(a.a, "ab", "short"), EINVAL);
	assert_int_equal(ice_agent_alloc(&x, &prm, &handlers, &a), EINVAL);
	assert_null(x);
	peer_clear(&a);
	g_main_context_unref(ctx);
}

static void test_public_ip_announced(void **state)
{
	GMainContext *ctx = g_main_context_new();
	struct ice_params prm = { .ctx = ctx, .local_addrs = loopback, .public_ip = "198.51.100.7",
				  .port_min = 40100, .port_max = 40199 };
	struct peer p = { 0 };

	p.min_port = 40100;
	p.max_port = 40199;
	p.ports_ok = true;
	p.drop_candidates = true;
	p.got = g_string_new(NULL);
	p.held = g_ptr_array_new_with_free_func(g_free);
	g_main_context_push_thread_default(ctx);
	assert_int_equal(ice_agent_alloc(&p.a, &prm, &handlers, &p), 0);
	assert_int_equal(ice_agent_gather(p.a), 0);
	RUN_UNTIL(ctx, p.done);
	assert_true(p.held->len >= 1);
	assert_non_null(strstr(g_ptr_array_index(p.held, 0), " 198.51.100.7 "));
	peer_clear(&p);
	g_main_context_pop_thread_default(ctx);
	g_main_context_unref(ctx);
}

/* A lite agent announces the mux's port, with the public address when one
 * is set (NAT 1:1), gathering at once. */
static void test_lite_public_ip_announced(void **state)
{
	GMainContext *ctx = g_main_context_new();
	struct udpmux *mux;
	struct ice_params prm = { .ctx = ctx, .public_ip = "198.51.100.7" };
	struct peer p = { 0 };
	char want[64];

	(void)state;
	assert_int_equal(udpmux_alloc(&mux, ctx, loopback, 0), 0);
	prm.mux = mux;
	p.min_port = 40100; /* on_cand: expect the public address */
	p.max_port = 40199;
	p.drop_candidates = true;
	p.got = g_string_new(NULL);
	p.held = g_ptr_array_new_with_free_func(g_free);
	assert_int_equal(ice_agent_alloc(&p.a, &prm, &handlers, &p), 0);
	assert_int_equal(ice_agent_gather(p.a), 0);
	assert_true(p.done); /* nothing to wait for */
	assert_int_equal(p.held->len, 1);
	g_snprintf(want, sizeof(want), " 198.51.100.7 %u typ host", udpmux_port(mux));
	assert_non_null(strstr(g_ptr_array_index(p.held, 0), want));
	/* remote candidates are checked but not needed */
	assert_int_equal(ice_agent_add_remote_candidate(p.a, "candidate:1 1 udp"), EBADMSG);
	assert_int_equal(ice_agent_add_remote_candidate(
				 p.a, "candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host"), 0);
	assert_int_equal(ice_agent_set_remote_credentials(p.a, "ab", "short"), EINVAL);
	peer_clear(&p);
	udpmux_free(mux);
	g_main_context_unref(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect_send_restart),
		cmocka_unit_test(test_lane_send_and_free_with_queued),
		cmocka_unit_test(test_lite_with_full_peer),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_public_ip_announced),
		cmocka_unit_test(test_lite_public_ip_announced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
