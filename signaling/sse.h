/* sse.h - Server-Sent Events streams of participants' event queues.
 * Each stream sends "id:", "event:" and "data:" lines for every event after
 * the client's Last-Event-ID, a comment line as a heartbeat when idle, and
 * ends when the queue closes (the participant left or the room ended). The
 * hub keeps the open streams for heartbeats and counts them. */
#ifndef PARLEY_SIGNALING_SSE_H
#define PARLEY_SIGNALING_SSE_H

#include <glib.h>
#include <stdint.h>

struct sse_hub;
struct http_req;
struct evq;

/* A hub whose heartbeat timer runs on `ctx` (the main loop). @thread main */
struct sse_hub *sse_hub_alloc(GMainContext *ctx, unsigned heartbeat_s);

/* Stops the timer and frees the hub; every stream must have ended. @thread main */
void sse_hub_free(struct sse_hub *hub);

/* Open streams. @thread any */
unsigned sse_hub_count(struct sse_hub *hub);

/* Responds to `req` with a stream of `q` (reference stolen) starting after
 * event `after` (a client's Last-Event-ID, 0 for everything still kept).
 * @thread any */
void sse_start(struct sse_hub *hub, struct http_req *req, struct evq *q, uint64_t after);

/* Parses a Last-Event-ID value; 0 when absent or not a number. @thread any */
uint64_t sse_parse_last_id(const char *s);

#endif
