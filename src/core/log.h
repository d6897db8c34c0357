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

/* Lines are buffered and written in batches: the server calls log_flush() once
 * per loop iteration, before the loop waits for I/O, so lines appear promptly
 * and a busy loop writes many lines with one system call. Warnings and worse
 * are flushed at once. Processes that exit through exit() lose nothing. */
void log_flush(void);

/* Sets up the stdout buffer; call first thing in main(), before any output. */
void log_init(void);
bool log_enabled(log_level_t level);

/* Key/value pairs follow msg; see the file comment. */
void log_event(log_level_t level, const char *msg, ...);

#define log_debug(...) log_event(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_event(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_event(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_event(LOG_ERROR, __VA_ARGS__)

#endif
