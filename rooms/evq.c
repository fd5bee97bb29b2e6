/* evq.c - see evq.h. */
#include "rooms/evq.h"
#include "media/base/util.h"

#include <glib.h>

struct reader {
	unsigned handle;
	evq_wake_h *wake;
	void *arg;
};

struct evq {
	GMutex lock;
	gint refs;
	unsigned capacity;
	struct evq_event *ring; /* owned, capacity entries; slot = id % capacity */
	uint64_t first_id;      /* oldest id still in the ring (0 when empty) */
	uint64_t last_id;       /* newest id pushed */
	bool closed;
	GArray *readers;        /* owned, of struct reader */
	unsigned next_handle;
	int64_t idle_since;
};

struct evq *evq_alloc(unsigned capacity)
{
	struct evq *q = g_new0(struct evq, 1);

	g_mutex_init(&q->lock);
	q->refs = 1;
	q->capacity = capacity ? capacity : 1;
	q->ring = g_new0(struct evq_event, q->capacity);
	q->readers = g_array_new(FALSE, FALSE, sizeof(struct reader));
	q->idle_since = util_now_us();
	return q;
}

struct evq *evq_ref(struct evq *q)
{
	g_atomic_int_inc(&q->refs);
	return q;
}

void evq_unref(struct evq *q)
{
	if (!q || !g_atomic_int_dec_and_test(&q->refs))
		return;
	for (unsigned i = 0; i < q->capacity; i++)
		evq_event_clear(&q->ring[i]);
	g_free(q->ring);
	g_array_free(q->readers, TRUE);
	g_mutex_clear(&q->lock);
	g_free(q);
}

static void wake_locked(struct evq *q)
{
	for (guint i = 0; i < q->readers->len; i++) {
		struct reader *r = &g_array_index(q->readers, struct reader, i);
		r->wake(r->arg);
	}
}

uint64_t evq_push(struct evq *q, const char *type, const char *data)
{
	struct evq_event *slot;
	uint64_t id;

	g_mutex_lock(&q->lock);
	if (q->closed) {
		g_mutex_unlock(&q->lock);
		return 0;
	}
	id = ++q->last_id;
	slot = &q->ring[id % q->capacity];
	evq_event_clear(slot);
	slot->id = id;
	slot->type = g_strdup(type);
	slot->data = g_strdup(data);
	if (q->first_id == 0)
		q->first_id = id;
	else if (id - q->first_id >= q->capacity)
		q->first_id = id - q->capacity + 1;
	wake_locked(q);
	g_mutex_unlock(&q->lock);
	return id;
}

void evq_close(struct evq *q)
{
	g_mutex_lock(&q->lock);
	q->closed = true;
	wake_locked(q);
	g_mutex_unlock(&q->lock);
}

enum evq_next evq_next(struct evq *q, uint64_t after, struct evq_event *ev, uint64_t *lost_to)
{
	enum evq_next res;

	g_mutex_lock(&q->lock);
	if (after >= q->last_id) {
		res = q->closed ? EVQ_NEXT_CLOSED : EVQ_NEXT_EMPTY;
	} else if (after + 1 < q->first_id) {
		*lost_to = q->first_id - 1;
		res = EVQ_NEXT_GAP;
	} else {
		const struct evq_event *e = &q->ring[(after + 1) % q->capacity];

		ev->id = e->id;
		ev->type = g_strdup(e->type);
		ev->data = g_strdup(e->data);
		res = EVQ_NEXT_EVENT;
	}
	g_mutex_unlock(&q->lock);
	return res;
}

uint64_t evq_last_id(struct evq *q)
{
	uint64_t id;

	g_mutex_lock(&q->lock);
	id = q->last_id;
	g_mutex_unlock(&q->lock);
	return id;
}

void evq_event_clear(struct evq_event *ev)
{
	g_free(ev->type);
	g_free(ev->data);
	ev->type = NULL;
	ev->data = NULL;
	ev->id = 0;
}

unsigned evq_attach(struct evq *q, evq_wake_h *wake, void *arg)
{
	struct reader r = { .wake = wake, .arg = arg };

	g_mutex_lock(&q->lock);
	r.handle = ++q->next_handle;
	g_array_append_val(q->readers, r);
	g_mutex_unlock(&q->lock);
	return r.handle;
}

void evq_detach(struct evq *q, unsigned handle)
{
	g_mutex_lock(&q->lock);
	for (guint i = 0; i < q->readers->len; i++) {
		if (g_array_index(q->readers, struct reader, i).handle == handle) {
			g_array_remove_index_fast(q->readers, i);
			break;
		}
	}
	if (q->readers->len == 0)
		q->idle_since = util_now_us();
	g_mutex_unlock(&q->lock);
}

void evq_wake_all(struct evq *q)
{
	g_mutex_lock(&q->lock);
	wake_locked(q);
	g_mutex_unlock(&q->lock);
}

bool evq_idle(struct evq *q, int64_t *since_us)
{
	bool idle;

	g_mutex_lock(&q->lock);
	idle = q->readers->len == 0;
	*since_us = q->idle_since;
	g_mutex_unlock(&q->lock);
	return idle;
}
