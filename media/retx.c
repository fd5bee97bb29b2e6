/* retx.c - see retx.h. */
#include "media/retx.h"
#include "media/pktbuf.h"

#include <errno.h>
#include <glib.h>
#include <stdbool.h>

/* Most slots one put looks at to expire old packets (the rest wait for the
 * next put), so that a put after a long pause stays short. */
#define EXPIRE_STEPS 16

struct slot {
	struct pktbuf *p; /* ref, or NULL */
	uint16_t seq;
	int64_t at_us;    /* when it was put */
};

struct retx {
	unsigned mask;
	int64_t max_age_us;   /* 0: kept until overwritten */
	bool started;
	uint16_t oldest;      /* no packet older (in sequence order) is kept */
	uint16_t newest;
	struct slot *slots;   /* owned, mask + 1 entries */
};

int retx_alloc(struct retx **out, unsigned capacity, int64_t max_age_us)
{
	struct retx *r;
	unsigned n = 16;

	if (capacity == 0 || capacity > 32768 || max_age_us < 0)
		return EINVAL;
	while (n < capacity)
		n <<= 1;
	r = g_new0(struct retx, 1);
	r->mask = n - 1;
	r->max_age_us = max_age_us;
	r->slots = g_new0(struct slot, n);
	*out = r;
	return 0;
}

void retx_free(struct retx *r)
{
	if (!r)
		return;
	for (unsigned i = 0; i <= r->mask; i++)
		pktbuf_unref(r->slots[i].p);
	g_free(r->slots);
	g_free(r);
}

/* Drops packets put before `before_us`, oldest sequence numbers first, and
 * stops at the first one still young enough. */
static void expire(struct retx *r, int64_t before_us)
{
	for (unsigned i = 0; i < EXPIRE_STEPS && r->oldest != r->newest; i++) {
		struct slot *s = &r->slots[r->oldest & r->mask];

		if (s->p && s->seq == r->oldest) {
			if (s->at_us >= before_us)
				return;
			pktbuf_unref(s->p);
			s->p = NULL;
		}
		r->oldest++;
	}
}

void retx_put(struct retx *r, uint16_t seq, struct pktbuf *p, int64_t now_us)
{
	struct slot *s = &r->slots[seq & r->mask];

	pktbuf_unref(s->p);
	s->p = p;
	s->seq = seq;
	s->at_us = now_us;
	if (!r->started) {
		r->started = true;
		r->oldest = r->newest = seq;
	} else if ((uint16_t)(seq - r->newest) < 0x8000) {
		r->newest = seq;
		/* what the ring no longer holds is not waited for */
		if ((uint16_t)(r->newest - r->oldest) > r->mask)
			r->oldest = (uint16_t)(r->newest - r->mask);
	} else if ((uint16_t)(r->oldest - seq) < 0x8000 &&
		   (uint16_t)(r->newest - seq) <= r->mask) {
		r->oldest = seq; /* a late packet, still within the ring */
	}
	if (r->max_age_us)
		expire(r, now_us - r->max_age_us);
}

void retx_clear(struct retx *r)
{
	for (unsigned i = 0; i <= r->mask; i++) {
		pktbuf_unref(r->slots[i].p);
		r->slots[i].p = NULL;
	}
	r->started = false;
}

struct pktbuf *retx_get(const struct retx *r, uint16_t seq)
{
	const struct slot *s = &r->slots[seq & r->mask];

	return s->p && s->seq == seq ? s->p : NULL;
}

unsigned retx_count(const struct retx *r)
{
	unsigned n = 0;

	for (unsigned i = 0; i <= r->mask; i++)
		n += r->slots[i].p != NULL;
	return n;
}
