/* JSON-lines logger. Lines are written with one fwrite() on a line-buffered
 * stdout, so lines from one process never interleave. Logging happens on the
 * loop thread; the thread-pool work (password hashing) does not log. */
#include "core/log.h"
#include "core/clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

static log_level_t min_level = LOG_INFO;
static bool buffered;

static const char *const level_names[] = {"debug", "info", "warn", "error", "fatal"};

int log_level_parse(const char *name, log_level_t *out)
{
    for (int i = LOG_DEBUG; i <= LOG_ERROR; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (log_level_t)i;
            return 0;
        }
    }
    if (strcmp(name, "warning") == 0) {
        *out = LOG_WARN;
        return 0;
    }
    return -1;
}

const char *log_level_name(log_level_t level)
{
    return level_names[level];
}

void log_set_level(log_level_t level)
{
    min_level = level;
}

void log_flush(void)
{
    fflush(stdout);
}

void log_init(void)
{
    if (!buffered) {
        static char stdout_buffer[64 * 1024];
        setvbuf(stdout, stdout_buffer, _IOFBF, sizeof(stdout_buffer));
        buffered = true;
    }
}

bool log_enabled(log_level_t level)
{
    return level >= min_level;
}

void log_event(log_level_t level, const char *msg, ...)
{
    va_list ap;
    va_start(ap, msg);
    if (!log_enabled(level)) {
        /* Fields are stolen whatever happens, so release them. */
        const char *key;
        while ((key = va_arg(ap, const char *)) != NULL)
            json_decref(va_arg(ap, json_t *));
        va_end(ap);
        return;
    }
    char ts[CLOCK_RFC3339_BYTES];
    clock_format_rfc3339_ms(clock_wall_ms(), ts, sizeof(ts));
    json_t *line = json_object();
    json_object_set_new(line, "ts", json_string(ts));
    json_object_set_new(line, "level", json_string(level_names[level]));
    json_object_set_new(line, "msg", json_string(msg));
    const char *key;
    while ((key = va_arg(ap, const char *)) != NULL) {
        json_t *value = va_arg(ap, json_t *);
        if (value == NULL)
            value = json_null();
        json_object_set_new(line, key, value);
    }
    va_end(ap);
    char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(line);
    if (text != NULL) {
        size_t n = strlen(text);
        text[n] = '\n';
        fwrite(text, 1, n + 1, stdout);
        if (level >= LOG_WARN)
            fflush(stdout);
        free(text);
    }
}
