/* http.c - see http.h. */
#define LOG_MOD "http"
#include "signaling/http.h"
#include "media/base/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_PARAMS 4
/* An oversized body is read and dropped up to this many bytes, so that the
 * client, still sending, gets its 413 rather than a reset connection (the way
 * a web server's lingering close does); past it the connection is closed. */
#define DISCARD_MAX (8u * 1024 * 1024)

struct http_server {
	struct MHD_Daemon *d;
	const struct http_route *routes; /* borrowed */
	void *arg;
	unsigned max_body;
	char *web_root;   /* owned, may be NULL */
	unsigned port;
	gint active;
};

enum req_state { REQ_NEW, REQ_HANDLING, REQ_SUSPENDED, REQ_READY, REQ_SENT };

struct http_req {
	struct http_server *srv;      /* borrowed */
	struct MHD_Connection *conn;  /* borrowed */
	char *method;                 /* owned */
	char *path;                   /* owned */
	GString *body;                /* owned */
	const char *param_names[MAX_PARAMS]; /* borrowed: "{name}" in the pattern */
	char *param_values[MAX_PARAMS]; /* owned */
	GMutex lock;                  /* guards state, resp, status */
	enum req_state state;
	struct MHD_Response *resp;    /* owned until queued */
	unsigned status;
	size_t discarded;             /* body bytes dropped after a 413 */
};

struct http_stream {
	GMutex lock;
	struct MHD_Connection *conn; /* borrowed */
	bool paused;
	bool wake_pending;
	http_stream_read_h *read;
	http_stream_free_h *free_h;
	void *arg;
};

const char *http_req_method(const struct http_req *r)
{
	return r->method;
}

const char *http_req_path(const struct http_req *r)
{
	return r->path;
}

const char *http_req_param(const struct http_req *r, const char *name)
{
	size_t n = strlen(name);

	/* param_names point into the route pattern, at "{name}..." */
	for (unsigned i = 0; i < MAX_PARAMS && r->param_names[i]; i++) {
		const char *p = r->param_names[i] + 1;

		if (strncmp(p, name, n) == 0 && p[n] == '}')
			return r->param_values[i];
	}
	return NULL;
}

const char *http_req_header(const struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *http_req_query(const struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_req_body(const struct http_req *r, size_t *len)
{
	*len = r->body->len;
	return r->body->str;
}

bool http_req_content_type_is(const struct http_req *r, const char *type)
{
	const char *ct = http_req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t n = strlen(type);

	if (!ct || g_ascii_strncasecmp(ct, type, n) != 0)
		return false;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

/* Hands a finished response to the request; resumes it if it was waiting. */
static void req_set_response(struct http_req *r, unsigned status, struct MHD_Response *resp)
{
	g_mutex_lock(&r->lock);
	if (r->state == REQ_READY || r->state == REQ_SENT) {
		g_mutex_unlock(&r->lock);
		log_err("second response to %s %s dropped", r->method, r->path);
		MHD_destroy_response(resp);
		return;
	}
	r->resp = resp;
	r->status = status;
	if (r->state == REQ_SUSPENDED)
		MHD_resume_connection(r->conn);
	r->state = REQ_READY;
	g_mutex_unlock(&r->lock);
}

void http_respond_text_headers(struct http_req *r, unsigned status, const char *content_type,
			       const char *text, size_t len, const char *const *headers)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);

	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	for (; headers && headers[0] && headers[1]; headers += 2)
		MHD_add_response_header(resp, headers[0], headers[1]);
	req_set_response(r, status, resp);
}

void http_respond_text(struct http_req *r, unsigned status, const char *content_type,
		       const char *text, size_t len)
{
	http_respond_text_headers(r, status, content_type, text, len, NULL);
}

void http_respond_json(struct http_req *r, unsigned status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);

	json_decref(body);
	if (!text) {
		http_respond_text(r, 500, "application/json",
				  "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}",
				  57);
		return;
	}
	http_respond_text(r, status, "application/json", text, strlen(text));
	free(text);
}

void http_respond_error(struct http_req *r, enum apierr e, const char *msg)
{
	json_t *body = json_pack("{s:{s:s, s:s}}", "error", "code", apierr_code(e), "message",
				 msg && *msg ? msg : apierr_message(e));

	if (e == APIERR_INTERNAL || apierr_status(e) >= 500)
		log_warn("%s %s -> %u %s: %s", r->method, r->path, apierr_status(e), apierr_code(e),
			 msg && *msg ? msg : apierr_message(e));
	else
		log_debug("%s %s -> %u %s", r->method, r->path, apierr_status(e), apierr_code(e));
	http_respond_json(r, apierr_status(e), body);
}

void http_respond_empty(struct http_req *r)
{
	req_set_response(r, 204, MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT));
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct http_stream *s = cls;
	ssize_t n;

	g_mutex_lock(&s->lock);
	s->wake_pending = false;
	g_mutex_unlock(&s->lock);
	n = s->read(s->arg, buf, max);
	if (n < 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (n > 0)
		return n;
	/* Nothing to send: sleep until woken, unless a wake came meanwhile. */
	g_mutex_lock(&s->lock);
	if (!s->wake_pending) {
		s->paused = true;
		MHD_suspend_connection(s->conn);
	}
	g_mutex_unlock(&s->lock);
	return 0;
}

static void stream_free(void *cls)
{
	struct http_stream *s = cls;

	s->free_h(s->arg);
	g_mutex_clear(&s->lock);
	g_free(s);
}

struct http_stream *http_respond_stream(struct http_req *r, const char *content_type,
					 http_stream_read_h *read, http_stream_free_h *free_h,
					 void *arg)
{
	struct http_stream *s = g_new0(struct http_stream, 1);
	struct MHD_Response *resp;

	g_mutex_init(&s->lock);
	s->conn = r->conn;
	s->read = read;
	s->free_h = free_h;
	s->arg = arg;
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_read, s,
						 stream_free);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	req_set_response(r, 200, resp);
	return s;
}

void http_stream_wake(struct http_stream *s)
{
	g_mutex_lock(&s->lock);
	if (s->paused) {
		s->paused = false;
		MHD_resume_connection(s->conn);
	} else {
		s->wake_pending = true;
	}
	g_mutex_unlock(&s->lock);
}

/* Matches `path` against `pattern`, filling the request's parameters. */
static bool route_match(struct http_req *r, const char *pattern, const char *path)
{
	unsigned np = 0;

	while (*pattern && *path) {
		const char *pe, *se;

		if (*pattern != '/' || *path != '/')
			return false;
		pattern++;
		path++;
		pe = strchrnul(pattern, '/');
		se = strchrnul(path, '/');
		if (*pattern == '{') {
			if (se == path || np >= MAX_PARAMS)
				return false;
			r->param_names[np] = pattern; /* ends at '}' */
			g_free(r->param_values[np]);
			r->param_values[np++] = g_strndup(path, (gsize)(se - path));
		} else if (pe - pattern != se - path ||
			   strncmp(pattern, path, (size_t)(pe - pattern)) != 0) {
			return false;
		}
		pattern = pe;
		path = se;
	}
	return *pattern == '\0' && *path == '\0';
}

static const char *mime_type(const char *path)
{
	static const char *const map[][2] = {
		{ ".html", "text/html; charset=utf-8" }, { ".js", "text/javascript; charset=utf-8" },
		{ ".mjs", "text/javascript; charset=utf-8" }, { ".css", "text/css; charset=utf-8" },
		{ ".json", "application/json" }, { ".svg", "image/svg+xml" },
		{ ".png", "image/png" }, { ".ico", "image/x-icon" }, { ".txt", "text/plain; charset=utf-8" },
	};

	for (unsigned i = 0; i < G_N_ELEMENTS(map); i++) {
		if (g_str_has_suffix(path, map[i][0]))
			return map[i][1];
	}
	return "application/octet-stream";
}

/* Serves a file below web_root for GET/HEAD; false when there is none. */
static bool serve_static(struct http_req *r)
{
	struct http_server *s = r->srv;
	const char *rel = strcmp(r->path, "/") == 0 ? "/index.html" : r->path;
	struct MHD_Response *resp;
	struct stat st;
	char *full;
	int fd;

	if (!s->web_root || strstr(rel, "..") || strchr(rel, '\\'))
		return false;
	full = g_strconcat(s->web_root, rel, NULL);
	fd = open(full, O_RDONLY | O_CLOEXEC);
	g_free(full);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return false;
	}
	resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, mime_type(rel));
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	req_set_response(r, 200, resp);
	return true;
}

static void dispatch(struct http_req *r)
{
	struct http_server *s = r->srv;
	GString *allow = NULL;

	for (const struct http_route *rt = s->routes; rt->method; rt++) {
		if (!route_match(r, rt->pattern, r->path))
			continue;
		if (strcmp(rt->method, r->method) == 0 ||
		    (strcmp(r->method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0)) {
			if (allow)
				g_string_free(allow, TRUE);
			rt->handler(r, s->arg);
			return;
		}
		if (!allow)
			allow = g_string_new(NULL);
		if (!strstr(allow->str, rt->method))
			g_string_append_printf(allow, "%s%s", allow->len ? ", " : "", rt->method);
		if (strcmp(rt->method, "GET") == 0 && !strstr(allow->str, "HEAD"))
			g_string_append(allow, ", HEAD");
	}
	if (allow) {
		char msg[160];

		g_snprintf(msg, sizeof(msg), "%s is not allowed here; allowed: %s", r->method,
			   allow->str);
		http_respond_error(r, APIERR_METHOD_NOT_ALLOWED, msg);
		/* The response is not queued yet: it is safe to add the header. */
		MHD_add_response_header(r->resp, MHD_HTTP_HEADER_ALLOW, allow->str);
		g_string_free(allow, TRUE);
		return;
	}
	if ((strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0) &&
	    strncmp(r->path, "/v1/", 4) != 0 && serve_static(r))
		return;
	http_respond_error(r, APIERR_NOT_FOUND, NULL);
}

static struct http_req *req_new(struct http_server *s, struct MHD_Connection *conn,
				const char *method, const char *url)
{
	struct http_req *r = g_new0(struct http_req, 1);

	r->srv = s;
	r->conn = conn;
	r->method = g_strdup(method);
	r->path = g_strdup(url);
	r->body = g_string_new(NULL);
	g_mutex_init(&r->lock);
	g_atomic_int_inc(&s->active);
	return r;
}

static void req_free(struct http_req *r)
{
	if (r->resp)
		MHD_destroy_response(r->resp);
	for (unsigned i = 0; i < MAX_PARAMS; i++)
		g_free(r->param_values[i]);
	g_string_free(r->body, TRUE);
	g_free(r->method);
	g_free(r->path);
	g_mutex_clear(&r->lock);
	g_atomic_int_add(&r->srv->active, -1);
	g_free(r);
}

static enum MHD_Result queue_ready(struct http_req *r)
{
	enum MHD_Result ret = MHD_queue_response(r->conn, r->status, r->resp);

	MHD_destroy_response(r->resp);
	r->resp = NULL;
	r->state = REQ_SENT;
	return ret;
}

/* The first call for a request: the declared body length, 0 if none. */
static guint64 body_declared(struct http_req *r)
{
	const char *cl = http_req_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	guint64 n;

	if (!cl || !g_ascii_string_to_unsigned(cl, 10, 0, G_MAXUINT64, &n, NULL))
		return 0;
	return n;
}

static void respond_too_large(struct http_req *r)
{
	char msg[96];

	g_snprintf(msg, sizeof(msg), "request bodies are limited to %u bytes", r->srv->max_body);
	http_respond_error(r, APIERR_PAYLOAD_TOO_LARGE, msg);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_server *s = cls;
	struct http_req *r = *con_cls;
	enum MHD_Result ret = MHD_YES;

	if (!r) {
		guint64 declared;

		*con_cls = r = req_new(s, conn, method, url);
		declared = body_declared(r);
		if (declared <= s->max_body)
			return MHD_YES;
		respond_too_large(r);
		if (declared <= (guint64)s->max_body + DISCARD_MAX)
			return MHD_YES; /* answered once the body has been read */
		/* Far too large: answered now, the connection closes unread. */
	} else if (*upload_data_size) {
		size_t n = *upload_data_size;

		/* libmicrohttpd cannot queue a response in the middle of a body:
		 * an oversized body is read and dropped, and answered at its end. */
		*upload_data_size = 0;
		if (r->state == REQ_NEW && r->body->len + n > s->max_body)
			respond_too_large(r);
		if (r->state == REQ_NEW)
			g_string_append_len(r->body, upload_data, (gssize)n);
		else if ((r->discarded += n) > DISCARD_MAX)
			return MHD_NO;
		return MHD_YES;
	} else if (r->state == REQ_NEW) {
		r->state = REQ_HANDLING;
		dispatch(r);
	}
	g_mutex_lock(&r->lock);
	if (r->state == REQ_READY) {
		ret = queue_ready(r);
	} else if (r->state == REQ_HANDLING) {
		r->state = REQ_SUSPENDED;
		MHD_suspend_connection(conn);
	}
	g_mutex_unlock(&r->lock);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_req *r = *con_cls;

	if (!r)
		return;
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		log_debug("%s %s ended early (%d)", r->method, r->path, (int)toe);
	/* A worker answering the request resumes the connection while it holds
	 * r->lock; a client that has gone away meanwhile gets its connection
	 * closed, and this called, before that worker has let go. Wait for it:
	 * after req_set_response it never touches the request again. (Freeing
	 * a locked mutex made GLib abort parleyd, now and then, at the end of
	 * a test, where clients leave while their last requests are answered.) */
	g_mutex_lock(&r->lock);
	g_mutex_unlock(&r->lock);
	req_free(r);
	*con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	g_vsnprintf(msg, sizeof(msg), fmt, ap);
	g_strchomp(msg);
	log_debug("libmicrohttpd: %s", msg); /* mostly clients that went away */
}

static int hexval(char c)
{
	return g_ascii_xdigit_value(c);
}

/* Percent-decodes the path and query arguments in place, except %00 and
 * %2F: a NUL would cut the string and a '/' would move segment boundaries,
 * so those stay encoded (and fail id validation) instead of changing which
 * resource a request names. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *str)
{
	char *in = str, *out = str;

	while (*in) {
		int hi, lo;

		if (in[0] == '%' && (hi = hexval(in[1])) >= 0 && (lo = hexval(in[2])) >= 0 &&
		    hi * 16 + lo != 0 && hi * 16 + lo != '/') {
			*out++ = (char)(hi * 16 + lo);
			in += 3;
		} else {
			*out++ = *in++;
		}
	}
	*out = '\0';
	return (size_t)(out - str);
}

static int sockaddr_fill(const char *bind, unsigned port, struct sockaddr_storage *ss,
			 bool *ipv6)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, bind, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*ipv6 = false;
		return 0;
	}
	if (inet_pton(AF_INET6, bind, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*ipv6 = true;
		return 0;
	}
	return EINVAL;
}

int http_server_start(struct http_server **out, const struct http_opts *o,
		      const struct http_route *routes, void *arg)
{
	struct http_server *s;
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	bool ipv6;

	if (sockaddr_fill(o->bind, o->port, &ss, &ipv6))
		return EINVAL;
	if (ipv6)
		flags |= MHD_USE_IPv6;
	s = g_new0(struct http_server, 1);
	s->routes = routes;
	s->arg = arg;
	s->max_body = o->max_body;
	s->web_root = o->web_root && *o->web_root ? g_strdup(o->web_root) : NULL;
	s->d = MHD_start_daemon(flags, (uint16_t)o->port, NULL, NULL, on_request, s,
				MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)o->threads,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)o->max_connections,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				MHD_OPTION_UNESCAPE_CALLBACK, unescape, s,
				MHD_OPTION_END);
	if (!s->d) {
		int err = errno == EADDRINUSE ? EADDRINUSE : EIO;

		g_free(s->web_root);
		g_free(s);
		return err;
	}
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : o->port;
	*out = s;
	return 0;
}

unsigned http_server_port(const struct http_server *s)
{
	return s->port;
}

void http_server_quiesce(struct http_server *s)
{
	MHD_socket fd = MHD_quiesce_daemon(s->d);

	if (fd != MHD_INVALID_SOCKET)
		close(fd);
}

unsigned http_server_active(struct http_server *s)
{
	return (unsigned)g_atomic_int_get(&s->active);
}

void http_server_stop(struct http_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d);
	g_free(s->web_root);
	g_free(s);
}
