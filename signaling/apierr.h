/* apierr.h - the one table from API errors to HTTP status and error code.
 * Every error the HTTP API returns has the shape
 *   {"error": {"code": "room_not_found", "message": "room \"x\" does not exist"}}
 * and its code and status come from this table (docs/API.md lists it). */
#ifndef PARLEY_SIGNALING_APIERR_H
#define PARLEY_SIGNALING_APIERR_H

enum apierr {
	APIERR_NONE = 0,
	APIERR_BAD_REQUEST,          /* 400 bad_request */
	APIERR_INVALID_JSON,         /* 400 invalid_json */
	APIERR_INVALID_FIELD,        /* 400 invalid_field */
	APIERR_UNKNOWN_FIELD,        /* 400 unknown_field */
	APIERR_MISSING_FIELD,        /* 400 missing_field */
	APIERR_INVALID_ID,           /* 400 invalid_id */
	APIERR_INVALID_SDP,          /* 400 invalid_sdp */
	APIERR_UNAUTHORIZED,         /* 401 unauthorized */
	APIERR_TOKEN_EXPIRED,        /* 401 token_expired */
	APIERR_FORBIDDEN,            /* 403 forbidden */
	APIERR_NOT_FOUND,            /* 404 not_found */
	APIERR_ROOM_NOT_FOUND,       /* 404 room_not_found */
	APIERR_PARTICIPANT_NOT_FOUND,/* 404 participant_not_found */
	APIERR_TRACK_NOT_FOUND,      /* 404 track_not_found */
	APIERR_METHOD_NOT_ALLOWED,   /* 405 method_not_allowed */
	APIERR_ROOM_EXISTS,          /* 409 room_exists */
	APIERR_ROOM_FULL,            /* 409 room_full */
	APIERR_TOO_MANY_TRACKS,      /* 409 too_many_tracks */
	APIERR_NEGOTIATION_CONFLICT, /* 409 negotiation_conflict */
	APIERR_PAYLOAD_TOO_LARGE,    /* 413 payload_too_large */
	APIERR_UNSUPPORTED_MEDIA_TYPE,/* 415 unsupported_media_type */
	APIERR_TOO_MANY_ROOMS,       /* 503 too_many_rooms */
	APIERR_SHUTTING_DOWN,        /* 503 shutting_down */
	APIERR_STORAGE_FULL,         /* 507 storage_full */
	APIERR_INTERNAL,             /* 500 internal */
	APIERR_COUNT_
};

/* HTTP status of an error (500 for values out of range). @thread any */
unsigned apierr_status(enum apierr e);

/* Machine-readable code, e.g. "room_full". @thread any */
const char *apierr_code(enum apierr e);

/* A default English message for the error. @thread any */
const char *apierr_message(enum apierr e);

/* Maps a result of the layers below (0 or a positive errno) to an API error:
 * EINVAL -> invalid_field, EBADMSG -> invalid_json, ENOENT -> `enoent`
 * (what is missing depends on the call), EEXIST -> room_exists, ENOSPC ->
 * room_full, EMFILE -> too_many_rooms, EACCES/EPERM -> forbidden,
 * ESHUTDOWN -> shutting_down, EDQUOT (disk full) -> storage_full, anything else -> internal. @thread any */
enum apierr apierr_from_errno(int err, enum apierr enoent);

#endif
