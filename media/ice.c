/* ice.c - see ice.h. */
#define LOG_MOD "ice"
#include "media/ice.h"

#include "media/base/counters.h"
#include "media/base/log.h"
#include "media/lanes.h"
#include "media/udpmux.h"

#include <agent.h>
#include <openssl/rand.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

/* Kernel buffers of the selected socket: the default (~208 KiB, about 80
 * full-size datagrams on loopback) overflows when a publisher sends a
 * keyframe in one burst while the worker is busy. The kernel caps this at
 * net.core.rmem_max / wmem_max. */
#define ICE_SOCKET_BUFFER (4 * 1024 * 1024)

struct ice_agent {
	NiceAgent *agent;      /* owned; NULL when lite */
	struct udpmux *mux;    /* borrowed; NULL for full ICE */
	struct udpmux_ep *ep;  /* owned, when lite */
	guint stream;
	GMainContext *ctx;     /* borrowed */
	struct ice_handlers h;
	void *arg;
	gchar *ufrag;          /* owned */
	gchar *pwd;            /* owned */
	char *public_ip;       /* owned, may be NULL */
	GPtrArray *local_cands;/* owned, of char*: replayed after a restart */
	bool gathered;
	enum ice_state state;
	char pair[160];
	/* The selected pair's UDP socket and peer address: media goes out with
	 * one sendto() instead of libnice's send path (its agent lock, GIO
	 * message, and GObject checks cost about 1.5 us per packet). NULL for
	 * a relayed or TCP pair, which keeps libnice's path. */
	GSocket *direct;       /* ref */
	int direct_fd;         /* its descriptor (no GObject call per packet) */
	bool rx_stamps;
	struct timespec last_stamp; /* the last SIOCGSTAMPNS answer */
	struct lane *lane;     /* borrowed, NULL: sendto here */
	/* Our own duplicate of direct_fd for the lane's worker, -1 none: libnice
	 * closes its sockets when a stream goes (whatever the GSocket's
	 * references), and datagrams queued in the lane must not reach a
	 * closed descriptor or one that got the same number since. */
	int lane_fd;
	struct sockaddr_storage direct_to;
	socklen_t direct_len;
};

static void direct_clear(struct ice_agent *a)
{
	if (a->lane_fd >= 0)
		lane_release(a->lane, a->lane_fd); /* closed after the datagrams queued on it */
	a->lane_fd = -1;
	if (a->direct)
		g_object_unref(a->direct);
	a->direct = NULL;
}

static void state_set(struct ice_agent *a, enum ice_state st)
{
	if (a->state == st)
		return;
	a->state = st;
	a->h.state(a->arg, st);
}

static void refresh_credentials(struct ice_agent *a)
{
	g_free(a->ufrag);
	g_free(a->pwd);
	a->ufrag = a->pwd = NULL;
	nice_agent_get_local_credentials(a->agent, a->stream, &a->ufrag, &a->pwd);
}

/* "candidate:f 1 udp prio ADDR port typ host ..." with ADDR replaced by the
 * announced public address for host candidates (NAT 1:1). */
static char *announce(const struct ice_agent *a, const char *line)
{
	gchar **tok;
	char *out;

	if (!a->public_ip || !strstr(line, " typ host"))
		return g_strdup(line);
	tok = g_strsplit(line, " ", -1);
	if (g_strv_length(tok) < 8) {
		g_strfreev(tok);
		return g_strdup(line);
	}
	g_free(tok[4]);
	tok[4] = g_strdup(a->public_ip);
	out = g_strjoinv(" ", tok);
	g_strfreev(tok);
	return out;
}

static void on_new_candidate(NiceAgent *agent, NiceCandidate *c, gpointer data)
{
	struct ice_agent *a = data;
	gchar *sdp = nice_agent_generate_local_candidate_sdp(agent, c);
	const char *line;
	char *out;

	if (!sdp)
		return;
	line = g_str_has_prefix(sdp, "a=") ? sdp + 2 : sdp;
	out = announce(a, line);
	g_ptr_array_add(a->local_cands, g_strdup(out));
	a->h.candidate(a->arg, out);
	g_free(out);
	g_free(sdp);
}

static void on_gathering_done(NiceAgent *agent, guint stream, gpointer data)
{
	struct ice_agent *a = data;

	a->gathered = true;
	a->h.gathering_done(a->arg);
}

static void on_component_state(NiceAgent *agent, guint stream, guint comp, guint st,
			       gpointer data)
{
	struct ice_agent *a = data;

	switch (st) {
	case NICE_COMPONENT_STATE_CONNECTING:
		if (a->state == ICE_STATE_NEW)
			state_set(a, ICE_STATE_CHECKING);
		break;
	case NICE_COMPONENT_STATE_CONNECTED:
	case NICE_COMPONENT_STATE_READY:
		state_set(a, ICE_STATE_CONNECTED);
		break;
	case NICE_COMPONENT_STATE_FAILED:
		state_set(a, ICE_STATE_FAILED);
		break;
	case NICE_COMPONENT_STATE_DISCONNECTED:
		if (a->state == ICE_STATE_CONNECTED)
			state_set(a, ICE_STATE_DISCONNECTED);
		break;
	default:
		break;
	}
}

/* Says once per process when net.core.rmem_max kept the receive buffer
 * small (the kernel reports twice the size it grants). */
static void buffer_check(int fd)
{
	static gint warned;
	int got = 0;
	socklen_t len = sizeof(got);

	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) || got >= ICE_SOCKET_BUFFER ||
	    !g_atomic_int_compare_and_exchange(&warned, 0, 1))
		return;
	log_warn("media socket receive buffers are capped at %d KiB (net.core.rmem_max): "
		 "keyframe bursts may be dropped; raise it to %d (sysctl)", got / 2 / 1024,
		 ICE_SOCKET_BUFFER);
}

/* Bigger kernel buffers on the selected socket, and the direct send path
 * (see struct ice_agent) when the pair is plain UDP. */
static void selected_socket(struct ice_agent *a, guint comp, const NiceCandidate *l,
			    const NiceCandidate *r)
{
	GSocket *sock = nice_agent_get_selected_socket(a->agent, a->stream, comp);
	int size = ICE_SOCKET_BUFFER;

	direct_clear(a);
	if (!sock)
		return;
	if (setsockopt(g_socket_get_fd(sock), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) ||
	    setsockopt(g_socket_get_fd(sock), SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)))
		log_debug("cannot set the socket buffers: %s", g_strerror(errno));
	buffer_check(g_socket_get_fd(sock));
	if (l->type == NICE_CANDIDATE_TYPE_RELAYED || l->transport != NICE_CANDIDATE_TRANSPORT_UDP ||
	    g_socket_get_protocol(sock) != G_SOCKET_PROTOCOL_UDP) {
		g_object_unref(sock);
		return;
	}
	memset(&a->direct_to, 0, sizeof(a->direct_to));
	nice_address_copy_to_sockaddr(&r->addr, (struct sockaddr *)&a->direct_to);
	a->direct_len = a->direct_to.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
							      sizeof(struct sockaddr_in);
	a->direct = sock;
	a->direct_fd = g_socket_get_fd(sock);
	if (a->lane) {
		a->lane_fd = fcntl(a->direct_fd, F_DUPFD_CLOEXEC, 0);
		if (a->lane_fd < 0)
			log_warn("cannot duplicate a media socket (%s): sending on this worker",
				 g_strerror(errno));
	}
	if (a->rx_stamps) { /* the kernel stamps from the first query on */
		struct timespec ts;

		(void)ioctl(g_socket_get_fd(sock), SIOCGSTAMPNS, &ts);
	}
}

static void on_selected_pair(NiceAgent *agent, guint stream, guint comp, NiceCandidate *l,
			     NiceCandidate *r, gpointer data)
{
	struct ice_agent *a = data;
	char la[NICE_ADDRESS_STRING_LEN], ra[NICE_ADDRESS_STRING_LEN];

	/* The candidates belong to the agent: copy what is kept. */
	nice_address_to_string(&l->addr, la);
	nice_address_to_string(&r->addr, ra);
	g_snprintf(a->pair, sizeof(a->pair), "%s:%u <-> %s:%u", la,
		   nice_address_get_port(&l->addr), ra, nice_address_get_port(&r->addr));
	log_debug("selected pair %s", a->pair);
	selected_socket(a, comp, l, r);
}

static void on_recv(NiceAgent *agent, guint stream, guint comp, guint len, gchar *buf,
		    gpointer data)
{
	struct ice_agent *a = data;

	a->h.recv(a->arg, (uint8_t *)buf, len);
}

static int add_local_addrs(struct ice_agent *a, const char *const *addrs)
{
	for (; addrs && *addrs; addrs++) {
		NiceAddress addr;

		nice_address_init(&addr);
		if (!nice_address_set_from_string(&addr, *addrs)) {
			log_err("not an IP address: %s", *addrs);
			return EINVAL;
		}
		if (!nice_agent_add_local_address(a->agent, &addr))
			return EINVAL;
	}
	return 0;
}

static void agent_configure(struct ice_agent *a, const struct ice_params *p)
{
	g_object_set(a->agent, "upnp", FALSE, "ice-tcp", FALSE, "ice-udp", TRUE,
		     "controlling-mode", p->controlling, NULL);
	if (p->stun_host && *p->stun_host)
		g_object_set(a->agent, "stun-server", p->stun_host, "stun-server-port",
			     p->stun_port ? p->stun_port : 3478, NULL);
	g_signal_connect(a->agent, "new-candidate-full", G_CALLBACK(on_new_candidate), a);
	g_signal_connect(a->agent, "candidate-gathering-done", G_CALLBACK(on_gathering_done), a);
	g_signal_connect(a->agent, "component-state-changed", G_CALLBACK(on_component_state), a);
	g_signal_connect(a->agent, "new-selected-pair-full", G_CALLBACK(on_selected_pair), a);
}

/* After a restart the peer needs our candidates again, with the new
 * credentials: hands them (and the end of them) to the handlers again. */
static void replay_candidates(struct ice_agent *a)
{
	GPtrArray *cands = a->local_cands;

	a->local_cands = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < cands->len; i++) {
		g_ptr_array_add(a->local_cands, g_strdup(g_ptr_array_index(cands, i)));
		a->h.candidate(a->arg, g_ptr_array_index(cands, i));
	}
	g_ptr_array_free(cands, TRUE);
	if (a->gathered)
		a->h.gathering_done(a->arg);
}

/* --- ICE-lite on a worker's port (media/udpmux.h) -------------------------- */

/* `n` random ice-chars (RFC 8839 §5.4): 6 bits of randomness each. */
static int random_ice_chars(char *out, size_t n)
{
	static const char set[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t r[64];

	if (n >= sizeof(r) || RAND_bytes(r, (int)n) != 1)
		return EIO;
	for (size_t i = 0; i < n; i++)
		out[i] = set[r[i] & 63];
	out[n] = '\0';
	return 0;
}

/* Fresh credentials: 16 chars of ufrag (96 bits, unique on the mux), 24 of
 * password (144 bits; RFC 8445 asks for at least 128). */
static int lite_credentials(struct ice_agent *a)
{
	char ufrag[17], pwd[25];
	int err = EEXIST;

	for (int i = 0; i < 4 && err == EEXIST; i++) {
		if (random_ice_chars(ufrag, 16) || random_ice_chars(pwd, 24))
			return EIO;
		err = a->ep ? udpmux_ep_restart(a->ep, ufrag, pwd) : 0;
	}
	if (err)
		return err;
	g_free(a->ufrag);
	g_free(a->pwd);
	a->ufrag = g_strdup(ufrag);
	a->pwd = g_strdup(pwd);
	return 0;
}

static void lite_on_recv(void *arg, uint8_t *buf, size_t len)
{
	struct ice_agent *a = arg;

	a->h.recv(a->arg, buf, len);
}

static void lite_on_selected(void *arg)
{
	struct ice_agent *a = arg;

	g_strlcpy(a->pair, udpmux_ep_pair_str(a->ep), sizeof(a->pair));
	log_debug("selected pair %s", a->pair);
	state_set(a, ICE_STATE_CONNECTED);
}

static const struct udpmux_ep_handlers lite_h = {
	.recv = lite_on_recv,
	.selected = lite_on_selected,
};

static int lite_alloc(struct ice_agent *a)
{
	int err = EEXIST;

	for (int i = 0; i < 4 && err == EEXIST; i++) {
		err = lite_credentials(a);
		if (!err)
			err = udpmux_ep_alloc(&a->ep, a->mux, a->ufrag, a->pwd, &lite_h, a);
	}
	return err;
}

/* Our host candidates: one per socket of the mux, on its port. */
static void lite_gather(struct ice_agent *a)
{
	for (unsigned i = 0; i < udpmux_n_local(a->mux); i++) {
		/* RFC 8445 §5.1.2.1: host type preference 126, the first address preferred */
		uint32_t prio = (126u << 24) | ((65535u - i) << 8) | 255u;
		char *line = g_strdup_printf("candidate:%u 1 udp %u %s %u typ host", i + 1, prio,
					     udpmux_local_addr(a->mux, i), udpmux_port(a->mux));
		char *out = announce(a, line);

		g_ptr_array_add(a->local_cands, g_strdup(out));
		a->h.candidate(a->arg, out);
		g_free(out);
		g_free(line);
	}
	a->gathered = true;
	a->h.gathering_done(a->arg);
}

static int lite_send(struct ice_agent *a, const uint8_t *buf, size_t len)
{
	const struct sockaddr *to;
	socklen_t tolen;
	int fd, err;

	/* The mux's socket lives as long as the worker pool: no dup needed. */
	if (a->lane && udpmux_ep_dest(a->ep, &fd, &to, &tolen) == 0 &&
	    lane_send(a->lane, fd, to, tolen, buf, len) == 0)
		return 0; /* its delay counts when the lane's worker sends it */
	err = udpmux_ep_send(a->ep, buf, len);
	if (!err)
		media_delay_sent();
	return err;
}

static int lite_restart(struct ice_agent *a)
{
	int err = lite_credentials(a);

	if (err)
		return err;
	/* Media goes on over the selected path until the peer nominates one
	 * with the new credentials: the state stays as it is. */
	replay_candidates(a);
	return 0;
}

int ice_agent_alloc(struct ice_agent **out, const struct ice_params *p,
		    const struct ice_handlers *h, void *arg)
{
	struct ice_agent *a = g_new0(struct ice_agent, 1);
	int err;

	a->ctx = p->ctx;
	a->h = *h;
	a->arg = arg;
	a->public_ip = p->public_ip && *p->public_ip ? g_strdup(p->public_ip) : NULL;
	a->rx_stamps = p->rx_stamps;
	a->lane = p->lane;
	a->lane_fd = -1;
	a->local_cands = g_ptr_array_new_with_free_func(g_free);
	a->mux = p->mux;
	if (a->mux) {
		err = lite_alloc(a);
		if (err)
			goto fail;
		*out = a;
		return 0;
	}
	/* No NICE_AGENT_OPTION_CONSENT_FRESHNESS: libnice 0.1.21 declares the
	 * pair failed after a few lost consent checks (seen at 5% loss within
	 * 10 s), far sooner than RFC 7675's 30 s. A peer that is really gone is
	 * noticed by the room instead (its event stream times out). */
	/* Aggressive nomination (no NICE_AGENT_OPTION_REGULAR_NOMINATION): when
	 * we control (subscribe connections, which we offer), the first pair
	 * that works carries USE-CANDIDATE and is used at once; regular
	 * nomination waited for another round of checks, and joins took ~40 ms
	 * longer on loopback (parley-bench join: connected p50 80 -> 36 ms).
	 * RFC 8445 dropped it, but controlled agents (browsers) still accept
	 * USE-CANDIDATE on any check; with host candidates only, the first
	 * working pair is as good as any. */
	a->agent = nice_agent_new_full(p->ctx, NICE_COMPATIBILITY_RFC5245,
				       NICE_AGENT_OPTION_ICE_TRICKLE);
	if (!a->agent) {
		err = EIO;
		goto fail;
	}
	agent_configure(a, p);
	err = add_local_addrs(a, p->local_addrs);
	if (err)
		goto fail;
	a->stream = nice_agent_add_stream(a->agent, 1);
	if (a->stream == 0) {
		err = EIO;
		goto fail;
	}
	nice_agent_set_stream_name(a->agent, a->stream, "application");
	if (p->port_min || p->port_max)
		nice_agent_set_port_range(a->agent, a->stream, 1, p->port_min, p->port_max);
	nice_agent_attach_recv(a->agent, a->stream, 1, p->ctx, on_recv, a);
	refresh_credentials(a);
	*out = a;
	return 0;
fail:
	ice_agent_free(a);
	return err;
}

void ice_agent_free(struct ice_agent *a)
{
	if (!a)
		return;
	if (a->agent) {
		g_signal_handlers_disconnect_by_data(a->agent, a);
		if (a->stream) {
			nice_agent_attach_recv(a->agent, a->stream, 1, a->ctx, NULL, NULL);
			nice_agent_remove_stream(a->agent, a->stream);
		}
		g_object_unref(a->agent);
	}
	udpmux_ep_free(a->ep);
	direct_clear(a);
	g_ptr_array_free(a->local_cands, TRUE);
	g_free(a->ufrag);
	g_free(a->pwd);
	g_free(a->public_ip);
	g_free(a);
}

const char *ice_agent_ufrag(const struct ice_agent *a)
{
	return a->ufrag;
}

const char *ice_agent_pwd(const struct ice_agent *a)
{
	return a->pwd;
}

int ice_agent_gather(struct ice_agent *a)
{
	if (a->mux) {
		lite_gather(a);
		return 0;
	}
	if (!nice_agent_gather_candidates(a->agent, a->stream)) {
		log_warn("no local address to gather candidates on");
		return EIO;
	}
	return 0;
}

int ice_agent_set_remote_credentials(struct ice_agent *a, const char *ufrag, const char *pwd)
{
	/* RFC 8445 §5.3: ufrag 4..256 and pwd 22..256 ice-chars */
	if (!ufrag || !pwd || strlen(ufrag) < 4 || strlen(ufrag) > 256 || strlen(pwd) < 22 ||
	    strlen(pwd) > 256)
		return EINVAL;
	if (a->mux) /* lite: to check a path the peer moves to */
		return udpmux_ep_set_remote(a->ep, ufrag, pwd);
	return nice_agent_set_remote_credentials(a->agent, a->stream, ufrag, pwd) ? 0 : EINVAL;
}

static bool uint_field(const char *s, guint64 max)
{
	guint64 v;

	return g_ascii_string_to_unsigned(s, 10, 0, max, &v, NULL);
}

/* Checks the fixed fields of "candidate:foundation component transport
 * priority address port typ type ..." (RFC 8839 §5.1), which libnice reads
 * leniently (an out-of-range port would wrap). */
static bool cand_valid(const char *cand)
{
	gchar **t = g_strsplit(cand + strlen("candidate:"), " ", 10);
	bool ok = g_strv_length(t) >= 8 && strlen(t[0]) >= 1 && strlen(t[0]) <= 32 &&
		  uint_field(t[1], 256) && uint_field(t[3], G_MAXUINT32) &&
		  uint_field(t[5], 65535) && strcmp(t[6], "typ") == 0;

	g_strfreev(t);
	return ok;
}

int ice_agent_add_remote_candidate(struct ice_agent *a, const char *cand)
{
	char *line;
	NiceCandidate *c;
	GSList *list;
	int n;

	if (g_str_has_prefix(cand, "a="))
		cand += 2;
	if (strlen(cand) > 512 || !g_str_has_prefix(cand, "candidate:") || !cand_valid(cand))
		return EBADMSG;
	if (a->mux) /* lite: the peer's addresses are learnt from its checks */
		return 0;
	line = g_strconcat("a=", cand, NULL);
	c = nice_agent_parse_remote_candidate_sdp(a->agent, a->stream, line);
	g_free(line);
	if (!c)
		return strstr(cand, ".local ") ? ENOTSUP : EBADMSG;
	if (c->transport != NICE_CANDIDATE_TRANSPORT_UDP || c->component_id != 1) {
		nice_candidate_free(c);
		return ENOTSUP;
	}
	list = g_slist_prepend(NULL, c);
	n = nice_agent_set_remote_candidates(a->agent, a->stream, 1, list);
	g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
	return n == 1 ? 0 : EBADMSG;
}

void ice_agent_set_remote_lite(struct ice_agent *a)
{
	if (a->agent)
		g_object_set(a->agent, "controlling-mode", TRUE, NULL);
}

void ice_agent_remote_gathering_done(struct ice_agent *a)
{
	if (a->mux)
		return;
	nice_agent_peer_candidate_gathering_done(a->agent, a->stream);
}

/* A full agent's send: on the selected pair's socket (through the lane
 * when there is one), or through libnice before that. A copy being
 * forwarded counts its delay when the kernel has it: here, or on the
 * lane's worker. */
static int full_send(struct ice_agent *a, const uint8_t *buf, size_t len)
{
	gint n;

	if (a->direct && a->lane_fd >= 0 &&
	    lane_send(a->lane, a->lane_fd, (const struct sockaddr *)&a->direct_to,
		      a->direct_len, buf, len) == 0)
		return 0;
	if (a->direct) { /* or the lane is full: sent from here, maybe ahead of some queued */
		ssize_t sent = sendto(a->direct_fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL,
				      (const struct sockaddr *)&a->direct_to, a->direct_len);

		if (sent != (ssize_t)len)
			return sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? EAGAIN : EIO;
		media_delay_sent();
		return 0;
	}
	n = nice_agent_send(a->agent, a->stream, 1, (guint)len, (const gchar *)buf);
	if (n != (gint)len)
		return EAGAIN;
	media_delay_sent();
	return 0;
}

int ice_agent_send(struct ice_agent *a, const uint8_t *buf, size_t len)
{
	if (a->state != ICE_STATE_CONNECTED && a->state != ICE_STATE_DISCONNECTED)
		return ENOTCONN;
	return a->mux ? lite_send(a, buf, len) : full_send(a, buf, len);
}

int ice_agent_restart(struct ice_agent *a)
{
	if (a->mux)
		return lite_restart(a);
	direct_clear(a); /* until a pair is selected again */
	if (!nice_agent_restart_stream(a->agent, a->stream))
		return EIO;
	refresh_credentials(a);
	a->state = ICE_STATE_NEW;
	replay_candidates(a);
	return 0;
}

bool ice_agent_is_lite(const struct ice_agent *a)
{
	return a->mux != NULL;
}

const char *ice_agent_pair_str(const struct ice_agent *a)
{
	return a->pair;
}

int ice_agent_rx_time(struct ice_agent *a, int64_t *unix_us)
{
	struct timespec ts;

	if (a->mux)
		return udpmux_ep_rx_time(a->ep, unix_us);
	if (!a->direct || !a->rx_stamps ||
	    ioctl(a->direct_fd, SIOCGSTAMPNS, &ts) != 0)
		return ENOENT;
	/* The same stamp again: no datagram was read on the selected socket
	 * since, so the one being handled came from another of libnice's. */
	if (ts.tv_sec == a->last_stamp.tv_sec && ts.tv_nsec == a->last_stamp.tv_nsec)
		return ENOENT;
	a->last_stamp = ts;
	*unix_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	return 0;
}
