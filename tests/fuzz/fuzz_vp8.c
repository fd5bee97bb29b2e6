/* fuzz_vp8.c - libFuzzer target for the VP8 payload descriptor parser and
 * its in-place rewrite. */
#include <stdlib.h>
#include <string.h>

#include "media/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vp8_desc d, again;
	uint8_t *copy;

	if (vp8_desc_parse(&d, data, size) != 0 || !d.has_picture_id)
		return 0;
	copy = malloc(size);
	memcpy(copy, data, size);
	vp8_desc_rewrite(copy, &d, 0x1234, 9);
	/* A rewrite changes values, never the shape. */
	if (vp8_desc_parse(&again, copy, size) != 0 || again.header_len != d.header_len ||
	    again.keyframe != d.keyframe)
		abort();
	free(copy);
	return 0;
}
