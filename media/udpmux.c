/* udpmux.c - see udpmux.h. */
#define LOG_MOD "udpmux"
#include "media/udpmux.h"
#include "media/base/counters.h"
#include "media/base/log.h"
#include "media/base/util.h"
#include "media/stun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib-unix.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Datagrams read per recvmmsg, and batches per wake-up before the main
 * loop gets to its other sources (a flooded port must not starve them). */
#define RX_BATCH 32
#define RX_ROUNDS 4
#define RX_MTU 2048
/* Paths kept per endpoint: a browser checks a pair per local candidate;
 * more than this means addresses changing (mobility), oldest go first. */
#define MAX_PATHS 8
#define SOCKET_BUFFER (4 * 1024 * 1024)
#define MAX_SOCKS 16

/* A peer address, compact: the hash key of a path. */
struct addr_key {
	uint16_t family;
	uint16_t port; /* network order */
	uint8_t ip[16];
};

struct path {
	struct addr_key key;           /* first: the table's key */
	struct udpmux_ep *ep;          /* borrowed */
	unsigned sock;                 /* the local socket it came in on */
	struct sockaddr_storage sa;
	socklen_t salen;
	int64_t last_check_us;
};

struct msock {
	struct udpmux *m; /* borrowed */
	int fd;
	char addr[INET6_ADDRSTRLEN];
	GSource *src;     /* owned */
};

struct udpmux {
	GMainContext *ctx; /* borrowed */
	unsigned port;
	struct msock sock[MAX_SOCKS];
	unsigned n_sock;
	GHashTable *by_ufrag; /* char* (the endpoint's) -> ep */
	GHashTable *by_addr;  /* struct addr_key* (the path's) -> path (owned) */
	struct udpmux_stats st;
	uint8_t (*rx)[RX_MTU]; /* owned: RX_BATCH buffers */
	int64_t rx_stamp_us;   /* the datagram being handled: kernel arrival, 0 none */
};

struct udpmux_ep {
	struct udpmux *m; /* borrowed */
	struct udpmux_ep_handlers h;
	void *arg;
	char ufrag[257], pwd[257];
	char old_ufrag[257], old_pwd[257]; /* before a restart, until nominated */
	char rufrag[257], rpwd[257]; /* the peer's, to check a new path; "" unknown */
	uint64_t tiebreaker;
	GPtrArray *paths;        /* borrowed paths (the mux's table owns them) */
	struct path *selected;   /* borrowed, one of paths */
	/* A path the peer nominated while another was selected: it is used
	 * once it answered our own check (see verify_path). */
	struct path *verifying;  /* borrowed, one of paths, or NULL */
	uint8_t verify_tid[STUN_TID_LEN];
	int64_t verify_sent_us;
	char pair[160];
};

/* --- addresses ------------------------------------------------------------- */

static void key_from_sa(struct addr_key *k, const struct sockaddr_storage *sa)
{
	memset(k, 0, sizeof(*k));
	k->family = sa->ss_family;
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		k->port = sin->sin_port;
		memcpy(k->ip, &sin->sin_addr, 4);
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		k->port = sin6->sin6_port;
		memcpy(k->ip, &sin6->sin6_addr, 16);
	}
}

static guint key_hash(gconstpointer p)
{
	const uint8_t *b = p;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < sizeof(struct addr_key); i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, sizeof(struct addr_key)) == 0;
}

static void sa_str(const struct sockaddr_storage *sa, char *out, size_t size)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		port = ntohs(sin->sin_port);
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
		port = ntohs(sin6->sin6_port);
	}
	g_snprintf(out, size, sa->ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, port);
}

/* --- endpoints and paths ----------------------------------------------------- */

static void path_drop(struct udpmux *m, struct path *p)
{
	struct udpmux_ep *ep = p->ep;

	g_ptr_array_remove_fast(ep->paths, p);
	if (ep->selected == p) {
		ep->selected = NULL;
		ep->pair[0] = '\0';
	}
	if (ep->verifying == p)
		ep->verifying = NULL;
	g_hash_table_remove(m->by_addr, &p->key); /* frees p */
}

/* The path for a checked address, moved to `ep` if it belonged to another
 * endpoint (a new session from the same address and port), but not when
 * it is that endpoint's selected path: then NULL. (A peer may claim any
 * source address; a spoofed check must not cut another connection off.) */
static struct path *path_get(struct udpmux *m, struct udpmux_ep *ep, unsigned sock,
			     const struct sockaddr_storage *sa, socklen_t salen)
{
	struct addr_key k;
	struct path *p;

	key_from_sa(&k, sa);
	p = g_hash_table_lookup(m->by_addr, &k);
	if (p && p->ep == ep) {
		p->sock = sock;
		return p;
	}
	if (p && p->ep->selected == p)
		return NULL;
	if (p)
		path_drop(m, p);
	if (ep->paths->len >= MAX_PATHS) { /* the oldest that is not selected */
		struct path *old = NULL;

		for (guint i = 0; i < ep->paths->len; i++) {
			struct path *q = g_ptr_array_index(ep->paths, i);

			if (q != ep->selected && (!old || q->last_check_us < old->last_check_us))
				old = q;
		}
		if (old)
			path_drop(m, old);
	}
	p = g_new0(struct path, 1);
	p->key = k;
	p->ep = ep;
	p->sock = sock;
	memcpy(&p->sa, sa, salen);
	p->salen = salen;
	g_hash_table_insert(m->by_addr, &p->key, p);
	g_ptr_array_add(ep->paths, p);
	return p;
}

static void select_path(struct udpmux_ep *ep, struct path *p)
{
	const char *local = ep->m->sock[p->sock].addr;
	char remote[80];

	if (ep->selected == p)
		return;
	ep->selected = p;
	if (ep->verifying == p)
		ep->verifying = NULL;
	sa_str(&p->sa, remote, sizeof(remote));
	g_snprintf(ep->pair, sizeof(ep->pair), strchr(local, ':') ? "[%s]:%u <-> %s" :
		   "%s:%u <-> %s", local, ep->m->port, remote);
	ep->h.selected(ep->arg);
}

static bool ice_chars(const char *s, size_t min, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(s[i]) && s[i] != '+' && s[i] != '/')
			return false;
	return true;
}

int udpmux_ep_alloc(struct udpmux_ep **out, struct udpmux *m, const char *ufrag,
		    const char *pwd, const struct udpmux_ep_handlers *h, void *arg)
{
	struct udpmux_ep *ep;

	if (!m || !h || !h->recv || !h->selected || !ice_chars(ufrag, 4, 256) ||
	    !ice_chars(pwd, 22, 256))
		return EINVAL;
	if (g_hash_table_contains(m->by_ufrag, ufrag))
		return EEXIST;
	ep = g_new0(struct udpmux_ep, 1);
	ep->m = m;
	ep->h = *h;
	ep->arg = arg;
	g_strlcpy(ep->ufrag, ufrag, sizeof(ep->ufrag));
	g_strlcpy(ep->pwd, pwd, sizeof(ep->pwd));
	ep->paths = g_ptr_array_new();
	ep->tiebreaker = (uint64_t)g_random_int() << 32 | g_random_int();
	g_hash_table_insert(m->by_ufrag, ep->ufrag, ep);
	*out = ep;
	return 0;
}

int udpmux_ep_set_remote(struct udpmux_ep *ep, const char *ufrag, const char *pwd)
{
	if (!ice_chars(ufrag, 4, 256) || !ice_chars(pwd, 22, 256))
		return EINVAL;
	g_strlcpy(ep->rufrag, ufrag, sizeof(ep->rufrag));
	g_strlcpy(ep->rpwd, pwd, sizeof(ep->rpwd));
	return 0;
}

static void forget_old(struct udpmux_ep *ep)
{
	if (!ep->old_ufrag[0])
		return;
	g_hash_table_remove(ep->m->by_ufrag, ep->old_ufrag);
	ep->old_ufrag[0] = ep->old_pwd[0] = '\0';
}

void udpmux_ep_free(struct udpmux_ep *ep)
{
	if (!ep)
		return;
	while (ep->paths->len)
		path_drop(ep->m, g_ptr_array_index(ep->paths, ep->paths->len - 1));
	forget_old(ep);
	g_hash_table_remove(ep->m->by_ufrag, ep->ufrag);
	g_ptr_array_free(ep->paths, TRUE);
	g_free(ep);
}

int udpmux_ep_restart(struct udpmux_ep *ep, const char *ufrag, const char *pwd)
{
	if (!ice_chars(ufrag, 4, 256) || !ice_chars(pwd, 22, 256))
		return EINVAL;
	if (g_hash_table_contains(ep->m->by_ufrag, ufrag))
		return EEXIST;
	forget_old(ep); /* a restart during a restart: the first one's are gone */
	g_hash_table_steal(ep->m->by_ufrag, ep->ufrag);
	memcpy(ep->old_ufrag, ep->ufrag, sizeof(ep->ufrag));
	memcpy(ep->old_pwd, ep->pwd, sizeof(ep->pwd));
	g_hash_table_insert(ep->m->by_ufrag, ep->old_ufrag, ep);
	g_strlcpy(ep->ufrag, ufrag, sizeof(ep->ufrag));
	g_strlcpy(ep->pwd, pwd, sizeof(ep->pwd));
	g_hash_table_insert(ep->m->by_ufrag, ep->ufrag, ep);
	return 0;
}

int udpmux_ep_dest(const struct udpmux_ep *ep, int *fd, const struct sockaddr **to,
		   socklen_t *tolen)
{
	if (!ep->selected)
		return ENOTCONN;
	*fd = ep->m->sock[ep->selected->sock].fd;
	*to = (const struct sockaddr *)&ep->selected->sa;
	*tolen = ep->selected->salen;
	return 0;
}

int udpmux_ep_rx_time(const struct udpmux_ep *ep, int64_t *unix_us)
{
	if (!ep->m->rx_stamp_us)
		return ENOENT;
	*unix_us = ep->m->rx_stamp_us;
	return 0;
}

int udpmux_ep_send(struct udpmux_ep *ep, const uint8_t *buf, size_t len)
{
	const struct path *p = ep->selected;
	ssize_t n;

	if (!p)
		return ENOTCONN;
	n = sendto(ep->m->sock[p->sock].fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL,
		   (const struct sockaddr *)&p->sa, p->salen);
	if (n == (ssize_t)len)
		return 0;
	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? EAGAIN : EIO;
}

const char *udpmux_ep_pair_str(const struct udpmux_ep *ep)
{
	return ep->pair;
}

/* --- STUN ---------------------------------------------------------------- */

static void reject(struct udpmux *m, const struct sockaddr_storage *from, const char *why)
{
	char who[80];

	if (log_enabled(LOG_LVL_DEBUG)) { /* a flood of bad STUN formats nothing */
		sa_str(from, who, sizeof(who));
		log_debug("STUN from %s dropped: %s", who, why);
	}
	m->st.stun_rejected++;
	MEDIA_COUNT(stun_rejected, 1);
}

static void reply(struct udpmux *m, unsigned sock, const struct sockaddr_storage *to,
		  socklen_t tolen, struct stun_writer *w, const char *pwd)
{
	size_t len = 0;

	if (stun_writer_finish(w, pwd, strlen(pwd), true, &len))
		return;
	(void)sendto(m->sock[sock].fd, w->buf, len, MSG_DONTWAIT | MSG_NOSIGNAL,
		     (const struct sockaddr *)to, tolen);
}

/* The peer nominated another path while one is selected (a new network,
 * an ICE restart): media would go there at once, so a source address the
 * peer merely claims could aim a media stream at any host. The lite agent
 * sends a check of its own to it first (with the peer's credentials from
 * its SDP) and moves on the authenticated answer (on_response). Without
 * the peer's credentials the old path stays. A lost check is sent again
 * at the peer's next nomination. */
static void verify_path(struct udpmux *m, struct udpmux_ep *ep, struct path *p)
{
	uint8_t out[512];
	struct stun_writer w;
	char user[520];
	size_t len = 0;
	int64_t now = util_now_us();

	if (!ep->rufrag[0])
		return;
	if (ep->verifying == p && now - ep->verify_sent_us < 200000)
		return; /* one in flight */
	g_snprintf(user, sizeof(user), "%s:%s", ep->rufrag, ep->ufrag);
	stun_writer_init(&w, out, sizeof(out), STUN_BINDING, STUN_REQUEST, NULL);
	stun_put(&w, STUN_ATTR_USERNAME, user, strlen(user));
	/* a peer-reflexive candidate's priority (RFC 8445 §5.1.2.1, type 110) */
	stun_put_u32(&w, STUN_ATTR_PRIORITY, (110u << 24) | (65535u << 8) | 255u);
	stun_put_u64(&w, STUN_ATTR_ICE_CONTROLLED, ep->tiebreaker);
	if (stun_writer_finish(&w, ep->rpwd, strlen(ep->rpwd), true, &len))
		return;
	memcpy(ep->verify_tid, out + 8, STUN_TID_LEN);
	sa_str(&p->sa, user, sizeof(user));
	log_debug("[%s] the peer nominated %s: checking it", ep->ufrag, user);
	ep->verifying = p;
	ep->verify_sent_us = now;
	(void)sendto(m->sock[p->sock].fd, out, len, MSG_DONTWAIT | MSG_NOSIGNAL,
		     (const struct sockaddr *)&p->sa, p->salen);
}

/* A response from a known path: the answer to verify_path's check? */
static void on_response(struct udpmux *m, struct path *p, const struct stun_msg *res,
			const struct sockaddr_storage *from)
{
	struct udpmux_ep *ep = p ? p->ep : NULL;

	if (!ep || ep->verifying != p || memcmp(res->tid, ep->verify_tid, STUN_TID_LEN) != 0) {
		/* late (the answer to a check sent again) or stray: not an error */
		m->st.unknown_source++;
		MEDIA_COUNT(udp_unknown, 1);
		return;
	}
	if (res->cls != STUN_SUCCESS ||
	    stun_check_integrity(res, ep->rpwd, strlen(ep->rpwd))) {
		reject(m, from, "our check of a new path failed");
		ep->verifying = NULL;
		return;
	}
	p->last_check_us = util_now_us();
	log_debug("[%s] new path answered", ep->ufrag);
	select_path(ep, p);
}

/* A binding request that passed the integrity check with `pwd`. */
static void answer(struct udpmux *m, struct udpmux_ep *ep, const struct stun_msg *req,
		   bool old_creds, unsigned sock, const struct sockaddr_storage *from,
		   socklen_t fromlen)
{
	uint8_t out[256];
	struct stun_writer w;
	const char *pwd = old_creds ? ep->old_pwd : ep->pwd;
	struct path *p;

	if (req->n_unknown) { /* RFC 8489 §6.3.1.1 */
		uint8_t types[2 * STUN_MAX_UNKNOWN];

		for (unsigned i = 0; i < req->n_unknown; i++) {
			types[2 * i] = (uint8_t)(req->unknown[i] >> 8);
			types[2 * i + 1] = (uint8_t)req->unknown[i];
		}
		stun_writer_init(&w, out, sizeof(out), STUN_BINDING, STUN_ERROR, req->tid);
		stun_put_error(&w, 420, "Unknown Attribute");
		stun_put(&w, STUN_ATTR_UNKNOWN_ATTRIBUTES, types, 2 * req->n_unknown);
		reply(m, sock, from, fromlen, &w, pwd);
		reject(m, from, "unknown comprehension-required attribute (420)");
		return;
	}
	if (req->ice_controlled) { /* we are lite, hence controlled: the peer must control */
		stun_writer_init(&w, out, sizeof(out), STUN_BINDING, STUN_ERROR, req->tid);
		stun_put_error(&w, 487, "Role Conflict");
		reply(m, sock, from, fromlen, &w, pwd);
		reject(m, from, "the peer is controlled too (487)");
		return;
	}
	stun_writer_init(&w, out, sizeof(out), STUN_BINDING, STUN_SUCCESS, req->tid);
	stun_put_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, (const struct sockaddr *)from);
	reply(m, sock, from, fromlen, &w, pwd);
	m->st.stun_answered++;
	p = path_get(m, ep, sock, from, fromlen);
	if (!p)
		return; /* another connection's path: answered, nothing more */
	p->last_check_us = util_now_us();
	if (!req->use_candidate)
		return;
	if (!old_creds)
		forget_old(ep); /* the restart is done */
	if (!ep->selected)
		select_path(ep, p); /* nothing is sent before DTLS, which needs both ways */
	else if (ep->selected != p)
		verify_path(m, ep, p);
}

static void on_stun(struct udpmux *m, struct path *known, unsigned sock, const uint8_t *buf,
		    size_t len, const struct sockaddr_storage *from, socklen_t fromlen)
{
	struct stun_msg req;
	char lfrag[257];
	struct udpmux_ep *ep;
	bool old;

	if (stun_parse(&req, buf, len)) {
		reject(m, from, "malformed");
		return;
	}
	if (req.method == STUN_BINDING &&
	    (req.cls == STUN_SUCCESS || req.cls == STUN_ERROR)) {
		on_response(m, known, &req, from);
		return;
	}
	if (req.method != STUN_BINDING || req.cls != STUN_REQUEST) {
		if (req.cls != STUN_INDICATION) /* indications (keep-alives) are fine */
			reject(m, from, "not a binding request");
		return;
	}
	if (!req.has_fingerprint) { /* RFC 8445 §7.2.2: checks carry one */
		reject(m, from, "a check without FINGERPRINT");
		return;
	}
	if (stun_username_local(&req, lfrag, sizeof(lfrag))) {
		reject(m, from, "no usable USERNAME");
		return;
	}
	ep = g_hash_table_lookup(m->by_ufrag, lfrag);
	if (!ep) { /* a connection that has gone, usually: like other strays */
		m->st.unknown_source++;
		MEDIA_COUNT(udp_unknown, 1);
		return;
	}
	old = strcmp(lfrag, ep->ufrag) != 0;
	if (stun_check_integrity(&req, old ? ep->old_pwd : ep->pwd,
				 strlen(old ? ep->old_pwd : ep->pwd))) {
		reject(m, from, "integrity check failed");
		return;
	}
	answer(m, ep, &req, old, sock, from, fromlen);
}

/* --- receiving -------------------------------------------------------------- */

static void on_datagram(struct udpmux *m, unsigned sock, uint8_t *buf, size_t len,
			const struct sockaddr_storage *from, socklen_t fromlen)
{
	struct addr_key k;
	struct path *p;

	m->st.datagrams_in++;
	key_from_sa(&k, from);
	p = g_hash_table_lookup(m->by_addr, &k);
	if (len > 0 && buf[0] < 4) { /* RFC 7983: STUN */
		on_stun(m, p, sock, buf, len, from, fromlen);
		return;
	}
	if (!p) {
		m->st.unknown_source++;
		MEDIA_COUNT(udp_unknown, 1);
		return;
	}
	if (!p->ep->selected) { /* DTLS before USE-CANDIDATE: answer where it came from */
		select_path(p->ep, p);
		/* the handler may have freed the endpoint */
		p = g_hash_table_lookup(m->by_addr, &k);
		if (!p)
			return;
	}
	p->ep->h.recv(p->ep->arg, buf, len);
}

/* The kernel's arrival stamp of a datagram read (SO_TIMESTAMPNS), Unix
 * microseconds; 0 when it has none. */
static int64_t rx_stamp(struct msghdr *h)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
		}
	}
	return 0;
}

static gboolean on_readable(gint fd, GIOCondition cond, gpointer data)
{
	struct msock *s = data;
	struct udpmux *m = s->m;
	unsigned idx = (unsigned)(s - m->sock);
	struct mmsghdr msgs[RX_BATCH];
	struct iovec iov[RX_BATCH];
	struct sockaddr_storage from[RX_BATCH];
	_Alignas(struct cmsghdr) uint8_t ctl[RX_BATCH][CMSG_SPACE(sizeof(struct timespec))];

	(void)cond;
	for (int round = 0; round < RX_ROUNDS; round++) {
		int n;

		for (int i = 0; i < RX_BATCH; i++) {
			iov[i] = (struct iovec){ .iov_base = m->rx[i], .iov_len = RX_MTU };
			msgs[i].msg_hdr = (struct msghdr){ .msg_name = &from[i],
							   .msg_namelen = sizeof(from[i]),
							   .msg_iov = &iov[i], .msg_iovlen = 1,
							   .msg_control = ctl[i],
							   .msg_controllen = sizeof(ctl[i]) };
			msgs[i].msg_len = 0;
		}
		n = recvmmsg(fd, msgs, RX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++) {
			if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
				continue; /* larger than any datagram of ours */
			m->rx_stamp_us = rx_stamp(&msgs[i].msg_hdr);
			on_datagram(m, idx, m->rx[i], msgs[i].msg_len, &from[i],
				    msgs[i].msg_hdr.msg_namelen);
			m->rx_stamp_us = 0;
		}
		if (n < RX_BATCH)
			break;
	}
	return G_SOURCE_CONTINUE;
}

/* --- sockets ------------------------------------------------------------------ */

static int bind_one(struct msock *s, const char *ip, unsigned port)
{
	struct sockaddr_storage sa = { 0 };
	socklen_t salen;
	int size = SOCKET_BUFFER, one = 1;

	if (inet_pton(AF_INET, ip, &((struct sockaddr_in *)&sa)->sin_addr) == 1) {
		sa.ss_family = AF_INET;
		((struct sockaddr_in *)&sa)->sin_port = htons((uint16_t)port);
		salen = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, ip, &((struct sockaddr_in6 *)&sa)->sin6_addr) == 1) {
		sa.ss_family = AF_INET6;
		((struct sockaddr_in6 *)&sa)->sin6_port = htons((uint16_t)port);
		salen = sizeof(struct sockaddr_in6);
	} else {
		log_err("not an IP address: %s", ip);
		return EINVAL;
	}
	s->fd = socket(sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return errno;
	if (sa.ss_family == AF_INET6)
		(void)setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(s->fd, (struct sockaddr *)&sa, salen)) {
		int err = errno;

		close(s->fd);
		s->fd = -1;
		return err;
	}
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) ||
	    setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)))
		log_debug("cannot set the socket buffers: %s", g_strerror(errno));
	/* arrival stamps, for the forwarding delay (udpmux_ep_rx_time) */
	if (setsockopt(s->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)))
		log_debug("cannot turn on receive stamps: %s", g_strerror(errno));
	g_strlcpy(s->addr, ip, sizeof(s->addr));
	return 0;
}

static unsigned bound_port(int fd)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);

	if (getsockname(fd, (struct sockaddr *)&sa, &len))
		return 0;
	return sa.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&sa)->sin6_port) :
					  ntohs(((struct sockaddr_in *)&sa)->sin_port);
}

/* The host's addresses when none are configured: up, not loopback (unless
 * that is all there is), IPv6 only global ones. */
static GPtrArray *host_addrs(void)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	struct ifaddrs *ifa = NULL;

	if (getifaddrs(&ifa) == 0) {
		for (const struct ifaddrs *i = ifa; i && out->len < MAX_SOCKS; i = i->ifa_next) {
			char ip[INET6_ADDRSTRLEN];
			int fam = i->ifa_addr ? i->ifa_addr->sa_family : 0;

			if (!(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK) ||
			    (fam != AF_INET && fam != AF_INET6))
				continue;
			if (fam == AF_INET6 &&
			    IN6_IS_ADDR_LINKLOCAL(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr))
				continue;
			inet_ntop(fam,
				  fam == AF_INET ?
					  (const void *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr :
					  (const void *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
				  ip, sizeof(ip));
			g_ptr_array_add(out, g_strdup(ip));
		}
		freeifaddrs(ifa);
	}
	if (!out->len)
		g_ptr_array_add(out, g_strdup("127.0.0.1"));
	return out;
}

static int bind_all(struct udpmux *m, const char *const *addrs, unsigned port)
{
	unsigned n = 0;
	int err = 0;

	while (addrs[n])
		n++;
	if (n > MAX_SOCKS)
		return EINVAL;
	for (unsigned i = 0; i < n && !err; i++) {
		err = bind_one(&m->sock[i], addrs[i], port);
		if (!err) {
			m->sock[i].m = m;
			m->n_sock = i + 1;
			if (!port)
				port = bound_port(m->sock[i].fd);
		}
	}
	m->port = port;
	return err;
}

static void close_all(struct udpmux *m)
{
	for (unsigned i = 0; i < m->n_sock; i++) {
		if (m->sock[i].src) {
			g_source_destroy(m->sock[i].src);
			g_source_unref(m->sock[i].src);
			m->sock[i].src = NULL;
		}
		if (m->sock[i].fd >= 0)
			close(m->sock[i].fd);
		m->sock[i].fd = -1;
	}
	m->n_sock = 0;
}

int udpmux_alloc(struct udpmux **out, GMainContext *ctx, const char *const *addrs,
		 unsigned port)
{
	struct udpmux *m = g_new0(struct udpmux, 1);
	GPtrArray *host = NULL;
	int err = EADDRINUSE;

	if (!addrs || !addrs[0]) {
		host = host_addrs();
		g_ptr_array_add(host, NULL);
		addrs = (const char *const *)host->pdata;
	}
	/* With port 0 the first socket's port may be taken on another address:
	 * try a few ports. */
	for (int attempt = 0; attempt < (port ? 1 : 8) && err == EADDRINUSE; attempt++) {
		close_all(m);
		err = bind_all(m, addrs, port);
	}
	if (host)
		g_ptr_array_free(host, TRUE);
	if (err) {
		log_err("cannot bind the media port %u: %s", port, g_strerror(err));
		close_all(m);
		g_free(m);
		return err;
	}
	m->ctx = ctx;
	m->rx = g_malloc(sizeof(*m->rx) * RX_BATCH);
	m->by_ufrag = g_hash_table_new(g_str_hash, g_str_equal);
	m->by_addr = g_hash_table_new_full(key_hash, key_equal, NULL, g_free);
	for (unsigned i = 0; i < m->n_sock; i++) {
		struct msock *s = &m->sock[i];

		s->src = g_unix_fd_source_new(s->fd, G_IO_IN);
		g_source_set_callback(s->src, G_SOURCE_FUNC(on_readable), s, NULL);
		g_source_attach(s->src, ctx);
	}
	*out = m;
	return 0;
}

void udpmux_free(struct udpmux *m)
{
	if (!m)
		return;
	if (g_hash_table_size(m->by_ufrag))
		log_warn("udpmux freed with %u endpoints", g_hash_table_size(m->by_ufrag));
	close_all(m);
	g_hash_table_destroy(m->by_addr);
	g_hash_table_destroy(m->by_ufrag);
	g_free(m->rx);
	g_free(m);
}

unsigned udpmux_port(const struct udpmux *m)
{
	return m->port;
}

unsigned udpmux_n_local(const struct udpmux *m)
{
	return m->n_sock;
}

const char *udpmux_local_addr(const struct udpmux *m, unsigned i)
{
	return i < m->n_sock ? m->sock[i].addr : NULL;
}

void udpmux_stats(const struct udpmux *m, struct udpmux_stats *out)
{
	*out = m->st;
}
