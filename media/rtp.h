/* rtp.h - RTP packets (RFC 3550) and their header extensions (RFC 8285) on
 * the packet path: a parser that fills a view into the caller's buffer
 * (no copy, no allocation), readers for the extensions WebRTC negotiates,
 * in-place rewriting for the SFU (seq, timestamp, SSRC, marker, extension
 * values), a small header builder, sequence/timestamp unwrapping, and the
 * first-byte demultiplexing of RFC 7983 / RFC 5761.
 *
 * Nothing here keeps state between calls except the unwrappers, which belong
 * to their caller: every function is @thread any, on data the calling thread
 * owns (in practice: the room's worker). Errors are returned as
 * positive errno values: EBADMSG for malformed input, ENOENT for "not
 * present", EINVAL for a bad argument, ENOSPC when a buffer is too small. */
#ifndef PARLEY_MEDIA_RTP_H
#define PARLEY_MEDIA_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTP_HEADER_SIZE 12       /* fixed header, no CSRC, no extension */
#define RTP_MAX_CSRC 15
#define RTP_EXT_ONE_BYTE 0xBEDE  /* RFC 8285 profile values */
#define RTP_EXT_TWO_BYTE 0x1000  /* 0x1000..0x100F: the low 4 bits are app bits */
#define RTP_EXT_ONE_BYTE_MAX_LEN 16
#define RTP_EXT_TWO_BYTE_MAX_LEN 255

/* What rtp_parse found. Every pointer and offset refers to the buffer that
 * was parsed, which the caller keeps alive and unchanged while it uses the
 * view. The offsets are also valid in a copy of that buffer, which is how
 * the rewriting functions below take them. */
struct rtp_view {
	const uint8_t *buf; /* borrowed: the packet */
	size_t len;         /* bytes of the packet, padding included */
	uint32_t ts;
	uint32_t ssrc;
	uint16_t seq;
	uint8_t pt;         /* 0..127 */
	bool marker;
	uint8_t csrc_count; /* 0..15; read them with rtp_csrc */
	uint8_t pad_len;    /* padding bytes at the end, count byte included; 0 if none */
	bool has_ext;       /* X bit: ext_* are meaningful */
	uint16_t ext_profile; /* "defined by profile": 0xBEDE, 0x100x or anything else */
	size_t ext_off;     /* first byte after the 4-byte extension header */
	size_t ext_len;     /* bytes of extension data (4 * its length field) */
	size_t payload_off;
	size_t payload_len; /* may be 0 (e.g. padding-only probes) */
};

/* One header extension element: found by the iterator or rtp_ext_find, or
 * given to rtp_write_header. `data` is borrowed. */
struct rtp_ext {
	uint8_t id;  /* 1..14 (one-byte form) or 1..255 (two-byte form) */
	size_t len;  /* 1..16 (one-byte), 0..255 (two-byte) */
	const uint8_t *data;
};

/* Walks the extension elements of a view. Fields are private. */
struct rtp_ext_iter {
	const uint8_t *p;
	const uint8_t *end;
	bool two_byte;
};

/* Fields for rtp_write_header. */
struct rtp_header {
	bool marker;
	uint8_t pt;             /* 0..127 */
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	const uint32_t *csrc;   /* borrowed; csrc_count entries (0..15) */
	unsigned csrc_count;
	const struct rtp_ext *ext; /* borrowed; one-byte form; NULL when ext_count is 0 */
	unsigned ext_count;
};

/* What the first byte of a datagram on a WebRTC 5-tuple is (RFC 7983),
 * RTP and RTCP told apart by the second byte (RFC 5761). */
enum rtp_class {
	RTP_CLASS_UNKNOWN = 0, /* drop it */
	RTP_CLASS_STUN,        /* 0..3 */
	RTP_CLASS_ZRTP,        /* 16..19 */
	RTP_CLASS_DTLS,        /* 20..63 */
	RTP_CLASS_TURN,        /* 64..79: TURN ChannelData */
	RTP_CLASS_RTP,         /* 128..191, second byte outside 192..223 */
	RTP_CLASS_RTCP,        /* 128..191, second byte 192..223 */
};

/* Parses an RTP packet of `len` bytes into `v`. Checks version 2, that the
 * CSRCs and the extension block fit, and that the padding count is at least
 * 1 and fits after the header; the extension elements themselves are
 * checked when they are read. Returns 0 or EBADMSG (then `v` is
 * unspecified). Never allocates, never reads outside buf[0..len). */
int rtp_parse(struct rtp_view *v, const uint8_t *buf, size_t len);

/* CSRC number `i` (< v->csrc_count). */
uint32_t rtp_csrc(const struct rtp_view *v, unsigned i);

/* The payload (v->payload_len bytes). */
static inline const uint8_t *rtp_payload(const struct rtp_view *v)
{
	return v->buf + v->payload_off;
}

/* Starts walking the extension elements of `v`; a view without an RFC 8285
 * extension block walks nothing. */
void rtp_ext_iter_init(struct rtp_ext_iter *it, const struct rtp_view *v);

/* The next element (padding bytes skipped; a one-byte ID 15 ends the walk
 * as RFC 8285 says). Returns 0, ENOENT at the end, or EBADMSG when an
 * element overruns the block (the walk then stays ended). */
int rtp_ext_iter_next(struct rtp_ext_iter *it, struct rtp_ext *e);

/* The first element with `id`: *data points into the packet, *len is its
 * length. Returns 0, ENOENT (absent, or id 0), or EBADMSG when the elements
 * before it are malformed. */
int rtp_ext_find(const struct rtp_view *v, uint8_t id, const uint8_t **data, size_t *len);

/* The value of an RTP SDES extension (sdes:mid, sdes:rtp-stream-id,
 * sdes:repaired-rtp-stream-id) copied into `out` of `size` bytes with a NUL.
 * As libwebrtc does, a NUL inside the value ends it. Returns 0, ENOENT,
 * EBADMSG (empty, or a byte outside visible ASCII 0x21..0x7E), or ENOSPC. */
int rtp_ext_get_sdes(const struct rtp_view *v, uint8_t id, char *out, size_t size);

/* abs-send-time: 24-bit 6.18 fixed-point seconds. Returns 0, ENOENT or
 * EBADMSG (length other than 3). */
int rtp_ext_get_abs_send_time(const struct rtp_view *v, uint8_t id, uint32_t *out);

/* transport-wide-cc (draft-holmer-rmcat-transport-wide-cc-extensions-01):
 * 16-bit sequence number. Returns 0, ENOENT or EBADMSG (length other than 2). */
int rtp_ext_get_twcc_seq(const struct rtp_view *v, uint8_t id, uint16_t *out);

/* ssrc-audio-level (RFC 6464): voice activity flag and level in -dBov
 * (0 loudest .. 127 silence). Returns 0, ENOENT or EBADMSG (length other
 * than 1). */
int rtp_ext_get_audio_level(const struct rtp_view *v, uint8_t id, bool *voice, uint8_t *level);

/* Overwrites the value of the existing element `id` with `len` bytes of
 * `data`, in `buf`: the buffer `v` was parsed from or a copy of at least its
 * first v->payload_off bytes. Returns 0, ENOENT, EBADMSG, or EINVAL when the
 * element's length differs from `len` (the packet is never resized). */
int rtp_ext_set(const struct rtp_view *v, uint8_t *buf, uint8_t id, const void *data,
		size_t len);

/* rtp_ext_set for abs-send-time (the low 24 bits of `val`). */
int rtp_ext_set_abs_send_time(const struct rtp_view *v, uint8_t *buf, uint8_t id, uint32_t val);

/* rtp_ext_set for the transport-wide-cc sequence number. */
int rtp_ext_set_twcc_seq(const struct rtp_view *v, uint8_t *buf, uint8_t id, uint16_t seq);

/* Header rewriting in place. `buf` holds at least RTP_HEADER_SIZE bytes of
 * an RTP packet (one that rtp_parse accepted, or a copy of its header). */
static inline void rtp_set_seq(uint8_t *buf, uint16_t seq)
{
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
}

static inline void rtp_set_ts(uint8_t *buf, uint32_t ts)
{
	buf[4] = (uint8_t)(ts >> 24);
	buf[5] = (uint8_t)(ts >> 16);
	buf[6] = (uint8_t)(ts >> 8);
	buf[7] = (uint8_t)ts;
}

static inline void rtp_set_ssrc(uint8_t *buf, uint32_t ssrc)
{
	buf[8] = (uint8_t)(ssrc >> 24);
	buf[9] = (uint8_t)(ssrc >> 16);
	buf[10] = (uint8_t)(ssrc >> 8);
	buf[11] = (uint8_t)ssrc;
}

static inline void rtp_set_marker(uint8_t *buf, bool marker)
{
	buf[1] = (uint8_t)((buf[1] & 0x7f) | (marker ? 0x80 : 0));
}

/* `pt` is 0..127 (higher bits are dropped). */
static inline void rtp_set_pt(uint8_t *buf, uint8_t pt)
{
	buf[1] = (uint8_t)((buf[1] & 0x80) | (pt & 0x7f));
}

/* Writes an RTP header (version 2, no padding) with its CSRCs and, when
 * h->ext_count > 0, a one-byte-form extension block padded with zeros to a
 * 32-bit boundary, into `buf` of `size` bytes; *len gets the header length
 * (the payload goes at buf + *len). Returns 0, EINVAL (pt > 127, more than
 * 15 CSRCs, an extension id outside 1..14 or length outside 1..16), or
 * ENOSPC (nothing useful is written then). */
int rtp_write_header(uint8_t *buf, size_t size, const struct rtp_header *h, size_t *len);

/* True when `a` comes after `b` modulo 2^16: 0 < a - b < 0x8000. Two
 * numbers exactly 0x8000 apart are neither newer than the other. */
static inline bool rtp_seq_newer(uint16_t a, uint16_t b)
{
	return (uint16_t)(a - b - 1) < 0x7fff;
}

/* The same for 32-bit RTP timestamps. */
static inline bool rtp_ts_newer(uint32_t a, uint32_t b)
{
	return (uint32_t)(a - b - 1) < 0x7fffffffu;
}

/* Unwraps 16-bit sequence numbers into a 64-bit count. The first value is
 * taken as is (cycle 0); each next one is placed at the distance from the
 * previous value that is smallest modulo 2^16 (a jump of exactly 0x8000 is
 * taken as backwards). Values older than the first across a wrap come out
 * negative. The RTCP "extended highest sequence number" is the low 32 bits
 * of the highest result. Zero-initialise or use rtp_seq_unwrap_init. */
struct rtp_seq_unwrap {
	int64_t last;
	bool started;
};

void rtp_seq_unwrap_init(struct rtp_seq_unwrap *u);
int64_t rtp_seq_unwrap(struct rtp_seq_unwrap *u, uint16_t seq);

/* The same for 32-bit RTP timestamps. */
struct rtp_ts_unwrap {
	int64_t last;
	bool started;
};

void rtp_ts_unwrap_init(struct rtp_ts_unwrap *u);
int64_t rtp_ts_unwrap(struct rtp_ts_unwrap *u, uint32_t ts);

/* Classifies a datagram by its first byte (and second, for RTP vs RTCP).
 * An empty datagram, or an RTP/RTCP one shorter than 2 bytes, is UNKNOWN. */
enum rtp_class rtp_classify(const uint8_t *buf, size_t len);

/* True when buf[1] is in 192..223: a packet in the RTP/RTCP range is RTCP
 * (RFC 5761 section 4). Looks at the second byte only; false if len < 2. */
static inline bool rtp_is_rtcp(const uint8_t *buf, size_t len)
{
	return len >= 2 && buf[1] >= 192 && buf[1] <= 223;
}

#endif
