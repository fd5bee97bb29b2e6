/* dtls.h - DTLS 1.2 for DTLS-SRTP (RFC 5763/5764) and SCTP over DTLS.
 *
 * One struct dtls_cert per process (generated at start-up or loaded from PEM
 * files) carries our key, our self-signed certificate and the one SSL_CTX
 * every session is made from. One struct dtls_sess per transport runs the
 * handshake over datagrams the transport carries through ICE: records come in
 * through dtls_sess_recv, go out through the send handler, and the session
 * reports the negotiated SRTP profile and keys once, or a failure once.
 *
 * The peer is authenticated only by the certificate fingerprint from its SDP
 * (a=fingerprint); no CA, name or validity check takes place.
 *
 * Threads: a certificate is immutable once made and may be shared by sessions
 * on any number of workers (OpenSSL's SSL_CTX is safe for concurrent SSL_new;
 * the session cache, the one thing sessions would write to, is off). A session
 * lives on the thread that owns the GMainContext it was given: every
 * dtls_sess_* call and every handler call happens there. */
#ifndef PARLEY_MEDIA_DTLS_H
#define PARLEY_MEDIA_DTLS_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dtls_cert; /* opaque, refcounted */
struct dtls_sess; /* opaque */

/* Longest digest we take or give (SHA-512), and the longest SDP string for it
 * ("AB:" per byte, NUL in place of the last colon). */
#define DTLS_FP_MAX 64
#define DTLS_FP_STR_MAX (DTLS_FP_MAX * 3)

/* Default session parameters (see struct dtls_sess_params). */
#define DTLS_HANDSHAKE_TIMEOUT_MS 15000
#define DTLS_RETRANSMIT_MS 400
#define DTLS_RETRANSMIT_MAX_MS 3200
#define DTLS_MTU 1200

/* ---- certificate ---- */

/* Makes an ECDSA P-256 key and a self-signed certificate for it (CN "parley",
 * random serial, valid from 30 days ago to one year ahead). The caller owns
 * one reference. Returns 0, ENOMEM or EIO (OpenSSL failed). @thread any */
int dtls_cert_generate(struct dtls_cert **out);

/* Loads a PEM certificate and its PEM private key (both paths may name the
 * same file). Returns 0, ENOENT/EACCES (cannot open), EBADMSG (not PEM of the
 * expected kind), EINVAL (key does not match the certificate) or ENOMEM.
 * @thread any */
int dtls_cert_load(struct dtls_cert **out, const char *cert_pem_path,
		   const char *key_pem_path);

/* Writes the certificate and key as PEM files (the key file with mode 0600),
 * so that a generated identity, and its fingerprint, can survive a restart.
 * Returns 0, an errno from opening the files, or EIO. @thread any */
int dtls_cert_save(const struct dtls_cert *cert, const char *cert_pem_path,
		   const char *key_pem_path);

/* Takes one more reference and returns `cert`. @thread any */
struct dtls_cert *dtls_cert_ref(struct dtls_cert *cert);

/* Drops one reference; the last one frees. NULL is fine. @thread any */
void dtls_cert_unref(struct dtls_cert *cert);

/* Writes our certificate's digest in SDP form ("AB:CD:...", upper-case hex)
 * for `alg`, one of "sha-1", "sha-224", "sha-256", "sha-384", "sha-512"
 * (case-insensitive, as in RFC 8122). Returns 0, EINVAL (unknown alg) or
 * ENOSPC (`size` too small; DTLS_FP_STR_MAX always fits). @thread any */
int dtls_cert_fingerprint(const struct dtls_cert *cert, const char *alg,
			  char *out, size_t size);

/* Parses an SDP fingerprint "AB:CD:..." (either case) into bytes. Returns 0,
 * EBADMSG (malformed) or ENOSPC (more than `size` bytes). @thread any */
int dtls_fingerprint_parse(const char *s, uint8_t *out, size_t size, size_t *len);

/* ---- session ---- */

/* Our side of the handshake, from a=setup: active -> client, passive -> server. */
enum dtls_role {
	DTLS_ROLE_CLIENT,
	DTLS_ROLE_SERVER,
};

/* SRTP protection profiles (RFC 5764, RFC 7714). The values are also bits for
 * dtls_sess_params.srtp_profiles. */
enum dtls_srtp_profile {
	DTLS_SRTP_NONE = 0,
	DTLS_SRTP_AES128_CM_SHA1_80 = 1 << 0,
	DTLS_SRTP_AEAD_AES_128_GCM = 1 << 1,
};
#define DTLS_SRTP_ALL (DTLS_SRTP_AES128_CM_SHA1_80 | DTLS_SRTP_AEAD_AES_128_GCM)

/* "AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM" (libsrtp's names), or "none". */
const char *dtls_srtp_profile_name(enum dtls_srtp_profile p);

/* Master key and salt of one direction, as libsrtp takes them: key || salt. */
#define DTLS_SRTP_MASTER_MAX 46 /* room for a 32-byte key and a 14-byte salt */

/* What the handshake produced (RFC 5764 4.2): "local" protects what we send,
 * "remote" unprotects what the peer sends; so the client's local is the
 * server's remote. With DTLS_SRTP_NONE (the peer offered no profile we take)
 * the key fields are empty and only SCTP data can flow. */
struct dtls_srtp_keys {
	enum dtls_srtp_profile profile;
	size_t key_len;  /* master key bytes: 16 */
	size_t salt_len; /* master salt bytes: 14 (AES-CM) or 12 (GCM) */
	uint8_t local[DTLS_SRTP_MASTER_MAX];  /* key_len + salt_len used */
	uint8_t remote[DTLS_SRTP_MASTER_MAX]; /* key_len + salt_len used */
};

/* An outgoing datagram (one or more DTLS records) for the transport to send
 * over ICE. `data` is valid during the call only. Loss is fine: the session
 * retransmits. May be called from inside any dtls_sess_* call. */
typedef void(dtls_send_h)(void *arg, const uint8_t *data, size_t len);

/* The handshake completed and the peer's certificate matched its fingerprint.
 * `keys` is valid during the call only (copy what you keep; it is wiped).
 * Called once. */
typedef void(dtls_connected_h)(void *arg, const struct dtls_srtp_keys *keys);

/* The session is over and stays dead; called at most once, never after
 * dtls_sess_free. `err`: EPROTO (handshake or record error, an alert from the
 * peer, "fingerprint mismatch"), ETIMEDOUT (handshake not done in time),
 * ECONNRESET (the peer sent close_notify). `reason` is valid during the call. */
typedef void(dtls_failed_h)(void *arg, int err, const char *reason);

/* One application record (an SCTP packet) from the peer; valid during the
 * call. */
typedef void(dtls_app_data_h)(void *arg, const uint8_t *data, size_t len);

/* Handlers may call dtls_sess_free on their own session; send may call
 * nothing else of the session (other calls return EBUSY from inside it). */
struct dtls_handlers {
	dtls_send_h *send;           /* required */
	dtls_connected_h *connected; /* required */
	dtls_failed_h *failed;       /* required */
	dtls_app_data_h *app_data;   /* NULL: application data is dropped */
};

struct dtls_sess_params {
	enum dtls_role role;
	const char *fp_alg;    /* the peer's a=fingerprint hash, e.g. "sha-256" */
	const uint8_t *fp;     /* its digest, fp_len bytes (copied) */
	size_t fp_len;         /* must match fp_alg's digest size */
	GMainContext *ctx;     /* the owner's context; NULL: the global default */
	unsigned handshake_timeout_ms; /* 0: DTLS_HANDSHAKE_TIMEOUT_MS */
	unsigned retransmit_ms; /* first retransmission, then doubling up to
				 * DTLS_RETRANSMIT_MAX_MS; 0: DTLS_RETRANSMIT_MS */
	unsigned mtu;           /* largest datagram handed to send; 0: DTLS_MTU */
	unsigned srtp_profiles; /* DTLS_SRTP_* bits to offer; 0: DTLS_SRTP_ALL.
				 * GCM is always preferred over AES-CM. */
	const char *name;       /* for log lines, e.g. "p7/pub"; NULL is fine */
};

/* Counters for /metrics. */
struct dtls_stats {
	uint64_t rx_datagrams;  /* handed to dtls_sess_recv */
	uint64_t rx_rejected;   /* not DTLS, too early (client) or too late */
	uint64_t tx_datagrams;  /* handed to send */
	uint64_t retransmits;   /* retransmission timer expiries */
	uint64_t app_rx;        /* application records delivered */
	uint64_t app_tx;        /* application records sent */
};

/* Makes a session over `cert` (a reference is taken). Nothing is sent until
 * dtls_sess_start. Returns 0, EINVAL (missing handler, unknown fp_alg, wrong
 * fp_len, mtu below 256 or above 16384, unknown profile bit) or ENOMEM/EIO.
 * @thread owner of p->ctx */
int dtls_sess_alloc(struct dtls_sess **out, struct dtls_cert *cert,
		    const struct dtls_sess_params *p, const struct dtls_handlers *h,
		    void *arg);

/* Starts the handshake (a client sends its ClientHello; a server waits) and
 * the handshake deadline. A second call does nothing. Returns 0, EPIPE (the
 * session is over), EBUSY (called from send), or the error given to failed()
 * when this call ended the session. @thread owner */
int dtls_sess_start(struct dtls_sess *s);

/* Feeds one incoming datagram (first byte 20..63, RFC 7983). A server that was
 * not started yet starts on it. Garbage is dropped or fails the handshake
 * cleanly. Returns 0, EBADMSG (not a DTLS datagram), ENOTCONN (a client that
 * was not started), EPIPE (the session is over), EBUSY (called from send), or
 * the error given to failed() when this datagram ended the session. The first
 * three are counted in rx_rejected. @thread owner */
int dtls_sess_recv(struct dtls_sess *s, const uint8_t *data, size_t len);

/* Sends one application record (an SCTP packet). Returns 0, ENOTCONN (not
 * connected yet), EPIPE (the session is over), EINVAL (len 0), EMSGSIZE
 * (len > 16384), EBUSY (called from send), or the error given to failed() when
 * the write ended the session. @thread owner */
int dtls_sess_send_app(struct dtls_sess *s, const uint8_t *data, size_t len);

/* True between connected() and the end of the session. @thread owner */
bool dtls_sess_connected(const struct dtls_sess *s);

/* The session's counters. @thread owner */
void dtls_sess_stats(const struct dtls_sess *s, struct dtls_stats *out);

/* Stops the timers, sends close_notify (through send, synchronously) when
 * connected, and frees. No handler is called afterwards. May be called from a
 * handler of this session (the memory is released when the call that ran the
 * handler returns; from inside send no close_notify goes out). NULL is fine.
 * @thread owner */
void dtls_sess_free(struct dtls_sess *s);

#endif
