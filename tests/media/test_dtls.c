/* test_dtls.c - media/dtls.c sessions (certificates: test_dtls_cert.c): two sessions,
 * client and server, wired back to back through a packet queue the test pumps
 * (so that datagrams can be dropped, duplicated, reordered or forged):
 * handshake, SRTP profile choice and keys, fingerprint checks, retransmission,
 * timeouts, garbage, application data, close_notify, freeing from handlers,
 * one certificate shared by sessions on several threads. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "media/base/log.h"
#include "media/dtls.h"
#include "tests/media/tmpdir.h"

static struct dtls_cert *cert_a; /* the client's */
static struct dtls_cert *cert_b; /* the server's */

/* ---- the back-to-back link ---- */

enum { CLI = 0, SRV = 1 };
enum fate { DELIVER, DROP, DUP };

struct link;

struct peer {
	struct link *link; /* borrowed */
	int side;
	struct dtls_sess *sess; /* owned; NULL once freed */
	int connected;          /* calls of connected() */
	int failed;             /* calls of failed() */
	int fail_err;
	char fail_reason[160];
	struct dtls_srtp_keys keys;
	unsigned sent;          /* datagrams handed to send() */
	size_t max_len;         /* the largest of them */
	int app_count;
	GByteArray *app;        /* owned: the last application record */
	bool free_on_failed;
	bool free_on_connected;
	unsigned free_on_send;  /* free in the n-th send() (1-based); 0: never */
};

struct pkt {
	int to;
	size_t len;
	uint8_t data[];
};

typedef enum fate(filter_h)(struct link *l, int from, unsigned n,
			    const uint8_t *d, size_t len);

struct link {
	GMainContext *ctx; /* owned */
	struct peer p[2];
	GQueue q;          /* struct pkt *, in flight */
	filter_h *filter;  /* NULL: deliver everything */
	bool reverse;      /* deliver each batch in reverse order */
	bool ccs_dropped[2];
	unsigned dropped;
};

static void on_send(void *arg, const uint8_t *data, size_t len)
{
	struct peer *p = arg;
	struct link *l = p->link;
	unsigned n = p->sent++;
	enum fate f = l->filter ? l->filter(l, p->side, n, data, len) : DELIVER;

	if (len > p->max_len)
		p->max_len = len;
	if (p->free_on_send && p->sent == p->free_on_send) {
		dtls_sess_free(p->sess);
		p->sess = NULL;
	}
	if (f == DROP) {
		l->dropped++;
		return;
	}
	for (int i = 0; i < (f == DUP ? 2 : 1); i++) {
		struct pkt *k = g_malloc(sizeof(*k) + len);

		k->to = !p->side;
		k->len = len;
		memcpy(k->data, data, len);
		g_queue_push_tail(&l->q, k);
	}
}

static void on_connected(void *arg, const struct dtls_srtp_keys *keys)
{
	struct peer *p = arg;

	p->connected++;
	p->keys = *keys;
	if (p->free_on_connected) {
		dtls_sess_free(p->sess);
		p->sess = NULL;
	}
}

static void on_failed(void *arg, int err, const char *reason)
{
	struct peer *p = arg;

	p->failed++;
	p->fail_err = err;
	g_strlcpy(p->fail_reason, reason, sizeof(p->fail_reason));
	if (p->free_on_failed) {
		dtls_sess_free(p->sess);
		p->sess = NULL;
	}
}

static void on_app_data(void *arg, const uint8_t *data, size_t len)
{
	struct peer *p = arg;

	p->app_count++;
	g_byte_array_set_size(p->app, 0);
	g_byte_array_append(p->app, data, (guint)len);
}

static const struct dtls_handlers handlers = {
	.send = on_send,
	.connected = on_connected,
	.failed = on_failed,
	.app_data = on_app_data,
};

static void cert_fp(struct dtls_cert *c, uint8_t *out, size_t *len)
{
	char s[DTLS_FP_STR_MAX];

	if (dtls_cert_fingerprint(c, "sha-256", s, sizeof(s)) != 0 ||
	    dtls_fingerprint_parse(s, out, DTLS_FP_MAX, len) != 0)
		g_error("fingerprint");
}

/* Fills the role, the peer's fingerprint and the context where the
 * templates left them empty; returns 0 or the first alloc error. */
static int link_init(struct link *l, const struct dtls_sess_params *cp,
		     const struct dtls_sess_params *sp)
{
	struct dtls_cert *mine[2] = { cert_a, cert_b };
	const struct dtls_sess_params *tpl[2] = { cp, sp };
	uint8_t fp[2][DTLS_FP_MAX];
	size_t fp_len[2];
	int err = 0;

	memset(l, 0, sizeof(*l));
	l->ctx = g_main_context_new();
	g_queue_init(&l->q);
	cert_fp(cert_a, fp[CLI], &fp_len[CLI]);
	cert_fp(cert_b, fp[SRV], &fp_len[SRV]);
	for (int i = 0; i < 2; i++) {
		struct dtls_sess_params p = { 0 };

		if (tpl[i])
			p = *tpl[i];
		p.role = i == CLI ? DTLS_ROLE_CLIENT : DTLS_ROLE_SERVER;
		if (!p.fp_alg)
			p.fp_alg = "sha-256";
		if (!p.fp) {
			p.fp = fp[!i];
			p.fp_len = fp_len[!i];
		}
		p.ctx = l->ctx;
		p.name = i == CLI ? "cli" : "srv";
		l->p[i].link = l;
		l->p[i].side = i;
		l->p[i].app = g_byte_array_new();
		if (!err)
			err = dtls_sess_alloc(&l->p[i].sess, mine[i], &p, &handlers,
					      &l->p[i]);
	}
	return err;
}

static void link_clear(struct link *l)
{
	struct pkt *k;

	l->filter = NULL;
	for (int i = 0; i < 2; i++) {
		dtls_sess_free(l->p[i].sess);
		l->p[i].sess = NULL;
	}
	for (int i = 0; i < 2; i++)
		g_byte_array_unref(l->p[i].app);
	while ((k = g_queue_pop_head(&l->q)))
		g_free(k);
	/* Nothing of the sessions may be left on the context. */
	while (g_main_context_iteration(l->ctx, FALSE))
		;
	g_main_context_unref(l->ctx);
}

/* Delivers what is in flight, batch by batch (a batch is what was queued
 * before it started), until the queue is empty. */
static void link_pump(struct link *l)
{
	while (!g_queue_is_empty(&l->q)) {
		GQueue batch = l->q;

		g_queue_init(&l->q);
		if (l->reverse)
			g_queue_reverse(&batch);
		struct pkt *k;
		while ((k = g_queue_pop_head(&batch))) {
			if (l->p[k->to].sess)
				(void)dtls_sess_recv(l->p[k->to].sess, k->data, k->len);
			g_free(k);
		}
	}
}

static bool link_settled(struct link *l)
{
	const struct peer *c = &l->p[CLI], *s = &l->p[SRV];

	if (!g_queue_is_empty(&l->q))
		return false;
	return (c->connected && s->connected) || c->failed || s->failed;
}

static gboolean wake(gpointer data)
{
	return G_SOURCE_REMOVE;
}

/* Pumps packets and runs the context's timers until the link settles or
 * `max_ms` passed. */
static void link_run(struct link *l, unsigned max_ms)
{
	int64_t end = g_get_monotonic_time() + (int64_t)max_ms * 1000;

	for (;;) {
		int64_t left;

		link_pump(l);
		left = end - g_get_monotonic_time();
		if (link_settled(l) || left <= 0)
			return;
		GSource *guard = g_timeout_source_new((guint)(left / 1000 + 1));
		g_source_set_callback(guard, wake, NULL, NULL);
		g_source_attach(guard, l->ctx);
		g_main_context_iteration(l->ctx, TRUE);
		g_source_destroy(guard);
		g_source_unref(guard);
	}
}

/* Runs the context for `ms` regardless of the state. */
static void link_idle(struct link *l, unsigned ms)
{
	int64_t end = g_get_monotonic_time() + (int64_t)ms * 1000;

	while (g_get_monotonic_time() < end) {
		GSource *guard = g_timeout_source_new(ms);

		g_source_set_callback(guard, wake, NULL, NULL);
		g_source_attach(guard, l->ctx);
		g_main_context_iteration(l->ctx, TRUE);
		g_source_destroy(guard);
		g_source_unref(guard);
		link_pump(l);
	}
}

static int link_start(struct link *l)
{
	int err = dtls_sess_start(l->p[SRV].sess);

	return err ? err : dtls_sess_start(l->p[CLI].sess);
}

static void assert_keys_match(const struct link *l, enum dtls_srtp_profile want)
{
	const struct dtls_srtp_keys *c = &l->p[CLI].keys, *s = &l->p[SRV].keys;
	static const uint8_t zero[DTLS_SRTP_MASTER_MAX];
	size_t n = c->key_len + c->salt_len;

	assert_int_equal(c->profile, want);
	assert_int_equal(s->profile, want);
	assert_int_equal(c->key_len, 16);
	assert_int_equal(c->salt_len, want == DTLS_SRTP_AEAD_AES_128_GCM ? 12 : 14);
	assert_int_equal(s->key_len, c->key_len);
	assert_int_equal(s->salt_len, c->salt_len);
	assert_memory_equal(c->local, s->remote, n);
	assert_memory_equal(c->remote, s->local, n);
	assert_memory_not_equal(c->local, c->remote, n);
	assert_memory_not_equal(c->local, zero, n);
	assert_memory_not_equal(c->remote, zero, n);
}

static void assert_connected(const struct link *l)
{
	for (int i = 0; i < 2; i++) {
		if (l->p[i].failed)
			fail_msg("%s failed: %s", i ? "server" : "client", l->p[i].fail_reason);
		assert_int_equal(l->p[i].connected, 1);
		assert_true(dtls_sess_connected(l->p[i].sess));
	}
}

/* ---- handshakes ---- */

static void test_handshake_gcm(void **state)
{
	struct link l;
	struct dtls_stats st;

	assert_int_equal(link_init(&l, NULL, NULL), 0);
	assert_int_equal(link_start(&l), 0);
	assert_int_equal(l.p[SRV].sent, 0); /* a server waits */
	assert_int_equal(l.p[CLI].sent, 1); /* ClientHello */
	link_run(&l, 5000);
	assert_connected(&l);
	assert_keys_match(&l, DTLS_SRTP_AEAD_AES_128_GCM);
	for (int i = 0; i < 2; i++) {
		assert_true(l.p[i].max_len <= DTLS_MTU);
		dtls_sess_stats(l.p[i].sess, &st);
		assert_int_equal(st.tx_datagrams, l.p[i].sent);
		assert_int_equal(st.rx_rejected, 0);
		assert_int_equal(st.retransmits, 0);
	}
	/* The server packs its first flight into one datagram. */
	print_message("datagrams: client %u, server %u\n", l.p[CLI].sent, l.p[SRV].sent);
	assert_true(l.p[SRV].sent <= 3);
	/* A second start does nothing. */
	assert_int_equal(dtls_sess_start(l.p[CLI].sess), 0);
	link_clear(&l);
}

static void run_profiles(unsigned cli, unsigned srv, enum dtls_srtp_profile want)
{
	struct dtls_sess_params cp = { .srtp_profiles = cli };
	struct dtls_sess_params sp = { .srtp_profiles = srv };
	struct link l;

	assert_int_equal(link_init(&l, &cp, &sp), 0);
	assert_int_equal(link_start(&l), 0);
	link_run(&l, 5000);
	assert_connected(&l);
	if (want == DTLS_SRTP_NONE) {
		assert_int_equal(l.p[CLI].keys.profile, DTLS_SRTP_NONE);
		assert_int_equal(l.p[SRV].keys.profile, DTLS_SRTP_NONE);
		assert_int_equal(l.p[CLI].keys.key_len, 0);
	} else {
		assert_keys_match(&l, want);
	}
	link_clear(&l);
}

static void test_profiles(void **state)
{
	run_profiles(0, 0, DTLS_SRTP_AEAD_AES_128_GCM);
	run_profiles(DTLS_SRTP_ALL, DTLS_SRTP_ALL, DTLS_SRTP_AEAD_AES_128_GCM);
	run_profiles(DTLS_SRTP_AES128_CM_SHA1_80, 0, DTLS_SRTP_AES128_CM_SHA1_80);
	run_profiles(0, DTLS_SRTP_AES128_CM_SHA1_80, DTLS_SRTP_AES128_CM_SHA1_80);
	run_profiles(DTLS_SRTP_AEAD_AES_128_GCM, 0, DTLS_SRTP_AEAD_AES_128_GCM);
	/* No common profile: the handshake completes without SRTP. */
	run_profiles(DTLS_SRTP_AEAD_AES_128_GCM, DTLS_SRTP_AES128_CM_SHA1_80,
		     DTLS_SRTP_NONE);
}

static void run_mismatch(int checker, const char *alg)
{
	uint8_t wrong[DTLS_FP_MAX];
	struct dtls_sess_params bad = { .fp_alg = alg, .fp = wrong };
	struct link l;
	char s[DTLS_FP_STR_MAX];
	size_t n;

	/* The right digest of the wrong certificate: our own. */
	dtls_cert_fingerprint(checker == SRV ? cert_b : cert_a, alg, s, sizeof(s));
	dtls_fingerprint_parse(s, wrong, sizeof(wrong), &n);
	bad.fp_len = n;
	assert_int_equal(link_init(&l, checker == CLI ? &bad : NULL,
				   checker == SRV ? &bad : NULL), 0);
	assert_int_equal(link_start(&l), 0);
	link_run(&l, 5000);
	struct peer *p = &l.p[checker], *o = &l.p[!checker];
	assert_int_equal(p->connected, 0);
	assert_int_equal(p->failed, 1);
	assert_int_equal(p->fail_err, EPROTO);
	assert_string_equal(p->fail_reason, "fingerprint mismatch");
	assert_false(dtls_sess_connected(p->sess));
	/* The other side got a bad_certificate alert. */
	assert_int_equal(o->connected, 0);
	assert_int_equal(o->failed, 1);
	assert_int_equal(o->fail_err, EPROTO);
	print_message("%s: \"%s\"\n", checker == SRV ? "client" : "server", o->fail_reason);
	/* A dead session stays dead. */
	uint8_t rec[13] = { 22, 0xfe, 0xfd };
	assert_int_equal(dtls_sess_recv(p->sess, rec, sizeof(rec)), EPIPE);
	assert_int_equal(dtls_sess_send_app(p->sess, rec, 1), EPIPE);
	assert_int_equal(dtls_sess_start(p->sess), EPIPE);
	link_clear(&l);
}

static void test_fingerprint_mismatch(void **state)
{
	run_mismatch(SRV, "sha-256");
	run_mismatch(CLI, "sha-256");
	run_mismatch(SRV, "sha-1");
	run_mismatch(CLI, "sha-512");
}

static void test_fingerprint_other_hashes(void **state)
{
	const char *algs[] = { "sha-1", "sha-384", "sha-512" };

	for (size_t i = 0; i < G_N_ELEMENTS(algs); i++) {
		uint8_t fa[DTLS_FP_MAX], fb[DTLS_FP_MAX];
		char s[DTLS_FP_STR_MAX];
		size_t na, nb;
		struct link l;

		dtls_cert_fingerprint(cert_a, algs[i], s, sizeof(s));
		dtls_fingerprint_parse(s, fa, sizeof(fa), &na);
		dtls_cert_fingerprint(cert_b, algs[i], s, sizeof(s));
		dtls_fingerprint_parse(s, fb, sizeof(fb), &nb);
		struct dtls_sess_params cp = { .fp_alg = algs[i], .fp = fb, .fp_len = nb };
		struct dtls_sess_params sp = { .fp_alg = algs[i], .fp = fa, .fp_len = na };
		assert_int_equal(link_init(&l, &cp, &sp), 0);
		assert_int_equal(link_start(&l), 0);
		link_run(&l, 5000);
		assert_connected(&l);
		link_clear(&l);
	}
}

/* An independent client: plain OpenSSL with memory BIOs and our client
 * certificate from PEM files. Its exporter output checks the key layout of
 * RFC 5764 4.2 (client key, server key, client salt, server salt). */
static SSL *raw_client_new(const char *crt, const char *key, const char *profile)
{
	SSL_CTX *ctx = SSL_CTX_new(DTLS_client_method());
	SSL *ssl;

	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_use_certificate_file(ctx, crt, SSL_FILETYPE_PEM), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM), 1);
	assert_int_equal(SSL_CTX_set_tlsext_use_srtp(ctx, profile), 0);
	SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU);
	ssl = SSL_new(ctx);
	SSL_CTX_free(ctx); /* the SSL keeps a reference */
	assert_non_null(ssl);
	SSL_set_bio(ssl, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
	BIO_set_mem_eof_return(SSL_get_rbio(ssl), -1);
	assert_true(SSL_set_mtu(ssl, 1200) > 0);
	SSL_set_connect_state(ssl);
	return ssl;
}

/* One round: the raw client runs, its output goes to the server as one
 * datagram, the server's datagrams go back. */
static void raw_round(SSL *ssl, struct link *l)
{
	uint8_t buf[65536];
	struct pkt *k;
	int n;

	(void)SSL_do_handshake(ssl);
	n = BIO_read(SSL_get_wbio(ssl), buf, sizeof(buf));
	if (n > 0)
		(void)dtls_sess_recv(l->p[SRV].sess, buf, (size_t)n);
	while ((k = g_queue_pop_head(&l->q))) {
		if (k->to == CLI)
			BIO_write(SSL_get_rbio(ssl), k->data, (int)k->len);
		g_free(k);
	}
}

static void run_raw_client(const char *crt, const char *key, const char *profile,
			   enum dtls_srtp_profile want, size_t salt)
{
	SSL *ssl = raw_client_new(crt, key, profile);
	struct dtls_srtp_keys *sk;
	uint8_t m[2 * (16 + 14)];
	struct link l;

	assert_int_equal(link_init(&l, NULL, NULL), 0);
	dtls_sess_free(l.p[CLI].sess);
	l.p[CLI].sess = NULL;
	for (int i = 0; i < 10 && !(SSL_is_init_finished(ssl) && l.p[SRV].connected); i++)
		raw_round(ssl, &l);
	assert_true(SSL_is_init_finished(ssl));
	assert_int_equal(l.p[SRV].connected, 1);
	sk = &l.p[SRV].keys;
	assert_int_equal(sk->profile, want);
	assert_int_equal(sk->salt_len, salt);
	assert_int_equal(SSL_export_keying_material(ssl, m, 2 * (16 + salt),
						    "EXTRACTOR-dtls_srtp", 19, NULL, 0, 0), 1);
	assert_memory_equal(sk->remote, m, 16);               /* client key */
	assert_memory_equal(sk->local, m + 16, 16);           /* server key */
	assert_memory_equal(sk->remote + 16, m + 32, salt);   /* client salt */
	assert_memory_equal(sk->local + 16, m + 32 + salt, salt); /* server salt */
	SSL_free(ssl);
	link_clear(&l);
}

static void test_key_layout_vs_openssl(void **state)
{
	char *dir = mk_tmp();
	g_autofree char *crt = g_build_filename(dir, "c.pem", NULL);
	g_autofree char *key = g_build_filename(dir, "k.pem", NULL);

	assert_int_equal(dtls_cert_save(cert_a, crt, key), 0);
	run_raw_client(crt, key, "SRTP_AEAD_AES_128_GCM", DTLS_SRTP_AEAD_AES_128_GCM, 12);
	run_raw_client(crt, key, "SRTP_AES128_CM_SHA1_80", DTLS_SRTP_AES128_CM_SHA1_80, 14);
	rm_tmp(dir);
}

/* ---- loss, duplication, reordering ---- */

static bool has_record_type(const uint8_t *d, size_t len, uint8_t type)
{
	size_t off = 0;

	while (off + 13 <= len) {
		if (d[off] == type)
			return true;
		off += 13 + ((size_t)d[off + 11] << 8 | d[off + 12]);
	}
	return false;
}

static enum fate drop_first_client(struct link *l, int from, unsigned n,
				   const uint8_t *d, size_t len)
{
	return from == CLI && n == 0 ? DROP : DELIVER;
}

static enum fate drop_first_server(struct link *l, int from, unsigned n,
				   const uint8_t *d, size_t len)
{
	return from == SRV && n == 0 ? DROP : DELIVER;
}

/* The first datagram carrying a ChangeCipherSpec from `side`: its last
 * flight, with Finished. */
static enum fate drop_ccs(struct link *l, int from, int side, const uint8_t *d,
			  size_t len)
{
	if (from != side || !has_record_type(d, len, 20) || l->ccs_dropped[side])
		return DELIVER;
	l->ccs_dropped[side] = true;
	return DROP;
}

static enum fate drop_server_finished(struct link *l, int from, unsigned n,
				      const uint8_t *d, size_t len)
{
	return drop_ccs(l, from, SRV, d, len);
}

static enum fate drop_client_finished(struct link *l, int from, unsigned n,
				      const uint8_t *d, size_t len)
{
	return drop_ccs(l, from, CLI, d, len);
}

static enum fate dup_all(struct link *l, int from, unsigned n, const uint8_t *d,
			 size_t len)
{
	return DUP;
}

static void run_filtered(filter_h *f, bool reverse, unsigned mtu, bool expect_rtx)
{
	struct dtls_sess_params p = { .mtu = mtu };
	struct dtls_stats sc, ss;
	struct link l;
	int64_t t0 = g_get_monotonic_time();

	assert_int_equal(link_init(&l, &p, &p), 0);
	l.filter = f;
	l.reverse = reverse;
	assert_int_equal(link_start(&l), 0);
	link_run(&l, 10000);
	assert_connected(&l);
	assert_keys_match(&l, DTLS_SRTP_AEAD_AES_128_GCM);
	dtls_sess_stats(l.p[CLI].sess, &sc);
	dtls_sess_stats(l.p[SRV].sess, &ss);
	print_message("dropped %u, retransmits client %" PRIu64 " server %" PRIu64
		      ", %" PRId64 " ms, largest datagram %zu/%zu\n",
		      l.dropped, sc.retransmits, ss.retransmits,
		      (g_get_monotonic_time() - t0) / 1000, l.p[CLI].max_len,
		      l.p[SRV].max_len);
	if (expect_rtx)
		assert_true(sc.retransmits + ss.retransmits > 0);
	if (mtu) {
		assert_true(l.p[CLI].max_len <= mtu);
		assert_true(l.p[SRV].max_len <= mtu);
	}
	link_clear(&l);
}

static void test_retransmit_client_hello(void **state)
{
	run_filtered(drop_first_client, false, 0, true);
}

static void test_retransmit_server_flight(void **state)
{
	run_filtered(drop_first_server, false, 0, true);
}

static void test_retransmit_client_finished(void **state)
{
	run_filtered(drop_client_finished, false, 0, true);
}

/* The server is connected before the client; its last flight is lost, the
 * client retransmits its own and the server answers it again. */
static void test_retransmit_server_finished(void **state)
{
	run_filtered(drop_server_finished, false, 0, true);
}

static void test_duplicate_reorder_small_mtu(void **state)
{
	run_filtered(dup_all, true, 300, false);
	run_filtered(NULL, true, 256, false);
}

/* ---- timeouts ---- */

static enum fate drop_all(struct link *l, int from, unsigned n, const uint8_t *d,
			  size_t len)
{
	return DROP;
}

static void test_handshake_timeout(void **state)
{
	struct dtls_sess_params p = { .handshake_timeout_ms = 650, .retransmit_ms = 100 };
	struct dtls_stats st;
	struct link l;
	int64_t t0 = g_get_monotonic_time();

	/* The client never hears back. */
	assert_int_equal(link_init(&l, &p, &p), 0);
	l.filter = drop_all;
	assert_int_equal(dtls_sess_start(l.p[CLI].sess), 0);
	link_run(&l, 5000);
	int64_t ms = (g_get_monotonic_time() - t0) / 1000;
	assert_int_equal(l.p[CLI].failed, 1);
	assert_int_equal(l.p[CLI].fail_err, ETIMEDOUT);
	assert_true(ms >= 640 && ms < 2000);
	dtls_sess_stats(l.p[CLI].sess, &st);
	/* Retransmissions at 100 and 300 ms; the next would be at 700. */
	assert_int_equal(st.retransmits, 2);
	assert_int_equal(l.p[CLI].sent, 3);
	link_clear(&l);

	/* A started server that nobody calls; it frees itself in failed(),
	 * which runs from the timer's dispatch. */
	assert_int_equal(link_init(&l, &p, &p), 0);
	l.p[SRV].free_on_failed = true;
	assert_int_equal(dtls_sess_start(l.p[SRV].sess), 0);
	link_run(&l, 5000);
	assert_int_equal(l.p[SRV].failed, 1);
	assert_int_equal(l.p[SRV].fail_err, ETIMEDOUT);
	assert_int_equal(l.p[SRV].sent, 0);
	assert_null(l.p[SRV].sess);
	link_clear(&l);
}

static void test_no_timeout_after_connect(void **state)
{
	struct dtls_sess_params p = { .handshake_timeout_ms = 300, .retransmit_ms = 50 };
	struct link l;

	assert_int_equal(link_init(&l, &p, &p), 0);
	assert_int_equal(link_start(&l), 0);
	link_run(&l, 5000);
	assert_connected(&l);
	link_idle(&l, 600);
	assert_connected(&l);
	link_clear(&l);
}

/* ---- garbage ---- */

static void test_reject_non_dtls(void **state)
{
	struct link l;
	struct dtls_stats st;
	uint8_t rtp[20] = { 0x80, 96 }, stun[20] = { 0, 1 }, shrt[12] = { 22, 0xfe, 0xfd };

	assert_int_equal(link_init(&l, NULL, NULL), 0);
	assert_int_equal(dtls_sess_recv(l.p[SRV].sess, rtp, sizeof(rtp)), EBADMSG);
	assert_int_equal(dtls_sess_recv(l.p[SRV].sess, stun, sizeof(stun)), EBADMSG);
	assert_int_equal(dtls_sess_recv(l.p[SRV].sess, shrt, sizeof(shrt)), EBADMSG);
	assert_int_equal(dtls_sess_recv(l.p[SRV].sess, NULL, 0), EBADMSG);
	/* A client hears nothing before it starts. */
	uint8_t rec[13] = { 22, 0xfe, 0xfd };
	assert_int_equal(dtls_sess_recv(l.p[CLI].sess, rec, sizeof(rec)), ENOTCONN);
	dtls_sess_stats(l.p[SRV].sess, &st);
	assert_int_equal(st.rx_datagrams, 4);
	assert_int_equal(st.rx_rejected, 4);
	assert_int_equal(dtls_sess_send_app(l.p[SRV].sess, rec, 1), ENOTCONN);
	/* The sessions still work. */
	assert_int_equal(link_start(&l), 0);
	link_run(&l, 5000);
	assert_connected(&l);
	link_clear(&l);
}

/* Random records with plausible headers (content type, DTLS 1.2, epoch 0 or
 * 1, consistent length) in front of every real datagram. */
static GRand *garbage_rand;

static void garbage_send(struct link *l, int to)
{
	uint8_t d[600];
	size_t len = 13 + (size_t)g_rand_int_range(garbage_rand, 0, 400);

	for (size_t i = 0; i < len; i++)
		d[i] = (uint8_t)g_rand_int(garbage_rand);
	d[0] = (uint8_t)g_rand_int_range(garbage_rand, 20, 24);
	d[1] = 0xfe;
	d[2] = 0xfd;
	d[3] = 0;
	d[4] = (uint8_t)g_rand_int_range(garbage_rand, 0, 2);
	if (g_rand_boolean(garbage_rand)) {
		d[11] = (uint8_t)((len - 13) >> 8);
		d[12] = (uint8_t)(len - 13);
	}
	if (l->p[to].sess)
		(void)dtls_sess_recv(l->p[to].sess, d, len);
}

static enum fate garbage_filter(struct link *l, int from, unsigned n,
				const uint8_t *d, size_t len)
{
	garbage_send(l, !from);
	return DELIVER;
}

static void test_garbage(void **state)
{
	int ok = 0, failed = 0;

	for (guint32 seed = 1; seed <= 40; seed++) {
		struct dtls_sess_params p = { .handshake_timeout_ms = 3000 };
		struct link l;

		garbage_rand = g_rand_new_with_seed(seed);
		assert_int_equal(link_init(&l, &p, &p), 0);
		l.filter = garbage_filter;
		garbage_send(&l, SRV); /* before the ClientHello, too */
		(void)link_start(&l); /* EPIPE if that garbage killed the server */
		link_run(&l, 5000);
		for (int i = 0; i < 2; i++) {
			/* Each outcome at most once (a side may connect, then
			 * fail on the other's alert). */
			assert_true(l.p[i].connected <= 1 && l.p[i].failed <= 1);
		}
		if (l.p[CLI].connected && l.p[SRV].connected &&
		    !l.p[CLI].failed && !l.p[SRV].failed) {
			assert_keys_match(&l, DTLS_SRTP_AEAD_AES_128_GCM);
			ok++;
		} else {
			assert_true(l.p[CLI].failed || l.p[SRV].failed);
			failed++;
		}
		link_clear(&l);
		g_rand_free(garbage_rand);
	}
	print_message("garbage: %d handshakes completed, %d failed cleanly\n", ok, failed);
	assert_true(ok > 0);
}

static void test_garbage_after_connect(void **state)
{
	struct link l;

	garbage_rand = g_rand_new_with_seed(7);
	assert_int_equal(link_init(&l, NULL, NULL), 0);
	assert_int_equal(link_start(&l), 0);
	link_run(&l, 5000);
	assert_connected(&l);
	/* Forged application records fail authentication and are dropped. */
	for (int i = 0; i < 200; i++) {
		uint8_t d[100];

		for (size_t j = 0; j < sizeof(d); j++)
			d[j] = (uint8_t)g_rand_int(garbage_rand);
		d[0] = 23;
		d[1] = 0xfe;
		d[2] = 0xfd;
		d[3] = 0;
		d[4] = 1;
		d[11] = 0;
		d[12] = sizeof(d) - 13;
		assert_int_equal(dtls_sess_recv(l.p[i & 1].sess, d, sizeof(d)), 0);
	}
	/* So are unauthenticated epoch-0 records: a fatal alert, a ClientHello
	 * header. */
	uint8_t alert[15] = { 21, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 9, 0, 2, 2, 40 };
	uint8_t hello[25] = { 22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 3, 0, 12, 1 };
	for (int i = 0; i < 2; i++) {
		assert_int_equal(dtls_sess_recv(l.p[i].sess, alert, sizeof(alert)), 0);
		assert_int_equal(dtls_sess_recv(l.p[i].sess, hello, sizeof(hello)), 0);
	}
	link_pump(&l);
	assert_connected(&l);
	assert_int_equal(l.p[CLI].app_count + l.p[SRV].app_count, 0);
	assert_int_equal(dtls_sess_send_app(l.p[CLI].sess, (const uint8_t *)"x", 1), 0);
	link_pump(&l);
	assert_int_equal(l.p[SRV].app_count, 1);
	link_clear(&l);
	g_rand_free(garbage_rand);
}

/* ---- application data, close, free ---- */

static void test_app_data(void **state)
{
	static uint8_t big[16384];
	struct dtls_stats st;
	struct link l;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	assert_int_equal(link_init(&l, NULL, NULL), 0);
	assert_int_equal(dtls_sess_send_app(l.p[CLI].sess, big, 10), ENOTCONN);
	assert_int_equal(link_start(&l), 0);
	link_run(&l, 5000);
	assert_connected(&l);

	assert_int_equal(dtls_sess_send_app(l.p[CLI].sess, (const uint8_t *)"hello", 5), 0);
	link_pump(&l);
	assert_int_equal(l.p[SRV].app_count, 1);
	assert_int_equal(l.p[SRV].app->len, 5);
	assert_memory_equal(l.p[SRV].app->data, "hello", 5);

	assert_int_equal(dtls_sess_send_app(l.p[SRV].sess, big, 1200), 0);
	link_pump(&l);
	assert_int_equal(l.p[CLI].app_count, 1);
	assert_int_equal(l.p[CLI].app->len, 1200);
	assert_memory_equal(l.p[CLI].app->data, big, 1200);

	/* The largest record arrives whole. */
	assert_int_equal(dtls_sess_send_app(l.p[SRV].sess, big, sizeof(big)), 0);
	link_pump(&l);
	assert_int_equal(l.p[CLI].app_count, 2);
	assert_int_equal(l.p[CLI].app->len, sizeof(big));
	assert_memory_equal(l.p[CLI].app->data, big, sizeof(big));

	assert_int_equal(dtls_sess_send_app(l.p[SRV].sess, big, sizeof(big) + 1), EMSGSIZE);
	assert_int_equal(dtls_sess_send_app(l.p[SRV].sess, big, 0), EINVAL);
	dtls_sess_stats(l.p[SRV].sess, &st);
	assert_int_equal(st.app_tx, 2);
	assert_int_equal(st.app_rx, 1);
	link_clear(&l);
}

static void test_close_notify(void **state)
{
	struct link l;
	unsigned before;

	assert_int_equal(link_init(&l, NULL, NULL), 0);
	assert_int_equal(link_start(&l), 0);
	link_run(&l, 5000);
	assert_connected(&l);
	before = l.p[CLI].sent;
	dtls_sess_free(l.p[CLI].sess);
	l.p[CLI].sess = NULL;
	assert_int_equal(l.p[CLI].sent, before + 1);
	assert_int_equal(g_queue_get_length(&l.q), 1);
	struct pkt *k = g_queue_pop_head(&l.q);
	assert_int_equal(k->data[0], 21); /* an alert, encrypted */
	assert_int_equal(dtls_sess_recv(l.p[SRV].sess, k->data, k->len), ECONNRESET);
	g_free(k);
	assert_int_equal(l.p[SRV].failed, 1);
	assert_int_equal(l.p[SRV].fail_err, ECONNRESET);
	assert_false(dtls_sess_connected(l.p[SRV].sess));
	/* Freeing an ended session sends nothing. */
	before = l.p[SRV].sent;
	dtls_sess_free(l.p[SRV].sess);
	l.p[SRV].sess = NULL;
	assert_int_equal(l.p[SRV].sent, before);
	link_clear(&l);

	/* Nor does freeing one that never connected. */
	assert_int_equal(link_init(&l, NULL, NULL), 0);
	assert_int_equal(link_start(&l), 0);
	before = l.p[CLI].sent;
	dtls_sess_free(l.p[CLI].sess);
	l.p[CLI].sess = NULL;
	assert_int_equal(l.p[CLI].sent, before);
	link_clear(&l);
}

static void test_free_in_handlers(void **state)
{
	struct link l;

	/* In failed(). */
	uint8_t wrong[32] = { 1 };
	struct dtls_sess_params bad = { .fp_alg = "sha-256", .fp = wrong, .fp_len = 32 };
	assert_int_equal(link_init(&l, NULL, &bad), 0);
	l.p[SRV].free_on_failed = true;
	l.p[CLI].free_on_failed = true;
	assert_int_equal(link_start(&l), 0);
	link_run(&l, 5000);
	assert_int_equal(l.p[SRV].failed, 1);
	assert_null(l.p[SRV].sess);
	link_clear(&l);

	/* In connected(), on both sides: the client's close_notify goes out. */
	assert_int_equal(link_init(&l, NULL, NULL), 0);
	l.p[SRV].free_on_connected = true;
	l.p[CLI].free_on_connected = true;
	assert_int_equal(link_start(&l), 0);
	link_run(&l, 5000);
	assert_int_equal(l.p[SRV].connected, 1);
	assert_int_equal(l.p[CLI].connected, 1);
	assert_null(l.p[SRV].sess);
	assert_null(l.p[CLI].sess);
	link_clear(&l);

	/* In send(), from inside OpenSSL: while the server writes its flight,
	 * and while the client writes its ClientHello. */
	for (int side = 0; side < 2; side++) {
		assert_int_equal(link_init(&l, NULL, NULL), 0);
		l.p[side].free_on_send = 1;
		assert_int_equal(link_start(&l), 0);
		link_run(&l, 300);
		assert_null(l.p[side].sess);
		assert_int_equal(l.p[side].connected + l.p[side].failed, 0);
		link_clear(&l);
	}
}

static void test_alloc_errors(void **state)
{
	uint8_t fp[32] = { 0 };
	struct dtls_sess_params p = { .fp_alg = "sha-256", .fp = fp, .fp_len = 32 };
	struct dtls_handlers nosend = handlers;
	struct dtls_sess *s = (void *)1;

	nosend.send = NULL;
	assert_int_equal(dtls_sess_alloc(&s, cert_a, &p, &nosend, NULL), EINVAL);
	assert_int_equal(dtls_sess_alloc(&s, NULL, &p, &handlers, NULL), EINVAL);
	assert_int_equal(dtls_sess_alloc(&s, cert_a, NULL, &handlers, NULL), EINVAL);
	p.fp_len = 20;
	assert_int_equal(dtls_sess_alloc(&s, cert_a, &p, &handlers, NULL), EINVAL);
	p.fp_len = 32;
	p.fp_alg = "md5";
	assert_int_equal(dtls_sess_alloc(&s, cert_a, &p, &handlers, NULL), EINVAL);
	p.fp_alg = "SHA-256";
	p.mtu = 100;
	assert_int_equal(dtls_sess_alloc(&s, cert_a, &p, &handlers, NULL), EINVAL);
	p.mtu = 0;
	p.srtp_profiles = 1u << 5;
	assert_int_equal(dtls_sess_alloc(&s, cert_a, &p, &handlers, NULL), EINVAL);
	p.role = 7;
	p.srtp_profiles = 0;
	assert_int_equal(dtls_sess_alloc(&s, cert_a, &p, &handlers, NULL), EINVAL);
	assert_ptr_equal(s, (void *)1);
	p.role = DTLS_ROLE_SERVER;
	assert_int_equal(dtls_sess_alloc(&s, cert_a, &p, &handlers, NULL), 0);
	dtls_sess_free(s);
	dtls_sess_free(NULL);
	assert_string_equal(dtls_srtp_profile_name(DTLS_SRTP_AEAD_AES_128_GCM),
			    "AEAD_AES_128_GCM");
	assert_string_equal(dtls_srtp_profile_name(DTLS_SRTP_AES128_CM_SHA1_80),
			    "AES_CM_128_HMAC_SHA1_80");
	assert_string_equal(dtls_srtp_profile_name(DTLS_SRTP_NONE), "none");
}

/* A server answers a ClientHello that arrives before its own start. */
static void test_server_starts_on_hello(void **state)
{
	struct link l;

	assert_int_equal(link_init(&l, NULL, NULL), 0);
	assert_int_equal(dtls_sess_start(l.p[CLI].sess), 0);
	link_run(&l, 5000);
	assert_connected(&l);
	assert_int_equal(dtls_sess_start(l.p[SRV].sess), 0);
	link_clear(&l);
}

/* ---- one certificate, several threads ---- */

static gpointer thread_handshakes(gpointer data)
{
	int ok = 0;

	for (int i = 0; i < 25; i++) {
		struct link l;

		if (link_init(&l, NULL, NULL) == 0 && link_start(&l) == 0) {
			link_run(&l, 5000);
			const struct dtls_srtp_keys *c = &l.p[CLI].keys, *s = &l.p[SRV].keys;
			if (l.p[CLI].connected == 1 && l.p[SRV].connected == 1 &&
			    c->profile == DTLS_SRTP_AEAD_AES_128_GCM &&
			    memcmp(c->local, s->remote, 28) == 0 &&
			    memcmp(c->remote, s->local, 28) == 0)
				ok++;
		}
		link_clear(&l);
	}
	return GINT_TO_POINTER(ok);
}

static void test_threads_share_cert(void **state)
{
	GThread *t[4];

	for (int i = 0; i < 4; i++)
		t[i] = g_thread_new("dtls-test", thread_handshakes, NULL);
	for (int i = 0; i < 4; i++)
		assert_int_equal(GPOINTER_TO_INT(g_thread_join(t[i])), 25);
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
		cmocka_unit_test(test_handshake_gcm),
		cmocka_unit_test(test_profiles),
		cmocka_unit_test(test_fingerprint_mismatch),
		cmocka_unit_test(test_fingerprint_other_hashes),
		cmocka_unit_test(test_key_layout_vs_openssl),
		cmocka_unit_test(test_retransmit_client_hello),
		cmocka_unit_test(test_retransmit_server_flight),
		cmocka_unit_test(test_retransmit_client_finished),
		cmocka_unit_test(test_retransmit_server_finished),
		cmocka_unit_test(test_duplicate_reorder_small_mtu),
		cmocka_unit_test(test_handshake_timeout),
		cmocka_unit_test(test_no_timeout_after_connect),
		cmocka_unit_test(test_reject_non_dtls),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_garbage_after_connect),
		cmocka_unit_test(test_app_data),
		cmocka_unit_test(test_close_notify),
		cmocka_unit_test(test_free_in_handlers),
		cmocka_unit_test(test_alloc_errors),
		cmocka_unit_test(test_server_starts_on_hello),
		cmocka_unit_test(test_threads_share_cert),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
