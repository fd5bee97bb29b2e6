/* peer.h - one of parley-bench's connections to parleyd, made of parley's
 * own media stack: a transport (libnice ICE, DTLS, SRTP) on a worker
 * thread, an SDP offer built with media/sdp, and a WHIP (publish) or WHEP
 * (watch) exchange over HTTP. A publisher sends the looped tracks paced in
 * real time and logs each packet's send time; a viewer checks sequence
 * numbers and matches packets to send times for the delay through the
 * server, without decoding. */
#ifndef PARLEY_BENCH_PEER_H
#define PARLEY_BENCH_PEER_H

#include <stdbool.h>
#include <stdint.h>

#include "media/base/worker.h"
#include "media/dtls.h"
#include "tools/bench/source.h"
#include "tools/bench/stats.h"

struct bench_peer; /* opaque */

enum { BENCH_AUDIO = 0, BENCH_VIDEO = 1 };

enum bench_peer_mode {
	BENCH_PEER_WHIP,      /* publish: POST the offer to a WHIP endpoint (201) */
	BENCH_PEER_WHEP,      /* watch: POST a recvonly offer to a WHEP endpoint (201) */
	BENCH_PEER_API_PUB,   /* publish: POST the offer to .../{pid}/publish (200) */
	BENCH_PEER_API_SUB,   /* subscribe: answer the server's subscribe offers */
};

/* Which send-time log belongs to a publisher's track: subscribe connections
 * see the publisher's participant id in each section's a=msid. */
typedef struct bench_sendlog *(bench_log_for_h)(void *arg, const char *participant_id, int kind);

struct bench_peer_params {
	enum bench_peer_mode mode;
	const char *url;                    /* WHIP/WHEP endpoint or .../publish; not for API_SUB */
	const char *token;
	struct worker *w;                   /* borrowed: where the transport lives */
	struct dtls_cert *cert;             /* borrowed */
	unsigned srtp_profiles;             /* DTLS_SRTP_* bits offered */
	const char *const *local_addrs;     /* ICE gathering addresses */
	/* publish: what is sent (NULL: no such section); WHEP: which sections
	 * are offered (non-NULL) */
	const struct bench_track *track[2];
	/* publish: written per packet; WHEP: read to match packets */
	struct bench_sendlog *log[2];
	bench_log_for_h *log_for;           /* API_SUB */
	void *log_arg;
	unsigned max_streams;               /* streams received at most (0: 8) */
	int64_t t0_us;                      /* g_get_real_time() at bench start: send
					       times are wall clock, like kernel stamps */
	int64_t join_start_us;              /* when joining began (API); 0: the POST */
	const char *name;                   /* for logs */
};

struct bench_peer_stats {
	bool connected;
	bool closed;                        /* the transport died */
	char error[160];
	char srtp_profile[32];
	int64_t offer_us;                   /* join start to the first subscribe offer (API_SUB); -1 */
	int64_t connected_us;               /* join start (or POST) to ICE + DTLS done; -1 */
	int64_t join_us;                    /* join start to first media packet (receiving) or
					       connected (publishing); -1 none */
	uint64_t rtp_in, rtp_out, bytes_in, bytes_out, rtcp_in;
	uint64_t rtx_in;                    /* retransmissions received */
	uint64_t plis_in, nacks_in;         /* feedback received (publish) */
	uint64_t rtx_out;                   /* retransmissions sent for NACKs (publish) */
	uint64_t nacks_out;                 /* NACKs sent for gaps (subscribe) */
	uint64_t unmatched;                 /* received packets with no send time */
	unsigned streams[2];                /* streams received from, per kind */
	uint64_t expected, received, lost, duplicates, reordered; /* over every stream */
	uint64_t expected_kind[2], lost_kind[2];                   /* the same per kind */
	struct bench_hist delay;            /* send -> receive, microseconds */
};

/* WHIP, WHEP and API_PUB: builds the offer on the peer's worker, POSTs it,
 * applies the answer; the connection then comes up by itself (publishers
 * start sending once connected). API_SUB: only makes the peer; offers come
 * through bench_peer_answer. Blocking; any thread but a worker. Returns 0
 * or an errno with *msg saying why (HTTP status and error, SDP, transport). */
int bench_peer_start(struct bench_peer **out, const struct bench_peer_params *p, char *msg,
		     size_t msgsize);

/* API_SUB: answers a subscribe offer (on the worker) and returns the
 * answer (g_free). Returns 0 or EBADMSG/EPROTO with *msg. Blocking. */
int bench_peer_answer(struct bench_peer *p, const char *offer, size_t len, char **answer,
		      char *msg, size_t msgsize);

/* A copy of the peer's figures so far. Blocking (runs on the worker). */
void bench_peer_stats(struct bench_peer *p, struct bench_peer_stats *out);

/* Stops sending, DELETEs the WHIP/WHEP session (unless `quiet`), frees the
 * transport on its worker and the peer. NULL is fine. Blocking. */
void bench_peer_stop(struct bench_peer *p, bool quiet);

#endif
