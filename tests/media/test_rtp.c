/* test_rtp.c - media/rtp.c: parsing, header extensions, in-place rewriting,
 * the header builder, sequence/timestamp arithmetic and RFC 7983 demux. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "media/rtp.h"

/* An Opus packet shaped like Chrome's, with its default audio extmap:
 * 1 ssrc-audio-level, 2 abs-send-time, 3 transport-wide-cc, 4 sdes:mid. */
static const uint8_t chrome_opus[] = {
	0x90, 0x6f, 0x12, 0x34,                         /* V=2 X, PT 111, seq 0x1234 */
	0x00, 0x01, 0xe2, 0x40,                         /* ts 123456 */
	0xde, 0xad, 0xbe, 0xef,                         /* ssrc */
	0xbe, 0xde, 0x00, 0x03,                         /* one-byte form, 3 words */
	0x10, 0x9e,                                     /* id 1 len 1: V=1 level 30 */
	0x22, 0x0a, 0xbc, 0xde,                         /* id 2 len 3: abs-send-time */
	0x31, 0x01, 0x02,                               /* id 3 len 2: twcc 0x0102 */
	0x40, '0',                                      /* id 4 len 1: mid "0" */
	0x00,                                           /* padding */
	0xf8, 0xff, 0xfe,                               /* Opus payload (DTX frame) */
};

/* A VP8 packet with CSRCs, a two-byte extension block and RTP padding. */
static const uint8_t two_byte_padded[] = {
	0xb2, 0xe0, 0xff, 0xff,                         /* V=2 P X CC=2, M, PT 96, seq 65535 */
	0xff, 0xff, 0xff, 0xff,                         /* ts */
	0x00, 0x00, 0x00, 0x01,                         /* ssrc 1 */
	0x11, 0x11, 0x11, 0x11,                         /* csrc 0 */
	0x22, 0x22, 0x22, 0x22,                         /* csrc 1 */
	0x10, 0x05, 0x00, 0x03,                         /* two-byte form (app bits 5), 3 words */
	0x07, 0x00,                                     /* id 7, len 0 */
	0x00,                                           /* padding */
	0x0a, 0x04, 'h', 'i', 'g', 'h',                 /* id 10 len 4: rid "high" */
	0x00, 0x00, 0x00,                               /* padding */
	0x90, 0xe0, 0x80, 0x01,                         /* payload */
	0x00, 0x00, 0x03,                               /* RTP padding: 3 bytes */
};

static const uint8_t plain[] = {
	0x80, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0xa0, 0x01, 0x02, 0x03, 0x04,
	0xd5, 0xd5, 0xd5, 0xd5,
};

/* A heap copy of exactly `len` bytes, so that ASan sees any overread. */
static uint8_t *dup_exact(const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);
	assert_non_null(p);
	memcpy(p, src, len);
	return p;
}

static void test_parse_plain(void **state)
{
	struct rtp_view v;

	assert_int_equal(rtp_parse(&v, plain, sizeof(plain)), 0);
	assert_int_equal(v.pt, 8);
	assert_false(v.marker);
	assert_int_equal(v.seq, 1);
	assert_int_equal(v.ts, 160);
	assert_int_equal(v.ssrc, 0x01020304);
	assert_int_equal(v.csrc_count, 0);
	assert_false(v.has_ext);
	assert_int_equal(v.pad_len, 0);
	assert_int_equal(v.payload_off, 12);
	assert_int_equal(v.payload_len, 4);
	assert_ptr_equal(rtp_payload(&v), plain + 12);

	const uint8_t *d;
	size_t len;
	assert_int_equal(rtp_ext_find(&v, 1, &d, &len), ENOENT);
}

static void test_parse_chrome_audio(void **state)
{
	struct rtp_view v;
	const uint8_t *d;
	size_t len;
	bool voice;
	uint8_t level;
	uint32_t ast;
	uint16_t tw;
	char mid[16];

	assert_int_equal(rtp_parse(&v, chrome_opus, sizeof(chrome_opus)), 0);
	assert_int_equal(v.pt, 111);
	assert_int_equal(v.seq, 0x1234);
	assert_int_equal(v.ts, 123456);
	assert_int_equal(v.ssrc, 0xdeadbeef);
	assert_true(v.has_ext);
	assert_int_equal(v.ext_profile, RTP_EXT_ONE_BYTE);
	assert_int_equal(v.ext_off, 16);
	assert_int_equal(v.ext_len, 12);
	assert_int_equal(v.payload_off, 28);
	assert_int_equal(v.payload_len, 3);
	assert_int_equal(rtp_payload(&v)[0], 0xf8);

	assert_int_equal(rtp_ext_get_audio_level(&v, 1, &voice, &level), 0);
	assert_true(voice);
	assert_int_equal(level, 30);
	assert_int_equal(rtp_ext_get_abs_send_time(&v, 2, &ast), 0);
	assert_int_equal(ast, 0x0abcde);
	assert_int_equal(rtp_ext_get_twcc_seq(&v, 3, &tw), 0);
	assert_int_equal(tw, 0x0102);
	assert_int_equal(rtp_ext_get_sdes(&v, 4, mid, sizeof(mid)), 0);
	assert_string_equal(mid, "0");
	assert_int_equal(rtp_ext_find(&v, 2, &d, &len), 0);
	assert_int_equal(len, 3);
	assert_ptr_equal(d, chrome_opus + 19);

	/* Absent ids, id 0, and a getter given the wrong element's id. */
	assert_int_equal(rtp_ext_find(&v, 5, &d, &len), ENOENT);
	assert_int_equal(rtp_ext_find(&v, 0, &d, &len), ENOENT);
	assert_int_equal(rtp_ext_get_sdes(&v, 9, mid, sizeof(mid)), ENOENT);
	assert_int_equal(rtp_ext_get_twcc_seq(&v, 2, &tw), EBADMSG);
	assert_int_equal(rtp_ext_get_abs_send_time(&v, 3, &ast), EBADMSG);
	assert_int_equal(rtp_ext_get_audio_level(&v, 2, &voice, &level), EBADMSG);
}

static void test_parse_two_byte_csrc_padding(void **state)
{
	struct rtp_view v;
	struct rtp_ext_iter it;
	struct rtp_ext e;
	const uint8_t *d;
	size_t len;
	char rid[8];

	assert_int_equal(rtp_parse(&v, two_byte_padded, sizeof(two_byte_padded)), 0);
	assert_true(v.marker);
	assert_int_equal(v.pt, 96);
	assert_int_equal(v.seq, 65535);
	assert_int_equal(v.ts, 0xffffffffu);
	assert_int_equal(v.csrc_count, 2);
	assert_int_equal(rtp_csrc(&v, 0), 0x11111111);
	assert_int_equal(rtp_csrc(&v, 1), 0x22222222);
	assert_int_equal(v.ext_profile, 0x1005);
	assert_int_equal(v.pad_len, 3);
	assert_int_equal(v.payload_off, 36);
	assert_int_equal(v.payload_len, 4);

	/* The iterator sees both elements, the empty one included. */
	rtp_ext_iter_init(&it, &v);
	assert_int_equal(rtp_ext_iter_next(&it, &e), 0);
	assert_int_equal(e.id, 7);
	assert_int_equal(e.len, 0);
	assert_int_equal(rtp_ext_iter_next(&it, &e), 0);
	assert_int_equal(e.id, 10);
	assert_int_equal(e.len, 4);
	assert_int_equal(rtp_ext_iter_next(&it, &e), ENOENT);
	assert_int_equal(rtp_ext_iter_next(&it, &e), ENOENT);

	assert_int_equal(rtp_ext_find(&v, 7, &d, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(rtp_ext_get_sdes(&v, 10, rid, sizeof(rid)), 0);
	assert_string_equal(rid, "high");
	assert_int_equal(rtp_ext_get_sdes(&v, 10, rid, 4), ENOSPC);
	assert_int_equal(rtp_ext_get_sdes(&v, 10, rid, 5), 0);
	assert_int_equal(rtp_ext_get_sdes(&v, 7, rid, sizeof(rid)), EBADMSG); /* empty */
}

static void test_padding_only_and_unknown_profile(void **state)
{
	/* A padding-only probe: payload 0, 8 padding bytes. */
	uint8_t probe[20] = { 0xa0, 0x60, 0, 5, 0, 0, 0, 9, 0, 0, 0, 7 };
	struct rtp_view v;

	probe[19] = 8;
	assert_int_equal(rtp_parse(&v, probe, sizeof(probe)), 0);
	assert_int_equal(v.payload_len, 0);
	assert_int_equal(v.pad_len, 8);
	assert_int_equal(v.payload_off, 12);

	/* An extension block of another profile parses but has no elements. */
	uint8_t other[] = { 0x90, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1,
			    0x12, 0x34, 0x00, 0x01, 0x10, 0xaa, 0x00, 0x00 };
	struct rtp_ext_iter it;
	struct rtp_ext e;
	const uint8_t *d;
	size_t len;
	assert_int_equal(rtp_parse(&v, other, sizeof(other)), 0);
	assert_true(v.has_ext);
	assert_int_equal(v.ext_profile, 0x1234);
	assert_int_equal(v.payload_len, 0);
	rtp_ext_iter_init(&it, &v);
	assert_int_equal(rtp_ext_iter_next(&it, &e), ENOENT);
	assert_int_equal(rtp_ext_find(&v, 1, &d, &len), ENOENT);
}

static void test_parse_malformed(void **state)
{
	struct rtp_view v;
	uint8_t p[64];

	assert_int_equal(rtp_parse(&v, plain, 0), EBADMSG);
	assert_int_equal(rtp_parse(&v, plain, 11), EBADMSG);
	assert_int_equal(rtp_parse(&v, plain, 12), 0); /* header only: empty payload */

	for (unsigned ver = 0; ver < 4; ver++) {
		memcpy(p, plain, sizeof(plain));
		p[0] = (uint8_t)((p[0] & 0x3f) | ver << 6);
		assert_int_equal(rtp_parse(&v, p, sizeof(plain)), ver == 2 ? 0 : EBADMSG);
	}

	/* CSRC count overrun: 15 CSRCs need 72 bytes. */
	memcpy(p, plain, sizeof(plain));
	p[0] = 0x8f;
	assert_int_equal(rtp_parse(&v, p, sizeof(plain)), EBADMSG);
	p[0] = 0x81; /* one CSRC fits exactly, then no payload */
	assert_int_equal(rtp_parse(&v, p, sizeof(plain)), 0);
	assert_int_equal(v.payload_len, 0);

	/* Extension header missing, then extension length overrunning. */
	memcpy(p, plain, 12);
	p[0] = 0x90;
	assert_int_equal(rtp_parse(&v, p, 12), EBADMSG);
	memcpy(p + 12, "\xbe\xde\x00\x02\x10\xaa\x00\x00", 8);
	assert_int_equal(rtp_parse(&v, p, 20), EBADMSG);
	assert_int_equal(rtp_parse(&v, p, 23), EBADMSG);
	memset(p + 20, 0, 4);
	assert_int_equal(rtp_parse(&v, p, 24), 0);
	p[14] = 0xff;
	p[15] = 0xff; /* 65535 words */
	assert_int_equal(rtp_parse(&v, p, 24), EBADMSG);
}

static void test_parse_bad_padding(void **state)
{
	struct rtp_view v;
	uint8_t p[16];

	memcpy(p, plain, sizeof(plain));
	p[0] |= 0x20;
	p[15] = 0; /* a count of 0 cannot include itself */
	assert_int_equal(rtp_parse(&v, p, sizeof(p)), EBADMSG);
	p[15] = 5; /* more than the 4 bytes after the header */
	assert_int_equal(rtp_parse(&v, p, sizeof(p)), EBADMSG);
	p[15] = 255;
	assert_int_equal(rtp_parse(&v, p, sizeof(p)), EBADMSG);
	p[15] = 4;
	assert_int_equal(rtp_parse(&v, p, sizeof(p)), 0);
	assert_int_equal(v.payload_len, 0);
	p[15] = 1;
	assert_int_equal(rtp_parse(&v, p, sizeof(p)), 0);
	assert_int_equal(v.payload_len, 3);

	/* Padding may not eat into the extension block. */
	uint8_t q[] = { 0xb0, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1,
			0xbe, 0xde, 0x00, 0x01, 0x10, 0xaa, 0x00, 0x02 };
	assert_int_equal(rtp_parse(&v, q, sizeof(q)), EBADMSG);
}

/* Parses, walks every extension and reads every getter of a parsed view;
 * checks that the view describes bytes inside the buffer. */
static void check_consistent(const uint8_t *buf, size_t len)
{
	struct rtp_view v;
	struct rtp_ext_iter it;
	struct rtp_ext e;
	char s[32];
	uint32_t u32;
	uint16_t u16;
	uint8_t lvl;
	bool vad;

	if (rtp_parse(&v, buf, len) != 0)
		return;
	assert_true(v.payload_off + v.payload_len + v.pad_len == len);
	assert_true(v.payload_off >= RTP_HEADER_SIZE + 4u * v.csrc_count);
	if (v.has_ext)
		assert_true(v.ext_off + v.ext_len <= v.payload_off);
	rtp_ext_iter_init(&it, &v);
	while (rtp_ext_iter_next(&it, &e) == 0)
		assert_true(e.data >= buf + v.ext_off && e.data + e.len <= buf + v.ext_off + v.ext_len);
	for (uint8_t id = 0; id < 16; id++) {
		rtp_ext_get_sdes(&v, id, s, sizeof(s));
		rtp_ext_get_abs_send_time(&v, id, &u32);
		rtp_ext_get_twcc_seq(&v, id, &u16);
		rtp_ext_get_audio_level(&v, id, &vad, &lvl);
	}
}

static void test_truncated_every_prefix(void **state)
{
	const struct {
		const uint8_t *p;
		size_t len;
		size_t hdr; /* prefixes at least this long parse; 0: not known */
	} pkts[] = {
		{ chrome_opus, sizeof(chrome_opus), 28 },
		{ two_byte_padded, sizeof(two_byte_padded), 0 },
		{ plain, sizeof(plain), 12 },
	};

	for (size_t k = 0; k < sizeof(pkts) / sizeof(pkts[0]); k++) {
		for (size_t n = 0; n <= pkts[k].len; n++) {
			uint8_t *b = dup_exact(pkts[k].p, n);
			struct rtp_view v;
			int err = rtp_parse(&v, b, n);
			if (pkts[k].hdr)
				assert_int_equal(err, n >= pkts[k].hdr ? 0 : EBADMSG);
			else
				assert_true(err == 0 || err == EBADMSG);
			if (n == pkts[k].len)
				assert_int_equal(err, 0);
			check_consistent(b, n);
			free(b);
		}
	}
}

static void test_ext_elements_malformed(void **state)
{
	/* id 1 claims 4 bytes but the block has only 3 after it. */
	uint8_t p[] = { 0x90, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1,
			0xbe, 0xde, 0x00, 0x01, 0x13, 0xaa, 0xbb, 0xcc };
	struct rtp_view v;
	const uint8_t *d;
	size_t len;
	uint16_t tw;

	assert_int_equal(rtp_parse(&v, p, sizeof(p)), 0);
	assert_int_equal(rtp_ext_find(&v, 1, &d, &len), EBADMSG);
	assert_int_equal(rtp_ext_find(&v, 2, &d, &len), EBADMSG);
	assert_int_equal(rtp_ext_get_twcc_seq(&v, 1, &tw), EBADMSG);

	/* ID 15 stops processing: what follows is not read. */
	p[16] = 0xf0;
	p[17] = 0x21;
	assert_int_equal(rtp_ext_find(&v, 2, &d, &len), ENOENT);

	/* An ID 0 byte with a length is padding: skipped alone. */
	p[16] = 0x05;
	p[17] = 0x11;
	assert_int_equal(rtp_ext_find(&v, 1, &d, &len), 0);
	assert_int_equal(len, 2);
	assert_ptr_equal(d, p + 18);

	/* Two-byte form: a header with no room for its length byte. */
	uint8_t q[] = { 0x90, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1,
			0x10, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05 };
	assert_int_equal(rtp_parse(&v, q, sizeof(q)), 0);
	assert_int_equal(rtp_ext_find(&v, 5, &d, &len), EBADMSG);
	q[18] = 0x05;
	q[19] = 0x01; /* id 5 len 1 with no data byte */
	assert_int_equal(rtp_ext_find(&v, 5, &d, &len), EBADMSG);
	q[18] = 0x05;
	q[19] = 0x00; /* id 5 len 0: fine */
	assert_int_equal(rtp_ext_find(&v, 5, &d, &len), 0);
	assert_int_equal(len, 0);
}

static void test_ext_sdes_values(void **state)
{
	uint8_t p[] = { 0x90, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1,
			0xbe, 0xde, 0x00, 0x01, 0x12, 'a', '\0', '\0' };
	struct rtp_view v;
	char s[8];

	/* A NUL ends the value, as libwebrtc reads it. */
	assert_int_equal(rtp_parse(&v, p, sizeof(p)), 0);
	assert_int_equal(rtp_ext_get_sdes(&v, 1, s, sizeof(s)), 0);
	assert_string_equal(s, "a");
	assert_int_equal(rtp_ext_get_sdes(&v, 1, s, 1), ENOSPC);
	/* A value starting with NUL is empty; a control byte or space is bad. */
	p[17] = '\0';
	assert_int_equal(rtp_ext_get_sdes(&v, 1, s, sizeof(s)), EBADMSG);
	p[17] = ' ';
	assert_int_equal(rtp_ext_get_sdes(&v, 1, s, sizeof(s)), EBADMSG);
	p[17] = 0x7f;
	assert_int_equal(rtp_ext_get_sdes(&v, 1, s, sizeof(s)), EBADMSG);
	p[17] = 'z';
	p[18] = 0x01;
	assert_int_equal(rtp_ext_get_sdes(&v, 1, s, sizeof(s)), EBADMSG);
	p[18] = '~';
	p[19] = '!';
	assert_int_equal(rtp_ext_get_sdes(&v, 1, s, sizeof(s)), 0);
	assert_string_equal(s, "z~!");
}

static void test_ext_set_in_place(void **state)
{
	uint8_t p[sizeof(chrome_opus)];
	uint8_t copy[sizeof(chrome_opus)];
	struct rtp_view v;
	uint32_t ast;
	uint16_t tw;

	memcpy(p, chrome_opus, sizeof(p));
	assert_int_equal(rtp_parse(&v, p, sizeof(p)), 0);
	assert_int_equal(rtp_ext_set_abs_send_time(&v, p, 2, 0xff123456), 0);
	assert_int_equal(rtp_ext_set_twcc_seq(&v, p, 3, 0xbeef), 0);
	assert_int_equal(rtp_ext_get_abs_send_time(&v, 2, &ast), 0);
	assert_int_equal(ast, 0x123456);
	assert_int_equal(rtp_ext_get_twcc_seq(&v, 3, &tw), 0);
	assert_int_equal(tw, 0xbeef);
	/* Only those 5 bytes changed. */
	assert_memory_equal(p, chrome_opus, 19);
	assert_memory_equal(p + 22, chrome_opus + 22, 1);
	assert_memory_equal(p + 25, chrome_opus + 25, sizeof(p) - 25);

	/* Same-length only; absent ids are reported. */
	assert_int_equal(rtp_ext_set_twcc_seq(&v, p, 2, 1), EINVAL);
	assert_int_equal(rtp_ext_set_abs_send_time(&v, p, 9, 1), ENOENT);
	assert_int_equal(rtp_ext_set(&v, p, 4, "1", 1), 0);
	assert_int_equal(p[26], '1');

	/* Writing into a per-send copy leaves the shared original alone. */
	memcpy(p, chrome_opus, sizeof(p));
	memcpy(copy, chrome_opus, sizeof(copy));
	assert_int_equal(rtp_parse(&v, p, sizeof(p)), 0);
	assert_int_equal(rtp_ext_set_twcc_seq(&v, copy, 3, 0x0a0b), 0);
	assert_memory_equal(p, chrome_opus, sizeof(p));
	assert_int_equal(copy[23], 0x0a);
	assert_int_equal(copy[24], 0x0b);
}

static void test_rewrite_header(void **state)
{
	uint8_t p[sizeof(chrome_opus)];
	struct rtp_view v;

	memcpy(p, chrome_opus, sizeof(p));
	rtp_set_seq(p, 0xfffe);
	rtp_set_ts(p, 0x89abcdef);
	rtp_set_ssrc(p, 42);
	rtp_set_marker(p, true);
	rtp_set_pt(p, 100);
	assert_int_equal(rtp_parse(&v, p, sizeof(p)), 0);
	assert_int_equal(v.seq, 0xfffe);
	assert_int_equal(v.ts, 0x89abcdef);
	assert_int_equal(v.ssrc, 42);
	assert_true(v.marker);
	assert_int_equal(v.pt, 100);
	assert_memory_equal(p + 12, chrome_opus + 12, sizeof(p) - 12);

	rtp_set_marker(p, false);
	assert_int_equal(rtp_parse(&v, p, sizeof(p)), 0);
	assert_false(v.marker);
	assert_int_equal(v.pt, 100);
	rtp_set_marker(p, true);
	rtp_set_pt(p, 0xff); /* only 7 bits are kept; the marker stays */
	assert_int_equal(rtp_parse(&v, p, sizeof(p)), 0);
	assert_int_equal(v.pt, 127);
	assert_true(v.marker);
}

static void test_write_header(void **state)
{
	static const uint8_t level[] = { 0x9e };
	static const uint8_t ast[] = { 0x0a, 0xbc, 0xde };
	static const uint8_t twcc[] = { 0x01, 0x02 };
	const struct rtp_ext ext[] = {
		{ .id = 1, .len = 1, .data = level },
		{ .id = 2, .len = 3, .data = ast },
		{ .id = 3, .len = 2, .data = twcc },
		{ .id = 4, .len = 1, .data = (const uint8_t *)"0" },
	};
	const struct rtp_header h = {
		.pt = 111, .seq = 0x1234, .ts = 123456, .ssrc = 0xdeadbeef,
		.ext = ext, .ext_count = 4,
	};
	uint8_t buf[64];
	size_t len = 0;

	/* The builder reproduces the Chrome-shaped header byte for byte. */
	assert_int_equal(rtp_write_header(buf, sizeof(buf), &h, &len), 0);
	assert_int_equal(len, 28);
	assert_memory_equal(buf, chrome_opus, 28);
	for (size_t n = 0; n < 28; n++)
		assert_int_equal(rtp_write_header(buf, n, &h, &len), ENOSPC);
	assert_int_equal(rtp_write_header(buf, 28, &h, &len), 0);
}

static void test_write_header_round_trip(void **state)
{
	const uint32_t csrc[] = { 7, 8, 9 };
	const uint8_t sixteen[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	const struct rtp_ext ext[] = { { .id = 14, .len = 16, .data = sixteen } };
	struct rtp_header h = {
		.marker = true, .pt = 127, .seq = 65535, .ts = 1, .ssrc = 2,
		.csrc = csrc, .csrc_count = 3, .ext = ext, .ext_count = 1,
	};
	uint8_t buf[128];
	size_t len;
	struct rtp_view v;
	const uint8_t *d;
	size_t dl;

	assert_int_equal(rtp_write_header(buf, sizeof(buf), &h, &len), 0);
	assert_int_equal(len, 12 + 12 + 4 + 20);
	memcpy(buf + len, "payload", 7);
	assert_int_equal(rtp_parse(&v, buf, len + 7), 0);
	assert_true(v.marker);
	assert_int_equal(v.pt, 127);
	assert_int_equal(v.seq, 65535);
	assert_int_equal(v.csrc_count, 3);
	assert_int_equal(rtp_csrc(&v, 2), 9);
	assert_int_equal(v.payload_off, len);
	assert_int_equal(v.payload_len, 7);
	assert_int_equal(rtp_ext_find(&v, 14, &d, &dl), 0);
	assert_int_equal(dl, 16);
	assert_memory_equal(d, sixteen, 16);

	/* No extensions: a bare 12-byte header without the X bit. */
	struct rtp_header bare = { .pt = 0, .seq = 1 };
	assert_int_equal(rtp_write_header(buf, 12, &bare, &len), 0);
	assert_int_equal(len, 12);
	assert_int_equal(buf[0], 0x80);

	/* Invalid arguments. */
	struct rtp_ext bad = { .id = 15, .len = 1, .data = sixteen };
	h.ext = &bad;
	assert_int_equal(rtp_write_header(buf, sizeof(buf), &h, &len), EINVAL);
	bad.id = 0;
	assert_int_equal(rtp_write_header(buf, sizeof(buf), &h, &len), EINVAL);
	bad.id = 1;
	bad.len = 17;
	assert_int_equal(rtp_write_header(buf, sizeof(buf), &h, &len), EINVAL);
	bad.len = 0;
	assert_int_equal(rtp_write_header(buf, sizeof(buf), &h, &len), EINVAL);
	h.ext_count = 0;
	h.pt = 128;
	assert_int_equal(rtp_write_header(buf, sizeof(buf), &h, &len), EINVAL);
	h.pt = 0;
	h.csrc_count = 16;
	assert_int_equal(rtp_write_header(buf, sizeof(buf), &h, &len), EINVAL);
}

static void test_seq_newer(void **state)
{
	assert_true(rtp_seq_newer(1, 0));
	assert_false(rtp_seq_newer(0, 1));
	assert_false(rtp_seq_newer(5, 5));
	assert_true(rtp_seq_newer(0, 65535));
	assert_false(rtp_seq_newer(65535, 0));
	assert_true(rtp_seq_newer(0x7fff, 0));
	assert_false(rtp_seq_newer(0x8000, 0)); /* exactly half: neither */
	assert_false(rtp_seq_newer(0, 0x8000));
	assert_true(rtp_seq_newer(100, 65500));

	assert_true(rtp_ts_newer(0, 0xffffffffu));
	assert_false(rtp_ts_newer(0xffffffffu, 0));
	assert_true(rtp_ts_newer(0x7fffffffu, 0));
	assert_false(rtp_ts_newer(0x80000000u, 0));
	assert_false(rtp_ts_newer(7, 7));
}

static void test_seq_unwrap(void **state)
{
	struct rtp_seq_unwrap u;

	rtp_seq_unwrap_init(&u);
	assert_int_equal(rtp_seq_unwrap(&u, 65534), 65534);
	assert_int_equal(rtp_seq_unwrap(&u, 65535), 65535);
	assert_int_equal(rtp_seq_unwrap(&u, 0), 65536);
	assert_int_equal(rtp_seq_unwrap(&u, 65535), 65535); /* reordered */
	assert_int_equal(rtp_seq_unwrap(&u, 2), 65538);
	assert_int_equal(rtp_seq_unwrap(&u, 0x8001), 65536 + 0x8001); /* big jump forward */
	assert_int_equal(rtp_seq_unwrap(&u, 2), 65538);               /* and back */

	/* Many wraps in steps of 0x4000. */
	int64_t want = 65538;
	for (int i = 0; i < 40; i++) {
		want += 0x4000;
		assert_int_equal(rtp_seq_unwrap(&u, (uint16_t)want), want);
	}

	/* Older than the first across a wrap goes negative. */
	struct rtp_seq_unwrap z = { 0 };
	assert_int_equal(rtp_seq_unwrap(&z, 1), 1);
	assert_true(rtp_seq_unwrap(&z, 65535) == -1);
}

static void test_ts_unwrap(void **state)
{
	struct rtp_ts_unwrap u;

	rtp_ts_unwrap_init(&u);
	assert_true(rtp_ts_unwrap(&u, 0xfffffff0u) == INT64_C(0xfffffff0));
	assert_true(rtp_ts_unwrap(&u, 0x10) == INT64_C(0x100000010));
	assert_true(rtp_ts_unwrap(&u, 0xffffff00u) == INT64_C(0xffffff00));
	/* 0x800000ff ahead is more than half: taken as behind. */
	assert_true(rtp_ts_unwrap(&u, 0x7fffffffu) == INT64_C(0x7fffffff));
	int64_t want = INT64_C(0x7fffffff);
	for (int i = 0; i < 10; i++) {
		want += 0x40000000;
		assert_true(rtp_ts_unwrap(&u, (uint32_t)want) == want);
	}
}

static void test_classify(void **state)
{
	uint8_t b[2] = { 0, 0 };
	const struct {
		uint8_t first, second;
		enum rtp_class want;
	} cases[] = {
		{ 0, 1, RTP_CLASS_STUN },       { 1, 1, RTP_CLASS_STUN },
		{ 3, 0, RTP_CLASS_STUN },       { 4, 0, RTP_CLASS_UNKNOWN },
		{ 15, 0, RTP_CLASS_UNKNOWN },   { 16, 0, RTP_CLASS_ZRTP },
		{ 19, 0, RTP_CLASS_ZRTP },      { 20, 0, RTP_CLASS_DTLS },
		{ 22, 0xfe, RTP_CLASS_DTLS },   { 63, 0, RTP_CLASS_DTLS },
		{ 64, 0, RTP_CLASS_TURN },      { 79, 0, RTP_CLASS_TURN },
		{ 80, 0, RTP_CLASS_UNKNOWN },   { 127, 0, RTP_CLASS_UNKNOWN },
		{ 128, 96, RTP_CLASS_RTP },     { 0x90, 0xef, RTP_CLASS_RTP },
		{ 0x80, 191, RTP_CLASS_RTP },   { 0x80, 192, RTP_CLASS_RTCP },
		{ 0x81, 200, RTP_CLASS_RTCP },  { 0x8f, 206, RTP_CLASS_RTCP },
		{ 0x80, 223, RTP_CLASS_RTCP },  { 0x80, 224, RTP_CLASS_RTP },
		{ 191, 201, RTP_CLASS_RTCP },   { 192, 201, RTP_CLASS_UNKNOWN },
		{ 255, 0, RTP_CLASS_UNKNOWN },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		b[0] = cases[i].first;
		b[1] = cases[i].second;
		assert_int_equal(rtp_classify(b, 2), cases[i].want);
	}
	assert_int_equal(rtp_classify(b, 0), RTP_CLASS_UNKNOWN);
	b[0] = 0x80;
	assert_int_equal(rtp_classify(b, 1), RTP_CLASS_UNKNOWN);
	b[0] = 0x00;
	assert_int_equal(rtp_classify(b, 1), RTP_CLASS_STUN);

	b[1] = 200;
	assert_true(rtp_is_rtcp(b, 2));
	assert_false(rtp_is_rtcp(b, 1));
	b[1] = 111;
	assert_false(rtp_is_rtcp(b, 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_plain),
		cmocka_unit_test(test_parse_chrome_audio),
		cmocka_unit_test(test_parse_two_byte_csrc_padding),
		cmocka_unit_test(test_padding_only_and_unknown_profile),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_parse_bad_padding),
		cmocka_unit_test(test_truncated_every_prefix),
		cmocka_unit_test(test_ext_elements_malformed),
		cmocka_unit_test(test_ext_sdes_values),
		cmocka_unit_test(test_ext_set_in_place),
		cmocka_unit_test(test_rewrite_header),
		cmocka_unit_test(test_write_header),
		cmocka_unit_test(test_write_header_round_trip),
		cmocka_unit_test(test_seq_newer),
		cmocka_unit_test(test_seq_unwrap),
		cmocka_unit_test(test_ts_unwrap),
		cmocka_unit_test(test_classify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
