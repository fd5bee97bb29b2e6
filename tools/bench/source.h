/* source.h - the media parley-bench publishes: VP8 frames encoded once with
 * libvpx from a synthetic moving picture, and Opus frames encoded once with
 * libopus from a synthetic tone, then looped. Packets are cut per frame into
 * RTP payloads (VP8: RFC 7741 descriptor with a 15-bit picture id written at
 * send time, so ids keep increasing across loops). A pacer says when the next
 * frame is due. Encoding happens at start-up; sending allocates nothing. */
#ifndef PARLEY_BENCH_SOURCE_H
#define PARLEY_BENCH_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bench_track; /* opaque: the encoded frames of one track */

struct bench_video_params {
	unsigned width, height;  /* even, 16..3840 x 16..2160 */
	unsigned fps;            /* 1..120 */
	unsigned bitrate_kbps;   /* target, 50..50000 */
	unsigned seconds;        /* length of the loop, 1..60 */
	unsigned keyframe_every; /* frames between keyframes in the loop (0: fps * 2) */
	size_t max_payload;      /* RTP payload bytes per packet incl. the descriptor, 200..1400 */
};

struct bench_audio_params {
	unsigned bitrate_bps;    /* 6000..510000 */
	unsigned seconds;        /* 1..60 */
	unsigned frame_ms;       /* 10, 20, 40 or 60 */
};

/* Encodes the loop. Returns 0, EINVAL (params out of range) or EIO (the
 * encoder failed; *msg says why). @thread any */
int bench_video_make(struct bench_track **out, const struct bench_video_params *p, char *msg,
		     size_t msgsize);
int bench_audio_make(struct bench_track **out, const struct bench_audio_params *p, char *msg,
		     size_t msgsize);
void bench_track_free(struct bench_track *t);

/* Frames in the loop (>= 1). */
unsigned bench_track_frames(const struct bench_track *t);
/* RTP clock ticks from one frame to the next (90000/fps, or 48 * frame_ms). */
uint32_t bench_track_frame_ticks(const struct bench_track *t);
/* Microseconds from one frame to the next. */
int64_t bench_track_frame_us(const struct bench_track *t);
/* Frame `i` (< frames) is a keyframe (always true for audio). */
bool bench_track_keyframe(const struct bench_track *t, unsigned i);
/* The next keyframe at or after frame i, wrapping around the loop. */
unsigned bench_track_next_keyframe(const struct bench_track *t, unsigned i);
/* Packets of frame i (>= 1). */
unsigned bench_track_packets(const struct bench_track *t, unsigned i);
/* Average payload bytes per second of the loop (for the report). */
uint64_t bench_track_bytes_per_second(const struct bench_track *t);

/* Writes the RTP payload of packet k (< packets) of frame i into buf and
 * returns its length (0 when cap is too small). VP8: descriptor (X=1, S on
 * the first packet, partition 0, I=1 with the 15-bit `picture_id`) then the
 * frame's bytes; *marker is set on the frame's last packet. Opus: the frame,
 * *marker false. Allocates nothing. @thread any */
size_t bench_track_packet(const struct bench_track *t, unsigned i, unsigned k,
			  uint16_t picture_id, uint8_t *buf, size_t cap, bool *marker);

/* When frames are due: frame n at start + n * interval. */
struct bench_pacer {
	int64_t start_us;
	int64_t interval_us;
	uint64_t next;           /* the next frame number to send */
};

void bench_pacer_init(struct bench_pacer *p, int64_t start_us, int64_t interval_us);
/* Frames due at now_us that were not taken yet, at most max_burst (frames
 * further behind are skipped, so a stalled sender does not flood). Takes
 * them: the caller sends that many frames. */
unsigned bench_pacer_take(struct bench_pacer *p, int64_t now_us, unsigned max_burst);
/* Microseconds until the next frame is due (0 if it is due now). */
int64_t bench_pacer_wait_us(const struct bench_pacer *p, int64_t now_us);

#endif
