/* room.c - see room.h. */
#define LOG_MOD "room"
#include "rooms/room.h"
#include "rooms/evq.h"
#include "rooms/sfu.h"
#include "rooms/store.h"
#include "media/base/log.h"
#include "media/base/util.h"
#include "media/base/worker.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

struct participant {
	char id[20];
	char *identity; /* owned */
	char *name;     /* owned, "" when unset */
	char *metadata; /* owned, "" when unset */
	bool can_publish;
	bool can_subscribe;
	bool can_publish_data;
	int64_t joined_at;
	struct evq *evq;      /* ref */
	struct pmedia *media; /* owned */
	bool media_only;      /* WHIP/WHEP: no event stream, present with its media */
	char *view_of;        /* owned; WHEP: the participant watched, NULL: all */
};

struct room {
	gint refs;
	struct worker *w; /* borrowed: workers outlive rooms */
	char *name;       /* owned, immutable */
	char *sid;        /* owned, immutable */
	int64_t created_at;

	GMutex info;      /* guards the three fields below */
	char *metadata;   /* owned */
	unsigned max_participants;
	unsigned empty_timeout;
	gint count;       /* participants, atomic */

	/* @thread worker from here on */
	GPtrArray *participants; /* owned, of struct participant, join order */
	GSource *timer;          /* owned */
	bool ended;
	int64_t empty_since;
	unsigned participant_timeout;
	unsigned event_buffer;
	struct room_counters *ctr; /* borrowed */
	const struct sfu_cfg *sfu; /* borrowed */
	room_expire_h *expire_h;
	void *expire_arg;
};

static void participant_free(gpointer data)
{
	struct participant *p = data;

	pmedia_free(p->media);
	evq_unref(p->evq);
	g_free(p->view_of);
	g_free(p->identity);
	g_free(p->name);
	g_free(p->metadata);
	g_free(p);
}

static json_t *participant_json(const struct participant *p)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:{s:b, s:b, s:b}, s:o}", "id", p->id,
			 "identity", p->identity, "name", p->name, "metadata", p->metadata,
			 "joined_at", (json_int_t)p->joined_at, "permissions", "can_publish",
			 p->can_publish, "can_subscribe", p->can_subscribe, "can_publish_data",
			 p->can_publish_data, "tracks",
			 p->media ? pmedia_tracks_json(p->media) : json_array());
}

/* Pushes one event to every participant but `except` (may be NULL). Takes
 * ownership of `data`. */
static void broadcast(struct room *r, const char *type, json_t *data,
		      const struct participant *except)
{
	char *text = json_dumps(data, JSON_COMPACT);

	json_decref(data);
	if (!text)
		return;
	for (guint i = 0; i < r->participants->len; i++) {
		struct participant *p = g_ptr_array_index(r->participants, i);

		if (p != except && evq_push(p->evq, type, text))
			__atomic_fetch_add(&r->ctr->events, 1, __ATOMIC_RELAXED);
	}
	free(text);
}

static void send_one(struct room *r, struct participant *p, const char *type, json_t *data)
{
	char *text = json_dumps(data, JSON_COMPACT);

	json_decref(data);
	if (text && evq_push(p->evq, type, text))
		__atomic_fetch_add(&r->ctr->events, 1, __ATOMIC_RELAXED);
	free(text);
}

static struct participant *find_by(struct room *r, const char *id, const char *identity,
				   guint *index)
{
	for (guint i = 0; i < r->participants->len; i++) {
		struct participant *p = g_ptr_array_index(r->participants, i);

		if ((id && strcmp(p->id, id) == 0) ||
		    (identity && strcmp(p->identity, identity) == 0)) {
			if (index)
				*index = i;
			return p;
		}
	}
	return NULL;
}

static void track_withdraw(struct room *r, struct participant *owner, struct producer *prod);

static struct participant *by_media(struct room *r, struct pmedia *pm, guint *index)
{
	for (guint i = 0; i < r->participants->len; i++) {
		struct participant *p = g_ptr_array_index(r->participants, i);

		if (p->media == pm) {
			if (index)
				*index = i;
			return p;
		}
	}
	return NULL;
}

static void sfu_event(void *arg, struct pmedia *pm, const char *type, json_t *data)
{
	struct room *r = arg;
	struct participant *p = by_media(r, pm, NULL);

	if (p)
		send_one(r, p, type, data);
	else
		json_decref(data);
}

static void sfu_track_added(void *arg, struct pmedia *pm, struct producer *prod)
{
	struct room *r = arg;
	struct participant *owner = by_media(r, pm, NULL);

	if (!owner)
		return;
	for (guint i = 0; i < r->participants->len; i++) {
		struct participant *q = g_ptr_array_index(r->participants, i);

		if (q != owner && q->media)
			pmedia_consume(q->media, prod);
	}
	broadcast(r, "track_published",
		  json_pack("{s:o, s:o}", "participant", participant_json(owner), "track",
			    producer_json(prod)),
		  owner);
}

static void sfu_track_removed(void *arg, struct pmedia *pm, struct producer *prod)
{
	struct room *r = arg;
	struct participant *owner = by_media(r, pm, NULL);

	if (owner)
		track_withdraw(r, owner, prod);
}

static void remove_at(struct room *r, guint index, const char *reason);

static void sfu_failed(void *arg, struct pmedia *pm, const char *reason)
{
	struct room *r = arg;
	guint index;

	log_warn("[room=%s] media of a participant failed: %s", r->name, reason);
	if (by_media(r, pm, &index))
		remove_at(r, index, "media_failed");
}

/* The producers a WHEP viewer may watch. */
static GPtrArray *sfu_sources(void *arg, struct pmedia *pm)
{
	struct room *r = arg;
	struct participant *viewer = by_media(r, pm, NULL);
	GPtrArray *out = g_ptr_array_new();

	for (guint i = 0; viewer && i < r->participants->len; i++) {
		struct participant *q = g_ptr_array_index(r->participants, i);
		GPtrArray *prods;

		if (q == viewer || !q->media || (viewer->view_of && strcmp(q->id, viewer->view_of)))
			continue;
		prods = pmedia_producers(q->media);
		for (guint j = 0; j < prods->len; j++)
			g_ptr_array_add(out, g_ptr_array_index(prods, j));
	}
	return out;
}

/* The worker that sends a new subscriber's media: the room's own while the
 * room is small (no hand-over between threads); from sfu->parallel_fanout
 * subscribers on, the worker sending for the fewest of them, so that the
 * fanout of a large room runs on every worker at once (media/lanes.h). */
static struct worker *sfu_send_worker(void *arg, struct pmedia *pm)
{
	struct room *r = arg;
	const struct sfu_cfg *c = r->sfu;
	unsigned n = c->lanes && c->workers ? workers_count(c->workers) : 1;
	unsigned *count, total = 1, best;

	if (n < 2 || !c->parallel_fanout)
		return r->w;
	count = g_new0(unsigned, n);
	for (guint i = 0; i < r->participants->len; i++) {
		struct participant *q = g_ptr_array_index(r->participants, i);
		struct worker *w = q->media && q->media != pm ? pmedia_send_worker(q->media) : NULL;

		if (w) {
			count[worker_index(w)]++;
			total++;
		}
	}
	/* The room's worker also rewrites and protects every subscriber's
	 * packets and copies the others' into lanes: it counts for half the
	 * room more (with a third, its CPU was ~57% of the two workers' in a
	 * 50-subscriber fanout, and the delay followed it). */
	best = worker_index(r->w);
	count[best] += total / 2;
	for (unsigned i = 0; i < n && total >= c->parallel_fanout; i++)
		if (count[i] < count[best])
			best = i;
	g_free(count);
	return workers_get(c->workers, best);
}

static const struct sfu_room_ops sfu_ops = {
	.event = sfu_event,
	.track_added = sfu_track_added,
	.track_removed = sfu_track_removed,
	.failed = sfu_failed,
	.sources = sfu_sources,
	.send_worker = sfu_send_worker,
};

/* Tells every participant but the owner that a track is gone and stops
 * their copies of it. */
static void track_withdraw(struct room *r, struct participant *owner, struct producer *prod)
{
	for (guint i = 0; i < r->participants->len; i++) {
		struct participant *q = g_ptr_array_index(r->participants, i);

		if (q != owner && q->media)
			pmedia_unconsume(q->media, prod);
	}
	broadcast(r, "track_unpublished",
		  json_pack("{s:s, s:s}", "participant_id", owner->id, "track_id", prod->id), owner);
}

/* Before a participant goes: the others stop receiving its tracks. */
static void media_withdraw(struct room *r, struct participant *p)
{
	GPtrArray *prods;

	if (!p->media)
		return;
	prods = pmedia_producers(p->media);
	for (guint i = 0; i < prods->len; i++)
		track_withdraw(r, p, g_ptr_array_index(prods, i));
}

/* Takes a participant out of the room: the others get participant_left, it
 * gets "disconnected" and its queue closes. */
static void remove_at(struct room *r, guint index, const char *reason)
{
	struct participant *p = g_ptr_array_steal_index(r->participants, index);

	media_withdraw(r, p);

	g_atomic_int_add(&r->count, -1);
	__atomic_fetch_add(&r->ctr->participants, -1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&r->ctr->leaves, 1, __ATOMIC_RELAXED);
	if (r->participants->len == 0)
		r->empty_since = util_now_us();
	log_info("[room=%s pid=%s identity=%s] left (%s)", r->name, p->id, p->identity, reason);
	broadcast(r, "participant_left",
		  json_pack("{s:o, s:s}", "participant", participant_json(p), "reason", reason),
		  NULL);
	send_one(r, p, "disconnected", json_pack("{s:s}", "reason", reason));
	evq_close(p->evq);
	participant_free(p);
}

static void check_timeouts(struct room *r, int64_t now)
{
	int64_t limit = (int64_t)r->participant_timeout * 1000000;

	for (guint i = r->participants->len; i-- > 0;) {
		struct participant *p = g_ptr_array_index(r->participants, i);
		int64_t since;

		if (!p->media_only && evq_idle(p->evq, &since) && now - since > limit) {
			__atomic_fetch_add(&r->ctr->timeouts, 1, __ATOMIC_RELAXED);
			remove_at(r, i, "timeout");
		}
	}
}

static gboolean room_tick(gpointer data)
{
	struct room *r = data;
	int64_t now = util_now_us();
	unsigned empty_timeout;

	if (r->ended)
		return G_SOURCE_REMOVE;
	check_timeouts(r, now);
	g_mutex_lock(&r->info);
	empty_timeout = r->empty_timeout;
	g_mutex_unlock(&r->info);
	if (r->participants->len == 0 && empty_timeout > 0 &&
	    now - r->empty_since > (int64_t)empty_timeout * 1000000) {
		log_info("[room=%s] empty for %us, closing", r->name, empty_timeout);
		r->expire_h(r, r->expire_arg); /* may end the room and destroy this timer */
	}
	return G_SOURCE_CONTINUE;
}

static void room_release(gpointer data)
{
	room_unref(data);
}

struct room *room_alloc(const struct room_params *p, struct worker *w)
{
	struct room *r = g_new0(struct room, 1);

	r->refs = 1;
	r->w = w;
	r->name = g_strdup(p->stored->name);
	r->sid = g_strdup(p->stored->sid);
	r->created_at = p->stored->created_at;
	g_mutex_init(&r->info);
	r->metadata = g_strdup(p->stored->metadata ? p->stored->metadata : "");
	r->max_participants = p->stored->max_participants;
	r->empty_timeout = p->stored->empty_timeout;
	r->participants = g_ptr_array_new_with_free_func(participant_free);
	r->empty_since = util_now_us();
	r->participant_timeout = p->participant_timeout;
	r->event_buffer = p->event_buffer;
	r->ctr = p->counters;
	r->sfu = p->sfu;
	r->expire_h = p->expire_h;
	r->expire_arg = p->expire_arg;
	worker_load_add(w, 1);

	r->timer = g_timeout_source_new_seconds(1);
	g_source_set_callback(r->timer, room_tick, room_ref(r), room_release);
	g_source_attach(r->timer, worker_context(w));
	return r;
}

struct room *room_ref(struct room *r)
{
	g_atomic_int_inc(&r->refs);
	return r;
}

void room_unref(struct room *r)
{
	if (!r || !g_atomic_int_dec_and_test(&r->refs))
		return;
	worker_load_add(r->w, -1);
	g_ptr_array_free(r->participants, TRUE);
	if (r->timer)
		g_source_unref(r->timer);
	g_mutex_clear(&r->info);
	g_free(r->metadata);
	g_free(r->name);
	g_free(r->sid);
	g_free(r);
}

struct worker *room_worker(const struct room *r)
{
	return r->w;
}

const char *room_name(const struct room *r)
{
	return r->name;
}

unsigned room_count(struct room *r)
{
	return (unsigned)g_atomic_int_get(&r->count);
}

bool room_ended(const struct room *r)
{
	return r->ended;
}

static json_t *participants_array(struct room *r)
{
	json_t *a = json_array();

	WORKER_ASSERT(r->w);
	for (guint i = 0; i < r->participants->len; i++)
		json_array_append_new(a, participant_json(g_ptr_array_index(r->participants, i)));
	return a;
}

json_t *room_json(struct room *r, bool with_participants)
{
	json_t *o;

	g_mutex_lock(&r->info);
	o = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:I}", "name", r->name, "sid", r->sid,
		      "metadata", r->metadata, "max_participants", (int)r->max_participants,
		      "empty_timeout", (int)r->empty_timeout, "num_participants",
		      g_atomic_int_get(&r->count), "created_at", (json_int_t)r->created_at);
	g_mutex_unlock(&r->info);
	if (with_participants)
		json_object_set_new(o, "participants", participants_array(r));
	return o;
}

json_t *room_participants_json(struct room *r)
{
	return json_pack("{s:o}", "participants", participants_array(r));
}

void room_end(struct room *r, const char *event, const char *reason)
{
	WORKER_ASSERT(r->w);
	if (r->ended)
		return;
	r->ended = true;
	if (r->timer) {
		g_source_destroy(r->timer); /* drops the timer's reference */
		g_source_unref(r->timer);
		r->timer = NULL;
	}
	while (r->participants->len > 0) {
		struct participant *p = g_ptr_array_steal_index(r->participants,
								r->participants->len - 1);

		send_one(r, p, event, json_pack("{s:s}", "reason", reason));
		evq_close(p->evq);
		__atomic_fetch_add(&r->ctr->participants, -1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&r->ctr->leaves, 1, __ATOMIC_RELAXED);
		participant_free(p);
	}
	g_atomic_int_set(&r->count, 0);
	log_info("[room=%s] ended (%s)", r->name, reason);
}

void room_update(struct room *r, const char *metadata, unsigned max_participants)
{
	WORKER_ASSERT(r->w);
	g_mutex_lock(&r->info);
	if (metadata) {
		g_free(r->metadata);
		r->metadata = g_strdup(metadata);
	}
	if (max_participants > 0)
		r->max_participants = max_participants;
	g_mutex_unlock(&r->info);
	broadcast(r, "room_updated", json_pack("{s:o}", "room", room_json(r, false)), NULL);
}

static struct participant *participant_new(struct room *r, const struct rooms_join_spec *spec)
{
	struct participant *p = g_new0(struct participant, 1);

	if (util_random_id(p->id, sizeof(p->id), "PA_", 12)) {
		g_free(p);
		return NULL;
	}
	p->identity = g_strdup(spec->identity);
	p->name = g_strdup(spec->name ? spec->name : "");
	p->metadata = g_strdup(spec->metadata ? spec->metadata : "");
	p->can_publish = spec->can_publish;
	p->can_subscribe = spec->can_subscribe;
	p->can_publish_data = spec->can_publish_data;
	p->media_only = spec->media_only;
	p->view_of = g_strdup(spec->view_of);
	p->joined_at = util_unix_time();
	p->evq = evq_alloc(r->event_buffer);
	if (r->sfu) {
		char name[96];

		g_snprintf(name, sizeof(name), "%s/%s", r->name, p->id);
		/* WHIP/WHEP participants get no subscribe connection */
		p->media = pmedia_alloc(r->sfu, r->w, &sfu_ops, r, name, p->id, p->can_publish,
					p->can_subscribe && !p->media_only);
	}
	return p;
}

/* A new participant receives every track already published. */
static void media_catch_up(struct room *r, struct participant *p)
{
	if (!p->media)
		return;
	for (guint i = 0; i < r->participants->len; i++) {
		struct participant *q = g_ptr_array_index(r->participants, i);
		GPtrArray *prods;

		if (q == p || !q->media)
			continue;
		prods = pmedia_producers(q->media);
		for (guint j = 0; j < prods->len; j++)
			pmedia_consume(p->media, g_ptr_array_index(prods, j));
	}
}

void room_join(struct room *r, const struct rooms_join_spec *spec, struct rooms_result *res)
{
	struct participant *p;
	guint old;
	unsigned max;

	WORKER_ASSERT(r->w);
	if (r->ended) {
		res->err = ENOENT;
		return;
	}
	if (find_by(r, NULL, spec->identity, &old))
		remove_at(r, old, "duplicate_identity");
	g_mutex_lock(&r->info);
	max = r->max_participants;
	g_mutex_unlock(&r->info);
	if (r->participants->len >= max) {
		res->err = ENOSPC;
		snprintf(res->msg, sizeof(res->msg), "room \"%s\" is full (%u participants)",
			 r->name, max);
		return;
	}
	p = participant_new(r, spec);
	if (!p) {
		res->err = EIO;
		return;
	}
	broadcast(r, "participant_joined", json_pack("{s:o}", "participant", participant_json(p)),
		  NULL);
	g_ptr_array_add(r->participants, p);
	media_catch_up(r, p);
	g_atomic_int_add(&r->count, 1);
	__atomic_fetch_add(&r->ctr->participants, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&r->ctr->joins, 1, __ATOMIC_RELAXED);
	log_info("[room=%s pid=%s identity=%s] joined", r->name, p->id, p->identity);
	res->json = json_pack("{s:o, s:o}", "participant", participant_json(p), "room",
			      room_json(r, true));
}

/* Finds `pid` and checks the caller may act on it. */
static struct participant *find_for(struct room *r, const char *pid,
				    const struct rooms_caller *caller, guint *index,
				    struct rooms_result *res)
{
	struct participant *p;

	if (r->ended) {
		res->err = ENOENT;
		return NULL;
	}
	p = find_by(r, pid, NULL, index);
	if (!p) {
		res->err = ESRCH;
		snprintf(res->msg, sizeof(res->msg), "participant \"%s\" is not in room \"%s\"",
			 pid, r->name);
		return NULL;
	}
	if (!caller->admin && (!caller->identity || strcmp(caller->identity, p->identity) != 0)) {
		res->err = EACCES;
		snprintf(res->msg, sizeof(res->msg),
			 "the token's identity is not this participant's and has no roomAdmin grant");
		return NULL;
	}
	return p;
}

void room_leave(struct room *r, const char *pid, const struct rooms_caller *caller,
		struct rooms_result *res)
{
	struct participant *p;
	guint index;

	WORKER_ASSERT(r->w);
	p = find_for(r, pid, caller, &index, res);
	if (!p)
		return;
	bool self = caller->identity && strcmp(caller->identity, p->identity) == 0;
	remove_at(r, index, self ? "left" : "removed");
}

void room_events_open(struct room *r, const char *pid, const struct rooms_caller *caller,
		      struct rooms_result *res)
{
	struct rooms_caller self_only = { .identity = caller->identity, .admin = false };
	struct participant *p;
	guint index;

	WORKER_ASSERT(r->w);
	p = find_for(r, pid, &self_only, &index, res);
	if (p)
		res->evq = evq_ref(p->evq);
}

void room_info_lock(struct room *r)
{
	g_mutex_lock(&r->info);
}

void room_info_unlock(struct room *r)
{
	g_mutex_unlock(&r->info);
}

const char *room_metadata_locked(const struct room *r)
{
	return r->metadata;
}

unsigned room_max_participants_locked(const struct room *r)
{
	return r->max_participants;
}

unsigned room_empty_timeout_locked(const struct room *r)
{
	return r->empty_timeout;
}

/* --- media calls ---------------------------------------------------------- */

/* The participant `pid` if the caller is that participant (media calls are
 * the participant's own). */
static struct participant *media_owner(struct room *r, const char *pid,
				       const struct rooms_caller *caller, struct rooms_result *res)
{
	struct rooms_caller self_only = { .identity = caller->identity, .admin = false };
	guint index;
	struct participant *p = find_for(r, pid, &self_only, &index, res);

	if (p && !p->media) {
		res->err = ENOTSUP;
		snprintf(res->msg, sizeof(res->msg), "media is not enabled on this server");
		return NULL;
	}
	return p;
}

void room_publish(struct room *r, const char *pid, const struct rooms_caller *caller,
		  const char *sdp, size_t len, void (*done)(int, const char *, char *, void *),
		  void *arg)
{
	struct rooms_result res = { 0 };
	struct participant *p;

	WORKER_ASSERT(r->w);
	p = media_owner(r, pid, caller, &res);
	if (!p) {
		done(res.err, res.msg, NULL, arg);
		return;
	}
	pmedia_publish(p->media, sdp, len, done, arg);
}

json_t *room_tracks_json(struct room *r, const char *pid)
{
	struct participant *p;

	WORKER_ASSERT(r->w);
	p = find_by(r, pid, NULL, NULL);
	return p && p->media ? pmedia_tracks_json(p->media) : json_array();
}

void room_subscribe(struct room *r, const char *pid, const struct rooms_caller *caller,
		    unsigned version, const char *sdp, size_t len, struct rooms_result *res)
{
	struct participant *p;

	WORKER_ASSERT(r->w);
	p = media_owner(r, pid, caller, res);
	if (p)
		res->err = pmedia_subscribe_answer(p->media, version, sdp, len, res->msg,
						   sizeof(res->msg));
}

void room_trickle(struct room *r, const char *pid, const struct rooms_caller *caller, bool sub,
		  const char *frag, size_t len, struct rooms_result *res)
{
	struct participant *p;

	WORKER_ASSERT(r->w);
	char *reply = NULL;

	p = media_owner(r, pid, caller, res);
	if (p)
		res->err = pmedia_trickle(p->media, sub, frag, len, &reply, res->msg,
					  sizeof(res->msg));
	if (reply)
		res->json = json_pack("{s:s}", "sdpfrag", reply);
	g_free(reply);
}

struct media_join {
	struct room *r; /* ref */
	char pid[20];
	room_media_join_h *done;
	void *arg;
};

static void media_join_done(int err, const char *msg, char *sdp, void *arg)
{
	struct media_join *mj = arg;
	guint index;

	/* An offer that was refused leaves no participant behind. */
	if (err && !room_ended(mj->r) && find_by(mj->r, mj->pid, NULL, &index))
		remove_at(mj->r, index, "left");
	mj->done(err, msg, sdp, mj->pid, mj->arg);
	room_unref(mj->r);
	g_free(mj);
}

void room_media_join(struct room *r, const struct rooms_join_spec *spec, bool view,
		     const char *sdp, size_t len, room_media_join_h *done, void *arg)
{
	struct rooms_result res = { 0 };
	struct media_join *mj;
	struct participant *p;

	WORKER_ASSERT(r->w);
	room_join(r, spec, &res);
	if (res.err) {
		done(res.err, res.msg, NULL, NULL, arg);
		return;
	}
	json_decref(res.json);
	p = g_ptr_array_index(r->participants, r->participants->len - 1);
	if (!p->media) {
		done(ENOTSUP, "media is not enabled on this server", NULL, NULL, arg);
		return;
	}
	mj = g_new0(struct media_join, 1);
	mj->r = room_ref(r);
	g_strlcpy(mj->pid, p->id, sizeof(mj->pid));
	mj->done = done;
	mj->arg = arg;
	if (view)
		pmedia_view(p->media, sdp, len, media_join_done, mj);
	else
		pmedia_publish(p->media, sdp, len, media_join_done, mj);
}

void room_track_mute(struct room *r, const char *pid, const char *track_id, bool muted,
		     const struct rooms_caller *caller, struct rooms_result *res)
{
	struct participant *p;
	struct producer *prod;
	guint index;

	WORKER_ASSERT(r->w);
	p = find_for(r, pid, caller, &index, res);
	if (!p)
		return;
	prod = p->media ? pmedia_track_mute(p->media, track_id, muted) : NULL;
	if (!prod) {
		res->err = ENODATA;
		snprintf(res->msg, sizeof(res->msg), "participant \"%s\" has no track \"%s\"", pid,
			 track_id);
		return;
	}
	broadcast(r, "track_muted",
		  json_pack("{s:s, s:s, s:b}", "participant_id", p->id, "track_id", prod->id,
			    "muted", muted),
		  p);
	res->json = producer_json(prod);
}

void room_pending_offer(struct room *r, const char *pid, const struct rooms_caller *caller,
			struct rooms_result *res)
{
	struct participant *p;
	const char *sdp;
	unsigned version;

	WORKER_ASSERT(r->w);
	p = media_owner(r, pid, caller, res);
	if (p && pmedia_pending_offer(p->media, &sdp, &version))
		res->json = json_pack("{s:s, s:i}", "sdp", sdp, "version", (int)version);
}

void room_subscribe_restart(struct room *r, const char *pid, const struct rooms_caller *caller,
			    struct rooms_result *res)
{
	struct participant *p;
	unsigned version;

	WORKER_ASSERT(r->w);
	p = media_owner(r, pid, caller, res);
	if (!p)
		return;
	res->err = pmedia_subscribe_restart(p->media, &version, res->msg, sizeof(res->msg));
	if (!res->err)
		res->json = json_pack("{s:i}", "version", (int)version);
}
