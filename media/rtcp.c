/* rtcp.c - see rtcp.h. Runs for every RTCP packet: no allocation, no logging. */
#include "media/rtcp.h"

#include <errno.h>
#include <string.h>

#define NTP_UNIX_OFFSET UINT64_C(2208988800) /* seconds from 1900 to 1970 */
#define SR_SENDER_SIZE 24                    /* SSRC + sender info */
#define FB_COMMON_SIZE 8                     /* sender and media SSRC */
#define FIR_ENTRY_SIZE 8

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- Compound packets --------------------------------------------------- */

static int check_compound(const uint8_t *p, const uint8_t *end)
{
	while (p < end) {
		size_t avail = (size_t)(end - p);
		if (avail < 4 || (p[0] >> 6) != 2)
			return EBADMSG;
		size_t len = ((size_t)rd16(p + 2) + 1) * 4;
		if (len > avail)
			return EBADMSG;
		if (p[0] & 0x20) {
			/* Padding only on the last element, 1..body bytes. */
			uint8_t pad = p[len - 1];
			if (len != avail || pad == 0 || pad > len - 4)
				return EBADMSG;
		}
		p += len;
	}
	return 0;
}

int rtcp_iter_init(struct rtcp_iter *it, const uint8_t *buf, size_t len)
{
	it->p = it->end = buf;
	if (len == 0)
		return EBADMSG; /* and buf may be NULL: no arithmetic on it */
	int err = check_compound(buf, buf + len);
	if (!err)
		it->end = buf + len;
	return err;
}

static enum rtcp_kind psfb_kind(uint8_t fmt, const uint8_t *body, size_t body_len)
{
	switch (fmt) {
	case RTCP_PSFB_PLI:
		return RTCP_KIND_PLI;
	case RTCP_PSFB_FIR:
		return RTCP_KIND_FIR;
	case RTCP_PSFB_AFB:
		if (body_len >= FB_COMMON_SIZE + 4 && memcmp(body + FB_COMMON_SIZE, "REMB", 4) == 0)
			return RTCP_KIND_REMB;
		return RTCP_KIND_AFB;
	default:
		return RTCP_KIND_OTHER;
	}
}

static enum rtcp_kind kind_of(const struct rtcp_pkt *p)
{
	switch (p->type) {
	case RTCP_SR:
		return RTCP_KIND_SR;
	case RTCP_RR:
		return RTCP_KIND_RR;
	case RTCP_SDES:
		return RTCP_KIND_SDES;
	case RTCP_BYE:
		return RTCP_KIND_BYE;
	case RTCP_APP:
		return RTCP_KIND_APP;
	case RTCP_XR:
		return RTCP_KIND_XR;
	case RTCP_RTPFB:
		if (p->count == RTCP_RTPFB_NACK)
			return RTCP_KIND_NACK;
		return p->count == RTCP_RTPFB_TWCC ? RTCP_KIND_TWCC : RTCP_KIND_OTHER;
	case RTCP_PSFB:
		return psfb_kind(p->count, p->body, p->body_len);
	default:
		return RTCP_KIND_OTHER;
	}
}

bool rtcp_iter_next(struct rtcp_iter *it, struct rtcp_pkt *out)
{
	if (it->p >= it->end)
		return false;
	const uint8_t *p = it->p;
	size_t len = ((size_t)rd16(p + 2) + 1) * 4;
	size_t pad = (p[0] & 0x20) ? p[len - 1] : 0;

	out->type = p[1];
	out->count = p[0] & 0x1f;
	out->data = p;
	out->len = len;
	out->body = p + 4;
	out->body_len = len - 4 - pad;
	out->kind = kind_of(out);
	it->p += len;
	return true;
}

/* ---- Reports ------------------------------------------------------------ */

int rtcp_sr_parse(const struct rtcp_pkt *p, struct rtcp_sr *out)
{
	if (p->type != RTCP_SR)
		return ENOENT;
	if (p->body_len < SR_SENDER_SIZE + (size_t)p->count * RTCP_REPORT_BLOCK_SIZE)
		return EBADMSG;
	const uint8_t *b = p->body;
	out->ssrc = rd32(b);
	out->info.ntp = (uint64_t)rd32(b + 4) << 32 | rd32(b + 8);
	out->info.rtp_ts = rd32(b + 12);
	out->info.packets = rd32(b + 16);
	out->info.octets = rd32(b + 20);
	out->reports.count = p->count;
	out->reports.data = b + SR_SENDER_SIZE;
	return 0;
}

int rtcp_rr_parse(const struct rtcp_pkt *p, struct rtcp_rr *out)
{
	if (p->type != RTCP_RR)
		return ENOENT;
	if (p->body_len < 4 + (size_t)p->count * RTCP_REPORT_BLOCK_SIZE)
		return EBADMSG;
	out->ssrc = rd32(p->body);
	out->reports.count = p->count;
	out->reports.data = p->body + 4;
	return 0;
}

void rtcp_reports_get(const struct rtcp_reports *r, unsigned i, struct rtcp_report_block *out)
{
	const uint8_t *b = r->data + (size_t)i * RTCP_REPORT_BLOCK_SIZE;
	uint32_t lost = (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];

	out->ssrc = rd32(b);
	out->fraction_lost = b[4];
	out->cumulative_lost = (lost & 0x800000) ? (int32_t)lost - 0x1000000 : (int32_t)lost;
	out->ext_highest_seq = rd32(b + 8);
	out->jitter = rd32(b + 12);
	out->lsr = rd32(b + 16);
	out->dlsr = rd32(b + 20);
}

/* ---- SDES --------------------------------------------------------------- */

/* The end of the chunk at `p` (after its null item and the padding to a
 * 32-bit boundary from `base`), or NULL when it overruns `end`. */
static const uint8_t *sdes_chunk_end(const uint8_t *base, const uint8_t *p, const uint8_t *end)
{
	if (end - p < 4)
		return NULL;
	p += 4;
	while (p < end && *p != 0) {
		if (end - p < 2 || (size_t)(end - p - 2) < p[1])
			return NULL;
		p += 2 + p[1];
	}
	if (p >= end)
		return NULL; /* no null item */
	size_t off = ((size_t)(p + 1 - base) + 3) & ~(size_t)3;
	if (off > (size_t)(end - base))
		return NULL;
	return base + off;
}

int rtcp_sdes_iter_init(struct rtcp_sdes_iter *it, const struct rtcp_pkt *p)
{
	if (p->type != RTCP_SDES)
		return ENOENT;
	const uint8_t *q = p->body, *end = p->body + p->body_len;
	for (unsigned i = 0; i < p->count; i++) {
		q = sdes_chunk_end(p->body, q, end);
		if (!q)
			return EBADMSG;
	}
	if (q != end)
		return EBADMSG;
	it->base = it->p = p->body;
	it->end = end;
	it->ssrc = 0;
	it->chunks_left = p->count;
	it->in_chunk = false;
	return 0;
}

bool rtcp_sdes_iter_next(struct rtcp_sdes_iter *it, struct rtcp_sdes_item *out)
{
	for (;;) {
		if (!it->in_chunk) {
			if (it->chunks_left == 0)
				return false;
			it->chunks_left--;
			it->ssrc = rd32(it->p);
			it->p += 4;
			it->in_chunk = true;
		}
		if (*it->p != 0)
			break;
		/* Null item: skip to the next chunk. */
		it->p = it->base + (((size_t)(it->p + 1 - it->base) + 3) & ~(size_t)3);
		it->in_chunk = false;
	}
	out->ssrc = it->ssrc;
	out->type = it->p[0];
	out->len = it->p[1];
	out->data = it->p + 2;
	it->p += 2 + out->len;
	return true;
}

int rtcp_sdes_cname(const struct rtcp_pkt *p, uint32_t *ssrc, char *out, size_t size)
{
	struct rtcp_sdes_iter it;
	struct rtcp_sdes_item item;
	int err = rtcp_sdes_iter_init(&it, p);

	if (err)
		return err;
	while (rtcp_sdes_iter_next(&it, &item)) {
		if (item.type != RTCP_SDES_CNAME)
			continue;
		if (item.len >= size)
			return ENOSPC;
		memcpy(out, item.data, item.len);
		out[item.len] = '\0';
		*ssrc = item.ssrc;
		return 0;
	}
	return ENOENT;
}

/* ---- BYE ---------------------------------------------------------------- */

int rtcp_bye_parse(const struct rtcp_pkt *p, struct rtcp_bye *out)
{
	if (p->type != RTCP_BYE)
		return ENOENT;
	size_t n = (size_t)p->count * 4;
	if (p->body_len < n)
		return EBADMSG;
	out->count = p->count;
	out->ssrcs = p->body;
	out->reason = NULL;
	out->reason_len = 0;
	if (p->body_len > n) {
		size_t rlen = p->body[n];
		if (rlen > p->body_len - n - 1)
			return EBADMSG;
		out->reason = p->body + n + 1;
		out->reason_len = rlen;
	}
	return 0;
}

uint32_t rtcp_bye_ssrc(const struct rtcp_bye *b, unsigned i)
{
	return rd32(b->ssrcs + (size_t)i * 4);
}

/* ---- Feedback ----------------------------------------------------------- */

int rtcp_fb_parse(const struct rtcp_pkt *p, struct rtcp_fb *out)
{
	if (p->type != RTCP_RTPFB && p->type != RTCP_PSFB)
		return ENOENT;
	if (p->body_len < FB_COMMON_SIZE)
		return EBADMSG;
	out->fmt = p->count;
	out->sender_ssrc = rd32(p->body);
	out->media_ssrc = rd32(p->body + 4);
	out->fci = p->body + FB_COMMON_SIZE;
	out->fci_len = p->body_len - FB_COMMON_SIZE;
	return 0;
}

/* rtcp_fb_parse for a packet of `kind`, into `fb` or a local. */
static int fb_parse_kind(const struct rtcp_pkt *p, enum rtcp_kind kind, struct rtcp_fb *fb)
{
	if (p->kind != kind)
		return ENOENT;
	return rtcp_fb_parse(p, fb);
}

int rtcp_nack_parse(const struct rtcp_pkt *p, struct rtcp_fb *fb, uint16_t *seqs, size_t max,
		    size_t *n)
{
	struct rtcp_fb local;
	int err;

	fb = fb ? fb : &local;
	*n = 0;
	if ((err = fb_parse_kind(p, RTCP_KIND_NACK, fb)))
		return err;
	if (fb->fci_len == 0 || fb->fci_len % 4)
		return EBADMSG;
	for (size_t off = 0; off < fb->fci_len; off += 4) {
		uint16_t pid = rd16(fb->fci + off);
		uint32_t mask = (uint32_t)rd16(fb->fci + off + 2) << 1 | 1; /* bit 0: the PID */
		for (unsigned b = 0; mask; b++, mask >>= 1) {
			if (!(mask & 1))
				continue;
			if (*n == max)
				return ENOSPC;
			seqs[(*n)++] = (uint16_t)(pid + b);
		}
	}
	return 0;
}

int rtcp_fir_parse(const struct rtcp_pkt *p, struct rtcp_fb *fb, struct rtcp_fir *out)
{
	struct rtcp_fb local;
	int err;

	fb = fb ? fb : &local;
	if ((err = fb_parse_kind(p, RTCP_KIND_FIR, fb)))
		return err;
	if (fb->fci_len == 0 || fb->fci_len % FIR_ENTRY_SIZE)
		return EBADMSG;
	out->count = (unsigned)(fb->fci_len / FIR_ENTRY_SIZE);
	out->entries = fb->fci;
	return 0;
}

void rtcp_fir_get(const struct rtcp_fir *f, unsigned i, struct rtcp_fir_entry *out)
{
	const uint8_t *e = f->entries + (size_t)i * FIR_ENTRY_SIZE;

	out->ssrc = rd32(e);
	out->seq = e[4];
}

int rtcp_remb_parse(const struct rtcp_pkt *p, struct rtcp_fb *fb, struct rtcp_remb *out)
{
	struct rtcp_fb local;
	int err;

	fb = fb ? fb : &local;
	if ((err = fb_parse_kind(p, RTCP_KIND_REMB, fb)))
		return err;
	/* "REMB", Num SSRC, BR Exp (6 bits), BR Mantissa (18 bits), SSRCs. */
	if (fb->fci_len < 8)
		return EBADMSG;
	const uint8_t *f = fb->fci;
	unsigned num = f[4], exp = f[5] >> 2;
	uint64_t mant = (uint64_t)(f[5] & 3) << 16 | (uint64_t)f[6] << 8 | f[7];
	if (fb->fci_len != 8 + (size_t)num * 4)
		return EBADMSG;
	if (exp > 46 && (mant >> (64 - exp)) != 0)
		return EBADMSG; /* mant << exp would not fit in 64 bits */
	out->bitrate = mant << exp;
	out->count = num;
	out->ssrcs = f + 8;
	return 0;
}

uint32_t rtcp_remb_ssrc(const struct rtcp_remb *r, unsigned i)
{
	return rd32(r->ssrcs + (size_t)i * 4);
}

/* ---- Building ----------------------------------------------------------- */

void rtcp_writer_init(struct rtcp_writer *w, uint8_t *buf, size_t size)
{
	w->buf = buf;
	w->size = size;
	w->len = 0;
}

/* Reserves `len` bytes (a multiple of 4) for a packet and writes its common
 * header; returns where the packet starts, or NULL with *err set. The caller
 * fills the body and then adds `len` to w->len. */
static uint8_t *begin(struct rtcp_writer *w, size_t len, uint8_t count, uint8_t type, int *err)
{
	if (len > RTCP_MAX_PACKET) {
		*err = EINVAL;
		return NULL;
	}
	if (len > w->size - w->len) {
		*err = ENOSPC;
		return NULL;
	}
	uint8_t *p = w->buf + w->len;
	p[0] = (uint8_t)(0x80 | count);
	p[1] = type;
	wr16(p + 2, (uint16_t)(len / 4 - 1));
	return p;
}

static void put_report_block(uint8_t *p, const struct rtcp_report_block *rb)
{
	int32_t lost = rb->cumulative_lost;

	if (lost > 0x7fffff)
		lost = 0x7fffff;
	if (lost < -0x800000)
		lost = -0x800000;
	wr32(p, rb->ssrc);
	wr32(p + 4, (uint32_t)rb->fraction_lost << 24 | ((uint32_t)lost & 0xffffff));
	wr32(p + 8, rb->ext_highest_seq);
	wr32(p + 12, rb->jitter);
	wr32(p + 16, rb->lsr);
	wr32(p + 20, rb->dlsr);
}

static void put_report_blocks(uint8_t *p, const struct rtcp_report_block *rb, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		put_report_block(p + (size_t)i * RTCP_REPORT_BLOCK_SIZE, &rb[i]);
}

int rtcp_write_sr(struct rtcp_writer *w, uint32_t ssrc, const struct rtcp_sender_info *si,
		  const struct rtcp_report_block *rb, unsigned n)
{
	size_t len = 4 + SR_SENDER_SIZE + (size_t)n * RTCP_REPORT_BLOCK_SIZE;
	int err = 0;

	if (n > RTCP_MAX_COUNT)
		return EINVAL;
	uint8_t *p = begin(w, len, (uint8_t)n, RTCP_SR, &err);
	if (!p)
		return err;
	wr32(p + 4, ssrc);
	wr32(p + 8, (uint32_t)(si->ntp >> 32));
	wr32(p + 12, (uint32_t)si->ntp);
	wr32(p + 16, si->rtp_ts);
	wr32(p + 20, si->packets);
	wr32(p + 24, si->octets);
	put_report_blocks(p + 28, rb, n);
	w->len += len;
	return 0;
}

int rtcp_write_rr(struct rtcp_writer *w, uint32_t ssrc, const struct rtcp_report_block *rb,
		  unsigned n)
{
	size_t len = 8 + (size_t)n * RTCP_REPORT_BLOCK_SIZE;
	int err = 0;

	if (n > RTCP_MAX_COUNT)
		return EINVAL;
	uint8_t *p = begin(w, len, (uint8_t)n, RTCP_RR, &err);
	if (!p)
		return err;
	wr32(p + 4, ssrc);
	put_report_blocks(p + 8, rb, n);
	w->len += len;
	return 0;
}

int rtcp_write_sdes_cname(struct rtcp_writer *w, uint32_t ssrc, const char *cname, size_t len)
{
	/* SSRC, type, length, text, then 1..4 null bytes to a 32-bit boundary. */
	size_t chunk = (4 + 2 + len + 1 + 3) & ~(size_t)3;
	size_t total = 4 + chunk;
	int err = 0;

	if (len < 1 || len > 255)
		return EINVAL;
	uint8_t *p = begin(w, total, 1, RTCP_SDES, &err);
	if (!p)
		return err;
	wr32(p + 4, ssrc);
	p[8] = RTCP_SDES_CNAME;
	p[9] = (uint8_t)len;
	memcpy(p + 10, cname, len);
	memset(p + 10 + len, 0, total - 10 - len);
	w->len += total;
	return 0;
}

int rtcp_write_bye(struct rtcp_writer *w, const uint32_t *ssrcs, unsigned n, const char *reason,
		   size_t reason_len)
{
	size_t rsize = reason ? (1 + reason_len + 3) & ~(size_t)3 : 0;
	size_t len = 4 + (size_t)n * 4 + rsize;
	int err = 0;

	if (n < 1 || n > RTCP_MAX_COUNT || (reason && reason_len > 255))
		return EINVAL;
	uint8_t *p = begin(w, len, (uint8_t)n, RTCP_BYE, &err);
	if (!p)
		return err;
	for (unsigned i = 0; i < n; i++)
		wr32(p + 4 + i * 4, ssrcs[i]);
	if (reason) {
		uint8_t *r = p + 4 + (size_t)n * 4;
		memset(r, 0, rsize);
		r[0] = (uint8_t)reason_len;
		memcpy(r + 1, reason, reason_len);
	}
	w->len += len;
	return 0;
}

/* Packs `seqs` into PID/BLP pairs, written at `out` unless it is NULL;
 * returns how many pairs. A number joins the current pair when it is 0..16
 * after its PID, else it starts a new pair. */
static size_t nack_pack(const uint16_t *seqs, size_t n, uint8_t *out)
{
	size_t pairs = 0;
	uint16_t pid = 0, blp = 0;

	for (size_t i = 0; i < n; i++) {
		uint16_t d = (uint16_t)(seqs[i] - pid);
		if (pairs > 0 && d <= 16) {
			if (d > 0)
				blp |= (uint16_t)(1u << (d - 1));
		} else {
			if (pairs > 0 && out) {
				wr16(out + (pairs - 1) * 4, pid);
				wr16(out + (pairs - 1) * 4 + 2, blp);
			}
			pid = seqs[i];
			blp = 0;
			pairs++;
		}
	}
	if (pairs > 0 && out) {
		wr16(out + (pairs - 1) * 4, pid);
		wr16(out + (pairs - 1) * 4 + 2, blp);
	}
	return pairs;
}

/* Writes the common feedback header: sender and media SSRC. */
static uint8_t *begin_fb(struct rtcp_writer *w, size_t fci_len, uint8_t fmt, uint8_t type,
			 uint32_t sender, uint32_t media, int *err)
{
	uint8_t *p = begin(w, 4 + FB_COMMON_SIZE + fci_len, fmt, type, err);
	if (!p)
		return NULL;
	wr32(p + 4, sender);
	wr32(p + 8, media);
	return p;
}

int rtcp_write_nack(struct rtcp_writer *w, uint32_t sender_ssrc, uint32_t media_ssrc,
		    const uint16_t *seqs, size_t n)
{
	int err = 0;

	if (n == 0)
		return EINVAL;
	size_t fci = nack_pack(seqs, n, NULL) * 4;
	uint8_t *p = begin_fb(w, fci, RTCP_RTPFB_NACK, RTCP_RTPFB, sender_ssrc, media_ssrc, &err);
	if (!p)
		return err;
	nack_pack(seqs, n, p + 12);
	w->len += 12 + fci;
	return 0;
}

int rtcp_write_pli(struct rtcp_writer *w, uint32_t sender_ssrc, uint32_t media_ssrc)
{
	int err = 0;
	uint8_t *p = begin_fb(w, 0, RTCP_PSFB_PLI, RTCP_PSFB, sender_ssrc, media_ssrc, &err);

	if (!p)
		return err;
	w->len += 12;
	return 0;
}

int rtcp_write_fir(struct rtcp_writer *w, uint32_t sender_ssrc,
		   const struct rtcp_fir_entry *e, size_t n)
{
	int err = 0;

	if (n == 0 || n > RTCP_MAX_PACKET / FIR_ENTRY_SIZE)
		return EINVAL;
	size_t fci = n * FIR_ENTRY_SIZE;
	uint8_t *p = begin_fb(w, fci, RTCP_PSFB_FIR, RTCP_PSFB, sender_ssrc, 0, &err);
	if (!p)
		return err;
	for (size_t i = 0; i < n; i++) {
		uint8_t *q = p + 12 + i * FIR_ENTRY_SIZE;
		wr32(q, e[i].ssrc);
		wr32(q + 4, (uint32_t)e[i].seq << 24);
	}
	w->len += 12 + fci;
	return 0;
}

int rtcp_write_remb(struct rtcp_writer *w, uint32_t sender_ssrc, uint64_t bitrate,
		    const uint32_t *ssrcs, unsigned n)
{
	unsigned exp = 0;
	int err = 0;

	if (n > 255)
		return EINVAL;
	while ((bitrate >> exp) > 0x3ffff)
		exp++;
	uint32_t mant = (uint32_t)(bitrate >> exp);
	size_t fci = 8 + (size_t)n * 4;
	uint8_t *p = begin_fb(w, fci, RTCP_PSFB_AFB, RTCP_PSFB, sender_ssrc, 0, &err);
	if (!p)
		return err;
	memcpy(p + 12, "REMB", 4);
	wr32(p + 16, (uint32_t)n << 24 | exp << 18 | mant);
	for (unsigned i = 0; i < n; i++)
		wr32(p + 20 + i * 4, ssrcs[i]);
	w->len += 12 + fci;
	return 0;
}

/* ---- Arithmetic --------------------------------------------------------- */

uint8_t rtcp_fraction_lost(uint32_t expected, uint32_t received)
{
	if (expected == 0 || received >= expected)
		return 0;
	uint64_t f = ((uint64_t)(expected - received) << 8) / expected;
	return f > 255 ? 255 : (uint8_t)f; /* all lost: 256/256 does not fit */
}

int32_t rtcp_cumulative_lost(int64_t expected, int64_t received)
{
	int64_t lost = expected - received;

	if (lost > 0x7fffff)
		return 0x7fffff;
	if (lost < -0x800000)
		return -0x800000;
	return (int32_t)lost;
}

void rtcp_jitter_init(struct rtcp_jitter *j)
{
	j->jitter_q4 = 0;
	j->last_transit = 0;
	j->started = false;
}

/* `us` in units of 1/rate seconds, modulo 2^32 (exact floor, no overflow). */
static uint32_t us_to_ts(int64_t us, uint32_t rate)
{
	uint64_t u = (uint64_t)us;

	return (uint32_t)((u / 1000000) * rate + (u % 1000000) * rate / 1000000);
}

uint32_t rtcp_jitter_update(struct rtcp_jitter *j, uint32_t rtp_ts, int64_t arrival_us,
			    uint32_t clock_rate)
{
	uint32_t transit = us_to_ts(arrival_us, clock_rate) - rtp_ts;

	if (j->started) {
		int32_t d = (int32_t)(transit - j->last_transit);
		uint64_t ad = d < 0 ? (uint64_t)-(int64_t)d : (uint64_t)d;
		j->jitter_q4 = j->jitter_q4 + ad - ((j->jitter_q4 + 8) >> 4);
	}
	j->last_transit = transit;
	j->started = true;
	return rtcp_jitter_get(j);
}

uint32_t rtcp_jitter_get(const struct rtcp_jitter *j)
{
	uint64_t v = j->jitter_q4 >> 4;

	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

uint64_t rtcp_ntp_from_timespec(const struct timespec *ts)
{
	uint64_t sec = (uint64_t)((int64_t)ts->tv_sec + (int64_t)NTP_UNIX_OFFSET);
	uint64_t frac = ((uint64_t)ts->tv_nsec << 32) / 1000000000;

	return sec << 32 | frac;
}

uint64_t rtcp_ntp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return rtcp_ntp_from_timespec(&ts);
}

int64_t rtcp_ntp_to_unix_us(uint64_t ntp)
{
	int64_t sec = (int64_t)(ntp >> 32) - (int64_t)NTP_UNIX_OFFSET;
	int64_t us = (int64_t)(((ntp & 0xffffffffu) * 1000000 + (UINT64_C(1) << 31)) >> 32);

	return sec * 1000000 + us;
}

uint32_t rtcp_dlsr_from_us(int64_t delay_us)
{
	if (delay_us <= 0)
		return 0;
	if (delay_us >= INT64_C(65536) * 1000000)
		return UINT32_MAX;
	return (uint32_t)(((uint64_t)delay_us << 16) / 1000000);
}

int64_t rtcp_rtt_us(uint32_t now_compact, uint32_t lsr, uint32_t dlsr)
{
	if (lsr == 0)
		return -1;
	int32_t rtt = (int32_t)(now_compact - lsr - dlsr);
	if (rtt <= 0)
		return 0;
	return (int64_t)(((uint64_t)rtt * 1000000) >> 16);
}
