/* test_rewrite.c - a consumer's sequence/timestamp/picture-id rewriting
 * across source switches, and the keyframe request throttle. */
#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "rooms/kfreq.h"
#include "rooms/rewrite.h"

static void test_first_source_passes_through(void **state)
{
	struct rewrite w;
	uint16_t s;
	uint32_t t;

	rewrite_init(&w, 90000);
	assert_true(rewrite_map(&w, 1000, 5000, 0, &s, &t));
	assert_int_equal(s, 1000);
	assert_int_equal(t, 5000);
	assert_true(rewrite_map(&w, 1002, 8000, 33000, &s, &t));
	assert_int_equal(s, 1002);
	/* A reordered packet of the same source is still forwarded. */
	assert_true(rewrite_map(&w, 1001, 8000, 34000, &s, &t));
	assert_int_equal(s, 1001);
}

static void test_switch_keeps_continuity(void **state)
{
	struct rewrite w;
	uint16_t s;
	uint32_t t;

	rewrite_init(&w, 90000);
	for (uint16_t i = 0; i < 10; i++)
		assert_true(rewrite_map(&w, (uint16_t)(65530 + i), 1000 + i * 3000u,
					(int64_t)i * 33333, &s, &t));
	assert_int_equal(s, (uint16_t)(65530 + 9)); /* wrapped to 3 */
	/* New source with unrelated numbers, 100 ms later. */
	rewrite_switch(&w);
	assert_true(rewrite_map(&w, 20000, 777777, 9 * 33333 + 100000, &s, &t));
	assert_int_equal(s, 4);                      /* 3 + 1 */
	assert_int_equal(t, 1000 + 9 * 3000u + 9000); /* +100 ms at 90 kHz */
	assert_true(rewrite_map(&w, 20001, 777777 + 3000, 9 * 33333 + 133333, &s, &t));
	assert_int_equal(s, 5);
	assert_int_equal(t, 1000 + 9 * 3000u + 12000);
	/* A late packet from before the switch point of the new source is dropped. */
	assert_false(rewrite_map(&w, 19999, 777777 - 3000, 9 * 33333 + 140000, &s, &t));
	/* Retransmissions of packets of the current source map the same way. */
	assert_true(rewrite_map(&w, 20000, 777777, 9 * 33333 + 150000, &s, &t));
	assert_int_equal(s, 4);
}

static void test_switch_without_time_still_advances(void **state)
{
	struct rewrite w;
	uint16_t s;
	uint32_t t, t0;

	rewrite_init(&w, 48000);
	assert_true(rewrite_map(&w, 1, 100, 1000, &s, &t0));
	rewrite_switch(&w);
	assert_true(rewrite_map(&w, 500, 9, 1000, &s, &t));
	assert_int_equal(s, 2);
	assert_true(t != t0); /* never the same timestamp for a new frame */
}

static void test_vp8_picture_id(void **state)
{
	struct rewrite w;
	uint16_t pid;
	uint8_t tl0;

	rewrite_init(&w, 90000);
	rewrite_map_vp8(&w, true, 32760, 250, &pid, &tl0);
	uint16_t first = pid;
	uint8_t first_tl0 = tl0;
	for (int i = 1; i < 20; i++) {
		rewrite_map_vp8(&w, false, (uint16_t)((32760 + i) & 0x7fff), (uint8_t)(250 + i), &pid,
				&tl0);
		assert_int_equal(pid, (first + i) & 0x7fff);
		assert_int_equal(tl0, (uint8_t)(first_tl0 + i));
	}
	/* A new source continues right after the last picture id. */
	uint16_t last = pid;
	uint8_t last_tl0 = tl0;
	rewrite_map_vp8(&w, true, 5, 17, &pid, &tl0);
	assert_int_equal(pid, (last + 1) & 0x7fff);
	assert_int_equal(tl0, (uint8_t)(last_tl0 + 1));
}

static void test_kfreq(void **state)
{
	struct kfreq k;
	int64_t s = 1000000;

	kfreq_init(&k, 500000);
	assert_true(kfreq_want(&k, s));           /* first: at once */
	assert_false(kfreq_want(&k, s + 1000));   /* many consumers, one request */
	assert_false(kfreq_want(&k, s + 2000));
	assert_false(kfreq_poll(&k, s + 400000)); /* not yet */
	assert_true(kfreq_poll(&k, s + 500000));  /* deferred one goes out */
	assert_false(kfreq_poll(&k, s + 600000)); /* only once */
	assert_int_equal(k.asked, 3);
	assert_int_equal(k.sent, 2);
	/* A keyframe that arrives meanwhile satisfies a deferred request. */
	assert_false(kfreq_want(&k, s + 700000));
	kfreq_keyframe(&k);
	assert_false(kfreq_poll(&k, s + 2000000));
	assert_true(kfreq_want(&k, s + 2000000));
	assert_int_equal(k.sent, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_source_passes_through),
		cmocka_unit_test(test_switch_keeps_continuity),
		cmocka_unit_test(test_switch_without_time_still_advances),
		cmocka_unit_test(test_vp8_picture_id),
		cmocka_unit_test(test_kfreq),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
