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
#include <stddef.h>
#include <stdint.h>

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

/* One line "<tag> <object as compact JSON>" (the periodic "[METRICS]" line,
 * which log processors match by its tag), written whatever LOG_LEVEL says.
 * Steals object. */
void log_tagged_json(const char *tag, json_t *object);

/* A log line built field by field into a fixed buffer, without allocation:
 * the access log's hot path (log_event with jansson costs ~35,000
 * instructions a line, this ~1,500). Strings are JSON-escaped; invalid UTF-8
 * becomes U+FFFD; a string that does not fit is cut short, and fields that do
 * not fit at all are left out, so a line is always valid JSON. Only emitted when
 * the level is enabled (check log_enabled() before building). */
enum { LOG_LINE_MAX = 2048 };

typedef struct {
    char data[LOG_LINE_MAX];
    size_t len;
    bool full; /* a field did not fit: later ones are left out */
} log_line_t;

void log_line_start(log_line_t *line, log_level_t level, const char *msg);
/* value NULL writes null. */
void log_line_str(log_line_t *line, const char *key, const char *value);
void log_line_int(log_line_t *line, const char *key, int64_t value);
/* A duration in milliseconds with three decimals. */
void log_line_ms(log_line_t *line, const char *key, double ms);
/* Closes the object and writes the line. */
void log_line_end(log_line_t *line);

#define log_debug(...) log_event(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_event(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_event(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_event(LOG_ERROR, __VA_ARGS__)

#endif
