/* worker.h - media worker threads. Each worker runs one GMainContext on its
 * own thread; a room is placed on one worker and everything it owns (libnice
 * agents, DTLS/SRTP sessions, timers, buffers) lives on that context, so the
 * packet path needs no locks. Other threads reach a room with worker_post. */
#ifndef PARLEY_MEDIA_BASE_WORKER_H
#define PARLEY_MEDIA_BASE_WORKER_H

#include <glib.h>
#include <stdbool.h>

struct workers; /* opaque: the pool */
struct worker;  /* opaque: one thread */

typedef void(worker_fn_h)(void *arg);

/* Starts `n` worker threads (0: one per online core). Returns 0, EINVAL or
 * ENOMEM/EAGAIN. @thread main */
int workers_alloc(struct workers **out, unsigned n);

/* Stops every worker after it has run the jobs already posted, joins the
 * threads and frees the pool. NULL is fine. @thread main */
void workers_free(struct workers *ws);

/* How the workers' threads are scheduled against the rest of the host. */
enum worker_priority {
	WORKER_PRIORITY_NORMAL = 0, /* like any thread */
	WORKER_PRIORITY_HIGH,       /* nice -10: ahead of normal threads when the CPU is shared */
	WORKER_PRIORITY_REALTIME,   /* SCHED_RR, priority 10: ahead of every normal thread (the
				       kernel still leaves them 5% of each second) */
};

/* Applies `p` to every worker's thread (each sets its own). Needs
 * CAP_SYS_NICE or an RLIMIT_NICE / RLIMIT_RTPRIO allowance for HIGH and
 * REALTIME. Returns 0, EINVAL, or the first worker's errno (EPERM): the
 * threads then stay as they were. @thread not a worker */
int workers_set_priority(struct workers *ws, enum worker_priority p);

/* Number of workers. @thread any */
unsigned workers_count(const struct workers *ws);

/* Worker `i` (< workers_count). @thread any */
struct worker *workers_get(struct workers *ws, unsigned i);

/* The worker with the smallest load (see worker_load_add). @thread any */
struct worker *workers_pick(struct workers *ws);

/* Adds `delta` to the load figure workers_pick balances on (rooms placed,
 * participants). @thread any */
void worker_load_add(struct worker *w, int delta);

/* Runs fn(arg) on the worker's thread, after what was posted before it.
 * Returns 0, or ESHUTDOWN when the pool is stopping (fn is then not run and
 * the caller still owns arg). @thread any */
int worker_post(struct worker *w, worker_fn_h *fn, void *arg);

/* Runs fn(arg) on the worker's thread and waits until it has returned. Must
 * not be called from a worker thread. Returns 0 or ESHUTDOWN. @thread not a worker */
int worker_call(struct worker *w, worker_fn_h *fn, void *arg);

/* The worker's main context, to attach sources and libnice agents to.
 * @thread any */
GMainContext *worker_context(struct worker *w);

/* The worker's index in its pool. @thread any */
unsigned worker_index(const struct worker *w);

/* True when the calling thread is `w`'s thread. @thread any */
bool worker_is_current(const struct worker *w);

/* Debug builds check that a function runs on its owner's thread. */
#ifdef NDEBUG
#define WORKER_ASSERT(w) ((void)0)
#else
#define WORKER_ASSERT(w) g_assert(worker_is_current(w))
#endif

#endif
