/* http.h - the HTTP server (libmicrohttpd): routing, body limits, JSON and
 * error responses, static files, streamed responses. The API handlers sit on
 * top of it (api.c); nothing below signaling/ knows HTTP.
 *
 * A handler runs on one of libmicrohttpd's threads and must not block. It
 * either responds at once or hands the request to another thread (a room's
 * worker) that responds later; the connection is suspended meanwhile. Every
 * request gets exactly one response. */
#ifndef PARLEY_SIGNALING_HTTP_H
#define PARLEY_SIGNALING_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "signaling/apierr.h"

struct http_server;
struct http_req;
struct http_stream;

typedef void(http_handler_h)(struct http_req *req, void *arg);

/* One route: method and a path pattern whose segments are literals or
 * {name} parameters, e.g. "/v1/rooms/{room}/participants/{pid}". */
struct http_route {
	const char *method;
	const char *pattern;
	http_handler_h *handler;
};

struct http_opts {
	const char *bind;        /* IPv4 or IPv6 literal */
	unsigned port;           /* 0 = any free port */
	unsigned threads;
	unsigned max_body;       /* bytes */
	unsigned max_connections;
	const char *web_root;    /* static files for paths no route takes; NULL = none */
};

/* Starts listening. `routes` ends with an entry whose method is NULL and must
 * outlive the server; `arg` goes to every handler. Returns 0, EADDRINUSE,
 * EINVAL or EIO. @thread main */
int http_server_start(struct http_server **out, const struct http_opts *o,
		      const struct http_route *routes, void *arg);

/* The port the server listens on. @thread any */
unsigned http_server_port(const struct http_server *s);

/* Stops accepting new connections; open ones go on. @thread main */
void http_server_quiesce(struct http_server *s);

/* Number of requests and streams not yet finished. @thread any */
unsigned http_server_active(struct http_server *s);

/* Closes every connection and frees the server. NULL is fine. @thread main */
void http_server_stop(struct http_server *s);

/* Request accessors; the strings live as long as the request. @thread handler */
const char *http_req_method(const struct http_req *r);
const char *http_req_path(const struct http_req *r);
const char *http_req_param(const struct http_req *r, const char *name);
const char *http_req_header(const struct http_req *r, const char *name);
const char *http_req_query(const struct http_req *r, const char *name);
const char *http_req_body(const struct http_req *r, size_t *len);

/* True when the body's Content-Type is `type` (parameters such as charset
 * are ignored). @thread handler */
bool http_req_content_type_is(const struct http_req *r, const char *type);

/* Responses: exactly one per request, from any thread. */

/* Sends `body` (reference stolen) as application/json. */
void http_respond_json(struct http_req *r, unsigned status, json_t *body);

/* Sends {"error":{"code","message"}} with the status of `e`; `msg` NULL uses
 * the table's default message. */
void http_respond_error(struct http_req *r, enum apierr e, const char *msg);

/* Sends an empty 204. */
void http_respond_empty(struct http_req *r);

/* Sends a text body with a content type (copied). */
void http_respond_text(struct http_req *r, unsigned status, const char *content_type,
		       const char *text, size_t len);

/* The same with extra headers: `headers` holds name, value, name, value, ...
 * and ends with NULL (a name may repeat, e.g. Link). */
void http_respond_text_headers(struct http_req *r, unsigned status, const char *content_type,
			       const char *text, size_t len, const char *const *headers);

/* Streamed bodies (Server-Sent Events). `read` fills up to `max` bytes and
 * returns how many, 0 when it has nothing now (the connection then sleeps
 * until http_stream_wake), or -1 at the end of the stream. `free` runs when
 * the connection is done, on an HTTP thread; after it returns no other call
 * may use the stream. */
typedef ssize_t(http_stream_read_h)(void *arg, char *buf, size_t max);
typedef void(http_stream_free_h)(void *arg);

/* Starts a 200 streamed response and returns its handle. @thread any */
struct http_stream *http_respond_stream(struct http_req *r, const char *content_type,
					 http_stream_read_h *read, http_stream_free_h *free_h,
					 void *arg);

/* Makes the stream call `read` again soon. @thread any, until `free` runs */
void http_stream_wake(struct http_stream *s);

#endif
