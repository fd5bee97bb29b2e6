/* kfreq.h - keyframe request throttle for one published video stream. Any
 * number of consumers may ask for a keyframe (joining, after loss); the
 * publisher gets at most one PLI per interval, and a request that arrives
 * inside the interval is sent when it ends unless a keyframe came first. */
#ifndef PARLEY_ROOMS_KFREQ_H
#define PARLEY_ROOMS_KFREQ_H

#include <stdbool.h>
#include <stdint.h>

struct kfreq {
	int64_t interval_us;
	int64_t last_sent_us; /* 0 = never */
	bool pending;
	uint64_t asked;       /* requests from consumers */
	uint64_t sent;        /* requests sent to the publisher */
};

void kfreq_init(struct kfreq *k, int64_t interval_us);

/* A consumer wants a keyframe. True when a request goes to the publisher now. */
bool kfreq_want(struct kfreq *k, int64_t now_us);

/* Called periodically: true when a deferred request is due now. */
bool kfreq_poll(struct kfreq *k, int64_t now_us);

/* A keyframe arrived from the publisher: deferred requests are satisfied. */
void kfreq_keyframe(struct kfreq *k);

#endif
