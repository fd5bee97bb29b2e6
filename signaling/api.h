/* api.h - the JSON API on top of http.c: the route table, authentication
 * with access tokens, and the handlers (api.c: service endpoints;
 * api_rooms.c: rooms, participants, events). */
#ifndef PARLEY_SIGNALING_API_H
#define PARLEY_SIGNALING_API_H

#include <jansson.h>
#include <stdbool.h>

#include "signaling/http.h"
#include "signaling/jsonv.h"
#include "signaling/jwt.h"

struct config;
struct rooms;
struct sse_hub;

struct api {
	const struct config *cfg; /* borrowed */
	struct rooms *rooms;      /* borrowed */
	struct sse_hub *hub;      /* borrowed */
	int64_t started_at;       /* unix seconds */
};

/* The route table for http_server_start (static, ends with a NULL method). */
const struct http_route *api_routes(void);

/* Verifies the request's access token ("Authorization: Bearer", or the
 * access_token query parameter for EventSource clients) into *g. On failure
 * responds 401 and returns false. @thread handler */
bool api_auth(struct http_req *req, struct api *a, struct jwt_grants *g);

/* Parses and checks a JSON body (Content-Type application/json; an empty
 * body counts as {} when `empty_ok`). On failure responds 400/415 and
 * returns false. @thread handler */
bool api_body(struct http_req *req, const struct jsonv_field *fields, bool empty_ok,
	      json_t **out);

/* True when the token has roomJoin for `room` (the grant that lets a
 * participant join and act on itself). @thread any */
bool api_can_join(const struct jwt_grants *g, const char *room);

/* The room name in the path, validated; responds 400 and returns NULL when
 * it is not a valid name. @thread handler */
const char *api_room_param(struct http_req *req);

/* The participant id in the path ({pid}), validated; responds 400
 * invalid_id and returns NULL when it is malformed. @thread handler */
const char *api_pid_param(struct http_req *req);

/* Handlers in api_rooms.c. */
void api_rooms_create(struct http_req *req, void *arg);
void api_rooms_list(struct http_req *req, void *arg);
void api_rooms_get(struct http_req *req, void *arg);
void api_rooms_update(struct http_req *req, void *arg);
void api_rooms_delete(struct http_req *req, void *arg);
void api_participants_join(struct http_req *req, void *arg);
void api_participants_list(struct http_req *req, void *arg);
void api_participants_leave(struct http_req *req, void *arg);
void api_participants_events(struct http_req *req, void *arg);
void api_tracks_update(struct http_req *req, void *arg);

/* The API error for a result of the media calls (ESRCH, EBADMSG, E2BIG,
 * EBUSY/ESTALE and the usual ones). */
enum apierr api_media_err(int err);

/* Handlers in api_media.c. */
void api_media_publish(struct http_req *req, void *arg);
void api_media_subscribe(struct http_req *req, void *arg);
void api_media_pending_offer(struct http_req *req, void *arg);
void api_media_subscribe_restart(struct http_req *req, void *arg);
void api_media_trickle_publish(struct http_req *req, void *arg);
void api_media_trickle_subscribe(struct http_req *req, void *arg);

/* Handlers in whip.c. */
void api_whip_create(struct http_req *req, void *arg);
void api_whip_patch(struct http_req *req, void *arg);
void api_whip_delete(struct http_req *req, void *arg);
void api_whep_create(struct http_req *req, void *arg);
void api_whep_patch(struct http_req *req, void *arg);
void api_whep_delete(struct http_req *req, void *arg);

#endif
