/* test_jwt.c - unit tests for signaling/jwt.c.
 *
 * Tokens with hand-written headers and payloads are minted here with an
 * encoder of the test's own (GLib base64 + OpenSSL HMAC), so that the
 * verifier is not only checked against jwt_sign. One token was minted by
 * LiveKit's node SDK (livekit-server-sdk 2.19.2). Every verification uses a
 * fixed `now`, never the clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "signaling/jwt.h"

#define KEY "APIkey1"
#define SECRET "parley-test-secret-0123456789abcdef"
#define NOW INT64_C(1800000000)
#define EXP "1800000100" /* NOW + 100 */
#define LEEWAY 10
#define HS256 "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define CLAIMS(extra) "{\"iss\":\"" KEY "\",\"exp\":" EXP extra "}"

/* Counts the lookups so that tests can check the order of the checks. */
static unsigned lookups;

static const char *secret_lookup(const char *api_key, void *arg)
{
	lookups++;
	if (strcmp(api_key, KEY) == 0)
		return SECRET;
	if (strcmp(api_key, "emptykey") == 0)
		return "";
	return NULL;
}

static enum jwt_result verify_at(const char *token, int64_t now, struct jwt_grants *g)
{
	return jwt_verify(token, now, LEEWAY, secret_lookup, NULL, g);
}

/* Unpadded base64url of `len` bytes, for g_free. */
static char *b64url(const void *data, size_t len)
{
	char *s = g_base64_encode(data, len);
	g_strdelimit(s, "+", '-');
	g_strdelimit(s, "/", '_');
	char *pad = strchr(s, '=');
	if (pad)
		*pad = '\0';
	return s;
}

/* header.payload.signature over the given JSON texts, for g_free. */
static char *mint(const char *hdr, const char *pay, const char *secret)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char *h = b64url(hdr, strlen(hdr));
	char *p = b64url(pay, strlen(pay));
	char *input = g_strconcat(h, ".", p, NULL);

	assert_non_null(HMAC(EVP_sha256(), secret, (int)strlen(secret),
			     (const unsigned char *)input, strlen(input), mac, &n));
	char *s = b64url(mac, n);
	char *token = g_strconcat(input, ".", s, NULL);
	g_free(s);
	g_free(input);
	g_free(p);
	g_free(h);
	return token;
}

static void assert_zeroed(const struct jwt_grants *g)
{
	struct jwt_grants zero;
	memset(&zero, 0, sizeof(zero));
	assert_memory_equal(g, &zero, sizeof(zero));
}

/* Verifies a raw token at NOW; on failure also checks that *out is zeroed. */
static enum jwt_result check_token(const char *token)
{
	struct jwt_grants g;
	enum jwt_result r = verify_at(token, NOW, &g);
	if (r != JWT_OK)
		assert_zeroed(&g);
	jwt_grants_clear(&g);
	return r;
}

/* Mints `pay` under `hdr` with SECRET and verifies it at NOW. */
static enum jwt_result check_signed(const char *hdr, const char *pay)
{
	char *token = mint(hdr, pay, SECRET);
	enum jwt_result r = check_token(token);
	g_free(token);
	return r;
}

/* Decodes part `idx` of a token as JSON. */
static json_t *token_part(const char *token, int idx)
{
	gchar **parts = g_strsplit(token, ".", -1);
	assert_int_equal(g_strv_length(parts), 3);
	GString *s = g_string_new(parts[idx]);
	g_strdelimit(s->str, "-", '+');
	g_strdelimit(s->str, "_", '/');
	while (s->len % 4)
		g_string_append_c(s, '=');
	gsize n = 0;
	guchar *data = g_base64_decode(s->str, &n);
	json_t *j = json_loadb((const char *)data, n, 0, NULL);
	assert_non_null(j);
	g_free(data);
	g_string_free(s, TRUE);
	g_strfreev(parts);
	return j;
}

static struct jwt_grants full_grants(void)
{
	struct jwt_grants g = {
		.identity = "alice", .name = "Alice", .metadata = "{\"a\":1}",
		.api_key = KEY, .nbf = NOW - 60, .exp = NOW + 3600, .room = "r1",
		.room_join = true, .room_create = true, .room_list = true,
		.room_admin = true, .room_record = true, .can_publish = true,
		.can_subscribe = true, .can_publish_data = true,
	};
	return g;
}

static void test_roundtrip_all_grants(void **state)
{
	struct jwt_grants in = full_grants(), out;
	char *token = jwt_sign(&in, SECRET);
	assert_non_null(token);

	assert_int_equal(verify_at(token, NOW, &out), JWT_OK);
	assert_string_equal(out.identity, "alice");
	assert_string_equal(out.name, "Alice");
	assert_string_equal(out.metadata, "{\"a\":1}");
	assert_string_equal(out.api_key, KEY);
	assert_string_equal(out.room, "r1");
	assert_true(out.nbf == NOW - 60 && out.exp == NOW + 3600);
	assert_true(out.room_join && out.room_create && out.room_list);
	assert_true(out.room_admin && out.room_record);
	assert_true(out.can_publish && out.can_subscribe && out.can_publish_data);
	jwt_grants_clear(&out);
	assert_zeroed(&out);
	g_free(token);
}

static void test_roundtrip_false_preserved(void **state)
{
	struct jwt_grants in = { .api_key = KEY, .exp = NOW + 60 }, out;
	char *token = jwt_sign(&in, SECRET);
	assert_non_null(token);

	json_t *pay = token_part(token, 1);
	json_t *video = json_object_get(pay, "video");
	assert_true(json_is_false(json_object_get(video, "canPublish")));
	assert_true(json_is_false(json_object_get(video, "canSubscribe")));
	assert_true(json_is_false(json_object_get(video, "canPublishData")));
	assert_null(json_object_get(video, "roomJoin"));
	assert_null(json_object_get(pay, "sub"));
	assert_null(json_object_get(pay, "nbf"));
	json_decref(pay);

	assert_int_equal(verify_at(token, NOW, &out), JWT_OK);
	assert_false(out.can_publish || out.can_subscribe || out.can_publish_data);
	assert_false(out.room_join || out.room_create || out.room_admin);
	assert_null(out.identity);
	assert_null(out.room);
	assert_true(out.nbf == 0);
	jwt_grants_clear(&out);
	g_free(token);
}

/* The claims jwt_sign writes, by name and value. */
static void test_sign_layout(void **state)
{
	struct jwt_grants in = full_grants();
	in.room_list = in.room_record = false;
	char *token = jwt_sign(&in, SECRET);

	json_t *hdr = token_part(token, 0), *pay = token_part(token, 1);
	char *h = json_dumps(hdr, JSON_COMPACT);
	assert_string_equal(h, HS256);
	assert_string_equal(json_string_value(json_object_get(pay, "iss")), KEY);
	assert_string_equal(json_string_value(json_object_get(pay, "sub")), "alice");
	assert_string_equal(json_string_value(json_object_get(pay, "jti")), "alice");
	assert_string_equal(json_string_value(json_object_get(pay, "name")), "Alice");
	assert_true(json_integer_value(json_object_get(pay, "nbf")) == NOW - 60);
	assert_true(json_integer_value(json_object_get(pay, "exp")) == NOW + 3600);

	json_t *video = json_object_get(pay, "video");
	assert_string_equal(json_string_value(json_object_get(video, "room")), "r1");
	assert_true(json_is_true(json_object_get(video, "roomJoin")));
	assert_true(json_is_true(json_object_get(video, "canPublish")));
	assert_null(json_object_get(video, "roomList"));
	assert_null(json_object_get(video, "roomRecord"));
	free(h);
	json_decref(hdr);
	json_decref(pay);
	g_free(token);
}

static void test_sign_requires_key_and_exp(void **state)
{
	struct jwt_grants g = { .api_key = KEY };
	assert_null(jwt_sign(&g, SECRET));
	g.api_key = NULL;
	g.exp = NOW;
	assert_null(jwt_sign(&g, SECRET));
	g.api_key = KEY;
	char *token = jwt_sign(&g, SECRET);
	assert_non_null(token);
	g_free(token);
}

static void test_default_true(void **state)
{
	char *token = mint(HS256, CLAIMS(",\"video\":{\"roomJoin\":true}"), SECRET);
	struct jwt_grants g;
	assert_int_equal(verify_at(token, NOW, &g), JWT_OK);
	assert_true(g.room_join);
	assert_true(g.can_publish && g.can_subscribe && g.can_publish_data);
	assert_false(g.room_create || g.room_list || g.room_admin || g.room_record);
	jwt_grants_clear(&g);
	g_free(token);

	token = mint(HS256, CLAIMS(""), SECRET);
	assert_int_equal(verify_at(token, NOW, &g), JWT_OK);
	assert_false(g.room_join);
	assert_true(g.can_publish && g.can_subscribe && g.can_publish_data);
	jwt_grants_clear(&g);
	g_free(token);
}

static void test_explicit_false(void **state)
{
	char *token = mint(HS256, CLAIMS(",\"video\":{\"canPublish\":false,"
				 "\"canSubscribe\":false,\"canPublishData\":false}"), SECRET);
	struct jwt_grants g;
	assert_int_equal(verify_at(token, NOW, &g), JWT_OK);
	assert_false(g.can_publish || g.can_subscribe || g.can_publish_data);
	jwt_grants_clear(&g);
	g_free(token);
}

static void test_expired(void **state)
{
	assert_int_equal(check_signed(HS256, "{\"iss\":\"" KEY "\",\"exp\":1799999000}"),
			 JWT_EXPIRED);
	assert_int_equal(check_signed(HS256, "{\"iss\":\"" KEY "\",\"exp\":0}"), JWT_EXPIRED);
	assert_int_equal(check_signed(HS256, "{\"iss\":\"" KEY "\",\"exp\":-5}"), JWT_EXPIRED);
}

/* exp and nbf each get LEEWAY seconds, not one more. */
static void test_leeway(void **state)
{
	struct jwt_grants in = { .api_key = KEY, .exp = NOW, .nbf = NOW }, out;
	char *token = jwt_sign(&in, SECRET);

	assert_int_equal(verify_at(token, NOW + 5, &out), JWT_OK);
	jwt_grants_clear(&out);
	assert_int_equal(verify_at(token, NOW + LEEWAY, &out), JWT_OK);
	jwt_grants_clear(&out);
	assert_int_equal(verify_at(token, NOW + LEEWAY + 1, &out), JWT_EXPIRED);
	assert_int_equal(verify_at(token, NOW - LEEWAY, &out), JWT_OK);
	jwt_grants_clear(&out);
	assert_int_equal(verify_at(token, NOW - LEEWAY - 1, &out), JWT_NOT_YET_VALID);
	assert_int_equal(jwt_verify(token, NOW + 11, 0, secret_lookup, NULL, &out), JWT_EXPIRED);
	g_free(token);
}

static void test_nbf_future(void **state)
{
	assert_int_equal(check_signed(HS256, CLAIMS(",\"nbf\":1800000050")), JWT_NOT_YET_VALID);
	assert_int_equal(check_signed(HS256, CLAIMS(",\"nbf\":1800000005")), JWT_OK);
	/* exp is checked first when both fail. */
	assert_int_equal(check_signed(HS256, "{\"iss\":\"" KEY "\",\"exp\":1,\"nbf\":1900000000}"),
			 JWT_EXPIRED);
}

/* Extreme times must not overflow (UBSan watches this test). */
static void test_time_extremes(void **state)
{
	char *token = mint(HS256, "{\"iss\":\"" KEY "\",\"exp\":9223372036854775807,"
			   "\"nbf\":-9223372036854775808}", SECRET);
	struct jwt_grants g;
	assert_int_equal(verify_at(token, INT64_MAX, &g), JWT_OK);
	jwt_grants_clear(&g);
	assert_int_equal(verify_at(token, INT64_MIN, &g), JWT_OK);
	jwt_grants_clear(&g);
	g_free(token);

	token = mint(HS256, "{\"iss\":\"" KEY "\",\"exp\":-9223372036854775808,"
		     "\"nbf\":9223372036854775807}", SECRET);
	assert_int_equal(verify_at(token, INT64_MAX, &g), JWT_EXPIRED);
	assert_int_equal(verify_at(token, INT64_MIN, &g), JWT_NOT_YET_VALID);
	g_free(token);
}

static void test_real_times(void **state)
{
	char *token = mint(HS256, "{\"iss\":\"" KEY "\",\"exp\":1800000100.75,"
			   "\"nbf\":1.7e9}", SECRET);
	struct jwt_grants g;
	assert_int_equal(verify_at(token, NOW, &g), JWT_OK);
	assert_true(g.exp == NOW + 100);
	assert_true(g.nbf == INT64_C(1700000000));
	jwt_grants_clear(&g);
	g_free(token);

	assert_int_equal(check_signed(HS256, "{\"iss\":\"" KEY "\",\"exp\":1e300}"), JWT_MALFORMED);
	assert_int_equal(check_signed(HS256, "{\"iss\":\"" KEY "\",\"exp\":-1e300}"), JWT_MALFORMED);
	assert_int_equal(check_signed(HS256, CLAIMS(",\"nbf\":1e19")), JWT_MALFORMED);
	/* Too big for jansson's integers: the JSON itself is refused. */
	assert_int_equal(check_signed(HS256, "{\"iss\":\"" KEY "\",\"exp\":99999999999999999999}"),
			 JWT_MALFORMED);
}

/* Replaces part `idx` of `token` with `text`; for g_free. */
static char *token_splice(const char *token, int idx, const char *text)
{
	gchar **parts = g_strsplit(token, ".", -1);
	g_free(parts[idx]);
	parts[idx] = g_strdup(text);
	char *s = g_strjoinv(".", parts);
	g_strfreev(parts);
	return s;
}

static void test_bad_signature(void **state)
{
	const char *pay = CLAIMS(",\"sub\":\"alice\"");
	char *token = mint(HS256, pay, SECRET);
	char *sig = strrchr(token, '.') + 1;

	lookups = 0;
	sig[0] = sig[0] == 'A' ? 'B' : 'A';
	assert_int_equal(check_token(token), JWT_BAD_SIGNATURE);
	assert_int_equal(lookups, 1);
	sig[0] = '\0'; /* empty signature */
	assert_int_equal(check_token(token), JWT_BAD_SIGNATURE);
	g_free(token);

	token = mint(HS256, pay, SECRET);
	char *forged_pay = b64url(CLAIMS(",\"sub\":\"mallory\""), strlen(CLAIMS(",\"sub\":\"mallory\"")));
	char *forged = token_splice(token, 1, forged_pay);
	assert_int_equal(check_token(forged), JWT_BAD_SIGNATURE);
	strrchr(token, '.')[40] = '\0'; /* 39 characters: 29 bytes */
	assert_int_equal(check_token(token), JWT_BAD_SIGNATURE);
	g_free(forged);
	g_free(forged_pay);
	g_free(token);

	token = mint(HS256, pay, "another-secret-of-32-characters!!");
	assert_int_equal(check_token(token), JWT_BAD_SIGNATURE);
	g_free(token);
}

/* Payload characters changed one at a time: where the JSON stays valid and
 * iss intact, only the signature can catch the change. */
static void test_flipped_payload_char(void **state)
{
	char *token = mint(HS256, CLAIMS(",\"sub\":\"alice\""), SECRET);
	char *pay = strchr(token, '.') + 1;
	char *dot = strchr(pay, '.');
	struct jwt_grants g;
	bool flipped = false;

	for (char *c = pay; c < dot && !flipped; c++) {
		char saved = *c;
		*c = *c == 'a' ? 'b' : 'a';
		enum jwt_result r = verify_at(token, NOW, &g);
		if (r != JWT_MALFORMED && r != JWT_UNKNOWN_KEY) {
			assert_int_equal(r, JWT_BAD_SIGNATURE);
			flipped = true;
		}
		*c = saved;
	}
	assert_true(flipped);
	g_free(token);
}

/* Changing only the unused low bits of the last signature character keeps
 * the decoded bytes: the strict decoder must still refuse the text. */
static void test_noncanonical_base64(void **state)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *token = mint(HS256, CLAIMS(""), SECRET);
	char *last = token + strlen(token) - 1;
	assert_int_equal(strlen(strrchr(token, '.') + 1) % 4, 3); /* 2 unused bits */

	assert_int_equal(check_token(token), JWT_OK);
	*last = alphabet[(strchr(alphabet, *last) - alphabet) ^ 1];
	assert_int_equal(check_token(token), JWT_MALFORMED);
	g_free(token);
}

static void test_unknown_key(void **state)
{
	lookups = 0;
	assert_int_equal(check_signed(HS256, "{\"iss\":\"nobody\",\"exp\":" EXP "}"),
			 JWT_UNKNOWN_KEY);
	assert_int_equal(lookups, 1);
	assert_int_equal(check_signed(HS256, "{\"exp\":" EXP "}"), JWT_UNKNOWN_KEY);
	assert_int_equal(check_signed(HS256, "{\"iss\":\"emptykey\",\"exp\":" EXP "}"),
			 JWT_UNKNOWN_KEY);
	assert_int_equal(check_signed(HS256, "{\"iss\":7,\"exp\":" EXP "}"), JWT_MALFORMED);

	/* The key is looked up before the signature is checked. */
	char *token = mint(HS256, "{\"iss\":\"nobody\",\"exp\":" EXP "}", "x");
	assert_int_equal(check_token(token), JWT_UNKNOWN_KEY);
	g_free(token);
}

static void test_alg_none(void **state)
{
	char *h = b64url("{\"alg\":\"none\"}", 14);
	char *p = b64url(CLAIMS(""), strlen(CLAIMS("")));
	char *token = g_strconcat(h, ".", p, ".", NULL);

	lookups = 0;
	assert_int_equal(check_token(token), JWT_BAD_ALG);
	assert_int_equal(check_signed("{\"alg\":\"none\",\"typ\":\"JWT\"}", CLAIMS("")), JWT_BAD_ALG);
	assert_int_equal(lookups, 0);
	g_free(token);
	g_free(p);
	g_free(h);
}

static void test_alg_other(void **state)
{
	assert_int_equal(check_signed("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", CLAIMS("")), JWT_BAD_ALG);
	assert_int_equal(check_signed("{\"alg\":\"hs256\"}", CLAIMS("")), JWT_BAD_ALG);
	assert_int_equal(check_signed("{\"alg\":\"RS256\"}", CLAIMS("")), JWT_BAD_ALG);
	assert_int_equal(check_signed("{\"alg\":\"\"}", CLAIMS("")), JWT_BAD_ALG);
	assert_int_equal(check_signed("{\"typ\":\"JWT\"}", CLAIMS("")), JWT_MALFORMED);
	assert_int_equal(check_signed("{\"alg\":256}", CLAIMS("")), JWT_MALFORMED);
	assert_int_equal(check_signed("[\"HS256\"]", CLAIMS("")), JWT_MALFORMED);
	assert_int_equal(check_signed("{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":false}",
				      CLAIMS("")), JWT_MALFORMED);
	/* typ is optional and not interpreted. */
	assert_int_equal(check_signed("{\"alg\":\"HS256\"}", CLAIMS("")), JWT_OK);
	assert_int_equal(check_signed("{\"typ\":\"at+jwt\",\"alg\":\"HS256\"}", CLAIMS("")), JWT_OK);
}

static void test_malformed_structure(void **state)
{
	char *good = mint(HS256, CLAIMS(""), SECRET);
	struct jwt_grants g;
	const char *const bad[] = {
		"", ".", "..", "...", "abc", "eyJhbGciOiJIUzI1NiJ9", "a.b", "a.b.c.d",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(check_token(bad[i]), JWT_MALFORMED);
	assert_int_equal(check_token(good), JWT_OK);

	char *four = g_strconcat(good, ".", strrchr(good, '.') + 1, NULL);
	char *three_dots = g_strconcat(good, ".", NULL);
	char *padded = g_strconcat(good, "=", NULL);
	char *newline = g_strconcat(good, "\n", NULL);
	char *spaced = g_strconcat(" ", good, NULL);
	const char *const bad2[] = { four, three_dots, padded, newline, spaced };
	for (size_t i = 0; i < sizeof(bad2) / sizeof(bad2[0]); i++)
		assert_int_equal(check_token(bad2[i]), JWT_MALFORMED);

	assert_int_equal(jwt_verify(NULL, NOW, 0, secret_lookup, NULL, &g), JWT_MALFORMED);
	assert_int_equal(jwt_verify(good, NOW, 0, NULL, NULL, &g), JWT_MALFORMED);
	g_free(spaced);
	g_free(newline);
	g_free(padded);
	g_free(three_dots);
	g_free(four);
	g_free(good);
}

/* Characters outside base64url in each part, and a length no base64 has. */
static void test_malformed_base64(void **state)
{
	char *good = mint(HS256, CLAIMS(""), SECRET);
	size_t d1 = (size_t)(strchr(good, '.') - good);
	size_t d2 = (size_t)(strrchr(good, '.') - good);
	const size_t where[] = { 3, d1 + 5, d2 + 5 };
	const char subst[] = { '+', '/', '=', ' ', '*', '\x80' };

	lookups = 0;
	for (size_t i = 0; i < 3; i++) {
		for (size_t k = 0; k < sizeof(subst); k++) {
			char saved = good[where[i]];
			good[where[i]] = subst[k];
			assert_int_equal(check_token(good), JWT_MALFORMED);
			good[where[i]] = saved;
		}
	}
	/* Structure, signature encoding included, is checked before the key. */
	assert_int_equal(lookups, 0);
	char *longer = token_splice(good, 2, "AAAAA"); /* 5 % 4 == 1 */
	assert_int_equal(check_token(longer), JWT_MALFORMED);
	g_free(longer);
	g_free(good);
}

static void test_malformed_json(void **state)
{
	const char *const bad[] = {
		"not json", "", "[1,2]", "\"" KEY "\"", "42", "null",
		CLAIMS("") " trailing", CLAIMS(",\"exp\":1900000000"), /* duplicate */
		"{\"iss\":\"" KEY "\",\"exp\":" EXP ",\"sub\":\"a\\u0000b\"}",
		"{\"iss\":\"" KEY "\",\"exp\":" EXP ",", "\xff\xfe",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(check_signed(HS256, bad[i]), JWT_MALFORMED);
	assert_int_equal(check_signed("not json", CLAIMS("")), JWT_MALFORMED);
}

static void test_malformed_claims(void **state)
{
	const char *const bad[] = {
		"{\"iss\":\"" KEY "\",\"exp\":\"1800000100\"}",
		"{\"iss\":\"" KEY "\"}",
		"{\"iss\":\"" KEY "\",\"exp\":true}",
		"{\"iss\":\"" KEY "\",\"exp\":null}",
		CLAIMS(",\"nbf\":false"),
		CLAIMS(",\"sub\":5"),
		CLAIMS(",\"name\":null"),
		CLAIMS(",\"metadata\":{\"a\":1}"),
		CLAIMS(",\"video\":\"room\""),
		CLAIMS(",\"video\":[]"),
		CLAIMS(",\"video\":{\"room\":1}"),
		CLAIMS(",\"video\":{\"roomJoin\":\"true\"}"),
		CLAIMS(",\"video\":{\"canPublish\":1}"),
		CLAIMS(",\"video\":{\"roomAdmin\":null}"),
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(check_signed(HS256, bad[i]), JWT_MALFORMED);
}

static void test_unknown_claims_ignored(void **state)
{
	char *token = mint(HS256, CLAIMS(",\"kind\":\"agent\",\"attributes\":{\"k\":\"v\"},"
				 "\"sha256\":\"ab\",\"jti\":\"x\",\"aud\":[1],"
				 "\"video\":{\"roomJoin\":true,\"canPublishSources\":[\"camera\"],"
				 "\"hidden\":true,\"canUpdateOwnMetadata\":1}"), SECRET);
	struct jwt_grants g;
	assert_int_equal(verify_at(token, NOW, &g), JWT_OK);
	assert_true(g.room_join);
	jwt_grants_clear(&g);
	g_free(token);
}

/* Every token up to 8 KiB verifies; every longer one is malformed. */
static void test_size_limit(void **state)
{
	struct jwt_grants in = { .api_key = KEY, .exp = NOW + 60 };
	bool at_limit = false, over = false;

	for (size_t n = 5950; n < 6150; n++) {
		in.metadata = g_strnfill(n, 'x');
		char *token = jwt_sign(&in, SECRET);
		size_t len = strlen(token);
		enum jwt_result r = check_token(token);
		assert_int_equal(r, len <= 8192 ? JWT_OK : JWT_MALFORMED);
		at_limit |= len == 8192 || len == 8191;
		over |= len > 8192;
		g_free(token);
		g_free(in.metadata);
	}
	assert_true(at_limit && over);
}

static void test_out_zeroed(void **state)
{
	struct jwt_grants g = { .nbf = 1, .exp = 2, .room_join = true, .can_publish = true };
	char *token = mint(HS256, "{\"iss\":\"" KEY "\",\"sub\":\"a\",\"exp\":1,"
			   "\"video\":{\"room\":\"r\"}}", SECRET);
	assert_int_equal(verify_at(token, NOW, &g), JWT_EXPIRED);
	assert_zeroed(&g);
	g_free(token);

	/* Strings already copied when a later claim turns out bad. */
	token = mint(HS256, CLAIMS(",\"sub\":\"a\",\"video\":{\"room\":\"r\",\"roomJoin\":0}"),
		     SECRET);
	assert_int_equal(verify_at(token, NOW, &g), JWT_MALFORMED);
	assert_zeroed(&g);
	g_free(token);
}

/* Minted by livekit-server-sdk 2.19.2:
 *   new AccessToken('APIkey1', SECRET, { identity: 'alice', name: 'Alice',
 *     metadata: '{"a":1}', attributes: { team: 'blue' }, ttl: '100000000s' });
 *   t.kind = 'standard';
 *   t.addGrant({ roomJoin: true, room: 'r1', canPublish: false,
 *     canPublishSources: [TrackSource.CAMERA, TrackSource.MICROPHONE] });
 * Header {"alg":"HS256"} (no typ). Payload:
 *   {"metadata":"{\"a\":1}","attributes":{"team":"blue"},"name":"Alice",
 *    "kind":"standard","video":{"roomJoin":true,"room":"r1","canPublish":false,
 *    "canPublishSources":["camera","microphone"]},"iss":"APIkey1",
 *    "exp":1895484803,"nbf":1795484803,"sub":"alice"} */
static const char livekit_token[] =
	"eyJhbGciOiJIUzI1NiJ9.eyJtZXRhZGF0YSI6IntcImFcIjoxfSIsImF0dHJpYnV0ZXMiOns"
	"idGVhbSI6ImJsdWUifSwibmFtZSI6IkFsaWNlIiwia2luZCI6InN0YW5kYXJkIiwidmlkZW8"
	"iOnsicm9vbUpvaW4iOnRydWUsInJvb20iOiJyMSIsImNhblB1Ymxpc2giOmZhbHNlLCJjYW5"
	"QdWJsaXNoU291cmNlcyI6WyJjYW1lcmEiLCJtaWNyb3Bob25lIl19LCJpc3MiOiJBUElrZXk"
	"xIiwiZXhwIjoxODk1NDg0ODAzLCJuYmYiOjE3OTU0ODQ4MDMsInN1YiI6ImFsaWNlIn0.mgA"
	"-ixOxrU1AzMj0G-ftskjw-4GaNixCK0oT9Z-TmoI";

static void test_livekit_token(void **state)
{
	struct jwt_grants g;
	assert_int_equal(verify_at(livekit_token, NOW, &g), JWT_OK);
	assert_string_equal(g.api_key, KEY);
	assert_string_equal(g.identity, "alice");
	assert_string_equal(g.name, "Alice");
	assert_string_equal(g.metadata, "{\"a\":1}");
	assert_string_equal(g.room, "r1");
	assert_true(g.nbf == INT64_C(1795484803) && g.exp == INT64_C(1895484803));
	assert_true(g.room_join);
	assert_false(g.can_publish);
	assert_true(g.can_subscribe && g.can_publish_data);
	assert_false(g.room_create || g.room_list || g.room_admin || g.room_record);
	jwt_grants_clear(&g);

	assert_int_equal(verify_at(livekit_token, INT64_C(1795484803) - LEEWAY - 1, &g),
			 JWT_NOT_YET_VALID);
	assert_int_equal(verify_at(livekit_token, INT64_C(1895484803) + LEEWAY + 1, &g),
			 JWT_EXPIRED);
}

static void test_result_str(void **state)
{
	assert_string_equal(jwt_result_str(JWT_OK), "ok");
	assert_string_equal(jwt_result_str(JWT_MALFORMED), "malformed token");
	assert_string_equal(jwt_result_str(JWT_BAD_ALG), "unsupported algorithm");
	assert_string_equal(jwt_result_str(JWT_UNKNOWN_KEY), "unknown API key");
	assert_string_equal(jwt_result_str(JWT_BAD_SIGNATURE), "bad signature");
	assert_string_equal(jwt_result_str(JWT_EXPIRED), "token expired");
	assert_string_equal(jwt_result_str(JWT_NOT_YET_VALID), "token not yet valid");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_all_grants),
		cmocka_unit_test(test_roundtrip_false_preserved),
		cmocka_unit_test(test_sign_layout),
		cmocka_unit_test(test_sign_requires_key_and_exp),
		cmocka_unit_test(test_default_true),
		cmocka_unit_test(test_explicit_false),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_leeway),
		cmocka_unit_test(test_nbf_future),
		cmocka_unit_test(test_time_extremes),
		cmocka_unit_test(test_real_times),
		cmocka_unit_test(test_bad_signature),
		cmocka_unit_test(test_flipped_payload_char),
		cmocka_unit_test(test_noncanonical_base64),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_alg_none),
		cmocka_unit_test(test_alg_other),
		cmocka_unit_test(test_malformed_structure),
		cmocka_unit_test(test_malformed_base64),
		cmocka_unit_test(test_malformed_json),
		cmocka_unit_test(test_malformed_claims),
		cmocka_unit_test(test_unknown_claims_ignored),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_out_zeroed),
		cmocka_unit_test(test_livekit_token),
		cmocka_unit_test(test_result_str),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
