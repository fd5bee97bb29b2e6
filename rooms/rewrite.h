/* rewrite.h - keeps a consumer's outgoing RTP stream continuous. A consumer
 * sends under its own SSRC; when its source changes (another producer, a
 * simulcast layer, a restart of the publisher) the sequence numbers go on
 * without a jump, timestamps advance by the wall time that passed, and VP8
 * picture ids and TL0PICIDX continue, so the receiver's jitter buffer and
 * decoder see one stream. Plain value type, no allocation: one per consumer,
 * used on its room's worker. */
#ifndef PARLEY_ROOMS_REWRITE_H
#define PARLEY_ROOMS_REWRITE_H

#include <stdbool.h>
#include <stdint.h>

struct rewrite {
	uint32_t clock_rate;
	bool started;   /* a packet has been sent */
	bool pending;   /* the next packet starts a new source */
	uint16_t seq_off;
	uint32_t ts_off;
	uint16_t pid_off;
	uint8_t tl0_off;
	uint16_t src_first_seq; /* first input seq of the current source */
	uint16_t out_seq;       /* highest output values so far */
	uint32_t out_ts;
	uint16_t out_pid;
	uint8_t out_tl0;
	int64_t out_us;         /* when out_ts was sent */
};

/* Starts a rewriter for a stream of `clock_rate` Hz (90000 video, 48000 Opus). */
void rewrite_init(struct rewrite *w, uint32_t clock_rate);

/* The next packet mapped comes from a new source. */
void rewrite_switch(struct rewrite *w);

/* Maps a packet's sequence number and timestamp. Returns false when the
 * packet is older than the current source's first packet (drop it). */
bool rewrite_map(struct rewrite *w, uint16_t seq, uint32_t ts, int64_t now_us,
		 uint16_t *out_seq, uint32_t *out_ts);

/* Maps a VP8 picture id (15-bit space) and TL0PICIDX of the packet just
 * mapped; the first packet of a new source continues from the last ones. */
void rewrite_map_vp8(struct rewrite *w, bool new_source_packet, uint16_t pid, uint8_t tl0,
		     uint16_t *out_pid, uint8_t *out_tl0);

#endif
