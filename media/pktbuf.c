/* pktbuf.c - see pktbuf.h. */
#include "media/pktbuf.h"

#include <glib.h>

#define POOL_MAX 4096 /* free buffers kept per thread (about 6.5 MB) */

struct pool {
	struct pktbuf *free[POOL_MAX];
	unsigned n_free;
	unsigned made;
};

static void pool_free(gpointer data);

/* The pool lives on the heap so that GLib can free it when its thread
 * exits (GPrivate's destroy notify); the thread-local pointer is the fast
 * way to it. */
static GPrivate pool_key = G_PRIVATE_INIT(pool_free);
static _Thread_local struct pool *tl_pool;

static struct pool *pool_get(void)
{
	if (G_UNLIKELY(!tl_pool)) {
		tl_pool = g_new0(struct pool, 1);
		g_private_set(&pool_key, tl_pool);
	}
	return tl_pool;
}

static void pool_free(gpointer data)
{
	struct pool *p = data;

	while (p->n_free > 0)
		g_free(p->free[--p->n_free]);
	g_free(p);
}

struct pktbuf *pktbuf_alloc(void)
{
	struct pool *pool = pool_get();
	struct pktbuf *p;

	if (pool->n_free > 0) {
		p = pool->free[--pool->n_free];
	} else {
		p = g_new(struct pktbuf, 1);
		pool->made++;
	}
	p->refs = 1;
	p->len = 0;
	p->recv_us = 0;
	return p;
}

struct pktbuf *pktbuf_ref(struct pktbuf *p)
{
	p->refs++;
	return p;
}

void pktbuf_unref(struct pktbuf *p)
{
	struct pool *pool;

	if (!p || --p->refs > 0)
		return;
	pool = pool_get();
	if (pool->n_free < POOL_MAX) {
		pool->free[pool->n_free++] = p;
		return;
	}
	g_free(p);
	pool->made--;
}

unsigned pktbuf_pool_free(void)
{
	return pool_get()->n_free;
}

unsigned pktbuf_pool_made(void)
{
	return pool_get()->made;
}

void pktbuf_pool_drain(void)
{
	struct pool *pool = pool_get();

	while (pool->n_free > 0) {
		g_free(pool->free[--pool->n_free]);
		pool->made--;
	}
}
