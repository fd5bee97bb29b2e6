/* codec.h - payload facts the SFU needs without decoding media: VP8's
 * payload descriptor (RFC 7741: keyframes, picture id, layer indices) and
 * the codecs parley forwards. Parsing reads the payload in place and never
 * allocates; this runs for every video packet. */
#ifndef PARLEY_MEDIA_CODEC_H
#define PARLEY_MEDIA_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum codec_id {
	CODEC_NONE = 0,
	CODEC_OPUS,
	CODEC_VP8,
	CODEC_RTX,
};

/* The codec for an SDP encoding name ("opus", "VP8", "rtx"; case-insensitive),
 * CODEC_NONE for others. @thread any */
enum codec_id codec_from_name(const char *name);

/* The SDP encoding name of a codec. @thread any */
const char *codec_name(enum codec_id id);

struct vp8_desc {
	bool start;          /* S: first packet of a partition */
	uint8_t partition;   /* PID */
	bool has_picture_id;
	bool picture_id_15;  /* 15-bit (M bit) rather than 7-bit */
	uint16_t picture_id;
	bool has_tl0picidx;
	uint8_t tl0picidx;
	bool has_tid;
	uint8_t tid;         /* temporal layer index */
	bool layer_sync;     /* Y */
	bool has_keyidx;
	uint8_t keyidx;
	size_t header_len;   /* bytes before the VP8 payload */
	bool keyframe;       /* start of partition 0 of a key frame */
};

/* Parses the VP8 payload descriptor at the start of an RTP payload. Returns
 * 0 or EBADMSG (truncated or reserved-bit nonsense). @thread any */
int vp8_desc_parse(struct vp8_desc *d, const uint8_t *payload, size_t len);

/* Overwrites the picture id in place with `id` (masked to its 7 or 15 bits)
 * and the TL0PICIDX with `tl0` where present. Returns 0 or EINVAL when the
 * descriptor has no picture id. @thread any */
int vp8_desc_rewrite(uint8_t *payload, const struct vp8_desc *d, uint16_t id, uint8_t tl0);

#endif
