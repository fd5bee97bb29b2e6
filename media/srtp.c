/* srtp.c - see srtp.h. */
#define LOG_MOD "srtp"
#include "media/srtp.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "media/base/log.h"
#include "media/srtp_ossl.h"

/* Replay window (inbound) and repeat window (outbound, for NACK answers), in
 * packets per SSRC; Chromium uses the same. libsrtp2 keeps it as a bitmask
 * that it shifts for every new packet, so a larger window costs time on every
 * packet: the maximum (32767) measured 0.1-0.3 us more per protect than 1024,
 * while 128 to 4096 cost the same. */
#define SESS_WINDOW 1024

#define RTP_HDR_MIN 12
#define RTCP_HDR_MIN 8
#define SRTCP_INDEX_LEN 4

struct profile_info {
	enum srtp_profile p;
	const char *name;
	size_t key_len;
	size_t salt_len;
	size_t rtp_tag;
	size_t rtcp_tag; /* RFC 5764 4.1.2: 80 bits for both AES-CM profiles */
};

static const struct profile_info profiles[] = {
	{ SRTP_PROFILE_AES128_CM_SHA1_80, "SRTP_AES128_CM_SHA1_80", 16, 14, 10, 10 },
	{ SRTP_PROFILE_AES128_CM_SHA1_32, "SRTP_AES128_CM_SHA1_32", 16, 14, 4, 10 },
	{ SRTP_PROFILE_AEAD_AES_128_GCM, "SRTP_AEAD_AES_128_GCM", 16, 12, 16, 16 },
};

struct srtp_sess {
	srtp_t tx; /* owned: local key, any outbound SSRC, repeats allowed */
	srtp_t rx; /* owned: remote key, any inbound SSRC */
	const struct profile_info *info; /* borrowed: static */
};

static const struct profile_info *profile_find(enum srtp_profile p)
{
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		if (profiles[i].p == p)
			return &profiles[i];
	}
	return NULL;
}

/* ---- process set-up ---- */

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static int lib_err;

/* libsrtp2's reports (key usage limits, crypto failures); it writes nothing
 * per packet unless its debug modules are switched on. */
static void lib_log(srtp_log_level_t level, const char *msg, void *data)
{
	int n = (int)strcspn(msg, "\n");

	(void)data;
	switch (level) {
	case srtp_log_level_error:
		log_err("libsrtp2: %.*s", n, msg);
		break;
	case srtp_log_level_warning:
		log_warn("libsrtp2: %.*s", n, msg);
		break;
	default:
		log_debug("libsrtp2: %.*s", n, msg);
		break;
	}
}

static void lib_run(void)
{
	srtp_err_status_t st;

	srtp_install_log_handler(lib_log, NULL);
	st = srtp_init();
	if (st != srtp_err_status_ok) {
		log_err("srtp_init failed (status %d)", (int)st);
		lib_err = EIO;
	}
}

int srtp_lib_init(void)
{
	pthread_once(&lib_once, lib_run);
	return lib_err;
}

int srtp_global_init(void)
{
	int err = srtp_lib_init();

	return err ? err : srtp_ossl_install();
}

/* ---- profiles and keys ---- */

int srtp_profile_from_id(unsigned long id, enum srtp_profile *out)
{
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		if ((unsigned long)profiles[i].p == id) {
			*out = profiles[i].p;
			return 0;
		}
	}
	return ENOTSUP;
}

const char *srtp_profile_name(enum srtp_profile p)
{
	const struct profile_info *pi = profile_find(p);

	return pi ? pi->name : "?";
}

size_t srtp_profile_material_len(enum srtp_profile p)
{
	const struct profile_info *pi = profile_find(p);

	return pi ? 2 * (pi->key_len + pi->salt_len) : 0;
}

int srtp_material_split(enum srtp_profile p, const uint8_t *material, size_t len,
			bool local_is_client, struct srtp_master *local,
			struct srtp_master *remote)
{
	const struct profile_info *pi = profile_find(p);
	struct srtp_master *client = local_is_client ? local : remote;
	struct srtp_master *server = local_is_client ? remote : local;
	size_t k, s;

	if (!pi || !material || !local || !remote || len != srtp_profile_material_len(p))
		return EINVAL;
	k = pi->key_len;
	s = pi->salt_len;
	/* client key | server key | client salt | server salt */
	memcpy(client->bytes, material, k);
	memcpy(server->bytes, material + k, k);
	memcpy(client->bytes + k, material + 2 * k, s);
	memcpy(server->bytes + k, material + 2 * k + s, s);
	client->len = server->len = k + s;
	return 0;
}

/* ---- sessions ---- */

static int ctx_make(srtp_t *out, const struct profile_info *pi, const struct srtp_master *m,
		    srtp_ssrc_type_t dir)
{
	srtp_policy_t pol;
	uint8_t key[SRTP_MASTER_MAX];
	srtp_err_status_t st;

	memset(&pol, 0, sizeof(pol));
	if (srtp_crypto_policy_set_from_profile_for_rtp(&pol.rtp, (srtp_profile_t)pi->p) ||
	    srtp_crypto_policy_set_from_profile_for_rtcp(&pol.rtcp, (srtp_profile_t)pi->p))
		return EINVAL;
	memcpy(key, m->bytes, m->len);
	pol.ssrc.type = dir;
	pol.key = key;
	pol.window_size = SESS_WINDOW;
	pol.allow_repeat_tx = dir == ssrc_any_outbound;
	st = srtp_create(out, &pol);
	explicit_bzero(key, sizeof(key));
	if (st == srtp_err_status_ok)
		return 0;
	log_err("srtp_create failed (status %d)", (int)st);
	return st == srtp_err_status_alloc_fail ? ENOMEM : EIO;
}

int srtp_sess_alloc(struct srtp_sess **out, enum srtp_profile p,
		    const struct srtp_master *local, const struct srtp_master *remote)
{
	const struct profile_info *pi = profile_find(p);
	struct srtp_sess *s;
	int err;

	if (!out || !pi || !local || !remote)
		return EINVAL;
	if (local->len != pi->key_len + pi->salt_len || remote->len != local->len)
		return EINVAL;
	err = srtp_lib_init();
	if (err)
		return err;
	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	s->info = pi;
	err = ctx_make(&s->tx, pi, local, ssrc_any_outbound);
	if (!err)
		err = ctx_make(&s->rx, pi, remote, ssrc_any_inbound);
	if (err) {
		srtp_sess_free(s);
		return err;
	}
	*out = s;
	return 0;
}

void srtp_sess_free(struct srtp_sess *s)
{
	if (!s)
		return;
	/* libsrtp2 wipes the session keys it derived as it frees them. */
	if (s->tx)
		srtp_dealloc(s->tx);
	if (s->rx)
		srtp_dealloc(s->rx);
	free(s);
}

enum srtp_profile srtp_sess_profile(const struct srtp_sess *s)
{
	return s->info->p;
}

/* ---- packets ---- */

/* The length of the RTP header (CSRCs and extension included) at buf, or 0
 * when buf[0..len) does not hold a whole version-2 header. libsrtp2 2.5
 * checks this too; checking first keeps a malformed packet away from it. */
static size_t rtp_header_len(const uint8_t *buf, size_t len)
{
	size_t n = RTP_HDR_MIN;

	if (len < RTP_HDR_MIN || buf[0] >> 6 != 2)
		return 0;
	n += 4 * (size_t)(buf[0] & 0x0f);
	if (buf[0] & 0x10) {
		if (len < n + 4)
			return 0;
		n += 4 + 4 * ((size_t)buf[n + 2] << 8 | buf[n + 3]);
	}
	return n <= len ? n : 0;
}

/* errno for a libsrtp2 status. `inbound`: the bytes came from the network,
 * so whatever libsrtp2 did not like about them (shape, tag, an SRTCP packet
 * sent unencrypted, ...) is EBADMSG: the caller counts and drops it. */
static int err_from(srtp_err_status_t st, bool inbound)
{
	switch (st) {
	case srtp_err_status_ok:
		return 0;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		return EALREADY;
	case srtp_err_status_key_expired:
		return EKEYEXPIRED;
	case srtp_err_status_alloc_fail:
		return ENOMEM;
	case srtp_err_status_bad_param:
	case srtp_err_status_parse_err:
		return inbound ? EBADMSG : EINVAL;
	default:
		return inbound ? EBADMSG : EIO;
	}
}

int srtp_sess_protect_rtp(struct srtp_sess *s, uint8_t *buf, size_t *len, size_t cap)
{
	int n, err;

	if (!s || !buf || !len || *len > INT_MAX - SRTP_TRAILER_MAX)
		return EINVAL;
	if (rtp_header_len(buf, *len) == 0)
		return EINVAL;
	if (cap < *len || cap - *len < s->info->rtp_tag)
		return ENOSPC;
	n = (int)*len;
	err = err_from(srtp_protect(s->tx, buf, &n), false);
	if (!err)
		*len = (size_t)n;
	return err;
}

int srtp_sess_unprotect_rtp(struct srtp_sess *s, uint8_t *buf, size_t *len)
{
	int n, err;

	if (!s || !buf || !len)
		return EINVAL;
	if (*len > INT_MAX || *len < s->info->rtp_tag)
		return EBADMSG;
	if (rtp_header_len(buf, *len - s->info->rtp_tag) == 0)
		return EBADMSG;
	n = (int)*len;
	err = err_from(srtp_unprotect(s->rx, buf, &n), true);
	if (!err)
		*len = (size_t)n;
	return err;
}

int srtp_sess_protect_rtcp(struct srtp_sess *s, uint8_t *buf, size_t *len, size_t cap)
{
	size_t trailer;
	int n, err;

	if (!s || !buf || !len || *len > INT_MAX - SRTP_TRAILER_MAX)
		return EINVAL;
	if (*len < RTCP_HDR_MIN || buf[0] >> 6 != 2)
		return EINVAL;
	trailer = SRTCP_INDEX_LEN + s->info->rtcp_tag;
	if (cap < *len || cap - *len < trailer)
		return ENOSPC;
	n = (int)*len;
	err = err_from(srtp_protect_rtcp(s->tx, buf, &n), false);
	if (!err)
		*len = (size_t)n;
	return err;
}

int srtp_sess_unprotect_rtcp(struct srtp_sess *s, uint8_t *buf, size_t *len)
{
	int n, err;

	if (!s || !buf || !len)
		return EINVAL;
	if (*len > INT_MAX || *len < RTCP_HDR_MIN + SRTCP_INDEX_LEN + s->info->rtcp_tag ||
	    buf[0] >> 6 != 2)
		return EBADMSG;
	n = (int)*len;
	err = err_from(srtp_unprotect_rtcp(s->rx, buf, &n), true);
	if (!err)
		*len = (size_t)n;
	return err;
}
