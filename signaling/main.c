/* main.c - parleyd's composition root: loads the configuration, opens the
 * store, starts the media workers, the rooms and the HTTP API, and shuts them
 * down in reverse order on SIGINT/SIGTERM within a bounded time. */
#define LOG_MOD "main"
#include "config/config.h"
#include "media/base/log.h"
#include "media/base/util.h"
#include "media/base/worker.h"
#include "recorder/storage.h"
#include "media/dtls.h"
#include "media/srtp.h"
#include "rooms/rooms.h"
#include "rooms/sfu.h"
#include "media/lanes.h"
#include "media/udpmux.h"
#include "rooms/store.h"
#include "signaling/api.h"
#include "signaling/http.h"
#include "signaling/sse.h"
#include "signaling/token_cli.h"

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <string.h>
#include <unistd.h>

struct app {
	struct config *cfg;
	struct store *store;
	struct workers *workers;
	struct rooms *rooms;
	struct sse_hub *hub;
	struct http_server *http;
	struct api api;
	struct dtls_cert *cert;
	struct sfu_cfg sfu;
	struct lanes *lanes;
	struct udpmux **muxes; /* owned, one per worker; NULL: none */
	unsigned n_muxes;
	GMainLoop *loop;
};

static gboolean on_signal(gpointer data)
{
	struct app *app = data;

	log_info("signal received, shutting down");
	g_main_loop_quit(app->loop);
	return G_SOURCE_REMOVE;
}

/* Ends the process if shutting down takes longer than configured. */
static gpointer watchdog(gpointer data)
{
	unsigned secs = GPOINTER_TO_UINT(data);

	g_usleep((gulong)secs * G_USEC_PER_SEC);
	log_err("shutdown took longer than %us, exiting now", secs);
	_exit(1);
	return NULL;
}

static int has_arg(int argc, char **argv, const char *flag)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], flag) == 0)
			return 1;
	}
	return 0;
}

static int open_data(struct app *app)
{
	const struct config *cfg = app->cfg;
	char *errmsg = NULL, *db;
	uint64_t free_bytes = 0;
	int err;

	if (g_mkdir_with_parents(cfg->data_dir, 0750) != 0) {
		log_err("cannot create the data folder %s: %s", cfg->data_dir, g_strerror(errno));
		return 1;
	}
	err = recorder_storage_prepare(cfg->data_dir, &free_bytes, &errmsg);
	if (err) {
		log_err("data folder: %s", errmsg);
		g_free(errmsg);
		return 1;
	}
	log_info("data folder %s (%.1f GiB free)", cfg->data_dir,
		 (double)free_bytes / (1024.0 * 1024.0 * 1024.0));
	db = g_build_filename(cfg->data_dir, "parley.db", NULL);
	err = store_open(&app->store, db);
	if (err)
		log_err("cannot open the database %s: %s", db,
			err == EPROTO ? "it was written by a newer parley" : g_strerror(err));
	g_free(db);
	return err ? 1 : 0;
}

/* Every participant holds a few descriptors (a UDP socket per connection,
 * its duplicate for a send lane, the event stream's TCP connection): the
 * usual soft limit of 1024 would cap a server at a few hundred people, so
 * take what the hard limit allows. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rlim_t was = rl.rlim_cur;

	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 1048576 ? 1048576 : rl.rlim_max;
	if (rl.rlim_cur <= was)
		return;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
		log_info("open files limit raised from %lu to %lu", (unsigned long)was,
			 (unsigned long)rl.rlim_cur);
	else
		log_warn("open files limit stays at %lu (%s): a few hundred participants at most",
			 (unsigned long)was, g_strerror(errno));
}

/* The DTLS certificate (loaded or generated), SRTP, and the media settings
 * every room uses. */
static int media_init(struct app *app)
{
	const struct config *cfg = app->cfg;
	char fp[DTLS_FP_STR_MAX];
	int err;

	raise_fd_limit();
	if (srtp_global_init())
		log_warn("SRTP runs on libsrtp2's own primitives (slower)");
	if (cfg->cert_file[0])
		err = dtls_cert_load(&app->cert, cfg->cert_file, cfg->key_file);
	else
		err = dtls_cert_generate(&app->cert);
	if (err) {
		log_err("DTLS certificate %s: %s", cfg->cert_file[0] ? cfg->cert_file : "(generated)",
			g_strerror(err));
		return 1;
	}
	dtls_cert_fingerprint(app->cert, "sha-256", fp, sizeof(fp));
	log_info("DTLS certificate sha-256 %s", fp);
	app->sfu = (struct sfu_cfg){
		.cert = app->cert,
		.local_addrs = cfg->local_addrs[0] ? (const char *const *)cfg->local_addrs : NULL,
		.port_min = cfg->port_min,
		.port_max = cfg->port_max,
		.public_ip = cfg->public_ip[0] ? cfg->public_ip : NULL,
		.connect_timeout_s = cfg->connect_timeout,
		.max_tracks = cfg->max_tracks,
		.parallel_fanout = cfg->parallel_fanout,
	};
	return 0;
}

/* [media] worker_priority. Not being allowed is not fatal: the server runs
 * at normal priority and says so. */
static void workers_priority(struct app *app)
{
	const char *name = app->cfg->worker_priority;
	enum worker_priority p = !strcmp(name, "realtime") ? WORKER_PRIORITY_REALTIME :
				 !strcmp(name, "high")     ? WORKER_PRIORITY_HIGH :
							     WORKER_PRIORITY_NORMAL;
	int err;

	if (p == WORKER_PRIORITY_NORMAL)
		return;
	err = workers_set_priority(app->workers, p);
	if (err)
		log_warn("[media] worker_priority %s: not allowed (%s): the media workers run at "
			 "normal priority; give parleyd CAP_SYS_NICE (systemd: "
			 "AmbientCapabilities=CAP_SYS_NICE) or LimitRTPRIO=/LimitNICE=", name,
			 g_strerror(err));
	else
		log_info("media workers run at %s priority (%s)", name,
			 p == WORKER_PRIORITY_REALTIME ? "SCHED_RR 10" : "nice -10");
}

/* [media] udp_port: every worker's ICE-lite port (media/udpmux.h). */
static int muxes_start(struct app *app)
{
	const struct config *cfg = app->cfg;
	unsigned n = workers_count(app->workers);

	if (!cfg->udp_port)
		return 0;
	if (cfg->udp_port + n - 1 > 65535) {
		log_err("[media] udp_port %u: %u workers need ports up to %u", cfg->udp_port, n,
			cfg->udp_port + n - 1);
		return 1;
	}
	app->muxes = g_new0(struct udpmux *, n);
	app->n_muxes = n;
	for (unsigned i = 0; i < n; i++) {
		struct worker *w = workers_get(app->workers, i);
		int err = udpmux_alloc(&app->muxes[i], worker_context(w), app->sfu.local_addrs,
				       cfg->udp_port + i);

		if (err) {
			log_err("cannot use UDP port %u for media: %s", cfg->udp_port + i,
				g_strerror(err));
			return 1;
		}
	}
	app->sfu.muxes = app->muxes;
	if (n == 1)
		log_info("media on UDP port %u (ICE-lite)", cfg->udp_port);
	else
		log_info("media on UDP ports %u-%u, one per worker (ICE-lite)", cfg->udp_port,
			 cfg->udp_port + n - 1);
	return 0;
}

static void muxes_free(struct app *app)
{
	if (!app->muxes)
		return;
	for (unsigned i = 0; i < app->n_muxes; i++)
		udpmux_free(app->muxes[i]);
	g_free(app->muxes);
	app->muxes = NULL;
}

static int start(struct app *app)
{
	const struct config *cfg = app->cfg;
	struct rooms_opts ro = {
		.max_rooms = cfg->max_rooms,
		.max_participants = cfg->max_participants,
		.empty_timeout = cfg->empty_timeout,
		.participant_timeout = cfg->participant_timeout,
		.event_buffer = cfg->event_buffer,
		.auto_create = cfg->auto_create,
		.sfu = &app->sfu,
	};
	struct http_opts ho = {
		.bind = cfg->http_bind,
		.port = cfg->http_port,
		.threads = cfg->http_threads,
		.max_body = cfg->max_body,
		.max_connections = cfg->max_connections,
		.web_root = cfg->web_root,
	};
	int err;

	if (open_data(app) || media_init(app))
		return 1;
	if (workers_alloc(&app->workers, cfg->workers)) {
		log_err("cannot start the media workers");
		return 1;
	}
	workers_priority(app);
	if (lanes_alloc(&app->lanes, app->workers, 0)) {
		log_err("cannot make the media workers' send lanes");
		return 1;
	}
	app->sfu.lanes = app->lanes;
	app->sfu.workers = app->workers;
	if (muxes_start(app))
		return 1;
	if (rooms_alloc(&app->rooms, &ro, app->workers, app->store)) {
		log_err("cannot load the rooms from the store");
		return 1;
	}
	app->hub = sse_hub_alloc(NULL, cfg->heartbeat);
	app->api = (struct api){ .cfg = cfg, .rooms = app->rooms, .hub = app->hub,
				 .started_at = util_unix_time() };
	err = http_server_start(&app->http, &ho, api_routes(), &app->api);
	if (err) {
		log_err("cannot listen on %s port %u: %s", cfg->http_bind, cfg->http_port,
			g_strerror(err));
		return 1;
	}
	log_info("listening on http://%s%s%s:%u/", strchr(cfg->http_bind, ':') ? "[" : "",
		 cfg->http_bind, strchr(cfg->http_bind, ':') ? "]" : "", http_server_port(app->http));
	if (cfg->dev)
		log_warn("dev mode: API key \"%s\", secret \"%s\"; tokens at POST /v1/dev/token. "
			 "Not for production.", cfg->dev_api_key, cfg->dev_api_secret);
	return 0;
}

/* Lets the main loop run (heartbeats, stream ends) until the HTTP side has
 * nothing in flight or `ms` milliseconds have passed. */
static void drain(struct app *app, unsigned ms)
{
	int64_t until = util_now_us() + (int64_t)ms * 1000;

	while (http_server_active(app->http) > 0 && util_now_us() < until) {
		g_main_context_iteration(NULL, FALSE);
		g_usleep(10000);
	}
}

static void stop(struct app *app)
{
	if (app->http) {
		http_server_quiesce(app->http);
		if (app->rooms)
			rooms_shutdown(app->rooms);
		drain(app, 2000);
		http_server_stop(app->http);
	} else if (app->rooms) {
		rooms_shutdown(app->rooms);
	}
	rooms_free(app->rooms);
	sse_hub_free(app->hub);
	workers_free(app->workers);
	lanes_free(app->lanes); /* after the workers: they drain them */
	muxes_free(app);        /* after the lanes: they send on the muxes' sockets */
	store_close(app->store);
	dtls_cert_unref(app->cert);
	if (app->loop)
		g_main_loop_unref(app->loop);
}

int main(int argc, char **argv, char **envp)
{
	struct app app = { 0 };
	char *errmsg = NULL;
	enum log_level lvl = LOG_LVL_INFO;
	int rc;

	if (argc > 1 && strcmp(argv[1], "token") == 0)
		return token_cli_main(argc - 1, argv + 1, envp);
	if (has_arg(argc, argv, "--version")) {
		printf("parleyd %s\n", PARLEY_VERSION);
		return 0;
	}
	if (has_arg(argc, argv, "--help") || has_arg(argc, argv, "-h")) {
		printf("usage: parleyd [flags]\n       parleyd token --help\n%s", config_flags_help());
		return 0;
	}
	if (config_load(&app.cfg, &argc, argv, envp, &errmsg)) {
		fprintf(stderr, "parleyd: %s\n", errmsg);
		g_free(errmsg);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--check-config") != 0) {
			fprintf(stderr, "parleyd: unexpected argument \"%s\" (see --help)\n", argv[i]);
			config_free(app.cfg);
			return 2;
		}
	}
	if (has_arg(argc, argv, "--check-config")) {
		printf("configuration OK\n");
		config_free(app.cfg);
		return 0;
	}
	log_level_parse(app.cfg->log_level, &lvl);
	log_level_set(lvl);
	signal(SIGPIPE, SIG_IGN);
	log_info("parleyd %s starting%s", PARLEY_VERSION, app.cfg->dev ? " in dev mode" : "");

	/* Signals are caught from here on; they are acted on once the loop runs. */
	app.loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGINT, on_signal, &app);
	g_unix_signal_add(SIGTERM, on_signal, &app);
	rc = start(&app);
	if (rc == 0) {
		g_main_loop_run(app.loop);
		g_thread_unref(g_thread_new("watchdog", watchdog,
					    GUINT_TO_POINTER(app.cfg->shutdown_timeout)));
	}
	stop(&app);
	log_info("stopped");
	config_free(app.cfg);
	return rc;
}
