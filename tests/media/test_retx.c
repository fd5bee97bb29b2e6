/* test_retx.c - packet buffers (pool, references) and the retransmission
 * buffer (lookup by sequence number, wrap-around, replacement). */
#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

	assert_int_equal(retx_alloc(&r, 100), 0); /* rounds to 128 */
	for (uint32_t s = 65500; s < 65500 + 100; s++)
		retx_put(r, (uint16_t)s, mk((uint16_t)s));
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
		retx_put(r, (uint16_t)s, mk((uint16_t)s));
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

	assert_int_equal(retx_alloc(&r, 16), 0);
	retx_put(r, 7, a);
	retx_put(r, 7, b);
	assert_ptr_equal(retx_get(r, 7), b);
	retx_free(r);
	assert_int_equal(retx_alloc(&r, 0), EINVAL);
	assert_int_equal(retx_alloc(&r, 65536), EINVAL);
	pktbuf_pool_drain();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_reuses),
		cmocka_unit_test(test_retx_lookup_and_wrap),
		cmocka_unit_test(test_retx_duplicate_replaces),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
