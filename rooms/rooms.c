/* rooms.c - see rooms.h. The registry and the asynchronous calls: each call
 * finds its room under the registry lock, takes a reference, and posts a job
 * to the room's worker; the job calls the room and then the caller's done. */
#define LOG_MOD "rooms"
#include "rooms/rooms.h"
#include "rooms/room.h"
#include "rooms/store.h"
#include "media/base/log.h"
#include "media/base/util.h"
#include "media/base/worker.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

struct rooms {
	struct rooms_opts opts;
	struct workers *ws; /* borrowed */
	struct store *st;   /* borrowed */
	GMutex lock;        /* guards the fields below */
	GHashTable *by_name;/* name -> struct room (ref) */
	GPtrArray *order;   /* rooms in creation order (borrowed from by_name) */
	bool shutting_down;
	struct room_counters ctr;
};

enum job_kind {
	JOB_GET, JOB_UPDATE, JOB_DELETE, JOB_JOIN, JOB_LEAVE, JOB_PARTICIPANTS, JOB_EVENTS,
	JOB_PUBLISH, JOB_SUBSCRIBE, JOB_TRICKLE, JOB_MEDIA_JOIN, JOB_MUTE, JOB_OFFER, JOB_SUB_RESTART,
};

struct job {
	enum job_kind kind;
	struct rooms *rs;   /* borrowed */
	struct room *room;  /* ref */
	rooms_done_h *done;
	void *arg;
	char *pid;          /* owned */
	char *metadata;     /* owned */
	unsigned max_participants;
	struct rooms_join_spec join; /* strings owned */
	char *caller_identity;       /* owned */
	bool caller_admin;
	char *body;                  /* owned: SDP or trickle fragment */
	size_t body_len;
	unsigned version;
	bool sub;   /* trickle: the subscribe connection; media join: view (WHEP) */
	bool muted; /* mute: the new state */
};

bool rooms_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!g_ascii_isalnum(c) && c != '.' && c != '_' && c != '~' && c != '-')
			return false;
	}
	return true;
}

bool rooms_pid_valid(const char *id)
{
	if (!id || strncmp(id, "PA_", 3) != 0 || strlen(id) != 15)
		return false;
	for (const char *c = id + 3; *c; c++) {
		if (!g_ascii_isalnum(*c))
			return false;
	}
	return true;
}

bool rooms_identity_valid(const char *identity)
{
	size_t n = identity ? strlen(identity) : 0;

	if (n == 0 || n > 128 || !g_utf8_validate(identity, (gssize)n, NULL))
		return false;
	for (const char *c = identity; *c; c = g_utf8_next_char(c)) {
		if (g_unichar_iscntrl(g_utf8_get_char(c)))
			return false;
	}
	return true;
}

static void result_done(rooms_done_h *done, void *arg, int err, const char *msg)
{
	struct rooms_result res = { .err = err };

	if (msg)
		g_strlcpy(res.msg, msg, sizeof(res.msg));
	done(&res, arg);
}

/* Called on the room's worker when it has been empty for its empty_timeout. */
static void room_expired(struct room *r, void *arg)
{
	struct rooms *rs = arg;
	struct room *held = NULL;
	int err;

	g_mutex_lock(&rs->lock);
	if (g_hash_table_lookup(rs->by_name, room_name(r)) == r && room_count(r) == 0) {
		g_ptr_array_remove(rs->order, r);
		g_hash_table_steal(rs->by_name, room_name(r));
		held = r;
	}
	g_mutex_unlock(&rs->lock);
	if (!held)
		return;
	err = store_room_delete(rs->st, room_name(r));
	if (err && err != ENOENT)
		log_err("[room=%s] could not delete from the store: %s", room_name(r),
			g_strerror(err));
	room_end(r, "room_ended", "empty_timeout");
	room_unref(held);
}

/* Adds a room made from `sr` to the registry; the caller holds rs->lock. */
static struct room *registry_add_locked(struct rooms *rs, const struct store_room *sr)
{
	struct room_params p = {
		.stored = sr,
		.participant_timeout = rs->opts.participant_timeout,
		.event_buffer = rs->opts.event_buffer,
		.counters = &rs->ctr,
		.sfu = rs->opts.sfu,
		.expire_h = room_expired,
		.expire_arg = rs,
	};
	struct room *r = room_alloc(&p, workers_pick(rs->ws));

	g_hash_table_insert(rs->by_name, (gpointer)room_name(r), r);
	g_ptr_array_add(rs->order, r);
	return r;
}

static void load_one(const struct store_room *sr, void *arg)
{
	struct rooms *rs = arg;

	g_mutex_lock(&rs->lock);
	registry_add_locked(rs, sr);
	g_mutex_unlock(&rs->lock);
}

int rooms_alloc(struct rooms **out, const struct rooms_opts *o, struct workers *ws,
		struct store *st)
{
	struct rooms *rs = g_new0(struct rooms, 1);
	int err;

	rs->opts = *o;
	rs->ws = ws;
	rs->st = st;
	g_mutex_init(&rs->lock);
	rs->by_name = g_hash_table_new(g_str_hash, g_str_equal);
	rs->order = g_ptr_array_new();
	err = store_room_foreach(st, load_one, rs);
	if (err) {
		rooms_shutdown(rs);
		rooms_free(rs);
		return err;
	}
	log_info("%u room(s) loaded from the store", rs->order->len);
	*out = rs;
	return 0;
}

static void end_for_shutdown(void *arg)
{
	room_end(arg, "disconnected", "server_shutdown");
}

void rooms_shutdown(struct rooms *rs)
{
	GPtrArray *all;

	g_mutex_lock(&rs->lock);
	rs->shutting_down = true;
	all = g_ptr_array_new_with_free_func((GDestroyNotify)room_unref);
	for (guint i = 0; i < rs->order->len; i++)
		g_ptr_array_add(all, room_ref(g_ptr_array_index(rs->order, i)));
	g_mutex_unlock(&rs->lock);
	for (guint i = 0; i < all->len; i++) {
		struct room *r = g_ptr_array_index(all, i);
		worker_call(room_worker(r), end_for_shutdown, r);
	}
	g_ptr_array_free(all, TRUE);
}

void rooms_free(struct rooms *rs)
{
	if (!rs)
		return;
	for (guint i = 0; i < rs->order->len; i++)
		room_unref(g_ptr_array_index(rs->order, i));
	g_ptr_array_free(rs->order, TRUE);
	g_hash_table_destroy(rs->by_name);
	g_mutex_clear(&rs->lock);
	g_free(rs);
}

/* Creates a room in the store and the registry; the caller holds rs->lock.
 * On success *out is the registry's room (borrowed). */
static int create_locked(struct rooms *rs, const struct rooms_room_spec *spec, bool auto_created,
			 struct room **out, char *msg, size_t msgsize)
{
	char sid[20];
	struct store_room sr = {
		.name = spec->name,
		.sid = sid,
		.metadata = spec->metadata ? spec->metadata : "",
		.max_participants = spec->max_participants ? spec->max_participants :
							     rs->opts.max_participants,
		.auto_created = auto_created,
		.created_at = util_unix_time(),
	};
	int err;

	sr.empty_timeout = spec->empty_timeout >= 0 ? (unsigned)spec->empty_timeout :
			   auto_created ? rs->opts.empty_timeout : 0;
	if (rs->shutting_down)
		return ESHUTDOWN;
	if (g_hash_table_contains(rs->by_name, spec->name)) {
		snprintf(msg, msgsize, "room \"%s\" exists", spec->name);
		return EEXIST;
	}
	if (rs->order->len >= rs->opts.max_rooms) {
		snprintf(msg, msgsize, "this server holds at most %u rooms", rs->opts.max_rooms);
		return EMFILE;
	}
	if (util_random_id(sid, sizeof(sid), "RM_", 12))
		return EIO;
	err = store_room_insert(rs->st, &sr);
	if (err) {
		snprintf(msg, msgsize, "could not store the room: %s", g_strerror(err));
		return err == EEXIST ? EIO : err;
	}
	*out = registry_add_locked(rs, &sr);
	log_info("[room=%s sid=%s] created%s", spec->name, sid, auto_created ? " (auto)" : "");
	return 0;
}

void rooms_create(struct rooms *rs, const struct rooms_room_spec *spec, rooms_done_h *done,
		  void *arg)
{
	struct rooms_result res = { 0 };
	struct room *r = NULL;

	if (!rooms_name_valid(spec->name)) {
		snprintf(res.msg, sizeof(res.msg),
			 "a room name is 1 to 128 characters of A-Z a-z 0-9 . _ ~ -");
		res.err = EINVAL;
	} else if (spec->max_participants > rs->opts.max_participants) {
		snprintf(res.msg, sizeof(res.msg), "max_participants is at most %u on this server",
			 rs->opts.max_participants);
		res.err = EINVAL;
	} else {
		g_mutex_lock(&rs->lock);
		res.err = create_locked(rs, spec, false, &r, res.msg, sizeof(res.msg));
		if (!res.err)
			res.json = room_json(r, false);
		g_mutex_unlock(&rs->lock);
	}
	done(&res, arg);
}

json_t *rooms_list(struct rooms *rs)
{
	json_t *a = json_array();

	g_mutex_lock(&rs->lock);
	for (guint i = 0; i < rs->order->len; i++)
		json_array_append_new(a, room_json(g_ptr_array_index(rs->order, i), false));
	g_mutex_unlock(&rs->lock);
	return json_pack("{s:o}", "rooms", a);
}

static void job_free(struct job *j)
{
	room_unref(j->room);
	g_free(j->pid);
	g_free(j->metadata);
	g_free((char *)j->join.identity);
	g_free((char *)j->join.name);
	g_free((char *)j->join.metadata);
	g_free((char *)j->join.view_of);
	g_free(j->caller_identity);
	g_free(j->body);
	g_free(j);
}

/* The end of a WHIP/WHEP join: the answer and the new participant's id. */
static void media_join_done(int err, const char *msg, char *sdp, const char *pid, void *arg)
{
	struct job *j = arg;
	struct rooms_result res = { .err = err };

	if (msg)
		g_strlcpy(res.msg, msg, sizeof(res.msg));
	if (!err)
		res.json = json_pack("{s:s, s:s}", "sdp", sdp, "participant_id", pid);
	g_free(sdp);
	j->done(&res, j->arg);
	job_free(j);
}

/* The end of an asynchronous publish: the answer or an error. */
static void publish_done(int err, const char *msg, char *sdp, void *arg)
{
	struct job *j = arg;
	struct rooms_result res = { .err = err };

	if (msg)
		g_strlcpy(res.msg, msg, sizeof(res.msg));
	/* the answer, and the tracks the publisher now has (their TR_ ids) */
	if (!err)
		res.json = json_pack("{s:s, s:o}", "sdp", sdp, "tracks",
				     room_tracks_json(j->room, j->pid));
	g_free(sdp);
	j->done(&res, j->arg);
	job_free(j);
}

static void job_update(struct job *j, struct rooms_result *res)
{
	struct room *r = j->room;
	struct store_room sr = { .name = room_name(r) };

	if (room_ended(r)) {
		res->err = ENOENT;
		return;
	}
	if (j->max_participants > j->rs->opts.max_participants) {
		res->err = EINVAL;
		snprintf(res->msg, sizeof(res->msg), "max_participants is at most %u on this server",
			 j->rs->opts.max_participants);
		return;
	}
	room_info_lock(r);
	sr.metadata = j->metadata ? j->metadata : room_metadata_locked(r);
	sr.max_participants = j->max_participants ? j->max_participants :
						    room_max_participants_locked(r);
	sr.empty_timeout = room_empty_timeout_locked(r);
	res->err = store_room_update(j->rs->st, &sr);
	room_info_unlock(r);
	if (res->err)
		return;
	room_update(r, j->metadata, j->max_participants);
	res->json = room_json(r, true);
}

static void job_delete(struct job *j, struct rooms_result *res)
{
	struct rooms *rs = j->rs;
	struct room *r = j->room;
	bool mine;

	if (room_ended(r)) {
		res->err = ENOENT;
		return;
	}
	g_mutex_lock(&rs->lock);
	mine = g_hash_table_lookup(rs->by_name, room_name(r)) == r;
	if (mine) {
		res->err = store_room_delete(rs->st, room_name(r));
		if (!res->err || res->err == ENOENT) {
			res->err = 0;
			g_ptr_array_remove(rs->order, r);
			g_hash_table_steal(rs->by_name, room_name(r));
		}
	}
	g_mutex_unlock(&rs->lock);
	if (!mine) {
		res->err = ENOENT;
		return;
	}
	if (res->err)
		return;
	room_end(r, "room_ended", "deleted");
	room_unref(r); /* the registry's reference */
}

static void job_run(void *arg)
{
	struct job *j = arg;
	struct rooms_result res = { 0 };
	struct rooms_caller caller = { .identity = j->caller_identity, .admin = j->caller_admin };

	switch (j->kind) {
	case JOB_GET:
		if (room_ended(j->room))
			res.err = ENOENT;
		else
			res.json = room_json(j->room, true);
		break;
	case JOB_UPDATE:
		job_update(j, &res);
		break;
	case JOB_DELETE:
		job_delete(j, &res);
		break;
	case JOB_JOIN:
		room_join(j->room, &j->join, &res);
		break;
	case JOB_LEAVE:
		room_leave(j->room, j->pid, &caller, &res);
		break;
	case JOB_PARTICIPANTS:
		if (room_ended(j->room))
			res.err = ENOENT;
		else
			res.json = room_participants_json(j->room);
		break;
	case JOB_EVENTS:
		room_events_open(j->room, j->pid, &caller, &res);
		break;
	case JOB_PUBLISH:
		/* answered by publish_done, now or once candidates are gathered */
		room_publish(j->room, j->pid, &caller, j->body, j->body_len, publish_done, j);
		return;
	case JOB_SUBSCRIBE:
		room_subscribe(j->room, j->pid, &caller, j->version, j->body, j->body_len, &res);
		break;
	case JOB_TRICKLE:
		room_trickle(j->room, j->pid, &caller, j->sub, j->body, j->body_len, &res);
		break;
	case JOB_OFFER:
		room_pending_offer(j->room, j->pid, &caller, &res);
		break;
	case JOB_SUB_RESTART:
		room_subscribe_restart(j->room, j->pid, &caller, &res);
		break;
	case JOB_MUTE:
		room_track_mute(j->room, j->pid, j->body, j->muted, &caller, &res);
		break;
	case JOB_MEDIA_JOIN:
		room_media_join(j->room, &j->join, j->sub, j->body, j->body_len, media_join_done, j);
		return;
	}
	if (res.err == ENOENT && !res.msg[0])
		snprintf(res.msg, sizeof(res.msg), "room \"%s\" does not exist", room_name(j->room));
	j->done(&res, j->arg);
	job_free(j);
}

/* Finds the room (or, for a join, auto-creates it) and posts the job. */
static void job_dispatch(struct rooms *rs, const char *name, struct job *j)
{
	char msg[160] = "";
	int err = 0;

	g_mutex_lock(&rs->lock);
	if (rs->shutting_down)
		err = ESHUTDOWN;
	else if ((j->room = g_hash_table_lookup(rs->by_name, name)))
		room_ref(j->room);
	else if ((j->kind == JOB_JOIN || j->kind == JOB_MEDIA_JOIN) && rs->opts.auto_create) {
		struct rooms_room_spec spec = { .name = name, .empty_timeout = -1 };

		err = create_locked(rs, &spec, true, &j->room, msg, sizeof(msg));
		if (!err)
			room_ref(j->room);
	} else {
		err = ENOENT;
		snprintf(msg, sizeof(msg), "room \"%s\" does not exist", name);
	}
	g_mutex_unlock(&rs->lock);
	if (!err)
		err = worker_post(room_worker(j->room), job_run, j);
	if (err) {
		result_done(j->done, j->arg, err, msg);
		job_free(j);
	}
}

static struct job *job_new(struct rooms *rs, enum job_kind kind, rooms_done_h *done, void *arg)
{
	struct job *j = g_new0(struct job, 1);

	j->kind = kind;
	j->rs = rs;
	j->done = done;
	j->arg = arg;
	return j;
}

void rooms_get(struct rooms *rs, const char *name, rooms_done_h *done, void *arg)
{
	job_dispatch(rs, name, job_new(rs, JOB_GET, done, arg));
}

void rooms_update(struct rooms *rs, const char *name, const char *metadata,
		  unsigned max_participants, rooms_done_h *done, void *arg)
{
	struct job *j = job_new(rs, JOB_UPDATE, done, arg);

	j->metadata = g_strdup(metadata);
	j->max_participants = max_participants;
	job_dispatch(rs, name, j);
}

void rooms_delete(struct rooms *rs, const char *name, rooms_done_h *done, void *arg)
{
	job_dispatch(rs, name, job_new(rs, JOB_DELETE, done, arg));
}

/* Checks a join's room name and identity; answers done on failure. */
static bool join_valid(const char *room, const struct rooms_join_spec *spec, rooms_done_h *done,
		       void *arg)
{
	if (rooms_name_valid(room) && rooms_identity_valid(spec->identity))
		return true;
	result_done(done, arg, EINVAL,
		    rooms_name_valid(room) ? "the identity is not valid" : "the room name is not valid");
	return false;
}

/* A join job with its own copies of the spec's strings. */
static struct job *join_job_new(struct rooms *rs, enum job_kind kind,
				const struct rooms_join_spec *spec, rooms_done_h *done, void *arg)
{
	struct job *j = job_new(rs, kind, done, arg);

	j->join = *spec;
	j->join.identity = g_strdup(spec->identity);
	j->join.name = g_strdup(spec->name);
	j->join.metadata = g_strdup(spec->metadata);
	j->join.view_of = g_strdup(spec->view_of);
	return j;
}

void rooms_join(struct rooms *rs, const char *room, const struct rooms_join_spec *spec,
		rooms_done_h *done, void *arg)
{
	if (join_valid(room, spec, done, arg))
		job_dispatch(rs, room, join_job_new(rs, JOB_JOIN, spec, done, arg));
}

static void caller_set(struct job *j, const struct rooms_caller *caller)
{
	j->caller_identity = g_strdup(caller->identity);
	j->caller_admin = caller->admin;
}

void rooms_leave(struct rooms *rs, const char *room, const char *pid,
		 const struct rooms_caller *caller, rooms_done_h *done, void *arg)
{
	struct job *j = job_new(rs, JOB_LEAVE, done, arg);

	j->pid = g_strdup(pid);
	caller_set(j, caller);
	job_dispatch(rs, room, j);
}

void rooms_participants(struct rooms *rs, const char *room, rooms_done_h *done, void *arg)
{
	job_dispatch(rs, room, job_new(rs, JOB_PARTICIPANTS, done, arg));
}

void rooms_events_open(struct rooms *rs, const char *room, const char *pid,
		       const struct rooms_caller *caller, rooms_done_h *done, void *arg)
{
	struct job *j = job_new(rs, JOB_EVENTS, done, arg);

	j->pid = g_strdup(pid);
	caller_set(j, caller);
	job_dispatch(rs, room, j);
}

void rooms_stats_get(struct rooms *rs, struct rooms_stats *out)
{
	g_mutex_lock(&rs->lock);
	out->rooms = rs->order->len;
	g_mutex_unlock(&rs->lock);
	out->participants = (unsigned)__atomic_load_n(&rs->ctr.participants, __ATOMIC_RELAXED);
	out->joins = __atomic_load_n(&rs->ctr.joins, __ATOMIC_RELAXED);
	out->leaves = __atomic_load_n(&rs->ctr.leaves, __ATOMIC_RELAXED);
	out->timeouts = __atomic_load_n(&rs->ctr.timeouts, __ATOMIC_RELAXED);
	out->events = __atomic_load_n(&rs->ctr.events, __ATOMIC_RELAXED);
}

static struct job *media_job(struct rooms *rs, enum job_kind kind, const char *pid,
			     const struct rooms_caller *caller, const char *body, size_t len,
			     rooms_done_h *done, void *arg)
{
	struct job *j = job_new(rs, kind, done, arg);

	j->pid = g_strdup(pid);
	caller_set(j, caller);
	j->body = g_strndup(body, len);
	j->body_len = len;
	return j;
}

void rooms_publish(struct rooms *rs, const char *room, const char *pid,
		   const struct rooms_caller *caller, const char *sdp, size_t len,
		   rooms_done_h *done, void *arg)
{
	job_dispatch(rs, room, media_job(rs, JOB_PUBLISH, pid, caller, sdp, len, done, arg));
}

void rooms_subscribe(struct rooms *rs, const char *room, const char *pid,
		     const struct rooms_caller *caller, unsigned version, const char *sdp,
		     size_t len, rooms_done_h *done, void *arg)
{
	struct job *j = media_job(rs, JOB_SUBSCRIBE, pid, caller, sdp, len, done, arg);

	j->version = version;
	job_dispatch(rs, room, j);
}

void rooms_trickle(struct rooms *rs, const char *room, const char *pid,
		   const struct rooms_caller *caller, bool sub, const char *frag, size_t len,
		   rooms_done_h *done, void *arg)
{
	struct job *j = media_job(rs, JOB_TRICKLE, pid, caller, frag, len, done, arg);

	j->sub = sub;
	job_dispatch(rs, room, j);
}

void rooms_media_join(struct rooms *rs, const char *room, const struct rooms_join_spec *spec,
		      bool view, const char *sdp, size_t len, rooms_done_h *done, void *arg)
{
	struct job *j;

	if (!join_valid(room, spec, done, arg))
		return;
	j = join_job_new(rs, JOB_MEDIA_JOIN, spec, done, arg);
	j->join.media_only = true;
	j->sub = view;
	j->body = g_strndup(sdp, len);
	j->body_len = len;
	job_dispatch(rs, room, j);
}

void rooms_track_mute(struct rooms *rs, const char *room, const char *pid, const char *track_id,
		      bool muted, const struct rooms_caller *caller, rooms_done_h *done, void *arg)
{
	struct job *j = media_job(rs, JOB_MUTE, pid, caller, track_id, strlen(track_id), done, arg);

	j->muted = muted;
	job_dispatch(rs, room, j);
}

void rooms_pending_offer(struct rooms *rs, const char *room, const char *pid,
			 const struct rooms_caller *caller, rooms_done_h *done, void *arg)
{
	job_dispatch(rs, room, media_job(rs, JOB_OFFER, pid, caller, "", 0, done, arg));
}

void rooms_subscribe_restart(struct rooms *rs, const char *room, const char *pid,
			     const struct rooms_caller *caller, rooms_done_h *done, void *arg)
{
	job_dispatch(rs, room, media_job(rs, JOB_SUB_RESTART, pid, caller, "", 0, done, arg));
}
