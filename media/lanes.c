/* lanes.c - see lanes.h. */
#define LOG_MOD "lanes"
#include "media/lanes.h"
#include "media/base/counters.h"
#include "media/base/log.h"
#include "media/base/worker.h"

#include <errno.h>
#include <glib-unix.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define LANE_SLOTS_DEFAULT 512

struct slot {
	int fd;
	socklen_t tolen;
	uint32_t len;
	int64_t arrival_us;     /* of the packet it is a copy of (media_arrival), 0 none */
	struct sockaddr_in6 to; /* large enough for an IPv4 address too */
	_Alignas(16) uint8_t data[LANE_MTU];
};

struct sink;

struct lane {
	struct lanes *ls;       /* borrowed */
	struct worker *to;      /* borrowed */
	struct sink *sink;      /* borrowed: `to`'s */
	unsigned mask;
	struct slot *slots;     /* owned, mask + 1 */
	/* the producer's side */
	_Alignas(64) atomic_uint head;
	unsigned tail_seen;     /* the producer's last look at tail */
	/* the consumer's side */
	_Alignas(64) atomic_uint tail;
};

/* One worker's receiving end: every lane into it. */
struct sink {
	struct lanes *ls;       /* borrowed */
	unsigned index;
	int efd;                /* owned: written to wake the worker */
	GSource *src;           /* owned */
	/* raised before the worker sleeps, cleared by the first producer that
	 * sees it (which then writes efd) */
	_Alignas(64) atomic_int sleeping;
};

struct lanes {
	unsigned n;
	unsigned slots;
	GMutex lock;            /* making lanes; orphans */
	GArray *orphans;        /* owned, of int: descriptors released while the
				   pool was stopping, closed by lanes_free */
	struct lane *_Atomic *lane; /* owned, n * n: [from * n + to] */
	struct sink *sink;      /* owned, n */
};

/* Datagrams handed to one sendmmsg(): consecutive slots on one socket
 * (with ICE-lite, every connection of a worker shares its socket). */
#define DRAIN_BATCH 64

/* Sends slots [tail, tail + n) of `l`, all on `fd`, in as few system calls
 * as the kernel allows; a datagram the socket refuses is dropped, like a
 * failed sendto. Returns how many failed. */
static unsigned send_batch(struct lane *l, unsigned tail, unsigned n, int fd)
{
	struct mmsghdr msg[DRAIN_BATCH];
	struct iovec iov[DRAIN_BATCH];
	unsigned done = 0, failed = 0;
	int64_t now;

	for (unsigned i = 0; i < n; i++) {
		struct slot *s = &l->slots[(tail + i) & l->mask];

		iov[i] = (struct iovec){ .iov_base = s->data, .iov_len = s->len };
		msg[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &s->to, .msg_namelen = s->tolen,
							.msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	while (done < n) {
		int r = sendmmsg(fd, msg + done, n - done, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (r <= 0) { /* the first one failed: skip it */
			failed++;
			done++;
			continue;
		}
		now = g_get_real_time();
		for (unsigned i = done; i < done + (unsigned)r; i++) {
			int64_t at = l->slots[(tail + i) & l->mask].arrival_us;

			if (msg[i].msg_len != iov[i].iov_len)
				failed++;
			else if (at)
				media_delay_add(now - at);
		}
		done += (unsigned)r;
	}
	return failed;
}

/* Sends what the lane holds now (not what comes while it sends: a producer
 * that keeps up must not keep this worker from everything else). @thread
 * the lane's worker */
static void drain(struct lane *l)
{
	unsigned tail = atomic_load_explicit(&l->tail, memory_order_relaxed);
	unsigned head = atomic_load_explicit(&l->head, memory_order_acquire);
	unsigned total = 0, failed = 0;

	while (tail != head) {
		int fd = l->slots[tail & l->mask].fd;
		unsigned n = 1;

		while (n < DRAIN_BATCH && tail + n != head && l->slots[(tail + n) & l->mask].fd == fd)
			n++;
		failed += send_batch(l, tail, n, fd);
		total += n;
		tail += n;
		/* the slots are free again once sent */
		atomic_store_explicit(&l->tail, tail, memory_order_release);
	}
	if (total)
		MEDIA_COUNT(lane_sent, total - failed);
	if (failed)
		MEDIA_COUNT(send_errors, failed);
}

static bool sink_pending(struct sink *s)
{
	struct lanes *ls = s->ls;

	for (unsigned from = 0; from < ls->n; from++) {
		struct lane *l = atomic_load(&ls->lane[from * ls->n + s->index]);

		if (l && atomic_load(&l->head) != atomic_load_explicit(&l->tail,
									 memory_order_relaxed))
			return true;
	}
	return false;
}

static void wake(struct sink *s)
{
	uint64_t one = 1;

	if (write(s->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_debug("lane wake: %s", g_strerror(errno));
}

static gboolean on_wake(gint fd, GIOCondition cond, gpointer data)
{
	struct sink *s = data;
	struct lanes *ls = s->ls;
	uint64_t v;

	(void)cond;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_debug("lane wake: %s", g_strerror(errno));
	/* One pass over what each lane holds now, then back to the main loop,
	 * so the worker's own sources get their turn between passes. */
	for (unsigned from = 0; from < ls->n; from++) {
		struct lane *l = atomic_load_explicit(&ls->lane[from * ls->n + s->index],
						      memory_order_acquire);

		if (l)
			drain(l);
	}
	/* Going to sleep: a producer that pushes after this sees the flag and
	 * writes efd; what was pushed before is seen here (both sides use
	 * sequentially consistent operations), and then this worker wakes
	 * itself for another pass unless a producer already did. */
	atomic_store(&s->sleeping, 1);
	if (sink_pending(s) && atomic_exchange(&s->sleeping, 0))
		wake(s);
	return G_SOURCE_CONTINUE;
}

int lanes_alloc(struct lanes **out, struct workers *ws, unsigned slots)
{
	struct lanes *ls;
	unsigned n = workers_count(ws);

	if (slots == 0)
		slots = LANE_SLOTS_DEFAULT;
	if (slots < 16 || slots > 65536 || (slots & (slots - 1)))
		return EINVAL;
	ls = g_new0(struct lanes, 1);
	ls->n = n;
	ls->slots = slots;
	g_mutex_init(&ls->lock);
	ls->lane = g_new0(struct lane *_Atomic, (gsize)n * n);
	ls->orphans = g_array_new(FALSE, FALSE, sizeof(int));
	ls->sink = g_new0(struct sink, n);
	for (unsigned i = 0; i < n; i++)
		ls->sink[i].efd = -1;
	for (unsigned i = 0; i < n; i++) {
		struct sink *s = &ls->sink[i];

		s->ls = ls;
		s->index = i;
		atomic_init(&s->sleeping, 1);
		s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (s->efd < 0) {
			int err = errno;

			log_err("eventfd: %s", g_strerror(err));
			lanes_free(ls);
			return err;
		}
		s->src = g_unix_fd_source_new(s->efd, G_IO_IN);
		/* the sockets' priority: a higher one would let a busy lane keep
		 * this worker from its own rooms (GLib dispatches only the highest
		 * priority that is ready) */
		g_source_set_priority(s->src, G_PRIORITY_DEFAULT);
		g_source_set_callback(s->src, G_SOURCE_FUNC(on_wake), s, NULL);
		g_source_attach(s->src, worker_context(workers_get(ws, i)));
	}
	*out = ls;
	return 0;
}

void lanes_free(struct lanes *ls)
{
	if (!ls)
		return;
	for (unsigned i = 0; i < ls->n; i++) {
		struct sink *s = &ls->sink[i];

		if (s->src) {
			g_source_destroy(s->src);
			g_source_unref(s->src);
		}
		if (s->efd >= 0)
			close(s->efd);
	}
	for (unsigned i = 0; i < ls->n * ls->n; i++) {
		struct lane *l = atomic_load(&ls->lane[i]);

		if (l) {
			g_free(l->slots);
			g_free(l);
		}
	}
	for (guint i = 0; i < ls->orphans->len; i++)
		close(g_array_index(ls->orphans, int, i));
	g_array_free(ls->orphans, TRUE);
	g_mutex_clear(&ls->lock);
	g_free(ls->lane);
	g_free(ls->sink);
	g_free(ls);
}

struct lane *lanes_get(struct lanes *ls, struct worker *from, struct worker *to)
{
	unsigned i = worker_index(from) * ls->n + worker_index(to);
	struct lane *l;

	if (from == to)
		return NULL;
	l = atomic_load_explicit(&ls->lane[i], memory_order_acquire);
	if (l)
		return l;
	g_mutex_lock(&ls->lock);
	l = atomic_load_explicit(&ls->lane[i], memory_order_relaxed);
	if (!l) {
		l = g_new0(struct lane, 1);
		l->ls = ls;
		l->to = to;
		l->sink = &ls->sink[worker_index(to)];
		l->mask = ls->slots - 1;
		/* not touched until used: only the slots a burst fills cost memory */
		l->slots = g_new(struct slot, ls->slots);
		atomic_init(&l->head, 0);
		atomic_init(&l->tail, 0);
		atomic_store_explicit(&ls->lane[i], l, memory_order_release);
	}
	g_mutex_unlock(&ls->lock);
	return l;
}

struct worker *lane_worker(const struct lane *l)
{
	return l->to;
}

int lane_send(struct lane *l, int fd, const struct sockaddr *to, socklen_t tolen,
	      const void *buf, size_t len)
{
	unsigned head = atomic_load_explicit(&l->head, memory_order_relaxed);
	struct sink *s = l->sink;
	struct slot *slot;

	if (len > LANE_MTU || tolen > sizeof(slot->to))
		return EMSGSIZE;
	if (head - l->tail_seen > l->mask) {
		l->tail_seen = atomic_load_explicit(&l->tail, memory_order_acquire);
		if (head - l->tail_seen > l->mask) {
			MEDIA_COUNT(lane_full, 1);
			return ENOBUFS;
		}
	}
	slot = &l->slots[head & l->mask];
	slot->fd = fd;
	slot->tolen = tolen;
	slot->len = (uint32_t)len;
	slot->arrival_us = media_arrival();
	memcpy(&slot->to, to, tolen);
	memcpy(slot->data, buf, len);
	atomic_store(&l->head, head + 1);
	if (atomic_load(&s->sleeping) && atomic_exchange(&s->sleeping, 0))
		wake(s);
	return 0;
}

struct release {
	struct lane *l;
	int fd;
};

static void release_run(void *arg)
{
	struct release *r = arg;

	drain(r->l); /* what was queued before the release goes out first */
	close(r->fd);
	g_free(r);
}

void lane_release(struct lane *l, int fd)
{
	struct release *r = g_new(struct release, 1);

	r->l = l;
	r->fd = fd;
	/* The job is posted after the datagrams were queued, so the lane it
	 * drains holds them all, before the descriptor closes. */
	if (worker_post(l->to, release_run, r)) {
		/* The pool is stopping; its worker may still be draining: the
		 * descriptor is closed once the threads are gone. */
		g_mutex_lock(&l->ls->lock);
		g_array_append_val(l->ls->orphans, fd);
		g_mutex_unlock(&l->ls->lock);
		g_free(r);
	}
}
