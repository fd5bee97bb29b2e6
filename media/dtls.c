/* dtls.c - see dtls.h.
 *
 * Reading order: the datagram BIO, the shared SSL_CTX a certificate gets
 * (media/dtls_cert.c makes the key and X.509), the session's life (alloc,
 * start, recv, send, free), then the handshake, its completion
 * (fingerprint, keys) and the timers.
 *
 * Datagram boundaries. OpenSSL 3.0 has no datagram-pair BIO (3.2 has), and a
 * memory BIO would glue outgoing records together. So the write side is our
 * own BIO method: every BIO_write is one datagram, handed to the send handler
 * at once. During a handshake OpenSSL puts its buffering BIO in front of ours
 * and packs a flight's records into datagrams of at most the MTU (it asks
 * BIO_wpending how full the datagram is and flushes when the next fragment
 * would not fit); after the handshake each record is one write. The read side
 * is a memory BIO that receives one datagram at a time and is drained before
 * the next one is written, so DTLS sees one datagram per read. */
#define LOG_MOD "dtls"
#include "media/dtls.h"
#include "media/dtls_int.h"
#include "media/base/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

/* WebRTC's suites: ECDHE with AEAD first, CBC last for old stacks. Our own
 * key is ECDSA; the RSA suites serve peers with RSA certificates (GStreamer)
 * when we are the client. */
#define DTLS_CIPHERS                                                        \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"      \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"        \
	"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:"          \
	"ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:"                      \
	"ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA"
#define DTLS_GROUPS "X25519:P-256:P-384"
#define SRTP_NAME_GCM "SRTP_AEAD_AES_128_GCM"
#define SRTP_NAME_CM "SRTP_AES128_CM_SHA1_80"
#define SRTP_LABEL "EXTRACTOR-dtls_srtp"
#define DTLS_MAX_DATAGRAM 65535
#define DTLS_HEADER_LEN 13 /* type, version, epoch, sequence, length */

enum sess_state {
	ST_IDLE,      /* not started */
	ST_HANDSHAKE, /* started, not connected */
	ST_CONNECTED,
	ST_DONE,      /* failed or closed: nothing more happens */
};

struct dtls_sess {
	struct dtls_cert *cert; /* ref */
	SSL *ssl;               /* owned; owns both BIOs */
	BIO *rbio;              /* borrowed from ssl: memory BIO, incoming */
	GSource *timer;         /* owned: retransmission and handshake deadline */
	GMainContext *ctx;      /* ref */
	struct dtls_handlers h;
	void *arg;              /* borrowed: handed to the handlers */
	enum dtls_role role;
	enum sess_state state;
	const EVP_MD *fp_md;    /* static: OpenSSL's built-in digest */
	uint8_t fp[DTLS_FP_MAX];
	size_t fp_len;
	unsigned hs_timeout_ms;
	unsigned rtx_ms;
	unsigned mtu;
	int64_t hs_deadline;  /* monotonic us; 0: none */
	int64_t ready_time;   /* what timer is set to; -1: off */
	unsigned busy;        /* nesting depth of public calls */
	bool in_ssl;          /* inside an OpenSSL call (send may run) */
	bool freeing;         /* dtls_sess_free was called */
	bool closing;         /* sending close_notify from dtls_sess_free */
	bool fp_mismatch;     /* the verify callback rejected the peer */
	int fail_err;
	char name[48];
	struct dtls_stats st;
};

struct timer_src {
	GSource base;
	struct dtls_sess *sess; /* borrowed: the session owns the source */
};

static void sess_fail(struct dtls_sess *s, int err, const char *reason);
static void sess_timer_update(struct dtls_sess *s);

/* True when `x` digests to the fingerprint the peer announced. */
static bool sess_fp_matches(const struct dtls_sess *s, X509 *x)
{
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	if (!x || !X509_digest(x, s->fp_md, d, &n))
		return false;
	return n == s->fp_len && CRYPTO_memcmp(d, s->fp, n) == 0;
}

/* ---- the datagram BIO: every write is one datagram ---- */

static int bio_write(BIO *b, const char *data, int len)
{
	struct dtls_sess *s = BIO_get_data(b);

	if (len <= 0)
		return 0;
	/* After dtls_sess_free only the close_notify may leave. */
	if (!s->freeing || s->closing) {
		s->st.tx_datagrams++;
		s->h.send(s->arg, (const uint8_t *)data, (size_t)len);
	}
	return len;
}

/* The controls OpenSSL's DTLS code sends to its write BIO. Anything else is
 * answered 0, which DTLS takes as "not supported". */
static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct dtls_sess *s = BIO_get_data(b);

	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1; /* a write has already left; 0 would fail the flight */
	case BIO_CTRL_WPENDING:
	case BIO_CTRL_PENDING:
		return 0; /* nothing is held back */
	case BIO_CTRL_DGRAM_QUERY_MTU:
	case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
		return s ? (long)s->mtu : 0;
	case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
		return 0; /* our MTU is the datagram payload already */
	default:
		return 0;
	}
}

BIO_METHOD *dtls_bio_meth_new(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
				     "parley dtls datagram");

	if (!m)
		return NULL;
	if (!BIO_meth_set_write(m, bio_write) || !BIO_meth_set_ctrl(m, bio_ctrl)) {
		BIO_meth_free(m);
		return NULL;
	}
	return m;
}

/* ---- the SSL_CTX a certificate gets (dtls_cert.c makes the key and X.509) ---- */

/* Accepts whatever chain the peer sends (self-signed, expired: WebRTC does
 * not care) as long as the leaf matches the SDP fingerprint. Failing here,
 * before Finished, sends the peer a bad_certificate alert (the error code
 * picks the alert; left alone it would say unknown_ca). */
static int verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct dtls_sess *s = ssl ? SSL_get_app_data(ssl) : NULL;

	if (!s)
		return 0;
	if (X509_STORE_CTX_get_error_depth(xs) != 0)
		return 1;
	if (!sess_fp_matches(s, X509_STORE_CTX_get_current_cert(xs))) {
		s->fp_mismatch = true;
		X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	return 1;
}

/* Everything every session shares. The SSL_CTX is only read afterwards:
 * SSL_new from any thread is safe, and with the session cache off no session
 * writes to it. */
int dtls_cert_ctx_setup(struct dtls_cert *c)
{
	SSL_CTX *ctx = SSL_CTX_new(DTLS_method());

	if (!ctx)
		return ENOMEM;
	c->ctx = ctx;
	if (!SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) ||
	    !SSL_CTX_set_cipher_list(ctx, DTLS_CIPHERS) ||
	    !SSL_CTX_set1_groups_list(ctx, DTLS_GROUPS) ||
	    /* returns 0 on success */
	    SSL_CTX_set_tlsext_use_srtp(ctx, SRTP_NAME_GCM ":" SRTP_NAME_CM) != 0 ||
	    !SSL_CTX_use_certificate(ctx, c->x509) ||
	    !SSL_CTX_use_PrivateKey(ctx, c->pkey) ||
	    !SSL_CTX_check_private_key(ctx))
		return EIO;
	SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET |
					 SSL_OP_NO_RENEGOTIATION |
					 SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
			   verify_cb);
	return 0;
}

const char *dtls_srtp_profile_name(enum dtls_srtp_profile p)
{
	switch (p) {
	case DTLS_SRTP_AES128_CM_SHA1_80:
		return "AES_CM_128_HMAC_SHA1_80";
	case DTLS_SRTP_AEAD_AES_128_GCM:
		return "AEAD_AES_128_GCM";
	default:
		return "none";
	}
}

/* ---- session: life ---- */

/* Debug builds check the thread: the context must not be held by another
 * thread (a worker holds its context while it runs). */
#ifdef NDEBUG
#define SESS_ASSERT_THREAD(s) ((void)0)
#else
#define SESS_ASSERT_THREAD(s) sess_assert_thread(s)
static void sess_assert_thread(const struct dtls_sess *s)
{
	gboolean mine = g_main_context_acquire(s->ctx);

	g_assert(mine);
	if (mine)
		g_main_context_release(s->ctx);
}
#endif

static void sess_enter(struct dtls_sess *s)
{
	s->busy++;
}

static void sess_destroy(struct dtls_sess *s)
{
	if (s->timer) {
		g_source_destroy(s->timer);
		g_source_unref(s->timer);
	}
	SSL_free(s->ssl);
	dtls_cert_unref(s->cert);
	if (s->ctx)
		g_main_context_unref(s->ctx);
	g_free(s);
}

/* Ends a public call; frees the session if a handler asked for it. `s` must
 * not be used afterwards. */
static void sess_leave(struct dtls_sess *s)
{
	if (--s->busy == 0 && s->freeing)
		sess_destroy(s);
}

static gboolean timer_dispatch(GSource *src, GSourceFunc cb, gpointer data);

static GSourceFuncs timer_funcs = {
	.dispatch = timer_dispatch,
};

static void sess_timer_new(struct dtls_sess *s)
{
	GSource *src = g_source_new(&timer_funcs, sizeof(struct timer_src));

	((struct timer_src *)src)->sess = s;
	g_source_set_ready_time(src, -1);
	g_source_set_name(src, "dtls timer");
	g_source_attach(src, s->ctx);
	s->timer = src;
	s->ready_time = -1;
}

static const char *sess_profile_list(unsigned profiles)
{
	if (profiles == DTLS_SRTP_AEAD_AES_128_GCM)
		return SRTP_NAME_GCM;
	if (profiles == DTLS_SRTP_AES128_CM_SHA1_80)
		return SRTP_NAME_CM;
	return NULL; /* both: the SSL_CTX's list */
}

static int sess_ssl_new(struct dtls_sess *s, unsigned profiles)
{
	const char *plist = sess_profile_list(profiles);
	BIO *wbio;

	s->ssl = SSL_new(s->cert->ctx);
	s->rbio = BIO_new(BIO_s_mem());
	wbio = BIO_new(s->cert->bio_meth);
	if (!s->ssl || !s->rbio || !wbio) {
		BIO_free(s->rbio);
		BIO_free(wbio);
		s->rbio = NULL;
		return ENOMEM;
	}
	BIO_set_mem_eof_return(s->rbio, -1); /* empty: "try again", not EOF */
	BIO_set_data(wbio, s);
	BIO_set_init(wbio, 1);
	SSL_set_bio(s->ssl, s->rbio, wbio);
	SSL_set_app_data(s->ssl, s);
	if (s->role == DTLS_ROLE_CLIENT)
		SSL_set_connect_state(s->ssl);
	else
		SSL_set_accept_state(s->ssl);
	if (!SSL_set_mtu(s->ssl, s->mtu))
		return EINVAL;
	if (plist && SSL_set_tlsext_use_srtp(s->ssl, plist) != 0)
		return EIO;
	return 0;
}

static unsigned rtx_timer_cb(SSL *ssl, unsigned prev_us);

static int sess_params_check(const struct dtls_sess_params *p,
			     const struct dtls_handlers *h, const EVP_MD *md)
{
	if (!h || !h->send || !h->connected || !h->failed)
		return EINVAL;
	if (p->role != DTLS_ROLE_CLIENT && p->role != DTLS_ROLE_SERVER)
		return EINVAL;
	if (!md || !p->fp || p->fp_len != (size_t)EVP_MD_get_size(md))
		return EINVAL;
	if (p->mtu && (p->mtu < 256 || p->mtu > 16384))
		return EINVAL;
	if (p->srtp_profiles & ~(unsigned)DTLS_SRTP_ALL)
		return EINVAL;
	return 0;
}

int dtls_sess_alloc(struct dtls_sess **out, struct dtls_cert *cert,
		    const struct dtls_sess_params *p, const struct dtls_handlers *h,
		    void *arg)
{
	const EVP_MD *md = p ? dtls_fp_md_find(p->fp_alg) : NULL;
	struct dtls_sess *s;
	int err;

	if (!out || !cert || !p)
		return EINVAL;
	err = sess_params_check(p, h, md);
	if (err)
		return err;
	s = g_new0(struct dtls_sess, 1);
	s->cert = dtls_cert_ref(cert);
	s->ctx = g_main_context_ref(p->ctx ? p->ctx : g_main_context_default());
	s->h = *h;
	s->arg = arg;
	s->role = p->role;
	s->fp_md = md;
	memcpy(s->fp, p->fp, p->fp_len);
	s->fp_len = p->fp_len;
	s->hs_timeout_ms = p->handshake_timeout_ms ? p->handshake_timeout_ms
						   : DTLS_HANDSHAKE_TIMEOUT_MS;
	s->rtx_ms = p->retransmit_ms ? p->retransmit_ms : DTLS_RETRANSMIT_MS;
	s->mtu = p->mtu ? p->mtu : DTLS_MTU;
	g_strlcpy(s->name, p->name ? p->name : "-", sizeof(s->name));
	SESS_ASSERT_THREAD(s);
	err = sess_ssl_new(s, p->srtp_profiles ? p->srtp_profiles : DTLS_SRTP_ALL);
	ERR_clear_error();
	if (err) {
		sess_destroy(s);
		return err;
	}
	DTLS_set_timer_cb(s->ssl, rtx_timer_cb);
	sess_timer_new(s);
	*out = s;
	return 0;
}

/* Sends close_notify; the send handler runs now, from inside this call. */
static void sess_close_notify(struct dtls_sess *s)
{
	s->closing = true;
	s->in_ssl = true;
	ERR_clear_error();
	(void)SSL_shutdown(s->ssl);
	ERR_clear_error();
	s->in_ssl = false;
	s->closing = false;
}

void dtls_sess_free(struct dtls_sess *s)
{
	if (!s || s->freeing)
		return;
	SESS_ASSERT_THREAD(s);
	s->freeing = true;
	g_source_set_ready_time(s->timer, -1);
	/* From inside send, OpenSSL is mid-call and cannot be entered again. */
	if (s->state == ST_CONNECTED && !s->in_ssl)
		sess_close_notify(s);
	s->state = ST_DONE;
	if (s->busy == 0)
		sess_destroy(s);
}

bool dtls_sess_connected(const struct dtls_sess *s)
{
	return s && s->state == ST_CONNECTED && !s->freeing;
}

void dtls_sess_stats(const struct dtls_sess *s, struct dtls_stats *out)
{
	*out = s->st;
}

/* ---- session: the handshake and records ---- */

static void sess_fail(struct dtls_sess *s, int err, const char *reason)
{
	if (s->state == ST_DONE)
		return;
	s->state = ST_DONE;
	s->fail_err = err;
	s->hs_deadline = 0;
	if (err == ECONNRESET)
		log_info("[dtls=%s] closed by the peer", s->name);
	else
		log_info("[dtls=%s] failed: %s", s->name, reason);
	if (!s->freeing)
		s->h.failed(s->arg, err, reason);
}

/* Reports why OpenSSL gave up, after an SSL call returned `ret`. */
static void sess_fail_ssl(struct dtls_sess *s, int ret, const char *what)
{
	int e = SSL_get_error(s->ssl, ret);
	unsigned long code = ERR_peek_last_error();
	const char *why = code ? ERR_reason_error_string(code) : NULL;
	char reason[160];

	if (s->fp_mismatch) {
		sess_fail(s, EPROTO, "fingerprint mismatch");
	} else if (e == SSL_ERROR_ZERO_RETURN) {
		sess_fail(s, ECONNRESET, "closed by peer");
	} else if (ERR_GET_REASON(code) == SSL_R_READ_TIMEOUT_EXPIRED) {
		sess_fail(s, ETIMEDOUT, "retransmissions exhausted");
	} else {
		g_snprintf(reason, sizeof(reason), "%s: %s", what,
			   why ? why : "protocol error");
		sess_fail(s, EPROTO, reason);
	}
	ERR_clear_error();
}

/* Fills `k` from the selected profile (RFC 5764 4.2): the exporter gives
 * client key, server key, client salt, server salt. */
static int sess_export_keys(struct dtls_sess *s, struct dtls_srtp_keys *k)
{
	SRTP_PROTECTION_PROFILE *pp = SSL_get_selected_srtp_profile(s->ssl);
	uint8_t m[2 * DTLS_SRTP_MASTER_MAX];
	bool client = s->role == DTLS_ROLE_CLIENT;
	size_t kl = 16, sl;

	memset(k, 0, sizeof(*k));
	if (!pp)
		return 0; /* no SRTP: data channels only */
	if (pp->id == SRTP_AEAD_AES_128_GCM) {
		k->profile = DTLS_SRTP_AEAD_AES_128_GCM;
		sl = 12;
	} else if (pp->id == SRTP_AES128_CM_SHA1_80) {
		k->profile = DTLS_SRTP_AES128_CM_SHA1_80;
		sl = 14;
	} else {
		return EPROTO; /* never offered */
	}
	if (SSL_export_keying_material(s->ssl, m, 2 * (kl + sl), SRTP_LABEL,
				       strlen(SRTP_LABEL), NULL, 0, 0) != 1)
		return EPROTO;
	k->key_len = kl;
	k->salt_len = sl;
	/* m: client key | server key | client salt | server salt */
	memcpy(k->local, m + (client ? 0 : kl), kl);
	memcpy(k->local + kl, m + 2 * kl + (client ? 0 : sl), sl);
	memcpy(k->remote, m + (client ? kl : 0), kl);
	memcpy(k->remote + kl, m + 2 * kl + (client ? sl : 0), sl);
	OPENSSL_cleanse(m, sizeof(m));
	return 0;
}

/* The handshake finished: check the peer once more (the verify callback
 * normally did already), export the keys, tell the owner. */
static void sess_established(struct dtls_sess *s)
{
	struct dtls_srtp_keys k;

	if (!sess_fp_matches(s, SSL_get0_peer_certificate(s->ssl))) {
		s->fp_mismatch = true;
		sess_fail(s, EPROTO, "fingerprint mismatch");
		return;
	}
	if (sess_export_keys(s, &k) != 0) {
		ERR_clear_error();
		sess_fail(s, EPROTO, "keying material export failed");
		return;
	}
	s->state = ST_CONNECTED;
	s->hs_deadline = 0;
	log_info("[dtls=%s] connected as %s: %s, srtp %s", s->name,
		 s->role == DTLS_ROLE_CLIENT ? "client" : "server",
		 SSL_get_cipher_name(s->ssl), dtls_srtp_profile_name(k.profile));
	s->h.connected(s->arg, &k);
	OPENSSL_cleanse(&k, sizeof(k));
}

static void sess_handshake(struct dtls_sess *s)
{
	int r;

	ERR_clear_error();
	s->in_ssl = true;
	r = SSL_do_handshake(s->ssl);
	s->in_ssl = false;
	if (s->freeing)
		return;
	if (r == 1) {
		sess_established(s);
		return;
	}
	if (SSL_get_error(s->ssl, r) != SSL_ERROR_WANT_READ || s->fp_mismatch)
		sess_fail_ssl(s, r, "handshake");
}

/* Delivers every application record that has arrived. A record holds at
 * most 16384 bytes, so the buffer never splits one. */
static void sess_read(struct dtls_sess *s)
{
	uint8_t buf[SSL3_RT_MAX_PLAIN_LENGTH];

	while (s->state == ST_CONNECTED && !s->freeing) {
		int n;

		ERR_clear_error();
		s->in_ssl = true;
		n = SSL_read(s->ssl, buf, sizeof(buf));
		s->in_ssl = false;
		if (s->freeing)
			return;
		if (n <= 0) {
			if (SSL_get_error(s->ssl, n) != SSL_ERROR_WANT_READ)
				sess_fail_ssl(s, n, "read");
			return;
		}
		s->st.app_rx++;
		if (s->h.app_data)
			s->h.app_data(s->arg, buf, (size_t)n);
	}
}

static void sess_begin(struct dtls_sess *s)
{
	s->state = ST_HANDSHAKE;
	s->hs_deadline = g_get_monotonic_time() + (int64_t)s->hs_timeout_ms * 1000;
}

/* What a public call returns once it has run OpenSSL: the failure it caused. */
static int sess_result(const struct dtls_sess *s, enum sess_state before)
{
	return s->state == ST_DONE && before != ST_DONE ? s->fail_err : 0;
}

int dtls_sess_start(struct dtls_sess *s)
{
	int err;

	if (!s)
		return EINVAL;
	SESS_ASSERT_THREAD(s);
	if (s->in_ssl)
		return EBUSY;
	if (s->state == ST_DONE || s->freeing)
		return EPIPE;
	if (s->state != ST_IDLE)
		return 0;
	sess_enter(s);
	sess_begin(s);
	if (s->role == DTLS_ROLE_CLIENT)
		sess_handshake(s);
	sess_timer_update(s);
	err = sess_result(s, ST_IDLE);
	sess_leave(s);
	return err;
}

static int sess_recv_check(struct dtls_sess *s, const uint8_t *data, size_t len)
{
	if (!data || len < DTLS_HEADER_LEN || len > DTLS_MAX_DATAGRAM ||
	    data[0] < 20 || data[0] > 63)
		return EBADMSG;
	if (s->state == ST_DONE || s->freeing)
		return EPIPE;
	if (s->state == ST_IDLE && s->role == DTLS_ROLE_CLIENT)
		return ENOTCONN;
	return 0;
}

int dtls_sess_recv(struct dtls_sess *s, const uint8_t *data, size_t len)
{
	enum sess_state before;
	int err;

	if (!s)
		return EINVAL;
	SESS_ASSERT_THREAD(s);
	if (s->in_ssl)
		return EBUSY;
	s->st.rx_datagrams++;
	err = sess_recv_check(s, data, len);
	if (err) {
		s->st.rx_rejected++;
		log_debug("[dtls=%s] datagram of %zu bytes rejected: %s", s->name,
			  len, g_strerror(err));
		return err;
	}
	sess_enter(s);
	if (s->state == ST_IDLE)
		sess_begin(s); /* a server starts on the first ClientHello */
	before = s->state;
	(void)BIO_write(s->rbio, data, (int)len);
	if (s->state == ST_HANDSHAKE)
		sess_handshake(s);
	sess_read(s);
	/* Keep datagram boundaries: never glue leftovers to the next one. */
	if (!s->freeing && BIO_ctrl_pending(s->rbio) > 0)
		(void)BIO_reset(s->rbio);
	sess_timer_update(s);
	err = sess_result(s, before);
	sess_leave(s);
	return err;
}

int dtls_sess_send_app(struct dtls_sess *s, const uint8_t *data, size_t len)
{
	int n, err = 0;

	if (!s || !data || len == 0)
		return EINVAL;
	SESS_ASSERT_THREAD(s);
	if (len > SSL3_RT_MAX_PLAIN_LENGTH)
		return EMSGSIZE;
	if (s->in_ssl)
		return EBUSY;
	if (s->state == ST_DONE || s->freeing)
		return EPIPE;
	if (s->state != ST_CONNECTED)
		return ENOTCONN;
	sess_enter(s);
	ERR_clear_error();
	s->in_ssl = true;
	n = SSL_write(s->ssl, data, (int)len);
	s->in_ssl = false;
	if (n == (int)len) {
		s->st.app_tx++;
	} else if (!s->freeing) {
		sess_fail_ssl(s, n, "write");
		err = s->fail_err ? s->fail_err : EPROTO;
	}
	sess_leave(s);
	return err;
}

/* ---- timers ---- */

/* OpenSSL's retransmission schedule: `rtx_ms` first, then doubling up to
 * DTLS_RETRANSMIT_MAX_MS (OpenSSL's own is 1 s first, up to 60 s). */
static unsigned rtx_timer_cb(SSL *ssl, unsigned prev_us)
{
	struct dtls_sess *s = SSL_get_app_data(ssl);
	unsigned first = s ? s->rtx_ms * 1000u : DTLS_RETRANSMIT_MS * 1000u;
	unsigned max = MAX(first, DTLS_RETRANSMIT_MAX_MS * 1000u);

	if (prev_us == 0)
		return first;
	return prev_us >= max / 2 ? max : prev_us * 2;
}

/* Points the timer source at the earlier of the handshake deadline and
 * OpenSSL's next retransmission, or turns it off. */
static void sess_timer_update(struct dtls_sess *s)
{
	int64_t now = g_get_monotonic_time();
	int64_t t = -1;
	struct timeval tv;

	if (s->freeing)
		return;
	if (s->state == ST_HANDSHAKE || s->state == ST_CONNECTED) {
		if (DTLSv1_get_timeout(s->ssl, &tv) > 0)
			t = now + (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
		if (s->hs_deadline && (t < 0 || s->hs_deadline < t))
			t = s->hs_deadline;
	}
	if (t != s->ready_time) {
		g_source_set_ready_time(s->timer, t);
		s->ready_time = t;
	}
}

static void sess_on_timer(struct dtls_sess *s)
{
	int r;

	if (s->state == ST_HANDSHAKE && s->hs_deadline &&
	    g_get_monotonic_time() >= s->hs_deadline) {
		sess_fail(s, ETIMEDOUT, "handshake timeout");
		return;
	}
	if (s->state != ST_HANDSHAKE && s->state != ST_CONNECTED)
		return;
	ERR_clear_error();
	s->in_ssl = true;
	r = DTLSv1_handle_timeout(s->ssl);
	s->in_ssl = false;
	if (s->freeing)
		return;
	if (r > 0)
		s->st.retransmits++;
	if (r < 0)
		sess_fail_ssl(s, r, "retransmission");
	ERR_clear_error();
}

static gboolean timer_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
	struct dtls_sess *s = ((struct timer_src *)src)->sess;

	g_source_set_ready_time(src, -1);
	s->ready_time = -1;
	sess_enter(s);
	sess_on_timer(s);
	sess_timer_update(s);
	sess_leave(s);
	return G_SOURCE_CONTINUE;
}
