/* test_retx.c - packet buffers (pool, references) and the retransmission
 * buffer (lookup by sequence number, wrap-around, replacement). */
#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "media/pktbuf.h"
#include "media/retx.h"

static void test_pool_reuses(void **state)
{
	struct pktbuf *a = pktbuf_alloc(), *b;
	unsigned made = pktbuf_pool_made();

	assert_int_equal(a->refs, 1);
	pktbuf_ref(a);
	pktbuf_unref(a);
	assert_int_equal(pktbuf_pool_free(), 0); /* still referenced */
	pktbuf_unref(a);
	assert_int_equal(pktbuf_pool_free(), 1);
	b = pktbuf_alloc();
	assert_ptr_equal(a, b); /* the same memory, no new allocation */
	assert_int_equal(pktbuf_pool_made(), made);
	assert_int_equal(b->len, 0);
	pktbuf_unref(b);
	pktbuf_unref(NULL);
	pktbuf_pool_drain();
	assert_int_equal(pktbuf_pool_free(), 0);
	assert_int_equal(pktbuf_pool_made(), 0);
}

static struct pktbuf *mk(uint16_t seq)
{
	struct pktbuf *p = pktbuf_alloc();

	p->data[0] = (uint8_t)(seq >> 8);
	p->data[1] = (uint8_t)seq;
	p->len = 2;
	return p;
}

static void test_retx_lookup_and_wrap(void **state)
{
	struct retx *r;

	assert_int_equal(retx_alloc(&r, 100, 0), 0); /* rounds to 128 */
	for (uint32_t s = 65500; s < 65500 + 100; s++)
		retx_put(r, (uint16_t)s, mk((uint16_t)s), 0);
	/* Across the 16-bit wrap, every stored packet is found under its seq. */
	for (uint32_t s = 65500; s < 65500 + 100; s++) {
		struct pktbuf *p = retx_get(r, (uint16_t)s);

		assert_non_null(p);
		assert_int_equal((p->data[0] << 8) | p->data[1], (uint16_t)s);
	}
	assert_null(retx_get(r, 65499));
	assert_null(retx_get(r, 200));
	/* 128 newer packets push the old ones out. */
	for (uint32_t s = 100; s < 228; s++)
		retx_put(r, (uint16_t)s, mk((uint16_t)s), 0);
	assert_null(retx_get(r, 65500));
	assert_null(retx_get(r, 63));
	assert_non_null(retx_get(r, 227));
	assert_non_null(retx_get(r, 100));
	retx_free(r);
	retx_free(NULL);
	/* Every buffer went back to the pool. */
	assert_int_equal(pktbuf_pool_free(), pktbuf_pool_made());
	pktbuf_pool_drain();
}

static void test_retx_duplicate_replaces(void **state)
{
	struct retx *r;
	struct pktbuf *a = mk(7), *b = mk(7);

	assert_int_equal(retx_alloc(&r, 16, 0), 0);
	retx_put(r, 7, a, 0);
	retx_put(r, 7, b, 0);
	assert_ptr_equal(retx_get(r, 7), b);
	retx_free(r);
	assert_int_equal(retx_alloc(&r, 0, 0), EINVAL);
	assert_int_equal(retx_alloc(&r, 65536, 0), EINVAL);
	pktbuf_pool_drain();
}

/* Packets older than the age limit are let go as new ones come, oldest
 * sequence numbers first; their buffers return to the pool. */
static void test_retx_age_limit(void **state)
{
	struct retx *r;
	int64_t t = 1000000;

	(void)state;
	assert_int_equal(retx_alloc(&r, 512, -1), EINVAL);
	assert_int_equal(retx_alloc(&r, 512, 1000000), 0);
	/* 100 packets per second, across the sequence number wrap */
	for (unsigned i = 0; i < 300; i++) {
		retx_put(r, (uint16_t)(65400 + i), mk((uint16_t)(65400 + i)), t);
		t += 10000;
	}
	/* one second's worth is kept (plus the few a put may leave for the next) */
	assert_in_range(retx_count(r), 100, 101 + 16);
	assert_null(retx_get(r, 65400));
	assert_non_null(retx_get(r, (uint16_t)(65400 + 299)));
	assert_non_null(retx_get(r, (uint16_t)(65400 + 220)));
	/* a late packet (a retransmission arriving after newer ones) is kept,
	 * then expires like the others */
	retx_put(r, (uint16_t)(65400 + 150), mk(1), t);
	assert_non_null(retx_get(r, (uint16_t)(65400 + 150)));
	/* after a pause, the next puts let go of everything older */
	t += 5000000;
	for (unsigned i = 300; i < 340; i++)
		retx_put(r, (uint16_t)(65400 + i), mk((uint16_t)(65400 + i)), t);
	assert_int_equal(retx_count(r), 40);
	assert_null(retx_get(r, (uint16_t)(65400 + 150)));
	assert_null(retx_get(r, (uint16_t)(65400 + 299)));
	retx_clear(r);
	assert_int_equal(retx_count(r), 0);
	retx_put(r, 5, mk(5), t);
	assert_int_equal(retx_count(r), 1);
	retx_free(r);
	pktbuf_pool_drain();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_reuses),
		cmocka_unit_test(test_retx_lookup_and_wrap),
		cmocka_unit_test(test_retx_duplicate_replaces),
		cmocka_unit_test(test_retx_age_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
