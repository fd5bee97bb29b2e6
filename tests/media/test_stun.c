/* test_stun.c - STUN messages: RFC 5769's sample request (integrity and
 * fingerprint computed by someone else), what the writer makes parses back,
 * and malformed or tampered messages are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "media/stun.h"

/* RFC 5769 §2.1: a binding request with SOFTWARE "STUN test client", PRIORITY, ICE-CONTROLLED,
 * USERNAME "evtj:h6vY", MESSAGE-INTEGRITY and FINGERPRINT. */
static const uint8_t rfc_request[] = {
	0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
	0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e,
	0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24,
	0x00, 0x04, 0x6e, 0x00, 0x01, 0xff, 0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1,
	0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68,
	0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c,
	0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5,
	0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};
static const char rfc_pwd[] = "VOkJxbRl1RmTxUk/WvJxBt";

static void test_rfc5769_request(void **state)
{
	struct stun_msg m;
	char lfrag[16];

	(void)state;
	assert_true(stun_is(rfc_request, sizeof(rfc_request)));
	assert_int_equal(stun_parse(&m, rfc_request, sizeof(rfc_request)), 0);
	assert_int_equal(m.method, STUN_BINDING);
	assert_int_equal(m.cls, STUN_REQUEST);
	assert_memory_equal(m.tid, rfc_request + 8, STUN_TID_LEN);
	assert_true(m.has_fingerprint);
	assert_true(m.has_priority);
	assert_int_equal(m.priority, 0x6e0001ff);
	assert_true(m.ice_controlled);
	assert_false(m.ice_controlling);
	assert_true(m.tiebreaker == 0x932ff9b151263b36ull);
	assert_false(m.use_candidate);
	assert_int_equal(m.username_len, 9);
	assert_memory_equal(m.username, "evtj:h6vY", 9);
	assert_int_equal(m.n_unknown, 0);
	assert_int_equal(stun_check_integrity(&m, rfc_pwd, strlen(rfc_pwd)), 0);
	assert_int_equal(stun_check_integrity(&m, "VOkJxbRl1RmTxUk/WvJxBu", 22), EACCES);
	assert_int_equal(stun_username_local(&m, lfrag, sizeof(lfrag)), 0);
	assert_string_equal(lfrag, "evtj");
	assert_int_equal(stun_username_local(&m, lfrag, 4), EBADMSG); /* no room for NUL */
}

/* One byte changed anywhere: the fingerprint no longer matches; with the
 * fingerprint removed, the integrity check catches it. */
static void test_tampered(void **state)
{
	uint8_t b[sizeof(rfc_request)];
	struct stun_msg m;

	(void)state;
	for (size_t i = STUN_HEADER_LEN; i < sizeof(b) - 8; i++) {
		memcpy(b, rfc_request, sizeof(b));
		b[i] ^= 0x01;
		assert_int_not_equal(stun_parse(&m, b, sizeof(b)), 0);
	}
	/* Without FINGERPRINT (length 0x58 - 8): still parses, integrity fails on change. */
	memcpy(b, rfc_request, sizeof(b));
	b[3] = 0x50;
	assert_int_equal(stun_parse(&m, b, sizeof(b) - 8), 0);
	assert_false(m.has_fingerprint);
	assert_int_equal(stun_check_integrity(&m, rfc_pwd, strlen(rfc_pwd)), 0);
	b[53] ^= 0x80; /* in the tie breaker */
	assert_int_equal(stun_parse(&m, b, sizeof(b) - 8), 0);
	assert_int_equal(stun_check_integrity(&m, rfc_pwd, strlen(rfc_pwd)), EACCES);
}

static void roundtrip_addr(const struct sockaddr *sa, socklen_t salen)
{
	uint8_t b[256];
	struct stun_writer w;
	struct stun_msg m;
	size_t len = 0;
	uint8_t tid[STUN_TID_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };

	stun_writer_init(&w, b, sizeof(b), STUN_BINDING, STUN_SUCCESS, tid);
	stun_put_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, sa);
	assert_int_equal(stun_writer_finish(&w, "pass", 4, true, &len), 0);
	assert_int_equal(len % 4, 0);
	assert_int_equal(stun_parse(&m, b, len), 0);
	assert_int_equal(m.cls, STUN_SUCCESS);
	assert_int_equal(m.method, STUN_BINDING);
	assert_memory_equal(m.tid, tid, sizeof(tid));
	assert_true(m.has_fingerprint);
	assert_true(m.has_mapped);
	assert_memory_equal(&m.mapped, sa, salen);
	assert_int_equal(stun_check_integrity(&m, "pass", 4), 0);
	assert_int_equal(stun_check_integrity(&m, "pasS", 4), EACCES);
}

static void test_write_response(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(32853) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(32853) };

	(void)state;
	inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);
	inet_pton(AF_INET6, "2001:db8:1234:5678:11:2233:4455:6677", &sin6.sin6_addr);
	roundtrip_addr((struct sockaddr *)&sin, sizeof(sin));
	roundtrip_addr((struct sockaddr *)&sin6, sizeof(sin6));
}

static void test_write_request_and_error(void **state)
{
	uint8_t b[512];
	struct stun_writer w;
	struct stun_msg m;
	size_t len = 0;
	char lfrag[64];
	struct sockaddr_un_like { sa_family_t f; } bad = { AF_UNIX };

	(void)state;
	stun_writer_init(&w, b, sizeof(b), STUN_BINDING, STUN_REQUEST, NULL);
	stun_put(&w, STUN_ATTR_USERNAME, "abcd:efgh", 9);
	stun_put_u32(&w, STUN_ATTR_PRIORITY, 1234);
	stun_put(&w, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	stun_put_u64(&w, STUN_ATTR_ICE_CONTROLLING, 0x0102030405060708ull);
	assert_int_equal(stun_writer_finish(&w, "secret", 6, true, &len), 0);
	assert_int_equal(stun_parse(&m, b, len), 0);
	assert_true(m.use_candidate && m.ice_controlling && m.has_priority);
	assert_int_equal(m.priority, 1234);
	assert_true(m.tiebreaker == 0x0102030405060708ull);
	assert_int_equal(stun_username_local(&m, lfrag, sizeof(lfrag)), 0);
	assert_string_equal(lfrag, "abcd");
	assert_int_equal(stun_check_integrity(&m, "secret", 6), 0);

	stun_writer_init(&w, b, sizeof(b), STUN_BINDING, STUN_ERROR, m.tid);
	stun_put_error(&w, 487, "Role Conflict");
	assert_int_equal(stun_writer_finish(&w, NULL, 0, true, &len), 0);
	assert_int_equal(stun_parse(&m, b, len), 0);
	assert_int_equal(m.cls, STUN_ERROR);
	assert_true(m.has_error);
	assert_int_equal(m.error_code, 487);
	assert_int_equal(stun_check_integrity(&m, "secret", 6), ENOENT);

	/* errors stick and are reported by finish */
	stun_writer_init(&w, b, sizeof(b), STUN_BINDING, STUN_ERROR, NULL);
	stun_put_error(&w, 200, "no");
	assert_int_equal(stun_writer_finish(&w, NULL, 0, false, &len), EINVAL);
	stun_writer_init(&w, b, sizeof(b), STUN_BINDING, STUN_SUCCESS, NULL);
	stun_put_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, (struct sockaddr *)&bad);
	assert_int_equal(stun_writer_finish(&w, NULL, 0, false, &len), EAFNOSUPPORT);
	/* too small, at every stage */
	stun_writer_init(&w, b, 10, STUN_BINDING, STUN_REQUEST, NULL);
	assert_int_equal(stun_writer_finish(&w, NULL, 0, false, &len), ENOSPC);
	stun_writer_init(&w, b, 28, STUN_BINDING, STUN_REQUEST, NULL);
	stun_put(&w, STUN_ATTR_USERNAME, "abcd:efgh", 9);
	assert_int_equal(stun_writer_finish(&w, NULL, 0, false, &len), ENOSPC);
	stun_writer_init(&w, b, 40, STUN_BINDING, STUN_REQUEST, NULL);
	assert_int_equal(stun_writer_finish(&w, "k", 1, false, &len), ENOSPC);
	stun_writer_init(&w, b, 24, STUN_BINDING, STUN_REQUEST, NULL);
	assert_int_equal(stun_writer_finish(&w, NULL, 0, true, &len), ENOSPC);
}

/* Builds header + one attribute (type, len, value bytes given, padded). */
static size_t msg1(uint8_t *b, uint16_t type, uint16_t alen, const uint8_t *val, size_t vlen)
{
	size_t n = STUN_HEADER_LEN + 4 + ((vlen + 3) & ~(size_t)3);

	memset(b, 0, n);
	b[1] = 0x01;
	b[2] = (uint8_t)((n - STUN_HEADER_LEN) >> 8);
	b[3] = (uint8_t)(n - STUN_HEADER_LEN);
	b[4] = 0x21, b[5] = 0x12, b[6] = 0xa4, b[7] = 0x42;
	b[20] = (uint8_t)(type >> 8), b[21] = (uint8_t)type;
	b[22] = (uint8_t)(alen >> 8), b[23] = (uint8_t)alen;
	if (vlen)
		memcpy(b + 24, val, vlen);
	return n;
}

static void test_malformed(void **state)
{
	uint8_t b[1200], v[600] = { 0 };
	struct stun_msg m;
	size_t n;
	char lfrag[32];

	(void)state;
	assert_int_equal(stun_parse(&m, NULL, 0), EBADMSG);
	assert_int_equal(stun_parse(&m, rfc_request, 19), EBADMSG);
	memcpy(b, rfc_request, sizeof(rfc_request));
	b[4] = 0; /* magic */
	assert_int_equal(stun_parse(&m, b, sizeof(rfc_request)), EBADMSG);
	memcpy(b, rfc_request, sizeof(rfc_request));
	b[0] = 0x80; /* RTP's first bits */
	assert_false(stun_is(b, sizeof(rfc_request)));
	assert_int_equal(stun_parse(&m, b, sizeof(rfc_request)), EBADMSG);
	assert_int_equal(stun_parse(&m, rfc_request, sizeof(rfc_request) - 4), EBADMSG); /* length */
	/* an attribute longer than the message, then attributes of a wrong size */
	static const struct { uint16_t type, alen, vlen; } bad[] = {
		{ STUN_ATTR_PRIORITY, 40, 4 },
		{ STUN_ATTR_PRIORITY, 3, 3 },
		{ STUN_ATTR_MESSAGE_INTEGRITY, 16, 16 },
		{ STUN_ATTR_ICE_CONTROLLING, 4, 4 },
		{ STUN_ATTR_USE_CANDIDATE, 4, 4 },
		{ STUN_ATTR_USERNAME, 513, 513 },
		{ STUN_ATTR_MESSAGE_INTEGRITY_SHA256, 8, 8 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = msg1(b, bad[i].type, bad[i].alen, v, bad[i].vlen);
		assert_int_equal(stun_parse(&m, b, n), EBADMSG);
	}
	/* addresses: unknown family, v4 with v6's length */
	v[1] = 0x03;
	n = msg1(b, STUN_ATTR_XOR_MAPPED_ADDRESS, 8, v, 8);
	assert_int_equal(stun_parse(&m, b, n), EBADMSG);
	v[1] = 0x01;
	n = msg1(b, STUN_ATTR_XOR_MAPPED_ADDRESS, 20, v, 20);
	assert_int_equal(stun_parse(&m, b, n), EBADMSG);
	n = msg1(b, STUN_ATTR_XOR_MAPPED_ADDRESS, 2, v, 2);
	assert_int_equal(stun_parse(&m, b, n), EBADMSG);
	/* error codes: class 2, number 100 */
	memset(v, 0, 8);
	v[2] = 2;
	n = msg1(b, STUN_ATTR_ERROR_CODE, 4, v, 4);
	assert_int_equal(stun_parse(&m, b, n), EBADMSG);
	v[2] = 4, v[3] = 100;
	n = msg1(b, STUN_ATTR_ERROR_CODE, 4, v, 4);
	assert_int_equal(stun_parse(&m, b, n), EBADMSG);
	/* FINGERPRINT not last: a correct CRC (over the message with its final
	 * length), then one more attribute */
	memcpy(b, rfc_request, sizeof(rfc_request));
	memset(b + sizeof(rfc_request), 0, 8);
	b[3] = 0x58 + 8;
	{
		uint32_t crc = stun_crc32(b, sizeof(rfc_request) - 8) ^ 0x5354554eu;

		b[sizeof(rfc_request) - 4] = (uint8_t)(crc >> 24);
		b[sizeof(rfc_request) - 3] = (uint8_t)(crc >> 16);
		b[sizeof(rfc_request) - 2] = (uint8_t)(crc >> 8);
		b[sizeof(rfc_request) - 1] = (uint8_t)crc;
	}
	b[sizeof(rfc_request) + 1] = 0x24, b[sizeof(rfc_request) + 3] = 4; /* PRIORITY */
	assert_int_equal(stun_parse(&m, b, sizeof(rfc_request) + 8), EBADMSG);
	/* without the attribute after it, the same bytes would parse */
	b[3] = 0x58 + 8;
	memmove(b + sizeof(rfc_request), b + sizeof(rfc_request) - 8, 8); /* FINGERPRINT last */
	memcpy(b + sizeof(rfc_request) - 8, "\x00\x24\x00\x04\x00\x00\x00\x00", 8);
	b[sizeof(rfc_request) - 8 + 3] = 4;
	{
		uint32_t crc = stun_crc32(b, sizeof(rfc_request)) ^ 0x5354554eu;

		b[sizeof(rfc_request) + 4] = (uint8_t)(crc >> 24);
		b[sizeof(rfc_request) + 5] = (uint8_t)(crc >> 16);
		b[sizeof(rfc_request) + 6] = (uint8_t)(crc >> 8);
		b[sizeof(rfc_request) + 7] = (uint8_t)crc;
	}
	assert_int_equal(stun_parse(&m, b, sizeof(rfc_request) + 8), 0);
	assert_true(m.has_fingerprint);
	/* usernames that name no local part */
	memset(v, 0, sizeof(v));
	memcpy(v, "nocolon", 7);
	n = msg1(b, STUN_ATTR_USERNAME, 7, v, 7);
	assert_int_equal(stun_parse(&m, b, n), 0);
	assert_int_equal(stun_username_local(&m, lfrag, sizeof(lfrag)), EBADMSG);
	memcpy(v, ":abc", 4);
	n = msg1(b, STUN_ATTR_USERNAME, 4, v, 4);
	assert_int_equal(stun_parse(&m, b, n), 0);
	assert_int_equal(stun_username_local(&m, lfrag, sizeof(lfrag)), EBADMSG);
	memcpy(v, "abc:", 4);
	n = msg1(b, STUN_ATTR_USERNAME, 4, v, 4);
	assert_int_equal(stun_parse(&m, b, n), 0);
	assert_int_equal(stun_username_local(&m, lfrag, sizeof(lfrag)), EBADMSG);
	memcpy(v, "a\0c:d", 5);
	n = msg1(b, STUN_ATTR_USERNAME, 5, v, 5);
	assert_int_equal(stun_parse(&m, b, n), 0);
	assert_int_equal(stun_username_local(&m, lfrag, sizeof(lfrag)), EBADMSG);
	n = msg1(b, STUN_ATTR_PRIORITY, 4, v, 4);
	assert_int_equal(stun_parse(&m, b, n), 0);
	assert_int_equal(stun_username_local(&m, lfrag, sizeof(lfrag)), ENOENT);
	assert_int_equal(stun_check_integrity(&m, "x", 1), ENOENT);
}

/* Unknown comprehension-required attributes are listed (for a 420 answer);
 * optional ones and anything after MESSAGE-INTEGRITY are skipped. */
static void test_unknown_and_after_integrity(void **state)
{
	uint8_t b[256];
	struct stun_writer w;
	struct stun_msg m;
	size_t len = 0;

	(void)state;
	stun_writer_init(&w, b, sizeof(b), STUN_BINDING, STUN_REQUEST, NULL);
	stun_put_u32(&w, 0x7777, 1);
	stun_put_u32(&w, 0xc001, 1);
	stun_put(&w, STUN_ATTR_USERNAME, "ab:cd", 5);
	assert_int_equal(stun_writer_finish(&w, "k", 1, false, &len), 0);
	assert_int_equal(stun_parse(&m, b, len), 0);
	assert_int_equal(m.n_unknown, 1);
	assert_int_equal(m.unknown[0], 0x7777);
	assert_int_equal(stun_check_integrity(&m, "k", 1), 0);
	/* a PRIORITY after the integrity is not taken */
	memcpy(b + len, "\x00\x24\x00\x04\x00\x00\x00\x07", 8);
	b[3] = (uint8_t)(len + 8 - STUN_HEADER_LEN);
	assert_int_equal(stun_parse(&m, b, len + 8), 0);
	assert_false(m.has_priority);
	assert_int_equal(stun_check_integrity(&m, "k", 1), 0);
}

static void test_crc32(void **state)
{
	(void)state;
	assert_int_equal(stun_crc32((const uint8_t *)"123456789", 9), 0xcbf43926u);
	assert_int_equal(stun_crc32(NULL, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc5769_request),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_write_response),
		cmocka_unit_test(test_write_request_and_error),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_unknown_and_after_integrity),
		cmocka_unit_test(test_crc32),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
