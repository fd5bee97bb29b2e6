/* srtp_ossl.c - see srtp_ossl.h.
 *
 * AES-128-ICM (RFC 3711 section 4.1.1): libsrtp2 gives the cipher a 30-byte
 * key (16 key, 14 salt) and, per packet, a 16-byte IV (SSRC and packet index
 * shifted left by 16). The counter block is IV XOR (salt || 00 00), and the
 * low 16 bits count 16-byte blocks from there, so OpenSSL's AES-128-CTR
 * started at that block gives the same keystream. One difference is kept in
 * line with the NSS build: NSS counts in the low 16 bits only (CK_AES_CTR
 * ulCounterBits = 16), so past 0xffff it wraps to 0 without carrying into the
 * packet index, where OpenSSL would carry. We reproduce the wrap, and refuse
 * a keystream longer than 2^16 blocks (1 MiB) after one IV. Neither can
 * happen for SRTP, whose counter starts at 0 for each packet, but the test
 * compares both implementations across the wrap.
 *
 * HMAC-SHA1 (RFC 2104): libsrtp2 keys the auth once per session key and then
 * calls start / update / compute for every packet. OpenSSL 3.0's EVP_MAC and
 * HMAC_CTX re-initialisation with the kept key duplicates two digest
 * contexts: two allocations per packet, and measured 150-250 ns slower per
 * 1200-byte packet than what this module does instead. So we keep SHA_CTX
 * states after absorbing key^ipad and key^opad and copy them per
 * packet: a struct copy, no allocation. SHA1_Init/Update/Final are deprecated
 * in OpenSSL 3 but present, and use the same SHA-NI/AVX2 code as EVP; if a
 * later OpenSSL drops them, EVP_MD_CTX_copy_ex of the two states is the
 * fallback (one allocation per packet). */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA1_*: see above */
#define LOG_MOD "srtp"
#include "media/srtp_ossl.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>

#include "media/base/log.h"

#define ICM_KEY_LEN 16
#define ICM_SALT_LEN 14
#define ICM_BLOCK 16
/* Keystream bytes before the 16-bit block counter comes back to its start. */
#define ICM_SPAN ((size_t)0x10000 * ICM_BLOCK)

#define HMAC_KEY_MAX 20 /* libsrtp2's limit too (HMAC_KEYLEN_MAX) */
#define HMAC_OUT_MAX SHA_DIGEST_LENGTH
#define HMAC_BLOCK 64

static atomic_long live_objects;

/* ---- AES-128-ICM on AES-128-CTR ---- */

struct icm_state {
	EVP_CIPHER_CTX *ctx;       /* owned; keyed by icm_init */
	uint8_t offset[ICM_BLOCK]; /* salt || 00 00 */
	uint8_t first[ICM_BLOCK];  /* counter block set by the last set_iv */
	size_t used;               /* keystream bytes used since set_iv */
	bool keyed;
	bool iv_set;
};

/* libsrtp2 frees what alloc returns through our dealloc, so the cipher and
 * its state are one block. */
struct icm_cipher {
	srtp_cipher_t c; /* c.state points to st */
	struct icm_state st;
};

static const srtp_cipher_type_t icm_type; /* defined below */

static srtp_err_status_t icm_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
	struct icm_cipher *ic;

	(void)tag_len;
	if (key_len != ICM_KEY_LEN + ICM_SALT_LEN)
		return srtp_err_status_bad_param;
	ic = calloc(1, sizeof(*ic));
	if (!ic)
		return srtp_err_status_alloc_fail;
	ic->st.ctx = EVP_CIPHER_CTX_new();
	if (!ic->st.ctx) {
		free(ic);
		return srtp_err_status_alloc_fail;
	}
	ic->c.type = &icm_type;
	ic->c.state = &ic->st;
	ic->c.key_len = key_len;
	ic->c.algorithm = SRTP_AES_ICM_128;
	atomic_fetch_add(&live_objects, 1);
	*cp = &ic->c;
	return srtp_err_status_ok;
}

static srtp_err_status_t icm_dealloc(srtp_cipher_pointer_t c)
{
	struct icm_cipher *ic = (struct icm_cipher *)c;

	if (!ic)
		return srtp_err_status_ok;
	EVP_CIPHER_CTX_free(ic->st.ctx);
	OPENSSL_cleanse(ic, sizeof(*ic));
	free(ic);
	atomic_fetch_sub(&live_objects, 1);
	return srtp_err_status_ok;
}

static srtp_err_status_t icm_init(void *state, const uint8_t *key)
{
	struct icm_state *s = state;

	memset(s->offset, 0, sizeof(s->offset));
	memcpy(s->offset, key + ICM_KEY_LEN, ICM_SALT_LEN);
	s->keyed = EVP_EncryptInit_ex(s->ctx, EVP_aes_128_ctr(), NULL, key, NULL) == 1;
	s->iv_set = false;
	return s->keyed ? srtp_err_status_ok : srtp_err_status_init_fail;
}

static srtp_err_status_t icm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
	struct icm_state *s = state;

	(void)dir; /* counter mode: the same operation both ways */
	if (!s->keyed)
		return srtp_err_status_bad_param;
	for (unsigned i = 0; i < ICM_BLOCK; i++)
		s->first[i] = iv[i] ^ s->offset[i];
	s->iv_set = EVP_EncryptInit_ex(s->ctx, NULL, NULL, NULL, s->first) == 1;
	s->used = 0;
	return s->iv_set ? srtp_err_status_ok : srtp_err_status_cipher_fail;
}

static bool icm_xor(struct icm_state *s, uint8_t *buf, size_t n)
{
	int out = 0;

	if (n == 0)
		return true;
	return EVP_EncryptUpdate(s->ctx, buf, &out, buf, (int)n) == 1 && (size_t)out == n;
}

/* XORs the keystream into buf in place; see the top comment for the wrap. */
static srtp_err_status_t icm_encrypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct icm_state *s = state;
	size_t n = *len;
	size_t pos, first;

	if (!s->iv_set)
		return srtp_err_status_bad_param;
	if (n > ICM_SPAN - s->used)
		return srtp_err_status_terminus;
	/* Byte offset in the 16-bit counter space; ICM_SPAN is where it wraps. */
	pos = ((size_t)s->first[14] << 8 | s->first[15]) * ICM_BLOCK + s->used;
	first = (pos < ICM_SPAN && pos + n > ICM_SPAN) ? ICM_SPAN - pos : n;
	if (!icm_xor(s, buf, first))
		return srtp_err_status_cipher_fail;
	if (first < n) {
		uint8_t wrapped[ICM_BLOCK];

		memcpy(wrapped, s->first, ICM_BLOCK);
		wrapped[14] = wrapped[15] = 0;
		if (EVP_EncryptInit_ex(s->ctx, NULL, NULL, NULL, wrapped) != 1 ||
		    !icm_xor(s, buf + first, n - first))
			return srtp_err_status_cipher_fail;
	}
	s->used += n;
	return srtp_err_status_ok;
}

/* RFC 3711 B.2: the AES-CM keystream for the session key and salt given
 * there, IV zero (the first two blocks). */
static const uint8_t icm_tc0_key[30] = {
	0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7,
	0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c, 0xf0, 0xf1, 0xf2, 0xf3,
	0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static uint8_t icm_tc0_idx[16]; /* not const: libsrtp2's field is not */
static const uint8_t icm_zero[32];
static const uint8_t icm_tc0_out[32] = {
	0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80, 0xe1, 0x66, 0xb1,
	0x6d, 0xd9, 0x2b, 0x4e, 0xb4, 0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02,
	0xd0, 0xf7, 0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab,
};

/* RFC 3711 B.3: deriving the session encryption key (label 0) from the
 * master key and salt there. */
static const uint8_t icm_tc1_key[30] = {
	0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f,
	0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39, 0x0e, 0xc6, 0x75, 0xad,
	0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
};
static uint8_t icm_tc1_idx[16];
static const uint8_t icm_tc1_out[16] = {
	0xc6, 0x1e, 0x7a, 0x93, 0x74, 0x4f, 0x39, 0xee,
	0x10, 0x73, 0x4a, 0xfe, 0x3f, 0xf7, 0xa0, 0x87,
};

static const srtp_cipher_test_case_t icm_tc1 = {
	.key_length_octets = 30, .key = icm_tc1_key, .idx = icm_tc1_idx,
	.plaintext_length_octets = 16, .plaintext = icm_zero,
	.ciphertext_length_octets = 16, .ciphertext = icm_tc1_out,
};

static const srtp_cipher_test_case_t icm_tc0 = {
	.key_length_octets = 30, .key = icm_tc0_key, .idx = icm_tc0_idx,
	.plaintext_length_octets = 32, .plaintext = icm_zero,
	.ciphertext_length_octets = 32, .ciphertext = icm_tc0_out,
	.next_test_case = &icm_tc1,
};

static const srtp_cipher_type_t icm_type = {
	.alloc = icm_alloc,
	.dealloc = icm_dealloc,
	.init = icm_init,
	.set_aad = NULL,
	.encrypt = icm_encrypt,
	.decrypt = icm_encrypt,
	.set_iv = icm_set_iv,
	.get_tag = NULL,
	.description = "AES-128 integer counter mode on OpenSSL (parley)",
	.test_data = &icm_tc0,
	.id = SRTP_AES_ICM_128,
};

/* ---- AES-128-GCM (RFC 7714) on OpenSSL's EVP ---- */

/* libsrtp2 forms the 12-byte IV from the salt itself and hands the cipher
 * the 16-byte key (followed by the salt it does not need): set_iv per packet
 * with the direction, then the header as AAD, then encrypt + get_tag, or
 * decrypt over the payload with the tag at its end. NSS's version builds a
 * PKCS#11 context and allocates for every packet; this keeps one keyed
 * EVP context per cipher and only resets its IV. */
#define GCM_KEY_LEN 16
#define GCM_SALT_LEN 12
#define GCM_IV_LEN 12

struct gcm_state {
	EVP_CIPHER_CTX *ctx; /* owned */
	int tag_len;         /* 8 or 16 */
	bool keyed;
	bool iv_set;
	bool encrypt;        /* the direction set_iv gave */
};

struct gcm_cipher {
	srtp_cipher_t c; /* c.state points to st */
	struct gcm_state st;
};

static const srtp_cipher_type_t gcm_type; /* defined below */

static srtp_err_status_t gcm_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
	struct gcm_cipher *gc;

	if (key_len != GCM_KEY_LEN + GCM_SALT_LEN || (tag_len != 8 && tag_len != 16))
		return srtp_err_status_bad_param;
	gc = calloc(1, sizeof(*gc));
	if (!gc)
		return srtp_err_status_alloc_fail;
	gc->st.ctx = EVP_CIPHER_CTX_new();
	if (!gc->st.ctx) {
		free(gc);
		return srtp_err_status_alloc_fail;
	}
	gc->st.tag_len = tag_len;
	gc->c.type = &gcm_type;
	gc->c.state = &gc->st;
	gc->c.key_len = key_len;
	gc->c.algorithm = SRTP_AES_GCM_128;
	atomic_fetch_add(&live_objects, 1);
	*cp = &gc->c;
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_dealloc(srtp_cipher_pointer_t c)
{
	struct gcm_cipher *gc = (struct gcm_cipher *)c;

	if (!gc)
		return srtp_err_status_ok;
	EVP_CIPHER_CTX_free(gc->st.ctx);
	OPENSSL_cleanse(gc, sizeof(*gc));
	free(gc);
	atomic_fetch_sub(&live_objects, 1);
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_init(void *state, const uint8_t *key)
{
	struct gcm_state *s = state;

	s->keyed = EVP_CipherInit_ex(s->ctx, EVP_aes_128_gcm(), NULL, NULL, NULL, 1) == 1 &&
		   EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_GCM_SET_IVLEN, GCM_IV_LEN, NULL) == 1 &&
		   EVP_CipherInit_ex(s->ctx, NULL, NULL, key, NULL, 1) == 1;
	s->iv_set = false;
	return s->keyed ? srtp_err_status_ok : srtp_err_status_init_fail;
}

static srtp_err_status_t gcm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
	struct gcm_state *s = state;

	if (!s->keyed || (dir != srtp_direction_encrypt && dir != srtp_direction_decrypt))
		return srtp_err_status_bad_param;
	s->encrypt = dir == srtp_direction_encrypt;
	s->iv_set = EVP_CipherInit_ex(s->ctx, NULL, NULL, NULL, iv, s->encrypt) == 1;
	return s->iv_set ? srtp_err_status_ok : srtp_err_status_cipher_fail;
}

static srtp_err_status_t gcm_set_aad(void *state, const uint8_t *aad, uint32_t len)
{
	struct gcm_state *s = state;
	int out = 0;

	if (!s->iv_set || len > INT_MAX)
		return srtp_err_status_bad_param;
	return EVP_CipherUpdate(s->ctx, NULL, &out, aad, (int)len) == 1
		       ? srtp_err_status_ok : srtp_err_status_algo_fail;
}

static srtp_err_status_t gcm_encrypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct gcm_state *s = state;
	int out = 0;

	if (!s->iv_set || !s->encrypt || *len > INT_MAX)
		return srtp_err_status_bad_param;
	if (*len && (EVP_CipherUpdate(s->ctx, buf, &out, buf, (int)*len) != 1 ||
		     (unsigned int)out != *len))
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_get_tag(void *state, uint8_t *tag, uint32_t *len)
{
	struct gcm_state *s = state;
	uint8_t rest[16];
	int out = 0;

	if (!s->iv_set || !s->encrypt)
		return srtp_err_status_bad_param;
	s->iv_set = false;
	if (EVP_CipherFinal_ex(s->ctx, rest, &out) != 1 ||
	    EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_GCM_GET_TAG, s->tag_len, tag) != 1)
		return srtp_err_status_algo_fail;
	*len = (uint32_t)s->tag_len;
	return srtp_err_status_ok;
}

/* buf holds the ciphertext followed by the tag; *len shrinks by the tag. */
static srtp_err_status_t gcm_decrypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct gcm_state *s = state;
	unsigned int n;
	uint8_t rest[16];
	int out = 0;

	if (!s->iv_set || s->encrypt || *len < (unsigned int)s->tag_len || *len > INT_MAX)
		return srtp_err_status_bad_param;
	n = *len - (unsigned int)s->tag_len;
	s->iv_set = false;
	if (EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_GCM_SET_TAG, s->tag_len, buf + n) != 1 ||
	    (n && EVP_CipherUpdate(s->ctx, buf, &out, buf, (int)n) != 1))
		return srtp_err_status_cipher_fail;
	if (EVP_CipherFinal_ex(s->ctx, rest, &out) != 1)
		return srtp_err_status_auth_fail;
	*len = n;
	return srtp_err_status_ok;
}

/* The GCM specification's test case 2: zero key, zero IV, one zero block. */
static const uint8_t gcm_tc0_key[GCM_KEY_LEN + GCM_SALT_LEN];
static uint8_t gcm_tc0_iv[GCM_IV_LEN];
static const uint8_t gcm_tc0_plain[16];
static const uint8_t gcm_tc0_out[32] = {
	0x03, 0x88, 0xda, 0xce, 0x60, 0xb6, 0xa3, 0x92, 0xf3, 0x28, 0xc2,
	0xb9, 0x71, 0xb2, 0xfe, 0x78, /* ciphertext, then the tag */
	0xab, 0x6e, 0x47, 0xd4, 0x2c, 0xec, 0x13, 0xbd, 0xf5, 0x3a, 0x67,
	0xb2, 0x12, 0x57, 0xbd, 0xdf,
};

static const srtp_cipher_test_case_t gcm_tc0 = {
	.key_length_octets = GCM_KEY_LEN + GCM_SALT_LEN, .key = gcm_tc0_key, .idx = gcm_tc0_iv,
	.plaintext_length_octets = 16, .plaintext = gcm_tc0_plain,
	.ciphertext_length_octets = 32, .ciphertext = gcm_tc0_out,
	.aad_length_octets = 0, .aad = NULL, .tag_length_octets = 16,
};

static const srtp_cipher_type_t gcm_type = {
	.alloc = gcm_alloc,
	.dealloc = gcm_dealloc,
	.init = gcm_init,
	.set_aad = gcm_set_aad,
	.encrypt = gcm_encrypt,
	.decrypt = gcm_decrypt,
	.set_iv = gcm_set_iv,
	.get_tag = gcm_get_tag,
	.description = "AES-128 GCM on OpenSSL (parley)",
	.test_data = &gcm_tc0,
	.id = SRTP_AES_GCM_128,
};

/* ---- HMAC-SHA1 on SHA-1 states kept after the pads ---- */

struct hmac_state {
	SHA_CTX inner; /* after key^ipad */
	SHA_CTX outer; /* after key^opad */
	SHA_CTX work;  /* the packet being authenticated */
};

struct hmac_auth {
	srtp_auth_t a; /* a.state points to st */
	struct hmac_state st;
};

static const srtp_auth_type_t hmac_type; /* defined below */

static srtp_err_status_t hmac_alloc(srtp_auth_pointer_t *ap, int key_len, int out_len)
{
	struct hmac_auth *ha;

	if (key_len < 0 || key_len > HMAC_KEY_MAX || out_len < 0 || out_len > HMAC_OUT_MAX)
		return srtp_err_status_bad_param;
	ha = calloc(1, sizeof(*ha));
	if (!ha)
		return srtp_err_status_alloc_fail;
	ha->a.type = &hmac_type;
	ha->a.state = &ha->st;
	ha->a.out_len = out_len;
	ha->a.key_len = key_len;
	ha->a.prefix_len = 0;
	atomic_fetch_add(&live_objects, 1);
	*ap = &ha->a;
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_dealloc(srtp_auth_pointer_t a)
{
	if (!a)
		return srtp_err_status_ok;
	OPENSSL_cleanse(a, sizeof(struct hmac_auth));
	free(a);
	atomic_fetch_sub(&live_objects, 1);
	return srtp_err_status_ok;
}

/* Keys the state and leaves it started: libsrtp2's self-test computes right
 * after init, without a start. */
static srtp_err_status_t hmac_init(void *state, const uint8_t *key, int key_len)
{
	struct hmac_state *s = state;
	uint8_t ipad[HMAC_BLOCK], opad[HMAC_BLOCK];
	bool ok;

	if (key_len < 0 || key_len > HMAC_KEY_MAX)
		return srtp_err_status_bad_param;
	memset(ipad, 0x36, sizeof(ipad));
	memset(opad, 0x5c, sizeof(opad));
	for (int i = 0; i < key_len; i++) {
		ipad[i] ^= key[i];
		opad[i] ^= key[i];
	}
	ok = SHA1_Init(&s->inner) && SHA1_Update(&s->inner, ipad, sizeof(ipad)) &&
	     SHA1_Init(&s->outer) && SHA1_Update(&s->outer, opad, sizeof(opad));
	OPENSSL_cleanse(ipad, sizeof(ipad));
	OPENSSL_cleanse(opad, sizeof(opad));
	s->work = s->inner;
	return ok ? srtp_err_status_ok : srtp_err_status_init_fail;
}

static srtp_err_status_t hmac_start(void *state)
{
	struct hmac_state *s = state;

	s->work = s->inner;
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_update(void *state, const uint8_t *buf, int n)
{
	struct hmac_state *s = state;

	if (n < 0)
		return srtp_err_status_bad_param;
	return SHA1_Update(&s->work, buf, (size_t)n) ? srtp_err_status_ok
						       : srtp_err_status_auth_fail;
}

static srtp_err_status_t hmac_compute(void *state, const uint8_t *buf, int n, int tag_len,
				      uint8_t *tag)
{
	struct hmac_state *s = state;
	uint8_t inner[SHA_DIGEST_LENGTH], md[SHA_DIGEST_LENGTH];
	bool ok;

	if (n < 0 || tag_len < 0 || tag_len > HMAC_OUT_MAX)
		return srtp_err_status_bad_param;
	ok = SHA1_Update(&s->work, buf, (size_t)n) && SHA1_Final(inner, &s->work);
	s->work = s->outer;
	ok = ok && SHA1_Update(&s->work, inner, sizeof(inner)) && SHA1_Final(md, &s->work);
	if (!ok)
		return srtp_err_status_auth_fail;
	memcpy(tag, md, (size_t)tag_len);
	return srtp_err_status_ok;
}

/* RFC 2202 test cases 1 to 3 for HMAC-SHA-1. */
static const uint8_t hmac_tc0_key[20] = {
	0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
	0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
};
static const uint8_t hmac_tc0_tag[20] = {
	0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
	0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00,
};
static const uint8_t hmac_tc1_tag[20] = {
	0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74,
	0x16, 0xd5, 0xf1, 0x84, 0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79,
};
static const uint8_t hmac_tc2_key[20] = {
	0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
	0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
};
static const uint8_t hmac_tc2_data[50] = {
	0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
	0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
	0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
	0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
	0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
};
static const uint8_t hmac_tc2_tag[20] = {
	0x12, 0x5d, 0x73, 0x42, 0xb9, 0xac, 0x11, 0xcd, 0x91, 0xa3,
	0x9a, 0xf4, 0x8a, 0xa1, 0x7b, 0x4f, 0x63, 0xf1, 0x75, 0xd3,
};

static const srtp_auth_test_case_t hmac_tc2 = {
	.key_length_octets = 20, .key = hmac_tc2_key,
	.data_length_octets = 50, .data = hmac_tc2_data,
	.tag_length_octets = 20, .tag = hmac_tc2_tag,
};

static const srtp_auth_test_case_t hmac_tc1 = {
	.key_length_octets = 4, .key = (const uint8_t *)"Jefe",
	.data_length_octets = 28, .data = (const uint8_t *)"what do ya want for nothing?",
	.tag_length_octets = 20, .tag = hmac_tc1_tag,
	.next_test_case = &hmac_tc2,
};

static const srtp_auth_test_case_t hmac_tc0 = {
	.key_length_octets = 20, .key = hmac_tc0_key,
	.data_length_octets = 8, .data = (const uint8_t *)"Hi There",
	.tag_length_octets = 20, .tag = hmac_tc0_tag,
	.next_test_case = &hmac_tc1,
};

static const srtp_auth_type_t hmac_type = {
	.alloc = hmac_alloc,
	.dealloc = hmac_dealloc,
	.init = hmac_init,
	.compute = hmac_compute,
	.update = hmac_update,
	.start = hmac_start,
	.description = "HMAC-SHA1 on OpenSSL SHA-1 (parley)",
	.test_data = &hmac_tc0,
	.id = SRTP_HMAC_SHA1,
};

/* ---- registration ---- */

static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static int install_err;
static atomic_bool installed;

static void install_run(void)
{
	srtp_err_status_t st;

	st = srtp_replace_cipher_type(&icm_type, SRTP_AES_ICM_128);
	if (st != srtp_err_status_ok) {
		log_err("libsrtp2 refused the OpenSSL AES-CM (status %d): keeping its own",
			(int)st);
		install_err = EIO;
		return;
	}
	st = srtp_replace_auth_type(&hmac_type, SRTP_HMAC_SHA1);
	if (st != srtp_err_status_ok) {
		log_err("libsrtp2 refused the OpenSSL HMAC-SHA1 (status %d): keeping its own",
			(int)st);
		install_err = EIO;
		return;
	}
	st = srtp_replace_cipher_type(&gcm_type, SRTP_AES_GCM_128);
	if (st != srtp_err_status_ok) {
		log_err("libsrtp2 refused the OpenSSL AES-GCM (status %d): keeping its own",
			(int)st);
		install_err = EIO;
		return;
	}
	atomic_store(&installed, true);
	log_info("libsrtp2 runs AES-CM, AES-GCM and HMAC-SHA1 on OpenSSL");
}

int srtp_ossl_install(void)
{
	pthread_once(&install_once, install_run);
	return install_err;
}

bool srtp_ossl_installed(void)
{
	return atomic_load(&installed);
}

long srtp_ossl_live(void)
{
	return atomic_load(&live_objects);
}

const struct srtp_cipher_type_t *srtp_ossl_aes_icm_128(void)
{
	return &icm_type;
}

const struct srtp_cipher_type_t *srtp_ossl_aes_gcm_128(void)
{
	return &gcm_type;
}

const struct srtp_auth_type_t *srtp_ossl_hmac_sha1(void)
{
	return &hmac_type;
}
