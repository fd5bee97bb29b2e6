/* fuzz_jwt.c - libFuzzer target for signaling/jwt.c.
 *
 * An input starting with '{' is taken as a payload: it is signed under a
 * fixed HS256 header and secret, so that the claim parser behind the
 * signature check is reached; any other input is verified as a token as it
 * is. Whenever a token verifies, its grants are signed again with jwt_sign
 * and must verify to the same grants (abort otherwise). The time and the
 * secret are fixed so that every run is reproducible. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "signaling/jwt.h"

#define FUZZ_KEY "APIkey1"
#define FUZZ_SECRET "parley-test-secret-0123456789abcdef"
#define FUZZ_NOW INT64_C(1800000000)
#define FUZZ_LEEWAY 10
#define FUZZ_HEADER "eyJhbGciOiJIUzI1NiJ9" /* {"alg":"HS256"} */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fuzz_secret(const char *api_key, void *arg)
{
	return strcmp(api_key, FUZZ_KEY) == 0 ? FUZZ_SECRET : NULL;
}

static char *fuzz_b64url(const void *data, size_t len)
{
	char *s = g_base64_encode(data, len);
	g_strdelimit(s, "+", '-');
	g_strdelimit(s, "/", '_');
	char *pad = strchr(s, '=');
	if (pad)
		*pad = '\0';
	return s;
}

/* FUZZ_HEADER.payload.signature over the raw payload bytes; for g_free. */
static char *fuzz_mint(const uint8_t *pay, size_t size)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char *p = fuzz_b64url(pay, size);
	char *input = g_strconcat(FUZZ_HEADER ".", p, NULL);

	if (!HMAC(EVP_sha256(), FUZZ_SECRET, (int)strlen(FUZZ_SECRET),
		  (const unsigned char *)input, strlen(input), mac, &n))
		abort();
	char *s = fuzz_b64url(mac, n);
	char *token = g_strconcat(input, ".", s, NULL);
	g_free(s);
	g_free(input);
	g_free(p);
	return token;
}

static bool str_same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool grants_same(const struct jwt_grants *a, const struct jwt_grants *b)
{
	return str_same(a->identity, b->identity) && str_same(a->name, b->name) &&
	       str_same(a->metadata, b->metadata) && str_same(a->api_key, b->api_key) &&
	       str_same(a->room, b->room) && a->nbf == b->nbf && a->exp == b->exp &&
	       a->room_join == b->room_join && a->room_create == b->room_create &&
	       a->room_list == b->room_list && a->room_admin == b->room_admin &&
	       a->room_record == b->room_record && a->can_publish == b->can_publish &&
	       a->can_subscribe == b->can_subscribe &&
	       a->can_publish_data == b->can_publish_data;
}

/* Signs `g` again and checks that the new token says the same. Tokens that
 * grew past the 8 KiB limit (jti repeats sub) are skipped. */
static void fuzz_roundtrip(const struct jwt_grants *g)
{
	struct jwt_grants again;
	char *token = jwt_sign(g, FUZZ_SECRET);
	if (!token)
		abort();
	if (strlen(token) <= 8192) {
		if (jwt_verify(token, FUZZ_NOW, FUZZ_LEEWAY, fuzz_secret, NULL, &again) != JWT_OK ||
		    !grants_same(g, &again))
			abort();
		jwt_grants_clear(&again);
	}
	g_free(token);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jwt_grants g;
	char *token;

	if (size > 0 && data[0] == '{') {
		token = fuzz_mint(data, size);
	} else {
		token = g_malloc(size + 1);
		memcpy(token, data, size);
		token[size] = '\0';
	}
	enum jwt_result r = jwt_verify(token, FUZZ_NOW, FUZZ_LEEWAY, fuzz_secret, NULL, &g);
	if (r == JWT_OK)
		fuzz_roundtrip(&g);
	if (!jwt_result_str(r))
		abort();
	jwt_grants_clear(&g);
	g_free(token);
	return 0;
}
