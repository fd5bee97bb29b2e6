/* sse.c - see sse.h. */
#define LOG_MOD "sse"
#include "signaling/sse.h"
#include "signaling/http.h"
#include "rooms/evq.h"
#include "media/base/log.h"
#include "media/base/util.h"

#include <string.h>

struct sse_hub {
	GMutex lock;
	GPtrArray *streams; /* of struct sse_stream, borrowed */
	GSource *timer;     /* owned */
	int64_t heartbeat_us;
};

struct sse_stream {
	gint refs;               /* the response's and sse_start's */
	struct sse_hub *hub;     /* borrowed */
	struct evq *q;           /* ref */
	unsigned handle;         /* evq_attach */
	GMutex lock;             /* guards hs and wake_early */
	struct http_stream *hs;  /* borrowed, set once the response exists */
	bool wake_early;
	/* @thread the HTTP thread that reads the stream */
	uint64_t last_id;
	GString *out;            /* bytes not yet handed to the connection */
	size_t out_pos;
	gint heartbeat_due;
	int64_t last_write_us;
};

uint64_t sse_parse_last_id(const char *s)
{
	guint64 v;

	if (!s || !g_ascii_string_to_unsigned(s, 10, 0, G_MAXUINT64, &v, NULL))
		return 0;
	return v;
}

static void stream_wake(void *arg)
{
	struct sse_stream *st = arg;

	g_mutex_lock(&st->lock);
	if (st->hs)
		http_stream_wake(st->hs);
	else
		st->wake_early = true;
	g_mutex_unlock(&st->lock);
}

static gboolean hub_tick(gpointer data)
{
	struct sse_hub *hub = data;
	int64_t now = util_now_us();

	g_mutex_lock(&hub->lock);
	for (guint i = 0; i < hub->streams->len; i++) {
		struct sse_stream *st = g_ptr_array_index(hub->streams, i);

		if (now - st->last_write_us >= hub->heartbeat_us) {
			g_atomic_int_set(&st->heartbeat_due, 1);
			stream_wake(st);
		}
	}
	g_mutex_unlock(&hub->lock);
	return G_SOURCE_CONTINUE;
}

struct sse_hub *sse_hub_alloc(GMainContext *ctx, unsigned heartbeat_s)
{
	struct sse_hub *hub = g_new0(struct sse_hub, 1);

	g_mutex_init(&hub->lock);
	hub->streams = g_ptr_array_new();
	hub->heartbeat_us = (int64_t)heartbeat_s * 1000000;
	hub->timer = g_timeout_source_new(250);
	g_source_set_callback(hub->timer, hub_tick, hub, NULL);
	g_source_attach(hub->timer, ctx);
	return hub;
}

void sse_hub_free(struct sse_hub *hub)
{
	if (!hub)
		return;
	g_source_destroy(hub->timer);
	g_source_unref(hub->timer);
	if (hub->streams->len)
		log_warn("%u event stream(s) still open at exit", hub->streams->len);
	g_ptr_array_free(hub->streams, TRUE);
	g_mutex_clear(&hub->lock);
	g_free(hub);
}

unsigned sse_hub_count(struct sse_hub *hub)
{
	unsigned n;

	g_mutex_lock(&hub->lock);
	n = hub->streams->len;
	g_mutex_unlock(&hub->lock);
	return n;
}

/* Appends queued events to st->out until about `want` bytes are there.
 * Returns false when the queue has closed and everything was taken. */
static bool fill(struct sse_stream *st, size_t want)
{
	while (st->out->len - st->out_pos < want) {
		struct evq_event ev;
		uint64_t lost_to = 0;

		switch (evq_next(st->q, st->last_id, &ev, &lost_to)) {
		case EVQ_NEXT_EVENT:
			g_string_append_printf(st->out, "id: %" G_GUINT64_FORMAT "\nevent: %s\ndata: %s\n\n",
					       ev.id, ev.type, ev.data);
			st->last_id = ev.id;
			evq_event_clear(&ev);
			break;
		case EVQ_NEXT_GAP:
			g_string_append_printf(st->out,
					       "event: events_lost\ndata: {\"first\":%" G_GUINT64_FORMAT
					       ",\"last\":%" G_GUINT64_FORMAT "}\n\n",
					       st->last_id + 1, lost_to);
			st->last_id = lost_to;
			break;
		case EVQ_NEXT_EMPTY:
			return true;
		case EVQ_NEXT_CLOSED:
			return false;
		}
	}
	return true;
}

static ssize_t stream_read(void *arg, char *buf, size_t max)
{
	struct sse_stream *st = arg;
	bool open = fill(st, max);
	size_t n;

	if (st->out->len == st->out_pos && g_atomic_int_get(&st->heartbeat_due))
		g_string_append(st->out, ": keepalive\n\n");
	g_atomic_int_set(&st->heartbeat_due, 0);
	n = MIN(max, st->out->len - st->out_pos);
	if (n == 0)
		return open ? 0 : -1;
	memcpy(buf, st->out->str + st->out_pos, n);
	st->out_pos += n;
	if (st->out_pos == st->out->len) {
		g_string_truncate(st->out, 0);
		st->out_pos = 0;
	}
	st->last_write_us = util_now_us();
	return (ssize_t)n;
}

static void stream_unref(struct sse_stream *st)
{
	if (!g_atomic_int_dec_and_test(&st->refs))
		return;
	evq_unref(st->q);
	g_string_free(st->out, TRUE);
	g_mutex_clear(&st->lock);
	g_free(st);
}

static void stream_free(void *arg)
{
	struct sse_stream *st = arg;
	struct sse_hub *hub = st->hub;

	evq_detach(st->q, st->handle); /* no wake can run after this */
	g_mutex_lock(&hub->lock);
	g_ptr_array_remove_fast(hub->streams, st);
	g_mutex_unlock(&hub->lock);
	log_debug("event stream closed after id %" G_GUINT64_FORMAT, st->last_id);
	g_mutex_lock(&st->lock);
	st->hs = NULL;
	g_mutex_unlock(&st->lock);
	stream_unref(st);
}

void sse_start(struct sse_hub *hub, struct http_req *req, struct evq *q, uint64_t after)
{
	struct sse_stream *st = g_new0(struct sse_stream, 1);
	uint64_t last = evq_last_id(q);
	struct http_stream *hs;

	st->refs = 2;
	st->hub = hub;
	st->q = q;
	g_mutex_init(&st->lock);
	st->last_id = after > last ? last : after;
	st->out = g_string_new("retry: 2000\n\n");
	st->last_write_us = util_now_us();
	st->handle = evq_attach(q, stream_wake, st);
	g_mutex_lock(&hub->lock);
	g_ptr_array_add(hub->streams, st);
	g_mutex_unlock(&hub->lock);

	hs = http_respond_stream(req, "text/event-stream", stream_read, stream_free, st);
	/* The response may already have run to its end and freed the stream's
	 * HTTP side: hs is only kept while stream_free has not run. */
	g_mutex_lock(&st->lock);
	if (g_atomic_int_get(&st->refs) == 2) {
		st->hs = hs;
		if (st->wake_early)
			http_stream_wake(hs);
	}
	g_mutex_unlock(&st->lock);
	stream_unref(st);
}
