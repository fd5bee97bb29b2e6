/* jwt.h - HS256 JSON Web Tokens in the claim layout of LiveKit's access
 * tokens, so that LiveKit's server SDKs and CLI mint tokens parleyd accepts:
 *   iss = API key, sub = identity, name, metadata, nbf, exp (seconds), and a
 *   "video" grant object: room, roomJoin, roomCreate, roomList, roomAdmin,
 *   roomRecord, canPublish, canSubscribe, canPublishData.
 * canPublish/canSubscribe/canPublishData default to true when absent; the
 * other grants default to false. Unknown claims and grants are ignored.
 * HMAC-SHA256 comes from OpenSSL; base64url from GLib. */
#ifndef PARLEY_SIGNALING_JWT_H
#define PARLEY_SIGNALING_JWT_H

#include <stdbool.h>
#include <stdint.h>

struct jwt_grants {
	char *identity;  /* owned; "sub", may be NULL for server-side tokens */
	char *name;      /* owned; may be NULL */
	char *metadata;  /* owned; may be NULL */
	char *api_key;   /* owned; "iss" */
	int64_t nbf;     /* 0 when absent */
	int64_t exp;     /* required */
	char *room;      /* owned; video.room, may be NULL */
	bool room_join;
	bool room_create;
	bool room_list;
	bool room_admin;
	bool room_record;
	bool can_publish;
	bool can_subscribe;
	bool can_publish_data;
};

/* Returns the secret for an API key, or NULL when the key is unknown. */
typedef const char *(jwt_secret_h)(const char *api_key, void *arg);

enum jwt_result {
	JWT_OK = 0,
	JWT_MALFORMED,     /* not three base64url parts, bad JSON, wrong types */
	JWT_BAD_ALG,       /* header alg is not HS256 */
	JWT_UNKNOWN_KEY,   /* iss missing or not a configured API key */
	JWT_BAD_SIGNATURE,
	JWT_EXPIRED,       /* now > exp + leeway (a missing exp is JWT_MALFORMED) */
	JWT_NOT_YET_VALID, /* now + leeway < nbf */
};

/* Verifies `token` (at most 8 KiB) at time `now` (unix seconds), allowing
 * `leeway` seconds of clock skew, and fills *out (release with
 * jwt_grants_clear). On any result other than JWT_OK *out is zeroed.
 * Signature comparison is constant-time. @thread any */
enum jwt_result jwt_verify(const char *token, int64_t now, unsigned leeway,
			   jwt_secret_h *secret_h, void *arg, struct jwt_grants *out);

/* Signs `g` with `secret` into a newly allocated token (g_free), writing
 * iss, sub, name, metadata, nbf, exp and the video grant (booleans only when
 * true, plus canPublish/canSubscribe/canPublishData when false). Returns NULL
 * only if `g` lacks api_key or exp. @thread any */
char *jwt_sign(const struct jwt_grants *g, const char *secret);

/* Releases what *g owns and zeroes it. @thread any */
void jwt_grants_clear(struct jwt_grants *g);

/* A short English reason for a result ("token expired"). @thread any */
const char *jwt_result_str(enum jwt_result r);

#endif
