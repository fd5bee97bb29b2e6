/* store.c - see store.h. */
#define LOG_MOD "store"
#include "rooms/store.h"
#include "media/base/log.h"

#include <errno.h>
#include <glib.h>
#include <sqlite3.h>

struct store {
	sqlite3 *db; /* owned */
	GMutex lock;
};

/* Each entry moves the schema from version i to i+1. Append only: never edit
 * a migration that has shipped. */
static const char *const migrations[] = {
	/* 0 -> 1: rooms */
	"CREATE TABLE rooms ("
	"  name TEXT PRIMARY KEY,"
	"  sid TEXT NOT NULL UNIQUE,"
	"  metadata TEXT NOT NULL DEFAULT '',"
	"  max_participants INTEGER NOT NULL,"
	"  empty_timeout INTEGER NOT NULL,"
	"  auto_created INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL"
	");",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

static int err_from_sqlite(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
		return 0;
	case SQLITE_FULL:
		return EDQUOT;
	case SQLITE_CONSTRAINT:
		return EEXIST;
	default:
		return EIO;
	}
}

static int exec(struct store *s, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		log_err("%s: %s", sql, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
	}
	return err_from_sqlite(rc);
}

static int user_version(struct store *s)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int migrate(struct store *s)
{
	int v = user_version(s);

	if (v < 0)
		return EIO;
	if (v > N_MIGRATIONS) {
		log_err("database schema version %d is newer than this parley (%d)", v,
			N_MIGRATIONS);
		return EPROTO;
	}
	for (; v < N_MIGRATIONS; v++) {
		char setv[64];
		int err = exec(s, "BEGIN IMMEDIATE");

		g_snprintf(setv, sizeof(setv), "PRAGMA user_version = %d", v + 1);
		if (!err)
			err = exec(s, migrations[v]);
		if (!err)
			err = exec(s, setv);
		if (err) {
			exec(s, "ROLLBACK");
			return err;
		}
		err = exec(s, "COMMIT");
		if (err)
			return err;
		log_info("database migrated to schema version %d", v + 1);
	}
	return 0;
}

int store_open(struct store **out, const char *path)
{
	struct store *s = g_new0(struct store, 1);
	int rc, err;

	g_mutex_init(&s->lock);
	rc = sqlite3_open_v2(path, &s->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		log_err("cannot open database %s: %s", path, sqlite3_errstr(rc));
		err = err_from_sqlite(rc);
		goto out;
	}
	sqlite3_busy_timeout(s->db, 5000);
	err = exec(s, "PRAGMA journal_mode = WAL");
	if (!err)
		err = exec(s, "PRAGMA synchronous = FULL");
	if (!err)
		err = exec(s, "PRAGMA foreign_keys = ON");
	if (!err)
		err = migrate(s);
out:
	if (err) {
		if (err == EEXIST)
			err = EIO;
		store_close(s);
		return err;
	}
	*out = s;
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->db)
		sqlite3_close(s->db);
	g_mutex_clear(&s->lock);
	g_free(s);
}

int store_schema_version(struct store *s)
{
	int v;

	g_mutex_lock(&s->lock);
	v = user_version(s);
	g_mutex_unlock(&s->lock);
	return v;
}

int store_schema_latest(void)
{
	return N_MIGRATIONS;
}

/* Runs one prepared write statement and returns 0 or an errno. `need_change`
 * turns "no row matched" into ENOENT. */
static int step_write(struct store *s, sqlite3_stmt *st, bool need_change)
{
	int rc = sqlite3_step(st);
	int err = err_from_sqlite(rc);

	if (err && err != EEXIST)
		log_err("write failed: %s", sqlite3_errmsg(s->db));
	if (!err && need_change && sqlite3_changes(s->db) == 0)
		err = ENOENT;
	sqlite3_finalize(st);
	return err;
}

int store_room_insert(struct store *s, const struct store_room *r)
{
	sqlite3_stmt *st;
	int err;

	g_mutex_lock(&s->lock);
	if (sqlite3_prepare_v2(s->db,
			       "INSERT INTO rooms (name, sid, metadata, max_participants,"
			       " empty_timeout, auto_created, created_at) VALUES (?,?,?,?,?,?,?)",
			       -1, &st, NULL) != SQLITE_OK) {
		err = EIO;
		goto out;
	}
	sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->sid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->metadata ? r->metadata : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, r->max_participants);
	sqlite3_bind_int64(st, 5, r->empty_timeout);
	sqlite3_bind_int(st, 6, r->auto_created);
	sqlite3_bind_int64(st, 7, r->created_at);
	err = step_write(s, st, false);
out:
	g_mutex_unlock(&s->lock);
	return err;
}

int store_room_update(struct store *s, const struct store_room *r)
{
	sqlite3_stmt *st;
	int err;

	g_mutex_lock(&s->lock);
	if (sqlite3_prepare_v2(s->db,
			       "UPDATE rooms SET metadata = ?, max_participants = ?,"
			       " empty_timeout = ? WHERE name = ?",
			       -1, &st, NULL) != SQLITE_OK) {
		err = EIO;
		goto out;
	}
	sqlite3_bind_text(st, 1, r->metadata ? r->metadata : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, r->max_participants);
	sqlite3_bind_int64(st, 3, r->empty_timeout);
	sqlite3_bind_text(st, 4, r->name, -1, SQLITE_STATIC);
	err = step_write(s, st, true);
out:
	g_mutex_unlock(&s->lock);
	return err;
}

int store_room_delete(struct store *s, const char *name)
{
	sqlite3_stmt *st;
	int err;

	g_mutex_lock(&s->lock);
	if (sqlite3_prepare_v2(s->db, "DELETE FROM rooms WHERE name = ?", -1, &st, NULL) !=
	    SQLITE_OK) {
		err = EIO;
		goto out;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	err = step_write(s, st, true);
out:
	g_mutex_unlock(&s->lock);
	return err;
}

int store_room_foreach(struct store *s, store_room_h *h, void *arg)
{
	sqlite3_stmt *st;
	int rc;

	g_mutex_lock(&s->lock);
	if (sqlite3_prepare_v2(s->db,
			       "SELECT name, sid, metadata, max_participants, empty_timeout,"
			       " auto_created, created_at FROM rooms ORDER BY created_at, rowid",
			       -1, &st, NULL) != SQLITE_OK) {
		g_mutex_unlock(&s->lock);
		return EIO;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_room r = {
			.name = (const char *)sqlite3_column_text(st, 0),
			.sid = (const char *)sqlite3_column_text(st, 1),
			.metadata = (const char *)sqlite3_column_text(st, 2),
			.max_participants = (unsigned)sqlite3_column_int64(st, 3),
			.empty_timeout = (unsigned)sqlite3_column_int64(st, 4),
			.auto_created = sqlite3_column_int(st, 5) != 0,
			.created_at = sqlite3_column_int64(st, 6),
		};
		h(&r, arg);
	}
	sqlite3_finalize(st);
	g_mutex_unlock(&s->lock);
	return rc == SQLITE_DONE ? 0 : EIO;
}
