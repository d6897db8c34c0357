/* Structured logging: one JSON object per line on stdout, with "ts", "level",
 * "msg" and any fields, filtered by LOG_LEVEL.
 *
 * Fields are passed as key / json_t* pairs ending with NULL; the logger takes
 * ownership of (steals) every json_t passed, also when the level is filtered out:
 *
 *     log_info("server listening", "port", json_integer(port), NULL);
 *
 * Never pass a secret (Authorization header, password, token) as a field. */
#ifndef RURAL24_CORE_LOG_H
#define RURAL24_CORE_LOG_H

#include <jansson.h>
#include <stdbool.h>

typedef enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_FATAL } log_level_t;

/* Parses "debug", "info", "warn", "error"; 0 on success, -1 on an unknown name. */
int log_level_parse(const char *name, log_level_t *out);
const char *log_level_name(log_level_t level);

void log_set_level(log_level_t level);
bool log_enabled(log_level_t level);

/* Key/value pairs follow msg; see the file comment. */
void log_event(log_level_t level, const char *msg, ...);

#define log_debug(...) log_event(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_event(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_event(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_event(LOG_ERROR, __VA_ARGS__)

#endif
