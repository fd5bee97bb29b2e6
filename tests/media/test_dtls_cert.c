/* test_dtls_cert.c - media/dtls.c's certificates and fingerprints: the SDP
 * fingerprint form and its agreement with OpenSSL's own digest of the PEM,
 * certificate contents, loading and saving PEM files, references, parsing
 * fingerprints. (Sessions and handshakes: test_dtls.c.) */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "media/base/log.h"
#include "media/dtls.h"
#include "tests/media/tmpdir.h"

static struct dtls_cert *cert_a;
static struct dtls_cert *cert_b;

/* ---- certificates and fingerprints ---- */

static bool fp_format_ok(const char *s, size_t bytes)
{
	if (strlen(s) != bytes * 3 - 1)
		return false;
	for (size_t i = 0; s[i]; i++) {
		bool colon = i % 3 == 2;

		if (colon ? s[i] != ':' : !g_ascii_isxdigit(s[i]) || g_ascii_islower(s[i]))
			return false;
	}
	return true;
}

static void hex_colons(const uint8_t *d, unsigned n, char *out)
{
	for (unsigned i = 0; i < n; i++)
		sprintf(out + 3 * i, i + 1 < n ? "%02X:" : "%02X", d[i]);
}

/* What `openssl x509 -fingerprint -sha256` prints after "=", or NULL when the
 * tool is not installed. */
static char *openssl_cli_fp(const char *pem)
{
	char *tool = g_find_program_in_path("openssl");
	char *argv[] = { tool, "x509", "-noout", "-fingerprint", "-sha256", "-in",
			 (char *)pem, NULL };
	char *out = NULL, *eq, *res = NULL;
	int status = 0;

	if (!tool)
		return NULL;
	if (g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
			 &out, NULL, &status, NULL) &&
	    status == 0 && (eq = strchr(out, '=')))
		res = g_strdup(g_strstrip(eq + 1));
	g_free(out);
	g_free(tool);
	return res;
}

static X509 *read_pem_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

/* CN "parley", self-signed, valid now, an ECDSA P-256 key. */
static void assert_cert_contents(X509 *x)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	char cn[32] = "", group[32] = "";
	size_t glen = 0;

	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn));
	assert_string_equal(cn, "parley");
	assert_int_equal(X509_check_issued(x, x), X509_V_OK);
	assert_true(X509_cmp_time(X509_get0_notBefore(x), NULL) < 0);
	assert_true(X509_cmp_time(X509_get0_notAfter(x), NULL) > 0);
	assert_int_equal(EVP_PKEY_get_base_id(pk), EVP_PKEY_EC);
	assert_int_equal(EVP_PKEY_get_utf8_string_param(pk, "group", group,
							 sizeof(group), &glen), 1);
	assert_string_equal(group, "prime256v1");
}

static void test_cert_fingerprint(void **state)
{
	char fp[DTLS_FP_STR_MAX], want[DTLS_FP_STR_MAX], other[DTLS_FP_STR_MAX];
	char *dir = mk_tmp();
	g_autofree char *crt = g_build_filename(dir, "c.pem", NULL);
	g_autofree char *key = g_build_filename(dir, "k.pem", NULL);
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	assert_int_equal(dtls_cert_fingerprint(cert_a, "sha-256", fp, sizeof(fp)), 0);
	assert_true(fp_format_ok(fp, 32));
	assert_int_equal(dtls_cert_save(cert_a, crt, key), 0);

	/* The digest of the DER certificate in the PEM file, computed apart. */
	X509 *x = read_pem_cert(crt);
	assert_int_equal(X509_digest(x, EVP_sha256(), d, &n), 1);
	hex_colons(d, n, want);
	assert_string_equal(fp, want);
	assert_cert_contents(x);
	X509_free(x);

	g_autofree char *cli = openssl_cli_fp(crt);
	if (cli)
		assert_string_equal(fp, cli);
	else
		print_message("openssl tool not found, compared with the API only\n");

	/* Other hashes; errors; two certificates differ. */
	assert_int_equal(dtls_cert_fingerprint(cert_a, "SHA-1", other, sizeof(other)), 0);
	assert_true(fp_format_ok(other, 20));
	assert_int_equal(dtls_cert_fingerprint(cert_a, "sha-384", other, sizeof(other)), 0);
	assert_true(fp_format_ok(other, 48));
	assert_int_equal(dtls_cert_fingerprint(cert_a, "sha-512", other, sizeof(other)), 0);
	assert_true(fp_format_ok(other, 64));
	assert_int_equal(dtls_cert_fingerprint(cert_a, "md5", other, sizeof(other)), EINVAL);
	assert_int_equal(dtls_cert_fingerprint(cert_a, "sha-256", other, 95), ENOSPC);
	assert_int_equal(dtls_cert_fingerprint(cert_a, "sha-256", other, 96), 0);
	assert_int_equal(dtls_cert_fingerprint(cert_b, "sha-256", other, sizeof(other)), 0);
	assert_string_not_equal(fp, other);
	rm_tmp(dir);
}

static void assert_same_cert(struct dtls_cert *a, struct dtls_cert *b)
{
	char fa[DTLS_FP_STR_MAX], fb[DTLS_FP_STR_MAX];

	assert_int_equal(dtls_cert_fingerprint(a, "sha-256", fa, sizeof(fa)), 0);
	assert_int_equal(dtls_cert_fingerprint(b, "sha-256", fb, sizeof(fb)), 0);
	assert_string_equal(fa, fb);
}

static void test_cert_load(void **state)
{
	char *dir = mk_tmp();
	g_autofree char *crt = g_build_filename(dir, "c.pem", NULL);
	g_autofree char *key = g_build_filename(dir, "k.pem", NULL);
	g_autofree char *crt_b = g_build_filename(dir, "cb.pem", NULL);
	g_autofree char *key_b = g_build_filename(dir, "kb.pem", NULL);
	g_autofree char *both = g_build_filename(dir, "both.pem", NULL);
	g_autofree char *junk = g_build_filename(dir, "junk.pem", NULL);
	g_autofree char *a = NULL, *b = NULL, *ab = NULL;
	struct dtls_cert *c = (void *)1;
	GStatBuf st;

	assert_int_equal(dtls_cert_save(cert_a, crt, key), 0);
	assert_int_equal(dtls_cert_save(cert_b, crt_b, key_b), 0);
	assert_int_equal(g_stat(key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(dtls_cert_load(&c, crt, key), 0);
	assert_same_cert(c, cert_a);
	dtls_cert_unref(c);

	/* Certificate and key in one file. */
	assert_true(g_file_get_contents(crt, &a, NULL, NULL));
	assert_true(g_file_get_contents(key, &b, NULL, NULL));
	ab = g_strconcat(a, b, NULL);
	assert_true(g_file_set_contents(both, ab, -1, NULL));
	assert_int_equal(dtls_cert_load(&c, both, both), 0);
	assert_same_cert(c, cert_a);
	dtls_cert_unref(c);

	/* Errors leave *out alone. */
	assert_true(g_file_set_contents(junk, "-----BEGIN CERTIFICATE-----\nnope\n", -1, NULL));
	c = (void *)1;
	assert_int_equal(dtls_cert_load(&c, "/nonexistent/c.pem", key), ENOENT);
	assert_int_equal(dtls_cert_load(&c, junk, key), EBADMSG);
	assert_int_equal(dtls_cert_load(&c, crt, junk), EBADMSG);
	assert_int_equal(dtls_cert_load(&c, crt, crt), EBADMSG); /* no key in it */
	assert_int_equal(dtls_cert_load(&c, crt, key_b), EINVAL); /* not its key */
	assert_ptr_equal(c, (void *)1);
	rm_tmp(dir);
}

static void test_cert_refcount(void **state)
{
	struct dtls_cert *c;

	assert_int_equal(dtls_cert_generate(&c), 0);
	assert_ptr_equal(dtls_cert_ref(c), c);
	dtls_cert_unref(c);
	dtls_cert_unref(c);
	dtls_cert_unref(NULL);
}

static void test_fingerprint_parse(void **state)
{
	uint8_t b[DTLS_FP_MAX];
	size_t n = 0;

	assert_int_equal(dtls_fingerprint_parse("AB:cd:01", b, sizeof(b), &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(b[0], 0xab);
	assert_int_equal(b[1], 0xcd);
	assert_int_equal(b[2], 0x01);
	const char *bad[] = { "", "A", "ABC", "AB:", ":AB", "AB::CD", "AB CD", "AB:CG",
			      "AB:C", "AB-CD" };
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		assert_int_equal(dtls_fingerprint_parse(bad[i], b, sizeof(b), &n), EBADMSG);
	assert_int_equal(dtls_fingerprint_parse("AB:CD:EF", b, 2, &n), ENOSPC);
}

static int group_setup(void **state)
{
	if (dtls_cert_generate(&cert_a) != 0 || dtls_cert_generate(&cert_b) != 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	dtls_cert_unref(cert_a);
	dtls_cert_unref(cert_b);
	return 0;
}

int main(void)
{
	log_level_set(LOG_LVL_WARN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cert_fingerprint),
		cmocka_unit_test(test_cert_load),
		cmocka_unit_test(test_cert_refcount),
		cmocka_unit_test(test_fingerprint_parse),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
