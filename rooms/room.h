/* room.h - one room and its participants (internal to rooms/). A room lives
 * on one worker: everything below marked @thread worker runs there. Its
 * descriptive fields (metadata, limits, participant count) are also read by
 * other threads for listings, under the room's info lock. */
#ifndef PARLEY_ROOMS_ROOM_H
#define PARLEY_ROOMS_ROOM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rooms/rooms.h"

struct room;
struct worker;
struct store_room;
struct sfu_cfg;

/* What happens when a room's own timer decides it should go (empty too long). */
typedef void(room_expire_h)(struct room *r, void *arg);

/* Counters shared by all rooms of a registry, updated with atomics. */
struct room_counters {
	uint64_t joins;
	uint64_t leaves;
	uint64_t timeouts;
	uint64_t events;
	int participants;
};

struct room_params {
	const struct store_room *stored; /* name, sid, metadata, limits, created_at */
	unsigned participant_timeout;
	unsigned event_buffer;
	struct room_counters *counters; /* borrowed, outlives the room */
	const struct sfu_cfg *sfu;      /* borrowed; NULL: no media */
	room_expire_h *expire_h;
	void *expire_arg;
};

/* Makes a room on `w` and starts its timer there. Returns a room with one
 * reference. @thread any */
struct room *room_alloc(const struct room_params *p, struct worker *w);

struct room *room_ref(struct room *r);
void room_unref(struct room *r);

struct worker *room_worker(const struct room *r);
const char *room_name(const struct room *r);

/* The room's public JSON; with its participants only on its worker. @thread any
 * (with_participants: worker) */
json_t *room_json(struct room *r, bool with_participants);

/* Participant count. @thread any */
unsigned room_count(struct room *r);

/* True once the room has ended. @thread worker */
bool room_ended(const struct room *r);

/* Ends the room: participants get `event` ({"reason": reason}) and their
 * queues close; the timer stops. Idempotent. @thread worker */
void room_end(struct room *r, const char *event, const char *reason);

/* Sets metadata / limit (already validated and stored) and tells everyone.
 * @thread worker */
void room_update(struct room *r, const char *metadata, unsigned max_participants);

/* Adds a participant; fills res (json, err). @thread worker */
void room_join(struct room *r, const struct rooms_join_spec *spec, struct rooms_result *res);

/* Removes a participant; fills res. @thread worker */
void room_leave(struct room *r, const char *pid, const struct rooms_caller *caller,
		struct rooms_result *res);

/* {"participants": [...]}. @thread worker */
json_t *room_participants_json(struct room *r);

/* A reference to a participant's queue; fills res. @thread worker */
void room_events_open(struct room *r, const char *pid, const struct rooms_caller *caller,
		      struct rooms_result *res);

/* Media calls of a participant on itself (caller->identity must match).
 * room_publish answers through `done` (possibly later, on this worker) with
 * the SDP answer; errors as pmedia_publish plus ENOENT/ESRCH/EACCES. */
void room_publish(struct room *r, const char *pid, const struct rooms_caller *caller,
		  const char *sdp, size_t len, void (*done)(int, const char *, char *, void *),
		  void *arg);
/* The participant's published tracks (track objects; an empty array when
 * it has none or is gone). @thread the room's worker */
json_t *room_tracks_json(struct room *r, const char *pid);
void room_subscribe(struct room *r, const char *pid, const struct rooms_caller *caller,
		    unsigned version, const char *sdp, size_t len, struct rooms_result *res);
void room_pending_offer(struct room *r, const char *pid, const struct rooms_caller *caller,
			struct rooms_result *res);
void room_subscribe_restart(struct room *r, const char *pid, const struct rooms_caller *caller,
			    struct rooms_result *res);
void room_trickle(struct room *r, const char *pid, const struct rooms_caller *caller, bool sub,
		  const char *frag, size_t len, struct rooms_result *res);

/* Mutes/unmutes a track of participant `pid` (itself, or any with admin);
 * everyone else gets "track_muted". Fills res (json: the track). */
void room_track_mute(struct room *r, const char *pid, const char *track_id, bool muted,
		     const struct rooms_caller *caller, struct rooms_result *res);

/* WHIP/WHEP: joins `spec` and answers its offer; done(err, msg, sdp, pid, arg)
 * (sdp owned by the callee; pid valid during the call). */
typedef void(room_media_join_h)(int err, const char *msg, char *sdp, const char *pid, void *arg);
void room_media_join(struct room *r, const struct rooms_join_spec *spec, bool view,
		     const char *sdp, size_t len, room_media_join_h *done, void *arg);

/* Stored description of the room (strings owned by the room, valid while
 * its info lock is not released: copy under room_info_lock). */
void room_info_lock(struct room *r);
void room_info_unlock(struct room *r);
const char *room_metadata_locked(const struct room *r);
unsigned room_max_participants_locked(const struct room *r);
unsigned room_empty_timeout_locked(const struct room *r);

#endif
