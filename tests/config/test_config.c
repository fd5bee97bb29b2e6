/* test_config.c - tests of config/config.c: the layers (defaults, file,
 * environment, flags), every class of error and the message it gives, dev
 * mode, argv handling, and that config/parley.conf documents every key with
 * its real default. Needs PARLEY_SOURCE_DIR (set by CTest). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>

#include "config/config.h"

#define SECRET "0123456789abcdef0123456789abcdef" /* 32 characters */
#define KEYS_ENV "PARLEY_AUTH_KEYS=k1:" SECRET

/* NULL-terminated lists of arguments (after argv[0]) and of variables. */
#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NO_ARGS ((const char *const[]){ NULL })
#define ENV(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NO_ENV ((const char *const[]){ NULL })

/* The argv a load was given, as it was left. */
static char *argv_buf[32];
static int argc_left;

static int load(const char *const *args, const char *const *env, struct config **cfg, char **err)
{
	int n = 0;

	argv_buf[n++] = "parleyd";
	for (; args[n - 1]; n++) {
		assert_true(n < 31);
		argv_buf[n] = (char *)args[n - 1];
	}
	argv_buf[n] = NULL;
	argc_left = n;
	*err = NULL;
	return config_load(cfg, &argc_left, argv_buf, (char **)env, err);
}

/* Loads and expects success. */
static struct config *load_ok(const char *const *args, const char *const *env)
{
	struct config *cfg = NULL;
	char *err = NULL;
	int rc = load(args, env, &cfg, &err);

	if (rc)
		print_error("unexpected error: %s\n", err ? err : "(no message)");
	assert_int_equal(rc, 0);
	assert_null(err);
	assert_non_null(cfg);
	return cfg;
}

/* Loads, expects EINVAL, an untouched *out and argv, and returns the
 * message (g_free it). */
static char *load_fail(const char *const *args, const char *const *env)
{
	struct config *sentinel = (struct config *)&argv_buf; /* never dereferenced */
	struct config *cfg = sentinel;
	char *err = NULL;
	int argc_before;
	int rc = load(args, env, &cfg, &err);

	argc_before = 1;
	while (args[argc_before - 1])
		argc_before++;
	assert_int_equal(rc, EINVAL);
	assert_ptr_equal(cfg, sentinel);
	assert_int_equal(argc_left, argc_before);
	assert_non_null(err);
	return err;
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		print_error("\"%s\"\n  does not contain \"%s\"\n", hay, needle);
	assert_non_null(strstr(hay, needle));
}

/* Expects a failure whose message contains every string of `needles`. */
static void expect_fail(const char *const *args, const char *const *env, const char *const *needles)
{
	char *err = load_fail(args, env);

	for (size_t i = 0; needles[i]; i++)
		assert_contains(err, needles[i]);
	g_free(err);
}

/* Expects a failure with exactly this message. */
static void expect_msg(const char *const *args, const char *const *env, const char *msg)
{
	char *err = load_fail(args, env);

	assert_string_equal(err, msg);
	g_free(err);
}

/* A temporary file with `text`; tmp_remove deletes it. */
static char *tmp_write(const char *text)
{
	GError *gerr = NULL;
	char *path = NULL;
	int fd = g_file_open_tmp("parley-test-XXXXXX.conf", &path, &gerr);

	assert_true(fd >= 0);
	close(fd);
	assert_true(g_file_set_contents(path, text, -1, NULL));
	return path;
}

static void tmp_remove(char *path)
{
	assert_int_equal(remove(path), 0);
	g_free(path);
}

/* --- layers --------------------------------------------------------------- */

static void test_defaults(void **state)
{
	struct config *cfg = load_ok(ARGS("--dev"), NO_ENV);

	assert_string_equal(cfg->data_dir, "./parley-data");
	assert_int_equal(cfg->workers, 0);
	assert_string_equal(cfg->log_level, "info");
	assert_int_equal(cfg->shutdown_timeout, 10);
	assert_true(cfg->dev);
	assert_string_equal(cfg->http_bind, "127.0.0.1"); /* dev mode */
	assert_int_equal(cfg->http_port, 8080);
	assert_int_equal(cfg->http_threads, 2);
	assert_int_equal(cfg->max_body, 65536);
	assert_int_equal(cfg->max_connections, 1024);
	assert_string_equal(cfg->web_root, "web");
	assert_int_equal(cfg->n_keys, 0);
	assert_int_equal(cfg->token_leeway, 10);
	assert_string_equal(cfg->dev_api_key, "devkey");
	assert_string_equal(cfg->dev_api_secret, "secret");
	assert_false(cfg->dev_allow_remote);
	assert_int_equal(cfg->dev_token_ttl, 86400);
	assert_true(cfg->auto_create);
	assert_int_equal(cfg->max_rooms, 1000);
	assert_int_equal(cfg->max_participants, 100);
	assert_int_equal(cfg->empty_timeout, 300);
	assert_int_equal(cfg->participant_timeout, 30);
	assert_int_equal(cfg->event_buffer, 256);
	assert_int_equal(cfg->heartbeat, 15);
	assert_non_null(cfg->stun_urls);
	assert_null(cfg->stun_urls[0]);
	assert_non_null(cfg->turn_urls);
	assert_null(cfg->turn_urls[0]);
	assert_string_equal(cfg->turn_username, "");
	assert_string_equal(cfg->turn_credential, "");
	config_free(cfg);
}

static void test_defaults_production(void **state)
{
	struct config *cfg = load_ok(NO_ARGS, ENV(KEYS_ENV));

	assert_false(cfg->dev);
	assert_string_equal(cfg->http_bind, "0.0.0.0");
	assert_int_equal(cfg->n_keys, 1);
	assert_string_equal(cfg->keys[0].key, "k1");
	assert_string_equal(cfg->keys[0].secret, SECRET);
	config_free(cfg);
}

static const char file_text[] =
	"# a comment\n"
	"[server]\n"
	"workers = 4\n"
	"log_level = debug\n"
	"data_dir = /var/lib/parley\n"
	"[http]\n"
	"bind = ::\n"
	"port = 9000\n"
	"[auth]\n"
	"keys = a:" SECRET "; b_2-x:" SECRET "x ;\n"
	"[rooms]\n"
	"auto_create = false\n"
	"[ice]\n"
	"stun_urls = stun:stun.example.org:3478;stuns:b.example.org\n"
	"turn_urls = turn:t.example.org?transport=udp\n"
	"turn_username = u\n"
	"turn_credential = p\n";

static void test_file(void **state)
{
	char *path = tmp_write(file_text);
	struct config *cfg = load_ok(ARGS("--config", path), NO_ENV);

	assert_int_equal(cfg->workers, 4);
	assert_string_equal(cfg->log_level, "debug");
	assert_string_equal(cfg->data_dir, "/var/lib/parley");
	assert_string_equal(cfg->http_bind, "::");
	assert_int_equal(cfg->http_port, 9000);
	assert_int_equal(cfg->n_keys, 2);
	assert_string_equal(cfg->keys[1].key, "b_2-x");
	assert_string_equal(cfg->keys[1].secret, SECRET "x");
	assert_false(cfg->auto_create);
	assert_string_equal(cfg->stun_urls[0], "stun:stun.example.org:3478");
	assert_string_equal(cfg->stun_urls[1], "stuns:b.example.org");
	assert_null(cfg->stun_urls[2]);
	assert_string_equal(cfg->turn_urls[0], "turn:t.example.org?transport=udp");
	assert_null(cfg->turn_urls[1]);
	assert_string_equal(cfg->turn_username, "u");
	assert_int_equal(cfg->http_threads, 2); /* untouched keys keep defaults */
	config_free(cfg);
	tmp_remove(path);
}

static void test_config_env_var(void **state)
{
	char *path = tmp_write(file_text);
	char *var = g_strdup_printf("PARLEY_CONFIG=%s", path);
	struct config *cfg = load_ok(NO_ARGS, ENV(var));

	assert_int_equal(cfg->http_port, 9000);
	config_free(cfg);
	g_free(var);
	/* --config wins over PARLEY_CONFIG, which here names no file. */
	cfg = load_ok(ARGS("--config", path), ENV("PARLEY_CONFIG=/nonexistent/parley.conf"));
	assert_int_equal(cfg->http_port, 9000);
	config_free(cfg);
	tmp_remove(path);
}

static void test_env_over_file(void **state)
{
	char *path = tmp_write(file_text);
	struct config *cfg = load_ok(ARGS("--config", path),
				     ENV("PARLEY_HTTP_PORT=9100", "PARLEY_ROOMS_AUTO_CREATE=yes",
					 "PARLEY_ICE_STUN_URLS=stun:x ; stun:y;",
					 "PARLEY_SERVER_LOG_LEVEL=warn"));

	assert_int_equal(cfg->http_port, 9100);
	assert_true(cfg->auto_create);
	assert_string_equal(cfg->stun_urls[0], "stun:x");
	assert_string_equal(cfg->stun_urls[1], "stun:y");
	assert_null(cfg->stun_urls[2]);
	assert_string_equal(cfg->log_level, "warn");
	assert_int_equal(cfg->workers, 4); /* from the file */
	config_free(cfg);
	tmp_remove(path);
}

static void test_flags_over_env(void **state)
{
	char *path = tmp_write(file_text);
	struct config *cfg = load_ok(ARGS("--config", path, "--http-port", "9200", "--workers=7",
					  "--log-level", "error", "--data-dir=/srv/p",
					  "--http-bind", "10.1.2.3"),
				     ENV("PARLEY_HTTP_PORT=9100", "PARLEY_SERVER_WORKERS=6"));

	assert_int_equal(cfg->http_port, 9200);
	assert_int_equal(cfg->workers, 7);
	assert_string_equal(cfg->log_level, "error");
	assert_string_equal(cfg->data_dir, "/srv/p");
	assert_string_equal(cfg->http_bind, "10.1.2.3");
	config_free(cfg);
	/* The last of two flags wins; --dev=false beats the environment. */
	cfg = load_ok(ARGS("--http-port=1", "--http-port=2", "--dev=false"),
		      ENV(KEYS_ENV, "PARLEY_SERVER_DEV=1"));
	assert_int_equal(cfg->http_port, 2);
	assert_false(cfg->dev);
	config_free(cfg);
	tmp_remove(path);
}

static void test_set(void **state)
{
	struct config *cfg = load_ok(ARGS("--set", "rooms.max_rooms=5", "--set=rooms.auto_create=off",
					  "--set", "auth.keys=z:" SECRET, "--set",
					  "ice.stun_urls=stun:a;stun:b", "--set", "dev.api_key=dk",
					  "--set", "server.dev=on", "--set", "http.port=0"),
				     ENV("PARLEY_ROOMS_MAX_ROOMS=6"));

	assert_int_equal(cfg->max_rooms, 5);
	assert_false(cfg->auto_create);
	assert_int_equal(cfg->n_keys, 1);
	assert_string_equal(cfg->keys[0].key, "z");
	assert_string_equal(cfg->stun_urls[1], "stun:b");
	assert_string_equal(cfg->dev_api_key, "dk");
	assert_true(cfg->dev);
	assert_int_equal(cfg->http_port, 0);
	config_free(cfg);
}

static void test_env_ignored(void **state)
{
	struct config *cfg = load_ok(NO_ARGS, ENV("PARLEY_SOURCE_DIR=/x", "PARLEY_TEST_WHATEVER=1",
						  "PARLEYD=/bin/parleyd", "HOME=/root", "NOEQUALS",
						  KEYS_ENV));

	assert_int_equal(cfg->http_port, 8080);
	config_free(cfg);
}

/* --- errors --------------------------------------------------------------- */

static void test_err_unknown_section(void **state)
{
	char *path = tmp_write("[http]\nport = 1\n\n[htpp]\nport = 2\n");
	char *want = g_strdup_printf("%s:4: unknown section [htpp]", path);

	expect_msg(ARGS("--config", path), ENV(KEYS_ENV), want);
	expect_msg(ARGS("--set", "htpp.port=1"), ENV(KEYS_ENV),
		   "flag --set htpp.port: unknown section [htpp]");
	expect_fail(NO_ARGS, ENV(KEYS_ENV, "PARLEY_HTPP_PORT=1"),
		    ARGS("environment PARLEY_HTPP_PORT: unknown variable"));
	expect_fail(NO_ARGS, ENV(KEYS_ENV, "PARLEY_CONFIGG=x"),
		    ARGS("environment PARLEY_CONFIGG: unknown variable"));
	g_free(want);
	tmp_remove(path);
}

static void test_err_unknown_key(void **state)
{
	char *path = tmp_write("[http]\nport = 1\n# nope = 1\n[rooms]\nnope = 2\n");
	char *want = g_strdup_printf("%s:5: unknown key [rooms] nope", path);

	expect_msg(ARGS("--config", path), ENV(KEYS_ENV), want);
	expect_msg(NO_ARGS, ENV(KEYS_ENV, "PARLEY_HTTP_NOPE=1"),
		   "environment PARLEY_HTTP_NOPE: unknown key [http] nope");
	expect_msg(ARGS("--set", "http.nope=1"), ENV(KEYS_ENV),
		   "flag --set http.nope: unknown key [http] nope");
	g_free(want);
	tmp_remove(path);
}

static void test_err_bad_number(void **state)
{
	char *path = tmp_write("[http]\nport = 80x\n");
	char *want = g_strdup_printf("%s:2: [http] port: \"80x\" is not a number", path);

	expect_msg(NO_ARGS, ENV(KEYS_ENV, "PARLEY_HTTP_PORT=abc"),
		   "environment PARLEY_HTTP_PORT: [http] port: \"abc\" is not a number");
	expect_msg(ARGS("--workers", "-1"), ENV(KEYS_ENV),
		   "flag --workers: [server] workers: \"-1\" is not a number");
	expect_fail(ARGS("--http-port="), ENV(KEYS_ENV), ARGS("flag --http-port: [http] port: "));
	expect_msg(ARGS("--config", path), ENV(KEYS_ENV), want);
	g_free(want);
	tmp_remove(path);
}

static void test_err_range(void **state)
{
	char *path = tmp_write("[server]\nworkers = 1\n\n[http]\n# port = 1\n  port   =  70000\n");
	char *want = g_strdup_printf("%s:6: [http] port: 70000 is out of range (0..65535)", path);

	expect_msg(ARGS("--config", path), ENV(KEYS_ENV), want);
	expect_msg(ARGS("--workers", "257"), ENV(KEYS_ENV),
		   "flag --workers: [server] workers: 257 is out of range (0..256)");
	expect_msg(ARGS("--set", "http.max_body=1023"), ENV(KEYS_ENV),
		   "flag --set http.max_body: [http] max_body: 1023 is out of range (1024..16777216)");
	expect_fail(NO_ARGS, ENV(KEYS_ENV, "PARLEY_ROOMS_MAX_ROOMS=99999999999999999999999"),
		    ARGS("environment PARLEY_ROOMS_MAX_ROOMS: [rooms] max_rooms: ", "out of range"));
	g_free(want);
	tmp_remove(path);
}

static void test_err_bad_bool(void **state)
{
	expect_msg(NO_ARGS, ENV(KEYS_ENV, "PARLEY_ROOMS_AUTO_CREATE=maybe"),
		   "environment PARLEY_ROOMS_AUTO_CREATE: [rooms] auto_create: \"maybe\" is not a "
		   "boolean (true|false, yes|no, on|off, 1|0)");
	expect_fail(ARGS("--dev=2"), NO_ENV, ARGS("flag --dev: [server] dev: \"2\" is not a boolean"));
}

static void test_err_bad_strings(void **state)
{
	expect_msg(ARGS("--http-bind", "localhost"), ENV(KEYS_ENV),
		   "flag --http-bind: [http] bind: \"localhost\" is not an IPv4 or IPv6 address");
	expect_fail(NO_ARGS, ENV(KEYS_ENV, "PARLEY_HTTP_BIND=1.2.3"),
		    ARGS("environment PARLEY_HTTP_BIND: [http] bind: "));
	expect_msg(ARGS("--log-level", "verbose"), ENV(KEYS_ENV),
		   "flag --log-level: [server] log_level: \"verbose\" is not a log level "
		   "(error|warn|info|debug)");
	expect_fail(NO_ARGS, ENV(KEYS_ENV, "PARLEY_ICE_STUN_URLS=stun:a;http://b"),
		    ARGS("environment PARLEY_ICE_STUN_URLS: [ice] stun_urls: \"http://b\" is not a stun URL"));
	expect_fail(NO_ARGS, ENV(KEYS_ENV, "PARLEY_ICE_TURN_URLS=stun:a"),
		    ARGS("environment PARLEY_ICE_TURN_URLS: [ice] turn_urls: \"stun:a\" is not a turn URL"));
	expect_fail(NO_ARGS, ENV(KEYS_ENV, "PARLEY_ICE_TURN_URLS=turns:"),
		    ARGS("[ice] turn_urls: \"turns:\" is not a turn URL"));
}

static void test_err_turn_credentials(void **state)
{
	expect_fail(NO_ARGS, ENV(KEYS_ENV, "PARLEY_ICE_TURN_URLS=turn:t", "PARLEY_ICE_TURN_USERNAME=u"),
		    ARGS("environment PARLEY_ICE_TURN_URLS: [ice] turn_urls: ", "turn_credential"));
	config_free(load_ok(NO_ARGS, ENV(KEYS_ENV, "PARLEY_ICE_TURN_URLS=turn:t",
					 "PARLEY_ICE_TURN_USERNAME=u", "PARLEY_ICE_TURN_CREDENTIAL=p")));
}

static void test_err_auth_keys(void **state)
{
	char *path = tmp_write("[auth]\nkeys = a:" SECRET ";a:" SECRET "\n");
	char *want = g_strdup_printf("%s:2: [auth] keys: entry 2: duplicate key \"a\"", path);
	char *err;

	expect_msg(ARGS("--config", path), NO_ENV, want);
	expect_msg(NO_ARGS, ENV("PARLEY_AUTH_KEYS=nocolon" SECRET),
		   "environment PARLEY_AUTH_KEYS: [auth] keys: entry 1 is not key:secret");
	expect_msg(NO_ARGS, ENV("PARLEY_AUTH_KEYS=a:" SECRET ";b.c:" SECRET),
		   "environment PARLEY_AUTH_KEYS: [auth] keys: entry 2: key \"b.c\" must be "
		   "non-empty and use only A-Z a-z 0-9 _ -");
	expect_fail(NO_ARGS, ENV("PARLEY_AUTH_KEYS=:" SECRET),
		    ARGS("[auth] keys: entry 1: key \"\" must be non-empty"));
	/* A short secret is refused, and never shown. */
	err = load_fail(ARGS("--set", "auth.keys=k:tooshort-31-characters-xxxxxxxx"), NO_ENV);
	assert_string_equal(err, "flag --set auth.keys: [auth] keys: entry 1 (key \"k\"): the secret "
				 "has 31 characters, at least 32 are needed");
	g_free(err);
	g_free(want);
	tmp_remove(path);
}

static void test_err_no_keys(void **state)
{
	expect_msg(NO_ARGS, NO_ENV, "no API keys configured: set [auth] keys or run with --dev");
	expect_msg(NO_ARGS, ENV("PARLEY_AUTH_KEYS= ; "),
		   "no API keys configured: set [auth] keys or run with --dev");
}

static void test_err_file(void **state)
{
	char *bad = tmp_write("[http]\nthis line is not ini\n");
	char *top = tmp_write("port = 1\n");
	char *esc = tmp_write("[server]\ndata_dir = a\\qb\n");

	expect_fail(ARGS("--config", "/nonexistent/parley.conf"), ENV(KEYS_ENV),
		    ARGS("/nonexistent/parley.conf: ", "No such file"));
	expect_fail(NO_ARGS, ENV(KEYS_ENV, "PARLEY_CONFIG=/nonexistent/p.conf"),
		    ARGS("/nonexistent/p.conf: "));
	expect_fail(ARGS("--config", bad), ENV(KEYS_ENV), ARGS(bad, "this line is not ini"));
	expect_fail(ARGS("--config", top), ENV(KEYS_ENV), ARGS(top));
	expect_fail(ARGS("--config", esc), ENV(KEYS_ENV), ARGS(esc, ":2: [server] data_dir: "));
	expect_msg(ARGS("--config="), ENV(KEYS_ENV), "flag --config: needs a file name");
	tmp_remove(bad);
	tmp_remove(top);
	tmp_remove(esc);
}

static void test_err_flags(void **state)
{
	char *err;

	expect_msg(ARGS("--nope"), ENV(KEYS_ENV), "flag --nope: unknown flag (see --help)");
	expect_msg(ARGS("-p", "1"), ENV(KEYS_ENV), "flag -p: unknown flag (see --help)");
	expect_msg(ARGS("--http-port"), ENV(KEYS_ENV), "flag --http-port: needs a value (N)");
	expect_msg(ARGS("--set"), ENV(KEYS_ENV), "flag --set: needs a value (SECTION.KEY=VALUE)");
	/* Values of unknown or malformed flags may be secrets: never shown. */
	err = load_fail(ARGS("--api-secret=hunter2"), ENV(KEYS_ENV));
	assert_string_equal(err, "flag --api-secret: unknown flag (see --help)");
	g_free(err);
	err = load_fail(ARGS("--set", "authkeys=hunter2"), ENV(KEYS_ENV));
	assert_string_equal(err, "flag --set: expected SECTION.KEY=VALUE, got \"authkeys=...\"");
	g_free(err);
}

/* --- dev mode, argv, lookups ---------------------------------------------- */

static void test_dev_bind(void **state)
{
	struct config *cfg;

	expect_fail(ARGS("--dev", "--http-bind", "0.0.0.0"), NO_ENV,
		    ARGS("flag --http-bind: [http] bind: 0.0.0.0 is not a loopback address",
			 "dev.allow_remote = true", "PARLEY_DEV_ALLOW_REMOTE=true"));
	expect_fail(ARGS("--dev"), ENV("PARLEY_HTTP_BIND=::"),
		    ARGS("environment PARLEY_HTTP_BIND: [http] bind: :: is not a loopback"));
	cfg = load_ok(ARGS("--dev", "--http-bind", "0.0.0.0", "--set", "dev.allow_remote=true"),
		      NO_ENV);
	assert_string_equal(cfg->http_bind, "0.0.0.0");
	config_free(cfg);
	/* Explicit loopback addresses are kept. */
	cfg = load_ok(ARGS("--dev", "--http-bind", "::1"), NO_ENV);
	assert_string_equal(cfg->http_bind, "::1");
	config_free(cfg);
	cfg = load_ok(ARGS("--dev"), ENV("PARLEY_HTTP_BIND=127.0.0.2"));
	assert_string_equal(cfg->http_bind, "127.0.0.2");
	config_free(cfg);
	/* Dev mode from the environment also moves the default bind. */
	cfg = load_ok(NO_ARGS, ENV("PARLEY_SERVER_DEV=true"));
	assert_string_equal(cfg->http_bind, "127.0.0.1");
	config_free(cfg);
}

static void test_positional(void **state)
{
	struct config *cfg = load_ok(ARGS("serve", "--http-port", "9000", "extra", "--help", "--dev",
					  "--check-config", "--version", "-", "--", "--not-a-flag"),
				     NO_ENV);

	assert_int_equal(cfg->http_port, 9000);
	assert_true(cfg->dev);
	assert_int_equal(argc_left, 8);
	assert_string_equal(argv_buf[0], "parleyd");
	assert_string_equal(argv_buf[1], "serve");
	assert_string_equal(argv_buf[2], "extra");
	assert_string_equal(argv_buf[3], "--help");
	assert_string_equal(argv_buf[4], "--check-config");
	assert_string_equal(argv_buf[5], "--version");
	assert_string_equal(argv_buf[6], "-");
	assert_string_equal(argv_buf[7], "--not-a-flag");
	assert_null(argv_buf[8]);
	config_free(cfg);
	/* Nothing left but argv[0]. */
	cfg = load_ok(ARGS("--dev"), NO_ENV);
	assert_int_equal(argc_left, 1);
	assert_null(argv_buf[1]);
	config_free(cfg);
}

static void test_api_secret(void **state)
{
	struct config *cfg = load_ok(NO_ARGS, ENV("PARLEY_AUTH_KEYS=k1:" SECRET ";k2:" SECRET "2"));

	assert_string_equal(config_api_secret(cfg, "k1"), SECRET);
	assert_string_equal(config_api_secret(cfg, "k2"), SECRET "2");
	assert_null(config_api_secret(cfg, "k3"));
	assert_null(config_api_secret(cfg, "devkey")); /* not in dev mode */
	assert_null(config_api_secret(cfg, ""));
	config_free(cfg);
	cfg = load_ok(ARGS("--dev"), ENV("PARLEY_AUTH_KEYS=k1:" SECRET));
	assert_string_equal(config_api_secret(cfg, "devkey"), "secret");
	assert_string_equal(config_api_secret(cfg, "k1"), SECRET);
	config_free(cfg);
	config_free(NULL);
}

static void test_help(void **state)
{
	const char *help = config_flags_help();
	const char *const flags[] = { "--config FILE", "--dev", "--http-bind ADDR", "--http-port N",
				      "--data-dir DIR", "--log-level LVL", "--workers N",
				      "--set SECTION.KEY=VALUE", "--check-config", "--help",
				      "--version", "PARLEY_HTTP_PORT", NULL };

	for (size_t i = 0; flags[i]; i++)
		assert_contains(help, flags[i]);
	assert_ptr_equal(help, config_flags_help());
}

/* --- config/parley.conf ------------------------------------------------- */

/* "section.key" -> default, as the help text lists every key of the table. */
static GHashTable *table_defaults(void)
{
	GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	GRegex *re = g_regex_new("^  ([a-z]+\\.[a-z_]+) = (.*)$", G_REGEX_MULTILINE, 0, NULL);
	GMatchInfo *m = NULL;

	g_regex_match(re, config_flags_help(), 0, &m);
	for (; g_match_info_matches(m); g_match_info_next(m, NULL))
		g_hash_table_insert(t, g_match_info_fetch(m, 1), g_match_info_fetch(m, 2));
	g_match_info_free(m);
	g_regex_unref(re);
	return t;
}

/* "section.key" -> default, from the "# key = default" lines of the file. */
static GHashTable *conf_defaults(const char *text)
{
	GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	char **lines = g_strsplit(text, "\n", -1);
	char *section = NULL;

	for (size_t i = 0; lines[i]; i++) {
		char *l = g_strchomp(lines[i]), *eq;

		if (l[0] == '[') {
			g_free(section);
			section = g_strndup(l + 1, strcspn(l + 1, "]"));
		} else if (section && g_str_has_prefix(l, "# ") && g_ascii_islower(l[2]) &&
			   (eq = strstr(l, " =")) && strspn(l + 2, "abcdefghijklmnopqrstuvwxyz_") ==
							    (size_t)(eq - l - 2)) {
			*eq = '\0';
			g_hash_table_insert(t, g_strdup_printf("%s.%s", section, l + 2),
					    g_strdup(g_strstrip(eq + 2)));
		}
	}
	g_free(section);
	g_strfreev(lines);
	return t;
}

static char *conf_path(void)
{
	const char *dir = getenv("PARLEY_SOURCE_DIR");

	if (!dir)
		print_error("PARLEY_SOURCE_DIR is not set\n");
	assert_non_null(dir);
	return g_build_filename(dir, "config", "parley.conf", NULL);
}

static void test_conf_documents_every_key(void **state)
{
	char *path = conf_path(), *text = NULL;
	GHashTable *table = table_defaults(), *conf;
	GHashTableIter it;
	gpointer key, def;

	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	conf = conf_defaults(text);
	assert_int_equal(g_hash_table_size(table), 39);
	assert_int_equal(g_hash_table_size(conf), g_hash_table_size(table));
	g_hash_table_iter_init(&it, table);
	while (g_hash_table_iter_next(&it, &key, &def)) {
		const char *doc = g_hash_table_lookup(conf, key);
		char *var = g_ascii_strup(key, -1);
		char *env = g_strdup_printf("PARLEY_%s", var);

		*strchr(env, '.') = '_';
		if (!doc || strcmp(doc, def))
			print_error("%s: parley.conf has %s, the table %s\n", (char *)key,
				    doc ? doc : "nothing", (char *)def);
		assert_non_null(doc);
		assert_string_equal(doc, def);
		assert_contains(text, env);
		g_free(var);
		g_free(env);
	}
	g_hash_table_unref(conf);
	g_hash_table_unref(table);
	g_free(text);
	g_free(path);
}

static void assert_strv_equal(char **a, char **b)
{
	assert_int_equal(g_strv_length(a), g_strv_length(b));
	for (size_t i = 0; a[i]; i++)
		assert_string_equal(a[i], b[i]);
}

/* Every field of two configurations is equal. */
static void assert_config_equal(const struct config *a, const struct config *b)
{
	assert_string_equal(a->data_dir, b->data_dir);
	assert_int_equal(a->workers, b->workers);
	assert_string_equal(a->log_level, b->log_level);
	assert_int_equal(a->shutdown_timeout, b->shutdown_timeout);
	assert_int_equal(a->dev, b->dev);
	assert_string_equal(a->http_bind, b->http_bind);
	assert_int_equal(a->http_port, b->http_port);
	assert_int_equal(a->http_threads, b->http_threads);
	assert_int_equal(a->max_body, b->max_body);
	assert_int_equal(a->max_connections, b->max_connections);
	assert_string_equal(a->web_root, b->web_root);
	assert_int_equal(a->n_keys, b->n_keys);
	for (unsigned i = 0; i < a->n_keys; i++) {
		assert_string_equal(a->keys[i].key, b->keys[i].key);
		assert_string_equal(a->keys[i].secret, b->keys[i].secret);
	}
	assert_int_equal(a->token_leeway, b->token_leeway);
	assert_string_equal(a->dev_api_key, b->dev_api_key);
	assert_string_equal(a->dev_api_secret, b->dev_api_secret);
	assert_int_equal(a->dev_allow_remote, b->dev_allow_remote);
	assert_int_equal(a->dev_token_ttl, b->dev_token_ttl);
	assert_int_equal(a->auto_create, b->auto_create);
	assert_int_equal(a->max_rooms, b->max_rooms);
	assert_int_equal(a->max_participants, b->max_participants);
	assert_int_equal(a->empty_timeout, b->empty_timeout);
	assert_int_equal(a->participant_timeout, b->participant_timeout);
	assert_int_equal(a->event_buffer, b->event_buffer);
	assert_int_equal(a->heartbeat, b->heartbeat);
	assert_strv_equal(a->stun_urls, b->stun_urls);
	assert_strv_equal(a->turn_urls, b->turn_urls);
	assert_string_equal(a->turn_username, b->turn_username);
	assert_string_equal(a->turn_credential, b->turn_credential);
}

static void test_conf_loads_as_defaults(void **state)
{
	char *path = conf_path();
	struct config *a = load_ok(ARGS("--config", path), ENV(KEYS_ENV));
	struct config *b = load_ok(NO_ARGS, ENV(KEYS_ENV));

	/* Every key is commented out: the same as no file. */
	assert_config_equal(a, b);
	config_free(a);
	config_free(b);
	a = load_ok(ARGS("--config", path, "--dev"), NO_ENV);
	b = load_ok(ARGS("--dev"), NO_ENV);
	assert_config_equal(a, b);
	config_free(a);
	config_free(b);
	g_free(path);
}

/* [media] and [dtls]: address lists, the port range and the cert/key pair. */
static void test_media_keys(void **state)
{
	const char *const env[] = { "PARLEY_MEDIA_LOCAL_ADDRS=127.0.0.1; ::1", NULL };
	const char *const ok[] = { "--dev", "--set", "media.port_min=40000", "--set",
				   "media.port_max=40100", "--set", "media.public_ip=203.0.113.9",
				   NULL };
	struct config *cfg = load_ok(ok, env);
	char *err;

	assert_string_equal(cfg->local_addrs[0], "127.0.0.1");
	assert_string_equal(cfg->local_addrs[1], "::1");
	assert_null(cfg->local_addrs[2]);
	assert_int_equal(cfg->port_min, 40000);
	assert_int_equal(cfg->port_max, 40100);
	assert_string_equal(cfg->public_ip, "203.0.113.9");
	assert_int_equal(cfg->max_tracks, 8);
	assert_string_equal(cfg->cert_file, "");
	assert_string_equal(cfg->worker_priority, "normal");
	assert_int_equal(cfg->udp_port, 0);
	config_free(cfg);
	cfg = load_ok((const char *const[]){ "--dev", "--set", "media.worker_priority= realtime ",
					     "--set", "media.udp_port=7882", NULL },
		      (const char *const[]){ "PARLEY_MEDIA_PARALLEL_FANOUT=4", NULL });
	assert_string_equal(cfg->worker_priority, "realtime");
	assert_int_equal(cfg->udp_port, 7882);
	config_free(cfg);
	err = load_fail((const char *const[]){ "--dev", "--set", "media.worker_priority=urgent", NULL },
			(const char *const[]){ NULL });
	assert_non_null(strstr(err, "[media] worker_priority"));
	assert_non_null(strstr(err, "normal|high|realtime"));
	g_free(err);
	err = load_fail((const char *const[]){ "--dev", "--set", "media.udp_port=70000", NULL },
			(const char *const[]){ NULL });
	assert_non_null(strstr(err, "[media] udp_port"));
	g_free(err);

	err = load_fail((const char *const[]){ "--dev", "--set", "media.local_addrs=127.0.0.1;eth0",
					       NULL }, (const char *const[]){ NULL });
	assert_non_null(strstr(err, "[media] local_addrs"));
	assert_non_null(strstr(err, "eth0"));
	g_free(err);
	err = load_fail((const char *const[]){ "--dev", "--set", "media.port_min=5000", NULL },
			(const char *const[]){ NULL });
	assert_non_null(strstr(err, "port_max"));
	g_free(err);
	err = load_fail((const char *const[]){ "--dev", "--set", "media.port_min=6000", "--set",
					       "media.port_max=5000", NULL },
			(const char *const[]){ NULL });
	assert_non_null(strstr(err, "min <= max"));
	g_free(err);
	err = load_fail((const char *const[]){ "--dev", "--set", "media.public_ip=example.org", NULL },
			(const char *const[]){ NULL });
	assert_non_null(strstr(err, "[media] public_ip"));
	g_free(err);
	err = load_fail((const char *const[]){ "--dev", "--set", "dtls.cert_file=/x.pem", NULL },
			(const char *const[]){ NULL });
	assert_non_null(strstr(err, "go together"));
	g_free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_defaults_production),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_config_env_var),
		cmocka_unit_test(test_env_over_file),
		cmocka_unit_test(test_flags_over_env),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_env_ignored),
		cmocka_unit_test(test_err_unknown_section),
		cmocka_unit_test(test_err_unknown_key),
		cmocka_unit_test(test_err_bad_number),
		cmocka_unit_test(test_err_range),
		cmocka_unit_test(test_err_bad_bool),
		cmocka_unit_test(test_err_bad_strings),
		cmocka_unit_test(test_err_turn_credentials),
		cmocka_unit_test(test_err_auth_keys),
		cmocka_unit_test(test_err_no_keys),
		cmocka_unit_test(test_err_file),
		cmocka_unit_test(test_err_flags),
		cmocka_unit_test(test_dev_bind),
		cmocka_unit_test(test_positional),
		cmocka_unit_test(test_api_secret),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_conf_documents_every_key),
		cmocka_unit_test(test_conf_loads_as_defaults),
		cmocka_unit_test(test_media_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
