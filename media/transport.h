/* transport.h - one PeerConnection's network stack: ICE (libnice), DTLS
 * (keys, and later SCTP) and SRTP over one bundled, rtcp-muxed 5-tuple.
 * Incoming datagrams are told apart by their first byte (RFC 7983): STUN is
 * libnice's, DTLS goes to the DTLS session, RTP and RTCP are unprotected
 * and handed up. Outgoing RTP/RTCP is protected and sent on the selected
 * ICE pair.
 *
 * A transport lives on one GMainContext (its room's worker); every call and
 * every callback happens there. It ends once, with closed(): ICE failure
 * before connecting, a DTLS failure, 30 s of silence from the peer, ICE
 * failed for 30 s after connecting without a restart, or not connecting
 * within the timeout (counted from transport_set_remote). */
#ifndef PARLEY_MEDIA_TRANSPORT_H
#define PARLEY_MEDIA_TRANSPORT_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/dtls.h"

struct transport;
struct pktbuf;

struct lane;
struct udpmux;

struct transport_params {
	GMainContext *ctx;              /* borrowed */
	bool ice_controlling;           /* the offerer controls */
	const char *const *local_addrs; /* ICE gathering addresses; NULL = all */
	unsigned port_min, port_max;
	const char *public_ip;          /* NAT 1:1 announce; NULL none */
	struct dtls_cert *cert;         /* a reference is taken */
	unsigned connect_timeout_s;     /* ICE + DTLS must be done by then */
	unsigned srtp_profiles;         /* DTLS_SRTP_* bits to offer or accept; 0: all */
	bool rx_stamps;                 /* kernel receive stamps (transport_rx_time) */
	struct lane *lane;              /* borrowed: outgoing datagrams are sent by
					   another worker (media/lanes.h); NULL: here */
	struct udpmux *mux;             /* borrowed: ICE-lite on this worker's shared
					   port (media/udpmux.h); NULL: full ICE with
					   a port of its own */
	const char *name;               /* for logs: "room/pid/pub" */
};

struct transport_handlers {
	void (*candidate)(void *arg, const char *cand); /* "candidate:..." */
	void (*gathering_done)(void *arg);
	void (*connected)(void *arg);                   /* SRTP is keyed */
	/* The transport is dead (it stays allocated until transport_free). */
	void (*closed)(void *arg, int err, const char *reason);
	/* An unprotected RTP packet in a pooled buffer (borrowed: take a
	 * reference to keep it). */
	void (*rtp)(void *arg, struct pktbuf *p);
	/* An unprotected compound RTCP packet, valid during the call. */
	void (*rtcp)(void *arg, const uint8_t *buf, size_t len);
};

struct transport_stats {
	uint64_t rtp_in, rtp_out, rtcp_in, rtcp_out;
	uint64_t bytes_in, bytes_out;
	uint64_t srtp_errors; /* failed unprotect (auth, replay) */
	uint64_t dropped;     /* unknown first byte, or media before keys */
	uint64_t send_errors; /* no pair, socket full */
};

/* Makes a transport with fresh ICE credentials; call transport_gather next.
 * Returns 0, EINVAL or EIO. @thread ctx */
int transport_alloc(struct transport **out, const struct transport_params *p,
		    const struct transport_handlers *h, void *arg);

/* Frees everything; no handler runs afterwards. NULL is fine. May be called
 * from a handler of this transport. @thread ctx */
void transport_free(struct transport *t);

/* Starts gathering local candidates. Returns 0 or EIO. @thread ctx */
int transport_gather(struct transport *t);

/* Local ICE credentials and the DTLS fingerprint ("sha-256") for the SDP. */
const char *transport_ice_ufrag(const struct transport *t);
/* Whether our end is ICE-lite (transport_params.mux). @thread ctx */
bool transport_ice_lite(const struct transport *t);
/* The peer is ICE-lite: we control (see ice_agent_set_remote_lite). @thread ctx */
void transport_set_remote_lite(struct transport *t);
const char *transport_ice_pwd(const struct transport *t);
/* The local candidates gathered so far ("candidate:..." strings, borrowed). */
const char *const *transport_local_candidates(const struct transport *t, unsigned *n);
bool transport_gathering_done(const struct transport *t);

/* What the remote SDP says: ICE credentials, certificate fingerprint, and
 * our DTLS role. The first call creates the DTLS session; a later call with
 * other ICE credentials is an ICE restart by the peer. Returns 0, EINVAL or
 * EPROTO (fingerprint or role changed: not supported). @thread ctx */
int transport_set_remote(struct transport *t, const char *ufrag, const char *pwd,
			 const char *fp_alg, const uint8_t *fp, size_t fp_len,
			 enum dtls_role role);

/* New ICE credentials of the peer without a new SDP (RFC 9725 ICE restart
 * by PATCH): when they differ from the current ones, our side restarts too
 * (new local credentials, candidates again) and *restarted is set. Returns
 * 0, EINVAL (bad credentials) or ENOTCONN (no remote description yet). */
int transport_set_remote_ice(struct transport *t, const char *ufrag, const char *pwd,
			     bool *restarted);

/* Trickled or SDP candidates of the peer. Returns 0, EBADMSG or ENOTSUP
 * (ignored kind). @thread ctx */
int transport_add_remote_candidate(struct transport *t, const char *cand);
void transport_remote_gathering_done(struct transport *t);

/* Restarts ICE on our side (new local credentials). Returns 0 or EIO. */
int transport_restart_ice(struct transport *t);

/* An ICE restart we initiate (our next offer carries the new credentials):
 * the peer's next new credentials answer it rather than restarting again.
 * Returns 0, EIO, or ENOTCONN when the transport is closed. @thread ctx */
int transport_restart_ice_local(struct transport *t);

/* True once SRTP is keyed and until closed. @thread ctx */
bool transport_connected(const struct transport *t);

/* Protects and sends one RTP/RTCP packet. The buffer is modified (it must
 * have SRTP_TRAILER_MAX bytes of room after len, `cap` in all). Returns 0,
 * ENOTCONN, ENOSPC or EAGAIN. @thread ctx */
int transport_send_rtp(struct transport *t, uint8_t *buf, size_t len, size_t cap);
int transport_send_rtcp(struct transport *t, uint8_t *buf, size_t len, size_t cap);

/* The kernel's receive time of the packet being handled in t's rtp/rtcp
 * handler (see ice_agent_rx_time), wall clock in microseconds: in the rtp
 * handler the stamp the transport read for it (the thread's
 * media_arrival, so only for the transport whose handler runs); in the
 * rtcp handler ask once. Returns 0 or ENOENT. @thread ctx */
int transport_rx_time(const struct transport *t, int64_t *unix_us);

/* Counters. @thread ctx */
void transport_stats(const struct transport *t, struct transport_stats *out);

/* The negotiated SRTP profile name ("AEAD_AES_128_GCM"), or "none". */
const char *transport_srtp_profile(const struct transport *t);

#endif
