/* sfu.h - the media side of a room (internal to rooms/): a participant's
 * two PeerConnections and the tracks that flow between participants.
 *
 *   producer  an incoming track (one m-section of a publish connection):
 *             its SSRCs, retransmission buffer, receive statistics,
 *             keyframe request throttle, and the consumers fed from it.
 *   consumer  one subscriber's outgoing copy of a producer: its own SSRC,
 *             payload type, and sequence/timestamp rewriting.
 *   pmedia    one participant's media: the publish transport (client
 *             offers) with its producers, the subscribe transport (server
 *             offers) with its consumers, and the negotiation state.
 *
 * Everything here runs on the room's worker; the packet path takes no lock
 * and allocates nothing (packets live in pooled pktbufs). */
#ifndef PARLEY_ROOMS_SFU_H
#define PARLEY_ROOMS_SFU_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "media/codec.h"
#include "media/rtcp.h"
#include "media/sdp.h"
#include "rooms/kfreq.h"
#include "rooms/rewrite.h"

struct dtls_cert;
struct lanes;
struct udpmux;
struct workers;
struct pktbuf;
struct retx;
struct transport;
struct worker;
struct pmedia;
struct producer;

/* Media settings shared by every room (from the configuration). */
struct sfu_cfg {
	struct dtls_cert *cert;          /* borrowed, lives as long as the rooms */
	const char *const *local_addrs;  /* NULL = every interface */
	unsigned port_min, port_max;
	const char *public_ip;           /* NULL none */
	unsigned connect_timeout_s;
	unsigned max_tracks;
	/* Parallel fanout: once a room sends to this many subscribers, new ones
	 * send on the worker with the fewest of the room's (media/lanes.h);
	 * 0 = never. Needs lanes and more than one worker. */
	struct lanes *lanes;             /* borrowed, NULL: none */
	struct workers *workers;         /* borrowed, with lanes */
	unsigned parallel_fanout;
	/* ICE-lite on one port per worker: muxes[worker_index(w)] for a
	 * connection on worker w; NULL: a port per connection (full ICE). */
	struct udpmux **muxes;           /* borrowed */
};

/* What a pmedia asks of its room (callbacks into room.c). */
struct sfu_room_ops {
	/* Queues an event to this participant (takes `data`). */
	void (*event)(void *room_arg, struct pmedia *pm, const char *type, json_t *data);
	/* A producer of `pm` is ready for others / has gone. */
	void (*track_added)(void *room_arg, struct pmedia *pm, struct producer *prod);
	void (*track_removed)(void *room_arg, struct pmedia *pm, struct producer *prod);
	/* The participant's media failed for good (ICE/DTLS failure, timeout);
	 * called from an idle callback, so the room may free `pm`. */
	void (*failed)(void *room_arg, struct pmedia *pm, const char *reason);
	/* The producers a WHEP viewer may watch (a new array of borrowed
	 * producers of the other participants, or of the one it asked for). */
	GPtrArray *(*sources)(void *room_arg, struct pmedia *pm);
	/* The worker that sends `pm`'s media (its subscribe or WHEP viewer
	 * connection), asked once when that connection is made. */
	struct worker *(*send_worker)(void *room_arg, struct pmedia *pm);
};

struct producer {
	struct pmedia *owner;    /* borrowed */
	char id[20];             /* track id "TR_..." */
	char mid[33];
	enum sdp_kind kind;
	enum codec_id codec;
	uint8_t pt;
	int rtx_pt;              /* -1 none */
	uint32_t clock_rate;
	uint32_t ssrc;           /* 0 until known */
	uint32_t rtx_ssrc;
	uint32_t prev_ssrc;      /* the source before the current one: late packets dropped */
	uint32_t prev_rtx_ssrc;  /* and its RTX stream */
	uint32_t sources;        /* SSRCs seen in turn (1 for a stream that never changed) */
	bool muted;
	struct retx *retx;       /* owned; NULL for audio (never retransmitted) */
	struct kfreq kf;
	GPtrArray *consumers;    /* borrowed struct consumer* */
	/* receive statistics (RFC 3550 A.3) for receiver reports */
	bool seq_started;
	uint16_t max_seq;
	uint32_t cycles;
	uint32_t base_seq;
	uint32_t received;
	uint32_t expected_prior, received_prior;
	struct rtcp_jitter jitter;
	uint32_t last_sr_compact;
	int64_t last_sr_us;
	/* upstream NACKs: missing sequence numbers with their retry counts */
	uint16_t nack_seq[64];
	uint8_t nack_tries[64];
	unsigned n_nack;
	uint64_t packets, bytes, keyframes, recovered;
};

struct consumer {
	struct pmedia *owner;    /* borrowed: the subscriber */
	struct producer *prod;   /* borrowed; NULL once the producer is gone */
	char mid[33];            /* ours (subscribe) or the viewer's offer's (WHEP) */
	enum sdp_kind kind;
	uint32_t ssrc;
	uint8_t pt;
	uint32_t clock_rate;
	unsigned offered_version; /* the subscribe offer that first carried it */
	bool negotiated;         /* the subscriber answered an offer with it */
	bool stopped;            /* slot unused (port 0), kept for its mid */
	bool need_keyframe;
	uint8_t mid_ext_id;      /* sends the mid header extension (WHEP), 0: not */
	uint32_t rtx_ssrc;       /* retransmissions as RTX (RFC 4588) when rtx_pt */
	uint8_t rtx_pt;          /* 0: retransmit on the primary SSRC */
	uint16_t rtx_seq;
	struct rewrite rw;
	uint32_t last_ts;        /* for sender reports */
	int64_t last_ts_us;
	uint32_t packets, octets;
	uint64_t retransmitted;
};

/* --- producer / consumer packet path (sfu_forward.c) --- */

int producer_alloc(struct producer **out, struct pmedia *owner, const char *mid,
		   enum sdp_kind kind, enum codec_id codec, uint8_t pt, int rtx_pt,
		   uint32_t clock_rate);
void producer_free(struct producer *p);
/* The publisher sends this track under a new SSRC (a restarted encoder, a
 * new sender): receive state and the retransmission buffer start over, and
 * every consumer goes on without a jump in sequence numbers, timestamps or
 * VP8 picture ids, from the new source's next keyframe. */
void producer_new_source(struct producer *p, uint32_t ssrc, int64_t now_us);
/* An RTP packet from the publisher for this producer (main or RTX SSRC),
 * parsed once by the caller into `v` (a view of pkt). */
struct rtp_view;
void producer_receive(struct producer *p, struct pktbuf *pkt, const struct rtp_view *v,
		      int64_t now_us);
/* A subscriber needs a keyframe; sends a PLI upstream if the throttle allows. */
void producer_request_keyframe(struct producer *p, int64_t now_us);
/* Periodic work: deferred PLIs, NACK retries. */
void producer_tick(struct producer *p, int64_t now_us);
/* Adds this producer's report block. */
void producer_report(struct producer *p, int64_t now_us, struct rtcp_report_block *rb);
/* A sender report from the publisher for this producer. */
void producer_sender_report(struct producer *p, uint64_t ntp, int64_t now_us);
json_t *producer_json(const struct producer *p);

int consumer_alloc(struct consumer **out, struct pmedia *owner, struct producer *prod,
		   const char *mid);
/* Unlinks from the producer and frees. */
void consumer_free(struct consumer *c);
/* Answers a subscriber's NACK for output sequence numbers. */
void consumer_retransmit(struct consumer *c, const uint16_t *seqs, size_t n);

/* --- pmedia (sfu_session.c) --- */

/* Called once per finished negotiation call: err 0 with `sdp` (owned by the
 * callee) for publish, or err != 0 with a message. */
typedef void(pmedia_done_h)(int err, const char *msg, char *sdp, void *arg);

struct pmedia *pmedia_alloc(const struct sfu_cfg *cfg, struct worker *w,
			    const struct sfu_room_ops *ops, void *room_arg, const char *name,
			    const char *pid, bool can_publish, bool can_subscribe);
void pmedia_free(struct pmedia *pm);
const char *pmedia_pid(const struct pmedia *pm);

/* The client's publish offer: answers it (asynchronously once candidates
 * are gathered). Errors: EBADMSG (bad SDP), EACCES (no canPublish), E2BIG
 * (too many tracks), EBUSY (a negotiation is in progress). */
void pmedia_publish(struct pmedia *pm, const char *sdp, size_t len, pmedia_done_h *done,
		    void *arg);
/* The client's answer to subscribe offer `version`. Errors: EBADMSG,
 * ESTALE (not the outstanding offer), EPROTO. */
int pmedia_subscribe_answer(struct pmedia *pm, unsigned version, const char *sdp, size_t len,
			    char *msg, size_t msgsize);
/* The subscribe offer waiting for an answer, if any: *sdp (borrowed until
 * the next offer) and *version; false when none is waiting. */
bool pmedia_pending_offer(const struct pmedia *pm, const char **sdp, unsigned *version);
/* Restarts ICE on the subscribe connection from our side: new local
 * credentials go out in a subscribe offer (now, or after the answer to the
 * offer in flight); *version is that offer's version. ENOENT without a
 * subscribe connection. @thread worker */
int pmedia_subscribe_restart(struct pmedia *pm, unsigned *version, char *msg, size_t msgsize);

/* Trickle ICE fragment for the publish (`sub` false) or subscribe transport.
 * A fragment with new ICE credentials restarts ICE (RFC 9725 §4.3.2): then
 * *reply (g_free) is our fragment with the new credentials and candidates.
 * Errors: ENOENT (no such connection), EBADMSG, EINVAL. */
int pmedia_trickle(struct pmedia *pm, bool sub, const char *frag, size_t len, char **reply,
		   char *msg, size_t msgsize);
/* WHEP: answers a viewer's offer (client offers, recvonly) with one
 * consumer per offered audio/video section, taken in order from the room's
 * producers of that kind (ops->sources). The viewer's
 * connection is not renegotiated later. Errors as pmedia_publish. */
void pmedia_view(struct pmedia *pm, const char *sdp, size_t len, pmedia_done_h *done,
		 void *arg);
/* True for a WHEP viewer (its consumers are fixed at the answer). */
bool pmedia_is_viewer(const struct pmedia *pm);

/* Mutes or unmutes one of this participant's tracks: a muted track is not
 * forwarded; on unmute video consumers wait for a keyframe (requested).
 * Returns the producer, or NULL when `track_id` is not one of its tracks. */
struct producer *pmedia_track_mute(struct pmedia *pm, const char *track_id, bool muted);

/* Starts consuming another participant's producer (renegotiates). */
void pmedia_consume(struct pmedia *pm, struct producer *prod);
/* Stops consuming it (renegotiates). */
void pmedia_unconsume(struct pmedia *pm, struct producer *prod);
/* The producers of this participant (borrowed array). */
GPtrArray *pmedia_producers(struct pmedia *pm);
/* Sends an RTCP packet on the publish or subscribe transport. */
void pmedia_send_rtcp(struct pmedia *pm, bool sub, uint8_t *buf, size_t len, size_t cap);
/* Sends an RTP packet on the subscribe transport. */
int pmedia_send_rtp(struct pmedia *pm, uint8_t *buf, size_t len, size_t cap);
/* The worker that sends this participant's media; NULL before its
 * subscribe (or WHEP viewer) connection exists. */
struct worker *pmedia_send_worker(const struct pmedia *pm);
/* The subscribe transport is connected (media can go out). */
bool pmedia_sub_ready(const struct pmedia *pm);
/* A publisher-side SSRC for RTCP we originate. */
uint32_t pmedia_rtcp_ssrc(const struct pmedia *pm);
json_t *pmedia_tracks_json(const struct pmedia *pm);

#endif
