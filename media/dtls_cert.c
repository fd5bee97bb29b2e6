/* dtls_cert.c - the DTLS certificate: an ECDSA P-256 key and a self-signed
 * X.509 made at start or loaded from PEM files, its fingerprint, and the
 * SSL_CTX every session shares (set up by dtls.c: that is session policy).
 * See dtls.h. */
#define LOG_MOD "dtls"
#include "media/dtls.h"
#include "media/dtls_int.h"
#include "media/base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static const struct {
	const char *name;
	const EVP_MD *(*md)(void);
} fp_algs[] = {
	{ "sha-1", EVP_sha1 },
	{ "sha-224", EVP_sha224 },
	{ "sha-256", EVP_sha256 },
	{ "sha-384", EVP_sha384 },
	{ "sha-512", EVP_sha512 },
};

/* ---- fingerprints ---- */

const EVP_MD *dtls_fp_md_find(const char *alg)
{
	if (!alg)
		return NULL;
	for (size_t i = 0; i < G_N_ELEMENTS(fp_algs); i++) {
		if (g_ascii_strcasecmp(alg, fp_algs[i].name) == 0)
			return fp_algs[i].md();
	}
	return NULL;
}

int dtls_cert_fingerprint(const struct dtls_cert *cert, const char *alg,
			  char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	const EVP_MD *md = dtls_fp_md_find(alg);
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	if (!cert || !md || !out)
		return EINVAL;
	if (!X509_digest(cert->x509, md, d, &n) || n == 0)
		return EINVAL;
	if (size < 3 * (size_t)n)
		return ENOSPC;
	for (unsigned i = 0; i < n; i++) {
		out[3 * i] = hex[d[i] >> 4];
		out[3 * i + 1] = hex[d[i] & 15];
		out[3 * i + 2] = i + 1 < n ? ':' : '\0';
	}
	return 0;
}

int dtls_fingerprint_parse(const char *s, uint8_t *out, size_t size, size_t *len)
{
	size_t n = 0;

	if (!s || !out || !len)
		return EINVAL;
	for (;;) {
		int hi = g_ascii_xdigit_value(s[0]);
		int lo = hi < 0 ? -1 : g_ascii_xdigit_value(s[1]);

		if (lo < 0)
			return EBADMSG;
		if (n == size)
			return ENOSPC;
		out[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (*s == '\0')
			break;
		if (*s++ != ':')
			return EBADMSG;
	}
	*len = n;
	return 0;
}

/* ---- certificate ---- */

/* Takes ownership of `x` and `k` (also on error). */
static int cert_new(struct dtls_cert **out, X509 *x, EVP_PKEY *k)
{
	struct dtls_cert *c = g_new0(struct dtls_cert, 1);
	int err;

	g_atomic_ref_count_init(&c->ref);
	c->x509 = x;
	c->pkey = k;
	c->bio_meth = dtls_bio_meth_new();
	err = c->bio_meth ? dtls_cert_ctx_setup(c) : ENOMEM;
	if (err) {
		unsigned long e = ERR_peek_last_error();

		log_err("certificate set-up failed: %s",
			e ? ERR_reason_error_string(e) : "out of memory");
		ERR_clear_error();
		dtls_cert_unref(c);
		return err;
	}
	*out = c;
	return 0;
}

static X509 *cert_x509_new(EVP_PKEY *key)
{
	X509 *x = X509_new();
	BIGNUM *bn = BN_new();
	X509_NAME *name = x ? X509_get_subject_name(x) : NULL;
	bool ok;

	ok = x && bn && name && X509_set_version(x, X509_VERSION_3) &&
	     BN_rand(bn, 63, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) &&
	     BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
	     X509_gmtime_adj(X509_getm_notBefore(x), -30L * 86400) &&
	     X509_gmtime_adj(X509_getm_notAfter(x), 365L * 86400) &&
	     X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					(const unsigned char *)"parley", -1, -1, 0) &&
	     X509_set_issuer_name(x, name) && X509_set_pubkey(x, key) &&
	     X509_sign(x, key, EVP_sha256()) > 0;
	BN_free(bn);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

int dtls_cert_generate(struct dtls_cert **out)
{
	EVP_PKEY *key;
	X509 *x;

	if (!out)
		return EINVAL;
	key = EVP_EC_gen("P-256");
	x = key ? cert_x509_new(key) : NULL;
	if (!x) {
		log_err("certificate generation failed");
		ERR_clear_error();
		EVP_PKEY_free(key);
		return EIO;
	}
	return cert_new(out, x, key);
}

/* Never prompts on a terminal for an encrypted key: fail instead. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

/* Reads the first PEM object of the kind `want` (0 certificate, 1 key). */
static int pem_read_file(const char *path, int want, void **obj)
{
	FILE *f = fopen(path, "re");

	if (!f)
		return errno;
	if (want == 0)
		*obj = PEM_read_X509(f, NULL, no_passphrase, NULL);
	else
		*obj = PEM_read_PrivateKey(f, NULL, no_passphrase, NULL);
	fclose(f);
	ERR_clear_error();
	return *obj ? 0 : EBADMSG;
}

int dtls_cert_load(struct dtls_cert **out, const char *cert_pem_path,
		   const char *key_pem_path)
{
	void *x = NULL, *k = NULL;
	int err;

	if (!out || !cert_pem_path || !key_pem_path)
		return EINVAL;
	err = pem_read_file(cert_pem_path, 0, &x);
	if (!err)
		err = pem_read_file(key_pem_path, 1, &k);
	if (!err && X509_check_private_key(x, k) != 1)
		err = EINVAL;
	ERR_clear_error();
	if (err) {
		X509_free(x);
		EVP_PKEY_free(k);
		return err;
	}
	return cert_new(out, x, k);
}

static int pem_write_file(const char *path, mode_t mode, const struct dtls_cert *c,
			  bool key)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	int ok;

	if (!f) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		return err;
	}
	if (key)
		ok = PEM_write_PrivateKey(f, c->pkey, NULL, NULL, 0, NULL, NULL);
	else
		ok = PEM_write_X509(f, c->x509);
	ERR_clear_error();
	if (fclose(f) != 0)
		ok = 0;
	return ok ? 0 : EIO;
}

int dtls_cert_save(const struct dtls_cert *cert, const char *cert_pem_path,
		   const char *key_pem_path)
{
	int err;

	if (!cert || !cert_pem_path || !key_pem_path)
		return EINVAL;
	err = pem_write_file(key_pem_path, 0600, cert, true);
	if (!err)
		err = pem_write_file(cert_pem_path, 0644, cert, false);
	return err;
}

struct dtls_cert *dtls_cert_ref(struct dtls_cert *cert)
{
	g_atomic_ref_count_inc(&cert->ref);
	return cert;
}

void dtls_cert_unref(struct dtls_cert *cert)
{
	if (!cert || !g_atomic_ref_count_dec(&cert->ref))
		return;
	SSL_CTX_free(cert->ctx);
	BIO_meth_free(cert->bio_meth);
	X509_free(cert->x509);
	EVP_PKEY_free(cert->pkey);
	g_free(cert);
}
