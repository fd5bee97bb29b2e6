/* whip.c - WHIP (RFC 9725) and WHEP: publish into a room, or watch its
 * tracks, with one SDP offer over HTTP, so that OBS, GStreamer and ffmpeg
 * can take part without the web client.
 *   POST   /whip/{room}            offer -> 201 answer, Location: /whip/{room}/{session}
 *   PATCH  /whip/{room}/{session}  trickle ICE (application/trickle-ice-sdpfrag) -> 204
 *   DELETE /whip/{room}/{session}  stop -> 200
 * and the same under /whep/ (optionally ?participant=PA_... to watch one).
 * Bearer token: roomJoin for the room (its sub is the identity; without one
 * an identity "whip-..."/"whep-..." is made up). A session is a participant
 * that has media but no event stream. */
#define LOG_MOD "whip"
#include "signaling/api.h"
#include "config/config.h"
#include "media/base/util.h"
#include "rooms/rooms.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

struct whip_pending {
	struct http_req *req;   /* borrowed */
	struct api *a;          /* borrowed */
	char *room;             /* owned */
	bool whep;
	bool create;            /* POST: answer 201 with Location */
};

/* Link headers (RFC 9725 §4.4) for the configured ICE servers. */
static void ice_links(const struct config *cfg, GPtrArray *h, GPtrArray *own)
{
	for (char **u = cfg->stun_urls; *u; u++) {
		char *v = g_strdup_printf("<%s>; rel=\"ice-server\"", *u);

		g_ptr_array_add(own, v);
		g_ptr_array_add(h, "Link");
		g_ptr_array_add(h, v);
	}
	for (char **u = cfg->turn_urls; *u; u++) {
		char *v = g_strdup_printf("<%s>; rel=\"ice-server\"; username=\"%s\"; "
					  "credential=\"%s\"; credential-type=\"password\"",
					  *u, cfg->turn_username, cfg->turn_credential);

		g_ptr_array_add(own, v);
		g_ptr_array_add(h, "Link");
		g_ptr_array_add(h, v);
	}
}

static void on_whip_done(struct rooms_result *res, void *arg)
{
	struct whip_pending *wp = arg;

	if (res->err) {
		http_respond_error(wp->req, api_media_err(res->err), res->msg);
	} else if (wp->create) {
		const char *sdp = json_string_value(json_object_get(res->json, "sdp"));
		const char *pid = json_string_value(json_object_get(res->json, "participant_id"));
		GPtrArray *h = g_ptr_array_new(), *own = g_ptr_array_new_with_free_func(g_free);
		char *loc = g_strdup_printf("/%s/%s/%s", wp->whep ? "whep" : "whip", wp->room, pid);

		g_ptr_array_add(h, "Location");
		g_ptr_array_add(h, loc);
		ice_links(wp->a->cfg, h, own);
		g_ptr_array_add(h, NULL);
		http_respond_text_headers(wp->req, 201, "application/sdp", sdp, strlen(sdp),
					  (const char *const *)h->pdata);
		g_free(loc);
		g_ptr_array_free(h, TRUE);
		g_ptr_array_free(own, TRUE);
	} else if (res->json && json_object_get(res->json, "sdpfrag")) {
		const char *f = json_string_value(json_object_get(res->json, "sdpfrag"));

		http_respond_text(wp->req, 200, "application/trickle-ice-sdpfrag", f, strlen(f));
	} else if (strcmp(http_req_method(wp->req), "DELETE") == 0) {
		http_respond_text(wp->req, 200, "text/plain", "", 0);
	} else {
		http_respond_empty(wp->req);
	}
	json_decref(res->json);
	g_free(wp->room);
	g_free(wp);
}

static struct whip_pending *pending(struct http_req *req, struct api *a, const char *room,
				    bool whep, bool create)
{
	struct whip_pending *wp = g_new0(struct whip_pending, 1);

	wp->req = req;
	wp->a = a;
	wp->room = g_strdup(room);
	wp->whep = whep;
	wp->create = create;
	return wp;
}

/* Token, room and content type checks shared by the calls. */
static const char *begin(struct http_req *req, struct api *a, struct jwt_grants *g,
			 const char *ctype)
{
	const char *room;

	if (!api_auth(req, a, g))
		return NULL;
	room = api_room_param(req);
	if (room && !api_can_join(g, room)) {
		http_respond_error(req, APIERR_FORBIDDEN, "the access token lacks roomJoin for this room");
		room = NULL;
	} else if (room && ctype && !http_req_content_type_is(req, ctype)) {
		char msg[96];

		snprintf(msg, sizeof(msg), "the body must be %s", ctype);
		http_respond_error(req, APIERR_UNSUPPORTED_MEDIA_TYPE, msg);
		room = NULL;
	}
	if (!room)
		jwt_grants_clear(g);
	return room;
}

static void create(struct http_req *req, struct api *a, bool whep)
{
	struct jwt_grants g;
	const char *room = begin(req, a, &g, "application/sdp");
	const char *view_of = whep ? http_req_query(req, "participant") : NULL;
	char made_up[24];
	size_t len;
	const char *body;

	if (!room)
		return;
	if (whep ? !g.can_subscribe : !g.can_publish) {
		http_respond_error(req, APIERR_FORBIDDEN, whep ? "the access token lacks canSubscribe" :
							     "the access token lacks canPublish");
	} else if (view_of && !rooms_pid_valid(view_of)) {
		http_respond_error(req, APIERR_INVALID_ID, "participant ids look like PA_xxxxxxxxxxxx");
	} else {
		struct rooms_join_spec spec = {
			.identity = g.identity,
			.name = g.name,
			.metadata = g.metadata,
			.can_publish = !whep,
			.can_subscribe = whep,
			.view_of = view_of,
		};

		if (!spec.identity) {
			util_random_id(made_up, sizeof(made_up), whep ? "whep-" : "whip-", 10);
			spec.identity = made_up;
		}
		body = http_req_body(req, &len);
		rooms_media_join(a->rooms, room, &spec, whep, body, len, on_whip_done,
				 pending(req, a, room, whep, true));
	}
	jwt_grants_clear(&g);
}

static const char *session_param(struct http_req *req)
{
	const char *pid = http_req_param(req, "session");

	if (!rooms_pid_valid(pid)) {
		http_respond_error(req, APIERR_NOT_FOUND, "no such session");
		return NULL;
	}
	return pid;
}

static void session_call(struct http_req *req, struct api *a, bool whep, bool del)
{
	struct jwt_grants g;
	const char *room = begin(req, a, &g, del ? NULL : "application/trickle-ice-sdpfrag");
	const char *pid;
	struct rooms_caller caller;
	size_t len;
	const char *body;

	if (!room)
		return;
	pid = session_param(req);
	if (pid) {
		caller = (struct rooms_caller){ .identity = g.identity, .admin = g.room_admin };
		body = http_req_body(req, &len);
		if (del)
			rooms_leave(a->rooms, room, pid, &caller, on_whip_done,
				    pending(req, a, room, whep, false));
		else
			rooms_trickle(a->rooms, room, pid, &caller, false, body, len, on_whip_done,
				      pending(req, a, room, whep, false));
	}
	jwt_grants_clear(&g);
}

void api_whip_create(struct http_req *req, void *arg)
{
	create(req, arg, false);
}

void api_whep_create(struct http_req *req, void *arg)
{
	create(req, arg, true);
}

void api_whip_patch(struct http_req *req, void *arg)
{
	session_call(req, arg, false, false);
}

void api_whep_patch(struct http_req *req, void *arg)
{
	session_call(req, arg, true, false);
}

void api_whip_delete(struct http_req *req, void *arg)
{
	session_call(req, arg, false, true);
}

void api_whep_delete(struct http_req *req, void *arg)
{
	session_call(req, arg, true, true);
}
