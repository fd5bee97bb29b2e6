/* pktbuf.h - packet buffers for the media path: one datagram each, reference
 * counted, taken from a per-thread free list so that the packet path does
 * not call malloc in steady state. A received packet is unprotected into a
 * pktbuf once, shared read-only by every consumer and by the retransmission
 * buffer, and returned to its thread's pool when the last reference goes.
 *
 * Buffers belong to the thread that allocated them (a room's worker): the
 * reference count is not atomic and a buffer never crosses threads; the
 * recorder, which runs on its own thread, copies what it needs. */
#ifndef PARLEY_MEDIA_PKTBUF_H
#define PARLEY_MEDIA_PKTBUF_H

#include <stddef.h>
#include <stdint.h>

#define PKTBUF_CAP 1600 /* a datagram plus room for an SRTP tag */

struct pktbuf {
	unsigned refs;
	size_t len;
	int64_t recv_us; /* when it arrived (util_now_us), for delay figures */
	uint8_t data[PKTBUF_CAP];
};

/* A buffer with one reference and len 0. Never fails (aborts on OOM like
 * GLib). @thread owner */
struct pktbuf *pktbuf_alloc(void);

/* Takes a reference. @thread owner */
struct pktbuf *pktbuf_ref(struct pktbuf *p);

/* Drops a reference; the last one returns the buffer to the pool. NULL is
 * fine. @thread owner */
void pktbuf_unref(struct pktbuf *p);

/* Buffers in this thread's free list, and made in total on this thread. @thread owner */
unsigned pktbuf_pool_free(void);
unsigned pktbuf_pool_made(void);

/* Releases this thread's free list now (a GThread's is released when it
 * exits; the main thread's is not). @thread owner */
void pktbuf_pool_drain(void);

#endif
