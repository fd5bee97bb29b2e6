/* fuzz_config.c - libFuzzer target for config/config.c: the input is the
 * INI file given with --config. Any input must give 0 or EINVAL with a
 * message, and leak nothing. The file is created once, rewritten for each
 * input and removed at exit. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <glib.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *path; /* owned, for the life of the process */

static void path_remove(void)
{
	if (path)
		unlink(path);
	g_free(path);
	path = NULL;
}

/* Creates the file on the first call. Returns 0 or errno. */
static int path_write(const uint8_t *data, size_t size)
{
	FILE *f;

	if (!path) {
		int fd = g_file_open_tmp("fuzz-config-XXXXXX.conf", &path, NULL);

		if (fd < 0)
			return EIO;
		close(fd);
		atexit(path_remove);
	}
	f = fopen(path, "wb");
	if (!f)
		return errno;
	if (size && fwrite(data, 1, size, f) != size) {
		fclose(f);
		return EIO;
	}
	return fclose(f) ? errno : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *env[] = { NULL };
	char *argv[] = { "parleyd", "--config", NULL, "positional", NULL };
	int argc = 4;
	struct config *cfg = NULL;
	char *errmsg = NULL;
	int err;

	if (path_write(data, size))
		abort(); /* the machine, not the input: stop loudly */
	argv[2] = path;
	err = config_load(&cfg, &argc, argv, env, &errmsg);
	if (err != 0 && (err != EINVAL || !errmsg || cfg))
		abort();
	if (!err && (argc != 2 || !cfg || errmsg || !cfg->http_bind || !cfg->stun_urls))
		abort();
	if (!err)
		config_api_secret(cfg, "k");
	config_free(cfg);
	g_free(errmsg);
	return 0;
}
