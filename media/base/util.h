/* util.h - small helpers every layer uses: clocks and random identifiers. */
#ifndef PARLEY_MEDIA_BASE_UTIL_H
#define PARLEY_MEDIA_BASE_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic time in microseconds. @thread any */
int64_t util_now_us(void);

/* Wall-clock time in seconds since the epoch. @thread any */
int64_t util_unix_time(void);

/* Writes `prefix` followed by `nrand` random characters from [0-9A-Za-z]
 * (taken from the kernel's CSPRNG) and a NUL into `buf` of `size` bytes.
 * Returns 0, or EINVAL when it does not fit, or EIO when randomness failed.
 * @thread any */
int util_random_id(char *buf, size_t size, const char *prefix, unsigned nrand);

/* Fills `buf` with `len` random bytes from the kernel. Returns 0 or EIO.
 * @thread any */
int util_random_bytes(void *buf, size_t len);

#endif
