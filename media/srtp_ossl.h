/* srtp_ossl.h - OpenSSL-backed primitives for libsrtp2.
 *
 * Debian's libsrtp2 is built on NSS, whose AES-CM and HMAC-SHA1 cost about
 * 5 us per 1200-byte protect, roughly half each (its AES-CM builds a
 * PKCS#11 context for every packet); on OpenSSL the two take about 0.3 and
 * 0.7 us (tools/srtp_bench.c). This module gives libsrtp2 an AES-128-ICM on
 * OpenSSL's AES-128-CTR and an HMAC-SHA1 on OpenSSL's SHA-1,
 * registered with srtp_replace_cipher_type() / srtp_replace_auth_type(), so
 * every session made afterwards (and libsrtp2's key derivation, which runs on
 * the same cipher) uses them. The output is byte-identical to the library's
 * own; tests/media/test_srtp.c proves it. AES-128-GCM (AEAD_AES_128_GCM) is
 * replaced the same way: NSS's allocates per packet, ours keeps one keyed
 * EVP context per session key and resets its IV.
 *
 * Nothing here is called per packet by parley directly: libsrtp2 calls the
 * primitives through its tables, and they allocate nothing per packet. */
#ifndef PARLEY_MEDIA_SRTP_OSSL_H
#define PARLEY_MEDIA_SRTP_OSSL_H

#include <stdbool.h>

struct srtp_cipher_type_t; /* libsrtp2's, srtp2/cipher.h */
struct srtp_auth_type_t;   /* libsrtp2's, srtp2/auth.h */

/* Replaces libsrtp2's SRTP_AES_ICM_128 and SRTP_AES_GCM_128 ciphers and SRTP_HMAC_SHA1 auth with
 * the OpenSSL ones, once per process; later calls return the first result.
 * libsrtp2 must already be initialised (srtp_init(), which srtp_lib_init()
 * in media/srtp.h does); call it at start-up, before sessions are made on
 * other threads, since libsrtp2's type table is not locked. Sessions made
 * before keep the primitives they were made with. Returns 0, or EIO when
 * libsrtp2 refused a replacement (its self-test failed); what was refused
 * stays the library's own and still works. @thread any (start-up) */
int srtp_ossl_install(void);

/* True once srtp_ossl_install() has succeeded. @thread any */
bool srtp_ossl_installed(void);

/* The number of OpenSSL-backed cipher and auth objects alive in libsrtp2
 * (each session holds a few; key derivation holds one briefly). Lets a test
 * prove which primitives a session runs on and that freeing releases them.
 * @thread any */
long srtp_ossl_live(void);

/* The replacement types, for tests that drive them through libsrtp2's
 * cipher / auth API (srtp_cipher_type_alloc, srtp_auth_type_test, ...).
 * @thread any */
const struct srtp_cipher_type_t *srtp_ossl_aes_icm_128(void);
const struct srtp_cipher_type_t *srtp_ossl_aes_gcm_128(void);
const struct srtp_auth_type_t *srtp_ossl_hmac_sha1(void);

#endif
