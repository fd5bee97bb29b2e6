/* kfreq.c - see kfreq.h. */
#include "rooms/kfreq.h"

#include <string.h>

void kfreq_init(struct kfreq *k, int64_t interval_us)
{
	memset(k, 0, sizeof(*k));
	k->interval_us = interval_us;
}

static bool due(const struct kfreq *k, int64_t now_us)
{
	return k->last_sent_us == 0 || now_us - k->last_sent_us >= k->interval_us;
}

bool kfreq_want(struct kfreq *k, int64_t now_us)
{
	k->asked++;
	if (due(k, now_us)) {
		k->last_sent_us = now_us;
		k->pending = false;
		k->sent++;
		return true;
	}
	k->pending = true;
	return false;
}

bool kfreq_poll(struct kfreq *k, int64_t now_us)
{
	if (!k->pending || !due(k, now_us))
		return false;
	k->last_sent_us = now_us;
	k->pending = false;
	k->sent++;
	return true;
}

void kfreq_keyframe(struct kfreq *k)
{
	k->pending = false;
}
