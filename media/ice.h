/* ice.h - ICE for one transport, one stream with one component (BUNDLE
 * and rtcp-mux), ICE restart. Two kinds: full ICE (RFC 8445) on libnice,
 * trickle both ways; the peer's consent checks are answered, ours are not
 * enforced (see ice.c). Or ICE-lite on a worker's shared UDP port
 * (media/udpmux.h): host candidates only, the peer controls. Full ICE
 * gathers on the configured local addresses and UDP port range; host
 * candidates of both kinds can be announced with a public address (NAT 1:1).
 *
 * An agent lives on one GMainContext (its room's worker): every call and
 * every callback happens on that context's thread. */
#ifndef PARLEY_MEDIA_ICE_H
#define PARLEY_MEDIA_ICE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ice_agent; /* opaque */

enum ice_state {
	ICE_STATE_NEW = 0,
	ICE_STATE_CHECKING,
	ICE_STATE_CONNECTED,    /* a pair works; media may flow */
	ICE_STATE_DISCONNECTED, /* was connected, lost (may recover) */
	ICE_STATE_FAILED,       /* no pair works, or consent expired */
};

struct lane;
struct udpmux;

struct ice_params {
	GMainContext *ctx;            /* borrowed: the owner's context */
	bool controlling;             /* the offerer controls (RFC 8445 §6.1.1) */
	const char *const *local_addrs; /* IP literals to gather on; NULL = every interface */
	unsigned port_min;            /* UDP port range, 0 = any */
	unsigned port_max;
	const char *public_ip;        /* announced in host candidates; NULL = none */
	const char *stun_host;        /* a STUN server for srflx candidates; NULL = none */
	unsigned stun_port;
	bool rx_stamps;               /* kernel receive stamps (ice_agent_rx_time) */
	struct lane *lane;            /* borrowed, NULL: send on ctx's thread; else
					 direct UDP sends go out on the lane's worker */
	struct udpmux *mux;           /* borrowed, NULL: full ICE on libnice with a
					 socket per agent; else ICE-lite on the mux
					 (ctx's; media/udpmux.h): local_addrs, ports,
					 STUN server and `controlling` do not apply */
};

struct ice_handlers {
	/* A local candidate, as the SDP attribute value "candidate:..." */
	void (*candidate)(void *arg, const char *cand);
	/* No more local candidates. */
	void (*gathering_done)(void *arg);
	void (*state)(void *arg, enum ice_state st);
	/* A datagram from the peer that is not STUN (DTLS, RTP, RTCP). The
	 * buffer may be modified in place (SRTP unprotect) and is only valid
	 * during the call. */
	void (*recv)(void *arg, uint8_t *buf, size_t len);
};

/* Makes an agent with fresh local credentials. Returns 0, EINVAL (a local
 * address is not an IP literal) or EIO. @thread ctx */
int ice_agent_alloc(struct ice_agent **out, const struct ice_params *p,
		    const struct ice_handlers *h, void *arg);

/* Stops checks and timers and frees the agent; no callback runs after.
 * NULL is fine. @thread ctx */
void ice_agent_free(struct ice_agent *a);

/* Local ICE credentials for the SDP (valid until the next restart). @thread ctx */
const char *ice_agent_ufrag(const struct ice_agent *a);
const char *ice_agent_pwd(const struct ice_agent *a);

/* Starts gathering; candidates come through the handler, possibly before
 * this returns. Returns 0 or EIO (no local address could be used). @thread ctx */
int ice_agent_gather(struct ice_agent *a);

/* Sets the peer's credentials (from its SDP). Returns 0 or EINVAL. @thread ctx */
int ice_agent_set_remote_credentials(struct ice_agent *a, const char *ufrag, const char *pwd);

/* Adds a remote candidate, "candidate:..." with or without "a=". Returns
 * 0, EBADMSG (malformed), or ENOTSUP (a kind not used here: TCP, or an mDNS
 * .local name that cannot be resolved). @thread ctx */
int ice_agent_add_remote_candidate(struct ice_agent *a, const char *cand);

/* The peer is ICE-lite (a=ice-lite in its SDP): a full agent then takes
 * the controlling role whoever offered (RFC 8445 §6.1.1). Only before
 * ice_agent_gather: libnice keeps its role once gathering started (the
 * peer's 487 answer then switches it, a round trip later), so an answerer
 * that knows the offer is lite should rather be made controlling. Nothing
 * for a lite agent. @thread ctx */
void ice_agent_set_remote_lite(struct ice_agent *a);

/* The peer has sent all its candidates. @thread ctx */
void ice_agent_remote_gathering_done(struct ice_agent *a);

/* Sends one datagram on the selected pair (through the lane, if any, when
 * the pair is plain UDP, and here when the lane is full). Returns 0,
 * ENOTCONN (no pair yet) or EAGAIN (socket full; the datagram is dropped).
 * @thread ctx */
int ice_agent_send(struct ice_agent *a, const uint8_t *buf, size_t len);

/* ICE restart: new local credentials, checks start again once the peer's
 * new credentials and candidates are set. Returns 0 or EIO. @thread ctx */
int ice_agent_restart(struct ice_agent *a);

/* Whether the agent is ICE-lite (an a=ice-lite line in our SDP). @thread any */
bool ice_agent_is_lite(const struct ice_agent *a);

/* The selected pair as "local-ip:port <-> remote-ip:port" for logs, or "".
 * @thread ctx */
const char *ice_agent_pair_str(const struct ice_agent *a);

/* When the kernel received the datagram being handled (wall clock,
 * microseconds since the epoch), called from the recv handler, once per
 * datagram. ICE-lite: the stamp recvmmsg gave (SO_TIMESTAMPNS). Full
 * agents: SIOCGSTAMPNS on the selected UDP socket (a system call), only
 * with ice_params.rx_stamps, from when the pair is selected (stamping turns
 * on for the whole host: a clock read per received packet): the last
 * datagram read there. When libnice reads a few at once they share the
 * last one's stamp (the earlier ones' wait is under-counted); the same
 * stamp as the previous call means the datagram came in on another of
 * libnice's sockets, and reads as ENOENT. Returns 0, or ENOENT (no stamp:
 * no direct UDP pair, no rx_stamps, a datagram from before, or asked
 * twice). */
int ice_agent_rx_time(struct ice_agent *a, int64_t *unix_us);

#endif
