/* test_apierr.c - the error table: every error has a status, a unique code
 * and a message; errno mapping. */
#include <errno.h>
#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "signaling/apierr.h"

static void test_table_complete_and_unique(void **state)
{
	GHashTable *codes = g_hash_table_new(g_str_hash, g_str_equal);

	for (int e = APIERR_NONE + 1; e < APIERR_COUNT_; e++) {
		const char *code = apierr_code(e);

		assert_non_null(code);
		assert_non_null(apierr_message(e));
		assert_true(strlen(apierr_message(e)) > 0);
		assert_true(apierr_status(e) >= 400 && apierr_status(e) < 600);
		assert_false(g_hash_table_contains(codes, code));
		g_hash_table_add(codes, (gpointer)code);
	}
	g_hash_table_destroy(codes);
}

static void test_statuses(void **state)
{
	assert_int_equal(apierr_status(APIERR_INVALID_JSON), 400);
	assert_int_equal(apierr_status(APIERR_UNAUTHORIZED), 401);
	assert_int_equal(apierr_status(APIERR_TOKEN_EXPIRED), 401);
	assert_int_equal(apierr_status(APIERR_FORBIDDEN), 403);
	assert_int_equal(apierr_status(APIERR_ROOM_NOT_FOUND), 404);
	assert_int_equal(apierr_status(APIERR_METHOD_NOT_ALLOWED), 405);
	assert_int_equal(apierr_status(APIERR_ROOM_EXISTS), 409);
	assert_int_equal(apierr_status(APIERR_PAYLOAD_TOO_LARGE), 413);
	assert_int_equal(apierr_status(APIERR_UNSUPPORTED_MEDIA_TYPE), 415);
	assert_int_equal(apierr_status(APIERR_INTERNAL), 500);
	assert_string_equal(apierr_code(APIERR_ROOM_FULL), "room_full");
	/* Out of range values never crash and read as internal. */
	assert_int_equal(apierr_status((enum apierr)9999), 500);
	assert_string_equal(apierr_code((enum apierr)-1), "internal");
}

static void test_from_errno(void **state)
{
	assert_int_equal(apierr_from_errno(0, APIERR_NOT_FOUND), APIERR_NONE);
	assert_int_equal(apierr_from_errno(ENOENT, APIERR_ROOM_NOT_FOUND), APIERR_ROOM_NOT_FOUND);
	assert_int_equal(apierr_from_errno(ENOENT, APIERR_NOT_FOUND), APIERR_NOT_FOUND);
	assert_int_equal(apierr_from_errno(EEXIST, APIERR_NOT_FOUND), APIERR_ROOM_EXISTS);
	assert_int_equal(apierr_from_errno(ENOSPC, APIERR_NOT_FOUND), APIERR_ROOM_FULL);
	assert_int_equal(apierr_from_errno(EMFILE, APIERR_NOT_FOUND), APIERR_TOO_MANY_ROOMS);
	assert_int_equal(apierr_from_errno(EACCES, APIERR_NOT_FOUND), APIERR_FORBIDDEN);
	assert_int_equal(apierr_from_errno(EDQUOT, APIERR_NOT_FOUND), APIERR_STORAGE_FULL);
	assert_int_equal(apierr_from_errno(ESHUTDOWN, APIERR_NOT_FOUND), APIERR_SHUTTING_DOWN);
	assert_int_equal(apierr_from_errno(EINVAL, APIERR_NOT_FOUND), APIERR_INVALID_FIELD);
	assert_int_equal(apierr_from_errno(EIO, APIERR_NOT_FOUND), APIERR_INTERNAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_complete_and_unique),
		cmocka_unit_test(test_statuses),
		cmocka_unit_test(test_from_errno),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
