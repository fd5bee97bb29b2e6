/* bench.h - what parley-bench's scenarios share: the options, the media
 * stack (workers, certificate, encoded tracks) and the scenario runner. */
#ifndef PARLEY_BENCH_BENCH_H
#define PARLEY_BENCH_BENCH_H

#include <glib.h>
#include <stdbool.h>

#include "media/base/worker.h"
#include "media/dtls.h"
#include "tools/bench/report.h"
#include "tools/bench/source.h"

struct bench_opts {
	char *url;          /* parleyd's base URL, no trailing slash */
	int server_pid;     /* 0: no /proc figures */
	char *scenario;     /* fanout, meeting, audio, join */
	int subscribers;    /* fanout: viewers */
	int participants;   /* meeting, audio */
	int joins;          /* join */
	int parallel;       /* join: requests in flight */
	int duration;       /* seconds measured */
	int warmup;
	char *video;        /* WxH@fps:kbps */
	int packet_size;
	int audio_kbps;
	char *srtp;         /* "gcm,cm" */
	char *room;
	char *api_key, *api_secret;
	char *local_addr;
	int workers;
	gboolean whep;      /* fanout/join through WHIP/WHEP instead of the API */
	gboolean no_audio;  /* fanout/join/meeting: video only */
	gboolean json;
	gboolean quiet;
};

struct bench {
	const struct bench_opts *o;
	struct workers *ws;              /* owned */
	struct dtls_cert *cert;          /* owned */
	struct bench_track *track[2];    /* owned: BENCH_AUDIO, BENCH_VIDEO */
	const char *local_addrs[2];
	int64_t t0;
	unsigned next_worker;            /* atomic: round robin */
};

/* Runs o->scenario once in `room` with one SRTP profile (DTLS_SRTP_* bit),
 * filling *r. Returns 0, or an errno when it could not run at all (a
 * message went to stderr). @thread main */
int bench_scenario_run(struct bench *b, const char *room, unsigned profile,
		       struct run_result *r);

#endif
