/* jwt.c - see jwt.h.
 *
 * Verification runs in this order, and the tests hold it to it: structure
 * (three parts, base64url of all three including the signature, JSON
 * objects) and alg, then the key lookup (iss is the only claim read before
 * the signature), then the signature, then the claims' types, then exp/nbf.
 * Nothing from the payload other than iss is interpreted before the HMAC
 * has been checked.
 *
 * base64url is decoded strictly: only [A-Za-z0-9_-], no padding, and the
 * encoding must be canonical (unused low bits zero), so that a token has
 * exactly one spelling and a changed character never verifies. */
#include "signaling/jwt.h"

#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define JWT_MAX_LEN 8192 /* bytes, whole token */
#define JWT_MAC_LEN 32   /* HMAC-SHA256 */
#define JWT_HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

/* The three base64url parts of a token; pointers borrow the token except
 * `mac`, the decoded signature, which is owned. */
struct jwt_parts {
	const char *hdr;
	size_t hdr_len;
	const char *pay;
	size_t pay_len;
	const char *sig;
	size_t sig_len;
	guchar *mac; /* owned */
	gsize mac_len;
};

/* The string claims, copied when present and of type string. */
static const struct {
	const char *name;
	size_t off;
} str_claims[] = {
	{ "iss", offsetof(struct jwt_grants, api_key) },
	{ "sub", offsetof(struct jwt_grants, identity) },
	{ "name", offsetof(struct jwt_grants, name) },
	{ "metadata", offsetof(struct jwt_grants, metadata) },
};

/* The boolean grants of the "video" object and their defaults. jwt_sign
 * writes a grant when it is true or when its default is true. */
static const struct {
	const char *name;
	size_t off;
	bool dflt;
} bool_grants[] = {
	{ "roomJoin", offsetof(struct jwt_grants, room_join), false },
	{ "roomCreate", offsetof(struct jwt_grants, room_create), false },
	{ "roomList", offsetof(struct jwt_grants, room_list), false },
	{ "roomAdmin", offsetof(struct jwt_grants, room_admin), false },
	{ "roomRecord", offsetof(struct jwt_grants, room_record), false },
	{ "canPublish", offsetof(struct jwt_grants, can_publish), true },
	{ "canSubscribe", offsetof(struct jwt_grants, can_subscribe), true },
	{ "canPublishData", offsetof(struct jwt_grants, can_publish_data), true },
};

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))
#define FIELD(g, type, off) ((type *)((char *)(g) + (off)))
#define CFIELD(g, type, off) ((const type *)((const char *)(g) + (off)))

static bool b64url_char(char c)
{
	return g_ascii_isalnum(c) || c == '-' || c == '_';
}

/* Decodes `len` unpadded base64url characters. Returns a buffer to g_free
 * (NUL-terminated for convenience) and its length in *out_len, or NULL when
 * the text is not canonical base64url. */
static guchar *b64url_decode(const char *s, size_t len, gsize *out_len)
{
	if (len % 4 == 1 || len > JWT_MAX_LEN)
		return NULL;
	size_t padded = (len + 3) / 4 * 4;
	char *std = g_malloc(padded + 1);
	for (size_t i = 0; i < len; i++) {
		if (!b64url_char(s[i])) {
			g_free(std);
			return NULL;
		}
		std[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	}
	memset(std + len, '=', padded - len);
	std[padded] = '\0';

	guchar *data = g_base64_decode(std, out_len);
	/* GLib skips what it does not understand and ignores the unused low
	 * bits; encoding the result again and comparing rejects both. */
	gchar *again = g_base64_encode(data, *out_len);
	bool same = strcmp(again, std) == 0;
	g_free(again);
	g_free(std);
	if (!same) {
		g_free(data);
		return NULL;
	}
	return data;
}

/* Encodes `len` bytes as unpadded base64url; the result is for g_free. */
static char *b64url_encode(const void *data, size_t len)
{
	gchar *s = g_base64_encode(data, len);
	gchar *p;
	for (p = s; *p && *p != '='; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	}
	*p = '\0';
	return s;
}

/* HMAC-SHA256 of `len` bytes under the NUL-terminated `secret`. */
static bool mac_compute(const char *secret, const void *data, size_t len,
			unsigned char mac[JWT_MAC_LEN])
{
	size_t klen = strlen(secret);
	unsigned int n = 0;

	if (klen > INT_MAX)
		return false;
	if (!HMAC(EVP_sha256(), secret, (int)klen, data, len, mac, &n))
		return false;
	return n == JWT_MAC_LEN;
}

/* Splits the token into exactly three parts and decodes the signature, so
 * that every structural error is found before the key lookup. On JWT_OK the
 * caller frees p->mac. */
static enum jwt_result token_split(const char *token, struct jwt_parts *p)
{
	size_t len = strnlen(token, JWT_MAX_LEN + 1);
	if (len > JWT_MAX_LEN)
		return JWT_MALFORMED;

	const char *d1 = memchr(token, '.', len);
	if (!d1)
		return JWT_MALFORMED;
	const char *d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token));
	if (!d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)))
		return JWT_MALFORMED;

	p->hdr = token;
	p->hdr_len = (size_t)(d1 - token);
	p->pay = d1 + 1;
	p->pay_len = (size_t)(d2 - p->pay);
	p->sig = d2 + 1;
	p->sig_len = len - (size_t)(p->sig - token);
	p->mac = b64url_decode(p->sig, p->sig_len, &p->mac_len);
	return p->mac ? JWT_OK : JWT_MALFORMED;
}

/* Decodes one part and parses it as a JSON object. Returns a new reference
 * or NULL. Duplicate keys are refused so that no two readers of the token
 * can disagree about a claim. */
static json_t *part_load(const char *s, size_t len)
{
	gsize n = 0;
	guchar *data = b64url_decode(s, len, &n);
	if (!data)
		return NULL;

	json_t *obj = json_loadb((const char *)data, n, JSON_REJECT_DUPLICATES, NULL);
	g_free(data);
	if (obj && !json_is_object(obj)) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

/* The header must be an object whose alg is the string "HS256". A "crit"
 * member names extensions we would have to understand (RFC 7515 4.1.11),
 * so it is refused. */
static enum jwt_result header_check(const struct jwt_parts *p)
{
	json_t *hdr = part_load(p->hdr, p->hdr_len);
	if (!hdr)
		return JWT_MALFORMED;

	enum jwt_result r = JWT_OK;
	json_t *alg = json_object_get(hdr, "alg");
	if (!json_is_string(alg) || json_object_get(hdr, "crit"))
		r = JWT_MALFORMED;
	else if (strcmp(json_string_value(alg), "HS256") != 0)
		r = JWT_BAD_ALG;
	json_decref(hdr);
	return r;
}

/* Finds the secret for the payload's iss. An empty secret counts as unknown:
 * it would let anyone mint tokens. */
static enum jwt_result key_lookup(json_t *pay, jwt_secret_h *secret_h, void *arg,
				  const char **secret)
{
	json_t *iss = json_object_get(pay, "iss");
	if (!iss)
		return JWT_UNKNOWN_KEY;
	if (!json_is_string(iss))
		return JWT_MALFORMED;

	*secret = secret_h(json_string_value(iss), arg);
	if (!*secret || !**secret)
		return JWT_UNKNOWN_KEY;
	return JWT_OK;
}

/* Checks the signature over "header.payload" in constant time. A signature
 * of the wrong length is simply a wrong signature. */
static enum jwt_result sig_check(const struct jwt_parts *p, const char *secret)
{
	unsigned char mac[JWT_MAC_LEN];
	enum jwt_result r = JWT_BAD_SIGNATURE;
	size_t input_len = p->hdr_len + 1 + p->pay_len;

	if (p->mac_len == JWT_MAC_LEN && mac_compute(secret, p->hdr, input_len, mac) &&
	    CRYPTO_memcmp(mac, p->mac, JWT_MAC_LEN) == 0)
		r = JWT_OK;
	OPENSSL_cleanse(mac, sizeof(mac));
	return r;
}

/* Reads an optional numeric claim (integer or real) as whole seconds.
 * Reals are truncated; ones outside int64_t are malformed. */
static enum jwt_result num_read(json_t *obj, const char *key, int64_t *dst, bool *present)
{
	json_t *v = json_object_get(obj, key);
	*present = v != NULL;
	if (!v)
		return JWT_OK;
	if (json_is_integer(v)) {
		*dst = (int64_t)json_integer_value(v);
		return JWT_OK;
	}
	if (!json_is_real(v))
		return JWT_MALFORMED;

	double d = json_real_value(v);
	if (!(d > -9.2e18 && d < 9.2e18))
		return JWT_MALFORMED;
	*dst = (int64_t)d;
	return JWT_OK;
}

/* Reads an optional string into a new copy at *dst. */
static enum jwt_result str_read(json_t *obj, const char *key, char **dst)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return JWT_OK;
	if (!json_is_string(v))
		return JWT_MALFORMED;
	*dst = g_strdup(json_string_value(v));
	return JWT_OK;
}

/* Reads the "video" object; absent grants keep their defaults. */
static enum jwt_result video_read(json_t *pay, struct jwt_grants *g)
{
	for (size_t i = 0; i < N_ELEM(bool_grants); i++)
		*FIELD(g, bool, bool_grants[i].off) = bool_grants[i].dflt;

	json_t *video = json_object_get(pay, "video");
	if (!video)
		return JWT_OK;
	if (!json_is_object(video))
		return JWT_MALFORMED;
	if (str_read(video, "room", &g->room) != JWT_OK)
		return JWT_MALFORMED;

	for (size_t i = 0; i < N_ELEM(bool_grants); i++) {
		json_t *v = json_object_get(video, bool_grants[i].name);
		if (!v)
			continue;
		if (!json_is_boolean(v))
			return JWT_MALFORMED;
		*FIELD(g, bool, bool_grants[i].off) = json_is_true(v);
	}
	return JWT_OK;
}

/* Copies the claims of an authenticated payload into *g. */
static enum jwt_result claims_read(json_t *pay, struct jwt_grants *g)
{
	bool has_exp = false, has_nbf = false;

	for (size_t i = 0; i < N_ELEM(str_claims); i++) {
		char **dst = FIELD(g, char *, str_claims[i].off);
		if (str_read(pay, str_claims[i].name, dst) != JWT_OK)
			return JWT_MALFORMED;
	}
	if (num_read(pay, "nbf", &g->nbf, &has_nbf) != JWT_OK ||
	    num_read(pay, "exp", &g->exp, &has_exp) != JWT_OK || !has_exp)
		return JWT_MALFORMED;
	return video_read(pay, g);
}

/* exp then nbf, each with `leeway` seconds of grace. The differences are
 * taken in uint64_t so that no operand value can overflow. */
static enum jwt_result time_check(const struct jwt_grants *g, int64_t now, unsigned leeway)
{
	if (now > g->exp && (uint64_t)now - (uint64_t)g->exp > leeway)
		return JWT_EXPIRED;
	if (g->nbf > now && (uint64_t)g->nbf - (uint64_t)now > leeway)
		return JWT_NOT_YET_VALID;
	return JWT_OK;
}

enum jwt_result jwt_verify(const char *token, int64_t now, unsigned leeway,
			   jwt_secret_h *secret_h, void *arg, struct jwt_grants *out)
{
	struct jwt_parts p = { 0 };
	const char *secret = NULL;
	json_t *pay = NULL;
	enum jwt_result r = JWT_MALFORMED;

	memset(out, 0, sizeof(*out));
	if (!token || !secret_h)
		goto out;
	if ((r = token_split(token, &p)) != JWT_OK || (r = header_check(&p)) != JWT_OK)
		goto out;
	pay = part_load(p.pay, p.pay_len);
	if (!pay) {
		r = JWT_MALFORMED;
		goto out;
	}
	if ((r = key_lookup(pay, secret_h, arg, &secret)) != JWT_OK ||
	    (r = sig_check(&p, secret)) != JWT_OK)
		goto out;
	if ((r = claims_read(pay, out)) != JWT_OK)
		goto out;
	r = time_check(out, now, leeway);
out:
	json_decref(pay);
	g_free(p.mac);
	if (r != JWT_OK)
		jwt_grants_clear(out);
	return r;
}

/* Sets obj[key] to the string `val` when `val` is not NULL. Returns -1 when
 * `val` is not valid UTF-8. */
static int str_put(json_t *obj, const char *key, const char *val)
{
	if (!val)
		return 0;
	return json_object_set_new(obj, key, json_string(val));
}

static json_t *video_build(const struct jwt_grants *g)
{
	json_t *video = json_object();
	if (!video || str_put(video, "room", g->room)) {
		json_decref(video);
		return NULL;
	}
	for (size_t i = 0; i < N_ELEM(bool_grants); i++) {
		bool v = *CFIELD(g, bool, bool_grants[i].off);
		if (v || bool_grants[i].dflt)
			json_object_set_new(video, bool_grants[i].name, json_boolean(v));
	}
	return video;
}

/* The payload in LiveKit's layout; jti repeats the identity as LiveKit's Go
 * SDK writes it. Returns NULL when a string is not valid UTF-8. */
static json_t *claims_build(const struct jwt_grants *g)
{
	json_t *c = json_object();
	if (!c)
		return NULL;

	int err = str_put(c, "iss", g->api_key);
	err |= str_put(c, "sub", g->identity);
	err |= str_put(c, "jti", g->identity);
	err |= str_put(c, "name", g->name);
	err |= str_put(c, "metadata", g->metadata);
	if (g->nbf)
		err |= json_object_set_new(c, "nbf", json_integer(g->nbf));
	err |= json_object_set_new(c, "exp", json_integer(g->exp));
	err |= json_object_set_new(c, "video", video_build(g));
	if (err) {
		json_decref(c);
		return NULL;
	}
	return c;
}

/* Also returns NULL when a string in `g` is not valid UTF-8 or HMAC fails. */
char *jwt_sign(const struct jwt_grants *g, const char *secret)
{
	unsigned char mac[JWT_MAC_LEN];
	char *token = NULL;

	if (!g || !g->api_key || !g->exp || !secret)
		return NULL;
	json_t *claims = claims_build(g);
	char *payload = claims ? json_dumps(claims, JSON_COMPACT) : NULL;
	json_decref(claims);
	if (!payload)
		return NULL;

	char *hdr64 = b64url_encode(JWT_HEADER, strlen(JWT_HEADER));
	char *pay64 = b64url_encode(payload, strlen(payload));
	char *input = g_strconcat(hdr64, ".", pay64, NULL);
	if (mac_compute(secret, input, strlen(input), mac)) {
		char *sig64 = b64url_encode(mac, sizeof(mac));
		token = g_strconcat(input, ".", sig64, NULL);
		g_free(sig64);
	}
	OPENSSL_cleanse(mac, sizeof(mac));
	g_free(input);
	g_free(pay64);
	g_free(hdr64);
	free(payload);
	return token;
}

void jwt_grants_clear(struct jwt_grants *g)
{
	if (!g)
		return;
	g_free(g->identity);
	g_free(g->name);
	g_free(g->metadata);
	g_free(g->api_key);
	g_free(g->room);
	memset(g, 0, sizeof(*g));
}

const char *jwt_result_str(enum jwt_result r)
{
	switch (r) {
	case JWT_OK:
		return "ok";
	case JWT_MALFORMED:
		return "malformed token";
	case JWT_BAD_ALG:
		return "unsupported algorithm";
	case JWT_UNKNOWN_KEY:
		return "unknown API key";
	case JWT_BAD_SIGNATURE:
		return "bad signature";
	case JWT_EXPIRED:
		return "token expired";
	case JWT_NOT_YET_VALID:
		return "token not yet valid";
	}
	return "unknown result";
}
