/* util.c - see util.h. */
#include "media/base/util.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

int64_t util_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t util_unix_time(void)
{
	return (int64_t)time(NULL);
}

int util_random_bytes(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int util_random_id(char *buf, size_t size, const char *prefix, unsigned nrand)
{
	static const char alphabet[] =
		"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	size_t plen = strlen(prefix);
	uint8_t rnd[64];

	if (nrand > sizeof(rnd) || plen + nrand + 1 > size)
		return EINVAL;
	if (util_random_bytes(rnd, nrand))
		return EIO;
	memcpy(buf, prefix, plen);
	for (unsigned i = 0; i < nrand; i++)
		buf[plen + i] = alphabet[rnd[i] % 62]; /* bias of 4/256: fine for ids */
	buf[plen + nrand] = '\0';
	return 0;
}
