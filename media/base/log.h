/* log.h - leveled logging with module tags, one line per event, to stderr.
 *
 * Each .c file defines LOG_MOD before including this header:
 *     #define LOG_MOD "http"
 *     #include "media/base/log.h"
 * and then writes log_info("[room=%s] created", name). Thread-safe. */
#ifndef PARLEY_MEDIA_BASE_LOG_H
#define PARLEY_MEDIA_BASE_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/* Sets the most verbose level that is written. @thread any (start-up) */
void log_level_set(enum log_level lvl);

/* True when `lvl` would be written. @thread any */
bool log_enabled(enum log_level lvl);

/* Parses "error", "warn", "info" or "debug". Returns 0 or EINVAL. @thread any */
int log_level_parse(const char *s, enum log_level *out);

/* The name of a level, as log_level_parse takes it. @thread any */
const char *log_level_name(enum log_level lvl);

/* Writes one line: time, level, module, message. @thread any */
void log_write(enum log_level lvl, const char *mod, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#ifndef LOG_MOD
#define LOG_MOD "parley"
#endif

#define log_err(...) log_write(LOG_LVL_ERROR, LOG_MOD, __VA_ARGS__)
#define log_warn(...) log_write(LOG_LVL_WARN, LOG_MOD, __VA_ARGS__)
#define log_info(...) log_write(LOG_LVL_INFO, LOG_MOD, __VA_ARGS__)
#define log_debug(...)                                                     \
	do {                                                               \
		if (log_enabled(LOG_LVL_DEBUG))                            \
			log_write(LOG_LVL_DEBUG, LOG_MOD, __VA_ARGS__);    \
	} while (0)

#endif
