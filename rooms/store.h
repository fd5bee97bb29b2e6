/* store.h - the embedded SQLite store: one database file in the data folder,
 * WAL mode, synchronous=FULL so that a write the caller was told succeeded
 * survives a crash. The schema is versioned (PRAGMA user_version) and
 * migrated forward at open; a database from a newer parley is refused.
 * Every call is serialised by the store's own lock. */
#ifndef PARLEY_ROOMS_STORE_H
#define PARLEY_ROOMS_STORE_H

#include <stdbool.h>
#include <stdint.h>

struct store; /* opaque */

struct store_room {
	const char *name;
	const char *sid;
	const char *metadata;
	unsigned max_participants;
	unsigned empty_timeout;
	bool auto_created;
	int64_t created_at; /* unix seconds */
};

/* Called once per stored room; the strings live until the call returns. */
typedef void(store_room_h)(const struct store_room *r, void *arg);

/* Opens (creating if needed) the database at `path` and migrates it.
 * Returns 0, EIO (cannot open or not a database), EPROTO (schema newer than
 * this build), EDQUOT (disk full). @thread any */
int store_open(struct store **out, const char *path);

/* Closes the database (checkpointing the WAL). NULL is fine. @thread any */
void store_close(struct store *s);

/* The schema version of the open database. @thread any */
int store_schema_version(struct store *s);

/* The schema version this build migrates to. @thread any */
int store_schema_latest(void);

/* Inserts a room. Returns 0, EEXIST, EDQUOT or EIO. @thread any */
int store_room_insert(struct store *s, const struct store_room *r);

/* Updates a room's metadata, max_participants and empty_timeout by name.
 * Returns 0, ENOENT, EDQUOT or EIO. @thread any */
int store_room_update(struct store *s, const struct store_room *r);

/* Deletes a room by name. Returns 0, ENOENT, EDQUOT or EIO. @thread any */
int store_room_delete(struct store *s, const char *name);

/* Calls `h` for every stored room, oldest first. Returns 0 or EIO. @thread any */
int store_room_foreach(struct store *s, store_room_h *h, void *arg);

#endif
