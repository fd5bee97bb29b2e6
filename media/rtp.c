/* rtp.c - see rtp.h. Runs for every packet: no allocation, no logging. */
#include "media/rtp.h"

#include <errno.h>
#include <string.h>

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Fills the extension fields from the block at `off`; returns the offset
 * after it, or 0 when it does not fit. */
static size_t parse_ext(struct rtp_view *v, size_t off)
{
	if (v->len - off < 4)
		return 0;
	size_t n = (size_t)rd16(v->buf + off + 2) * 4;
	if (v->len - off - 4 < n)
		return 0;
	v->has_ext = true;
	v->ext_profile = rd16(v->buf + off);
	v->ext_off = off + 4;
	v->ext_len = n;
	return off + 4 + n;
}

int rtp_parse(struct rtp_view *v, const uint8_t *buf, size_t len)
{
	if (len < RTP_HEADER_SIZE || (buf[0] >> 6) != 2)
		return EBADMSG;
	v->buf = buf;
	v->len = len;
	v->marker = (buf[1] & 0x80) != 0;
	v->pt = buf[1] & 0x7f;
	v->seq = rd16(buf + 2);
	v->ts = rd32(buf + 4);
	v->ssrc = rd32(buf + 8);
	v->csrc_count = buf[0] & 0x0f;
	v->has_ext = false;
	v->ext_profile = 0;
	v->ext_off = 0;
	v->ext_len = 0;

	size_t off = RTP_HEADER_SIZE + (size_t)v->csrc_count * 4;
	if (off > len)
		return EBADMSG;
	if (buf[0] & 0x10) {
		off = parse_ext(v, off);
		if (off == 0)
			return EBADMSG;
	}
	size_t pad = 0;
	if (buf[0] & 0x20) {
		pad = buf[len - 1];
		if (pad == 0 || pad > len - off)
			return EBADMSG;
	}
	v->pad_len = (uint8_t)pad;
	v->payload_off = off;
	v->payload_len = len - off - pad;
	return 0;
}

uint32_t rtp_csrc(const struct rtp_view *v, unsigned i)
{
	return rd32(v->buf + RTP_HEADER_SIZE + (size_t)i * 4);
}

void rtp_ext_iter_init(struct rtp_ext_iter *it, const struct rtp_view *v)
{
	it->p = it->end = NULL;
	it->two_byte = false;
	if (!v->has_ext)
		return;
	if (v->ext_profile == RTP_EXT_ONE_BYTE) {
		it->two_byte = false;
	} else if ((v->ext_profile & 0xfff0) == RTP_EXT_TWO_BYTE) {
		it->two_byte = true;
	} else {
		return; /* not RFC 8285: no elements we can read */
	}
	it->p = v->buf + v->ext_off;
	it->end = it->p + v->ext_len;
}

/* Ends the walk; the next call returns ENOENT. */
static int iter_stop(struct rtp_ext_iter *it, int err)
{
	it->p = it->end;
	return err;
}

int rtp_ext_iter_next(struct rtp_ext_iter *it, struct rtp_ext *e)
{
	/* Padding: a zero byte; in the one-byte form any ID 0 byte, its length
	 * ignored, as libwebrtc does. */
	uint8_t pad_mask = it->two_byte ? 0xff : 0xf0;
	while (it->p < it->end && (*it->p & pad_mask) == 0)
		it->p++;
	if (it->p >= it->end)
		return ENOENT;

	size_t avail = (size_t)(it->end - it->p);
	size_t hdr, len;
	if (it->two_byte) {
		if (avail < 2)
			return iter_stop(it, EBADMSG);
		e->id = it->p[0];
		len = it->p[1];
		hdr = 2;
	} else {
		e->id = it->p[0] >> 4;
		if (e->id == 15) /* RFC 8285 4.2: stop processing */
			return iter_stop(it, ENOENT);
		len = (size_t)(it->p[0] & 0x0f) + 1;
		hdr = 1;
	}
	if (len > avail - hdr)
		return iter_stop(it, EBADMSG);
	e->len = len;
	e->data = it->p + hdr;
	it->p += hdr + len;
	return 0;
}

int rtp_ext_find(const struct rtp_view *v, uint8_t id, const uint8_t **data, size_t *len)
{
	struct rtp_ext_iter it;
	struct rtp_ext e;
	int err;

	if (id == 0)
		return ENOENT;
	rtp_ext_iter_init(&it, v);
	while ((err = rtp_ext_iter_next(&it, &e)) == 0) {
		if (e.id == id) {
			*data = e.data;
			*len = e.len;
			return 0;
		}
	}
	return err;
}

/* The element `id`, which must be exactly `want` bytes long. */
static int find_fixed(const struct rtp_view *v, uint8_t id, size_t want, const uint8_t **data)
{
	size_t len;
	int err = rtp_ext_find(v, id, data, &len);
	if (err)
		return err;
	return len == want ? 0 : EBADMSG;
}

int rtp_ext_get_sdes(const struct rtp_view *v, uint8_t id, char *out, size_t size)
{
	const uint8_t *d;
	size_t len;
	int err = rtp_ext_find(v, id, &d, &len);
	if (err)
		return err;

	const uint8_t *nul = memchr(d, 0, len);
	if (nul)
		len = (size_t)(nul - d);
	if (len == 0)
		return EBADMSG;
	for (size_t i = 0; i < len; i++) {
		if (d[i] < 0x21 || d[i] > 0x7e)
			return EBADMSG;
	}
	if (len >= size)
		return ENOSPC;
	memcpy(out, d, len);
	out[len] = '\0';
	return 0;
}

int rtp_ext_get_abs_send_time(const struct rtp_view *v, uint8_t id, uint32_t *out)
{
	const uint8_t *d;
	int err = find_fixed(v, id, 3, &d);
	if (err)
		return err;
	*out = (uint32_t)d[0] << 16 | (uint32_t)d[1] << 8 | d[2];
	return 0;
}

int rtp_ext_get_twcc_seq(const struct rtp_view *v, uint8_t id, uint16_t *out)
{
	const uint8_t *d;
	int err = find_fixed(v, id, 2, &d);
	if (err)
		return err;
	*out = rd16(d);
	return 0;
}

int rtp_ext_get_audio_level(const struct rtp_view *v, uint8_t id, bool *voice, uint8_t *level)
{
	const uint8_t *d;
	int err = find_fixed(v, id, 1, &d);
	if (err)
		return err;
	*voice = (d[0] & 0x80) != 0;
	*level = d[0] & 0x7f;
	return 0;
}

int rtp_ext_set(const struct rtp_view *v, uint8_t *buf, uint8_t id, const void *data,
		size_t len)
{
	const uint8_t *d;
	size_t have;
	int err = rtp_ext_find(v, id, &d, &have);
	if (err)
		return err;
	if (have != len)
		return EINVAL;
	memcpy(buf + (d - v->buf), data, len);
	return 0;
}

int rtp_ext_set_abs_send_time(const struct rtp_view *v, uint8_t *buf, uint8_t id, uint32_t val)
{
	uint8_t b[3] = { (uint8_t)(val >> 16), (uint8_t)(val >> 8), (uint8_t)val };
	return rtp_ext_set(v, buf, id, b, sizeof(b));
}

int rtp_ext_set_twcc_seq(const struct rtp_view *v, uint8_t *buf, uint8_t id, uint16_t seq)
{
	uint8_t b[2] = { (uint8_t)(seq >> 8), (uint8_t)seq };
	return rtp_ext_set(v, buf, id, b, sizeof(b));
}

/* Bytes of the one-byte extension block (header included), or 0 when an
 * element is invalid. */
static size_t ext_block_size(const struct rtp_header *h)
{
	size_t n = 0;

	for (unsigned i = 0; i < h->ext_count; i++) {
		const struct rtp_ext *e = &h->ext[i];
		if (e->id < 1 || e->id > 14 || e->len < 1 || e->len > RTP_EXT_ONE_BYTE_MAX_LEN)
			return 0;
		n += 1 + e->len;
	}
	return 4 + (n + 3) / 4 * 4;
}

static void write_ext_block(uint8_t *p, const struct rtp_header *h, size_t block)
{
	size_t words = (block - 4) / 4;

	p[0] = RTP_EXT_ONE_BYTE >> 8;
	p[1] = RTP_EXT_ONE_BYTE & 0xff;
	p[2] = (uint8_t)(words >> 8);
	p[3] = (uint8_t)words;
	p += 4;
	memset(p, 0, block - 4);
	for (unsigned i = 0; i < h->ext_count; i++) {
		const struct rtp_ext *e = &h->ext[i];
		*p++ = (uint8_t)(e->id << 4 | (e->len - 1));
		memcpy(p, e->data, e->len);
		p += e->len;
	}
}

int rtp_write_header(uint8_t *buf, size_t size, const struct rtp_header *h, size_t *len)
{
	size_t block = 0;

	if (h->pt > 127 || h->csrc_count > RTP_MAX_CSRC)
		return EINVAL;
	if (h->ext_count > 0) {
		block = ext_block_size(h);
		if (block == 0)
			return EINVAL;
	}
	size_t n = RTP_HEADER_SIZE + (size_t)h->csrc_count * 4 + block;
	if (n > size)
		return ENOSPC;

	buf[0] = (uint8_t)(0x80 | (block ? 0x10 : 0) | h->csrc_count);
	buf[1] = (uint8_t)((h->marker ? 0x80 : 0) | h->pt);
	rtp_set_seq(buf, h->seq);
	rtp_set_ts(buf, h->ts);
	rtp_set_ssrc(buf, h->ssrc);
	for (unsigned i = 0; i < h->csrc_count; i++)
		wr32(buf + RTP_HEADER_SIZE + i * 4, h->csrc[i]);
	if (block)
		write_ext_block(buf + RTP_HEADER_SIZE + h->csrc_count * 4, h, block);
	*len = n;
	return 0;
}

/* Places `val` (modulo 2^bits) nearest to `last`; a distance of exactly half
 * the range goes backwards. */
static inline int64_t unwrap(int64_t last, uint32_t val, unsigned bits)
{
	uint64_t range = (uint64_t)1 << bits;
	uint64_t delta = ((uint64_t)val - (uint64_t)last) & (range - 1);

	if (delta >= range / 2)
		return last + (int64_t)delta - (int64_t)range;
	return last + (int64_t)delta;
}

void rtp_seq_unwrap_init(struct rtp_seq_unwrap *u)
{
	u->last = 0;
	u->started = false;
}

int64_t rtp_seq_unwrap(struct rtp_seq_unwrap *u, uint16_t seq)
{
	u->last = u->started ? unwrap(u->last, seq, 16) : seq;
	u->started = true;
	return u->last;
}

void rtp_ts_unwrap_init(struct rtp_ts_unwrap *u)
{
	u->last = 0;
	u->started = false;
}

int64_t rtp_ts_unwrap(struct rtp_ts_unwrap *u, uint32_t ts)
{
	u->last = u->started ? unwrap(u->last, ts, 32) : ts;
	u->started = true;
	return u->last;
}

enum rtp_class rtp_classify(const uint8_t *buf, size_t len)
{
	if (len == 0)
		return RTP_CLASS_UNKNOWN;
	uint8_t b = buf[0];
	if (b <= 3)
		return RTP_CLASS_STUN;
	if (b >= 128 && b <= 191) {
		if (len < 2)
			return RTP_CLASS_UNKNOWN;
		return rtp_is_rtcp(buf, len) ? RTP_CLASS_RTCP : RTP_CLASS_RTP;
	}
	if (b >= 20 && b <= 63)
		return RTP_CLASS_DTLS;
	if (b >= 16 && b <= 19)
		return RTP_CLASS_ZRTP;
	if (b >= 64 && b <= 79)
		return RTP_CLASS_TURN;
	return RTP_CLASS_UNKNOWN;
}
