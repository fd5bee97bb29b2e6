/* source.c - see source.h. A track is built once (frames appended to one
 * growing buffer) and is read-only afterwards, so any thread may read it. */
#include "tools/bench/source.h"

#include <errno.h>
#include <glib.h>
#include <math.h>
#include <opus.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <vpx/vp8cx.h>
#include <vpx/vpx_encoder.h>
#include <vpx/vpx_image.h>

#define VP8_DESC_LEN 4        /* X, I and a 15-bit picture id (RFC 7741 4.2) */
/* Opus packets are held to what one datagram carries (the largest VP8
 * max_payload too): at 510 kbit/s a 60 ms frame would be 3.8 kB, more than
 * parley's 1600-byte packet buffers take. libopus lowers the frame's rate to fit. */
#define OPUS_MAX_PAYLOAD 1400
/* A fixed speed: in VP8's realtime mode a positive cpu-used picks the speed
 * per frame from how long frames took, so the output would vary by run. */
#define VP8_CPU_USED (-8)
#define NOISE_SEED 0x2545f491u

struct frame {
	size_t off;       /* into bench_track.data */
	size_t len;
	unsigned packets; /* >= 1 */
	bool key;
};

struct bench_track {
	uint8_t *data;          /* owned: every frame, back to back */
	struct frame *frames;   /* owned, nframes entries */
	unsigned nframes;       /* >= 1 */
	bool vp8;               /* payloads start with a descriptor */
	uint32_t frame_ticks;
	int64_t frame_us;
	unsigned rate_num;      /* frames per second = rate_num / rate_den, exactly */
	unsigned rate_den;
	uint64_t total;         /* payload bytes of one loop, descriptors included */
};

/* Frames as they come out of the encoder, before they become a track. */
struct build {
	GByteArray *data;  /* owned */
	GArray *frames;    /* owned, struct frame */
	size_t chunk;      /* frame bytes per packet at most */
	bool vp8;
	uint64_t total;
};

static int fail(char *msg, size_t msgsize, int err, const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static int fail(char *msg, size_t msgsize, int err, const char *fmt, ...)
{
	va_list ap;

	if (!msg || msgsize == 0)
		return err;
	va_start(ap, fmt);
	vsnprintf(msg, msgsize, fmt, ap);
	va_end(ap);
	return err;
}

static void build_init(struct build *b, size_t reserve, size_t chunk, bool vp8)
{
	/* Room for what the bitrate promises, at most 256 MB up front (it grows
	 * on overshoot). GByteArray lengths are guint: the largest loop, 50 Mbit/s
	 * for 60 s, is about 375 MB. */
	b->data = g_byte_array_sized_new((guint)MIN(reserve, (size_t)1 << 28));
	b->frames = g_array_new(FALSE, FALSE, sizeof(struct frame));
	b->chunk = chunk;
	b->vp8 = vp8;
	b->total = 0;
}

static void build_add(struct build *b, const void *p, size_t len, bool key)
{
	struct frame f = {.off = b->data->len, .len = len, .key = key};

	f.packets = len == 0 ? 1 : (unsigned)((len + b->chunk - 1) / b->chunk);
	g_byte_array_append(b->data, p, (guint)len);
	g_array_append_val(b->frames, f);
	b->total += len + (b->vp8 ? (uint64_t)f.packets * VP8_DESC_LEN : 0);
}

static void build_clear(struct build *b)
{
	if (b->data)
		g_byte_array_free(b->data, TRUE);
	if (b->frames)
		g_array_free(b->frames, TRUE);
	b->data = NULL;
	b->frames = NULL;
}

/* Moves the frames into a new track; `b` is left empty. */
static struct bench_track *build_finish(struct build *b, uint32_t ticks, int64_t us,
					unsigned rate_num, unsigned rate_den)
{
	struct bench_track *t = g_new0(struct bench_track, 1);
	size_t len = b->data->len;

	t->nframes = b->frames->len;
	t->frames = (struct frame *)(void *)g_array_free(b->frames, FALSE);
	t->data = g_realloc(g_byte_array_free(b->data, FALSE), MAX(len, 1));
	t->vp8 = b->vp8;
	t->frame_ticks = ticks;
	t->frame_us = us;
	t->rate_num = rate_num;
	t->rate_den = rate_den;
	t->total = b->total;
	b->data = NULL;
	b->frames = NULL;
	return t;
}

void bench_track_free(struct bench_track *t)
{
	if (!t)
		return;
	g_free(t->data);
	g_free(t->frames);
	g_free(t);
}

/* ---- the picture ------------------------------------------------------ */

/* Position `pos` folded back and forth over 0..range. */
static unsigned bounce(unsigned pos, unsigned range)
{
	unsigned m;

	if (range == 0)
		return 0;
	m = pos % (2 * range);
	return m < range ? m : 2 * range - m;
}

/* Luma: a diagonal gradient drifting right, a box bouncing around, and a
 * little noise so that no two frames are alike and the encoder has work. */
static void picture_luma(vpx_image_t *img, unsigned n, uint32_t *rng)
{
	unsigned w = img->d_w, h = img->d_h;
	unsigned bw = w / 4, bh = h / 4;
	unsigned bx = bounce(n * 7, w - bw), by = bounce(n * 5, h - bh);

	for (unsigned y = 0; y < h; y++) {
		uint8_t *row = img->planes[VPX_PLANE_Y] + (size_t)y * (size_t)img->stride[VPX_PLANE_Y];
		bool box_row = y >= by && y < by + bh;

		for (unsigned x = 0; x < w; x++) {
			unsigned v = (x + y / 2 + n * 4) & 0xff;

			if (box_row && x >= bx && x < bx + bw)
				v = 200 + ((x - bx) ^ (y - by)) % 40;
			*rng = *rng * 1664525u + 1013904223u;
			v += *rng >> 29; /* 0..7 */
			row[x] = (uint8_t)MIN(v, 255u);
		}
	}
}

/* Chroma: two slow gradients moving in opposite directions. */
static void picture_chroma(vpx_image_t *img, unsigned n)
{
	unsigned w = (img->d_w + 1) / 2, h = (img->d_h + 1) / 2;

	for (unsigned y = 0; y < h; y++) {
		uint8_t *u = img->planes[VPX_PLANE_U] + (size_t)y * (size_t)img->stride[VPX_PLANE_U];
		uint8_t *v = img->planes[VPX_PLANE_V] + (size_t)y * (size_t)img->stride[VPX_PLANE_V];

		for (unsigned x = 0; x < w; x++) {
			u[x] = (uint8_t)(64 + ((x + n) & 0x7f));
			v[x] = (uint8_t)(64 + ((y + 2 * x - n) & 0x7f));
		}
	}
}

/* ---- VP8 ---------------------------------------------------------------- */

static int video_check(const struct bench_video_params *p, char *msg, size_t msgsize)
{
	if (p->width < 16 || p->width > 3840 || p->width % 2)
		return fail(msg, msgsize, EINVAL, "width must be even and 16..3840, not %u", p->width);
	if (p->height < 16 || p->height > 2160 || p->height % 2)
		return fail(msg, msgsize, EINVAL, "height must be even and 16..2160, not %u",
			    p->height);
	if (p->fps < 1 || p->fps > 120)
		return fail(msg, msgsize, EINVAL, "fps must be 1..120, not %u", p->fps);
	if (p->bitrate_kbps < 50 || p->bitrate_kbps > 50000)
		return fail(msg, msgsize, EINVAL, "bitrate_kbps must be 50..50000, not %u",
			    p->bitrate_kbps);
	if (p->seconds < 1 || p->seconds > 60)
		return fail(msg, msgsize, EINVAL, "seconds must be 1..60, not %u", p->seconds);
	if (p->max_payload < 200 || p->max_payload > 1400)
		return fail(msg, msgsize, EINVAL, "max_payload must be 200..1400, not %zu",
			    p->max_payload);
	return 0;
}

static int vpx_fail(vpx_codec_ctx_t *ctx, char *msg, size_t msgsize, const char *what)
{
	const char *detail = vpx_codec_error_detail(ctx);

	return fail(msg, msgsize, EIO, "libvpx %s: %s%s%s", what, vpx_codec_error(ctx),
		    detail ? ": " : "", detail ? detail : "");
}

static int vp8_open(vpx_codec_ctx_t *ctx, const struct bench_video_params *p, unsigned every,
		    char *msg, size_t msgsize)
{
	vpx_codec_enc_cfg_t cfg;
	vpx_codec_err_t e = vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &cfg, 0);

	if (e)
		return fail(msg, msgsize, EIO, "libvpx config: %s", vpx_codec_err_to_string(e));
	cfg.g_w = p->width;
	cfg.g_h = p->height;
	cfg.g_timebase.num = 1;
	cfg.g_timebase.den = (int)p->fps;
	cfg.g_threads = 1;
	cfg.g_pass = VPX_RC_ONE_PASS;
	cfg.g_lag_in_frames = 0;
	cfg.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
	cfg.rc_end_usage = VPX_CBR;
	cfg.rc_target_bitrate = p->bitrate_kbps;
	cfg.rc_dropframe_thresh = 0; /* no drops; build_add copes if one happens */
	cfg.kf_mode = VPX_KF_AUTO;
	cfg.kf_min_dist = 0;
	cfg.kf_max_dist = every;
	/* A failed init leaves nothing to destroy and no detail worth reading. */
	memset(ctx, 0, sizeof(*ctx));
	e = vpx_codec_enc_init(ctx, vpx_codec_vp8_cx(), &cfg, 0);
	if (e)
		return fail(msg, msgsize, EIO, "libvpx init: %s", vpx_codec_err_to_string(e));
	if (vpx_codec_control(ctx, VP8E_SET_CPUUSED, VP8_CPU_USED)) {
		int err = vpx_fail(ctx, msg, msgsize, "cpu-used");

		vpx_codec_destroy(ctx);
		return err;
	}
	return 0;
}

/* Keeps the frames the encoder has ready. A dropped frame leaves no hole;
 * a pending keyframe request stays until a keyframe comes out. */
static void vp8_collect(vpx_codec_ctx_t *ctx, struct build *b, bool *want_key)
{
	vpx_codec_iter_t it = NULL;
	const vpx_codec_cx_pkt_t *pkt;

	while ((pkt = vpx_codec_get_cx_data(ctx, &it))) {
		bool key;

		if (pkt->kind != VPX_CODEC_CX_FRAME_PKT || pkt->data.frame.sz == 0)
			continue;
		key = (pkt->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
		if (key)
			*want_key = false;
		build_add(b, pkt->data.frame.buf, pkt->data.frame.sz, key);
	}
}

static int vp8_encode_loop(vpx_codec_ctx_t *ctx, vpx_image_t *img,
			   const struct bench_video_params *p, unsigned every, struct build *b,
			   char *msg, size_t msgsize)
{
	unsigned frames = p->fps * p->seconds;
	uint32_t rng = NOISE_SEED;
	bool want_key = false;
	const struct frame *first;

	for (unsigned n = 0; n < frames; n++) {
		if (n % every == 0)
			want_key = true;
		picture_luma(img, n, &rng);
		picture_chroma(img, n);
		if (vpx_codec_encode(ctx, img, n, 1, want_key ? VPX_EFLAG_FORCE_KF : 0,
				     VPX_DL_REALTIME))
			return vpx_fail(ctx, msg, msgsize, "encode");
		vp8_collect(ctx, b, &want_key);
	}
	/* Nothing should be held back with no lag, but collect it if it is. */
	if (vpx_codec_encode(ctx, NULL, frames, 1, 0, VPX_DL_REALTIME))
		return vpx_fail(ctx, msg, msgsize, "flush");
	vp8_collect(ctx, b, &want_key);
	first = b->frames->len ? &g_array_index(b->frames, struct frame, 0) : NULL;
	if (!first || !first->key)
		return fail(msg, msgsize, EIO, "libvpx did not start the loop with a keyframe");
	return 0;
}

int bench_video_make(struct bench_track **out, const struct bench_video_params *p, char *msg,
		     size_t msgsize)
{
	struct build b = {0};
	vpx_codec_ctx_t ctx;
	vpx_image_t *img = NULL;
	unsigned every;
	int err;

	if (!out || !p)
		return fail(msg, msgsize, EINVAL, "no track or no params");
	err = video_check(p, msg, msgsize);
	if (err)
		return err;
	every = p->keyframe_every ? p->keyframe_every : p->fps * 2;
	img = vpx_img_alloc(NULL, VPX_IMG_FMT_I420, p->width, p->height, 16);
	if (!img)
		return fail(msg, msgsize, EIO, "libvpx could not allocate a %ux%u picture",
			    p->width, p->height);
	err = vp8_open(&ctx, p, every, msg, msgsize);
	if (err)
		goto out;
	build_init(&b, (size_t)p->bitrate_kbps * 125 * p->seconds, p->max_payload - VP8_DESC_LEN,
		   true);
	err = vp8_encode_loop(&ctx, img, p, every, &b, msg, msgsize);
	vpx_codec_destroy(&ctx);
	if (!err)
		*out = build_finish(&b, 90000 / p->fps, 1000000 / p->fps, p->fps, 1);
out:
	build_clear(&b);
	vpx_img_free(img);
	return err;
}

/* ---- Opus --------------------------------------------------------------- */

/* 440 Hz on the left, a sweep from 200 Hz to 2 kHz every 4 s on the right,
 * each mixed a little into the other side. */
struct tone {
	double a, b; /* phases */
	uint64_t n;  /* samples so far */
};

static void tone_fill(struct tone *t, int16_t *pcm, unsigned samples)
{
	const double two_pi = 2.0 * G_PI;

	for (unsigned s = 0; s < samples; s++, t->n++) {
		double sec = fmod((double)t->n / 48000.0, 4.0);
		double sa = sin(t->a), sb = sin(t->b);

		pcm[2 * s] = (int16_t)(32767.0 * (0.35 * sa + 0.1 * sb));
		pcm[2 * s + 1] = (int16_t)(32767.0 * (0.1 * sa + 0.35 * sb));
		t->a = fmod(t->a + two_pi * 440.0 / 48000.0, two_pi);
		t->b = fmod(t->b + two_pi * (200.0 + 450.0 * sec) / 48000.0, two_pi);
	}
}

static int audio_check(const struct bench_audio_params *p, char *msg, size_t msgsize)
{
	unsigned ms = p->frame_ms;

	if (p->bitrate_bps < 6000 || p->bitrate_bps > 510000)
		return fail(msg, msgsize, EINVAL, "bitrate_bps must be 6000..510000, not %u",
			    p->bitrate_bps);
	if (p->seconds < 1 || p->seconds > 60)
		return fail(msg, msgsize, EINVAL, "seconds must be 1..60, not %u", p->seconds);
	if (ms != 10 && ms != 20 && ms != 40 && ms != 60)
		return fail(msg, msgsize, EINVAL, "frame_ms must be 10, 20, 40 or 60, not %u", ms);
	return 0;
}

static int opus_encode_loop(OpusEncoder *enc, const struct bench_audio_params *p,
			    struct build *b, char *msg, size_t msgsize)
{
	unsigned spf = 48 * p->frame_ms; /* samples per channel and frame */
	unsigned frames = p->seconds * 1000 / p->frame_ms;
	int16_t *pcm = g_new(int16_t, 2 * (size_t)spf);
	uint8_t pkt[OPUS_MAX_PAYLOAD];
	struct tone tn = {0};
	int err = 0;

	for (unsigned n = 0; n < frames && !err; n++) {
		opus_int32 len;

		tone_fill(&tn, pcm, spf);
		len = opus_encode(enc, pcm, (int)spf, pkt, (opus_int32)sizeof(pkt));
		if (len < 0)
			err = fail(msg, msgsize, EIO, "libopus encode: %s", opus_strerror(len));
		else
			build_add(b, pkt, (size_t)len, true);
	}
	g_free(pcm);
	return err;
}

int bench_audio_make(struct bench_track **out, const struct bench_audio_params *p, char *msg,
		     size_t msgsize)
{
	struct build b = {0};
	OpusEncoder *enc;
	int oerr, err;

	if (!out || !p)
		return fail(msg, msgsize, EINVAL, "no track or no params");
	err = audio_check(p, msg, msgsize);
	if (err)
		return err;
	enc = opus_encoder_create(48000, 2, OPUS_APPLICATION_VOIP, &oerr);
	if (!enc)
		return fail(msg, msgsize, EIO, "libopus create: %s", opus_strerror(oerr));
	oerr = opus_encoder_ctl(enc, OPUS_SET_BITRATE((opus_int32)p->bitrate_bps));
	if (oerr != OPUS_OK) {
		err = fail(msg, msgsize, EIO, "libopus bitrate: %s", opus_strerror(oerr));
		goto out;
	}
	/* One packet per frame whatever its size: chunk is never reached. */
	build_init(&b, (size_t)p->bitrate_bps / 8 * p->seconds, OPUS_MAX_PAYLOAD, false);
	err = opus_encode_loop(enc, p, &b, msg, msgsize);
	if (!err)
		*out = build_finish(&b, 48 * p->frame_ms, 1000 * (int64_t)p->frame_ms, 1000,
				    p->frame_ms);
out:
	build_clear(&b);
	opus_encoder_destroy(enc);
	return err;
}

/* ---- reading a track ---------------------------------------------------- */

unsigned bench_track_frames(const struct bench_track *t)
{
	return t->nframes;
}

uint32_t bench_track_frame_ticks(const struct bench_track *t)
{
	return t->frame_ticks;
}

int64_t bench_track_frame_us(const struct bench_track *t)
{
	return t->frame_us;
}

bool bench_track_keyframe(const struct bench_track *t, unsigned i)
{
	return i < t->nframes && t->frames[i].key;
}

unsigned bench_track_next_keyframe(const struct bench_track *t, unsigned i)
{
	/* Frame 0 is always a keyframe, so this ends within one loop. */
	i %= t->nframes;
	while (!t->frames[i].key)
		i = i + 1 < t->nframes ? i + 1 : 0;
	return i;
}

unsigned bench_track_packets(const struct bench_track *t, unsigned i)
{
	return i < t->nframes ? t->frames[i].packets : 0;
}

uint64_t bench_track_bytes_per_second(const struct bench_track *t)
{
	return t->total * t->rate_num / ((uint64_t)t->nframes * t->rate_den);
}

static void vp8_descriptor_write(uint8_t *d, bool start, uint16_t picture_id)
{
	d[0] = (uint8_t)(0x80 | (start ? 0x10 : 0)); /* X, S, partition 0 */
	d[1] = 0x80;                                  /* I */
	d[2] = (uint8_t)(0x80 | ((picture_id >> 8) & 0x7f));
	d[3] = (uint8_t)(picture_id & 0xff);
}

size_t bench_track_packet(const struct bench_track *t, unsigned i, unsigned k,
			  uint16_t picture_id, uint8_t *buf, size_t cap, bool *marker)
{
	const struct frame *f;
	size_t base, rem, off, len, hdr = t->vp8 ? VP8_DESC_LEN : 0;

	if (marker)
		*marker = false;
	if (i >= t->nframes || k >= t->frames[i].packets)
		return 0;
	/* Packets differ by one byte at most: the first `rem` get one more. */
	f = &t->frames[i];
	base = f->len / f->packets;
	rem = f->len % f->packets;
	off = k * base + MIN(k, rem);
	len = base + (k < rem ? 1 : 0);
	if (cap < hdr + len)
		return 0;
	if (t->vp8)
		vp8_descriptor_write(buf, k == 0, picture_id);
	memcpy(buf + hdr, t->data + f->off + off, len);
	if (marker)
		*marker = t->vp8 && k + 1 == f->packets;
	return hdr + len;
}

/* ---- pacing ------------------------------------------------------------- */

void bench_pacer_init(struct bench_pacer *p, int64_t start_us, int64_t interval_us)
{
	p->start_us = start_us;
	p->interval_us = interval_us > 0 ? interval_us : 1; /* never divide by zero */
	p->next = 0;
}

unsigned bench_pacer_take(struct bench_pacer *p, int64_t now_us, unsigned max_burst)
{
	uint64_t due, n;

	if (now_us < p->start_us)
		return 0;
	due = (uint64_t)((now_us - p->start_us) / p->interval_us) + 1; /* frames 0..due-1 */
	if (due <= p->next)
		return 0;
	n = MIN(due - p->next, (uint64_t)max_burst);
	p->next = due; /* the rest of the backlog is skipped */
	return (unsigned)n;
}

int64_t bench_pacer_wait_us(const struct bench_pacer *p, int64_t now_us)
{
	int64_t at = p->start_us + (int64_t)p->next * p->interval_us;

	return at > now_us ? at - now_us : 0;
}
