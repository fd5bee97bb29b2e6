/* api_media.c - media negotiation of a participant (docs/API.md, "Media"):
 *   POST  .../{pid}/publish     application/sdp offer -> answer (or, with Accept:
 *                               application/json, {"sdp", "tracks"})
 *   POST  .../{pid}/subscribe   application/sdp answer to ?version=N
 *   GET   .../{pid}/subscribe   the offer waiting for an answer (200) or 204
 *   POST  .../{pid}/subscribe/restart   ICE restart offer, 202 {"version"}
 *   PATCH .../{pid}/publish, .../{pid}/subscribe
 *                               application/trickle-ice-sdpfrag (RFC 8840)
 * Only the participant itself (its roomJoin token) negotiates its media. */
#define LOG_MOD "api"
#include "signaling/api.h"
#include "rooms/rooms.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

enum media_call {
	CALL_PUBLISH, CALL_SUBSCRIBE, CALL_OFFER, CALL_RESTART, CALL_TRICKLE_PUB, CALL_TRICKLE_SUB
};

struct media_pending {
	struct http_req *req; /* borrowed: answered exactly once */
	enum media_call call;
	bool json;            /* publish: the client asked for JSON (Accept) */
};

enum apierr api_media_err(int err)
{
	switch (err) {
	case ESRCH:
		return APIERR_PARTICIPANT_NOT_FOUND;
	case EBADMSG:
		return APIERR_INVALID_SDP;
	case E2BIG:
		return APIERR_TOO_MANY_TRACKS;
	case EBUSY:
	case ESTALE:
		return APIERR_NEGOTIATION_CONFLICT;
	default:
		return apierr_from_errno(err, APIERR_ROOM_NOT_FOUND);
	}
}

static void on_media_done(struct rooms_result *res, void *arg)
{
	struct media_pending *mp = arg;

	if (res->err) {
		/* ENOENT from a trickle names the missing connection, not the room */
		enum apierr e = api_media_err(res->err);

		if (res->err == ENOENT && mp->call >= CALL_RESTART && res->msg[0] &&
		    strstr(res->msg, "connection"))
			e = APIERR_NOT_FOUND;
		http_respond_error(mp->req, e, res->msg);
	} else if (mp->call == CALL_PUBLISH && mp->json) {
		http_respond_json(mp->req, 200, res->json); /* {"sdp", "tracks"} */
		res->json = NULL;
	} else if (mp->call == CALL_PUBLISH) {
		const char *sdp = json_string_value(json_object_get(res->json, "sdp"));

		http_respond_text(mp->req, 200, "application/sdp", sdp, strlen(sdp));
	} else if (mp->call == CALL_OFFER && res->json) {
		http_respond_json(mp->req, 200, res->json);
		res->json = NULL;
	} else if (mp->call == CALL_RESTART) {
		http_respond_json(mp->req, 202, res->json);
		res->json = NULL;
	} else if (res->json && json_object_get(res->json, "sdpfrag")) {
		const char *f = json_string_value(json_object_get(res->json, "sdpfrag"));

		http_respond_text(mp->req, 200, "application/trickle-ice-sdpfrag", f, strlen(f));
	} else {
		http_respond_empty(mp->req);
	}
	json_decref(res->json);
	g_free(mp);
}

/* Accept names application/json (and not application/sdp first). */
static bool wants_json(const struct http_req *req)
{
	const char *acc = http_req_header(req, "Accept");
	const char *j = acc ? strstr(acc, "application/json") : NULL;
	const char *s = acc ? strstr(acc, "application/sdp") : NULL;

	return j && (!s || j < s);
}

static void media_call(struct http_req *req, struct api *a, enum media_call call,
		       const char *ctype)
{
	struct jwt_grants g;
	const char *room, *pid, *body;
	struct rooms_caller caller;
	struct media_pending *mp;
	size_t len;
	guint64 version = 0;

	if (!api_auth(req, a, &g))
		return;
	room = api_room_param(req);
	body = http_req_body(req, &len);
	if (!room)
		goto out;
	if (!api_can_join(&g, room)) {
		http_respond_error(req, APIERR_FORBIDDEN, "the access token lacks roomJoin for this room");
		goto out;
	}
	pid = api_pid_param(req);
	if (!pid)
		goto out;
	if (ctype && !http_req_content_type_is(req, ctype)) {
		char msg[96];

		snprintf(msg, sizeof(msg), "the body must be %s", ctype);
		http_respond_error(req, APIERR_UNSUPPORTED_MEDIA_TYPE, msg);
		goto out;
	}
	if (call == CALL_SUBSCRIBE &&
	    (!http_req_query(req, "version") ||
	     !g_ascii_string_to_unsigned(http_req_query(req, "version"), 10, 1, G_MAXUINT, &version,
					 NULL))) {
		http_respond_error(req, APIERR_BAD_REQUEST,
				   "?version=N (the subscribe_offer's version) is required");
		goto out;
	}
	caller = (struct rooms_caller){ .identity = g.identity };
	mp = g_new0(struct media_pending, 1);
	mp->req = req;
	mp->call = call;
	mp->json = call == CALL_PUBLISH && wants_json(req);
	if (call == CALL_PUBLISH)
		rooms_publish(a->rooms, room, pid, &caller, body, len, on_media_done, mp);
	else if (call == CALL_OFFER)
		rooms_pending_offer(a->rooms, room, pid, &caller, on_media_done, mp);
	else if (call == CALL_RESTART)
		rooms_subscribe_restart(a->rooms, room, pid, &caller, on_media_done, mp);
	else if (call == CALL_SUBSCRIBE)
		rooms_subscribe(a->rooms, room, pid, &caller, (unsigned)version, body, len,
				on_media_done, mp);
	else
		rooms_trickle(a->rooms, room, pid, &caller, call == CALL_TRICKLE_SUB, body, len,
			      on_media_done, mp);
out:
	jwt_grants_clear(&g);
}

void api_media_publish(struct http_req *req, void *arg)
{
	media_call(req, arg, CALL_PUBLISH, "application/sdp");
}

void api_media_subscribe(struct http_req *req, void *arg)
{
	media_call(req, arg, CALL_SUBSCRIBE, "application/sdp");
}

void api_media_pending_offer(struct http_req *req, void *arg)
{
	media_call(req, arg, CALL_OFFER, NULL);
}

void api_media_subscribe_restart(struct http_req *req, void *arg)
{
	media_call(req, arg, CALL_RESTART, NULL);
}

void api_media_trickle_publish(struct http_req *req, void *arg)
{
	media_call(req, arg, CALL_TRICKLE_PUB, "application/trickle-ice-sdpfrag");
}

void api_media_trickle_subscribe(struct http_req *req, void *arg)
{
	media_call(req, arg, CALL_TRICKLE_SUB, "application/trickle-ice-sdpfrag");
}
