/* gate.h - holds a media worker busy until the test opens the gate, so that
 * what is posted or queued to it meanwhile waits (lanes fill up, a socket's
 * last datagram stays queued). Include after cmocka.h. */
#ifndef PARLEY_TESTS_MEDIA_GATE_H
#define PARLEY_TESTS_MEDIA_GATE_H

#include <glib.h>
#include <stdbool.h>

#include "media/base/worker.h"

struct gate {
	GMutex lock;
	GCond cond;
	bool entered, open;
};

static void gate_run(void *arg)
{
	struct gate *g = arg;

	g_mutex_lock(&g->lock);
	g->entered = true;
	g_cond_broadcast(&g->cond);
	while (!g->open)
		g_cond_wait(&g->cond, &g->lock);
	g_mutex_unlock(&g->lock);
}

/* Returns once worker `w` is inside the gate. */
static void gate_close(struct gate *g, struct worker *w)
{
	g_mutex_init(&g->lock);
	g_cond_init(&g->cond);
	g->entered = g->open = false;
	assert_int_equal(worker_post(w, gate_run, g), 0);
	g_mutex_lock(&g->lock);
	while (!g->entered)
		g_cond_wait(&g->cond, &g->lock);
	g_mutex_unlock(&g->lock);
}

static void gate_open(struct gate *g)
{
	g_mutex_lock(&g->lock);
	g->open = true;
	g_cond_broadcast(&g->cond);
	g_mutex_unlock(&g->lock);
}

/* After the worker has left the gate. */
static void gate_clear(struct gate *g)
{
	g_mutex_clear(&g->lock);
	g_cond_clear(&g->cond);
}

#endif
