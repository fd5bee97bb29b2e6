/* main.c - parley-bench: load generator and benchmark for parleyd.
 *
 *   parley-bench [options] fanout|meeting|audio|join
 *
 * Participants are made of parley's own media stack: they join through the
 * HTTP API (or WHIP/WHEP with --whep), publish looped VP8 and Opus in real
 * time and receive without decoding, checking sequence numbers and delay
 * (scenario.c). The report puts the server's packet counters (/metrics)
 * next to its CPU time and memory (/proc/PID), for each SRTP profile.
 * docs/PERFORMANCE.md says how to run it and what the figures were. */
#define LOG_MOD "bench"
#include "media/base/log.h"
#include "media/base/worker.h"
#include "media/dtls.h"
#include "media/srtp.h"
#include "tools/bench/bench.h"
#include "tools/bench/http.h"
#include "tools/bench/peer.h"
#include "tools/bench/report.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct bench_opts o = {
	.subscribers = 10, .participants = 5, .joins = 50, .parallel = 8, .duration = 10,
	.warmup = 2, .packet_size = 1200, .audio_kbps = 32, .workers = 2,
};

static GOptionEntry entries[] = {
	{ "url", 'u', 0, G_OPTION_ARG_STRING, &o.url, "parleyd's base URL (http://127.0.0.1:8080)", "URL" },
	{ "server-pid", 'p', 0, G_OPTION_ARG_INT, &o.server_pid, "parleyd's pid: CPU and memory from /proc", "PID" },
	{ "subscribers", 'n', 0, G_OPTION_ARG_INT, &o.subscribers, "fanout: subscribers of the one publisher (10)", "N" },
	{ "participants", 'N', 0, G_OPTION_ARG_INT, &o.participants, "meeting, audio: participants (5)", "N" },
	{ "joins", 'm', 0, G_OPTION_ARG_INT, &o.joins, "join: subscribers joining at once (50)", "M" },
	{ "parallel", 0, 0, G_OPTION_ARG_INT, &o.parallel, "join: joins in flight (8)", "K" },
	{ "duration", 'd', 0, G_OPTION_ARG_INT, &o.duration, "seconds measured (10)", "S" },
	{ "warmup", 'w', 0, G_OPTION_ARG_INT, &o.warmup, "seconds before measuring (2)", "S" },
	{ "video", 'v', 0, G_OPTION_ARG_STRING, &o.video, "video WxH@fps:kbps (1280x720@30:2500)", "SPEC" },
	{ "packet-size", 's', 0, G_OPTION_ARG_INT, &o.packet_size, "largest RTP packet, bytes (1200)", "B" },
	{ "audio-kbps", 0, 0, G_OPTION_ARG_INT, &o.audio_kbps, "Opus bitrate (32)", "K" },
	{ "srtp", 0, 0, G_OPTION_ARG_STRING, &o.srtp, "SRTP profiles to run: gcm,cm (both)", "LIST" },
	{ "room", 'r', 0, G_OPTION_ARG_STRING, &o.room, "room name prefix (bench)", "NAME" },
	{ "api-key", 0, 0, G_OPTION_ARG_STRING, &o.api_key, "API key for tokens (devkey)", "KEY" },
	{ "api-secret", 0, 0, G_OPTION_ARG_STRING, &o.api_secret, "API secret (secret)", "SECRET" },
	{ "local-addr", 0, 0, G_OPTION_ARG_STRING, &o.local_addr, "ICE address of the bench (127.0.0.1)", "IP" },
	{ "workers", 0, 0, G_OPTION_ARG_INT, &o.workers, "bench media threads (2)", "N" },
	{ "whep", 0, 0, G_OPTION_ARG_NONE, &o.whep, "fanout/join with a WHIP publisher and WHEP viewers", NULL },
	{ "no-audio", 0, 0, G_OPTION_ARG_NONE, &o.no_audio, "video only (every packet full size)", NULL },
	{ "json", 0, 0, G_OPTION_ARG_NONE, &o.json, "print the report as JSON", NULL },
	{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &o.quiet, "no progress lines", NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL },
};

/* --- set-up ------------------------------------------------------------------- */

static int parse_video(struct bench_video_params *vp)
{
	unsigned w, h, fps, kbps;

	if (sscanf(o.video, "%ux%u@%u:%u", &w, &h, &fps, &kbps) != 4)
		return EINVAL;
	*vp = (struct bench_video_params){ .width = w, .height = h, .fps = fps,
					   .bitrate_kbps = kbps, .seconds = 4,
					   .keyframe_every = fps * 2,
					   .max_payload = (size_t)o.packet_size - 12 };
	return 0;
}

static int bench_init(struct bench *b)
{
	struct bench_video_params vp;
	struct bench_audio_params ap = { .bitrate_bps = (unsigned)o.audio_kbps * 1000,
					 .seconds = 4, .frame_ms = 20 };
	char msg[200];

	memset(b, 0, sizeof(*b));
	b->o = &o;
	if (parse_video(&vp)) {
		fprintf(stderr, "parley-bench: --video wants WxH@fps:kbps, not \"%s\"\n", o.video);
		return EINVAL;
	}
	if (bench_video_make(&b->track[BENCH_VIDEO], &vp, msg, sizeof(msg)) ||
	    bench_audio_make(&b->track[BENCH_AUDIO], &ap, msg, sizeof(msg))) {
		fprintf(stderr, "parley-bench: media: %s\n", msg);
		return EINVAL;
	}
	if (srtp_global_init())
		fprintf(stderr, "parley-bench: SRTP on libsrtp2's own primitives\n");
	if (dtls_cert_generate(&b->cert) || workers_alloc(&b->ws, (unsigned)o.workers)) {
		fprintf(stderr, "parley-bench: cannot start the media stack\n");
		return EIO;
	}
	b->local_addrs[0] = o.local_addr;
	b->t0 = g_get_real_time();
	return 0;
}

static void bench_fini(struct bench *b)
{
	workers_free(b->ws);
	dtls_cert_unref(b->cert);
	for (int k = 0; k < 2; k++)
		bench_track_free(b->track[k]);
}

static const char *const scenarios[] = { "fanout", "meeting", "audio", "join", NULL };

static bool parse_args(int *argc, char ***argv)
{
	GOptionContext *ctx = g_option_context_new("fanout|meeting|audio|join");
	GError *e = NULL;
	bool ok;

	g_option_context_set_summary(ctx, "Load generator and benchmark for parleyd (docs/PERFORMANCE.md).");
	g_option_context_add_main_entries(ctx, entries, NULL);
	ok = g_option_context_parse(ctx, argc, argv, &e);
	if (!ok)
		fprintf(stderr, "parley-bench: %s\n", e->message);
	g_clear_error(&e);
	g_option_context_free(ctx);
	if (!ok)
		return false;
	o.scenario = *argc > 1 ? (*argv)[1] : NULL;
	if (!o.scenario || !g_strv_contains(scenarios, o.scenario)) {
		fprintf(stderr, "parley-bench: a scenario: fanout, meeting, audio or join (see --help)\n");
		return false;
	}
	if (o.whep && (!strcmp(o.scenario, "meeting") || !strcmp(o.scenario, "audio"))) {
		fprintf(stderr, "parley-bench: --whep is for fanout and join\n");
		return false;
	}
	if (o.subscribers < 1 || o.subscribers > 10000 || o.participants < 2 ||
	    o.participants > 1000 || o.joins < 1 || o.joins > 10000 || o.parallel < 1 ||
	    o.duration < 1 || o.warmup < 0 || o.packet_size < 300 || o.packet_size > 1400 ||
	    o.workers < 1 || o.workers > 64) {
		fprintf(stderr, "parley-bench: an option is out of range (see --help)\n");
		return false;
	}
	return true;
}

static void set_defaults(void)
{
	if (!o.url)
		o.url = g_strdup("http://127.0.0.1:8080");
	g_strchomp(o.url);
	while (g_str_has_suffix(o.url, "/"))
		o.url[strlen(o.url) - 1] = 0;
	if (!o.video)
		o.video = g_strdup("1280x720@30:2500");
	if (!o.srtp)
		o.srtp = g_strdup("gcm,cm");
	if (!o.room)
		o.room = g_strdup("bench");
	if (!o.api_key)
		o.api_key = g_strdup("devkey");
	if (!o.api_secret)
		o.api_secret = g_strdup("secret");
	if (!o.local_addr)
		o.local_addr = g_strdup("127.0.0.1");
}

static int run_profile(struct bench *b, const char *name, struct report *rep)
{
	unsigned profile = strcmp(name, "gcm") == 0 ? DTLS_SRTP_AEAD_AES_128_GCM :
			   strcmp(name, "cm") == 0  ? DTLS_SRTP_AES128_CM_SHA1_80 : 0;
	struct run_result *r;
	char room[160];
	int err;

	if (!profile) {
		fprintf(stderr, "parley-bench: --srtp takes gcm and/or cm, not \"%s\"\n", name);
		return EINVAL;
	}
	r = report_run_new(rep, profile == DTLS_SRTP_AEAD_AES_128_GCM ? "AEAD_AES_128_GCM" :
									"AES_CM_128_HMAC_SHA1_80");
	if (!r) {
		fprintf(stderr, "parley-bench: at most 4 runs (--srtp)\n");
		return EINVAL;
	}
	g_snprintf(room, sizeof(room), "%s-%s-%s-%u", o.room, o.scenario, name,
		   g_random_int_range(0, 1000000));
	if (!o.quiet)
		fprintf(stderr, "parley-bench: %s, %s, room %s\n", o.scenario, r->profile_name, room);
	err = bench_scenario_run(b, room, profile, r);
	return err;
}

int main(int argc, char **argv)
{
	struct report rep;
	struct bench b;
	gchar **profiles;
	int err = 0;

	if (!parse_args(&argc, &argv))
		return 2;
	set_defaults();
	log_level_set(LOG_LVL_WARN);
	if (bench_http_global_init() || bench_init(&b))
		return 1;
	report_init(&rep, o.scenario, o.server_pid > 0);
	rep.subscribers = !strcmp(o.scenario, "fanout") ? o.subscribers :
			  !strcmp(o.scenario, "join")   ? o.joins :
							  o.participants;
	rep.video = strcmp(o.scenario, "audio") ? o.video : "none (audio only)";
	rep.packet_size = o.packet_size;
	rep.duration_s = o.duration;
	rep.parallel = o.parallel;
	profiles = g_strsplit(o.srtp, ",", -1);
	for (gchar **p = profiles; *p && !err; p++)
		err = run_profile(&b, *p, &rep);
	g_strfreev(profiles);
	if (o.json)
		report_print_json(&rep, stdout);
	else
		report_print_table(&rep, stdout);
	report_clear(&rep);
	bench_fini(&b);
	bench_http_global_cleanup();
	return err ? 1 : 0;
}
