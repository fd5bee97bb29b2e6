/* test_rtcp.c - media/rtcp.c: compound iteration, every parser on valid and
 * malformed input, builders round-tripping through the parsers, and the
 * report block / NTP arithmetic. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "media/rtcp.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const uint8_t sr_pkt[] = {
	0x81, 0xc8, 0x00, 0x0c,                         /* SR, RC=1, 13 words */
	0x11, 0x22, 0x33, 0x44,                         /* sender SSRC */
	0xe1, 0xb2, 0xc3, 0xd4, 0x80, 0x00, 0x00, 0x00, /* NTP */
	0x00, 0x00, 0x10, 0x00,                         /* RTP ts */
	0x00, 0x00, 0x00, 0x64,                         /* packets 100 */
	0x00, 0x00, 0x27, 0x10,                         /* octets 10000 */
	0x55, 0x66, 0x77, 0x88,                         /* block: SSRC */
	0x40, 0xff, 0xff, 0xfe,                         /* 1/4 lost, cumulative -2 */
	0x00, 0x01, 0x12, 0x34,                         /* ext highest seq */
	0x00, 0x00, 0x00, 0x20,                         /* jitter */
	0xc3, 0xd4, 0x80, 0x00,                         /* LSR */
	0x00, 0x01, 0x00, 0x00,                         /* DLSR: 1 s */
};

/* RR + SDES CNAME + REMB, as a receiver sends them (reduced-size aside). */
static const uint8_t compound[] = {
	0x81, 0xc9, 0x00, 0x07,                         /* RR, RC=1 */
	0x00, 0x00, 0x00, 0x01,
	0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0x00, 0x05,
	0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x10,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x81, 0xca, 0x00, 0x06,                         /* SDES, SC=1 */
	0x00, 0x00, 0x00, 0x01,
	0x01, 0x10, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h',
	'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 0x00, 0x00,
	0x8f, 0xce, 0x00, 0x05,                         /* PSFB AFB: REMB */
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	'R', 'E', 'M', 'B', 0x01, 0x06, 0x49, 0xf0,     /* 1 SSRC, 150000 << 1 */
	0xde, 0xad, 0xbe, 0xef,
};

static uint8_t *dup_exact(const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);
	assert_non_null(p);
	memcpy(p, src, len);
	return p;
}

/* The one element of `buf`, which must be a single valid packet. */
static void one(struct rtcp_pkt *p, const uint8_t *buf, size_t len)
{
	struct rtcp_iter it;

	assert_int_equal(rtcp_iter_init(&it, buf, len), 0);
	assert_true(rtcp_iter_next(&it, p));
	assert_false(rtcp_iter_next(&it, p));
}

/* Runs every parser over every element; returns how many elements. */
static unsigned parse_everything(const uint8_t *buf, size_t len)
{
	struct rtcp_iter it;
	struct rtcp_pkt p;
	unsigned n = 0;

	if (rtcp_iter_init(&it, buf, len))
		return 0;
	while (rtcp_iter_next(&it, &p)) {
		struct rtcp_sr sr;
		struct rtcp_rr rr;
		struct rtcp_report_block rb;
		struct rtcp_sdes_iter si;
		struct rtcp_sdes_item item;
		struct rtcp_bye bye;
		struct rtcp_fb fb;
		struct rtcp_fir fir;
		struct rtcp_fir_entry fe;
		struct rtcp_remb remb;
		uint16_t seqs[64];
		size_t ns;
		uint32_t ssrc;
		char cname[256];

		assert_true(p.data >= buf && p.data + p.len <= buf + len);
		assert_true(p.body_len + 4 <= p.len);
		if (rtcp_sr_parse(&p, &sr) == 0)
			for (unsigned i = 0; i < sr.reports.count; i++)
				rtcp_reports_get(&sr.reports, i, &rb);
		if (rtcp_rr_parse(&p, &rr) == 0)
			for (unsigned i = 0; i < rr.reports.count; i++)
				rtcp_reports_get(&rr.reports, i, &rb);
		if (rtcp_sdes_iter_init(&si, &p) == 0)
			while (rtcp_sdes_iter_next(&si, &item))
				assert_true(item.data + item.len <= p.body + p.body_len);
		rtcp_sdes_cname(&p, &ssrc, cname, sizeof(cname));
		if (rtcp_bye_parse(&p, &bye) == 0) {
			for (unsigned i = 0; i < bye.count; i++)
				rtcp_bye_ssrc(&bye, i);
			if (bye.reason)
				assert_true(bye.reason + bye.reason_len <= p.body + p.body_len);
		}
		rtcp_fb_parse(&p, &fb);
		rtcp_nack_parse(&p, &fb, seqs, N_ELEMS(seqs), &ns);
		if (rtcp_fir_parse(&p, NULL, &fir) == 0)
			for (unsigned i = 0; i < fir.count; i++)
				rtcp_fir_get(&fir, i, &fe);
		if (rtcp_remb_parse(&p, NULL, &remb) == 0)
			for (unsigned i = 0; i < remb.count; i++)
				rtcp_remb_ssrc(&remb, i);
		n++;
	}
	return n;
}

static void test_sr(void **state)
{
	struct rtcp_pkt p;
	struct rtcp_sr sr;
	struct rtcp_rr rr;
	struct rtcp_report_block rb;

	one(&p, sr_pkt, sizeof(sr_pkt));
	assert_int_equal(p.kind, RTCP_KIND_SR);
	assert_int_equal(p.type, RTCP_SR);
	assert_int_equal(p.count, 1);
	assert_int_equal(p.len, 52);
	assert_int_equal(p.body_len, 48);
	assert_int_equal(rtcp_rr_parse(&p, &rr), ENOENT);
	assert_int_equal(rtcp_sr_parse(&p, &sr), 0);
	assert_int_equal(sr.ssrc, 0x11223344);
	assert_true(sr.info.ntp == UINT64_C(0xe1b2c3d480000000));
	assert_int_equal(sr.info.rtp_ts, 0x1000);
	assert_int_equal(sr.info.packets, 100);
	assert_int_equal(sr.info.octets, 10000);
	assert_int_equal(sr.reports.count, 1);
	rtcp_reports_get(&sr.reports, 0, &rb);
	assert_int_equal(rb.ssrc, 0x55667788);
	assert_int_equal(rb.fraction_lost, 0x40);
	assert_int_equal(rb.cumulative_lost, -2);
	assert_int_equal(rb.ext_highest_seq, 0x11234);
	assert_int_equal(rb.jitter, 0x20);
	assert_int_equal(rb.lsr, 0xc3d48000);
	assert_int_equal(rb.dlsr, 0x10000);
	assert_int_equal(rtcp_ntp_compact(sr.info.ntp), rb.lsr);

	/* RC=2 with room for one block. */
	uint8_t bad[sizeof(sr_pkt)];
	memcpy(bad, sr_pkt, sizeof(bad));
	bad[0] = 0x82;
	one(&p, bad, sizeof(bad));
	assert_int_equal(rtcp_sr_parse(&p, &sr), EBADMSG);
	/* RC=0 with a trailing block: a profile extension, ignored. */
	bad[0] = 0x80;
	one(&p, bad, sizeof(bad));
	assert_int_equal(rtcp_sr_parse(&p, &sr), 0);
	assert_int_equal(sr.reports.count, 0);
	/* An SR too short for its sender info. */
	const uint8_t tiny[] = { 0x80, 0xc8, 0x00, 0x01, 0, 0, 0, 1 };
	one(&p, tiny, sizeof(tiny));
	assert_int_equal(rtcp_sr_parse(&p, &sr), EBADMSG);
}

static void test_compound(void **state)
{
	struct rtcp_iter it;
	struct rtcp_pkt p;
	struct rtcp_rr rr;
	struct rtcp_report_block rb;
	struct rtcp_remb remb;
	struct rtcp_fb fb;
	uint32_t ssrc = 0;
	char cname[32];

	assert_int_equal(rtcp_iter_init(&it, compound, sizeof(compound)), 0);
	assert_true(rtcp_iter_next(&it, &p));
	assert_int_equal(p.kind, RTCP_KIND_RR);
	assert_int_equal(rtcp_rr_parse(&p, &rr), 0);
	assert_int_equal(rr.ssrc, 1);
	assert_int_equal(rr.reports.count, 1);
	rtcp_reports_get(&rr.reports, 0, &rb);
	assert_int_equal(rb.ssrc, 0xdeadbeef);
	assert_int_equal(rb.fraction_lost, 0);
	assert_int_equal(rb.cumulative_lost, 5);
	assert_int_equal(rb.ext_highest_seq, 0xffff);
	assert_int_equal(rb.jitter, 16);

	assert_true(rtcp_iter_next(&it, &p));
	assert_int_equal(p.kind, RTCP_KIND_SDES);
	assert_int_equal(rtcp_sdes_cname(&p, &ssrc, cname, sizeof(cname)), 0);
	assert_string_equal(cname, "abcdefghijklmnop");
	assert_int_equal(ssrc, 1);
	assert_int_equal(rtcp_sdes_cname(&p, &ssrc, cname, 16), ENOSPC);

	assert_true(rtcp_iter_next(&it, &p));
	assert_int_equal(p.kind, RTCP_KIND_REMB);
	assert_int_equal(p.count, RTCP_PSFB_AFB);
	assert_int_equal(rtcp_remb_parse(&p, &fb, &remb), 0);
	assert_int_equal(fb.sender_ssrc, 1);
	assert_int_equal(fb.media_ssrc, 0);
	assert_true(remb.bitrate == 300000);
	assert_int_equal(remb.count, 1);
	assert_int_equal(rtcp_remb_ssrc(&remb, 0), 0xdeadbeef);
	assert_false(rtcp_iter_next(&it, &p));
	assert_int_equal(parse_everything(compound, sizeof(compound)), 3);
}

static void test_iter_malformed(void **state)
{
	struct rtcp_iter it;
	struct rtcp_pkt p;
	uint8_t b[sizeof(compound) + 8];

	assert_int_equal(rtcp_iter_init(&it, NULL, 0), EBADMSG);
	assert_false(rtcp_iter_next(&it, &p));
	assert_int_equal(rtcp_iter_init(&it, compound, 3), EBADMSG);

	/* Bad version in the second element. */
	memcpy(b, compound, sizeof(compound));
	b[32] = 0x41;
	assert_int_equal(rtcp_iter_init(&it, b, sizeof(compound)), EBADMSG);
	assert_false(rtcp_iter_next(&it, &p)); /* nothing of a bad compound */

	/* Length field too big (overruns), too small (leaves trailing bytes). */
	memcpy(b, compound, sizeof(compound));
	b[3] = 0x08;
	assert_int_equal(rtcp_iter_init(&it, b, sizeof(compound)), EBADMSG);
	b[3] = 0x06;
	assert_int_equal(rtcp_iter_init(&it, b, sizeof(compound)), EBADMSG);
	b[3] = 0x07;
	assert_int_equal(rtcp_iter_init(&it, b, sizeof(compound)), 0);
	assert_int_equal(rtcp_iter_init(&it, b, sizeof(compound) - 4), EBADMSG);
	memset(b + sizeof(compound), 0, 8);
	for (size_t extra = 1; extra < 4; extra++)
		assert_int_equal(rtcp_iter_init(&it, b, sizeof(compound) + extra), EBADMSG);
	/* A zero-length-field element (4 bytes) is legal: an empty RR. */
	const uint8_t rr0[] = { 0x80, 0xc9, 0x00, 0x00 };
	assert_int_equal(rtcp_iter_init(&it, rr0, sizeof(rr0)), 0);
	assert_true(rtcp_iter_next(&it, &p));
	struct rtcp_rr rr;
	assert_int_equal(rtcp_rr_parse(&p, &rr), EBADMSG); /* no SSRC */
}

static void test_iter_padding(void **state)
{
	struct rtcp_iter it;
	struct rtcp_pkt p;
	struct rtcp_rr rr;
	uint8_t b[sizeof(compound) + 4];
	/* An empty RR padded with 4 bytes. */
	uint8_t rr_pad[] = { 0xa0, 0xc9, 0x00, 0x02, 0, 0, 0, 9, 0, 0, 0, 4 };

	assert_int_equal(rtcp_iter_init(&it, rr_pad, sizeof(rr_pad)), 0);
	assert_true(rtcp_iter_next(&it, &p));
	assert_int_equal(p.body_len, 4);
	assert_int_equal(p.len, 12);
	assert_int_equal(rtcp_rr_parse(&p, &rr), 0);
	assert_int_equal(rr.ssrc, 9);

	rr_pad[11] = 0;
	assert_int_equal(rtcp_iter_init(&it, rr_pad, sizeof(rr_pad)), EBADMSG);
	rr_pad[11] = 9; /* more than the 8 body bytes */
	assert_int_equal(rtcp_iter_init(&it, rr_pad, sizeof(rr_pad)), EBADMSG);
	rr_pad[11] = 8; /* the whole body: parses, but the RR lacks its SSRC */
	assert_int_equal(rtcp_iter_init(&it, rr_pad, sizeof(rr_pad)), 0);
	assert_true(rtcp_iter_next(&it, &p));
	assert_int_equal(p.body_len, 0);
	assert_int_equal(rtcp_rr_parse(&p, &rr), EBADMSG);

	/* The padding bit on an element that is not the last. */
	memcpy(b, compound, sizeof(compound));
	b[0] |= 0x20;
	assert_int_equal(rtcp_iter_init(&it, b, sizeof(compound)), EBADMSG);
	/* ... and on the last one it is fine. */
	memcpy(b, compound, sizeof(compound));
	b[60] |= 0x20;
	b[63] = 0x06; /* one more word */
	memcpy(b + sizeof(compound), "\0\0\0\x04", 4);
	assert_int_equal(rtcp_iter_init(&it, b, sizeof(b)), 0);
	assert_int_equal(parse_everything(b, sizeof(b)), 3);
}

static void test_truncated_every_prefix(void **state)
{
	const struct {
		const uint8_t *p;
		size_t len;
		size_t ends[3]; /* where elements end: only those prefixes parse */
	} pkts[] = {
		{ sr_pkt, sizeof(sr_pkt), { 52 } },
		{ compound, sizeof(compound), { 32, 60, 84 } },
	};

	for (size_t k = 0; k < N_ELEMS(pkts); k++) {
		unsigned elems = 0;
		for (size_t n = 0; n <= pkts[k].len; n++) {
			uint8_t *b = dup_exact(pkts[k].p, n);
			struct rtcp_iter it;
			int err = rtcp_iter_init(&it, b, n);
			bool boundary = n > 0 && n == pkts[k].ends[elems];
			elems += boundary;
			assert_int_equal(err, boundary ? 0 : EBADMSG);
			assert_int_equal(parse_everything(b, n), boundary ? elems : 0);
			free(b);
		}
	}
}

/* Every byte of the compound set to a few values: no crash, no overread. */
static void test_mutations(void **state)
{
	uint8_t *b = dup_exact(compound, sizeof(compound));

	for (size_t i = 0; i < sizeof(compound); i++) {
		const uint8_t vals[] = { 0x00, 0xff, 0x01, 0x80, 0x1f, (uint8_t)(compound[i] ^ 0x20),
					 (uint8_t)(compound[i] + 1), (uint8_t)(compound[i] - 1) };
		for (size_t k = 0; k < N_ELEMS(vals); k++) {
			b[i] = vals[k];
			parse_everything(b, sizeof(compound));
		}
		b[i] = compound[i];
	}
	free(b);
}

static void test_sdes(void **state)
{
	/* Two chunks: SSRC 1 with NAME and CNAME; SSRC 2 with no items. */
	uint8_t b[] = {
		0x82, 0xca, 0x00, 0x06,
		0x00, 0x00, 0x00, 0x01,
		0x02, 0x03, 'b', 'o', 'b', 0x01, 0x02, 'c', 'n', 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
	};
	struct rtcp_pkt p;
	struct rtcp_sdes_iter it;
	struct rtcp_sdes_item item;
	uint32_t ssrc;
	char s[8];

	one(&p, b, sizeof(b));
	assert_int_equal(rtcp_sdes_iter_init(&it, &p), 0);
	assert_true(rtcp_sdes_iter_next(&it, &item));
	assert_int_equal(item.ssrc, 1);
	assert_int_equal(item.type, 2);
	assert_int_equal(item.len, 3);
	assert_memory_equal(item.data, "bob", 3);
	assert_true(rtcp_sdes_iter_next(&it, &item));
	assert_int_equal(item.type, RTCP_SDES_CNAME);
	assert_memory_equal(item.data, "cn", 2);
	assert_false(rtcp_sdes_iter_next(&it, &item));
	assert_int_equal(rtcp_sdes_cname(&p, &ssrc, s, sizeof(s)), 0);
	assert_string_equal(s, "cn");

	/* SC=3 but two chunks; SC=1 leaves the second chunk as trailing bytes. */
	b[0] = 0x83;
	one(&p, b, sizeof(b));
	assert_int_equal(rtcp_sdes_iter_init(&it, &p), EBADMSG);
	assert_int_equal(rtcp_sdes_cname(&p, &ssrc, s, sizeof(s)), EBADMSG);
	b[0] = 0x81;
	one(&p, b, sizeof(b));
	assert_int_equal(rtcp_sdes_iter_init(&it, &p), EBADMSG);
	b[0] = 0x82;

	/* An item overrunning the packet. */
	b[14] = 0x20;
	one(&p, b, sizeof(b));
	assert_int_equal(rtcp_sdes_iter_init(&it, &p), EBADMSG);
	/* An item running into the next chunk shifts that chunk, which then
	 * has no null item before the end. */
	b[14] = 0x05;
	one(&p, b, sizeof(b));
	assert_int_equal(rtcp_sdes_iter_init(&it, &p), EBADMSG);
	b[14] = 0x02;

	/* No null item before the end of the packet. */
	uint8_t nonul[] = { 0x81, 0xca, 0x00, 0x02, 0, 0, 0, 1, 0x01, 0x02, 'a', 'b' };
	one(&p, nonul, sizeof(nonul));
	assert_int_equal(rtcp_sdes_iter_init(&it, &p), EBADMSG);
	/* A chunk without a whole SSRC. */
	uint8_t nossrc[] = { 0x81, 0xca, 0x00, 0x00 };
	one(&p, nossrc, sizeof(nossrc));
	assert_int_equal(rtcp_sdes_iter_init(&it, &p), EBADMSG);
	/* SC=0 and no body is a valid, empty SDES; it has no CNAME. */
	nossrc[0] = 0x80;
	one(&p, nossrc, sizeof(nossrc));
	assert_int_equal(rtcp_sdes_iter_init(&it, &p), 0);
	assert_false(rtcp_sdes_iter_next(&it, &item));
	assert_int_equal(rtcp_sdes_cname(&p, &ssrc, s, sizeof(s)), ENOENT);
	/* Not an SDES. */
	one(&p, sr_pkt, sizeof(sr_pkt));
	assert_int_equal(rtcp_sdes_iter_init(&it, &p), ENOENT);
}

static void test_bye(void **state)
{
	uint8_t b[] = {
		0x82, 0xcb, 0x00, 0x04,
		0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
		0x05, 'b', 'y', 'e', '!', '!', 0x00, 0x00,
	};
	struct rtcp_pkt p;
	struct rtcp_bye bye;

	one(&p, b, sizeof(b));
	assert_int_equal(p.kind, RTCP_KIND_BYE);
	assert_int_equal(rtcp_bye_parse(&p, &bye), 0);
	assert_int_equal(bye.count, 2);
	assert_int_equal(rtcp_bye_ssrc(&bye, 0), 1);
	assert_int_equal(rtcp_bye_ssrc(&bye, 1), 2);
	assert_int_equal(bye.reason_len, 5);
	assert_memory_equal(bye.reason, "bye!!", 5);

	b[12] = 8; /* reason length overruns by one byte */
	one(&p, b, sizeof(b));
	assert_int_equal(rtcp_bye_parse(&p, &bye), EBADMSG);
	b[12] = 7; /* exactly fills */
	one(&p, b, sizeof(b));
	assert_int_equal(rtcp_bye_parse(&p, &bye), 0);
	assert_int_equal(bye.reason_len, 7);

	/* SC=4 needs 16 bytes of SSRCs. */
	b[0] = 0x84;
	b[3] = 0x02;
	one(&p, b, 12);
	assert_int_equal(rtcp_bye_parse(&p, &bye), EBADMSG);
	/* SC=2 with no reason. */
	b[0] = 0x82;
	one(&p, b, 12);
	assert_int_equal(rtcp_bye_parse(&p, &bye), 0);
	assert_null(bye.reason);
	assert_int_equal(bye.reason_len, 0);
}

static void test_nack(void **state)
{
	uint8_t b[] = {
		0x81, 0xcd, 0x00, 0x04,
		0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
		0x00, 0x64, 0x80, 0x01,                 /* 100, 101, 116 */
		0xff, 0xff, 0x00, 0x02,                 /* 65535, 1 */
	};
	struct rtcp_pkt p;
	struct rtcp_fb fb;
	uint16_t seqs[8];
	size_t n;

	one(&p, b, sizeof(b));
	assert_int_equal(p.kind, RTCP_KIND_NACK);
	assert_int_equal(rtcp_nack_parse(&p, &fb, seqs, N_ELEMS(seqs), &n), 0);
	assert_int_equal(fb.sender_ssrc, 1);
	assert_int_equal(fb.media_ssrc, 2);
	assert_int_equal(n, 5);
	assert_int_equal(seqs[0], 100);
	assert_int_equal(seqs[1], 101);
	assert_int_equal(seqs[2], 116);
	assert_int_equal(seqs[3], 65535);
	assert_int_equal(seqs[4], 1);

	/* A caller array too small: the first ones and ENOSPC. */
	assert_int_equal(rtcp_nack_parse(&p, NULL, seqs, 2, &n), ENOSPC);
	assert_int_equal(n, 2);
	assert_int_equal(seqs[1], 101);
	assert_int_equal(rtcp_nack_parse(&p, NULL, seqs, 0, &n), ENOSPC);
	assert_int_equal(n, 0);

	/* No FCI; an FCI that padding cut to a non-multiple of 4. */
	b[3] = 0x02;
	one(&p, b, 12);
	assert_int_equal(rtcp_nack_parse(&p, &fb, seqs, N_ELEMS(seqs), &n), EBADMSG);
	b[0] = 0xa1;
	b[3] = 0x03;
	b[15] = 0x02;
	one(&p, b, 16);
	assert_int_equal(rtcp_nack_parse(&p, &fb, seqs, N_ELEMS(seqs), &n), EBADMSG);
	/* Shorter than the two SSRCs. */
	uint8_t shortfb[] = { 0x81, 0xcd, 0x00, 0x01, 0, 0, 0, 1 };
	one(&p, shortfb, sizeof(shortfb));
	assert_int_equal(rtcp_fb_parse(&p, &fb), EBADMSG);
	assert_int_equal(rtcp_nack_parse(&p, &fb, seqs, N_ELEMS(seqs), &n), EBADMSG);
	/* Not a NACK. */
	one(&p, sr_pkt, sizeof(sr_pkt));
	assert_int_equal(rtcp_nack_parse(&p, &fb, seqs, N_ELEMS(seqs), &n), ENOENT);
	assert_int_equal(rtcp_fb_parse(&p, &fb), ENOENT);
}

static void test_pli_fir_twcc(void **state)
{
	const uint8_t pli[] = { 0x81, 0xce, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2 };
	uint8_t fir[] = {
		0x84, 0xce, 0x00, 0x06, 0, 0, 0, 1, 0, 0, 0, 0,
		0x00, 0x00, 0x00, 0x0a, 0x07, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x0b, 0xff, 0x00, 0x00, 0x00,
	};
	const uint8_t twcc[] = { 0x8f, 0xcd, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 2,
				 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x01, 0x00 };
	struct rtcp_pkt p;
	struct rtcp_fb fb;
	struct rtcp_fir f;
	struct rtcp_fir_entry e;

	one(&p, pli, sizeof(pli));
	assert_int_equal(p.kind, RTCP_KIND_PLI);
	assert_int_equal(rtcp_fb_parse(&p, &fb), 0);
	assert_int_equal(fb.fmt, RTCP_PSFB_PLI);
	assert_int_equal(fb.media_ssrc, 2);
	assert_int_equal(fb.fci_len, 0);
	assert_int_equal(rtcp_fir_parse(&p, &fb, &f), ENOENT);

	one(&p, fir, sizeof(fir));
	assert_int_equal(p.kind, RTCP_KIND_FIR);
	assert_int_equal(rtcp_fir_parse(&p, &fb, &f), 0);
	assert_int_equal(f.count, 2);
	rtcp_fir_get(&f, 0, &e);
	assert_int_equal(e.ssrc, 10);
	assert_int_equal(e.seq, 7);
	rtcp_fir_get(&f, 1, &e);
	assert_int_equal(e.ssrc, 11);
	assert_int_equal(e.seq, 255);
	/* Truncated: half an entry, then none. */
	fir[3] = 0x03;
	one(&p, fir, 16);
	assert_int_equal(rtcp_fir_parse(&p, &fb, &f), EBADMSG);
	fir[3] = 0x02;
	one(&p, fir, 12);
	assert_int_equal(rtcp_fir_parse(&p, &fb, &f), EBADMSG);

	one(&p, twcc, sizeof(twcc));
	assert_int_equal(p.kind, RTCP_KIND_TWCC);
	assert_int_equal(rtcp_fb_parse(&p, &fb), 0);
	assert_int_equal(fb.fmt, RTCP_RTPFB_TWCC);
	assert_int_equal(fb.fci_len, 8);
}

static void test_remb_malformed(void **state)
{
	uint8_t b[] = {
		0x8f, 0xce, 0x00, 0x05, 0, 0, 0, 1, 0, 0, 0, 0,
		'R', 'E', 'M', 'B', 0x01, 0x06, 0x49, 0xf0, 0xde, 0xad, 0xbe, 0xef,
	};
	struct rtcp_pkt p;
	struct rtcp_remb r;

	one(&p, b, sizeof(b));
	assert_int_equal(rtcp_remb_parse(&p, NULL, &r), 0);
	/* SSRC count larger, then smaller, than the length says. */
	b[16] = 2;
	one(&p, b, sizeof(b));
	assert_int_equal(rtcp_remb_parse(&p, NULL, &r), EBADMSG);
	b[16] = 0;
	one(&p, b, sizeof(b));
	assert_int_equal(rtcp_remb_parse(&p, NULL, &r), EBADMSG);
	/* Cut to the identifier alone, then to nothing after the SSRCs. */
	b[16] = 1;
	b[3] = 0x03;
	one(&p, b, 16);
	assert_int_equal(p.kind, RTCP_KIND_REMB);
	assert_int_equal(rtcp_remb_parse(&p, NULL, &r), EBADMSG);
	b[3] = 0x02;
	one(&p, b, 12);
	assert_int_equal(p.kind, RTCP_KIND_AFB);
	assert_int_equal(rtcp_remb_parse(&p, NULL, &r), ENOENT);
	b[3] = 0x05;

	/* Exponent 63 with a mantissa > 1 overflows 64 bits; 46 does not. */
	b[17] = 63 << 2 | 0x03;
	one(&p, b, sizeof(b));
	assert_int_equal(rtcp_remb_parse(&p, NULL, &r), EBADMSG);
	b[17] = 46 << 2 | 0x03;
	b[18] = b[19] = 0xff;
	one(&p, b, sizeof(b));
	assert_int_equal(rtcp_remb_parse(&p, NULL, &r), 0);
	assert_true(r.bitrate == UINT64_C(0x3ffff) << 46);
	b[17] = 63 << 2;
	b[18] = 0;
	b[19] = 1; /* 1 << 63 fits */
	one(&p, b, sizeof(b));
	assert_int_equal(rtcp_remb_parse(&p, NULL, &r), 0);
	assert_true(r.bitrate == UINT64_C(1) << 63);

	/* Another application's feedback. */
	b[12] = 'X';
	one(&p, b, sizeof(b));
	assert_int_equal(p.kind, RTCP_KIND_AFB);
	assert_int_equal(rtcp_remb_parse(&p, NULL, &r), ENOENT);
}

static void check_rb_equal(const struct rtcp_report_block *a, const struct rtcp_report_block *b)
{
	assert_int_equal(a->ssrc, b->ssrc);
	assert_int_equal(a->fraction_lost, b->fraction_lost);
	assert_int_equal(a->cumulative_lost, b->cumulative_lost);
	assert_int_equal(a->ext_highest_seq, b->ext_highest_seq);
	assert_int_equal(a->jitter, b->jitter);
	assert_int_equal(a->lsr, b->lsr);
	assert_int_equal(a->dlsr, b->dlsr);
}

static const struct rtcp_report_block rbs[2] = {
	{ 0xa, 12, -8388608, 0x2ffff, 99, 0x12345678, 0x9abc },
	{ 0xb, 255, 8388607, 0xffffffffu, 0xffffffffu, 1, 0xffffffffu },
};

static void build_compound(struct rtcp_writer *w)
{
	const struct rtcp_sender_info si = { UINT64_C(0x0123456789abcdef), 7, 8, 9 };
	const uint32_t ssrcs[] = { 0x10, 0x20, 0x30 };
	const uint16_t nack[] = { 65534, 65535, 0, 5, 18, 19, 40 };
	const struct rtcp_fir_entry fir[] = { { 0x77, 3 }, { 0x78, 200 } };

	assert_int_equal(rtcp_write_sr(w, 0x99, &si, rbs, 2), 0);
	assert_int_equal(rtcp_write_rr(w, 0x98, rbs + 1, 1), 0);
	assert_int_equal(rtcp_write_sdes_cname(w, 0x99, "{9f2c1a}", 8), 0);
	assert_int_equal(rtcp_write_nack(w, 1, 2, nack, N_ELEMS(nack)), 0);
	assert_int_equal(rtcp_write_pli(w, 1, 2), 0);
	assert_int_equal(rtcp_write_fir(w, 1, fir, N_ELEMS(fir)), 0);
	assert_int_equal(rtcp_write_remb(w, 1, 2500000, ssrcs, 3), 0);
	assert_int_equal(rtcp_write_bye(w, ssrcs, 2, "done", 4), 0);
}

static void check_compound_sr_rr_sdes(struct rtcp_iter *it)
{
	struct rtcp_pkt p;
	struct rtcp_sr sr;
	struct rtcp_rr rr;
	struct rtcp_report_block rb;
	uint32_t ssrc;
	char cname[16];

	assert_true(rtcp_iter_next(it, &p));
	assert_int_equal(rtcp_sr_parse(&p, &sr), 0);
	assert_int_equal(sr.ssrc, 0x99);
	assert_true(sr.info.ntp == UINT64_C(0x0123456789abcdef));
	assert_int_equal(sr.info.rtp_ts, 7);
	assert_int_equal(sr.info.packets, 8);
	assert_int_equal(sr.info.octets, 9);
	assert_int_equal(sr.reports.count, 2);
	for (unsigned i = 0; i < 2; i++) {
		rtcp_reports_get(&sr.reports, i, &rb);
		check_rb_equal(&rb, &rbs[i]);
	}
	assert_true(rtcp_iter_next(it, &p));
	assert_int_equal(rtcp_rr_parse(&p, &rr), 0);
	assert_int_equal(rr.ssrc, 0x98);
	assert_int_equal(rr.reports.count, 1);
	rtcp_reports_get(&rr.reports, 0, &rb);
	check_rb_equal(&rb, &rbs[1]);
	assert_true(rtcp_iter_next(it, &p));
	assert_int_equal(rtcp_sdes_cname(&p, &ssrc, cname, sizeof(cname)), 0);
	assert_int_equal(ssrc, 0x99);
	assert_string_equal(cname, "{9f2c1a}");
}

static void check_compound_feedback(struct rtcp_iter *it)
{
	const uint16_t want[] = { 65534, 65535, 0, 5, 18, 19, 40 };
	struct rtcp_pkt p;
	struct rtcp_fb fb;
	struct rtcp_fir f;
	struct rtcp_fir_entry e;
	struct rtcp_remb r;
	uint16_t seqs[32];
	size_t n;

	assert_true(rtcp_iter_next(it, &p));
	assert_int_equal(rtcp_nack_parse(&p, &fb, seqs, N_ELEMS(seqs), &n), 0);
	assert_int_equal(fb.media_ssrc, 2);
	assert_int_equal(n, N_ELEMS(want));
	assert_memory_equal(seqs, want, sizeof(want));
	assert_int_equal(fb.fci_len, 12); /* 65534..5, 18..19, 40 */

	assert_true(rtcp_iter_next(it, &p));
	assert_int_equal(p.kind, RTCP_KIND_PLI);
	assert_int_equal(rtcp_fb_parse(&p, &fb), 0);
	assert_int_equal(fb.sender_ssrc, 1);
	assert_int_equal(fb.media_ssrc, 2);

	assert_true(rtcp_iter_next(it, &p));
	assert_int_equal(rtcp_fir_parse(&p, &fb, &f), 0);
	assert_int_equal(fb.media_ssrc, 0);
	assert_int_equal(f.count, 2);
	rtcp_fir_get(&f, 1, &e);
	assert_int_equal(e.ssrc, 0x78);
	assert_int_equal(e.seq, 200);

	assert_true(rtcp_iter_next(it, &p));
	assert_int_equal(rtcp_remb_parse(&p, &fb, &r), 0);
	assert_true(r.bitrate == 2500000); /* 2500000 = 156250 << 4: exact */
	assert_int_equal(r.count, 3);
	assert_int_equal(rtcp_remb_ssrc(&r, 2), 0x30);
}

static void test_build_round_trip(void **state)
{
	uint8_t buf[512];
	struct rtcp_writer w;
	struct rtcp_iter it;
	struct rtcp_pkt p;
	struct rtcp_bye bye;

	rtcp_writer_init(&w, buf, sizeof(buf));
	build_compound(&w);
	assert_int_equal(rtcp_iter_init(&it, buf, w.len), 0);
	check_compound_sr_rr_sdes(&it);
	check_compound_feedback(&it);
	assert_true(rtcp_iter_next(&it, &p));
	assert_int_equal(rtcp_bye_parse(&p, &bye), 0);
	assert_int_equal(bye.count, 2);
	assert_int_equal(rtcp_bye_ssrc(&bye, 1), 0x20);
	assert_int_equal(bye.reason_len, 4);
	assert_memory_equal(bye.reason, "done", 4);
	assert_false(rtcp_iter_next(&it, &p));
	assert_int_equal(parse_everything(buf, w.len), 8);
}

/* Every builder fails with ENOSPC, leaving the writer as it was, at every
 * size short of what it needs. */
static void test_build_enospc(void **state)
{
	uint8_t full[512], buf[512];
	struct rtcp_writer w;
	size_t need;

	rtcp_writer_init(&w, full, sizeof(full));
	build_compound(&w);
	need = w.len;
	for (size_t size = 0; size < need; size++) {
		const struct rtcp_sender_info si = { 0 };
		const uint16_t seq = 1;
		const struct rtcp_fir_entry fe = { 1, 1 };
		const uint32_t ssrc = 1;
		rtcp_writer_init(&w, buf, size);
		int err = 0;
		size_t before = 0;
		/* Write until the first failure; it must be ENOSPC. */
		for (int k = 0; k < 64 && !err; k++) {
			before = w.len;
			switch (k % 8) {
			case 0: err = rtcp_write_sr(&w, 1, &si, rbs, 2); break;
			case 1: err = rtcp_write_rr(&w, 1, rbs, 1); break;
			case 2: err = rtcp_write_sdes_cname(&w, 1, "x", 1); break;
			case 3: err = rtcp_write_nack(&w, 1, 2, &seq, 1); break;
			case 4: err = rtcp_write_pli(&w, 1, 2); break;
			case 5: err = rtcp_write_fir(&w, 1, &fe, 1); break;
			case 6: err = rtcp_write_remb(&w, 1, 1, &ssrc, 1); break;
			default: err = rtcp_write_bye(&w, &ssrc, 1, "r", 1); break;
			}
		}
		assert_int_equal(err, ENOSPC);
		assert_int_equal(w.len, before);
		assert_true(w.len <= size);
		if (w.len > 0)
			assert_true(parse_everything(buf, w.len) > 0);
	}
}

static void test_build_einval(void **state)
{
	uint8_t buf[2048];
	struct rtcp_writer w;
	struct rtcp_report_block many[32];
	uint32_t ssrcs[256] = { 0 };
	const struct rtcp_sender_info si = { 0 };
	char big[256];

	memset(many, 0, sizeof(many));
	memset(big, 'a', sizeof(big));
	rtcp_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(rtcp_write_sr(&w, 1, &si, many, 32), EINVAL);
	assert_int_equal(rtcp_write_rr(&w, 1, many, 32), EINVAL);
	assert_int_equal(rtcp_write_sdes_cname(&w, 1, big, 0), EINVAL);
	assert_int_equal(rtcp_write_sdes_cname(&w, 1, big, 256), EINVAL);
	assert_int_equal(rtcp_write_bye(&w, ssrcs, 0, NULL, 0), EINVAL);
	assert_int_equal(rtcp_write_bye(&w, ssrcs, 32, NULL, 0), EINVAL);
	assert_int_equal(rtcp_write_bye(&w, ssrcs, 1, big, 256), EINVAL);
	assert_int_equal(rtcp_write_nack(&w, 1, 2, NULL, 0), EINVAL);
	assert_int_equal(rtcp_write_fir(&w, 1, NULL, 0), EINVAL);
	assert_int_equal(rtcp_write_remb(&w, 1, 1, ssrcs, 256), EINVAL);
	assert_int_equal(w.len, 0);

	/* The largest legal ones fit and parse. */
	assert_int_equal(rtcp_write_sdes_cname(&w, 1, big, 255), 0);
	assert_int_equal(rtcp_write_remb(&w, 1, UINT64_MAX, ssrcs, 255), 0);
	assert_int_equal(rtcp_write_bye(&w, ssrcs, 31, big, 255), 0);
	assert_int_equal(parse_everything(buf, w.len), 3);
}

/* Packs `seqs`, parses the NACK back, and checks it names exactly the
 * same set; returns the number of PID/BLP pairs used. */
static size_t nack_round_trip(const uint16_t *seqs, size_t n)
{
	static uint8_t buf[65536 * 4 + 64];
	static uint16_t out[65536 * 17];
	static uint8_t want[65536], got[65536];
	struct rtcp_writer w;
	struct rtcp_pkt p;
	struct rtcp_fb fb;
	size_t m;

	rtcp_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(rtcp_write_nack(&w, 1, 2, seqs, n), 0);
	one(&p, buf, w.len);
	assert_int_equal(rtcp_nack_parse(&p, &fb, out, N_ELEMS(out), &m), 0);
	memset(want, 0, sizeof(want));
	memset(got, 0, sizeof(got));
	for (size_t i = 0; i < n; i++)
		want[seqs[i]] = 1;
	for (size_t i = 0; i < m; i++)
		got[out[i]] = 1;
	assert_memory_equal(want, got, sizeof(want));
	return fb.fci_len / 4;
}

static void test_nack_packing(void **state)
{
	static uint16_t seqs[70000];
	const uint16_t a[] = { 10 };
	const uint16_t b[] = { 10, 11, 26 };       /* one pair: 26 is PID+16 */
	const uint16_t c[] = { 10, 11, 27 };       /* two pairs */
	const uint16_t d[] = { 65530, 65535, 0, 10 }; /* across the wrap: one pair */
	const uint16_t e[] = { 30, 10, 31, 11, 30 }; /* unsorted, duplicates */

	assert_int_equal(nack_round_trip(a, 1), 1);
	assert_int_equal(nack_round_trip(b, 3), 1);
	assert_int_equal(nack_round_trip(c, 3), 2);
	assert_int_equal(nack_round_trip(d, 4), 1);
	nack_round_trip(e, 5);

	/* Every third packet of 3000: 17 numbers span 51, so 3 pairs per 51. */
	size_t n = 0;
	for (unsigned s = 0; s < 3000; s += 3)
		seqs[n++] = (uint16_t)(s + 64000);
	assert_int_equal(nack_round_trip(seqs, n), (n + 5) / 6);

	/* All 65536 numbers, then 70000 with repeats. */
	for (size_t i = 0; i < N_ELEMS(seqs); i++)
		seqs[i] = (uint16_t)i;
	assert_int_equal(nack_round_trip(seqs, 65536), 65536 / 17 + 1);
	nack_round_trip(seqs, N_ELEMS(seqs));
}

static void test_report_arithmetic(void **state)
{
	/* RFC 3550 A.3: 25 of 100 lost is 64/256. */
	assert_int_equal(rtcp_fraction_lost(100, 75), 64);
	assert_int_equal(rtcp_fraction_lost(100, 100), 0);
	assert_int_equal(rtcp_fraction_lost(100, 120), 0); /* duplicates */
	assert_int_equal(rtcp_fraction_lost(0, 0), 0);
	assert_int_equal(rtcp_fraction_lost(1, 0), 255);
	assert_int_equal(rtcp_fraction_lost(0xffffffffu, 0), 255);

	assert_int_equal(rtcp_cumulative_lost(100, 90), 10);
	assert_int_equal(rtcp_cumulative_lost(90, 100), -10);
	assert_int_equal(rtcp_cumulative_lost(INT64_C(1) << 40, 0), 0x7fffff);
	assert_int_equal(rtcp_cumulative_lost(0, INT64_C(1) << 40), -0x800000);

	assert_int_equal(rtcp_ext_highest_seq(65536 * 3 + 7), 0x30007);

	/* Out-of-range cumulative lost is clamped when written. */
	struct rtcp_report_block rb = { .ssrc = 1, .cumulative_lost = 0x1000000 }, back;
	uint8_t buf[64];
	struct rtcp_writer w;
	struct rtcp_pkt p;
	struct rtcp_rr rr;
	rtcp_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(rtcp_write_rr(&w, 1, &rb, 1), 0);
	rb.cumulative_lost = -0x1000000;
	assert_int_equal(rtcp_write_rr(&w, 1, &rb, 1), 0);
	struct rtcp_iter it;
	assert_int_equal(rtcp_iter_init(&it, buf, w.len), 0);
	assert_true(rtcp_iter_next(&it, &p));
	assert_int_equal(rtcp_rr_parse(&p, &rr), 0);
	rtcp_reports_get(&rr.reports, 0, &back);
	assert_int_equal(back.cumulative_lost, 0x7fffff);
	assert_true(rtcp_iter_next(&it, &p));
	assert_int_equal(rtcp_rr_parse(&p, &rr), 0);
	rtcp_reports_get(&rr.reports, 0, &back);
	assert_int_equal(back.cumulative_lost, -0x800000);
}

static void test_jitter(void **state)
{
	struct rtcp_jitter j;

	/* Packets every 20 ms (960 ticks at 48 kHz) arriving on time: 0. */
	rtcp_jitter_init(&j);
	for (int i = 0; i < 100; i++)
		assert_int_equal(rtcp_jitter_update(&j, 1000 + 960u * i, 5000000 + 20000 * i, 48000), 0);

	/* Every other packet 10 ms late (480 ticks): D alternates 480. The
	 * estimator converges towards 480. */
	rtcp_jitter_init(&j);
	uint32_t v = 0;
	for (int i = 0; i < 400; i++)
		v = rtcp_jitter_update(&j, 960u * i, 20000 * i + (i % 2 ? 10000 : 0), 48000);
	assert_true(v >= 470 && v <= 480);
	assert_int_equal(rtcp_jitter_get(&j), v);

	/* One jump of D = 160 from 0: J = 160/16 = 10. */
	rtcp_jitter_init(&j);
	rtcp_jitter_update(&j, 0, 0, 8000);
	assert_int_equal(rtcp_jitter_update(&j, 160, 40000, 8000), 10);

	/* Timestamps wrapping 2^32 do not disturb it. */
	rtcp_jitter_init(&j);
	for (int i = 0; i < 50; i++)
		assert_int_equal(rtcp_jitter_update(&j, 0xffffff00u + 9000u * i,
						    (INT64_C(1) << 40) + (int64_t)i * 100000, 90000),
				 0);
}

static void test_ntp(void **state)
{
	struct timespec ts = { 0, 0 };

	assert_true(rtcp_ntp_from_timespec(&ts) == UINT64_C(2208988800) << 32);
	ts.tv_nsec = 500000000;
	assert_true(rtcp_ntp_from_timespec(&ts) == (UINT64_C(2208988800) << 32 | 0x80000000u));
	ts.tv_sec = 1700000000;
	ts.tv_nsec = 250000000;
	uint64_t ntp = rtcp_ntp_from_timespec(&ts);
	assert_true(ntp >> 32 == UINT64_C(1700000000) + 2208988800u);
	assert_true((uint32_t)ntp == 0x40000000u);
	assert_true(rtcp_ntp_to_unix_us(ntp) == INT64_C(1700000000250000));

	/* Microsecond values survive the round trip exactly. */
	for (long us = 0; us < 1000000; us += 997) {
		ts.tv_nsec = us * 1000;
		assert_true(rtcp_ntp_to_unix_us(rtcp_ntp_from_timespec(&ts)) ==
			    INT64_C(1700000000) * 1000000 + us);
	}

	/* Now is after 2020 and before 2100 (NTP era 0 ends in 2036). */
	int64_t now = rtcp_ntp_to_unix_us(rtcp_ntp_now());
	assert_true(now > INT64_C(1577836800) * 1000000);

	assert_int_equal(rtcp_ntp_compact(UINT64_C(0x0123456789abcdef)), 0x456789ab);
	assert_int_equal(rtcp_dlsr_from_us(1000000), 65536);
	assert_int_equal(rtcp_dlsr_from_us(500000), 32768);
	assert_int_equal(rtcp_dlsr_from_us(0), 0);
	assert_int_equal(rtcp_dlsr_from_us(-5), 0);
	assert_int_equal(rtcp_dlsr_from_us(INT64_C(1) << 50), UINT32_MAX);

	/* RFC 3550 6.4.1's example: A = 0xb710:8000 (46864.500 s), LSR =
	 * 0xb705:2000 (46853.125 s), DLSR = 0x0005:4000 (5.250 s): RTT 6.125 s. */
	assert_true(rtcp_rtt_us(0xb7108000u, 0xb7052000u, 0x00054000u) == 6125000);
	assert_true(rtcp_rtt_us(0xb7108000u, 0, 0x00054000u) == -1);
	assert_true(rtcp_rtt_us(0xb7050000u, 0xb7052000u, 0x00054000u) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sr),
		cmocka_unit_test(test_compound),
		cmocka_unit_test(test_iter_malformed),
		cmocka_unit_test(test_iter_padding),
		cmocka_unit_test(test_truncated_every_prefix),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_sdes),
		cmocka_unit_test(test_bye),
		cmocka_unit_test(test_nack),
		cmocka_unit_test(test_pli_fir_twcc),
		cmocka_unit_test(test_remb_malformed),
		cmocka_unit_test(test_build_round_trip),
		cmocka_unit_test(test_build_enospc),
		cmocka_unit_test(test_build_einval),
		cmocka_unit_test(test_nack_packing),
		cmocka_unit_test(test_report_arithmetic),
		cmocka_unit_test(test_jitter),
		cmocka_unit_test(test_ntp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
