/* jsonv.c - see jsonv.h. */
#include "signaling/jsonv.h"

#include <stdio.h>
#include <string.h>

enum apierr jsonv_parse(const char *body, size_t len, bool empty_ok, json_t **out,
			char *msg, size_t msgsize)
{
	json_error_t jerr;
	json_t *v;

	if (len == 0 && empty_ok) {
		*out = json_object();
		return APIERR_NONE;
	}
	v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!v) {
		snprintf(msg, msgsize, "invalid JSON at line %d column %d: %s", jerr.line,
			 jerr.column, jerr.text);
		return APIERR_INVALID_JSON;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		snprintf(msg, msgsize, "the body must be a JSON object");
		return APIERR_INVALID_JSON;
	}
	*out = v;
	return APIERR_NONE;
}

static const struct jsonv_field *field_find(const struct jsonv_field *fields, const char *name)
{
	for (; fields->name; fields++) {
		if (strcmp(fields->name, name) == 0)
			return fields;
	}
	return NULL;
}

static enum apierr check_value(const struct jsonv_field *f, json_t *v, char *msg, size_t msgsize)
{
	switch (f->type) {
	case JSONV_STRING: {
		size_t n = json_string_length(v);

		if (!json_is_string(v)) {
			snprintf(msg, msgsize, "field \"%s\" must be a string", f->name);
			return APIERR_INVALID_FIELD;
		}
		if (memchr(json_string_value(v), '\0', n) || (long long)n < f->min ||
		    (long long)n > f->max) {
			snprintf(msg, msgsize, "field \"%s\" must be %lld to %lld bytes", f->name,
				 f->min, f->max);
			return APIERR_INVALID_FIELD;
		}
		return APIERR_NONE;
	}
	case JSONV_UINT:
		if (!json_is_integer(v) || json_integer_value(v) < f->min ||
		    json_integer_value(v) > f->max) {
			snprintf(msg, msgsize, "field \"%s\" must be an integer from %lld to %lld",
				 f->name, f->min, f->max);
			return APIERR_INVALID_FIELD;
		}
		return APIERR_NONE;
	case JSONV_BOOL:
		if (!json_is_boolean(v)) {
			snprintf(msg, msgsize, "field \"%s\" must be true or false", f->name);
			return APIERR_INVALID_FIELD;
		}
		return APIERR_NONE;
	}
	return APIERR_INTERNAL;
}

enum apierr jsonv_check(json_t *obj, const struct jsonv_field *fields, char *msg,
			size_t msgsize)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		const struct jsonv_field *f = field_find(fields, key);
		enum apierr e;

		if (!f) {
			snprintf(msg, msgsize, "unknown field \"%.64s\"", key);
			return APIERR_UNKNOWN_FIELD;
		}
		e = check_value(f, v, msg, msgsize);
		if (e)
			return e;
	}
	for (; fields->name; fields++) {
		if (fields->required && !json_object_get(obj, fields->name)) {
			snprintf(msg, msgsize, "field \"%s\" is required", fields->name);
			return APIERR_MISSING_FIELD;
		}
	}
	return APIERR_NONE;
}
