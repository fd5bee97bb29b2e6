/* test_store.c - the SQLite store on real files: migrations, room rows,
 * persistence across reopen, refusing a newer or a broken database. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "rooms/store.h"

struct fixture {
	char *dir;
	char *path;
};

static int setup(void **state)
{
	struct fixture *f = g_new0(struct fixture, 1);

	f->dir = g_dir_make_tmp("parley-store-XXXXXX", NULL);
	f->path = g_build_filename(f->dir, "parley.db", NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	const char *suffixes[] = { "", "-wal", "-shm" };

	for (unsigned i = 0; i < 3; i++) {
		char *p = g_strconcat(f->path, suffixes[i], NULL);
		g_unlink(p);
		g_free(p);
	}
	g_rmdir(f->dir);
	g_free(f->path);
	g_free(f->dir);
	g_free(f);
	return 0;
}

static void collect(const struct store_room *r, void *arg)
{
	GString *s = arg;

	g_string_append_printf(s, "%s/%s/%s/%u/%u/%d/%lld;", r->name, r->sid, r->metadata,
			       r->max_participants, r->empty_timeout, r->auto_created,
			       (long long)r->created_at);
}

static void test_rooms_crud_and_persist(void **state)
{
	struct fixture *f = *state;
	struct store *s;
	struct store_room a = { "alpha", "RM_a", "m1", 10, 0, false, 100 };
	struct store_room b = { "beta", "RM_b", NULL, 5, 300, true, 200 };
	GString *out = g_string_new(NULL);

	assert_int_equal(store_open(&s, f->path), 0);
	assert_int_equal(store_schema_version(s), store_schema_latest());
	assert_int_equal(store_room_insert(s, &a), 0);
	assert_int_equal(store_room_insert(s, &b), 0);
	assert_int_equal(store_room_insert(s, &a), EEXIST);
	a.metadata = "m2";
	a.max_participants = 20;
	assert_int_equal(store_room_update(s, &a), 0);
	struct store_room ghost = { "ghost", "RM_g", "", 1, 0, false, 1 };
	assert_int_equal(store_room_update(s, &ghost), ENOENT);
	assert_int_equal(store_room_delete(s, "ghost"), ENOENT);
	store_close(s);

	/* Everything acknowledged is there after reopening. */
	assert_int_equal(store_open(&s, f->path), 0);
	assert_int_equal(store_room_foreach(s, collect, out), 0);
	assert_string_equal(out->str, "alpha/RM_a/m2/20/0/0/100;beta/RM_b//5/300/1/200;");
	assert_int_equal(store_room_delete(s, "alpha"), 0);
	g_string_truncate(out, 0);
	assert_int_equal(store_room_foreach(s, collect, out), 0);
	assert_string_equal(out->str, "beta/RM_b//5/300/1/200;");
	store_close(s);
	g_string_free(out, TRUE);
}

static void test_wal_mode(void **state)
{
	struct fixture *f = *state;
	struct store *s;
	sqlite3 *db;
	sqlite3_stmt *st;

	assert_int_equal(store_open(&s, f->path), 0);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
	store_close(s);
}

static void test_newer_schema_refused(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	sqlite3 *db;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(&s, f->path), EPROTO);
	assert_null(s);
}

static void test_not_a_database(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;

	assert_true(g_file_set_contents(f->path, "this is not sqlite, just text....................."
						 "..................................................",
					-1, NULL));
	assert_int_equal(store_open(&s, f->path), EIO);
	assert_null(s);
}

static void test_unwritable_location(void **state)
{
	struct store *s = NULL;

	assert_int_equal(store_open(&s, "/nonexistent-dir/parley.db"), EIO);
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rooms_crud_and_persist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwritable_location, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
