/* udpmux.h - ICE-lite (RFC 8445 §2.5) on one UDP port per worker.
 *
 * Instead of a libnice agent with its own sockets for every transport, a
 * worker can own one UDP socket per local address, all on one port, and
 * every transport of the worker is an endpoint on it. The server then only
 * answers the peer's connectivity checks (it is the lite side; browsers
 * do full ICE and always control): a binding request whose USERNAME names
 * an endpoint's ufrag and passes its MESSAGE-INTEGRITY gets a response, and
 * its source address becomes a path to that endpoint; the path the peer
 * nominates (USE-CANDIDATE) is where the endpoint sends (a later one only
 * after it answered a check of ours: udpmux_ep_set_remote). Datagrams from
 * a known path go to its endpoint (one hash lookup); anything else is
 * dropped and counted. The handlers may free their endpoint.
 *
 * What it buys: one port per worker to open in a firewall, a few
 * descriptors per worker instead of one per participant, a main loop that
 * polls a few sockets instead of hundreds, datagrams read in batches
 * (recvmmsg), and malformed or unauthenticated STUN counted.
 *
 * A mux and its endpoints live on one GMainContext (a worker's): every call
 * and callback happens on that context's thread. */
#ifndef PARLEY_MEDIA_UDPMUX_H
#define PARLEY_MEDIA_UDPMUX_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct udpmux;    /* opaque: one worker's sockets */
struct udpmux_ep; /* opaque: one transport's ICE-lite endpoint */

/* Binds one UDP socket per address of `addrs` (IP literals, at most 16;
 * NULL or empty: the host's addresses that are up, not loopback unless
 * that is all, IPv6 only global ones) on `port` (0: the kernel picks one,
 * the same for every address), attached to `ctx`. Returns 0, EINVAL (not an IP
 * literal), or bind's errno (EADDRINUSE...). @thread any (before use) */
int udpmux_alloc(struct udpmux **out, GMainContext *ctx, const char *const *addrs,
		 unsigned port);

/* Closes the sockets. Every endpoint must be freed before; call on ctx's
 * thread, or once that thread has stopped. NULL is fine. */
void udpmux_free(struct udpmux *m);

/* The port every socket is bound to. @thread any */
unsigned udpmux_port(const struct udpmux *m);

/* Number of sockets, and the address socket `i` is bound to. @thread any */
unsigned udpmux_n_local(const struct udpmux *m);
const char *udpmux_local_addr(const struct udpmux *m, unsigned i);

struct udpmux_ep_handlers {
	/* A datagram that is not STUN from one of the endpoint's paths (DTLS,
	 * RTP, RTCP); it may be modified in place and is only valid during the
	 * call. */
	void (*recv)(void *arg, uint8_t *buf, size_t len);
	/* The endpoint has a (new) selected path: the peer nominated one, or
	 * sent DTLS or media on a checked path before nominating any. */
	void (*selected)(void *arg);
};

/* Makes an endpoint answering checks for `ufrag`/`pwd` (ICE chars, 4..256
 * and 22..256). Returns 0, EINVAL, or EEXIST (the ufrag is taken on this
 * mux). @thread ctx */
int udpmux_ep_alloc(struct udpmux_ep **out, struct udpmux *m, const char *ufrag,
		    const char *pwd, const struct udpmux_ep_handlers *h, void *arg);

/* Forgets the endpoint and its paths; no callback runs after. NULL is
 * fine. @thread ctx */
void udpmux_ep_free(struct udpmux_ep *ep);

/* New credentials (an ICE restart). The old ones keep working until the
 * peer nominates a path with the new ones, so media goes on meanwhile.
 * Returns 0, EINVAL or EEXIST. @thread ctx */
int udpmux_ep_restart(struct udpmux_ep *ep, const char *ufrag, const char *pwd);

/* The peer's credentials (from its SDP). With them, a path the peer
 * nominates while another is selected is used only once it answered a
 * check of ours (so a claimed source address cannot redirect media);
 * without them the first selected path stays. Returns 0 or EINVAL.
 * @thread ctx */
int udpmux_ep_set_remote(struct udpmux_ep *ep, const char *ufrag, const char *pwd);

/* The selected path: the socket to send on and the peer's address.
 * Returns 0 or ENOTCONN (none yet). @thread ctx */
int udpmux_ep_dest(const struct udpmux_ep *ep, int *fd, const struct sockaddr **to,
		   socklen_t *tolen);

/* When the kernel received the datagram being handled (its recv handler
 * runs), Unix microseconds. Returns 0 or ENOENT (outside a handler, or the
 * kernel gave no stamp). @thread ctx */
int udpmux_ep_rx_time(const struct udpmux_ep *ep, int64_t *unix_us);

/* Sends one datagram on the selected path. Returns 0, ENOTCONN (none yet),
 * EAGAIN (socket full: dropped) or EIO. @thread ctx */
int udpmux_ep_send(struct udpmux_ep *ep, const uint8_t *buf, size_t len);

/* "local-ip:port <-> remote-ip:port" of the selected path, or "". @thread ctx */
const char *udpmux_ep_pair_str(const struct udpmux_ep *ep);

/* What a mux saw, summed over its life. @thread ctx */
struct udpmux_stats {
	uint64_t datagrams_in;
	uint64_t stun_answered;   /* binding requests that got a success response */
	uint64_t stun_rejected;   /* malformed, failed integrity, no FINGERPRINT, role
				     conflict */
	uint64_t unknown_source;  /* from an address no endpoint checked, a check for a
				     ufrag no endpoint has (one that has gone), a
				     response to no check of ours (late or stray) */
};
void udpmux_stats(const struct udpmux *m, struct udpmux_stats *out);

#endif
