/* log.c - see log.h. */
#include "media/base/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const level_names[] = { "error", "warn", "info", "debug" };

/* The only mutable global of the module: the threshold, read without a lock
 * (a torn read of an int cannot happen on the platforms we build for). */
static volatile int log_threshold = LOG_LVL_INFO;

void log_level_set(enum log_level lvl)
{
	log_threshold = (int)lvl;
}

bool log_enabled(enum log_level lvl)
{
	return (int)lvl <= log_threshold;
}

int log_level_parse(const char *s, enum log_level *out)
{
	for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (s && strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (s && strcmp(s, "warning") == 0) {
		*out = LOG_LVL_WARN;
		return 0;
	}
	return EINVAL;
}

const char *log_level_name(enum log_level lvl)
{
	if ((unsigned)lvl >= sizeof(level_names) / sizeof(level_names[0]))
		return "?";
	return level_names[lvl];
}

void log_write(enum log_level lvl, const char *mod, const char *fmt, ...)
{
	if (!log_enabled(lvl))
		return;

	struct timespec ts;
	struct tm tm;
	char when[32];
	char msg[1024];
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	/* One fprintf per line: stdio locks the stream, so lines from
	 * different threads never interleave. */
	fprintf(stderr, "%s.%03ldZ %-5s [%s] %s\n", when, ts.tv_nsec / 1000000L,
		level_names[lvl], mod, msg);
}
