/* http.h - the few HTTP requests parley-bench makes (WHIP/WHEP offers and
 * deletes), blocking, with libcurl. Each call uses its own handle, so any
 * thread may make requests at the same time. */
#ifndef PARLEY_BENCH_HTTP_H
#define PARLEY_BENCH_HTTP_H

#include <stddef.h>

struct bench_http_res {
	long status;      /* 0 when the request did not complete */
	char *body;       /* owned (g_free), NUL-terminated, may be empty */
	size_t body_len;
	char *location;   /* owned: the Location header made absolute, or NULL */
	char error[160];  /* why status is 0, or the body's error message */
};

/* Once per process, before threads start. Returns 0 or EIO. */
int bench_http_global_init(void);
void bench_http_global_cleanup(void);

/* method "POST"/"DELETE"/...; body may be NULL. Returns 0 when a response
 * came (any status), EIO otherwise (res->error says why). */
int bench_http_request(const char *method, const char *url, const char *token,
		       const char *content_type, const char *body, size_t body_len,
		       struct bench_http_res *res);
void bench_http_res_clear(struct bench_http_res *res);

#endif
