/* member.c - see member.h. */
#include "tools/bench/member.h"
#include "media/base/util.h"
#include "tools/bench/http.h"

#include <curl/curl.h>
#include <errno.h>
#include <glib.h>
#include <jansson.h>
#include <string.h>

struct bench_member {
	struct bench_member_params p; /* its strings are the caller's: use the copies below */
	char *base_url, *room, *identity, *token;
	char pid[32];
	char *path;                   /* owned: /v1/rooms/{room}/participants/{pid} */
	int64_t join_start_us;
	struct bench_peer *pub;       /* owned */
	struct bench_peer *sub;       /* owned; made by bench_member_join, used by the event thread */
	GThread *events;              /* owned: reads the event stream */
	GMutex lock;                  /* guards error */
	gint stopping;                /* atomic */
	GString *buf;                 /* event thread: unparsed stream text */
	char error[200];
};

static void member_error(struct bench_member *m, const char *fmt, const char *detail)
{
	g_mutex_lock(&m->lock);
	if (!m->error[0])
		g_snprintf(m->error, sizeof(m->error), fmt, detail);
	g_mutex_unlock(&m->lock);
}

/* --- subscribe offers --------------------------------------------------------- */

static void on_subscribe_offer(struct bench_member *m, const char *data)
{
	json_t *j = json_loads(data, 0, NULL);
	const char *sdp = json_string_value(json_object_get(j, "sdp"));
	json_int_t version = json_integer_value(json_object_get(j, "version"));
	struct bench_http_res res;
	char msg[200], *answer = NULL, *url;

	if (!sdp || version <= 0) {
		member_error(m, "a subscribe_offer without sdp/version: %s", data);
		json_decref(j);
		return;
	}
	if (bench_peer_answer(m->sub, sdp, strlen(sdp), &answer, msg, sizeof(msg))) {
		member_error(m, "subscribe offer: %s", msg);
		json_decref(j);
		return;
	}
	url = g_strdup_printf("%s%s/subscribe?version=%lld", m->base_url, m->path,
			      (long long)version);
	if (bench_http_request("POST", url, m->token, "application/sdp", answer, strlen(answer),
			       &res) ||
	    res.status != 204)
		member_error(m, "subscribe answer refused: %s",
			     res.error[0] ? res.error : "unexpected status");
	bench_http_res_clear(&res);
	g_free(url);
	g_free(answer);
	json_decref(j);
}

/* Events were dropped (the stream fell behind): a subscribe offer may be
 * among them, so read the one waiting for an answer, as the web client does. */
static void on_events_lost(struct bench_member *m)
{
	struct bench_http_res res;
	char *url = g_strdup_printf("%s%s/subscribe", m->base_url, m->path);

	if (bench_http_request("GET", url, m->token, NULL, NULL, 0, &res) == 0 &&
	    res.status == 200)
		on_subscribe_offer(m, res.body);
	bench_http_res_clear(&res);
	g_free(url);
}

/* One event of the stream: "event: NAME" and "data: ..." lines. */
static void on_event(struct bench_member *m, const char *block)
{
	gchar **lines = g_strsplit(block, "\n", -1);
	const char *type = "message";
	GString *data = g_string_new(NULL);

	for (gchar **l = lines; *l; l++) {
		if (g_str_has_prefix(*l, "event:"))
			type = g_strstrip(*l + 6);
		else if (g_str_has_prefix(*l, "data:"))
			g_string_append(g_string_append(data, data->len ? "\n" : ""),
					*l + 5 + (l[0][5] == ' '));
	}
	if (strcmp(type, "subscribe_offer") == 0)
		on_subscribe_offer(m, data->str);
	else if (strcmp(type, "events_lost") == 0)
		on_events_lost(m);
	else if (strcmp(type, "disconnected") == 0)
		member_error(m, "disconnected by the server: %s", data->str);
	g_string_free(data, TRUE);
	g_strfreev(lines);
}

static size_t on_stream(char *data, size_t size, size_t n, void *arg)
{
	struct bench_member *m = arg;
	char *end;

	g_string_append_len(m->buf, data, (gssize)(size * n));
	/* events end with an empty line; CRs are not sent by parleyd */
	while ((end = strstr(m->buf->str, "\n\n")) != NULL) {
		*end = 0;
		on_event(m, m->buf->str);
		g_string_erase(m->buf, 0, end - m->buf->str + 2);
	}
	return size * n;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	struct bench_member *m = arg;

	(void)a, (void)b, (void)c, (void)d;
	return g_atomic_int_get(&m->stopping); /* non-zero aborts the transfer */
}

static gpointer events_main(gpointer data)
{
	struct bench_member *m = data;
	CURL *c = curl_easy_init();
	struct curl_slist *hdr = NULL;
	char *url = g_strdup_printf("%s%s/events", m->base_url, m->path);
	char *auth = g_strdup_printf("Authorization: Bearer %s", m->token);
	CURLcode rc;

	hdr = curl_slist_append(hdr, auth);
	hdr = curl_slist_append(hdr, "Accept: text/event-stream");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L); /* an error status is not a stream */
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_stream);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, m);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, m);
	rc = curl_easy_perform(c);
	if (!g_atomic_int_get(&m->stopping))
		member_error(m, "event stream: %s",
			     rc == CURLE_OK ? "closed by the server" : curl_easy_strerror(rc));
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	g_free(url);
	g_free(auth);
	return NULL;
}

/* --- join, publish, leave -------------------------------------------------------- */

static int join(struct bench_member *m, char *msg, size_t msgsize)
{
	struct bench_http_res res;
	char *url = g_strdup_printf("%s/v1/rooms/%s/participants", m->base_url, m->room);
	json_t *j = NULL;
	const char *pid = NULL;
	int err;

	m->join_start_us = util_now_us();
	err = bench_http_request("POST", url, m->token, "application/json", "{}", 2, &res);
	if (!err && res.status == 201) {
		j = json_loads(res.body, 0, NULL);
		pid = json_string_value(json_object_get(json_object_get(j, "participant"), "id"));
	}
	if (pid && strlen(pid) < sizeof(m->pid)) {
		g_strlcpy(m->pid, pid, sizeof(m->pid));
		m->path = g_strdup_printf("/v1/rooms/%s/participants/%s", m->room, m->pid);
	} else {
		g_snprintf(msg, msgsize, "join: %ld %s", res.status, res.error);
		err = err ? err : EPROTO;
	}
	json_decref(j);
	bench_http_res_clear(&res);
	g_free(url);
	return m->path ? 0 : err;
}

static void peer_params(struct bench_member *m, struct bench_peer_params *pp,
			enum bench_peer_mode mode, const char *url)
{
	memset(pp, 0, sizeof(*pp));
	pp->mode = mode;
	pp->url = url;
	pp->token = m->token;
	pp->w = m->p.w;
	pp->cert = m->p.cert;
	pp->srtp_profiles = m->p.srtp_profiles;
	pp->local_addrs = m->p.local_addrs;
	for (int k = 0; k < 2; k++) {
		pp->track[k] = mode == BENCH_PEER_API_PUB ? m->p.track[k] : NULL;
		pp->log[k] = mode == BENCH_PEER_API_PUB ? m->p.log[k] : NULL;
	}
	pp->log_for = m->p.log_for;
	pp->max_streams = m->p.max_streams;
	pp->log_arg = m->p.log_arg;
	pp->t0_us = m->p.t0_us;
	pp->join_start_us = m->join_start_us;
	pp->name = m->identity;
}

int bench_member_join(struct bench_member **out, const struct bench_member_params *prm,
		      char *msg, size_t msgsize)
{
	struct bench_member *m = g_new0(struct bench_member, 1);
	struct bench_peer_params pp;
	char *url;
	int err;

	m->p = *prm;
	m->base_url = g_strdup(prm->base_url);
	m->room = g_strdup(prm->room);
	m->identity = g_strdup(prm->identity);
	m->token = g_strdup(prm->token);
	m->buf = g_string_new(NULL);
	g_mutex_init(&m->lock);
	err = join(m, msg, msgsize);
	if (err) {
		bench_member_leave(m);
		return err;
	}
	if (prm->joined)
		prm->joined(prm->joined_arg, m->pid);
	/* the subscribe peer exists before the first offer can arrive */
	peer_params(m, &pp, BENCH_PEER_API_SUB, NULL);
	bench_peer_start(&m->sub, &pp, msg, msgsize);
	m->events = g_thread_new("bench-events", events_main, m);
	if (prm->track[BENCH_AUDIO] || prm->track[BENCH_VIDEO]) {
		url = g_strdup_printf("%s%s/publish", m->base_url, m->path);
		peer_params(m, &pp, BENCH_PEER_API_PUB, url);
		err = bench_peer_start(&m->pub, &pp, msg, msgsize);
		g_free(url);
	}
	if (err) {
		bench_member_leave(m);
		return err;
	}
	*out = m;
	return 0;
}

const char *bench_member_id(const struct bench_member *m)
{
	return m->pid;
}

void bench_member_stats(struct bench_member *m, struct bench_peer_stats *pub,
			struct bench_peer_stats *sub, char *error, size_t errsize)
{
	memset(pub, 0, sizeof(*pub));
	pub->join_us = -1;
	if (m->pub)
		bench_peer_stats(m->pub, pub);
	bench_peer_stats(m->sub, sub);
	g_mutex_lock(&m->lock);
	g_strlcpy(error, m->error, errsize);
	g_mutex_unlock(&m->lock);
}

void bench_member_leave(struct bench_member *m)
{
	struct bench_http_res res;
	char *url;

	if (!m)
		return;
	if (m->path) {
		url = g_strdup_printf("%s%s", m->base_url, m->path);
		bench_http_request("DELETE", url, m->token, NULL, NULL, 0, &res);
		bench_http_res_clear(&res);
		g_free(url);
	}
	g_atomic_int_set(&m->stopping, 1);
	if (m->events)
		g_thread_join(m->events);
	bench_peer_stop(m->pub, true);
	bench_peer_stop(m->sub, true);
	g_string_free(m->buf, TRUE);
	g_mutex_clear(&m->lock);
	g_free(m->base_url);
	g_free(m->room);
	g_free(m->identity);
	g_free(m->token);
	g_free(m->path);
	g_free(m);
}
