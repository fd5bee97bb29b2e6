/* srtp.h - SRTP and SRTCP for one transport (RFC 3711, RFC 7714), keyed by
 * DTLS-SRTP (RFC 5764), over libsrtp2.
 *
 * A session holds two libsrtp2 contexts: outbound, keyed with the local
 * side's master key and taking any SSRC (an SFU sends many streams on one
 * transport), and inbound, keyed with the remote side's and likewise taking
 * any SSRC. Packets are protected and unprotected in place in the caller's
 * buffer; nothing is allocated per packet except libsrtp2's small per-SSRC
 * state the first time an SSRC is seen.
 *
 * Naming: libsrtp2 owns most srtp_* names (srtp_init, srtp_create,
 * srtp_protect, srtp_profile_t ...); this module keeps to srtp_sess_*,
 * srtp_profile_* (functions), srtp_material_*, srtp_lib_init and
 * srtp_global_init, none of which libsrtp2 2.5 defines. */
#ifndef PARLEY_MEDIA_SRTP_H
#define PARLEY_MEDIA_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* DTLS-SRTP protection profiles; the values are the IANA ids that DTLS
 * negotiates (OpenSSL's SRTP_PROTECTION_PROFILE.id). */
enum srtp_profile {
	SRTP_PROFILE_AES128_CM_SHA1_80 = 0x0001,
	SRTP_PROFILE_AES128_CM_SHA1_32 = 0x0002,
	SRTP_PROFILE_AEAD_AES_128_GCM = 0x0007,
};

/* Most bytes a protect call appends (SRTCP with AEAD_AES_128_GCM: 16-byte
 * tag and 4-byte index). A buffer with this much room after the packet
 * always fits. */
#define SRTP_TRAILER_MAX 20

/* Longest master key + salt of the profiles above (AES-CM: 16 + 14). */
#define SRTP_MASTER_MAX 30

/* One direction's master key followed by its master salt. */
struct srtp_master {
	uint8_t bytes[SRTP_MASTER_MAX];
	size_t len; /* key_len + salt_len of the profile */
};

/* Initialises libsrtp2 once per process with its own primitives (NSS in
 * Debian's build). srtp_sess_alloc calls it; exposed for programs that want
 * the library's primitives on purpose (tests, tools/srtp_bench.c). Returns
 * 0 or EIO. @thread any */
int srtp_lib_init(void);

/* What parleyd calls at start-up: srtp_lib_init(), then srtp_ossl_install()
 * (media/srtp_ossl.h), which moves AES-CM and HMAC-SHA1 onto OpenSSL, about
 * 4x cheaper per packet. Idempotent. Call it before workers make sessions.
 * Returns 0 or EIO (libsrtp2 failed to start, or refused the replacement
 * primitives: sessions still work, on the library's own). @thread any
 * (start-up) */
int srtp_global_init(void);

/* The profile for an IANA id (as DTLS negotiated it). Returns 0, or ENOTSUP
 * for a profile parley does not offer. @thread any */
int srtp_profile_from_id(unsigned long id, enum srtp_profile *out);

/* RFC 5764's name of a profile ("SRTP_AES128_CM_SHA1_80"), the form
 * OpenSSL's SSL_CTX_set_tlsext_use_srtp takes; "?" for others. @thread any */
const char *srtp_profile_name(enum srtp_profile p);

/* The number of bytes to export from DTLS for a profile with the
 * "EXTRACTOR-dtls_srtp" label: 2 * (key_len + salt_len). 0 for an unknown
 * profile. @thread any */
size_t srtp_profile_material_len(enum srtp_profile p);

/* Splits exported keying material, laid out as RFC 5764 section 4.2 says
 * (client key, server key, client salt, server salt), into the local and
 * remote master key + salt. `local_is_client`: this side was the DTLS client.
 * Returns 0, or EINVAL for an unknown profile or a `len` other than
 * srtp_profile_material_len(p). @thread any */
int srtp_material_split(enum srtp_profile p, const uint8_t *material, size_t len,
			bool local_is_client, struct srtp_master *local,
			struct srtp_master *remote);

struct srtp_sess; /* opaque */

/* Makes a session: outbound traffic protected with `local`, inbound checked
 * with `remote` (see srtp_material_split). The keys are copied; the caller
 * may wipe its copies. Initialises libsrtp2 if nobody did (srtp_lib_init).
 * The session is owned by one thread (the transport's worker) and not
 * locked; different sessions may be used on different threads at once.
 * Returns 0, EINVAL (unknown profile, wrong key length), ENOMEM or EIO.
 * @thread any; then the owner's */
int srtp_sess_alloc(struct srtp_sess **out, enum srtp_profile p,
		    const struct srtp_master *local, const struct srtp_master *remote);

/* Frees the session and wipes its keys. NULL is fine. @thread owner */
void srtp_sess_free(struct srtp_sess *s);

/* The session's profile. @thread owner */
enum srtp_profile srtp_sess_profile(const struct srtp_sess *s);

/* Protects the RTP packet in buf[0..*len) in place and sets *len to the
 * SRTP length; `cap` is the size of buf. Any SSRC may be sent. Protecting
 * a sequence number again (a retransmission answering a NACK) is allowed
 * within the last 1024 packets of that SSRC; the payload must then be the
 * same bytes, or the keystream is reused. Returns 0; ENOSPC when cap lacks
 * room for the tag; EINVAL for a buffer that is not an RTP packet;
 * EALREADY when the sequence number is older than the repeat window;
 * EKEYEXPIRED when the key has protected 2^48 packets; EIO. @thread owner */
int srtp_sess_protect_rtp(struct srtp_sess *s, uint8_t *buf, size_t *len, size_t cap);

/* Checks and decrypts the SRTP packet in buf[0..*len) in place and sets
 * *len to the RTP length. Returns 0; EBADMSG when it is malformed or fails
 * authentication (count it, drop it); EALREADY when it is a replay or older
 * than the 1024-packet replay window; EIO. On error buf's content is
 * unspecified. @thread owner */
int srtp_sess_unprotect_rtp(struct srtp_sess *s, uint8_t *buf, size_t *len);

/* As srtp_sess_protect_rtp, for a compound RTCP packet (SRTCP index and
 * tag appended). Returns 0, ENOSPC, EINVAL, EKEYEXPIRED (2^31 packets) or
 * EIO. @thread owner */
int srtp_sess_protect_rtcp(struct srtp_sess *s, uint8_t *buf, size_t *len, size_t cap);

/* As srtp_sess_unprotect_rtp, for SRTCP. Returns 0, EBADMSG, EALREADY or
 * EIO. @thread owner */
int srtp_sess_unprotect_rtcp(struct srtp_sess *s, uint8_t *buf, size_t *len);

#endif
