/* counters.c - see counters.h. */
#include "media/base/counters.h"

#include <glib.h>

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
