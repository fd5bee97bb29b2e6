/* api_rooms.c - rooms, participants and event streams (see docs/API.md).
 * Handlers check the token, validate the request, and hand the work to the
 * rooms layer; the answer comes back on the room's worker thread and is sent
 * from there (the connection waits, suspended). */
#define LOG_MOD "api"
#include "signaling/api.h"
#include "signaling/sse.h"
#include "config/config.h"
#include "rooms/rooms.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct pending {
	struct http_req *req; /* borrowed: answered exactly once */
	struct api *a;        /* borrowed */
	unsigned ok_status;   /* 200, 201 or 204 */
	enum apierr enoent;   /* what ENOENT means for this call */
	bool join;            /* add events_url and ice_servers */
	uint64_t last_id;     /* events: the client's Last-Event-ID */
};

static bool grant_room(const struct jwt_grants *g, const char *room)
{
	return g->room && strcmp(g->room, room) == 0;
}

static bool can_admin(const struct jwt_grants *g, const char *room)
{
	return g->room_create || (g->room_admin && grant_room(g, room));
}

static bool can_view(const struct jwt_grants *g, const char *room)
{
	return g->room_list || can_admin(g, room) || api_can_join(g, room);
}

static void forbid(struct http_req *req, const char *need)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "the access token lacks the grant for this: %s", need);
	http_respond_error(req, APIERR_FORBIDDEN, msg);
}

static struct pending *pending_new(struct http_req *req, struct api *a, unsigned ok_status)
{
	struct pending *p = g_new0(struct pending, 1);

	p->req = req;
	p->a = a;
	p->ok_status = ok_status;
	p->enoent = APIERR_ROOM_NOT_FOUND;
	return p;
}

static json_t *ice_servers(const struct config *cfg)
{
	json_t *a = json_array();
	json_t *urls;

	if (cfg->stun_urls[0]) {
		urls = json_array();
		for (char **u = cfg->stun_urls; *u; u++)
			json_array_append_new(urls, json_string(*u));
		json_array_append_new(a, json_pack("{s:o}", "urls", urls));
	}
	if (cfg->turn_urls[0]) {
		urls = json_array();
		for (char **u = cfg->turn_urls; *u; u++)
			json_array_append_new(urls, json_string(*u));
		json_array_append_new(a, json_pack("{s:o, s:s, s:s}", "urls", urls, "username",
						   cfg->turn_username, "credential",
						   cfg->turn_credential));
	}
	return a;
}

static void join_decorate(struct pending *p, json_t *doc)
{
	json_t *room = json_object_get(doc, "room");
	json_t *part = json_object_get(doc, "participant");
	char *url = g_strdup_printf("/v1/rooms/%s/participants/%s/events",
				    json_string_value(json_object_get(room, "name")),
				    json_string_value(json_object_get(part, "id")));

	json_object_set_new(doc, "events_url", json_string(url));
	json_object_set_new(doc, "ice_servers", ice_servers(p->a->cfg));
	g_free(url);
}

static enum apierr err_for(const struct pending *p, int err)
{
	if (err == ESRCH)
		return APIERR_PARTICIPANT_NOT_FOUND;
	if (err == ENODATA)
		return APIERR_TRACK_NOT_FOUND;
	return apierr_from_errno(err, p->enoent);
}

/* The rooms layer's answer: runs on a worker thread (or the handler's). */
static void on_done(struct rooms_result *res, void *arg)
{
	struct pending *p = arg;

	if (res->err) {
		http_respond_error(p->req, err_for(p, res->err), res->msg);
	} else if (res->evq) {
		sse_start(p->a->hub, p->req, res->evq, p->last_id);
		res->evq = NULL;
	} else if (p->ok_status == 204) {
		http_respond_empty(p->req);
	} else {
		if (p->join)
			join_decorate(p, res->json);
		http_respond_json(p->req, p->ok_status, res->json);
		res->json = NULL;
	}
	json_decref(res->json);
	g_free(p);
}

static const struct jsonv_field create_fields[] = {
	{ "name", JSONV_STRING, true, 1, 128 },
	{ "metadata", JSONV_STRING, false, 0, 16384 },
	{ "max_participants", JSONV_UINT, false, 1, 10000 },
	{ "empty_timeout", JSONV_UINT, false, 0, 31536000 },
	{ 0 },
};

void api_rooms_create(struct http_req *req, void *arg)
{
	struct api *a = arg;
	struct jwt_grants g;
	struct rooms_room_spec spec = { .empty_timeout = -1 };
	json_t *body, *v;

	if (!api_auth(req, a, &g))
		return;
	if (!g.room_create) {
		forbid(req, "roomCreate");
		goto out;
	}
	if (!api_body(req, create_fields, false, &body))
		goto out;
	spec.name = json_string_value(json_object_get(body, "name"));
	spec.metadata = json_string_value(json_object_get(body, "metadata"));
	if ((v = json_object_get(body, "max_participants")))
		spec.max_participants = (unsigned)json_integer_value(v);
	if ((v = json_object_get(body, "empty_timeout")))
		spec.empty_timeout = (int)json_integer_value(v);
	rooms_create(a->rooms, &spec, on_done, pending_new(req, a, 201));
	json_decref(body);
out:
	jwt_grants_clear(&g);
}

void api_rooms_list(struct http_req *req, void *arg)
{
	struct api *a = arg;
	struct jwt_grants g;

	if (!api_auth(req, a, &g))
		return;
	if (g.room_list)
		http_respond_json(req, 200, rooms_list(a->rooms));
	else
		forbid(req, "roomList");
	jwt_grants_clear(&g);
}

/* Common start of the calls on one room: token, room name, permission. */
static const char *room_call_begin(struct http_req *req, struct api *a, struct jwt_grants *g,
				   bool (*allowed)(const struct jwt_grants *, const char *),
				   const char *need)
{
	const char *room;

	if (!api_auth(req, a, g))
		return NULL;
	room = api_room_param(req);
	if (room && !allowed(g, room)) {
		forbid(req, need);
		room = NULL;
	}
	if (!room)
		jwt_grants_clear(g);
	return room;
}

/* GET of a room or of its participant list: the same check, two shapes. */
static void view_room(struct http_req *req, struct api *a, bool participants_only)
{
	struct jwt_grants g;
	const char *room = room_call_begin(req, a, &g, can_view,
					   "roomList, or roomJoin/roomAdmin for this room");

	if (!room)
		return;
	if (participants_only)
		rooms_participants(a->rooms, room, on_done, pending_new(req, a, 200));
	else
		rooms_get(a->rooms, room, on_done, pending_new(req, a, 200));
	jwt_grants_clear(&g);
}

void api_rooms_get(struct http_req *req, void *arg)
{
	view_room(req, arg, false);
}

static const struct jsonv_field update_fields[] = {
	{ "metadata", JSONV_STRING, false, 0, 16384 },
	{ "max_participants", JSONV_UINT, false, 1, 10000 },
	{ 0 },
};

void api_rooms_update(struct http_req *req, void *arg)
{
	struct api *a = arg;
	struct jwt_grants g;
	const char *room = room_call_begin(req, a, &g, can_admin,
					   "roomAdmin for this room, or roomCreate");
	json_t *body, *v;
	unsigned max = 0;

	if (!room)
		return;
	if (api_body(req, update_fields, false, &body)) {
		if ((v = json_object_get(body, "max_participants")))
			max = (unsigned)json_integer_value(v);
		rooms_update(a->rooms, room, json_string_value(json_object_get(body, "metadata")),
			     max, on_done, pending_new(req, a, 200));
		json_decref(body);
	}
	jwt_grants_clear(&g);
}

void api_rooms_delete(struct http_req *req, void *arg)
{
	struct api *a = arg;
	struct jwt_grants g;
	const char *room = room_call_begin(req, a, &g, can_admin,
					   "roomAdmin for this room, or roomCreate");

	if (!room)
		return;
	rooms_delete(a->rooms, room, on_done, pending_new(req, a, 204));
	jwt_grants_clear(&g);
}

void api_participants_join(struct http_req *req, void *arg)
{
	static const struct jsonv_field fields[] = { { 0 } };
	struct api *a = arg;
	struct jwt_grants g;
	const char *room = room_call_begin(req, a, &g, api_can_join, "roomJoin for this room");
	struct pending *p;
	json_t *body;

	if (!room)
		return;
	if (!g.identity || !rooms_identity_valid(g.identity)) {
		http_respond_error(req, APIERR_UNAUTHORIZED,
				   "the access token has no valid identity (sub)");
	} else if (api_body(req, fields, true, &body)) {
		struct rooms_join_spec spec = {
			.identity = g.identity,
			.name = g.name,
			.metadata = g.metadata,
			.can_publish = g.can_publish,
			.can_subscribe = g.can_subscribe,
			.can_publish_data = g.can_publish_data,
		};

		json_decref(body);
		p = pending_new(req, a, 201);
		p->join = true;
		rooms_join(a->rooms, room, &spec, on_done, p);
	}
	jwt_grants_clear(&g);
}

void api_participants_list(struct http_req *req, void *arg)
{
	view_room(req, arg, true);
}

static bool can_join_or_admin(const struct jwt_grants *g, const char *room)
{
	return api_can_join(g, room) || can_admin(g, room);
}

void api_participants_leave(struct http_req *req, void *arg)
{
	struct api *a = arg;
	struct jwt_grants g;
	const char *room = room_call_begin(req, a, &g, can_join_or_admin,
					   "roomJoin or roomAdmin for this room");
	const char *pid;

	if (!room)
		return;
	pid = api_pid_param(req);
	if (pid) {
		struct rooms_caller caller = { .identity = g.identity,
					       .admin = can_admin(&g, room) };

		rooms_leave(a->rooms, room, pid, &caller, on_done, pending_new(req, a, 204));
	}
	jwt_grants_clear(&g);
}

void api_participants_events(struct http_req *req, void *arg)
{
	struct api *a = arg;
	struct jwt_grants g;
	const char *room = room_call_begin(req, a, &g, api_can_join, "roomJoin for this room");
	const char *pid, *last;
	struct pending *p;

	if (!room)
		return;
	pid = api_pid_param(req);
	if (pid) {
		struct rooms_caller caller = { .identity = g.identity };

		last = http_req_header(req, "Last-Event-ID");
		if (!last)
			last = http_req_query(req, "last_event_id");
		p = pending_new(req, a, 200);
		p->last_id = sse_parse_last_id(last);
		rooms_events_open(a->rooms, room, pid, &caller, on_done, p);
	}
	jwt_grants_clear(&g);
}

static const struct jsonv_field mute_fields[] = {
	{ "muted", JSONV_BOOL, true, 0, 0 },
	{ 0 },
};

/* PATCH .../participants/{pid}/tracks/{track}: {"muted": bool}, by the
 * participant itself or a roomAdmin. */
void api_tracks_update(struct http_req *req, void *arg)
{
	struct api *a = arg;
	struct jwt_grants g;
	const char *room = room_call_begin(req, a, &g, can_join_or_admin,
					   "roomJoin or roomAdmin for this room");
	const char *pid, *track = http_req_param(req, "track");
	json_t *body;

	if (!room)
		return;
	pid = api_pid_param(req);
	if (pid && (!track || strncmp(track, "TR_", 3) != 0 || strlen(track) != 15)) {
		http_respond_error(req, APIERR_INVALID_ID, "track ids look like TR_xxxxxxxxxxxx");
	} else if (pid && api_body(req, mute_fields, false, &body)) {
		struct rooms_caller caller = { .identity = g.identity, .admin = can_admin(&g, room) };
		struct pending *p = pending_new(req, a, 200);

		p->enoent = APIERR_ROOM_NOT_FOUND;
		rooms_track_mute(a->rooms, room, pid, track,
				 json_is_true(json_object_get(body, "muted")), &caller, on_done, p);
		json_decref(body);
	}
	jwt_grants_clear(&g);
}
