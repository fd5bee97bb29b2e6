/* test_codec.c - VP8 payload descriptor parsing and rewriting, codec names. */
#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "media/codec.h"

static void test_names(void **state)
{
	assert_int_equal(codec_from_name("opus"), CODEC_OPUS);
	assert_int_equal(codec_from_name("OPUS"), CODEC_OPUS);
	assert_int_equal(codec_from_name("vp8"), CODEC_VP8);
	assert_int_equal(codec_from_name("rtx"), CODEC_RTX);
	assert_int_equal(codec_from_name("H264"), CODEC_NONE);
	assert_int_equal(codec_from_name(NULL), CODEC_NONE);
	assert_string_equal(codec_name(CODEC_VP8), "VP8");
}

static void test_keyframe_15bit_pid(void **state)
{
	/* X=1 S=1 PID=0 | I=1 L=1 T=1 | M=1 pid=0x1234 | tl0=7 | tid=2 Y=1 | payload P=0 */
	uint8_t pkt[] = { 0x90, 0xe0, 0x92, 0x34, 0x07, 0xa0, 0x10, 0x02, 0x00 };
	struct vp8_desc d;

	assert_int_equal(vp8_desc_parse(&d, pkt, sizeof(pkt)), 0);
	assert_true(d.start);
	assert_int_equal(d.partition, 0);
	assert_true(d.has_picture_id && d.picture_id_15);
	assert_int_equal(d.picture_id, 0x1234);
	assert_true(d.has_tl0picidx);
	assert_int_equal(d.tl0picidx, 7);
	assert_true(d.has_tid);
	assert_int_equal(d.tid, 2);
	assert_true(d.layer_sync);
	assert_int_equal(d.header_len, 6);
	assert_true(d.keyframe);

	assert_int_equal(vp8_desc_rewrite(pkt, &d, 0x7fff, 42), 0);
	assert_int_equal(vp8_desc_parse(&d, pkt, sizeof(pkt)), 0);
	assert_int_equal(d.picture_id, 0x7fff);
	assert_int_equal(d.tl0picidx, 42);
	assert_true(d.keyframe);
}

static void test_delta_7bit_and_continuation(void **state)
{
	uint8_t delta[] = { 0x90, 0x80, 0x05, 0x01 }; /* P=1: delta frame */
	uint8_t cont[] = { 0x80, 0x80, 0x05, 0xaa };  /* S=0: not a frame start */
	uint8_t plain[] = { 0x10, 0x00 };             /* no X: keyframe start */
	struct vp8_desc d;

	assert_int_equal(vp8_desc_parse(&d, delta, sizeof(delta)), 0);
	assert_false(d.picture_id_15);
	assert_int_equal(d.picture_id, 5);
	assert_false(d.keyframe);
	assert_int_equal(vp8_desc_rewrite(delta, &d, 300, 0), 0);
	assert_int_equal(delta[2], 300 & 0x7f);

	assert_int_equal(vp8_desc_parse(&d, cont, sizeof(cont)), 0);
	assert_false(d.start);
	assert_false(d.keyframe);

	assert_int_equal(vp8_desc_parse(&d, plain, sizeof(plain)), 0);
	assert_true(d.keyframe);
	assert_false(d.has_picture_id);
	assert_int_equal(vp8_desc_rewrite(plain, &d, 1, 1), EINVAL);
}

static void test_truncated_everywhere(void **state)
{
	uint8_t pkt[] = { 0x90, 0xf0, 0x92, 0x34, 0x07, 0xa0, 0x10 };
	struct vp8_desc d;

	/* Every prefix shorter than the descriptor plus one payload byte fails. */
	for (size_t n = 0; n < sizeof(pkt); n++)
		assert_int_equal(vp8_desc_parse(&d, pkt, n), EBADMSG);
	assert_int_equal(vp8_desc_parse(&d, pkt, sizeof(pkt)), 0);
	assert_true(d.has_keyidx);
	assert_int_equal(d.keyidx, 0);
	assert_true(d.keyframe);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_keyframe_15bit_pid),
		cmocka_unit_test(test_delta_7bit_and_continuation),
		cmocka_unit_test(test_truncated_everywhere),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
