/* storage.c - see storage.h. */
#include "recorder/storage.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

int recorder_storage_prepare(const char *data_dir, uint64_t *free_bytes, char **errmsg)
{
	char *dir = g_build_filename(data_dir, "recordings", NULL);
	char *probe = g_build_filename(dir, ".write-test", NULL);
	struct statvfs vfs;
	int err = 0, fd;

	if (g_mkdir_with_parents(dir, 0750) != 0) {
		err = errno;
		*errmsg = g_strdup_printf("cannot create %s: %s", dir, g_strerror(err));
		goto out;
	}
	fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, "ok\n", 3) != 3 || fsync(fd) != 0) {
		err = errno ? errno : EIO;
		*errmsg = g_strdup_printf("cannot write in %s: %s", dir, g_strerror(err));
	}
	if (fd >= 0)
		close(fd);
	g_unlink(probe);
	if (err)
		goto out;
	if (statvfs(dir, &vfs) != 0) {
		err = errno;
		*errmsg = g_strdup_printf("cannot read the free space of %s: %s", dir,
					  g_strerror(err));
		goto out;
	}
	*free_bytes = (uint64_t)vfs.f_bavail * vfs.f_frsize;
out:
	g_free(probe);
	g_free(dir);
	return err;
}
