/* http.c - see http.h. */
#include "tools/bench/http.h"

#include <curl/curl.h>
#include <errno.h>
#include <glib.h>
#include <string.h>

int bench_http_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : EIO;
}

void bench_http_global_cleanup(void)
{
	curl_global_cleanup();
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	GString *s = arg;

	g_string_append_len(s, data, (gssize)(size * n));
	return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	char **location = arg;
	size_t len = size * n;

	if (len > 9 && g_ascii_strncasecmp(data, "location:", 9) == 0) {
		g_free(*location);
		*location = g_strstrip(g_strndup(data + 9, len - 9));
	}
	return len;
}

/* "/whip/r/PA_x" against "http://host:port/whip/r" -> absolute URL. */
static char *absolute(const char *base, char *loc)
{
	const char *p;
	char *out;

	if (!loc || strstr(loc, "://"))
		return loc;
	p = strstr(base, "://");
	p = p ? strchr(p + 3, '/') : NULL;
	out = g_strdup_printf("%.*s%s", p ? (int)(p - base) : (int)strlen(base), base, loc);
	g_free(loc);
	return out;
}

int bench_http_request(const char *method, const char *url, const char *token,
		       const char *content_type, const char *body, size_t body_len,
		       struct bench_http_res *res)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hdr = NULL;
	GString *resp = g_string_new(NULL);
	char auth[8192], ctype[128];
	CURLcode rc;

	memset(res, 0, sizeof(*res));
	if (!c) {
		g_string_free(resp, TRUE);
		g_strlcpy(res->error, "curl_easy_init failed", sizeof(res->error));
		return EIO;
	}
	if (token) {
		g_snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		hdr = curl_slist_append(hdr, auth);
	}
	if (content_type) {
		g_snprintf(ctype, sizeof(ctype), "Content-Type: %s", content_type);
		hdr = curl_slist_append(hdr, ctype);
	}
	hdr = curl_slist_append(hdr, "Expect:"); /* no 100-continue round trip */
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &res->location);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body_len);
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
	else
		g_strlcpy(res->error, curl_easy_strerror(rc), sizeof(res->error));
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	res->body_len = resp->len;
	res->body = g_string_free(resp, FALSE);
	res->location = absolute(url, res->location);
	if (res->status >= 400)
		g_strlcpy(res->error, res->body, sizeof(res->error));
	return rc == CURLE_OK ? 0 : EIO;
}

void bench_http_res_clear(struct bench_http_res *res)
{
	g_free(res->body);
	g_free(res->location);
	memset(res, 0, sizeof(*res));
}
