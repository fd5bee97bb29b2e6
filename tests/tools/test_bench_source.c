/* test_bench_source.c - parley-bench's media: frame pacing, the VP8 loop
 * (keyframes, RFC 7741 packets that reassemble into decodable frames,
 * bitrate) and the Opus loop. */
#include <errno.h>
#include <glib.h>
#include <opus.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>

#include "tools/bench/source.h"

#define SMALL_FPS 15
#define SMALL_EVERY 7
#define SMALL_PAYLOAD 300

/* 30 frames of 320x180 with keyframes at 0, 7, 14, 21 and 28; keyframes
 * are some 15 kB and the others 1 to 3 kB, so every frame takes several
 * 300-byte packets. */
static int small_video_setup(void **state)
{
	const struct bench_video_params p = {
		.width = 320, .height = 180, .fps = SMALL_FPS, .bitrate_kbps = 400, .seconds = 2,
		.keyframe_every = SMALL_EVERY, .max_payload = SMALL_PAYLOAD,
	};
	struct bench_track *t = NULL;
	char msg[200] = "";

	if (bench_video_make(&t, &p, msg, sizeof(msg))) {
		print_error("bench_video_make: %s\n", msg);
		return -1;
	}
	*state = t;
	return 0;
}

static int track_teardown(void **state)
{
	bench_track_free(*state);
	return 0;
}

static void test_pacer_due_counts(void **state)
{
	struct bench_pacer p;

	(void)state;
	bench_pacer_init(&p, 1000, 10000);
	assert_int_equal(bench_pacer_wait_us(&p, 0), 1000);
	assert_int_equal(bench_pacer_take(&p, 999, 10), 0);
	assert_int_equal(bench_pacer_take(&p, 1000, 10), 1); /* frame 0 at start */
	assert_int_equal(bench_pacer_take(&p, 1000, 10), 0); /* taken already */
	assert_int_equal(bench_pacer_wait_us(&p, 1000), 10000);
	assert_int_equal(bench_pacer_take(&p, 10999, 10), 0);
	assert_int_equal(bench_pacer_wait_us(&p, 10999), 1);
	assert_int_equal(bench_pacer_take(&p, 11000, 10), 1);
	assert_int_equal(bench_pacer_take(&p, 41000, 10), 3); /* frames 2, 3 and 4 */
	assert_int_equal(p.next, 5);
	assert_int_equal(bench_pacer_wait_us(&p, 45000), 6000);
	assert_int_equal(bench_pacer_wait_us(&p, 51000), 0);
	assert_int_equal(bench_pacer_wait_us(&p, 60000), 0); /* late: due now */
	assert_int_equal(bench_pacer_take(&p, 60000, 10), 1);
}

static void test_pacer_burst_skips(void **state)
{
	struct bench_pacer p;

	(void)state;
	bench_pacer_init(&p, 0, 1000);
	assert_int_equal(bench_pacer_take(&p, 0, 3), 1);
	/* A stall: frames 1..10 are due, only 3 are sent, the rest skipped. */
	assert_int_equal(bench_pacer_take(&p, 10500, 3), 3);
	assert_int_equal(p.next, 11);
	assert_int_equal(bench_pacer_take(&p, 10999, 3), 0);
	assert_int_equal(bench_pacer_wait_us(&p, 10999), 1);
	assert_int_equal(bench_pacer_take(&p, 11000, 3), 1);
	assert_int_equal(bench_pacer_take(&p, 13000, 3), 2);
}

static void test_vp8_keyframes(void **state)
{
	const struct bench_track *t = *state;
	unsigned n = bench_track_frames(t);

	assert_int_equal(n, 2 * SMALL_FPS);
	assert_int_equal(bench_track_frame_ticks(t), 90000 / SMALL_FPS);
	assert_int_equal(bench_track_frame_us(t), 1000000 / SMALL_FPS);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(bench_track_keyframe(t, i), i % SMALL_EVERY == 0);
	assert_false(bench_track_keyframe(t, n)); /* out of range */
	assert_int_equal(bench_track_next_keyframe(t, 0), 0);
	assert_int_equal(bench_track_next_keyframe(t, 1), 7);
	assert_int_equal(bench_track_next_keyframe(t, 7), 7);
	assert_int_equal(bench_track_next_keyframe(t, 22), 28);
	assert_int_equal(bench_track_next_keyframe(t, 29), 0); /* wraps */
}

static void test_vp8_default_keyframe_interval(void **state)
{
	const struct bench_video_params p = {
		.width = 64, .height = 48, .fps = 5, .bitrate_kbps = 100, .seconds = 3,
		.max_payload = 1200,
	};
	struct bench_track *t = NULL;

	(void)state;
	assert_int_equal(bench_video_make(&t, &p, NULL, 0), 0);
	assert_int_equal(bench_track_frames(t), 15);
	for (unsigned i = 0; i < 15; i++) /* every fps * 2 = 10 frames */
		assert_int_equal(bench_track_keyframe(t, i), i % 10 == 0);
	assert_int_equal(bench_track_next_keyframe(t, 11), 0);
	bench_track_free(t);
}

/* Checks the descriptor of packet k of n and returns the payload's offset. */
static size_t check_descriptor(const uint8_t *b, size_t len, unsigned k, uint16_t pid)
{
	assert_true(len > 4);
	assert_int_equal(b[0], 0x80 | (k == 0 ? 0x10 : 0)); /* X, S on the first, PID 0 */
	assert_int_equal(b[1], 0x80);                        /* I only */
	assert_true(b[2] & 0x80);                            /* M: 15-bit id */
	assert_int_equal(((b[2] & 0x7f) << 8) | b[3], pid);
	return 4;
}

/* Cuts frame i into packets and reassembles it into frame (of cap bytes);
 * returns the frame's length and adds the payload bytes to *sent. */
static size_t reassemble(const struct bench_track *t, unsigned i, uint16_t pid, uint8_t *frame,
			 size_t cap, uint64_t *sent)
{
	unsigned n = bench_track_packets(t, i);
	size_t flen = 0, lo = SIZE_MAX, hi = 0;
	uint8_t buf[1500];

	assert_true(n >= 1);
	for (unsigned k = 0; k < n; k++) {
		bool marker = true;
		size_t len = bench_track_packet(t, i, k, pid, buf, sizeof(buf), &marker), off;

		assert_true(len > 4 && len <= SMALL_PAYLOAD);
		assert_int_equal(marker, k + 1 == n);
		off = check_descriptor(buf, len, k, pid);
		assert_true(flen + len - off <= cap);
		memcpy(frame + flen, buf + off, len - off);
		flen += len - off;
		lo = MIN(lo, len);
		hi = MAX(hi, len);
		*sent += len;
	}
	assert_true(hi - lo <= 1); /* nearly equal packets */
	assert_int_equal(n, (flen + SMALL_PAYLOAD - 4 - 1) / (SMALL_PAYLOAD - 4));
	return flen;
}

static void test_vp8_packets_reassemble(void **state)
{
	const struct bench_track *t = *state;
	unsigned n = bench_track_frames(t), multi = 0;
	vpx_codec_ctx_t dec;
	uint64_t sent = 0;
	uint8_t *frame = g_malloc(1 << 20);

	assert_int_equal(vpx_codec_dec_init(&dec, vpx_codec_vp8_dx(), NULL, 0), VPX_CODEC_OK);
	/* Twice round the loop: ids keep increasing and wrap at 15 bits, and
	 * the decoder takes frame 0 after the last. */
	for (unsigned j = 0; j < 2 * n; j++) {
		unsigned i = j % n;
		uint16_t pid = (uint16_t)((32740 + j) & 0x7fff);
		size_t flen = reassemble(t, i, pid, frame, 1 << 20, &sent);
		vpx_codec_iter_t it = NULL;
		vpx_image_t *img;

		multi += bench_track_packets(t, i) > 1;
		assert_int_equal(vpx_codec_decode(&dec, frame, (unsigned)flen, NULL, 0),
				 VPX_CODEC_OK);
		img = vpx_codec_get_frame(&dec, &it);
		assert_non_null(img);
		assert_int_equal(img->d_w, 320);
		assert_int_equal(img->d_h, 180);
		assert_int_equal((frame[0] & 1) == 0, bench_track_keyframe(t, i)); /* VP8 P bit */
	}
	vpx_codec_destroy(&dec);
	g_free(frame);
	assert_true(multi > 0); /* the splitting was exercised */
	assert_int_equal(bench_track_bytes_per_second(t), sent / 2 * SMALL_FPS / n);
}

/* The same params give the same bytes: a fixed seed for the picture. (A
 * speed picked from timing, cpu-used > 0, only shows at sizes too slow for
 * a unit test.) */
static void test_vp8_deterministic(void **state)
{
	const struct bench_track *a = *state;
	struct bench_track *b = NULL;
	uint8_t pa[1500], pb[1500];

	assert_int_equal(small_video_setup((void **)&b), 0);
	assert_int_equal(bench_track_frames(b), bench_track_frames(a));
	for (unsigned i = 0; i < bench_track_frames(a); i++) {
		assert_int_equal(bench_track_packets(b, i), bench_track_packets(a, i));
		for (unsigned k = 0; k < bench_track_packets(a, i); k++) {
			size_t la = bench_track_packet(a, i, k, 1, pa, sizeof(pa), NULL);

			assert_int_equal(bench_track_packet(b, i, k, 1, pb, sizeof(pb), NULL), la);
			assert_memory_equal(pa, pb, la);
		}
	}
	bench_track_free(b);
}

static void test_vp8_packet_bounds(void **state)
{
	const struct bench_track *t = *state;
	unsigned last = bench_track_packets(t, 0) - 1;
	uint8_t buf[1500];
	bool marker = true;
	size_t len = bench_track_packet(t, 0, last, 5, buf, sizeof(buf), &marker);

	assert_true(len > 4);
	assert_true(marker);
	assert_int_equal(bench_track_packet(t, 0, last, 5, buf, len - 1, &marker), 0);
	assert_false(marker);
	assert_int_equal(bench_track_packet(t, 0, last, 5, buf, len, &marker), len);
	assert_int_equal(bench_track_packet(t, 0, last + 1, 5, buf, sizeof(buf), NULL), 0);
	assert_int_equal(bench_track_packet(t, bench_track_frames(t), 0, 5, buf, sizeof(buf),
					    NULL),
			 0);
	assert_int_equal(bench_track_packets(t, bench_track_frames(t)), 0);
}

static void test_vp8_bitrate(void **state)
{
	const struct bench_video_params p = {
		.width = 640, .height = 360, .fps = 30, .bitrate_kbps = 1000, .seconds = 2,
		.max_payload = 1200,
	};
	struct bench_track *t = NULL;
	uint64_t bps;

	(void)state;
	assert_int_equal(bench_video_make(&t, &p, NULL, 0), 0);
	assert_int_equal(bench_track_frames(t), 60);
	bps = bench_track_bytes_per_second(t);
	assert_in_range(bps, 125000 * 3 / 10, 125000 * 3);
	bench_track_free(t);
}

static void test_video_invalid_params(void **state)
{
	const struct bench_video_params ok = {
		.width = 320, .height = 180, .fps = 30, .bitrate_kbps = 500, .seconds = 1,
		.max_payload = 1200,
	};
	static const struct {
		const char *field;
		unsigned width, height, fps, kbps, seconds;
		size_t max_payload;
	} bad[] = {
		{"width", 15, 0, 0, 0, 0, 0},  {"width", 321, 0, 0, 0, 0, 0},
		{"width", 3842, 0, 0, 0, 0, 0}, {"height", 0, 14, 0, 0, 0, 0},
		{"height", 0, 181, 0, 0, 0, 0}, {"height", 0, 2162, 0, 0, 0, 0},
		{"fps", 0, 0, 121, 0, 0, 0},    {"bitrate_kbps", 0, 0, 0, 49, 0, 0},
		{"bitrate_kbps", 0, 0, 0, 50001, 0, 0}, {"seconds", 0, 0, 0, 0, 61, 0},
		{"max_payload", 0, 0, 0, 0, 0, 199},    {"max_payload", 0, 0, 0, 0, 0, 1401},
	};
	char dummy;
	struct bench_track *sentinel = (struct bench_track *)(void *)&dummy, *t;
	char msg[200];

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		struct bench_video_params p = ok;

		p.width = bad[i].width ? bad[i].width : p.width;
		p.height = bad[i].height ? bad[i].height : p.height;
		p.fps = bad[i].fps ? bad[i].fps : p.fps;
		p.bitrate_kbps = bad[i].kbps ? bad[i].kbps : p.bitrate_kbps;
		p.seconds = bad[i].seconds ? bad[i].seconds : p.seconds;
		p.max_payload = bad[i].max_payload ? bad[i].max_payload : p.max_payload;
		t = sentinel;
		msg[0] = '\0';
		assert_int_equal(bench_video_make(&t, &p, msg, sizeof(msg)), EINVAL);
		assert_ptr_equal(t, sentinel);
		assert_non_null(strstr(msg, bad[i].field));
	}
	struct bench_video_params zero = ok;
	zero.fps = 0;
	assert_int_equal(bench_video_make(&t, &zero, msg, sizeof(msg)), EINVAL);
	zero = ok;
	zero.seconds = 0;
	assert_int_equal(bench_video_make(&t, &zero, NULL, 0), EINVAL);
	assert_ptr_equal(t, sentinel);
}

static void test_video_limits_accepted(void **state)
{
	const struct bench_video_params lo = {
		.width = 16, .height = 16, .fps = 1, .bitrate_kbps = 50, .seconds = 1,
		.keyframe_every = 1, .max_payload = 200,
	};
	struct bench_video_params p = lo;
	struct bench_track *t = NULL;

	(void)state;
	assert_int_equal(bench_video_make(&t, &p, NULL, 0), 0);
	assert_int_equal(bench_track_frames(t), 1);
	assert_true(bench_track_keyframe(t, 0));
	assert_int_equal(bench_track_next_keyframe(t, 0), 0);
	assert_int_equal(bench_track_frame_ticks(t), 90000);
	bench_track_free(t);
	p.fps = 120;
	p.max_payload = 1400;
	p.bitrate_kbps = 50000;
	assert_int_equal(bench_video_make(&t, &p, NULL, 0), 0);
	assert_int_equal(bench_track_frames(t), 120);
	assert_int_equal(bench_track_frame_ticks(t), 750);
	assert_true(bench_track_keyframe(t, 119)); /* keyframe_every 1 */
	bench_track_free(t);
}

static void test_opus_loop(void **state)
{
	const struct bench_audio_params p = {.bitrate_bps = 32000, .seconds = 2, .frame_ms = 20};
	struct bench_track *t = NULL;
	uint8_t buf[1500];
	uint64_t bps;

	(void)state;
	assert_int_equal(bench_audio_make(&t, &p, NULL, 0), 0);
	assert_int_equal(bench_track_frames(t), 100);
	assert_int_equal(bench_track_frame_ticks(t), 960);
	assert_int_equal(bench_track_frame_us(t), 20000);
	for (unsigned i = 0; i < 100; i++) {
		bool marker = true;
		size_t len;

		assert_true(bench_track_keyframe(t, i));
		assert_int_equal(bench_track_next_keyframe(t, i), i);
		assert_int_equal(bench_track_packets(t, i), 1);
		len = bench_track_packet(t, i, 0, 0, buf, sizeof(buf), &marker);
		assert_true(len > 0);
		assert_false(marker);
		assert_int_equal(opus_packet_get_nb_samples(buf, (opus_int32)len, 48000), 960);
		assert_int_equal(opus_packet_get_nb_channels(buf), 2);
		assert_int_equal(bench_track_packet(t, i, 0, 0, buf, len - 1, &marker), 0);
	}
	bps = bench_track_bytes_per_second(t);
	assert_in_range(bps, 4000 * 3 / 10, 4000 * 2);
	bench_track_free(t);
}

static void test_opus_frame_lengths(void **state)
{
	static const unsigned ms[] = {10, 40, 60};
	static const unsigned frames[] = {100, 25, 16}; /* 1000 / ms, rounded down */

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(ms); i++) {
		const struct bench_audio_params p = {
			.bitrate_bps = 24000, .seconds = 1, .frame_ms = ms[i]};
		struct bench_track *t = NULL;
		uint8_t buf[1500];
		size_t len;

		assert_int_equal(bench_audio_make(&t, &p, NULL, 0), 0);
		assert_int_equal(bench_track_frames(t), frames[i]);
		assert_int_equal(bench_track_frame_ticks(t), 48 * ms[i]);
		len = bench_track_packet(t, 0, 0, 0, buf, sizeof(buf), NULL);
		assert_int_equal(opus_packet_get_nb_samples(buf, (opus_int32)len, 48000),
				 48 * ms[i]);
		bench_track_free(t);
	}
}

/* At the top rate a 60 ms frame would be 3.8 kB; it is held to one datagram. */
static void test_opus_packets_fit_a_datagram(void **state)
{
	const struct bench_audio_params p = {.bitrate_bps = 510000, .seconds = 1, .frame_ms = 60};
	struct bench_track *t = NULL;
	uint8_t buf[4000];
	size_t most = 0;

	(void)state;
	assert_int_equal(bench_audio_make(&t, &p, NULL, 0), 0);
	for (unsigned i = 0; i < bench_track_frames(t); i++) {
		size_t len = bench_track_packet(t, i, 0, 0, buf, sizeof(buf), NULL);

		assert_int_equal(opus_packet_get_nb_samples(buf, (opus_int32)len, 48000), 2880);
		most = MAX(most, len);
	}
	assert_in_range(most, 1000, 1400);
	bench_track_free(t);
}

static void test_audio_invalid_params(void **state)
{
	static const struct {
		const char *field;
		struct bench_audio_params p;
	} bad[] = {
		{"bitrate_bps", {5999, 1, 20}}, {"bitrate_bps", {510001, 1, 20}},
		{"seconds", {32000, 0, 20}},    {"seconds", {32000, 61, 20}},
		{"frame_ms", {32000, 1, 0}},    {"frame_ms", {32000, 1, 30}},
		{"frame_ms", {32000, 1, 120}},
	};
	char dummy;
	struct bench_track *sentinel = (struct bench_track *)(void *)&dummy, *t;
	char msg[200];

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		t = sentinel;
		msg[0] = '\0';
		assert_int_equal(bench_audio_make(&t, &bad[i].p, msg, sizeof(msg)), EINVAL);
		assert_ptr_equal(t, sentinel);
		assert_non_null(strstr(msg, bad[i].field));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pacer_due_counts),
		cmocka_unit_test(test_pacer_burst_skips),
		cmocka_unit_test_setup_teardown(test_vp8_keyframes, small_video_setup,
						track_teardown),
		cmocka_unit_test(test_vp8_default_keyframe_interval),
		cmocka_unit_test_setup_teardown(test_vp8_packets_reassemble, small_video_setup,
						track_teardown),
		cmocka_unit_test_setup_teardown(test_vp8_deterministic, small_video_setup,
						track_teardown),
		cmocka_unit_test_setup_teardown(test_vp8_packet_bounds, small_video_setup,
						track_teardown),
		cmocka_unit_test(test_vp8_bitrate),
		cmocka_unit_test(test_video_invalid_params),
		cmocka_unit_test(test_video_limits_accepted),
		cmocka_unit_test(test_opus_loop),
		cmocka_unit_test(test_opus_frame_lengths),
		cmocka_unit_test(test_opus_packets_fit_a_datagram),
		cmocka_unit_test(test_audio_invalid_params),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
