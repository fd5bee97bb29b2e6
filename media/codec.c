/* codec.c - see codec.h. */
#include "media/codec.h"

#include <errno.h>
#include <strings.h>

enum codec_id codec_from_name(const char *name)
{
	if (!name)
		return CODEC_NONE;
	if (strcasecmp(name, "opus") == 0)
		return CODEC_OPUS;
	if (strcasecmp(name, "VP8") == 0)
		return CODEC_VP8;
	if (strcasecmp(name, "rtx") == 0)
		return CODEC_RTX;
	return CODEC_NONE;
}

const char *codec_name(enum codec_id id)
{
	switch (id) {
	case CODEC_OPUS:
		return "opus";
	case CODEC_VP8:
		return "VP8";
	case CODEC_RTX:
		return "rtx";
	default:
		return "";
	}
}

/* The extension octets (I, L, T/K) after the X byte. */
static int parse_ext(struct vp8_desc *d, const uint8_t *p, size_t len, size_t *off)
{
	uint8_t x;

	if (*off >= len)
		return EBADMSG;
	x = p[(*off)++];
	if (x & 0x80) { /* I: picture id */
		if (*off >= len)
			return EBADMSG;
		d->has_picture_id = true;
		d->picture_id_15 = (p[*off] & 0x80) != 0;
		if (d->picture_id_15) {
			if (*off + 2 > len)
				return EBADMSG;
			d->picture_id = (uint16_t)(((p[*off] & 0x7f) << 8) | p[*off + 1]);
			*off += 2;
		} else {
			d->picture_id = p[(*off)++] & 0x7f;
		}
	}
	if (x & 0x40) { /* L: TL0PICIDX */
		if (*off >= len)
			return EBADMSG;
		d->has_tl0picidx = true;
		d->tl0picidx = p[(*off)++];
	}
	if (x & 0x30) { /* T and/or K share one octet */
		if (*off >= len)
			return EBADMSG;
		d->has_tid = (x & 0x20) != 0;
		d->tid = (uint8_t)(p[*off] >> 6);
		d->layer_sync = (p[*off] & 0x20) != 0;
		d->has_keyidx = (x & 0x10) != 0;
		d->keyidx = p[*off] & 0x1f;
		(*off)++;
	}
	return 0;
}

int vp8_desc_parse(struct vp8_desc *d, const uint8_t *p, size_t len)
{
	size_t off = 1;
	int err;

	*d = (struct vp8_desc){ 0 };
	if (len < 1)
		return EBADMSG;
	d->start = (p[0] & 0x10) != 0;
	d->partition = p[0] & 0x0f;
	if (p[0] & 0x80) {
		err = parse_ext(d, p, len, &off);
		if (err)
			return err;
	}
	d->header_len = off;
	/* RFC 7741 §4.3: the P bit of the VP8 payload header is 0 for key frames;
	 * it is present at the start of partition 0 only. */
	if (d->start && d->partition == 0) {
		if (off >= len)
			return EBADMSG;
		d->keyframe = (p[off] & 0x01) == 0;
	}
	return 0;
}

int vp8_desc_rewrite(uint8_t *p, const struct vp8_desc *d, uint16_t id, uint8_t tl0)
{
	size_t off = 2; /* after the first octet and the X octet */

	if (!d->has_picture_id)
		return EINVAL;
	if (d->picture_id_15) {
		p[off] = (uint8_t)(0x80 | ((id >> 8) & 0x7f));
		p[off + 1] = (uint8_t)(id & 0xff);
		off += 2;
	} else {
		p[off] = (uint8_t)(id & 0x7f);
		off += 1;
	}
	if (d->has_tl0picidx)
		p[off] = tl0;
	return 0;
}
