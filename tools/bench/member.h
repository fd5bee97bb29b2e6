/* member.h - a parley-bench participant that goes through the HTTP API as
 * the browser client does: join (POST .../participants), the event stream
 * (Server-Sent Events, read on a thread of its own), a publish connection
 * (the member offers) and a subscribe connection (the server offers with
 * subscribe_offer events, the member answers and POSTs ?version=N). */
#ifndef PARLEY_BENCH_MEMBER_H
#define PARLEY_BENCH_MEMBER_H

#include "tools/bench/peer.h"

struct bench_member; /* opaque */

struct bench_member_params {
	const char *base_url;               /* http://host:port */
	const char *room;
	const char *identity;
	const char *token;                  /* roomJoin for the room, identity as sub */
	struct worker *w;                   /* borrowed: both connections live there */
	struct dtls_cert *cert;             /* borrowed */
	unsigned srtp_profiles;
	const char *const *local_addrs;
	const struct bench_track *track[2]; /* published (NULL: not) */
	struct bench_sendlog *log[2];       /* the publisher's send times */
	bench_log_for_h *log_for;           /* whose send times a received stream has */
	void *log_arg;
	int64_t t0_us;
	/* called once the member's participant id is known, before anything
	 * is published (to register the id for log_for) */
	void (*joined)(void *arg, const char *participant_id);
	void *joined_arg;
	unsigned max_streams;               /* streams the subscriber may receive */
};

/* Joins, opens the event stream, publishes the tracks (waiting for the
 * answer). Blocking; not on a worker. Returns 0 or an errno with *msg. */
int bench_member_join(struct bench_member **out, const struct bench_member_params *p, char *msg,
		      size_t msgsize);

const char *bench_member_id(const struct bench_member *m);

/* Figures of the two connections (zeroed when a connection does not exist)
 * and the first error of the member's signaling, if any. */
void bench_member_stats(struct bench_member *m, struct bench_peer_stats *pub,
			struct bench_peer_stats *sub, char *error, size_t errsize);

/* Leaves (DELETE), stops the event stream and both connections. NULL is fine. */
void bench_member_leave(struct bench_member *m);

#endif
