/* config.h - parleyd's configuration: one immutable struct config, built in
 * layers: embedded defaults, then the INI file (GLib GKeyFile), then
 * PARLEY_<SECTION>_<KEY> environment variables, then command-line flags.
 * Every key is documented, with its default, in config/parley.conf.
 * A bad key or value stops start-up with a message that names the source
 * (file:line, environment variable or flag), the key and the reason. */
#ifndef PARLEY_CONFIG_CONFIG_H
#define PARLEY_CONFIG_CONFIG_H

#include <stdbool.h>

struct config_api_key {
	char *key;    /* owned */
	char *secret; /* owned */
};

struct config {
	/* [server] */
	char *data_dir;            /* owned; "./parley-data" */
	unsigned workers;          /* 0 = one per core; 0..256 */
	char *log_level;           /* owned; error|warn|info|debug */
	unsigned shutdown_timeout; /* seconds, 1..300; default 10 */
	bool dev;                  /* dev mode */

	/* [http] */
	char *http_bind;        /* owned; IPv4/IPv6 literal; default "0.0.0.0",
	                           in dev mode "127.0.0.1" unless set explicitly */
	unsigned http_port;     /* 1..65535 (0 = any free port, for tests); default 8080 */
	unsigned http_threads;  /* 1..64; default 2 */
	unsigned max_body;      /* bytes, 1024..16777216; default 65536 */
	unsigned max_connections; /* 16..100000; default 1024 */
	char *web_root;         /* owned; folder with the browser client; default "web" */

	/* [auth] */
	struct config_api_key *keys; /* owned, n_keys entries; "key:secret;..." */
	unsigned n_keys;
	unsigned token_leeway;  /* seconds of clock skew accepted on exp/nbf, 0..600; default 10 */

	/* [dev] */
	char *dev_api_key;      /* owned; default "devkey" */
	char *dev_api_secret;   /* owned; default "secret" */
	bool dev_allow_remote;  /* dev mode may bind a non-loopback address; default false */
	unsigned dev_token_ttl; /* seconds, 60..604800; default 86400 */

	/* [rooms] */
	bool auto_create;            /* default true */
	unsigned max_rooms;          /* 1..1000000; default 1000 */
	unsigned max_participants;   /* per room, 1..10000; default 100 */
	unsigned empty_timeout;      /* seconds an auto-created room lives empty, 0 = forever; default 300 */
	unsigned participant_timeout;/* seconds without an events stream before a participant is removed, 1..3600; default 30 */

	/* [events] */
	unsigned event_buffer;  /* events kept per participant for replay, 16..65536; default 256 */
	unsigned heartbeat;     /* seconds between SSE keep-alive comments, 1..300; default 15 */

	/* [ice] */
	char **stun_urls;       /* owned, NULL-terminated; default empty */
	char **turn_urls;       /* owned, NULL-terminated; default empty */
	char *turn_username;    /* owned; default "" */
	char *turn_credential;  /* owned; default "" */

	/* [media] */
	char **local_addrs;     /* owned, NULL-terminated IP literals to gather ICE
	                           candidates on; empty = every interface */
	unsigned port_min;      /* UDP port range for media, 0 = any; default 0 */
	unsigned port_max;      /* default 0; both or neither, min <= max */
	unsigned udp_port;      /* media worker i listens on udp_port + i (ICE-lite);
	                           0 = a port per connection (full ICE); default 0 */
	char *public_ip;        /* owned; announced in host candidates (NAT 1:1); "" = none */
	unsigned max_tracks;    /* tracks one participant may publish, 1..64; default 8 */
	unsigned connect_timeout; /* seconds for ICE + DTLS to connect, 5..120; default 20 */
	char *worker_priority;  /* owned; normal|high|realtime; default normal */
	unsigned parallel_fanout; /* subscribers from which a room's fanout is sent by
	                             every worker, 0 = never; default 16 */

	/* [dtls] */
	char *cert_file;        /* owned; PEM certificate, "" = generate at start */
	char *key_file;         /* owned; PEM private key of cert_file */
};

/* Builds the configuration. `argv` are the command-line arguments (argv[0]
 * is skipped); recognised flags are consumed and removed from *argc/argv,
 * so what is left are positional arguments (e.g. a subcommand).
 * `envp` is the environment (NULL-terminated "NAME=value" strings).
 * Flags: --config FILE, --dev, --http-bind ADDR, --http-port N,
 * --data-dir DIR, --log-level LVL, --workers N, --set section.key=value
 * (any key, repeatable). A --config file that does not exist is an error;
 * without --config, PARLEY_CONFIG names the file, and with neither no file
 * is read.
 * Returns 0 and *out, or EINVAL with *errmsg (owned by the caller, g_free)
 * naming source, key and reason. @thread main */
int config_load(struct config **out, int *argc, char **argv, char **envp, char **errmsg);

/* Frees a configuration. NULL is fine. @thread any */
void config_free(struct config *cfg);

/* Looks up the secret for an API key; NULL when unknown. Includes the dev
 * key in dev mode. @thread any */
const char *config_api_secret(const struct config *cfg, const char *key);

/* Help text for the flags, for --help. @thread any */
const char *config_flags_help(void);

#endif
