/* fuzz_rtp.c - libFuzzer target for media/rtp.c.
 *
 * Every input goes through the demux classifier and rtp_parse. When it
 * parses, the view must describe bytes inside the input, every extension is
 * walked and read by every getter, and then the packet is changed and
 * checked again: the header fields rewritten in place, every extension value
 * overwritten in place, and (for one-byte extensions) the header rebuilt
 * with rtp_write_header; each result must parse to what was written (abort
 * otherwise). The input's 16-bit words also drive the unwrappers, whose
 * results must match their input modulo 2^16 / 2^32 and move by at most
 * half the range. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/rtp.h"
#include "tests/fuzz/fuzz.h"

#define MAX_EXT 256

static uint8_t scratch[65536 + 1024];

/* Reads every extension with every getter; returns how many elements the
 * walk found (into `ext`, at most MAX_EXT). */
static size_t read_all(const struct rtp_view *v, struct rtp_ext *ext)
{
	struct rtp_ext_iter it;
	struct rtp_ext e;
	size_t n = 0;
	char s[300];
	uint32_t u32;
	uint16_t u16;
	uint8_t lvl;
	bool vad;

	rtp_ext_iter_init(&it, v);
	while (rtp_ext_iter_next(&it, &e) == 0) {
		CHECK(e.data >= v->buf + v->ext_off);
		CHECK(e.data + e.len <= v->buf + v->ext_off + v->ext_len);
		if (n < MAX_EXT)
			ext[n++] = e;
	}
	/* A few fixed ids and the first ids the walk found (each lookup walks
	 * the block again: every id would make long blocks quadratic). */
	static const uint8_t fixed[] = { 0, 1, 2, 3, 15, 16, 255 };
	size_t nf = sizeof(fixed);
	for (size_t k = 0; k < nf + (n < 4 ? n : 4); k++) {
		uint8_t id = k < nf ? fixed[k] : ext[k - nf].id;
		const uint8_t *d;
		size_t len;
		if (rtp_ext_find(v, id, &d, &len) == 0)
			CHECK(d >= v->buf + v->ext_off && d + len <= v->buf + v->ext_off + v->ext_len);
		if (rtp_ext_get_sdes(v, id, s, sizeof(s)) == 0)
			CHECK(strlen(s) > 0);
		rtp_ext_get_abs_send_time(v, id, &u32);
		rtp_ext_get_twcc_seq(v, id, &u16);
		rtp_ext_get_audio_level(v, id, &vad, &lvl);
	}
	return n;
}

/* Rewrites seq/ts/ssrc/marker/pt in a copy and parses it again. */
static void check_rewrite(const struct rtp_view *v, const uint8_t *data, size_t size)
{
	struct rtp_view w;
	uint16_t seq = (uint16_t)(v->seq * 31 + 7);
	uint32_t ts = v->ts ^ 0x5a5a5a5a;
	uint32_t ssrc = ~v->ssrc;

	memcpy(scratch, data, size);
	rtp_set_seq(scratch, seq);
	rtp_set_ts(scratch, ts);
	rtp_set_ssrc(scratch, ssrc);
	rtp_set_marker(scratch, !v->marker);
	rtp_set_pt(scratch, (uint8_t)(v->pt + 1));
	CHECK(rtp_parse(&w, scratch, size) == 0);
	CHECK(w.seq == seq && w.ts == ts && w.ssrc == ssrc);
	CHECK(w.marker == !v->marker && w.pt == ((v->pt + 1) & 0x7f));
	CHECK(w.payload_off == v->payload_off && w.payload_len == v->payload_len);
	CHECK(scratch[0] == data[0] && memcmp(scratch + 12, data + 12, size - 12) == 0);
}

/* Overwrites every distinct extension in place and reads it back. */
static void check_ext_set(const struct rtp_view *v, const struct rtp_ext *ext, size_t n,
			  const uint8_t *data, size_t size)
{
	uint8_t val[256];
	struct rtp_view w;

	memcpy(scratch, data, size);
	CHECK(rtp_parse(&w, scratch, size) == 0);
	for (size_t i = 0; i < n && i < 16; i++) {
		const uint8_t *d;
		size_t len;
		/* Only the first element of an id is what find and set reach. */
		if (rtp_ext_find(&w, ext[i].id, &d, &len) != 0 || d != w.buf + (ext[i].data - v->buf))
			continue;
		for (size_t k = 0; k < len; k++)
			val[k] = (uint8_t)(d[k] ^ 0xa5);
		CHECK(rtp_ext_set(&w, scratch, ext[i].id, val, len) == 0);
		CHECK(rtp_ext_find(&w, ext[i].id, &d, &len) == 0);
		CHECK(memcmp(d, val, len) == 0);
		if (len + 1 <= sizeof(val))
			CHECK(rtp_ext_set(&w, scratch, ext[i].id, val, len + 1) == EINVAL);
	}
}

/* Rebuilds the header with rtp_write_header (one-byte extensions only) and
 * checks that it parses to the same fields and elements. */
static void check_rebuild(const struct rtp_view *v, const struct rtp_ext *ext, size_t n)
{
	uint32_t csrc[RTP_MAX_CSRC];
	struct rtp_ext again[MAX_EXT];
	struct rtp_view w;
	size_t len;

	if (v->has_ext && (v->ext_profile != RTP_EXT_ONE_BYTE || n == 0 || n >= MAX_EXT))
		return;
	for (unsigned i = 0; i < v->csrc_count; i++)
		csrc[i] = rtp_csrc(v, i);
	struct rtp_header h = {
		.marker = v->marker, .pt = v->pt, .seq = v->seq, .ts = v->ts, .ssrc = v->ssrc,
		.csrc = csrc, .csrc_count = v->csrc_count, .ext = ext, .ext_count = (unsigned)n,
	};
	if (!v->has_ext)
		h.ext_count = 0;
	CHECK(rtp_write_header(scratch, sizeof(scratch), &h, &len) == 0);
	CHECK(rtp_write_header(scratch, len - 1, &h, &len) == ENOSPC);
	CHECK(rtp_write_header(scratch, sizeof(scratch), &h, &len) == 0);
	CHECK(rtp_parse(&w, scratch, len) == 0);
	CHECK(w.marker == v->marker && w.pt == v->pt && w.seq == v->seq && w.ts == v->ts);
	CHECK(w.ssrc == v->ssrc && w.csrc_count == v->csrc_count && w.payload_len == 0);
	for (unsigned i = 0; i < v->csrc_count; i++)
		CHECK(rtp_csrc(&w, i) == csrc[i]);
	CHECK(read_all(&w, again) == h.ext_count);
	for (size_t i = 0; i < h.ext_count; i++) {
		CHECK(again[i].id == ext[i].id && again[i].len == ext[i].len);
		CHECK(memcmp(again[i].data, ext[i].data, ext[i].len) == 0);
	}
}

static void check_unwrap(const uint8_t *data, size_t size)
{
	struct rtp_seq_unwrap su = { 0 };
	struct rtp_ts_unwrap tu = { 0 };
	int64_t ps = 0, pt = 0;

	for (size_t i = 0; i + 4 <= size; i += 4) {
		uint16_t s = (uint16_t)(data[i] << 8 | data[i + 1]);
		uint32_t t = (uint32_t)s << 16 | (uint32_t)(data[i + 2] << 8 | data[i + 3]);
		int64_t es = rtp_seq_unwrap(&su, s);
		int64_t et = rtp_ts_unwrap(&tu, t);
		CHECK((uint16_t)es == s && (uint32_t)et == t);
		if (i > 0) {
			CHECK(es - ps <= 0x7fff && ps - es <= 0x8000);
			CHECK(et - pt <= 0x7fffffff && pt - et <= INT64_C(0x80000000));
			CHECK(rtp_seq_newer(s, (uint16_t)ps) == (es > ps));
		}
		ps = es;
		pt = et;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtp_ext ext[MAX_EXT];
	struct rtp_view v;

	enum rtp_class c = rtp_classify(data, size);
	CHECK(c != RTP_CLASS_RTCP || rtp_is_rtcp(data, size));
	check_unwrap(data, size);
	if (size > sizeof(scratch) - 1024 || rtp_parse(&v, data, size) != 0)
		return 0;
	CHECK(v.buf == data && v.len == size);
	CHECK(v.payload_off + v.payload_len + v.pad_len == size);
	CHECK(!v.has_ext || v.ext_off + v.ext_len <= v.payload_off);
	size_t n = read_all(&v, ext);
	check_rewrite(&v, data, size);
	check_ext_set(&v, ext, n, data, size);
	check_rebuild(&v, ext, n);
	return 0;
}
