/* rooms.h - the rooms of this node and their participants.
 *
 * The registry (name -> room) is shared by all threads under one lock. Each
 * room is placed on one media worker when it is created or loaded, and all
 * its participant state lives there: the calls below that touch participants
 * post a job to the room's worker and report through a callback on that
 * worker thread, so HTTP threads never touch room state (they suspend the
 * connection until the callback comes).
 *
 * Rooms persist in the store; participants do not: after a restart they join
 * again. Results are JSON (jansson) in the shapes docs/API.md documents. */
#ifndef PARLEY_ROOMS_ROOMS_H
#define PARLEY_ROOMS_ROOMS_H

#include <jansson.h>
#include <stdbool.h>

struct rooms;
struct workers;
struct store;
struct evq;
struct sfu_cfg;

struct rooms_opts {
	unsigned max_rooms;
	unsigned max_participants;    /* default and upper bound per room */
	unsigned empty_timeout;       /* seconds, for auto-created rooms; 0 = never */
	unsigned participant_timeout; /* seconds without an events reader */
	unsigned event_buffer;        /* events kept per participant */
	bool auto_create;
	const struct sfu_cfg *sfu;    /* media settings; NULL: rooms without media */
};

/* What a call reports. Ownership of `json` and `evq` passes to the callback. */
struct rooms_result {
	int err;        /* 0 or an errno, see each call */
	char msg[160];  /* a human reason when err != 0 (may be empty) */
	json_t *json;   /* result document, or NULL */
	struct evq *evq;/* rooms_events_open: a reference to the queue */
};

/* Called exactly once per asynchronous call, on the room's worker thread (or
 * on the calling thread when the call fails before reaching a worker). */
typedef void(rooms_done_h)(struct rooms_result *res, void *arg);

/* Who is asking (from the access token), for checks that need room state. */
struct rooms_caller {
	const char *identity; /* may be NULL for server tokens */
	bool admin;           /* roomAdmin for this room, or roomCreate */
};

struct rooms_room_spec {
	const char *name;
	const char *metadata;      /* NULL = "" */
	unsigned max_participants; /* 0 = the configured default */
	int empty_timeout;         /* seconds; -1 = default (0 for created rooms) */
};

struct rooms_join_spec {
	const char *identity;
	const char *name;     /* display name, may be NULL */
	const char *metadata; /* may be NULL */
	bool can_publish;
	bool can_subscribe;
	bool can_publish_data;
	bool media_only;      /* WHIP/WHEP: present while its media is, no event stream */
	const char *view_of;  /* WHEP: watch only this participant id (NULL: everyone) */
};

/* Creates the registry and loads the stored rooms, placing each on a worker.
 * Returns 0, EIO or ENOMEM. @thread main */
int rooms_alloc(struct rooms **out, const struct rooms_opts *o, struct workers *ws,
		struct store *st);

/* Ends every participant (event "disconnected", reason "server_shutdown")
 * and stops the room timers; rooms stay in the store. New calls fail with
 * ESHUTDOWN. @thread main (not a worker) */
void rooms_shutdown(struct rooms *rs);

/* Frees the registry; call after rooms_shutdown and before the workers stop.
 * NULL is fine. @thread main */
void rooms_free(struct rooms *rs);

/* True when `name` is a valid room name: 1..128 bytes of [A-Za-z0-9._~-]. */
bool rooms_name_valid(const char *name);

/* True when `id` looks like a participant id. */
bool rooms_pid_valid(const char *id);

/* True when `identity` is 1..128 bytes of valid UTF-8 without control chars. */
bool rooms_identity_valid(const char *identity);

/* Creates a room. res->json is the room. Errors: EINVAL (bad name or limit),
 * EEXIST, EMFILE (max_rooms reached), EDQUOT/EIO (store), ESHUTDOWN.
 * Synchronous: done runs before this returns. @thread any but a worker */
void rooms_create(struct rooms *rs, const struct rooms_room_spec *spec, rooms_done_h *done,
		  void *arg);

/* All rooms, oldest first: {"rooms": [room...]}, without participants. @thread any */
json_t *rooms_list(struct rooms *rs);

/* One room with its participants. Errors: ENOENT, ESHUTDOWN. @thread any */
void rooms_get(struct rooms *rs, const char *name, rooms_done_h *done, void *arg);

/* Updates metadata (if not NULL) and/or max_participants (if > 0), tells the
 * participants ("room_updated"). Errors: ENOENT, EINVAL, EDQUOT/EIO. @thread any */
void rooms_update(struct rooms *rs, const char *name, const char *metadata,
		  unsigned max_participants, rooms_done_h *done, void *arg);

/* Ends a room: every participant gets "room_ended", the room is removed from
 * the store. Errors: ENOENT, EDQUOT/EIO. @thread any */
void rooms_delete(struct rooms *rs, const char *name, rooms_done_h *done, void *arg);

/* Joins a room, creating it first when it does not exist and auto_create is
 * on. A participant with the same identity is replaced (it gets
 * "disconnected", reason "duplicate_identity"). res->json is
 * {"participant": {...}, "room": {... with participants}}. Errors: ENOENT,
 * ENOSPC (room full), EMFILE, EINVAL, ESHUTDOWN. @thread any */
void rooms_join(struct rooms *rs, const char *room, const struct rooms_join_spec *spec,
		rooms_done_h *done, void *arg);

/* Removes a participant: the caller itself, or anyone when caller->admin.
 * Errors: ENOENT (room), ESRCH (participant), EACCES. @thread any */
void rooms_leave(struct rooms *rs, const char *room, const char *pid,
		 const struct rooms_caller *caller, rooms_done_h *done, void *arg);

/* The participants of a room: {"participants": [...]}. Errors: ENOENT. @thread any */
void rooms_participants(struct rooms *rs, const char *room, rooms_done_h *done, void *arg);

/* Gives res->evq, a reference to the participant's event queue, for the
 * participant itself (caller->identity must match). Errors: ENOENT, ESRCH,
 * EACCES. @thread any */
void rooms_events_open(struct rooms *rs, const char *room, const char *pid,
		       const struct rooms_caller *caller, rooms_done_h *done, void *arg);

/* The participant's publish offer: res->json is {"sdp": answer, "tracks":
 * the participant's track objects after it (with their TR_ ids)}. Errors:
 * ENOENT, ESRCH, EACCES (not the caller's participant, or no canPublish),
 * EBADMSG (bad or unacceptable SDP), E2BIG (too many tracks), EBUSY
 * (another publish negotiation in progress), ENOTSUP (no media). @thread any */
void rooms_publish(struct rooms *rs, const char *room, const char *pid,
		   const struct rooms_caller *caller, const char *sdp, size_t len,
		   rooms_done_h *done, void *arg);

/* The participant's answer to subscribe offer `version`. Errors: as above,
 * and ESTALE (not the offer waiting for an answer). @thread any */
void rooms_subscribe(struct rooms *rs, const char *room, const char *pid,
		     const struct rooms_caller *caller, unsigned version, const char *sdp,
		     size_t len, rooms_done_h *done, void *arg);

/* The subscribe offer waiting for the participant's answer: res->json is
 * {"sdp", "version"}, or NULL when none is waiting (for a client that lost
 * the event or whose answer did not arrive). Errors: ENOENT, ESRCH, EACCES.
 * @thread any */
void rooms_pending_offer(struct rooms *rs, const char *room, const char *pid,
			 const struct rooms_caller *caller, rooms_done_h *done, void *arg);

/* Restarts ICE on the participant's subscribe connection (its client saw
 * the connection fail): the new credentials come in a subscribe_offer;
 * res->json is {"version"} of that offer. Errors: ENOENT (no room, or no
 * subscribe connection yet), ESRCH, EACCES. @thread any */
void rooms_subscribe_restart(struct rooms *rs, const char *room, const char *pid,
			     const struct rooms_caller *caller, rooms_done_h *done, void *arg);

/* A trickle ICE fragment (RFC 8840) for the publish or subscribe
 * connection. New ICE credentials in it restart ICE: res->json is then
 * {"sdpfrag": our new credentials and candidates}. Errors: as above, ENOENT
 * also when that connection does not exist yet. @thread any */
void rooms_trickle(struct rooms *rs, const char *room, const char *pid,
		   const struct rooms_caller *caller, bool sub, const char *frag, size_t len,
		   rooms_done_h *done, void *arg);

/* Mutes or unmutes a published track: the participant itself, or anyone
 * with caller->admin. res->json is the track. Errors: ENOENT, ESRCH,
 * EACCES, ENODATA (no such track). @thread any */
void rooms_track_mute(struct rooms *rs, const char *room, const char *pid, const char *track_id,
		      bool muted, const struct rooms_caller *caller, rooms_done_h *done, void *arg);

/* WHIP (RFC 9725) and WHEP: joins the room as a media-only participant and
 * answers its offer: WHIP publishes the offer's tracks, WHEP (`view`) plays
 * the room's tracks (spec->view_of: one participant's). res->json is
 * {"sdp": answer, "participant_id": pid}; the participant is removed again
 * when the offer is refused. Errors: as rooms_join and rooms_publish.
 * @thread any */
void rooms_media_join(struct rooms *rs, const char *room, const struct rooms_join_spec *spec,
		      bool view, const char *sdp, size_t len, rooms_done_h *done, void *arg);

/* Counters for /metrics. @thread any */
struct rooms_stats {
	unsigned rooms;
	unsigned participants;
	unsigned long long joins;
	unsigned long long leaves;
	unsigned long long timeouts;
	unsigned long long events;
};
void rooms_stats_get(struct rooms *rs, struct rooms_stats *out);

#endif
