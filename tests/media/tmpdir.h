/* tmpdir.h - a scratch folder for tests that write files (PEM keys and
 * certificates): made empty, removed with what it holds. */
#ifndef PARLEY_TESTS_MEDIA_TMPDIR_H
#define PARLEY_TESTS_MEDIA_TMPDIR_H

#include <glib.h>
#include <glib/gstdio.h>

/* A fresh directory for PEM files; rm_tmp removes it and what is in it. */
static char *mk_tmp(void)
{
	char *dir = g_dir_make_tmp("dtls-XXXXXX", NULL);

	assert_non_null(dir);
	return dir;
}

static void rm_tmp(char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *path = g_build_filename(dir, name, NULL);
		g_remove(path);
	}
	if (d)
		g_dir_close(d);
	g_rmdir(dir);
	g_free(dir);
}

#endif
