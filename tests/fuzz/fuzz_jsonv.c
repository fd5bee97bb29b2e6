/* fuzz_jsonv.c - libFuzzer target for request body parsing and validation. */
#include <stddef.h>
#include <stdint.h>

#include "signaling/jsonv.h"

static const struct jsonv_field fields[] = {
	{ "name", JSONV_STRING, true, 1, 128 },
	{ "metadata", JSONV_STRING, false, 0, 16384 },
	{ "max_participants", JSONV_UINT, false, 1, 10000 },
	{ "flag", JSONV_BOOL, false, 0, 0 },
	{ 0 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *o = NULL;
	char msg[160];

	if (jsonv_parse((const char *)data, size, size == 0, &o, msg, sizeof(msg)) == APIERR_NONE) {
		jsonv_check(o, fields, msg, sizeof(msg));
		json_decref(o);
	}
	return 0;
}
