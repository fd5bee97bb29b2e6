/* dtls_int.h - what media/dtls.c and media/dtls_cert.c share; not for
 * other modules. */
#ifndef PARLEY_MEDIA_DTLS_INT_H
#define PARLEY_MEDIA_DTLS_INT_H

#include <glib.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

struct dtls_cert {
	gatomicrefcount ref;
	X509 *x509;           /* owned */
	EVP_PKEY *pkey;       /* owned */
	SSL_CTX *ctx;         /* owned; not changed after cert_setup */
	BIO_METHOD *bio_meth; /* owned: the datagram BIO */
};

/* The digest for an SDP fingerprint algorithm name ("sha-256"), or NULL. */
const EVP_MD *dtls_fp_md_find(const char *alg);

/* The datagram BIO method sessions write through (dtls.c). NULL: ENOMEM. */
BIO_METHOD *dtls_bio_meth_new(void);

/* Makes c->ctx, the SSL_CTX every session of this certificate shares:
 * DTLS 1.2, WebRTC's suites and SRTP profiles, our key, and peer
 * verification by SDP fingerprint (dtls.c). Returns 0, ENOMEM or EIO. */
int dtls_cert_ctx_setup(struct dtls_cert *c);

#endif
