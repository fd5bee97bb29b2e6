/* counters.c - see counters.h. */
#include "media/base/counters.h"

#include <glib.h>

const uint32_t media_delay_bounds_us[MEDIA_DELAY_BUCKETS] = {
	50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, 20000, 50000, 100000,
	250000,
};

static _Thread_local int64_t arrival_us;

static GMutex blocks_lock;
static GPtrArray *blocks; /* of struct media_counters*, never freed: one per thread ever */
static _Thread_local struct media_counters *local;

struct media_counters *media_counters_local(void)
{
	if (G_LIKELY(local))
		return local;
	local = g_new0(struct media_counters, 1);
	g_mutex_lock(&blocks_lock);
	if (!blocks)
		blocks = g_ptr_array_new();
	g_ptr_array_add(blocks, local);
	g_mutex_unlock(&blocks_lock);
	return local;
}

void media_counters_sum(struct media_counters *out)
{
	uint64_t *o = (uint64_t *)out;
	const size_t n = sizeof(*out) / sizeof(uint64_t);

	*out = (struct media_counters){ 0 };
	g_mutex_lock(&blocks_lock);
	for (guint i = 0; blocks && i < blocks->len; i++) {
		const uint64_t *b = g_ptr_array_index(blocks, i);

		for (size_t k = 0; k < n; k++)
			o[k] += __atomic_load_n(&b[k], __ATOMIC_RELAXED);
	}
	g_mutex_unlock(&blocks_lock);
}

uint64_t media_delay_count(const struct media_counters *c)
{
	uint64_t n = 0;

	for (unsigned i = 0; i <= MEDIA_DELAY_BUCKETS; i++)
		n += c->fwd_delay[i];
	return n;
}

void media_delay_add(int64_t us)
{
	unsigned i = 0;

	if (us < 0)
		us = 0;
	while (i < MEDIA_DELAY_BUCKETS && (uint64_t)us > media_delay_bounds_us[i])
		i++;
	MEDIA_COUNT(fwd_delay[i], 1);
	MEDIA_COUNT(fwd_delay_us, (uint64_t)us);
}

void media_arrival_set(int64_t unix_us)
{
	arrival_us = unix_us;
}

int64_t media_arrival(void)
{
	return arrival_us;
}

void media_delay_sent(void)
{
	if (arrival_us)
		media_delay_add(g_get_real_time() - arrival_us);
}
