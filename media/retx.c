/* retx.c - see retx.h. */
#include "media/retx.h"
#include "media/pktbuf.h"

#include <errno.h>
#include <glib.h>

struct slot {
	struct pktbuf *p; /* ref, or NULL */
	uint16_t seq;
};

struct retx {
	unsigned mask;
	struct slot *slots; /* owned, mask + 1 entries */
};

int retx_alloc(struct retx **out, unsigned capacity)
{
	struct retx *r;
	unsigned n = 16;

	if (capacity == 0 || capacity > 32768)
		return EINVAL;
	while (n < capacity)
		n <<= 1;
	r = g_new0(struct retx, 1);
	r->mask = n - 1;
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

void retx_put(struct retx *r, uint16_t seq, struct pktbuf *p)
{
	struct slot *s = &r->slots[seq & r->mask];

	pktbuf_unref(s->p);
	s->p = p;
	s->seq = seq;
}

void retx_clear(struct retx *r)
{
	for (unsigned i = 0; i <= r->mask; i++) {
		pktbuf_unref(r->slots[i].p);
		r->slots[i].p = NULL;
	}
}

struct pktbuf *retx_get(const struct retx *r, uint16_t seq)
{
	const struct slot *s = &r->slots[seq & r->mask];

	return s->p && s->seq == seq ? s->p : NULL;
}
