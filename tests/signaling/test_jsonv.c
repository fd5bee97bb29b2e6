/* test_jsonv.c - JSON body parsing and validation: malformed JSON, wrong
 * types, unknown, missing and out-of-range fields. */
#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "signaling/jsonv.h"

static const struct jsonv_field fields[] = {
	{ "name", JSONV_STRING, true, 1, 8 },
	{ "max", JSONV_UINT, false, 1, 100 },
	{ "flag", JSONV_BOOL, false, 0, 0 },
	{ 0 },
};

static enum apierr check(const char *text, char *msg)
{
	json_t *o = NULL;
	enum apierr e = jsonv_parse(text, strlen(text), false, &o, msg, 160);

	if (e == APIERR_NONE) {
		e = jsonv_check(o, fields, msg, 160);
		json_decref(o);
	}
	return e;
}

static void test_valid(void **state)
{
	char msg[160];

	assert_int_equal(check("{\"name\":\"abc\"}", msg), APIERR_NONE);
	assert_int_equal(check("{\"name\":\"abc\",\"max\":100,\"flag\":false}", msg), APIERR_NONE);
}

static void test_malformed_json(void **state)
{
	const char *bad[] = { "", "{", "}", "[]", "\"str\"", "42", "null", "{\"name\":}",
			      "{\"name\":\"a\",}", "{'name':'a'}", "{\"name\":\"a\"} trailing",
			      "{\"name\":\"a\",\"name\":\"b\"}", "\xff\xfe{}" };
	char msg[160];

	for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
		msg[0] = 0;
		assert_int_equal(check(bad[i], msg), APIERR_INVALID_JSON);
		assert_true(strlen(msg) > 0);
	}
}

static void test_field_errors(void **state)
{
	char msg[160];

	assert_int_equal(check("{}", msg), APIERR_MISSING_FIELD);
	assert_non_null(strstr(msg, "name"));
	assert_int_equal(check("{\"name\":\"a\",\"extra\":1}", msg), APIERR_UNKNOWN_FIELD);
	assert_non_null(strstr(msg, "extra"));
	assert_int_equal(check("{\"name\":5}", msg), APIERR_INVALID_FIELD);
	assert_int_equal(check("{\"name\":\"\"}", msg), APIERR_INVALID_FIELD);
	assert_int_equal(check("{\"name\":\"123456789\"}", msg), APIERR_INVALID_FIELD);
	/* jansson refuses \u0000 in strings unless asked: NULs never reach us. */
	assert_int_equal(check("{\"name\":\"a\\u0000b\"}", msg), APIERR_INVALID_JSON);
	assert_int_equal(check("{\"name\":\"a\",\"max\":0}", msg), APIERR_INVALID_FIELD);
	assert_int_equal(check("{\"name\":\"a\",\"max\":101}", msg), APIERR_INVALID_FIELD);
	assert_int_equal(check("{\"name\":\"a\",\"max\":-5}", msg), APIERR_INVALID_FIELD);
	assert_int_equal(check("{\"name\":\"a\",\"max\":1.5}", msg), APIERR_INVALID_FIELD);
	assert_int_equal(check("{\"name\":\"a\",\"max\":\"5\"}", msg), APIERR_INVALID_FIELD);
	assert_int_equal(check("{\"name\":\"a\",\"flag\":1}", msg), APIERR_INVALID_FIELD);
	assert_non_null(strstr(msg, "flag"));
}

static void test_empty_body(void **state)
{
	json_t *o = NULL;
	char msg[160];

	assert_int_equal(jsonv_parse("", 0, true, &o, msg, sizeof(msg)), APIERR_NONE);
	assert_true(json_is_object(o));
	assert_int_equal(json_object_size(o), 0);
	json_decref(o);
	assert_int_equal(jsonv_parse("", 0, false, &o, msg, sizeof(msg)), APIERR_INVALID_JSON);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_malformed_json),
		cmocka_unit_test(test_field_errors),
		cmocka_unit_test(test_empty_body),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
