/* rtcp.h - RTCP (RFC 3550) with the feedback messages WebRTC uses (RFC 4585
 * NACK and PLI, RFC 5104 FIR, draft-alvestrand-rmcat-remb REMB, transport-cc
 * recognised): an iterator over compound packets and parsers that read in
 * place (no copy, no allocation), builders that append to a caller buffer,
 * and the arithmetic of report blocks and NTP timestamps.
 *
 * Pointers in parsed structs point into the caller's buffer, which must stay
 * alive and unchanged while they are used. Nothing here keeps state except
 * the caller-owned iterators, writer and jitter estimator: every function is
 * @thread any, on data the calling thread owns (the room's worker).
 * Errors are positive errno values: EBADMSG malformed input, ENOENT "not
 * this kind", EINVAL bad argument, ENOSPC buffer too small. */
#ifndef PARLEY_MEDIA_RTCP_H
#define PARLEY_MEDIA_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Packet types (the PT byte). */
enum rtcp_type {
	RTCP_SR = 200,
	RTCP_RR = 201,
	RTCP_SDES = 202,
	RTCP_BYE = 203,
	RTCP_APP = 204,
	RTCP_RTPFB = 205, /* transport-layer feedback, RFC 4585 */
	RTCP_PSFB = 206,  /* payload-specific feedback, RFC 4585 */
	RTCP_XR = 207,
};

/* FMT values of feedback messages. */
enum rtcp_fmt {
	RTCP_RTPFB_NACK = 1,
	RTCP_RTPFB_TWCC = 15, /* transport-wide congestion control feedback */
	RTCP_PSFB_PLI = 1,
	RTCP_PSFB_FIR = 4,
	RTCP_PSFB_AFB = 15,   /* application layer feedback: REMB among others */
};

/* What one element of a compound packet is, type and FMT (and the REMB
 * identifier) taken together. */
enum rtcp_kind {
	RTCP_KIND_OTHER = 0, /* an unknown type or FMT: skip it */
	RTCP_KIND_SR,
	RTCP_KIND_RR,
	RTCP_KIND_SDES,
	RTCP_KIND_BYE,
	RTCP_KIND_APP,
	RTCP_KIND_XR,
	RTCP_KIND_NACK,
	RTCP_KIND_TWCC,
	RTCP_KIND_PLI,
	RTCP_KIND_FIR,
	RTCP_KIND_REMB,
	RTCP_KIND_AFB, /* application layer feedback other than REMB */
};

#define RTCP_SDES_CNAME 1
#define RTCP_MAX_COUNT 31        /* report blocks, SDES chunks, BYE SSRCs */
#define RTCP_REPORT_BLOCK_SIZE 24
#define RTCP_MAX_PACKET (4 * 65536) /* the 16-bit length field's limit */

/* One element of a compound packet, as rtcp_iter_next fills it (the parsers
 * below take it from there). */
struct rtcp_pkt {
	enum rtcp_kind kind;
	uint8_t type;        /* PT */
	uint8_t count;       /* RC, SC or FMT: the 5 low bits of the first byte */
	const uint8_t *data; /* borrowed: the element, common header included */
	size_t len;          /* 4 * (length field + 1), padding included */
	const uint8_t *body; /* borrowed: after the 4-byte common header */
	size_t body_len;     /* padding excluded */
};

/* Walks a compound packet. Fields are private. */
struct rtcp_iter {
	const uint8_t *p;
	const uint8_t *end;
};

/* Checks the whole compound packet and starts walking it: every element has
 * version 2 and a length that fits, the lengths add up to `len` exactly, only
 * the last element has the padding bit, and its padding count is 1..its body
 * size. Returns 0 or EBADMSG (an empty buffer is malformed too); after an
 * error rtcp_iter_next yields nothing. The first element is not required to
 * be an SR or RR (RFC 5506 reduced-size RTCP). */
int rtcp_iter_init(struct rtcp_iter *it, const uint8_t *buf, size_t len);

/* The next element, or false at the end. */
bool rtcp_iter_next(struct rtcp_iter *it, struct rtcp_pkt *out);

/* --- Sender and receiver reports ---------------------------------------- */

struct rtcp_sender_info {
	uint64_t ntp;     /* NTP timestamp, 32.32 fixed point */
	uint32_t rtp_ts;
	uint32_t packets;
	uint32_t octets;
};

struct rtcp_report_block {
	uint32_t ssrc;            /* the source reported on */
	uint8_t fraction_lost;    /* 8-bit fixed point fraction */
	int32_t cumulative_lost;  /* 24-bit signed: -0x800000..0x7fffff */
	uint32_t ext_highest_seq; /* cycles << 16 | highest sequence number */
	uint32_t jitter;          /* in RTP timestamp units */
	uint32_t lsr;             /* middle 32 bits of the last SR's NTP time */
	uint32_t dlsr;            /* delay since that SR, 1/65536 s */
};

/* Report blocks in place: `count` blocks of RTCP_REPORT_BLOCK_SIZE bytes. */
struct rtcp_reports {
	unsigned count;
	const uint8_t *data; /* borrowed */
};

struct rtcp_sr {
	uint32_t ssrc;
	struct rtcp_sender_info info;
	struct rtcp_reports reports;
};

struct rtcp_rr {
	uint32_t ssrc;
	struct rtcp_reports reports;
};

/* An SR: sender info and RC report blocks (profile-specific extensions
 * after them are ignored). Returns 0, ENOENT (not an SR) or EBADMSG. */
int rtcp_sr_parse(const struct rtcp_pkt *p, struct rtcp_sr *out);

/* An RR. Returns 0, ENOENT (not an RR) or EBADMSG. */
int rtcp_rr_parse(const struct rtcp_pkt *p, struct rtcp_rr *out);

/* Report block `i` (< r->count). */
void rtcp_reports_get(const struct rtcp_reports *r, unsigned i, struct rtcp_report_block *out);

/* --- SDES --------------------------------------------------------------- */

struct rtcp_sdes_item {
	uint32_t ssrc;       /* of the chunk the item is in */
	uint8_t type;        /* RTCP_SDES_CNAME, ... */
	uint8_t len;
	const uint8_t *data; /* borrowed; not NUL-terminated */
};

/* Walks the items of an SDES packet. Fields are private. */
struct rtcp_sdes_iter {
	const uint8_t *base; /* the body: chunks are 32-bit aligned from here */
	const uint8_t *p;
	const uint8_t *end;
	uint32_t ssrc;
	unsigned chunks_left;
	bool in_chunk;
};

/* Checks an SDES packet (exactly SC chunks, each an SSRC and items ending
 * with a null item within the packet, items within their chunk) and starts
 * walking its items. Returns 0, ENOENT (not SDES) or EBADMSG. */
int rtcp_sdes_iter_init(struct rtcp_sdes_iter *it, const struct rtcp_pkt *p);

/* The next item of any type, or false at the end. */
bool rtcp_sdes_iter_next(struct rtcp_sdes_iter *it, struct rtcp_sdes_item *out);

/* The first CNAME of an SDES packet, copied into `out` of `size` bytes with
 * a NUL; *ssrc gets its chunk's SSRC. Returns 0, ENOENT (not SDES, or no
 * CNAME), EBADMSG, or ENOSPC. */
int rtcp_sdes_cname(const struct rtcp_pkt *p, uint32_t *ssrc, char *out, size_t size);

/* --- BYE ---------------------------------------------------------------- */

struct rtcp_bye {
	unsigned count;        /* SSRCs; read them with rtcp_bye_ssrc */
	const uint8_t *ssrcs;  /* borrowed */
	const uint8_t *reason; /* borrowed, not NUL-terminated; NULL if none */
	size_t reason_len;
};

/* Returns 0, ENOENT (not a BYE) or EBADMSG (SSRCs or reason overrun). */
int rtcp_bye_parse(const struct rtcp_pkt *p, struct rtcp_bye *out);

uint32_t rtcp_bye_ssrc(const struct rtcp_bye *b, unsigned i);

/* --- Feedback (RFC 4585) ------------------------------------------------ */

/* The common part of an RTPFB or PSFB message. */
struct rtcp_fb {
	uint8_t fmt;
	uint32_t sender_ssrc;
	uint32_t media_ssrc;
	const uint8_t *fci; /* borrowed: feedback control information */
	size_t fci_len;
};

/* Any RTPFB or PSFB message (PLI, TWCC and others need nothing more).
 * Returns 0, ENOENT (not feedback) or EBADMSG (shorter than two SSRCs). */
int rtcp_fb_parse(const struct rtcp_pkt *p, struct rtcp_fb *out);

/* In rtcp_nack_parse, rtcp_fir_parse and rtcp_remb_parse, `fb` (may be
 * NULL) gets the common feedback fields. */

/* A generic NACK's lost packets: every PID and the packets its BLP marks,
 * in packet order, into `seqs` (at most `max`); *n gets how many were
 * written. Returns 0, ENOENT (not a NACK), EBADMSG (no FCI, or FCI not a
 * multiple of 4), or ENOSPC when `max` was too small (the first `max` are
 * written). */
int rtcp_nack_parse(const struct rtcp_pkt *p, struct rtcp_fb *fb, uint16_t *seqs, size_t max,
		    size_t *n);

struct rtcp_fir_entry {
	uint32_t ssrc;
	uint8_t seq; /* command sequence number */
};

struct rtcp_fir {
	unsigned count;         /* entries; read them with rtcp_fir_get */
	const uint8_t *entries; /* borrowed, 8 bytes each */
};

/* A FIR (RFC 5104 4.3.1). Returns 0, ENOENT (not a FIR) or EBADMSG (no
 * entry, or FCI not a multiple of 8). */
int rtcp_fir_parse(const struct rtcp_pkt *p, struct rtcp_fb *fb, struct rtcp_fir *out);

void rtcp_fir_get(const struct rtcp_fir *f, unsigned i, struct rtcp_fir_entry *out);

struct rtcp_remb {
	uint64_t bitrate;     /* bits per second: mantissa << exponent */
	unsigned count;       /* SSRCs; read them with rtcp_remb_ssrc */
	const uint8_t *ssrcs; /* borrowed */
};

/* A REMB. Returns 0, ENOENT (not a REMB), or EBADMSG (truncated, SSRC count
 * not matching the length, or a bitrate that overflows 64 bits). */
int rtcp_remb_parse(const struct rtcp_pkt *p, struct rtcp_fb *fb, struct rtcp_remb *out);

uint32_t rtcp_remb_ssrc(const struct rtcp_remb *r, unsigned i);

/* --- Building ----------------------------------------------------------- */

/* Appends RTCP packets to a caller buffer: write several for a compound
 * packet, then send buf[0..len). Each rtcp_write_* returns 0, EINVAL, or
 * ENOSPC when the packet does not fit in what is left; on error `len` is
 * unchanged. Builders never set the padding bit. */
struct rtcp_writer {
	uint8_t *buf; /* borrowed */
	size_t size;
	size_t len;   /* bytes written so far */
};

void rtcp_writer_init(struct rtcp_writer *w, uint8_t *buf, size_t size);

/* An SR with `n` (<= 31) report blocks. */
int rtcp_write_sr(struct rtcp_writer *w, uint32_t ssrc, const struct rtcp_sender_info *si,
		  const struct rtcp_report_block *rb, unsigned n);

/* An RR with `n` (<= 31) report blocks (0 is the usual empty RR). */
int rtcp_write_rr(struct rtcp_writer *w, uint32_t ssrc, const struct rtcp_report_block *rb,
		  unsigned n);

/* An SDES with one chunk holding one CNAME item of `len` (1..255) bytes. */
int rtcp_write_sdes_cname(struct rtcp_writer *w, uint32_t ssrc, const char *cname, size_t len);

/* A BYE for `n` (1..31) SSRCs, with a reason of `reason_len` (0..255)
 * bytes unless `reason` is NULL. */
int rtcp_write_bye(struct rtcp_writer *w, const uint32_t *ssrcs, unsigned n, const char *reason,
		   size_t reason_len);

/* A generic NACK for the `n` (>= 1) sequence numbers in `seqs`, packed into
 * PID/BLP pairs. Any order is correct; increasing (wrap-aware) order packs
 * best. Duplicates are fine. */
int rtcp_write_nack(struct rtcp_writer *w, uint32_t sender_ssrc, uint32_t media_ssrc,
		    const uint16_t *seqs, size_t n);

/* A PLI. */
int rtcp_write_pli(struct rtcp_writer *w, uint32_t sender_ssrc, uint32_t media_ssrc);

/* A FIR with `n` (>= 1) entries (media SSRC 0, as RFC 5104 says). */
int rtcp_write_fir(struct rtcp_writer *w, uint32_t sender_ssrc,
		   const struct rtcp_fir_entry *e, size_t n);

/* A REMB of `bitrate` bits/s (rounded down to an 18-bit mantissa) for `n`
 * (0..255) SSRCs. */
int rtcp_write_remb(struct rtcp_writer *w, uint32_t sender_ssrc, uint64_t bitrate,
		    const uint32_t *ssrcs, unsigned n);

/* --- Report block and time arithmetic ----------------------------------- */

/* RFC 3550 A.3: lost / expected in the interval as an 8-bit fraction;
 * 0 when nothing was expected or more arrived than expected (duplicates). */
uint8_t rtcp_fraction_lost(uint32_t expected, uint32_t received);

/* Cumulative lost clamped to the 24-bit signed range of a report block. */
int32_t rtcp_cumulative_lost(int64_t expected, int64_t received);

/* The extended highest sequence number from an unwrapped (rtp_seq_unwrap)
 * highest sequence number: its low 32 bits. */
static inline uint32_t rtcp_ext_highest_seq(int64_t ext_seq)
{
	return (uint32_t)ext_seq;
}

/* Interarrival jitter estimator (RFC 3550 A.8), for one source. Zero it or
 * use rtcp_jitter_init. Fields are private. */
struct rtcp_jitter {
	uint64_t jitter_q4; /* jitter * 16; 64 bits so that huge jumps cannot wrap */
	uint32_t last_transit;
	bool started;
};

void rtcp_jitter_init(struct rtcp_jitter *j);

/* Feeds one packet (not a retransmission): its RTP timestamp and its arrival
 * time (any microsecond clock) with the stream's clock rate (Hz, > 0).
 * Returns the current jitter in timestamp units, as a report block has it. */
uint32_t rtcp_jitter_update(struct rtcp_jitter *j, uint32_t rtp_ts, int64_t arrival_us,
			    uint32_t clock_rate);

/* The current jitter in timestamp units. */
uint32_t rtcp_jitter_get(const struct rtcp_jitter *j);

/* NTP time (seconds since 1900 in the high 32 bits, fraction in the low 32)
 * from a CLOCK_REALTIME value. */
uint64_t rtcp_ntp_from_timespec(const struct timespec *ts);

/* NTP time now, from CLOCK_REALTIME. */
uint64_t rtcp_ntp_now(void);

/* Microseconds since the Unix epoch from NTP time (the inverse, to 1 us). */
int64_t rtcp_ntp_to_unix_us(uint64_t ntp);

/* The middle 32 bits of an NTP time: an SR's value for LSR. */
static inline uint32_t rtcp_ntp_compact(uint64_t ntp)
{
	return (uint32_t)(ntp >> 16);
}

/* DLSR (1/65536 s units) from a delay in microseconds, clamped to 0..2^32-1. */
uint32_t rtcp_dlsr_from_us(int64_t delay_us);

/* Round-trip time in microseconds from a report block's LSR and DLSR and the
 * compact NTP time when it arrived (RFC 3550 6.4.1). Returns -1 when LSR is
 * 0 (no SR received yet); a negative result (clock trouble) gives 0. */
int64_t rtcp_rtt_us(uint32_t now_compact, uint32_t lsr, uint32_t dlsr);

#endif
