/* storage.h - the recorder's folder in the data folder: created and checked
 * for writing at start-up, so that a read-only or full disk is reported when
 * parleyd starts rather than when the first meeting is recorded. */
#ifndef PARLEY_RECORDER_STORAGE_H
#define PARLEY_RECORDER_STORAGE_H

#include <stdint.h>

/* Creates `<data_dir>/recordings` if needed, checks that a file can be
 * written there and reports the free space in *free_bytes. Returns 0, or an
 * errno with *errmsg (g_free) saying what failed. @thread any */
int recorder_storage_prepare(const char *data_dir, uint64_t *free_bytes, char **errmsg);

#endif
