/* apierr.c - see apierr.h. */
#include "signaling/apierr.h"

#include <errno.h>

struct apierr_row {
	unsigned status;
	const char *code;
	const char *message;
};

static const struct apierr_row table[APIERR_COUNT_] = {
	[APIERR_NONE] = { 200, "ok", "ok" },
	[APIERR_BAD_REQUEST] = { 400, "bad_request", "the request is not valid" },
	[APIERR_INVALID_JSON] = { 400, "invalid_json", "the body is not a valid JSON object" },
	[APIERR_INVALID_FIELD] = { 400, "invalid_field", "a field has an invalid value" },
	[APIERR_UNKNOWN_FIELD] = { 400, "unknown_field", "the body has a field this endpoint does not take" },
	[APIERR_MISSING_FIELD] = { 400, "missing_field", "a required field is missing" },
	[APIERR_INVALID_ID] = { 400, "invalid_id", "an identifier in the path is not valid" },
	[APIERR_INVALID_SDP] = { 400, "invalid_sdp", "the session description is malformed or has nothing acceptable" },
	[APIERR_UNAUTHORIZED] = { 401, "unauthorized", "a valid access token is required" },
	[APIERR_TOKEN_EXPIRED] = { 401, "token_expired", "the access token has expired" },
	[APIERR_FORBIDDEN] = { 403, "forbidden", "the access token does not grant this" },
	[APIERR_NOT_FOUND] = { 404, "not_found", "no such resource" },
	[APIERR_ROOM_NOT_FOUND] = { 404, "room_not_found", "the room does not exist" },
	[APIERR_PARTICIPANT_NOT_FOUND] = { 404, "participant_not_found", "the participant is not in the room" },
	[APIERR_TRACK_NOT_FOUND] = { 404, "track_not_found", "the participant has no such track" },
	[APIERR_METHOD_NOT_ALLOWED] = { 405, "method_not_allowed", "the resource does not support this method" },
	[APIERR_ROOM_EXISTS] = { 409, "room_exists", "a room with this name exists" },
	[APIERR_ROOM_FULL] = { 409, "room_full", "the room has reached its participant limit" },
	[APIERR_TOO_MANY_TRACKS] = { 409, "too_many_tracks", "the participant publishes the most tracks allowed" },
	[APIERR_NEGOTIATION_CONFLICT] = { 409, "negotiation_conflict", "another negotiation is in progress, or the offer was replaced" },
	[APIERR_PAYLOAD_TOO_LARGE] = { 413, "payload_too_large", "the request body is too large" },
	[APIERR_UNSUPPORTED_MEDIA_TYPE] = { 415, "unsupported_media_type", "the request body has the wrong content type" },
	[APIERR_TOO_MANY_ROOMS] = { 503, "too_many_rooms", "the server has reached its room limit" },
	[APIERR_SHUTTING_DOWN] = { 503, "shutting_down", "the server is shutting down" },
	[APIERR_STORAGE_FULL] = { 507, "storage_full", "the server's disk is full" },
	[APIERR_INTERNAL] = { 500, "internal", "internal server error" },
};

static const struct apierr_row *row(enum apierr e)
{
	if ((unsigned)e >= APIERR_COUNT_)
		return &table[APIERR_INTERNAL];
	return &table[e];
}

unsigned apierr_status(enum apierr e)
{
	return row(e)->status;
}

const char *apierr_code(enum apierr e)
{
	return row(e)->code;
}

const char *apierr_message(enum apierr e)
{
	return row(e)->message;
}

enum apierr apierr_from_errno(int err, enum apierr enoent)
{
	switch (err) {
	case 0:
		return APIERR_NONE;
	case EINVAL:
		return APIERR_INVALID_FIELD;
	case EBADMSG:
		return APIERR_INVALID_JSON;
	case ENOENT:
		return enoent;
	case EEXIST:
		return APIERR_ROOM_EXISTS;
	case ENOSPC:
		return APIERR_ROOM_FULL;
	case EMFILE:
		return APIERR_TOO_MANY_ROOMS;
	case EACCES:
	case EPERM:
		return APIERR_FORBIDDEN;
	case ESHUTDOWN:
		return APIERR_SHUTTING_DOWN;
	case EDQUOT:
		return APIERR_STORAGE_FULL;
	default:
		return APIERR_INTERNAL;
	}
}
