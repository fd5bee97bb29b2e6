/* token_cli.c - see token_cli.h. */
#include "signaling/token_cli.h"
#include "signaling/jwt.h"
#include "config/config.h"
#include "media/base/util.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
	"usage: parleyd token --identity ID --room ROOM [options] [config flags]\n"
	"       parleyd token --admin-all [options] [config flags]\n"
	"Mints an HS256 access token signed with an API key from the configuration.\n"
	"  --identity ID     participant identity (sub)\n"
	"  --name NAME       display name\n"
	"  --metadata TEXT   participant metadata\n"
	"  --room ROOM       room the grants apply to\n"
	"  --join            roomJoin (default when --room is given and no other grant)\n"
	"  --admin           roomAdmin for --room\n"
	"  --create          roomCreate (create and delete any room)\n"
	"  --list            roomList\n"
	"  --record          roomRecord\n"
	"  --admin-all       roomCreate + roomList: a server-side token\n"
	"  --no-publish, --no-subscribe, --no-data   withhold those permissions\n"
	"  --ttl SECONDS     lifetime (default 3600)\n"
	"  --key API_KEY     which configured key signs (default: the first; dev key in --dev)\n"
	"Config flags (--config, --dev, --set ...) select the keys as for the server.\n";

struct token_args {
	struct jwt_grants g;
	const char *key;
	long ttl;
	bool admin_all;
};

/* Takes the token flags out of argv, leaving the config flags. Returns 0, 1
 * for --help, or 2 for a bad flag. */
static int parse_args(int *argc, char **argv, struct token_args *t)
{
	int out = 1;

	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < *argc ? argv[i + 1] : NULL;
		bool takes = true;

		if (!strcmp(a, "--identity")) t->g.identity = (char *)val;
		else if (!strcmp(a, "--name")) t->g.name = (char *)val;
		else if (!strcmp(a, "--metadata")) t->g.metadata = (char *)val;
		else if (!strcmp(a, "--room")) t->g.room = (char *)val;
		else if (!strcmp(a, "--key")) t->key = val;
		else if (!strcmp(a, "--ttl")) t->ttl = val ? strtol(val, NULL, 10) : 0;
		else {
			takes = false;
			if (!strcmp(a, "--join")) t->g.room_join = true;
			else if (!strcmp(a, "--admin")) t->g.room_admin = true;
			else if (!strcmp(a, "--create")) t->g.room_create = true;
			else if (!strcmp(a, "--list")) t->g.room_list = true;
			else if (!strcmp(a, "--record")) t->g.room_record = true;
			else if (!strcmp(a, "--admin-all")) t->admin_all = true;
			else if (!strcmp(a, "--no-publish")) t->g.can_publish = false;
			else if (!strcmp(a, "--no-subscribe")) t->g.can_subscribe = false;
			else if (!strcmp(a, "--no-data")) t->g.can_publish_data = false;
			else if (!strcmp(a, "--help") || !strcmp(a, "-h")) return 1;
			else {
				argv[out++] = argv[i]; /* a config flag or its value */
				continue;
			}
		}
		if (takes && !val) {
			fprintf(stderr, "parleyd token: %s needs a value\n", a);
			return 2;
		}
		if (takes)
			i++;
	}
	*argc = out;
	argv[out] = NULL;
	return 0;
}

static const char *pick_secret(const struct config *cfg, const char **key)
{
	if (!*key)
		*key = cfg->n_keys ? cfg->keys[0].key : cfg->dev_api_key;
	return config_api_secret(cfg, *key);
}

int token_cli_main(int argc, char **argv, char **envp)
{
	struct token_args t = { .g = { .can_publish = true, .can_subscribe = true,
				       .can_publish_data = true },
				.ttl = 3600 };
	struct config *cfg = NULL;
	char *errmsg = NULL, *token;
	const char *secret;
	int rc = parse_args(&argc, argv, &t);

	if (rc) {
		fputs(usage, rc == 1 ? stdout : stderr);
		return rc == 1 ? 0 : 2;
	}
	if (t.admin_all)
		t.g.room_create = t.g.room_list = true;
	if (t.g.room && !t.g.room_admin && !t.g.room_record && !t.g.room_join)
		t.g.room_join = true;
	if (t.ttl <= 0 || (t.g.room_join && (!t.g.identity || !t.g.room)) ||
	    (!t.g.room && !t.g.room_create && !t.g.room_list)) {
		fprintf(stderr, "parleyd token: give --identity and --room, or --admin-all "
				"(and a positive --ttl)\n%s", usage);
		return 2;
	}
	if (config_load(&cfg, &argc, argv, envp, &errmsg)) {
		fprintf(stderr, "parleyd token: %s\n", errmsg);
		g_free(errmsg);
		return 2;
	}
	secret = pick_secret(cfg, &t.key);
	if (!secret) {
		fprintf(stderr, "parleyd token: API key \"%s\" is not configured\n", t.key);
		config_free(cfg);
		return 2;
	}
	t.g.api_key = (char *)t.key;
	t.g.nbf = util_unix_time();
	t.g.exp = t.g.nbf + t.ttl;
	token = jwt_sign(&t.g, secret);
	printf("%s\n", token);
	g_free(token);
	config_free(cfg);
	return 0;
}
