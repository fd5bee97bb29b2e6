/* fuzz_rtcp.c - libFuzzer target for media/rtcp.c.
 *
 * Every input is iterated as a compound packet and every element goes
 * through every parser. What parses is built again with the rtcp_write_*
 * functions (SR, RR, SDES CNAME, BYE, NACK, PLI, FIR, REMB) into one
 * compound buffer, and each rebuilt packet must parse to the same values
 * (for a NACK: the same set of sequence numbers); the rebuilt compound must
 * iterate as many elements as were written. Abort otherwise. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/rtcp.h"
#include "tests/fuzz/fuzz.h"

#define MAX_SEQS (65536 * 17)

/* Rebuilding can take 4 times the input (one-byte CNAMEs each become a
 * 12-byte SDES); inputs are capped at RTCP_MAX_PACKET. */
static uint8_t out_buf[5 * RTCP_MAX_PACKET];
static uint16_t seqs_a[MAX_SEQS], seqs_b[MAX_SEQS];
static uint8_t set_a[65536], set_b[65536];
static struct rtcp_fir_entry firs[RTCP_MAX_PACKET / 8];
static uint32_t ssrcs[256];

/* The single element that the last write put at w->buf + start. */
static void last_written(const struct rtcp_writer *w, size_t start, struct rtcp_pkt *p)
{
	struct rtcp_iter it;

	CHECK(rtcp_iter_init(&it, w->buf + start, w->len - start) == 0);
	CHECK(rtcp_iter_next(&it, p));
	CHECK(!rtcp_iter_next(&it, p));
}

static void same_blocks(const struct rtcp_reports *a, const struct rtcp_reports *b)
{
	CHECK(a->count == b->count);
	for (unsigned i = 0; i < a->count; i++) {
		struct rtcp_report_block x, y;
		rtcp_reports_get(a, i, &x);
		rtcp_reports_get(b, i, &y);
		CHECK(x.ssrc == y.ssrc && x.fraction_lost == y.fraction_lost);
		CHECK(x.cumulative_lost == y.cumulative_lost && x.ext_highest_seq == y.ext_highest_seq);
		CHECK(x.jitter == y.jitter && x.lsr == y.lsr && x.dlsr == y.dlsr);
	}
}

/* Copies the report blocks out, for the builder. */
static void blocks_out(const struct rtcp_reports *r, struct rtcp_report_block *rb)
{
	for (unsigned i = 0; i < r->count; i++)
		rtcp_reports_get(r, i, &rb[i]);
}

static int rebuild_reports(const struct rtcp_pkt *p, struct rtcp_writer *w)
{
	struct rtcp_report_block rb[RTCP_MAX_COUNT];
	struct rtcp_pkt q;
	struct rtcp_sr sr, sr2;
	struct rtcp_rr rr, rr2;
	size_t start = w->len;

	if (rtcp_sr_parse(p, &sr) == 0) {
		blocks_out(&sr.reports, rb);
		CHECK(rtcp_write_sr(w, sr.ssrc, &sr.info, rb, sr.reports.count) == 0);
		last_written(w, start, &q);
		CHECK(rtcp_sr_parse(&q, &sr2) == 0);
		CHECK(sr2.ssrc == sr.ssrc && sr2.info.ntp == sr.info.ntp);
		CHECK(sr2.info.rtp_ts == sr.info.rtp_ts && sr2.info.packets == sr.info.packets);
		CHECK(sr2.info.octets == sr.info.octets);
		same_blocks(&sr.reports, &sr2.reports);
		return 1;
	}
	if (rtcp_rr_parse(p, &rr) == 0) {
		blocks_out(&rr.reports, rb);
		CHECK(rtcp_write_rr(w, rr.ssrc, rb, rr.reports.count) == 0);
		last_written(w, start, &q);
		CHECK(rtcp_rr_parse(&q, &rr2) == 0 && rr2.ssrc == rr.ssrc);
		same_blocks(&rr.reports, &rr2.reports);
		return 1;
	}
	return 0;
}

/* Every CNAME item of an SDES, each rebuilt as its own SDES packet. */
static int rebuild_sdes(const struct rtcp_pkt *p, struct rtcp_writer *w)
{
	struct rtcp_sdes_iter it;
	struct rtcp_sdes_item item;
	struct rtcp_pkt q;
	char cname[256];
	uint32_t ssrc;
	int n = 0;

	if (rtcp_sdes_iter_init(&it, p) != 0)
		return 0;
	while (rtcp_sdes_iter_next(&it, &item)) {
		CHECK(item.data >= p->body && item.data + item.len <= p->body + p->body_len);
		if (item.type != RTCP_SDES_CNAME || item.len == 0)
			continue;
		size_t start = w->len;
		CHECK(rtcp_write_sdes_cname(w, item.ssrc, (const char *)item.data, item.len) == 0);
		last_written(w, start, &q);
		CHECK(rtcp_sdes_cname(&q, &ssrc, cname, sizeof(cname)) == 0);
		CHECK(ssrc == item.ssrc && memcmp(cname, item.data, item.len) == 0);
		n++;
	}
	return n;
}

static int rebuild_bye(const struct rtcp_pkt *p, struct rtcp_writer *w)
{
	struct rtcp_bye b, b2;
	struct rtcp_pkt q;
	size_t start = w->len;

	if (rtcp_bye_parse(p, &b) != 0)
		return 0;
	for (unsigned i = 0; i < b.count; i++)
		ssrcs[i] = rtcp_bye_ssrc(&b, i);
	int err = rtcp_write_bye(w, ssrcs, b.count, (const char *)b.reason, b.reason_len);
	if (b.count == 0) {
		CHECK(err == EINVAL);
		return 0;
	}
	CHECK(err == 0);
	last_written(w, start, &q);
	CHECK(rtcp_bye_parse(&q, &b2) == 0 && b2.count == b.count);
	for (unsigned i = 0; i < b.count; i++)
		CHECK(rtcp_bye_ssrc(&b2, i) == ssrcs[i]);
	CHECK((b.reason == NULL) == (b2.reason == NULL) && b.reason_len == b2.reason_len);
	CHECK(b.reason_len == 0 || memcmp(b.reason, b2.reason, b.reason_len) == 0);
	return 1;
}

static int rebuild_nack(const struct rtcp_pkt *p, struct rtcp_writer *w)
{
	struct rtcp_fb fb, fb2;
	struct rtcp_pkt q;
	size_t n, m, start = w->len;

	if (rtcp_nack_parse(p, &fb, seqs_a, MAX_SEQS, &n) != 0)
		return 0;
	CHECK(n > 0);
	CHECK(rtcp_write_nack(w, fb.sender_ssrc, fb.media_ssrc, seqs_a, n) == 0);
	last_written(w, start, &q);
	CHECK(rtcp_nack_parse(&q, &fb2, seqs_b, MAX_SEQS, &m) == 0);
	CHECK(fb2.sender_ssrc == fb.sender_ssrc && fb2.media_ssrc == fb.media_ssrc);
	CHECK(fb2.fci_len <= fb.fci_len); /* packing never needs more pairs */
	memset(set_a, 0, sizeof(set_a));
	memset(set_b, 0, sizeof(set_b));
	for (size_t i = 0; i < n; i++)
		set_a[seqs_a[i]] = 1;
	for (size_t i = 0; i < m; i++)
		set_b[seqs_b[i]] = 1;
	CHECK(memcmp(set_a, set_b, sizeof(set_a)) == 0);
	return 1;
}

static int rebuild_pli_fir(const struct rtcp_pkt *p, struct rtcp_writer *w)
{
	struct rtcp_fb fb, fb2;
	struct rtcp_fir f, f2;
	struct rtcp_pkt q;
	size_t start = w->len;

	if (p->kind == RTCP_KIND_PLI && rtcp_fb_parse(p, &fb) == 0) {
		CHECK(rtcp_write_pli(w, fb.sender_ssrc, fb.media_ssrc) == 0);
		last_written(w, start, &q);
		CHECK(q.kind == RTCP_KIND_PLI && rtcp_fb_parse(&q, &fb2) == 0);
		CHECK(fb2.sender_ssrc == fb.sender_ssrc && fb2.media_ssrc == fb.media_ssrc);
		return 1;
	}
	if (rtcp_fir_parse(p, &fb, &f) != 0)
		return 0;
	for (unsigned i = 0; i < f.count; i++)
		rtcp_fir_get(&f, i, &firs[i]);
	CHECK(rtcp_write_fir(w, fb.sender_ssrc, firs, f.count) == 0);
	last_written(w, start, &q);
	CHECK(rtcp_fir_parse(&q, &fb2, &f2) == 0 && f2.count == f.count);
	CHECK(fb2.sender_ssrc == fb.sender_ssrc);
	for (unsigned i = 0; i < f.count; i++) {
		struct rtcp_fir_entry e;
		rtcp_fir_get(&f2, i, &e);
		CHECK(e.ssrc == firs[i].ssrc && e.seq == firs[i].seq);
	}
	return 1;
}

static int rebuild_remb(const struct rtcp_pkt *p, struct rtcp_writer *w)
{
	struct rtcp_fb fb, fb2;
	struct rtcp_remb r, r2;
	struct rtcp_pkt q;
	size_t start = w->len;

	if (rtcp_remb_parse(p, &fb, &r) != 0)
		return 0;
	for (unsigned i = 0; i < r.count; i++)
		ssrcs[i] = rtcp_remb_ssrc(&r, i);
	CHECK(rtcp_write_remb(w, fb.sender_ssrc, r.bitrate, ssrcs, r.count) == 0);
	last_written(w, start, &q);
	CHECK(rtcp_remb_parse(&q, &fb2, &r2) == 0);
	/* mantissa << exp re-encodes exactly. */
	CHECK(r2.bitrate == r.bitrate && r2.count == r.count);
	for (unsigned i = 0; i < r.count; i++)
		CHECK(rtcp_remb_ssrc(&r2, i) == ssrcs[i]);
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtcp_writer w;
	struct rtcp_iter it;
	struct rtcp_pkt p;
	struct rtcp_fb fb;
	int written = 0;

	if (size > RTCP_MAX_PACKET)
		return 0;
	if (rtcp_iter_init(&it, data, size) != 0) {
		CHECK(!rtcp_iter_next(&it, &p));
		return 0;
	}
	rtcp_writer_init(&w, out_buf, sizeof(out_buf));
	while (rtcp_iter_next(&it, &p)) {
		CHECK(p.data >= data && p.data + p.len <= data + size);
		CHECK(p.body == p.data + 4 && p.body_len + 4 <= p.len);
		rtcp_fb_parse(&p, &fb);
		written += rebuild_reports(&p, &w);
		written += rebuild_sdes(&p, &w);
		written += rebuild_bye(&p, &w);
		written += rebuild_nack(&p, &w);
		written += rebuild_pli_fir(&p, &w);
		written += rebuild_remb(&p, &w);
	}
	if (written == 0)
		return 0;
	int n = 0;
	CHECK(rtcp_iter_init(&it, w.buf, w.len) == 0);
	while (rtcp_iter_next(&it, &p))
		n++;
	CHECK(n == written);
	return 0;
}
