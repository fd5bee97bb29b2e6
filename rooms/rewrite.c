/* rewrite.c - see rewrite.h. */
#include "rooms/rewrite.h"

#include <string.h>

/* a is newer than b in 16-bit sequence space (RFC 3550 A.1 style). */
static bool seq_newer(uint16_t a, uint16_t b)
{
	return a != b && (uint16_t)(a - b) < 0x8000;
}

void rewrite_init(struct rewrite *w, uint32_t clock_rate)
{
	memset(w, 0, sizeof(*w));
	w->clock_rate = clock_rate;
	w->pending = true;
}

void rewrite_switch(struct rewrite *w)
{
	w->pending = true;
}

/* The first packet of a source: offsets that make it follow what was sent. */
static void source_start(struct rewrite *w, uint16_t seq, uint32_t ts, int64_t now_us)
{
	uint32_t advance = 1;

	if (!w->started) {
		/* The first stream keeps its numbers: offsets zero. */
		w->seq_off = 0;
		w->ts_off = 0;
		w->out_seq = (uint16_t)(seq - 1);
		w->out_ts = ts;
		w->out_us = now_us;
		w->started = true;
	} else {
		int64_t elapsed = now_us - w->out_us;

		if (elapsed > 0)
			advance = (uint32_t)((uint64_t)elapsed * w->clock_rate / 1000000u);
		if (advance == 0)
			advance = 1;
		w->seq_off = (uint16_t)(w->out_seq + 1 - seq);
		w->ts_off = w->out_ts + advance - ts;
	}
	w->src_first_seq = seq;
	w->pending = false;
}

bool rewrite_map(struct rewrite *w, uint16_t seq, uint32_t ts, int64_t now_us,
		 uint16_t *out_seq, uint32_t *out_ts)
{
	uint16_t s;
	uint32_t t;

	if (w->pending)
		source_start(w, seq, ts, now_us);
	else if (seq != w->src_first_seq && !seq_newer(seq, w->src_first_seq))
		return false;
	s = (uint16_t)(seq + w->seq_off);
	t = ts + w->ts_off;
	if (seq_newer(s, w->out_seq)) {
		w->out_seq = s;
		w->out_ts = t;
		w->out_us = now_us;
	}
	*out_seq = s;
	*out_ts = t;
	return true;
}

void rewrite_map_vp8(struct rewrite *w, bool new_source_packet, uint16_t pid, uint8_t tl0,
		     uint16_t *out_pid, uint8_t *out_tl0)
{
	if (new_source_packet) {
		w->pid_off = (uint16_t)((w->out_pid + 1 - pid) & 0x7fff);
		w->tl0_off = (uint8_t)(w->out_tl0 + 1 - tl0);
	}
	*out_pid = (uint16_t)((pid + w->pid_off) & 0x7fff);
	*out_tl0 = (uint8_t)(tl0 + w->tl0_off);
	/* Keep the highest picture id sent (15-bit wrap). */
	if (((*out_pid - w->out_pid) & 0x7fff) < 0x4000)
		w->out_pid = *out_pid;
	w->out_tl0 = *out_tl0;
}
