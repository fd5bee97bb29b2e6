/* pktbuf.c - see pktbuf.h. */
#include "media/pktbuf.h"

#include <glib.h>

#define POOL_MAX 4096 /* free buffers kept per thread (about 6.5 MB) */

struct pool {
	struct pktbuf *free[POOL_MAX];
	unsigned n_free;
	unsigned made;
};

static _Thread_local struct pool pool;

struct pktbuf *pktbuf_alloc(void)
{
	struct pktbuf *p;

	if (pool.n_free > 0) {
		p = pool.free[--pool.n_free];
	} else {
		p = g_new(struct pktbuf, 1);
		pool.made++;
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
	if (!p || --p->refs > 0)
		return;
	if (pool.n_free < POOL_MAX) {
		pool.free[pool.n_free++] = p;
		return;
	}
	g_free(p);
	pool.made--;
}

unsigned pktbuf_pool_free(void)
{
	return pool.n_free;
}

unsigned pktbuf_pool_made(void)
{
	return pool.made;
}

void pktbuf_pool_drain(void)
{
	while (pool.n_free > 0) {
		g_free(pool.free[--pool.n_free]);
		pool.made--;
	}
}
