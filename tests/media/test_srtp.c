/* test_srtp.c - SRTP sessions (media/srtp.c) and the OpenSSL primitives
 * registered into libsrtp2 (media/srtp_ossl.c).
 *
 * The replacement is process-global, so the order of the tests matters and is
 * part of the design: the first tests run on libsrtp2's own primitives (NSS
 * in Debian's build) and record what they produce; then srtp_global_init()
 * installs the OpenSSL ones, and the rest, including the comparison with the
 * recording, run on those. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <srtp2/auth.h>
#include <srtp2/cipher.h>
#include <srtp2/srtp.h>

#include "media/srtp.h"
#include "media/srtp_ossl.h"

/* libsrtp2's own primitives. The library exports them (nm -D) though no
 * installed header declares them; the tests compare against them directly. */
extern const srtp_cipher_type_t srtp_aes_icm_128;
extern const srtp_cipher_type_t srtp_aes_gcm_128;
extern const srtp_auth_type_t srtp_hmac;

#define PKT_CAP 1500

static const enum srtp_profile all_profiles[] = {
	SRTP_PROFILE_AES128_CM_SHA1_80,
	SRTP_PROFILE_AES128_CM_SHA1_32,
	SRTP_PROFILE_AEAD_AES_128_GCM,
};
#define NPROF (sizeof(all_profiles) / sizeof(all_profiles[0]))

/* ---- helpers ---- */

static void material_fill(uint8_t *m, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		m[i] = (uint8_t)(seed + 7 * i);
}

/* Two ends of one DTLS-SRTP association: `client` sends what `server`
 * receives and the other way round. */
static void pair_alloc(enum srtp_profile p, uint8_t seed, struct srtp_sess **client,
		       struct srtp_sess **server)
{
	uint8_t mat[64];
	struct srtp_master cl, cr, sl, sr;
	size_t n = srtp_profile_material_len(p);

	assert_true(n > 0 && n <= sizeof(mat));
	material_fill(mat, n, seed);
	assert_int_equal(srtp_material_split(p, mat, n, true, &cl, &cr), 0);
	assert_int_equal(srtp_material_split(p, mat, n, false, &sl, &sr), 0);
	assert_int_equal(srtp_sess_alloc(client, p, &cl, &cr), 0);
	assert_int_equal(srtp_sess_alloc(server, p, &sl, &sr), 0);
}

/* Writes an RTP packet (with `ncsrc` CSRCs and, if `ext`, a one-word
 * extension) carrying `payload` bytes of a pattern. Returns its length. */
static size_t rtp_build(uint8_t *buf, uint32_t ssrc, uint16_t seq, size_t payload, unsigned ncsrc,
			bool ext)
{
	size_t n = 12;

	buf[0] = (uint8_t)(0x80 | (ext ? 0x10 : 0) | ncsrc);
	buf[1] = 96;
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	for (int i = 0; i < 4; i++) {
		buf[4 + i] = (uint8_t)(seq * 90u >> (24 - 8 * i));
		buf[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
	}
	for (unsigned i = 0; i < 4 * ncsrc; i++)
		buf[n++] = (uint8_t)(0xc0 + i);
	if (ext) {
		static const uint8_t e[8] = { 0xbe, 0xde, 0x00, 0x01, 0x10, 0xaa, 0x00, 0x00 };
		memcpy(buf + n, e, sizeof(e));
		n += sizeof(e);
	}
	for (size_t i = 0; i < payload; i++)
		buf[n++] = (uint8_t)(i * 31 + seq);
	return n;
}

/* A receiver report with one report block. Returns its length. */
static size_t rtcp_build(uint8_t *buf, uint32_t ssrc)
{
	static const uint8_t rr[32] = { 0x81, 201, 0x00, 0x07 };

	memcpy(buf, rr, sizeof(rr));
	for (int i = 0; i < 4; i++) {
		buf[4 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
		buf[8 + i] = (uint8_t)(0x11 * (i + 1));
	}
	return sizeof(rr);
}

/* ---- the recording made on libsrtp2's own primitives ---- */

struct shape {
	uint32_t ssrc;
	uint16_t seq;
	size_t payload;
	unsigned ncsrc;
	bool ext;
};

static const struct shape shapes[] = {
	{ 0x11111111, 1, 1200, 0, false },
	{ 0x11111111, 2, 0, 0, false },
	{ 0x22222222, 65535, 17, 2, false },
	{ 0x22222222, 0, 160, 0, true }, /* rollover: index 2^16 */
	{ 0x33333333, 4000, 1188, 15, true },
};
#define NSHAPE (sizeof(shapes) / sizeof(shapes[0]))

struct recorded {
	_Alignas(8) uint8_t pkt[PKT_CAP];
	size_t len;
};

static struct recorded rec_rtp[NPROF][NSHAPE];
static struct recorded rec_rtcp[NPROF][2];
static bool recorded;

/* Protects the fixed set with fresh sessions from a fixed key into `rtp` and
 * `rtcp`, checking each against its plaintext on the receiving side. */
static void protect_fixed_set(enum srtp_profile p, struct recorded *rtp, struct recorded *rtcp)
{
	struct srtp_sess *a, *b;
	_Alignas(8) uint8_t plain[PKT_CAP], work[PKT_CAP];
	size_t plen, len;

	pair_alloc(p, 0x42, &a, &b);
	for (size_t i = 0; i < NSHAPE; i++) {
		const struct shape *sh = &shapes[i];

		plen = rtp_build(plain, sh->ssrc, sh->seq, sh->payload, sh->ncsrc, sh->ext);
		memcpy(rtp[i].pkt, plain, plen);
		rtp[i].len = plen;
		assert_int_equal(srtp_sess_protect_rtp(a, rtp[i].pkt, &rtp[i].len, PKT_CAP), 0);
		memcpy(work, rtp[i].pkt, rtp[i].len);
		len = rtp[i].len;
		assert_int_equal(srtp_sess_unprotect_rtp(b, work, &len), 0);
		assert_int_equal(len, plen);
		assert_memory_equal(work, plain, plen);
	}
	for (size_t i = 0; i < 2; i++) {
		rtcp[i].len = rtcp_build(rtcp[i].pkt, 0x11111111);
		assert_int_equal(srtp_sess_protect_rtcp(a, rtcp[i].pkt, &rtcp[i].len, PKT_CAP), 0);
	}
	srtp_sess_free(a);
	srtp_sess_free(b);
}

static void test_builtin_record(void **state)
{
	(void)state;
	assert_int_equal(srtp_lib_init(), 0);
	assert_false(srtp_ossl_installed());
	for (size_t p = 0; p < NPROF; p++) {
		protect_fixed_set(all_profiles[p], rec_rtp[p], rec_rtcp[p]);
		/* Nothing of ours ran: the sessions were on the library's code. */
		assert_int_equal(srtp_ossl_live(), 0);
	}
	recorded = true;
}

static void test_install(void **state)
{
	(void)state;
	assert_int_equal(srtp_global_init(), 0);
	assert_true(srtp_ossl_installed());
	assert_int_equal(srtp_global_init(), 0); /* idempotent */
	assert_int_equal(srtp_ossl_install(), 0);
	/* The self-tests libsrtp2 ran when registering, run again on demand,
	 * and with the library's own vectors. */
	assert_int_equal(srtp_cipher_type_self_test(srtp_ossl_aes_icm_128()), srtp_err_status_ok);
	assert_int_equal(srtp_auth_type_self_test(srtp_ossl_hmac_sha1()), srtp_err_status_ok);
	assert_int_equal(srtp_cipher_type_test(srtp_ossl_aes_icm_128(), srtp_aes_icm_128.test_data),
			 srtp_err_status_ok);
	assert_int_equal(srtp_cipher_type_self_test(srtp_ossl_aes_gcm_128()), srtp_err_status_ok);
	assert_int_equal(srtp_cipher_type_test(srtp_ossl_aes_gcm_128(), srtp_aes_gcm_128.test_data),
			 srtp_err_status_ok);
	assert_int_equal(srtp_auth_type_test(srtp_ossl_hmac_sha1(), srtp_hmac.test_data),
			 srtp_err_status_ok);
}

/* The same keys and packets on the OpenSSL primitives give the same bytes,
 * and each side reads the other's packets. */
static void test_ossl_equals_builtin(void **state)
{
	static struct recorded rtp[NSHAPE], rtcp[2];
	struct srtp_sess *a, *b;
	_Alignas(8) uint8_t work[PKT_CAP];
	size_t len;

	(void)state;
	assert_true(recorded);
	assert_true(srtp_ossl_installed());
	for (size_t p = 0; p < NPROF; p++) {
		protect_fixed_set(all_profiles[p], rtp, rtcp);
		for (size_t i = 0; i < NSHAPE; i++) {
			assert_int_equal(rtp[i].len, rec_rtp[p][i].len);
			assert_memory_equal(rtp[i].pkt, rec_rtp[p][i].pkt, rtp[i].len);
		}
		for (size_t i = 0; i < 2; i++) {
			assert_int_equal(rtcp[i].len, rec_rtcp[p][i].len);
			assert_memory_equal(rtcp[i].pkt, rec_rtcp[p][i].pkt, rtcp[i].len);
		}
		/* Packets protected on NSS open on OpenSSL. */
		pair_alloc(all_profiles[p], 0x42, &a, &b);
		/* Every session holds our ciphers (and auth for AES-CM). */
		assert_true(srtp_ossl_live() > 0);
		for (size_t i = 0; i < NSHAPE; i++) {
			memcpy(work, rec_rtp[p][i].pkt, rec_rtp[p][i].len);
			len = rec_rtp[p][i].len;
			assert_int_equal(srtp_sess_unprotect_rtp(b, work, &len), 0);
		}
		for (size_t i = 0; i < 2; i++) {
			memcpy(work, rec_rtcp[p][i].pkt, rec_rtcp[p][i].len);
			len = rec_rtcp[p][i].len;
			assert_int_equal(srtp_sess_unprotect_rtcp(b, work, &len), 0);
			assert_int_equal(len, 32);
		}
		srtp_sess_free(a);
		srtp_sess_free(b);
		assert_int_equal(srtp_ossl_live(), 0); /* freeing released them all */
	}
}

/* ---- the primitives against RFC 3711 and against libsrtp2's ---- */

static uint8_t *keystream(const srtp_cipher_type_t *ct, const uint8_t key[30], const uint8_t iv[16],
			  size_t n, srtp_err_status_t *st)
{
	srtp_cipher_t *c;
	uint8_t ivc[16];
	uint8_t *buf = calloc(1, n ? n : 1);
	unsigned int len = (unsigned int)n;

	assert_non_null(buf);
	memcpy(ivc, iv, 16);
	assert_int_equal(srtp_cipher_type_alloc(ct, &c, 30, 0), srtp_err_status_ok);
	assert_int_equal(srtp_cipher_init(c, key), srtp_err_status_ok);
	assert_int_equal(srtp_cipher_set_iv(c, ivc, srtp_direction_encrypt), srtp_err_status_ok);
	*st = srtp_cipher_encrypt(c, buf, &len);
	srtp_cipher_dealloc(c);
	return buf;
}

static void hex_check(const uint8_t *got, const char *hex)
{
	for (size_t i = 0; hex[2 * i]; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		assert_int_equal(got[i], v);
	}
}

/* RFC 3711 B.2: keystream blocks 0-2 and 0xfeff-0xff01. */
static void test_rfc3711_b2_keystream(void **state)
{
	static const uint8_t key[30] = {
		0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7,
		0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c, 0xf0, 0xf1, 0xf2, 0xf3,
		0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
	};
	static const uint8_t iv[16];
	const size_t n = (size_t)0xff02 * 16;
	srtp_err_status_t st;
	uint8_t *ours, *theirs;

	(void)state;
	ours = keystream(srtp_ossl_aes_icm_128(), key, iv, n, &st);
	assert_int_equal(st, srtp_err_status_ok);
	hex_check(ours, "E03EAD0935C95E80E166B16DD92B4EB4");
	hex_check(ours + 16, "D23513162B02D0F72A43A2FE4A5F97AB");
	hex_check(ours + 32, "41E95B3BB0A2E8DD477901E4FCA894C0");
	hex_check(ours + 0xfeff * 16, "EC8CDF7398607CB0F2D21675EA9EA1E4");
	hex_check(ours + 0xff00 * 16, "362B7C3C6773516318A077D7FC5073AE");
	hex_check(ours + 0xff01 * 16, "6A2CC3787889374FBEB4C81B17BA6C44");
	theirs = keystream(&srtp_aes_icm_128, key, iv, n, &st);
	assert_int_equal(st, srtp_err_status_ok);
	assert_memory_equal(ours, theirs, n);
	free(ours);
	free(theirs);
}

/* RFC 3711 B.3: the key derivation (the cipher with label << 48 as IV). */
static void test_rfc3711_b3_kdf(void **state)
{
	static const uint8_t master[30] = {
		0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f,
		0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39, 0x0e, 0xc6, 0x75, 0xad,
		0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
	};
	uint8_t iv[16] = { 0 };
	srtp_err_status_t st;
	uint8_t *k;

	(void)state;
	k = keystream(srtp_ossl_aes_icm_128(), master, iv, 16, &st);
	assert_int_equal(st, srtp_err_status_ok);
	hex_check(k, "C61E7A93744F39EE10734AFE3FF7A087"); /* cipher key */
	free(k);
	iv[7] = 2;
	k = keystream(srtp_ossl_aes_icm_128(), master, iv, 14, &st);
	assert_int_equal(st, srtp_err_status_ok);
	hex_check(k, "30CBBC08863D8C85D49DB34A9AE1"); /* salt */
	free(k);
	iv[7] = 1;
	k = keystream(srtp_ossl_aes_icm_128(), master, iv, 20, &st);
	assert_int_equal(st, srtp_err_status_ok);
	hex_check(k, "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"); /* auth key */
	free(k);
}

/* Counters near the 16-bit wrap, odd lengths, and the 2^16-block limit. */
static void test_counter_edges_match_builtin(void **state)
{
	uint8_t key[30], iv[16];
	srtp_err_status_t st1, st2;
	uint8_t *ours, *theirs;

	(void)state;
	material_fill(key, sizeof(key), 9);
	for (unsigned low = 0xfff0; low <= 0xffff; low += 5) {
		material_fill(iv, sizeof(iv), (uint8_t)low);
		iv[14] = (uint8_t)(low >> 8);
		iv[15] = (uint8_t)low;
		for (size_t n = 1; n < 700; n += 97) {
			ours = keystream(srtp_ossl_aes_icm_128(), key, iv, n, &st1);
			theirs = keystream(&srtp_aes_icm_128, key, iv, n, &st2);
			assert_int_equal(st1, srtp_err_status_ok);
			assert_int_equal(st2, srtp_err_status_ok);
			assert_memory_equal(ours, theirs, n);
			free(ours);
			free(theirs);
		}
	}
	/* More than 2^16 blocks after one IV would repeat the keystream. */
	memset(iv, 0, sizeof(iv));
	ours = keystream(srtp_ossl_aes_icm_128(), key, iv, (size_t)0x10000 * 16 + 1, &st1);
	assert_int_not_equal(st1, srtp_err_status_ok);
	free(ours);
}

/* HMAC-SHA1 over many lengths and reuse of one keyed object, as libsrtp2
 * uses it (start, update, compute with the ROC), against the library's. */
static void test_hmac_matches_builtin(void **state)
{
	srtp_auth_t *ours, *theirs;
	uint8_t key[20], msg[1300], t1[20], t2[20];

	(void)state;
	material_fill(key, sizeof(key), 3);
	material_fill(msg, sizeof(msg), 5);
	assert_int_equal(srtp_ossl_hmac_sha1()->alloc(&ours, 20, 10), srtp_err_status_ok);
	assert_int_equal(srtp_hmac.alloc(&theirs, 20, 10), srtp_err_status_ok);
	assert_int_equal(srtp_auth_init(ours, key), srtp_err_status_ok);
	assert_int_equal(srtp_auth_init(theirs, key), srtp_err_status_ok);
	for (int n = 0; n <= 1296; n += 37) {
		memset(t1, 0, sizeof(t1));
		memset(t2, 0, sizeof(t2));
		assert_int_equal(srtp_auth_start(ours), srtp_err_status_ok);
		assert_int_equal(srtp_auth_start(theirs), srtp_err_status_ok);
		assert_int_equal(srtp_auth_update(ours, msg, n), srtp_err_status_ok);
		assert_int_equal(srtp_auth_update(theirs, msg, n), srtp_err_status_ok);
		assert_int_equal(srtp_auth_compute(ours, msg + n, 4, t1), srtp_err_status_ok);
		assert_int_equal(srtp_auth_compute(theirs, msg + n, 4, t2), srtp_err_status_ok);
		assert_memory_equal(t1, t2, sizeof(t1)); /* 10 bytes, rest untouched */
	}
	srtp_auth_dealloc(ours);
	srtp_auth_dealloc(theirs);
	/* A key longer than libsrtp2 allows is refused, like the library does. */
	assert_int_not_equal(srtp_ossl_hmac_sha1()->alloc(&ours, 21, 10), srtp_err_status_ok);
	assert_int_equal(srtp_ossl_live(), 0);
}

/* ---- sessions ---- */

static void test_profiles_and_split(void **state)
{
	uint8_t mat[60];
	struct srtp_master l, r;
	enum srtp_profile p;

	(void)state;
	assert_int_equal(srtp_profile_material_len(SRTP_PROFILE_AES128_CM_SHA1_80), 60);
	assert_int_equal(srtp_profile_material_len(SRTP_PROFILE_AES128_CM_SHA1_32), 60);
	assert_int_equal(srtp_profile_material_len(SRTP_PROFILE_AEAD_AES_128_GCM), 56);
	assert_int_equal(srtp_profile_material_len((enum srtp_profile)3), 0);
	assert_string_equal(srtp_profile_name(SRTP_PROFILE_AEAD_AES_128_GCM),
			    "SRTP_AEAD_AES_128_GCM");
	assert_string_equal(srtp_profile_name(SRTP_PROFILE_AES128_CM_SHA1_80),
			    "SRTP_AES128_CM_SHA1_80");
	assert_int_equal(srtp_profile_from_id(7, &p), 0);
	assert_int_equal(p, SRTP_PROFILE_AEAD_AES_128_GCM);
	assert_int_equal(srtp_profile_from_id(8, &p), ENOTSUP);

	/* RFC 5764 4.2: client key, server key, client salt, server salt. */
	for (size_t i = 0; i < sizeof(mat); i++)
		mat[i] = (uint8_t)i;
	assert_int_equal(srtp_material_split(SRTP_PROFILE_AES128_CM_SHA1_80, mat, 60, true, &l, &r),
			 0);
	assert_int_equal(l.len, 30);
	assert_int_equal(r.len, 30);
	assert_memory_equal(l.bytes, mat, 16);
	assert_memory_equal(r.bytes, mat + 16, 16);
	assert_memory_equal(l.bytes + 16, mat + 32, 14);
	assert_memory_equal(r.bytes + 16, mat + 46, 14);
	assert_int_equal(
		srtp_material_split(SRTP_PROFILE_AES128_CM_SHA1_80, mat, 60, false, &l, &r), 0);
	assert_memory_equal(r.bytes, mat, 16);
	assert_memory_equal(l.bytes, mat + 16, 16);
	assert_memory_equal(r.bytes + 16, mat + 32, 14);
	assert_memory_equal(l.bytes + 16, mat + 46, 14);

	assert_int_equal(srtp_material_split(SRTP_PROFILE_AEAD_AES_128_GCM, mat, 56, true, &l, &r),
			 0);
	assert_int_equal(l.len, 28);
	assert_memory_equal(l.bytes, mat, 16);
	assert_memory_equal(r.bytes, mat + 16, 16);
	assert_memory_equal(l.bytes + 16, mat + 32, 12);
	assert_memory_equal(r.bytes + 16, mat + 44, 12);

	assert_int_equal(srtp_material_split(SRTP_PROFILE_AEAD_AES_128_GCM, mat, 60, true, &l, &r),
			 EINVAL);
	assert_int_equal(srtp_material_split((enum srtp_profile)3, mat, 60, true, &l, &r), EINVAL);
}

static void test_alloc_rejects_bad_keys(void **state)
{
	struct srtp_master l = { .len = 30 }, r = { .len = 30 };
	struct srtp_sess *s = (struct srtp_sess *)&l; /* must stay untouched */

	(void)state;
	assert_int_equal(srtp_sess_alloc(&s, SRTP_PROFILE_AEAD_AES_128_GCM, &l, &r), EINVAL);
	assert_int_equal(srtp_sess_alloc(&s, (enum srtp_profile)5, &l, &r), EINVAL);
	r.len = 28;
	assert_int_equal(srtp_sess_alloc(&s, SRTP_PROFILE_AES128_CM_SHA1_80, &l, &r), EINVAL);
	assert_ptr_equal(s, (struct srtp_sess *)&l);
	srtp_sess_free(NULL);
}

/* Both directions, RTP and RTCP, for each profile; the overhead is the tag
 * (and SRTCP's index). */
static void test_roundtrip(void **state)
{
	static const size_t rtp_tag[] = { 10, 4, 16 };
	static const size_t rtcp_trailer[] = { 14, 14, 20 };
	_Alignas(8) uint8_t plain[PKT_CAP], buf[PKT_CAP];
	struct srtp_sess *a, *b;
	size_t plen, len, hdr;

	(void)state;
	for (size_t p = 0; p < NPROF; p++) {
		pair_alloc(all_profiles[p], (uint8_t)p, &a, &b);
		assert_int_equal(srtp_sess_profile(a), all_profiles[p]);
		for (uint16_t seq = 100; seq < 110; seq++) {
			struct srtp_sess *tx = seq & 1 ? a : b, *rx = seq & 1 ? b : a;

			size_t payload = seq * 13u % 1200;

			plen = rtp_build(plain, 0xabc, seq, payload, seq % 3, seq & 2);
			memcpy(buf, plain, plen);
			len = plen;
			assert_int_equal(srtp_sess_protect_rtp(tx, buf, &len, sizeof(buf)), 0);
			assert_int_equal(len, plen + rtp_tag[p]);
			hdr = plen - payload; /* the header stays clear, the payload not */
			assert_memory_equal(buf, plain, hdr);
			assert_memory_not_equal(buf + hdr, plain + hdr, payload);
			assert_int_equal(srtp_sess_unprotect_rtp(rx, buf, &len), 0);
			assert_int_equal(len, plen);
			assert_memory_equal(buf, plain, plen);

			plen = rtcp_build(plain, 0xabc);
			memcpy(buf, plain, plen);
			len = plen;
			assert_int_equal(srtp_sess_protect_rtcp(tx, buf, &len, sizeof(buf)), 0);
			assert_int_equal(len, plen + rtcp_trailer[p]);
			assert_memory_not_equal(buf + 8, plain + 8, plen - 8); /* encrypted */
			assert_int_equal(srtp_sess_unprotect_rtcp(rx, buf, &len), 0);
			assert_int_equal(len, plen);
			assert_memory_equal(buf, plain, plen);
		}
		srtp_sess_free(a);
		srtp_sess_free(b);
	}
}

/* Any changed bit, in the header, the payload or the tag, fails. */
static void test_tamper(void **state)
{
	_Alignas(8) uint8_t good[PKT_CAP], buf[PKT_CAP];
	struct srtp_sess *a, *b;
	size_t glen, len;

	(void)state;
	for (size_t p = 0; p < NPROF; p++) {
		pair_alloc(all_profiles[p], 7, &a, &b);
		glen = rtp_build(good, 0x1234, 9, 200, 1, true);
		assert_int_equal(srtp_sess_protect_rtp(a, good, &glen, sizeof(good)), 0);
		for (size_t i = 1; i < glen; i += (i < 40 ? 1 : 29)) {
			memcpy(buf, good, glen);
			buf[i] ^= 0x08;
			len = glen;
			assert_int_equal(srtp_sess_unprotect_rtp(b, buf, &len), EBADMSG);
		}
		memcpy(buf, good, glen);
		len = glen;
		assert_int_equal(srtp_sess_unprotect_rtp(b, buf, &len), 0); /* still fine */

		glen = rtcp_build(good, 0x1234);
		assert_int_equal(srtp_sess_protect_rtcp(a, good, &glen, sizeof(good)), 0);
		for (size_t i = 1; i < glen; i++) {
			memcpy(buf, good, glen);
			buf[i] ^= 0x40;
			len = glen;
			assert_int_equal(srtp_sess_unprotect_rtcp(b, buf, &len), EBADMSG);
		}
		/* The wrong key (the sender's own) fails too. */
		memcpy(buf, good, glen);
		len = glen;
		assert_int_equal(srtp_sess_unprotect_rtcp(a, buf, &len), EBADMSG);
		srtp_sess_free(a);
		srtp_sess_free(b);
	}
}

static void test_replay_rejected(void **state)
{
	_Alignas(8) uint8_t pkt[PKT_CAP], buf[PKT_CAP], old[PKT_CAP];
	struct srtp_sess *a, *b;
	size_t plen, len, olen;

	(void)state;
	for (size_t p = 0; p < NPROF; p++) {
		pair_alloc(all_profiles[p], 11, &a, &b);
		olen = rtp_build(old, 0x55, 10, 100, 0, false);
		assert_int_equal(srtp_sess_protect_rtp(a, old, &olen, sizeof(old)), 0);
		plen = rtp_build(pkt, 0x55, 11, 100, 0, false);
		assert_int_equal(srtp_sess_protect_rtp(a, pkt, &plen, sizeof(pkt)), 0);
		memcpy(buf, pkt, plen);
		len = plen;
		assert_int_equal(srtp_sess_unprotect_rtp(b, buf, &len), 0);
		memcpy(buf, pkt, plen);
		len = plen;
		assert_int_equal(srtp_sess_unprotect_rtp(b, buf, &len), EALREADY);
		/* Late but inside the window and unseen: accepted once. */
		memcpy(buf, old, olen);
		len = olen;
		assert_int_equal(srtp_sess_unprotect_rtp(b, buf, &len), 0);

		/* Held back while 1100 newer ones arrive: older than the window. */
		olen = rtp_build(old, 0x55, 12, 10, 0, false);
		assert_int_equal(srtp_sess_protect_rtp(a, old, &olen, sizeof(old)), 0);
		plen = rtp_build(pkt, 0x55, 12 + 1100, 10, 0, false);
		assert_int_equal(srtp_sess_protect_rtp(a, pkt, &plen, sizeof(pkt)), 0);
		assert_int_equal(srtp_sess_unprotect_rtp(b, pkt, &plen), 0);
		assert_int_equal(srtp_sess_unprotect_rtp(b, old, &olen), EALREADY);

		plen = rtcp_build(pkt, 0x55);
		assert_int_equal(srtp_sess_protect_rtcp(a, pkt, &plen, sizeof(pkt)), 0);
		memcpy(buf, pkt, plen);
		len = plen;
		assert_int_equal(srtp_sess_unprotect_rtcp(b, buf, &len), 0);
		len = plen;
		assert_int_equal(srtp_sess_unprotect_rtcp(b, pkt, &len), EALREADY);
		srtp_sess_free(a);
		srtp_sess_free(b);
	}
}

/* A NACK answer protects a sequence number again: allowed, same bytes. */
static void test_retransmission(void **state)
{
	_Alignas(8) uint8_t first[PKT_CAP], again[PKT_CAP];
	struct srtp_sess *a, *b;
	size_t flen, alen;

	(void)state;
	for (size_t p = 0; p < NPROF; p++) {
		pair_alloc(all_profiles[p], 13, &a, &b);
		flen = rtp_build(first, 0x77, 500, 900, 0, false);
		assert_int_equal(srtp_sess_protect_rtp(a, first, &flen, sizeof(first)), 0);
		for (uint16_t seq = 501; seq < 520; seq++) {
			alen = rtp_build(again, 0x77, seq, 900, 0, false);
			assert_int_equal(srtp_sess_protect_rtp(a, again, &alen, sizeof(again)), 0);
		}
		alen = rtp_build(again, 0x77, 500, 900, 0, false);
		assert_int_equal(srtp_sess_protect_rtp(a, again, &alen, sizeof(again)), 0);
		assert_int_equal(alen, flen);
		assert_memory_equal(again, first, flen);
		/* The receiver takes it once (the first copy was lost). */
		assert_int_equal(srtp_sess_unprotect_rtp(b, again, &alen), 0);
		/* Beyond the repeat window the sender refuses. */
		for (uint16_t seq = 520; seq < 520 + 1100; seq += 1099) {
			alen = rtp_build(again, 0x77, seq, 10, 0, false);
			assert_int_equal(srtp_sess_protect_rtp(a, again, &alen, sizeof(again)), 0);
		}
		alen = rtp_build(again, 0x77, 500, 900, 0, false);
		assert_int_equal(srtp_sess_protect_rtp(a, again, &alen, sizeof(again)), EALREADY);
		srtp_sess_free(a);
		srtp_sess_free(b);
	}
}

/* One outbound session sends many SSRCs, interleaved; the inbound side
 * learns each on its first authentic packet. */
static void test_many_ssrcs(void **state)
{
	_Alignas(8) uint8_t plain[PKT_CAP], buf[PKT_CAP];
	struct srtp_sess *a, *b;
	size_t plen, len;

	(void)state;
	pair_alloc(SRTP_PROFILE_AES128_CM_SHA1_80, 17, &a, &b);
	for (uint16_t seq = 0; seq < 8; seq++) {
		for (uint32_t ssrc = 1; ssrc <= 200; ssrc++) {
			plen = rtp_build(plain, ssrc * 0x01000193u, (uint16_t)(seq + ssrc), 50, 0,
					 false);
			memcpy(buf, plain, plen);
			len = plen;
			assert_int_equal(srtp_sess_protect_rtp(a, buf, &len, sizeof(buf)), 0);
			assert_int_equal(srtp_sess_unprotect_rtp(b, buf, &len), 0);
			assert_memory_equal(buf, plain, plen);
		}
	}
	srtp_sess_free(a);
	srtp_sess_free(b);
}

/* No room for the tag: ENOSPC and the packet untouched; exactly enough room
 * works, in a heap block of that size: valgrind sees any overrun, also
 * inside libsrtp2 and its crypto, which AddressSanitizer does not see. */
static void test_no_room(void **state)
{
	static const size_t rtp_tag[] = { 10, 4, 16 };
	static const size_t rtcp_trailer[] = { 14, 14, 20 };
	_Alignas(8) uint8_t plain[PKT_CAP];
	struct srtp_sess *a, *b;
	size_t plen, len;
	uint8_t *buf;

	(void)state;
	for (size_t p = 0; p < NPROF; p++) {
		pair_alloc(all_profiles[p], 19, &a, &b);
		plen = rtp_build(plain, 0x99, 1, 1200, 0, false);
		buf = malloc(plen + rtp_tag[p]);
		assert_non_null(buf);
		memcpy(buf, plain, plen);
		len = plen;
		assert_int_equal(srtp_sess_protect_rtp(a, buf, &len, plen + rtp_tag[p] - 1),
				 ENOSPC);
		assert_int_equal(len, plen);
		assert_memory_equal(buf, plain, plen);
		assert_int_equal(srtp_sess_protect_rtp(a, buf, &len, plen - 1), ENOSPC);
		assert_int_equal(srtp_sess_protect_rtp(a, buf, &len, plen + rtp_tag[p]), 0);
		assert_int_equal(srtp_sess_unprotect_rtp(b, buf, &len), 0);
		free(buf);

		plen = rtcp_build(plain, 0x99);
		buf = malloc(plen + rtcp_trailer[p]);
		assert_non_null(buf);
		memcpy(buf, plain, plen);
		len = plen;
		assert_int_equal(srtp_sess_protect_rtcp(a, buf, &len, plen + rtcp_trailer[p] - 1),
				 ENOSPC);
		assert_memory_equal(buf, plain, plen);
		assert_int_equal(srtp_sess_protect_rtcp(a, buf, &len, plen + rtcp_trailer[p]), 0);
		assert_int_equal(srtp_sess_unprotect_rtcp(b, buf, &len), 0);
		free(buf);
		srtp_sess_free(a);
		srtp_sess_free(b);
	}
}

/* Short, wrong-version and overlong-header input: EBADMSG from the network,
 * EINVAL from ourselves, and never a read past the end (valgrind, ASan). */
static void test_malformed(void **state)
{
	_Alignas(8) uint8_t good[PKT_CAP];
	struct srtp_sess *a, *b;
	size_t glen, len;
	uint8_t *buf;

	(void)state;
	pair_alloc(SRTP_PROFILE_AES128_CM_SHA1_80, 23, &a, &b);
	glen = rtp_build(good, 0x1, 1, 20, 0, true);
	assert_int_equal(srtp_sess_protect_rtp(a, good, &glen, sizeof(good)), 0);
	for (size_t n = 0; n < glen; n++) {
		buf = malloc(n ? n : 1);
		memcpy(buf, good, n);
		len = n;
		assert_int_equal(srtp_sess_unprotect_rtp(b, buf, &len), EBADMSG);
		len = n;
		assert_int_equal(srtp_sess_unprotect_rtcp(b, buf, &len), EBADMSG);
		free(buf);
	}
	good[0] = (good[0] & 0x3f) | 0x40; /* version 1 */
	len = glen;
	assert_int_equal(srtp_sess_unprotect_rtp(b, good, &len), EBADMSG);
	good[0] = 0x8f; /* 15 CSRCs in a 50-byte packet */
	len = glen;
	assert_int_equal(srtp_sess_unprotect_rtp(b, good, &len), EBADMSG);
	good[0] = 0x90;
	good[14] = 0xff; /* extension longer than the packet */
	len = glen;
	assert_int_equal(srtp_sess_unprotect_rtp(b, good, &len), EBADMSG);

	len = 11;
	assert_int_equal(srtp_sess_protect_rtp(a, good, &len, sizeof(good)), EINVAL);
	len = 7;
	assert_int_equal(srtp_sess_protect_rtcp(a, good, &len, sizeof(good)), EINVAL);
	len = glen;
	assert_int_equal(srtp_sess_protect_rtp(a, good, &len, sizeof(good)), EINVAL);
	srtp_sess_free(a);
	srtp_sess_free(b);
	assert_int_equal(srtp_ossl_live(), 0);
}

int main(void)
{
	/* Order matters: see the top of the file. */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profiles_and_split),
		cmocka_unit_test(test_builtin_record),
		cmocka_unit_test(test_install),
		cmocka_unit_test(test_ossl_equals_builtin),
		cmocka_unit_test(test_rfc3711_b2_keystream),
		cmocka_unit_test(test_rfc3711_b3_kdf),
		cmocka_unit_test(test_counter_edges_match_builtin),
		cmocka_unit_test(test_hmac_matches_builtin),
		cmocka_unit_test(test_alloc_rejects_bad_keys),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_replay_rejected),
		cmocka_unit_test(test_retransmission),
		cmocka_unit_test(test_many_ssrcs),
		cmocka_unit_test(test_no_room),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
