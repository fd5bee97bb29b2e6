/* evq.h - a participant's event queue: the events the server sends to one
 * participant, each with an increasing id (1, 2, ...), kept in a bounded ring
 * so that a client that reconnects with Last-Event-ID gets what it missed.
 *
 * Written by the room's worker, read by the HTTP threads that stream events
 * (SSE), so it is the one room object with a mutex; it is not on the packet
 * path. Readers attach a wake callback that fires when an event arrives or
 * the queue closes. The queue also remembers since when no reader has been
 * attached, which the room uses to time out participants that went away. */
#ifndef PARLEY_ROOMS_EVQ_H
#define PARLEY_ROOMS_EVQ_H

#include <stdbool.h>
#include <stdint.h>

struct evq; /* opaque, refcounted */

/* Called with the queue's lock held: must be quick and must not call evq_*. */
typedef void(evq_wake_h)(void *arg);

struct evq_event {
	uint64_t id;
	char *type; /* owned */
	char *data; /* owned; one line of JSON */
};

enum evq_next {
	EVQ_NEXT_EVENT,  /* *ev filled; release with evq_event_clear */
	EVQ_NEXT_EMPTY,  /* nothing after `after` yet */
	EVQ_NEXT_GAP,    /* events after `after` were dropped from the ring:
	                    *lost_to is the last dropped id; continue from there */
	EVQ_NEXT_CLOSED, /* nothing after `after`, and nothing will come */
};

/* A queue that keeps the last `capacity` (>= 1) events. Never fails. @thread any */
struct evq *evq_alloc(unsigned capacity);

/* Takes a reference. @thread any */
struct evq *evq_ref(struct evq *q);

/* Drops a reference; the last one frees the queue. NULL is fine. @thread any */
void evq_unref(struct evq *q);

/* Appends an event (strings are copied) and wakes the readers. Returns its
 * id, or 0 when the queue is closed. @thread owner (room worker) */
uint64_t evq_push(struct evq *q, const char *type, const char *data);

/* No more events will be pushed; readers drain what is left and end. @thread owner */
void evq_close(struct evq *q);

/* The first event with an id greater than `after`. A reader that resumes
 * from a client's Last-Event-ID clamps it to evq_last_id first, so that an
 * id from the future does not hide the events still to come. @thread any */
enum evq_next evq_next(struct evq *q, uint64_t after, struct evq_event *ev, uint64_t *lost_to);

/* The id of the last event pushed (0 if none). @thread any */
uint64_t evq_last_id(struct evq *q);

/* Frees what an event holds. @thread any */
void evq_event_clear(struct evq_event *ev);

/* Attaches a reader's wake callback (a closed queue still drains to its
 * readers). Returns a handle for evq_detach. @thread any */
unsigned evq_attach(struct evq *q, evq_wake_h *wake, void *arg);

/* Detaches a reader. @thread any */
void evq_detach(struct evq *q, unsigned handle);

/* Wakes every attached reader (heartbeats). @thread any */
void evq_wake_all(struct evq *q);

/* True when no reader is attached; *since_us (monotonic, util_now_us) is when
 * the last one detached, or when the queue was made. @thread any */
bool evq_idle(struct evq *q, int64_t *since_us);

#endif
