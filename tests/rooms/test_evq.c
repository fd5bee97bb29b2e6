/* test_evq.c - the per-participant event buffer: ids, replay after an id,
 * overflow gaps, close, readers and idle tracking. */
#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "rooms/evq.h"

static void test_ids_increase_and_replay(void **state)
{
	struct evq *q = evq_alloc(8);
	struct evq_event ev;
	uint64_t lost;

	assert_int_equal(evq_push(q, "a", "{\"n\":1}"), 1);
	assert_int_equal(evq_push(q, "b", "{\"n\":2}"), 2);
	assert_int_equal(evq_push(q, "c", "{\"n\":3}"), 3);
	assert_int_equal(evq_last_id(q), 3);

	assert_int_equal(evq_next(q, 0, &ev, &lost), EVQ_NEXT_EVENT);
	assert_int_equal(ev.id, 1);
	assert_string_equal(ev.type, "a");
	assert_string_equal(ev.data, "{\"n\":1}");
	evq_event_clear(&ev);

	/* A reconnect after id 2 gets 3 and then nothing. */
	assert_int_equal(evq_next(q, 2, &ev, &lost), EVQ_NEXT_EVENT);
	assert_int_equal(ev.id, 3);
	assert_string_equal(ev.type, "c");
	evq_event_clear(&ev);
	assert_int_equal(evq_next(q, 3, &ev, &lost), EVQ_NEXT_EMPTY);
	evq_unref(q);
}

static void test_overflow_reports_gap(void **state)
{
	struct evq *q = evq_alloc(4);
	struct evq_event ev;
	uint64_t lost = 0;

	for (int i = 0; i < 10; i++)
		evq_push(q, "e", "{}");
	/* Ids 7..10 are kept; a reader at 2 lost 3..6. */
	assert_int_equal(evq_next(q, 2, &ev, &lost), EVQ_NEXT_GAP);
	assert_int_equal(lost, 6);
	assert_int_equal(evq_next(q, lost, &ev, &lost), EVQ_NEXT_EVENT);
	assert_int_equal(ev.id, 7);
	evq_event_clear(&ev);
	assert_int_equal(evq_next(q, 9, &ev, &lost), EVQ_NEXT_EVENT);
	assert_int_equal(ev.id, 10);
	evq_event_clear(&ev);
	evq_unref(q);
}

static void test_close_drains_then_ends(void **state)
{
	struct evq *q = evq_alloc(4);
	struct evq_event ev;
	uint64_t lost;

	evq_push(q, "last", "{}");
	evq_close(q);
	assert_int_equal(evq_push(q, "late", "{}"), 0);
	assert_int_equal(evq_next(q, 0, &ev, &lost), EVQ_NEXT_EVENT);
	assert_string_equal(ev.type, "last");
	evq_event_clear(&ev);
	assert_int_equal(evq_next(q, 1, &ev, &lost), EVQ_NEXT_CLOSED);
	evq_unref(q);
}

static void count_wake(void *arg)
{
	(*(int *)arg)++;
}

static void test_readers_woken_and_idle(void **state)
{
	struct evq *q = evq_alloc(4);
	int wakes1 = 0, wakes2 = 0;
	int64_t since0, since1;
	unsigned h1, h2;

	assert_true(evq_idle(q, &since0));
	h1 = evq_attach(q, count_wake, &wakes1);
	h2 = evq_attach(q, count_wake, &wakes2);
	assert_false(evq_idle(q, &since1));
	evq_push(q, "x", "{}");
	assert_int_equal(wakes1, 1);
	assert_int_equal(wakes2, 1);
	evq_detach(q, h1);
	evq_wake_all(q);
	assert_int_equal(wakes1, 1);
	assert_int_equal(wakes2, 2);
	assert_false(evq_idle(q, &since1));
	g_usleep(2000);
	evq_detach(q, h2);
	assert_true(evq_idle(q, &since1));
	assert_true(since1 > since0);
	evq_close(q);
	evq_unref(q);
}

static void test_refcount(void **state)
{
	struct evq *q = evq_alloc(0); /* capacity 0 is taken as 1 */
	struct evq_event ev;
	uint64_t lost;

	evq_ref(q);
	evq_push(q, "a", "1");
	evq_push(q, "b", "2");
	evq_unref(q);
	assert_int_equal(evq_next(q, 0, &ev, &lost), EVQ_NEXT_GAP);
	assert_int_equal(lost, 1);
	assert_int_equal(evq_next(q, 1, &ev, &lost), EVQ_NEXT_EVENT);
	assert_string_equal(ev.data, "2");
	evq_event_clear(&ev);
	evq_unref(q);
	evq_unref(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_increase_and_replay),
		cmocka_unit_test(test_overflow_reports_gap),
		cmocka_unit_test(test_close_drains_then_ends),
		cmocka_unit_test(test_readers_woken_and_idle),
		cmocka_unit_test(test_refcount),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
