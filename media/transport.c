/* transport.c - see transport.h. */
#define LOG_MOD "transport"
#include "media/transport.h"
#include "media/base/counters.h"
#include "media/base/log.h"
#include "media/base/util.h"
#include "media/ice.h"
#include "media/pktbuf.h"
#include "media/rtp.h"
#include "media/srtp.h"

#include <errno.h>
#include <string.h>

struct transport {
	GMainContext *ctx;         /* borrowed */
	struct transport_handlers h;
	void *arg;
	char *name;                /* owned */
	struct ice_agent *ice;     /* owned */
	struct dtls_cert *cert;    /* ref */
	struct dtls_sess *dtls;    /* owned, once the remote fingerprint is known */
	struct srtp_sess *srtp;    /* owned, once DTLS is done */
	enum dtls_role role;
	char *remote_ufrag;        /* owned */
	GPtrArray *local_cands;    /* owned, of char* */
	bool gathered;
	bool ice_up;
	bool closed;
	bool dtls_started;
	bool local_restart;        /* we restarted ICE: the peer's next credentials are new */
	int64_t ice_failed_us;     /* when the check list failed after connecting; 0: not */
	GSource *timeout;          /* owned: connect deadline, then the silence check */
	int64_t last_rx_us;        /* when the peer last sent anything we saw */
	struct transport_stats st;
	unsigned connect_timeout_s;
	unsigned srtp_profiles;
};

static void transport_close(struct transport *t, int err, const char *reason)
{
	if (t->closed)
		return;
	t->closed = true;
	MEDIA_COUNT(transports_failed, 1);
	if (t->timeout) {
		g_source_destroy(t->timeout);
		g_source_unref(t->timeout);
		t->timeout = NULL;
	}
	log_info("[%s] closed: %s", t->name, reason);
	t->h.closed(t->arg, err, reason);
}

/* RFC 7675 gives a peer 30 s: a connected peer that sends nothing at all
 * (no RTP, RTCP or DTLS; browsers send RTCP every second or so) for that
 * long is gone. */
#define SILENCE_US (30 * G_USEC_PER_SEC)

static gboolean on_silence_check(gpointer data)
{
	struct transport *t = data;

	int64_t now = util_now_us();

	if (t->ice_failed_us && now - t->ice_failed_us >= SILENCE_US) {
		/* it may still send to us, but we cannot send to it */
		g_source_unref(t->timeout);
		t->timeout = NULL;
		transport_close(t, ECONNRESET, "ICE failed 30 s ago and was not restarted");
		return G_SOURCE_REMOVE;
	}
	if (now - t->last_rx_us < SILENCE_US)
		return G_SOURCE_CONTINUE;
	g_source_unref(t->timeout);
	t->timeout = NULL;
	transport_close(t, ETIMEDOUT, "the peer has been silent for 30 s");
	return G_SOURCE_REMOVE;
}

static void silence_watch(struct transport *t)
{
	if (t->timeout) {
		g_source_destroy(t->timeout);
		g_source_unref(t->timeout);
	}
	t->last_rx_us = util_now_us();
	t->timeout = g_timeout_source_new_seconds(5);
	g_source_set_callback(t->timeout, on_silence_check, t, NULL);
	g_source_attach(t->timeout, t->ctx);
}

/* --- DTLS handlers ---------------------------------------------------- */

static void on_dtls_send(void *arg, const uint8_t *data, size_t len)
{
	struct transport *t = arg;

	if (ice_agent_send(t->ice, data, len))
		t->st.send_errors++;
}

static int srtp_profile_of(enum dtls_srtp_profile p, enum srtp_profile *out)
{
	if (p == DTLS_SRTP_AEAD_AES_128_GCM)
		*out = SRTP_PROFILE_AEAD_AES_128_GCM;
	else if (p == DTLS_SRTP_AES128_CM_SHA1_80)
		*out = SRTP_PROFILE_AES128_CM_SHA1_80;
	else
		return ENOTSUP;
	return 0;
}

static void on_dtls_connected(void *arg, const struct dtls_srtp_keys *keys)
{
	struct transport *t = arg;
	struct srtp_master local = { .len = keys->key_len + keys->salt_len };
	struct srtp_master remote = { .len = keys->key_len + keys->salt_len };
	enum srtp_profile prof;

	if (srtp_profile_of(keys->profile, &prof) || local.len > sizeof(local.bytes)) {
		transport_close(t, EPROTO, "no SRTP profile negotiated");
		return;
	}
	memcpy(local.bytes, keys->local, local.len);
	memcpy(remote.bytes, keys->remote, remote.len);
	if (srtp_sess_alloc(&t->srtp, prof, &local, &remote)) {
		transport_close(t, EIO, "cannot key SRTP");
		return;
	}
	memset(&local, 0, sizeof(local));
	memset(&remote, 0, sizeof(remote));
	silence_watch(t);
	log_info("[%s] connected (%s, %s)", t->name, dtls_srtp_profile_name(keys->profile),
		 ice_agent_pair_str(t->ice));
	t->h.connected(t->arg);
}

static void on_dtls_failed(void *arg, int err, const char *reason)
{
	struct transport *t = arg;
	char msg[160];

	g_snprintf(msg, sizeof(msg), "DTLS: %s", reason);
	transport_close(t, err, msg);
}

static const struct dtls_handlers dtls_h = {
	.send = on_dtls_send,
	.connected = on_dtls_connected,
	.failed = on_dtls_failed,
};

/* --- ICE handlers ----------------------------------------------------- */

static void on_ice_candidate(void *arg, const char *cand)
{
	struct transport *t = arg;

	g_ptr_array_add(t->local_cands, g_strdup(cand));
	t->h.candidate(t->arg, cand);
}

static void on_ice_gathering_done(void *arg)
{
	struct transport *t = arg;

	t->gathered = true;
	t->h.gathering_done(t->arg);
}

static void dtls_maybe_start(struct transport *t)
{
	if (!t->ice_up || !t->dtls || t->dtls_started)
		return;
	t->dtls_started = true;
	/* A client sends its ClientHello now; a server waits for one (and also
	 * starts on the first record it gets, which may come before ICE tells
	 * us the pair is up). */
	dtls_sess_start(t->dtls);
}

static void on_ice_state(void *arg, enum ice_state st)
{
	struct transport *t = arg;

	if (st == ICE_STATE_CONNECTED) {
		t->ice_up = true;
		t->ice_failed_us = 0;
		dtls_maybe_start(t);
	} else if (st == ICE_STATE_FAILED && !t->ice_up) {
		transport_close(t, ECONNRESET, "ICE failed");
	} else if (st == ICE_STATE_FAILED) {
		/* Once connected, a failed check list (after a restart while the
		 * path is down) is not the end: the peer may restart again; the
		 * silence rule closes the transport if it never comes back. */
		MEDIA_COUNT(ice_failures, 1);
		if (!t->ice_failed_us)
			t->ice_failed_us = util_now_us();
		log_info("[%s] ICE failed; waiting for the peer to restart", t->name);
	}
}

static void on_ice_recv(void *arg, uint8_t *buf, size_t len)
{
	struct transport *t = arg;
	struct pktbuf *p;

	t->st.bytes_in += len;
	MEDIA_COUNT(bytes_in, len);
	t->last_rx_us = util_now_us();
	enum rtp_class cls = rtp_classify(buf, len);

	if (cls == RTP_CLASS_DTLS) {
		if (t->dtls)
			dtls_sess_recv(t->dtls, buf, len);
		else
			t->st.dropped++;
		MEDIA_COUNT(dropped, 1);
		return;
	}
	if ((cls != RTP_CLASS_RTP && cls != RTP_CLASS_RTCP) || !t->srtp || t->closed ||
	    len > PKTBUF_CAP) {
		t->st.dropped++;
		MEDIA_COUNT(dropped, 1);
		return;
	}
	if (cls == RTP_CLASS_RTCP) {
		/* libsrtp reads words: unprotect in an aligned copy */
		_Alignas(8) uint8_t rtcp[PKTBUF_CAP];

		memcpy(rtcp, buf, len);
		if (srtp_sess_unprotect_rtcp(t->srtp, rtcp, &len)) {
			t->st.srtp_errors++;
			MEDIA_COUNT(srtp_errors, 1);
			return;
		}
		t->st.rtcp_in++;
		MEDIA_COUNT(rtcp_in, 1);
		t->h.rtcp(t->arg, rtcp, len);
		return;
	}
	p = pktbuf_alloc();
	memcpy(p->data, buf, len);
	p->len = len;
	if (srtp_sess_unprotect_rtp(t->srtp, p->data, &p->len)) {
		t->st.srtp_errors++;
		MEDIA_COUNT(srtp_errors, 1);
	} else {
		int64_t at = 0;

		t->st.rtp_in++;
		MEDIA_COUNT(rtp_in, 1);
		/* copies sent from the handler count their delay from here */
		(void)ice_agent_rx_time(t->ice, &at);
		media_arrival_set(at);
		t->h.rtp(t->arg, p); /* nothing of t is used after the handler */
		media_arrival_set(0);
	}
	pktbuf_unref(p);
}

static const struct ice_handlers ice_h = {
	.candidate = on_ice_candidate,
	.gathering_done = on_ice_gathering_done,
	.state = on_ice_state,
	.recv = on_ice_recv,
};

/* --- public ----------------------------------------------------------- */

static gboolean on_timeout(gpointer data)
{
	struct transport *t = data;

	g_source_unref(t->timeout);
	t->timeout = NULL;
	transport_close(t, ETIMEDOUT, t->ice_up ? "DTLS did not complete in time" :
						  "ICE did not connect in time");
	return G_SOURCE_REMOVE;
}

int transport_alloc(struct transport **out, const struct transport_params *p,
		    const struct transport_handlers *h, void *arg)
{
	struct transport *t = g_new0(struct transport, 1);
	struct ice_params ip = {
		.ctx = p->ctx,
		.controlling = p->ice_controlling,
		.local_addrs = p->local_addrs,
		.port_min = p->port_min,
		.port_max = p->port_max,
		.public_ip = p->public_ip,
		.rx_stamps = p->rx_stamps,
		.lane = p->lane,
		.mux = p->mux,
	};
	int err;

	t->ctx = p->ctx;
	t->h = *h;
	t->arg = arg;
	t->name = g_strdup(p->name ? p->name : "transport");
	t->cert = dtls_cert_ref(p->cert);
	t->local_cands = g_ptr_array_new_with_free_func(g_free);
	t->connect_timeout_s = p->connect_timeout_s ? p->connect_timeout_s : 20;
	t->srtp_profiles = p->srtp_profiles;
	err = ice_agent_alloc(&t->ice, &ip, &ice_h, t);
	if (err) {
		transport_free(t);
		return err;
	}
	*out = t;
	return 0;
}

void transport_free(struct transport *t)
{
	if (!t)
		return;
	if (t->timeout) {
		g_source_destroy(t->timeout);
		g_source_unref(t->timeout);
	}
	dtls_sess_free(t->dtls);
	ice_agent_free(t->ice);
	srtp_sess_free(t->srtp);
	dtls_cert_unref(t->cert);
	g_ptr_array_free(t->local_cands, TRUE);
	g_free(t->remote_ufrag);
	g_free(t->name);
	g_free(t);
}

int transport_gather(struct transport *t)
{
	return ice_agent_gather(t->ice);
}

bool transport_ice_lite(const struct transport *t)
{
	return ice_agent_is_lite(t->ice);
}

void transport_set_remote_lite(struct transport *t)
{
	ice_agent_set_remote_lite(t->ice);
}

const char *transport_ice_ufrag(const struct transport *t)
{
	return ice_agent_ufrag(t->ice);
}

const char *transport_ice_pwd(const struct transport *t)
{
	return ice_agent_pwd(t->ice);
}

const char *const *transport_local_candidates(const struct transport *t, unsigned *n)
{
	*n = t->local_cands->len;
	return (const char *const *)t->local_cands->pdata;
}

bool transport_gathering_done(const struct transport *t)
{
	return t->gathered;
}

static int dtls_create(struct transport *t, const char *fp_alg, const uint8_t *fp,
		       size_t fp_len, enum dtls_role role)
{
	struct dtls_sess_params dp = {
		.role = role,
		.fp_alg = fp_alg,
		.fp = fp,
		.fp_len = fp_len,
		.ctx = t->ctx,
		.handshake_timeout_ms = t->connect_timeout_s * 1000,
		.srtp_profiles = t->srtp_profiles,
		.name = t->name,
	};
	int err = dtls_sess_alloc(&t->dtls, t->cert, &dp, &dtls_h, t);

	if (err)
		return err;
	t->role = role;
	dtls_maybe_start(t);
	return 0;
}

/* New credentials of the peer: the first ones, the answer to our restart,
 * or a restart by the peer (then ours restarts too). */
static int remote_ice_take(struct transport *t, const char *ufrag, const char *pwd)
{
	int err = 0;

	if (t->remote_ufrag && t->local_restart) {
		log_info("[%s] the peer follows our ICE restart", t->name);
		t->local_restart = false;
	} else if (t->remote_ufrag) {
		log_info("[%s] ICE restart by the peer", t->name);
		err = transport_restart_ice(t);
	}
	if (!err)
		err = ice_agent_set_remote_credentials(t->ice, ufrag, pwd);
	if (err)
		return err;
	g_free(t->remote_ufrag);
	t->remote_ufrag = g_strdup(ufrag);
	return 0;
}

int transport_set_remote(struct transport *t, const char *ufrag, const char *pwd,
			 const char *fp_alg, const uint8_t *fp, size_t fp_len,
			 enum dtls_role role)
{
	int err;

	if (!t->remote_ufrag || strcmp(t->remote_ufrag, ufrag) != 0) {
		err = remote_ice_take(t, ufrag, pwd);
		if (err)
			return err;
	}
	if (t->dtls)
		return role == t->role ? 0 : EPROTO;
	/* The connect deadline runs from when both sides' parameters are known:
	 * a subscriber may take its time to answer our offer. */
	t->timeout = g_timeout_source_new_seconds(t->connect_timeout_s);
	g_source_set_callback(t->timeout, on_timeout, t, NULL);
	g_source_attach(t->timeout, t->ctx);
	return dtls_create(t, fp_alg, fp, fp_len, role);
}

int transport_set_remote_ice(struct transport *t, const char *ufrag, const char *pwd,
			     bool *restarted)
{
	int err;

	*restarted = false;
	if (!t->remote_ufrag)
		return ENOTCONN;
	if (strcmp(t->remote_ufrag, ufrag) == 0)
		return 0;
	err = remote_ice_take(t, ufrag, pwd);
	if (err)
		return err;
	*restarted = true;
	return 0;
}

int transport_add_remote_candidate(struct transport *t, const char *cand)
{
	return ice_agent_add_remote_candidate(t->ice, cand);
}

void transport_remote_gathering_done(struct transport *t)
{
	ice_agent_remote_gathering_done(t->ice);
}

int transport_restart_ice_local(struct transport *t)
{
	int err;

	if (t->closed)
		return ENOTCONN;
	log_info("[%s] ICE restart by us", t->name);
	err = transport_restart_ice(t);
	/* Without remote credentials yet, the first ones are simply taken; a
	 * flag left set would mistake a later restart by the peer for ours. */
	if (!err && t->remote_ufrag)
		t->local_restart = true;
	return err;
}

int transport_restart_ice(struct transport *t)
{
	/* the agent hands its candidates again, with the new credentials */
	g_ptr_array_set_size(t->local_cands, 0);
	t->ice_failed_us = 0; /* a new chance */
	MEDIA_COUNT(ice_restarts, 1);
	return ice_agent_restart(t->ice);
}

int transport_rx_time(const struct transport *t, int64_t *unix_us)
{
	int64_t at = media_arrival(); /* in the RTP handler: read for it already */

	if (at) {
		*unix_us = at;
		return 0;
	}
	return ice_agent_rx_time(t->ice, unix_us);
}

bool transport_connected(const struct transport *t)
{
	return t->srtp && !t->closed;
}

/* Protects one packet in place and sends it on the selected pair. */
static int send_protected(struct transport *t, uint8_t *buf, size_t len, size_t cap, bool rtcp)
{
	int64_t at = media_arrival();
	int err;

	if (!t->srtp || t->closed)
		return ENOTCONN;
	err = rtcp ? srtp_sess_protect_rtcp(t->srtp, buf, &len, cap) :
		     srtp_sess_protect_rtp(t->srtp, buf, &len, cap);
	if (!err) {
		if (rtcp)
			media_arrival_set(0); /* feedback sent while forwarding is no copy */
		err = ice_agent_send(t->ice, buf, len);
		media_arrival_set(at);
	}
	if (err) {
		t->st.send_errors++;
		MEDIA_COUNT(send_errors, 1);
		return err;
	}
	if (rtcp) {
		t->st.rtcp_out++;
		MEDIA_COUNT(rtcp_out, 1);
	} else {
		t->st.rtp_out++;
		MEDIA_COUNT(rtp_out, 1);
	}
	t->st.bytes_out += len;
	MEDIA_COUNT(bytes_out, len);
	return 0;
}

int transport_send_rtp(struct transport *t, uint8_t *buf, size_t len, size_t cap)
{
	return send_protected(t, buf, len, cap, false);
}

int transport_send_rtcp(struct transport *t, uint8_t *buf, size_t len, size_t cap)
{
	return send_protected(t, buf, len, cap, true);
}

void transport_stats(const struct transport *t, struct transport_stats *out)
{
	*out = t->st;
}

const char *transport_srtp_profile(const struct transport *t)
{
	if (!t->srtp)
		return "none";
	return srtp_sess_profile(t->srtp) == SRTP_PROFILE_AEAD_AES_128_GCM ?
		       "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80";
}
