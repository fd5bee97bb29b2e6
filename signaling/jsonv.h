/* jsonv.h - parsing and validating JSON request bodies: the body must be one
 * JSON object, every field must be known, of the right type and within its
 * limits, and required fields must be there. */
#ifndef PARLEY_SIGNALING_JSONV_H
#define PARLEY_SIGNALING_JSONV_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "signaling/apierr.h"

enum jsonv_type {
	JSONV_STRING, /* length in bytes within [min, max]; no NUL bytes */
	JSONV_UINT,   /* integer within [min, max] */
	JSONV_BOOL,
};

struct jsonv_field {
	const char *name;
	enum jsonv_type type;
	bool required;
	long long min;
	long long max;
};

/* Parses `len` bytes as one JSON object (duplicate keys rejected, depth and
 * size bounded by the caller's body limit) into *out (caller owns).
 * An empty body gives an empty object when `empty_ok`.
 * Returns APIERR_NONE or APIERR_INVALID_JSON with a reason in `msg`. @thread any */
enum apierr jsonv_parse(const char *body, size_t len, bool empty_ok, json_t **out,
			char *msg, size_t msgsize);

/* Checks `obj` against `fields` (terminated by an entry with name NULL).
 * Returns APIERR_NONE, APIERR_UNKNOWN_FIELD, APIERR_MISSING_FIELD or
 * APIERR_INVALID_FIELD, with a message naming the field in `msg`. @thread any */
enum apierr jsonv_check(json_t *obj, const struct jsonv_field *fields, char *msg,
			size_t msgsize);

#endif
