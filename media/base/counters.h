/* counters.h - media counters for /metrics without locks or shared cache
 * lines on the packet path: every thread counts into its own block, and a
 * scrape sums the blocks. A block is written only by its thread (relaxed
 * stores) and read by others (relaxed loads). */
#ifndef PARLEY_MEDIA_BASE_COUNTERS_H
#define PARLEY_MEDIA_BASE_COUNTERS_H

#include <stdint.h>

#define MEDIA_DELAY_BUCKETS 16

struct media_counters {
	uint64_t rtp_in, rtp_out;     /* packets */
	uint64_t rtcp_in, rtcp_out;
	uint64_t bytes_in, bytes_out; /* datagram bytes on the wire */
	uint64_t srtp_errors;         /* failed unprotect: auth, replay, malformed */
	uint64_t dropped;             /* not DTLS/RTP/RTCP, or media before keys */
	uint64_t send_errors;         /* no ICE pair, socket full */
	uint64_t retransmits;         /* packets resent for subscribers' NACKs */
	uint64_t nacks_out;           /* NACK packets sent to publishers */
	uint64_t plis_out;            /* keyframe requests sent to publishers */
	uint64_t transports_failed;   /* ICE/DTLS failures and timeouts */
	uint64_t ice_restarts;        /* by the peer or by us */
	uint64_t ice_failures;        /* check lists failed on a connected transport */
	uint64_t lane_sent;           /* datagrams sent by a worker for another (media/lanes.h) */
	uint64_t lane_full;           /* datagrams sent by their own worker: the lane was full */
	uint64_t stun_rejected;       /* STUN on a media port: malformed, unknown ufrag, bad
					 integrity (media/udpmux.h) */
	uint64_t udp_unknown;         /* datagrams on a media port from no checked address */
	/* Forwarding delay, per copy of an RTP packet: from the kernel's stamp
	 * of the packet's arrival to the copy's hand-over to the kernel for
	 * sending (so the time it waited in the socket counts). Not
	 * cumulative: fwd_delay[i] counts copies above media_delay_bounds_us[i
	 * - 1] and up to media_delay_bounds_us[i]; the last, the rest. */
	uint64_t fwd_delay[MEDIA_DELAY_BUCKETS + 1];
	uint64_t fwd_delay_us;        /* their sum */
};

/* The histogram's upper bounds in microseconds, ascending. */
extern const uint32_t media_delay_bounds_us[MEDIA_DELAY_BUCKETS];

/* Copies counted in `c`'s histogram. */
uint64_t media_delay_count(const struct media_counters *c);

/* Counts one copy sent `us` after its packet arrived (negative: 0). */
void media_delay_add(int64_t us);

/* The arrival (kernel stamp, Unix microseconds) of the RTP packet this
 * thread is forwarding: set by the transport around its packet handler,
 * read by whatever sends a copy (media/ice.c, media/lanes.c). 0: none
 * (not forwarding, or the socket gave no stamp). */
void media_arrival_set(int64_t unix_us);
int64_t media_arrival(void);

/* Counts a copy of the packet being forwarded as sent now, if there is
 * one. */
void media_delay_sent(void);

/* This thread's block (made on first use, kept until exit). @thread any */
struct media_counters *media_counters_local(void);

/* The sum over every thread's block. @thread any */
void media_counters_sum(struct media_counters *out);

/* Adds n to a counter of this thread's block. */
#define MEDIA_COUNT(field, n)                                                       \
	do {                                                                        \
		struct media_counters *mc_ = media_counters_local();                \
		__atomic_store_n(&mc_->field,                                       \
				 __atomic_load_n(&mc_->field, __ATOMIC_RELAXED) + (n),      \
				 __ATOMIC_RELAXED);                                         \
	} while (0)

#endif
