/* config.c - see config.h.
 *
 * One table, cfg_keys, describes every key: section, name, type, default
 * (written as it would be in the file), range, where the value lives in
 * struct config, and a line of help. Every layer hands the table a string
 * (the defaults included), so the file, the environment and the flags parse
 * and check values the same way. Checks that involve several keys (dev mode
 * and http.bind, TURN credentials, API keys) run once, after all layers.
 *
 * Values never echoed in messages: API secrets (auth.keys entries are cut
 * at the ':'), the arguments of unknown flags and of malformed --set. */
#include "config/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

enum cfg_type {
	CFG_UINT,
	CFG_BOOL,
	CFG_STR,
	CFG_ADDR,  /* string: an IPv4 or IPv6 literal */
	CFG_ADDR_OPT, /* string: an IPv4 or IPv6 literal, or empty */
	CFG_ADDRS, /* list of IPv4 or IPv6 literals */
	CFG_LEVEL, /* string: error|warn|info|debug */
	CFG_PRIO,  /* string: normal|high|realtime */
	CFG_URLS,  /* list of "<scheme>:..." or "<scheme>s:..." */
	CFG_KEYS,  /* list of "key:secret", kept in keys/n_keys */
};

struct cfg_key {
	const char *section;
	const char *name;
	enum cfg_type type;
	const char *def;    /* as written in the file; parsed like any value */
	unsigned min, max;  /* CFG_UINT */
	const char *scheme; /* CFG_URLS */
	size_t off;         /* into struct config */
	const char *help;
};

#define OFF(f) offsetof(struct config, f)
#define K_UINT(s, n, f, d, lo, hi, h) { s, n, CFG_UINT, d, lo, hi, NULL, OFF(f), h }
#define K_URLS(s, n, f, scheme, h) { s, n, CFG_URLS, "", 0, 0, scheme, OFF(f), h }
#define K(s, n, t, f, d, h) { s, n, t, d, 0, 0, NULL, OFF(f), h }

static const struct cfg_key cfg_keys[] = {
	K("server", "data_dir", CFG_STR, data_dir, "./parley-data", "folder for parley's state and recordings"),
	K_UINT("server", "workers", workers, "0", 0, 256, "media worker threads, 0 = one per core"),
	K("server", "log_level", CFG_LEVEL, log_level, "info", "error, warn, info or debug"),
	K_UINT("server", "shutdown_timeout", shutdown_timeout, "10", 1, 300, "seconds to wait for rooms to close on shutdown"),
	K("server", "dev", CFG_BOOL, dev, "false", "dev mode: loopback only, dev API key accepted"),
	K("http", "bind", CFG_ADDR, http_bind, "0.0.0.0", "IPv4 or IPv6 address to listen on (dev mode: 127.0.0.1)"),
	K_UINT("http", "port", http_port, "8080", 0, 65535, "TCP port, 0 = any free port"),
	K_UINT("http", "threads", http_threads, "2", 1, 64, "HTTP threads"),
	K_UINT("http", "max_body", max_body, "65536", 1024, 16777216, "largest request body, in bytes"),
	K_UINT("http", "max_connections", max_connections, "1024", 16, 100000, "open connections at most"),
	K("http", "web_root", CFG_STR, web_root, "web", "folder with the browser client"),
	K("auth", "keys", CFG_KEYS, keys, "", "API keys, \"key:secret;...\", secrets of 32+ characters"),
	K_UINT("auth", "token_leeway", token_leeway, "10", 0, 600, "seconds of clock skew accepted on exp/nbf"),
	K("dev", "api_key", CFG_STR, dev_api_key, "devkey", "API key accepted in dev mode"),
	K("dev", "api_secret", CFG_STR, dev_api_secret, "secret", "its secret"),
	K("dev", "allow_remote", CFG_BOOL, dev_allow_remote, "false", "let dev mode bind a non-loopback address"),
	K_UINT("dev", "token_ttl", dev_token_ttl, "86400", 60, 604800, "lifetime of dev tokens, in seconds"),
	K("rooms", "auto_create", CFG_BOOL, auto_create, "true", "create a room when the first participant joins"),
	K_UINT("rooms", "max_rooms", max_rooms, "1000", 1, 1000000, "rooms at most"),
	K_UINT("rooms", "max_participants", max_participants, "100", 1, 10000, "participants per room at most"),
	K_UINT("rooms", "empty_timeout", empty_timeout, "300", 0, 604800, "seconds an auto-created room lives empty, 0 = forever"),
	K_UINT("rooms", "participant_timeout", participant_timeout, "30", 1, 3600, "seconds without an events stream before a participant is removed"),
	K_UINT("events", "buffer", event_buffer, "256", 16, 65536, "events kept per participant for replay"),
	K_UINT("events", "heartbeat", heartbeat, "15", 1, 300, "seconds between SSE keep-alive comments"),
	K_URLS("ice", "stun_urls", stun_urls, "stun", "STUN servers, \"stun:host:port;...\""),
	K_URLS("ice", "turn_urls", turn_urls, "turn", "TURN servers, \"turn:host:port?transport=udp;...\""),
	K("ice", "turn_username", CFG_STR, turn_username, "", "TURN user name"),
	K("ice", "turn_credential", CFG_STR, turn_credential, "", "TURN password"),
	K("media", "local_addrs", CFG_ADDRS, local_addrs, "", "IP addresses to gather ICE candidates on, \"a;b\"; empty = every interface"),
	K_UINT("media", "port_min", port_min, "0", 0, 65535, "lowest UDP port for media, 0 = any"),
	K_UINT("media", "port_max", port_max, "0", 0, 65535, "highest UDP port for media, 0 = any"),
	K_UINT("media", "udp_port", udp_port, "0", 0, 65535, "one UDP port per media worker from this one (ICE-lite), 0 = a port per connection"),
	K("media", "public_ip", CFG_ADDR_OPT, public_ip, "", "address announced in ICE host candidates (NAT 1:1), empty = none"),
	K_UINT("media", "max_tracks", max_tracks, "8", 1, 64, "tracks one participant may publish"),
	K_UINT("media", "connect_timeout", connect_timeout, "20", 5, 120, "seconds for ICE and DTLS to connect"),
	K("media", "worker_priority", CFG_PRIO, worker_priority, "normal", "media workers' scheduling: normal, high (nice -10) or realtime (SCHED_RR)"),
	K_UINT("media", "parallel_fanout", parallel_fanout, "16", 0, 100000, "subscribers from which a room's fanout is sent by every worker, 0 = never"),
	K("dtls", "cert_file", CFG_STR, cert_file, "", "PEM certificate for DTLS, empty = generate one at start"),
	K("dtls", "key_file", CFG_STR, key_file, "", "PEM private key of cert_file"),
};

#define N_KEYS G_N_ELEMENTS(cfg_keys)

static const char *const cfg_sections[] = {
	"server", "http", "auth", "dev", "rooms", "events", "ice", "media", "dtls", NULL,
};

/* A command-line flag; `section`/`key` name the key it sets. */
struct cfg_flag {
	const char *name; /* after "--" */
	const char *arg;  /* what its value is; NULL = takes no value */
	const char *section, *key; /* NULL for --config and --set */
	const char *help;
};

static const struct cfg_flag cfg_flags[] = {
	{ "config", "FILE", NULL, NULL, "read this INI file (default: $PARLEY_CONFIG, else none)" },
	{ "dev", NULL, "server", "dev", "dev mode: loopback only, accepts the dev API key" },
	{ "http-bind", "ADDR", "http", "bind", "address to listen on ([http] bind)" },
	{ "http-port", "N", "http", "port", "port to listen on ([http] port)" },
	{ "data-dir", "DIR", "server", "data_dir", "state folder ([server] data_dir)" },
	{ "log-level", "LVL", "server", "log_level", "error|warn|info|debug ([server] log_level)" },
	{ "workers", "N", "server", "workers", "media workers, 0 = one per core ([server] workers)" },
	{ "set", "SECTION.KEY=VALUE", NULL, NULL, "set any key below (repeatable)" },
};

/* Left in argv for the caller. */
static const char *const cfg_passthrough[] = { "--check-config", "--help", "--version", NULL };

/* A flag's value, applied after the environment. */
struct cfg_pending {
	const struct cfg_key *k;
	const char *value; /* borrowed from argv */
	char *src;         /* owned */
};

/* State of one config_load. */
struct cfg_load {
	struct config *cfg;        /* owned until handed out */
	bool set[N_KEYS];          /* given by a layer above the defaults */
	char *src[N_KEYS];         /* owned; where each value came from */
	char *errmsg;              /* owned; the first error */
	const char *config_path;   /* borrowed from argv; NULL = none */
	struct cfg_pending *flags; /* owned, n_flags entries */
	int n_flags;
	int *pos;                  /* owned; argv indexes left for the caller */
	int n_pos;
};

/* Records the first error; returns EINVAL. */
static G_GNUC_PRINTF(2, 3) int fail(struct cfg_load *ld, const char *fmt, ...)
{
	va_list ap;

	if (ld->errmsg)
		return EINVAL;
	va_start(ap, fmt);
	ld->errmsg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	return EINVAL;
}

/* A user's value as a message may show it: quoted, escaped, cut short. */
static char *quote(const char *v)
{
	char *cut = g_strndup(v, 64);
	char *esc = g_strescape(cut, NULL);
	char *q = g_strdup_printf("\"%s\"%s", esc, strlen(v) > 64 ? "..." : "");

	g_free(esc);
	g_free(cut);
	return q;
}

/* "<v> is not <what>", with v quoted. */
static char *not_a(const char *v, const char *what)
{
	char *q = quote(v);
	char *why = g_strdup_printf("%s is not %s", q, what);

	g_free(q);
	return why;
}

static const struct cfg_key *key_find(const char *section, const char *name)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		if (!strcmp(cfg_keys[i].section, section) && !strcmp(cfg_keys[i].name, name))
			return &cfg_keys[i];
	}
	return NULL;
}

static size_t key_index(const struct cfg_key *k)
{
	return (size_t)(k - cfg_keys);
}

/* The error for a section/key pair that is not in the table. */
static int fail_unknown(struct cfg_load *ld, const char *src, const char *section,
			const char *name)
{
	if (!g_strv_contains(cfg_sections, section))
		return fail(ld, "%s: unknown section [%s]", src, section);
	return fail(ld, "%s: unknown key [%s] %s", src, section, name);
}

/* --- values: each parser returns NULL or an owned reason ---------------- */

static char *uint_parse(const struct cfg_key *k, const char *v, unsigned *out)
{
	guint64 n;

	if (!*v)
		return g_strdup("empty value, expected a number");
	for (const char *p = v; *p; p++) {
		if (!g_ascii_isdigit(*p))
			return not_a(v, "a number");
	}
	errno = 0;
	n = g_ascii_strtoull(v, NULL, 10);
	if (errno == ERANGE || n < k->min || n > k->max)
		return g_strdup_printf("%s is out of range (%u..%u)", v, k->min, k->max);
	*out = (unsigned)n;
	return NULL;
}

static char *bool_parse(const char *v, bool *out)
{
	static const char *const yes[] = { "true", "1", "yes", "on" };
	static const char *const no[] = { "false", "0", "no", "off" };

	for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
		if (!g_ascii_strcasecmp(v, yes[i]) || !g_ascii_strcasecmp(v, no[i])) {
			*out = !g_ascii_strcasecmp(v, yes[i]);
			return NULL;
		}
	}
	return not_a(v, "a boolean (true|false, yes|no, on|off, 1|0)");
}

/* Why `v` is not acceptable for a string key of type `type`, or NULL. */
static char *str_check(enum cfg_type type, const char *v)
{
	static const char *const levels[] = { "error", "warn", "info", "debug" };
	unsigned char buf[sizeof(struct in6_addr)];

	if (type == CFG_STR)
		return NULL;
	if (type == CFG_ADDR_OPT && !*v)
		return NULL;
	if (type == CFG_ADDR || type == CFG_ADDR_OPT) {
		if (inet_pton(AF_INET, v, buf) == 1 || inet_pton(AF_INET6, v, buf) == 1)
			return NULL;
		return not_a(v, "an IPv4 or IPv6 address");
	}
	if (type == CFG_PRIO) {
		if (!strcmp(v, "normal") || !strcmp(v, "high") || !strcmp(v, "realtime"))
			return NULL;
		return not_a(v, "a priority (normal|high|realtime)");
	}
	for (size_t i = 0; i < G_N_ELEMENTS(levels); i++) {
		if (!strcmp(v, levels[i]))
			return NULL;
	}
	return not_a(v, "a log level (error|warn|info|debug)");
}

/* Strings keep their spaces; addresses and levels are trimmed. */
static char *str_set(enum cfg_type type, const char *v, char **field)
{
	char *why = str_check(type, v);

	if (why)
		return why;
	g_free(*field);
	*field = g_strdup(v);
	return NULL;
}

/* Splits a list written in GKeyFile's syntax ("a;b;", "\;" escapes), so a
 * list reads the same in the file, the environment and the flags. Items are
 * trimmed; empty ones are dropped. Returns NULL or an owned reason. */
static char *list_split(const struct cfg_key *k, const char *raw, char ***out)
{
	GKeyFile *kf = g_key_file_new();
	GError *gerr = NULL;
	char **items, *why = NULL;
	size_t n = 0;

	g_key_file_set_value(kf, k->section, k->name, raw);
	items = g_key_file_get_string_list(kf, k->section, k->name, NULL, &gerr);
	g_key_file_free(kf);
	if (gerr) {
		g_strfreev(items);
		why = g_strdup_printf("not a ';'-separated list: %s", gerr->message);
		g_error_free(gerr);
		return why;
	}
	for (size_t i = 0; items[i]; i++) {
		if (*g_strstrip(items[i]))
			items[n++] = items[i];
		else
			g_free(items[i]);
	}
	items[n] = NULL;
	*out = items;
	return NULL;
}

static char *addrs_set(const struct cfg_key *k, const char *v, char ***field)
{
	char **addrs, *why = list_split(k, v, &addrs);

	if (why)
		return why;
	for (size_t i = 0; addrs[i]; i++) {
		why = str_check(CFG_ADDR, addrs[i]);
		if (why) {
			g_strfreev(addrs);
			return why;
		}
	}
	g_strfreev(*field);
	*field = addrs;
	return NULL;
}

static char *urls_set(const struct cfg_key *k, const char *v, char ***field)
{
	char **urls, *why;
	char scheme[16], schemes[16];

	why = list_split(k, v, &urls);
	if (why)
		return why;
	g_snprintf(scheme, sizeof(scheme), "%s:", k->scheme);
	g_snprintf(schemes, sizeof(schemes), "%ss:", k->scheme);
	for (size_t i = 0; urls[i]; i++) {
		const char *u = urls[i];
		size_t n = g_str_has_prefix(u, scheme) ? strlen(scheme)
			   : g_str_has_prefix(u, schemes) ? strlen(schemes) : 0;

		if (n && u[n])
			continue;
		char *what = g_strdup_printf("a %s URL (%shost[:port] or %s...)", k->scheme,
					     scheme, schemes);

		why = not_a(u, what);
		g_free(what);
		g_strfreev(urls);
		return why;
	}
	g_strfreev(*field);
	*field = urls;
	return NULL;
}

static void keys_free(struct config_api_key *keys, unsigned n)
{
	for (unsigned i = 0; keys && i < n; i++) {
		g_free(keys[i].key);
		g_free(keys[i].secret);
	}
	g_free(keys);
}

/* Checks entry number `i` (from 1) and fills `out`; its key must differ
 * from those of prev[0..i-2]. The secret is never part of the reason. */
static char *key_entry_parse(const char *entry, unsigned i, struct config_api_key *out,
			     const struct config_api_key *prev)
{
	const char *colon = strchr(entry, ':');
	char *key, *q, *why = NULL;

	if (!colon)
		return g_strdup_printf("entry %u is not key:secret", i);
	key = g_strndup(entry, (size_t)(colon - entry));
	q = quote(key);
	if (!*key || strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(key))
		why = g_strdup_printf("entry %u: key %s must be non-empty and use only A-Z a-z 0-9 _ -", i, q);
	else if (strlen(colon + 1) < 32)
		why = g_strdup_printf("entry %u (key %s): the secret has %zu characters, at least 32 are needed",
				      i, q, strlen(colon + 1));
	for (unsigned j = 0; !why && j + 1 < i; j++) {
		if (!strcmp(prev[j].key, key))
			why = g_strdup_printf("entry %u: duplicate key %s", i, q);
	}
	g_free(q);
	if (why) {
		g_free(key);
		return why;
	}
	out->key = key;
	out->secret = g_strdup(colon + 1);
	return NULL;
}

static char *keys_set(const struct cfg_key *k, const char *v, struct config *cfg)
{
	struct config_api_key *keys;
	char **entries, *why;
	unsigned n;

	why = list_split(k, v, &entries);
	if (why)
		return why;
	n = g_strv_length(entries);
	keys = g_new0(struct config_api_key, n + 1);
	for (unsigned i = 0; !why && i < n; i++)
		why = key_entry_parse(entries[i], i + 1, &keys[i], keys);
	g_strfreev(entries);
	if (why) {
		keys_free(keys, n);
		return why;
	}
	keys_free(cfg->keys, cfg->n_keys);
	cfg->keys = keys;
	cfg->n_keys = n;
	return NULL;
}

/* Parses `v` for key `k` into the configuration; `src` names where it came
 * from ("default", "file:12", "environment X", "flag --x"). Returns 0 or
 * EINVAL with the error recorded. */
static int value_set(struct cfg_load *ld, const struct cfg_key *k, const char *v, const char *src)
{
	void *field = G_STRUCT_MEMBER_P(ld->cfg, k->off);
	char *trimmed = g_strstrip(g_strdup(v));
	char *why = NULL;

	switch (k->type) {
	case CFG_UINT:
		why = uint_parse(k, trimmed, field);
		break;
	case CFG_BOOL:
		why = bool_parse(trimmed, field);
		break;
	case CFG_STR:
	case CFG_ADDR:
	case CFG_ADDR_OPT:
	case CFG_LEVEL:
	case CFG_PRIO:
		why = str_set(k->type, k->type == CFG_STR ? v : trimmed, field);
		break;
	case CFG_URLS:
		why = urls_set(k, v, field);
		break;
	case CFG_ADDRS:
		why = addrs_set(k, v, field);
		break;
	case CFG_KEYS:
		why = keys_set(k, v, ld->cfg);
		break;
	}
	g_free(trimmed);
	if (why) {
		fail(ld, "%s: [%s] %s: %s", src, k->section, k->name, why);
		g_free(why);
		return EINVAL;
	}
	ld->set[key_index(k)] = true;
	g_free(ld->src[key_index(k)]);
	ld->src[key_index(k)] = g_strdup(src);
	return 0;
}

static int defaults_apply(struct cfg_load *ld)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		int err = value_set(ld, &cfg_keys[i], cfg_keys[i].def, "default");

		if (err)
			return err;
	}
	/* Only the layers above count as setting a key explicitly. */
	memset(ld->set, 0, sizeof(ld->set));
	return 0;
}

/* --- the file ----------------------------------------------------------- */

/* Whether the line text[0..n) is the header of `group` (updating *in) or,
 * inside it, assigns `key`. */
static bool line_match(const char *text, size_t n, const char *group, const char *key, bool *in)
{
	char *line = g_strstrip(g_strndup(text, n));
	char *eq = strchr(line, '=');
	bool match = false;

	if (line[0] == '[') {
		char *end = strchr(line, ']');

		*in = end && (size_t)(end - line - 1) == strlen(group) &&
		      !strncmp(line + 1, group, strlen(group));
		match = *in && !key;
	} else if (*in && key && line[0] != '#' && eq) {
		*eq = '\0';
		match = !strcmp(g_strchomp(line), key);
	}
	g_free(line);
	return match;
}

/* Best-effort line number of `[group]` (key NULL) or of the last `key =`
 * in it: GKeyFile does not keep line numbers. 0 = not found. */
static unsigned file_line(const char *text, const char *group, const char *key)
{
	unsigned line = 0, found = 0;
	bool in = false;

	for (const char *p = text; *p;) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);

		line++;
		if (line_match(p, n, group, key, &in) && (key || !found))
			found = line;
		if (!eol)
			break;
		p = eol + 1;
	}
	return found;
}

static char *file_src(const char *path, const char *text, const char *group, const char *key)
{
	unsigned line = file_line(text, group, key);

	return line ? g_strdup_printf("%s:%u", path, line) : g_strdup(path);
}

/* One key of the file. Lists are read raw so that list_split sees them as
 * the environment would; other values unescaped, as GKeyFile documents. */
static int file_key_apply(struct cfg_load *ld, GKeyFile *kf, const char *path, const char *text,
			  const char *group, const char *name)
{
	const struct cfg_key *k = key_find(group, name);
	char *src = file_src(path, text, group, name);
	GError *gerr = NULL;
	char *v = NULL;
	int err;

	if (!k) {
		err = fail_unknown(ld, src, group, name);
		goto out;
	}
	if (k->type == CFG_URLS || k->type == CFG_ADDRS || k->type == CFG_KEYS)
		v = g_key_file_get_value(kf, group, name, &gerr);
	else
		v = g_key_file_get_string(kf, group, name, &gerr);
	if (gerr) { /* GLib may return a value and an error (bad escape) */
		err = fail(ld, "%s: [%s] %s: %s", src, group, name, gerr->message);
		g_error_free(gerr);
		goto out;
	}
	err = value_set(ld, k, v, src);
out:
	g_free(v);
	g_free(src);
	return err;
}

static int file_group_apply(struct cfg_load *ld, GKeyFile *kf, const char *path, const char *text,
			    const char *group)
{
	char **names;
	int err = 0;

	if (!g_strv_contains(cfg_sections, group)) {
		char *src = file_src(path, text, group, NULL);

		err = fail(ld, "%s: unknown section [%s]", src, group);
		g_free(src);
		return err;
	}
	names = g_key_file_get_keys(kf, group, NULL, NULL);
	for (size_t i = 0; !err && names && names[i]; i++)
		err = file_key_apply(ld, kf, path, text, group, names[i]);
	g_strfreev(names);
	return err;
}

static int file_apply(struct cfg_load *ld, const char *path)
{
	GKeyFile *kf = g_key_file_new();
	GError *gerr = NULL;
	char *text = NULL, **groups = NULL;
	gsize len;
	int err = 0;

	if (!g_file_get_contents(path, &text, &len, &gerr) ||
	    !g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, &gerr)) {
		err = fail(ld, "%s: %s", path, gerr->message);
		g_error_free(gerr);
		goto out;
	}
	groups = g_key_file_get_groups(kf, NULL);
	for (size_t i = 0; !err && groups[i]; i++)
		err = file_group_apply(ld, kf, path, text, groups[i]);
out:
	g_strfreev(groups);
	g_free(text);
	g_key_file_free(kf);
	return err;
}

/* --- the environment ---------------------------------------------------- */

/* "PARLEY_<SECTION>_<NAME>", upper case. */
static char *env_name(const char *section, const char *name)
{
	char *s = g_strdup_printf("PARLEY_%s_%s", section, name);
	char *up = g_ascii_strup(s, -1);

	g_free(s);
	return up;
}

static const char *env_get(char **envp, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; envp && envp[i]; i++) {
		if (!strncmp(envp[i], name, n) && envp[i][n] == '=')
			return envp[i] + n + 1;
	}
	return NULL;
}

/* Applies one "NAME=value" entry of the environment when NAME starts with
 * PARLEY_. Names are matched without regard to case. A name that is not
 * PARLEY_<SECTION>_<KEY> of a known key is an error, so that typos do not
 * go unnoticed; PARLEY_CONFIG, PARLEY_SOURCE_DIR and PARLEY_TEST_* are not
 * keys and are skipped. */
static int env_var_apply(struct cfg_load *ld, const char *entry)
{
	const char *eq = strchr(entry, '='), *section = NULL;
	const struct cfg_key *k = NULL;
	char *var, *src, *lower;
	int err;

	if (!eq || !g_str_has_prefix(entry, "PARLEY_"))
		return 0;
	var = g_strndup(entry, (size_t)(eq - entry));
	if (!strcmp(var, "PARLEY_CONFIG") || !strcmp(var, "PARLEY_SOURCE_DIR") ||
	    g_str_has_prefix(var, "PARLEY_TEST_")) {
		g_free(var);
		return 0;
	}
	src = g_strdup_printf("environment %s", var);
	lower = g_ascii_strdown(var + strlen("PARLEY_"), -1);
	for (size_t i = 0; cfg_sections[i]; i++) {
		size_t n = strlen(cfg_sections[i]);

		if (!strncmp(lower, cfg_sections[i], n) && lower[n] == '_')
			section = cfg_sections[i];
	}
	if (section)
		k = key_find(section, lower + strlen(section) + 1);
	if (k)
		err = value_set(ld, k, eq + 1, src);
	else if (section)
		err = fail_unknown(ld, src, section, lower + strlen(section) + 1);
	else
		err = fail(ld, "%s: unknown variable; parley reads PARLEY_CONFIG and "
			       "PARLEY_<SECTION>_<KEY> for the sections SERVER, HTTP, AUTH, DEV, "
			       "ROOMS, EVENTS and ICE", src);
	g_free(lower);
	g_free(src);
	g_free(var);
	return err;
}

static int env_apply(struct cfg_load *ld, char **envp)
{
	for (size_t i = 0; envp && envp[i]; i++) {
		int err = env_var_apply(ld, envp[i]);

		if (err)
			return err;
	}
	return 0;
}

/* --- flags -------------------------------------------------------------- */

static void pending_add(struct cfg_load *ld, const struct cfg_key *k, const char *value, char *src)
{
	ld->flags[ld->n_flags].k = k;
	ld->flags[ld->n_flags].value = value;
	ld->flags[ld->n_flags].src = src; /* taken */
	ld->n_flags++;
}

/* --set section.key=value; the value is not shown in messages. */
static int flag_set_parse(struct cfg_load *ld, const char *arg)
{
	const char *eq = strchr(arg, '=');
	const char *dot = eq ? memchr(arg, '.', (size_t)(eq - arg)) : NULL;
	const struct cfg_key *k;
	char *section, *name, *src;

	if (!dot) {
		return fail(ld, "flag --set: expected SECTION.KEY=VALUE, got \"%.*s%s\"",
			    eq ? (int)(eq - arg) : (int)strlen(arg), arg, eq ? "=..." : "");
	}
	section = g_strndup(arg, (size_t)(dot - arg));
	name = g_strndup(dot + 1, (size_t)(eq - dot - 1));
	src = g_strdup_printf("flag --set %s.%s", section, name);
	k = key_find(section, name);
	if (k) {
		pending_add(ld, k, eq + 1, src);
	} else {
		fail_unknown(ld, src, section, name);
		g_free(src);
	}
	g_free(section);
	g_free(name);
	return k ? 0 : EINVAL;
}

static int flag_record(struct cfg_load *ld, const struct cfg_flag *f, const char *value)
{
	if (!strcmp(f->name, "config")) {
		if (!*value)
			return fail(ld, "flag --config: needs a file name");
		ld->config_path = value;
		return 0;
	}
	if (!strcmp(f->name, "set"))
		return flag_set_parse(ld, value);
	pending_add(ld, key_find(f->section, f->key), value, g_strdup_printf("flag --%s", f->name));
	return 0;
}

/* Parses the flag at argv[*i], taking the next argument as its value when
 * needed. Unknown flags are named without their value. */
static int flag_parse(struct cfg_load *ld, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	const char *eq = strchr(a, '=');
	size_t n = eq ? (size_t)(eq - a) : strlen(a);
	const struct cfg_flag *f = NULL;
	const char *value = eq ? eq + 1 : NULL;

	for (size_t j = 0; a[1] == '-' && j < G_N_ELEMENTS(cfg_flags); j++) {
		if (strlen(cfg_flags[j].name) == n - 2 && !strncmp(cfg_flags[j].name, a + 2, n - 2))
			f = &cfg_flags[j];
	}
	if (!f)
		return fail(ld, "flag %.*s: unknown flag (see --help)", (int)n, a);
	if (!f->arg && !value)
		value = "true"; /* --dev; --dev=false also works */
	if (f->arg && !value) {
		if (*i + 1 >= argc)
			return fail(ld, "flag --%s: needs a value (%s)", f->name, f->arg);
		value = argv[++*i];
	}
	return flag_record(ld, f, value);
}

/* First pass over argv: records flag values (applied after the environment),
 * the --config path and the positions of what is left for the caller. */
static int flags_parse(struct cfg_load *ld, int argc, char **argv)
{
	bool rest = false; /* after "--" everything is positional */

	ld->flags = g_new0(struct cfg_pending, argc > 0 ? argc : 1);
	ld->pos = g_new0(int, argc > 0 ? argc : 1);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int err;

		if (rest || a[0] != '-' || !a[1] || g_strv_contains(cfg_passthrough, a)) {
			ld->pos[ld->n_pos++] = i;
			continue;
		}
		if (!strcmp(a, "--")) {
			rest = true;
			continue;
		}
		err = flag_parse(ld, argc, argv, &i);
		if (err)
			return err;
	}
	return 0;
}

static int flags_apply(struct cfg_load *ld)
{
	for (int i = 0; i < ld->n_flags; i++) {
		int err = value_set(ld, ld->flags[i].k, ld->flags[i].value, ld->flags[i].src);

		if (err)
			return err;
	}
	return 0;
}

/* Leaves argv[0] and the positional arguments, in order. */
static void argv_compact(const struct cfg_load *ld, int *argc, char **argv)
{
	if (!argc || *argc < 1)
		return;
	for (int j = 0; j < ld->n_pos; j++)
		argv[1 + j] = argv[ld->pos[j]];
	if (1 + ld->n_pos < *argc)
		argv[1 + ld->n_pos] = NULL;
	*argc = 1 + ld->n_pos;
}

/* --- checks across keys ------------------------------------------------- */

/* 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
static bool addr_is_loopback(const char *s)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, s, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, s, &a6) != 1)
		return false;
	return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
}

/* Dev mode accepts a well-known key, so it stays on loopback unless told. */
static int dev_check(struct cfg_load *ld)
{
	struct config *cfg = ld->cfg;
	size_t bind = key_index(key_find("http", "bind"));

	if (!ld->set[bind]) {
		g_free(cfg->http_bind);
		cfg->http_bind = g_strdup("127.0.0.1");
		return 0;
	}
	if (cfg->dev_allow_remote || addr_is_loopback(cfg->http_bind))
		return 0;
	return fail(ld, "%s: [http] bind: %s is not a loopback address, and dev mode "
			"(which accepts the dev API key) binds only loopback; to allow it, set "
			"dev.allow_remote = true ([dev] allow_remote = true in the file, "
			"PARLEY_DEV_ALLOW_REMOTE=true or --set dev.allow_remote=true)",
		    ld->src[bind], cfg->http_bind);
}

static int config_check(struct cfg_load *ld)
{
	struct config *cfg = ld->cfg;

	if (cfg->turn_urls[0] && (!cfg->turn_username[0] || !cfg->turn_credential[0])) {
		return fail(ld, "%s: [ice] turn_urls: TURN servers need [ice] turn_username "
				"and turn_credential", ld->src[key_index(key_find("ice", "turn_urls"))]);
	}
	if ((cfg->port_min == 0) != (cfg->port_max == 0) || cfg->port_min > cfg->port_max)
		return fail(ld, "%s: [media] port_min and port_max: give both (min <= max) or neither",
			    ld->src[key_index(key_find("media", "port_min"))]);
	if (!cfg->cert_file[0] != !cfg->key_file[0])
		return fail(ld, "%s: [dtls] cert_file and key_file go together",
			    ld->src[key_index(key_find("dtls", "cert_file"))]);
	if (cfg->dev)
		return dev_check(ld);
	if (!cfg->n_keys)
		return fail(ld, "no API keys configured: set [auth] keys or run with --dev");
	return 0;
}

/* --- public ------------------------------------------------------------- */

static void load_clear(struct cfg_load *ld)
{
	for (size_t i = 0; i < N_KEYS; i++)
		g_free(ld->src[i]);
	for (int i = 0; i < ld->n_flags; i++)
		g_free(ld->flags[i].src);
	g_free(ld->flags);
	g_free(ld->pos);
	g_free(ld->errmsg);
	config_free(ld->cfg);
}

int config_load(struct config **out, int *argc, char **argv, char **envp, char **errmsg)
{
	struct cfg_load ld = { .cfg = g_new0(struct config, 1) };
	int err;

	err = flags_parse(&ld, argc ? *argc : 0, argv);
	if (!err)
		err = defaults_apply(&ld);
	if (!ld.config_path)
		ld.config_path = env_get(envp, "PARLEY_CONFIG");
	if (!err && ld.config_path && *ld.config_path)
		err = file_apply(&ld, ld.config_path);
	if (!err)
		err = env_apply(&ld, envp);
	if (!err)
		err = flags_apply(&ld);
	if (!err)
		err = config_check(&ld);
	if (err) {
		if (errmsg)
			*errmsg = g_steal_pointer(&ld.errmsg);
	} else {
		argv_compact(&ld, argc, argv);
		*out = g_steal_pointer(&ld.cfg);
	}
	load_clear(&ld);
	return err;
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < N_KEYS; i++) {
		void *field = G_STRUCT_MEMBER_P(cfg, cfg_keys[i].off);

		switch (cfg_keys[i].type) {
		case CFG_STR:
		case CFG_ADDR:
		case CFG_ADDR_OPT:
		case CFG_LEVEL:
		case CFG_PRIO:
			g_free(*(char **)field);
			break;
		case CFG_URLS:
		case CFG_ADDRS:
			g_strfreev(*(char ***)field);
			break;
		case CFG_KEYS:
			keys_free(cfg->keys, cfg->n_keys);
			break;
		default:
			break;
		}
	}
	g_free(cfg);
}

const char *config_api_secret(const struct config *cfg, const char *key)
{
	if (!cfg || !key || !*key)
		return NULL;
	for (unsigned i = 0; i < cfg->n_keys; i++) {
		if (!strcmp(cfg->keys[i].key, key))
			return cfg->keys[i].secret;
	}
	if (cfg->dev && !strcmp(cfg->dev_api_key, key))
		return cfg->dev_api_secret;
	return NULL;
}

/* The flags, then every key of the table with its default: one line
 * "  section.key = default" each, then its help and variable. */
static char *help_build(void)
{
	GString *s = g_string_new("Options:\n");

	for (size_t i = 0; i < G_N_ELEMENTS(cfg_flags); i++) {
		const struct cfg_flag *f = &cfg_flags[i];
		char *left = g_strdup_printf("--%s%s%s", f->name, f->arg ? " " : "", f->arg ? f->arg : "");

		g_string_append_printf(s, "  %-26s %s\n", left, f->help);
		g_free(left);
	}
	g_string_append(s, "  --check-config             check the configuration and exit\n"
			   "  --help                     show this help and exit\n"
			   "  --version                  show the version and exit\n"
			   "\nBoth --flag VALUE and --flag=VALUE work. Flags win over the environment,\n"
			   "which wins over the file, which wins over the defaults.\n"
			   "\nKeys (file: [section] key = value; environment: PARLEY_<SECTION>_<KEY>):\n");
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		char *env = env_name(k->section, k->name);

		g_string_append_printf(s, "  %s.%s = %s\n      %s", k->section, k->name, k->def, k->help);
		if (k->type == CFG_UINT)
			g_string_append_printf(s, "; %u..%u", k->min, k->max);
		g_string_append_printf(s, " (%s)\n", env);
		g_free(env);
	}
	return g_string_free(s, FALSE);
}

const char *config_flags_help(void)
{
	static gsize once;
	static char *text;

	if (g_once_init_enter(&once)) {
		text = help_build();
		g_once_init_leave(&once, 1);
	}
	return text;
}
