/* JSON-lines logger. Lines are written with one fwrite() on a line-buffered
 * stdout, so lines from one process never interleave. Logging happens on the
 * loop thread; the thread-pool work (password hashing) does not log. */
#include "core/log.h"
#include "core/clock.h"
#include "core/utf8.h"

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

/* "2026-11-27T23:14:17.123Z", with the part up to the seconds formatted once
 * per second. */
static void timestamp(char out[CLOCK_RFC3339_BYTES])
{
    static int64_t cached_second = -1;
    static char cached[CLOCK_RFC3339_BYTES];
    int64_t now_ms = clock_wall_ms();
    int64_t second = now_ms / 1000;
    if (second != cached_second) {
        clock_format_rfc3339_ms(second * 1000, cached, sizeof(cached));
        cached_second = second;
    }
    memcpy(out, cached, CLOCK_RFC3339_BYTES);
    int ms = (int)(now_ms % 1000);
    out[20] = (char)('0' + ms / 100);
    out[21] = (char)('0' + ms / 10 % 10);
    out[22] = (char)('0' + ms % 10);
}

/* Room kept for closing the object ("}\n"). */
enum { LINE_RESERVE = 2 };

/* Bytes left before the reserve. */
static size_t line_room(const log_line_t *line)
{
    return LOG_LINE_MAX - LINE_RESERVE - line->len;
}

/* Appends n bytes; the callers have checked the room. */
static void line_raw(log_line_t *line, const char *s, size_t n)
{
    memcpy(line->data + line->len, s, n);
    line->len += n;
}

/* Writes s as a JSON string, quotes included, cut short (at a whole
 * character or escape) to fit; at least 2 bytes of room are needed. */
static void line_string(log_line_t *line, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    /* Keep room for the closing quote. */
    size_t limit = LOG_LINE_MAX - LINE_RESERVE - 1;
    line_raw(line, "\"", 1);
    const unsigned char *p = (const unsigned char *)s;
    size_t avail = strlen(s);
    while (avail > 0) {
        /* Copy a run of plain printable ASCII at once. */
        size_t run = 0;
        while (run < avail && p[run] >= 0x20 && p[run] < 0x7f && p[run] != '"' && p[run] != '\\')
            run++;
        if (line->len >= limit)
            break;
        if (run > 0) {
            size_t room = limit - line->len;
            if (run > room)
                run = room;
            memcpy(line->data + line->len, p, run);
            line->len += run;
            p += run;
            avail -= run;
            if (line->len == limit)
                break;
            continue;
        }
        char esc[8];
        size_t esc_len;
        const char *chunk = esc;
        size_t consumed = 1;
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            esc_len = 2;
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 0xf];
            esc_len = 6;
        } else {
            consumed = utf8_sequence(p, avail);
            if (consumed == 0) {
                chunk = "\xef\xbf\xbd"; /* U+FFFD */
                esc_len = 3;
                consumed = 1;
            } else {
                chunk = (const char *)p;
                esc_len = consumed;
            }
        }
        if (line->len + esc_len > limit)
            break;
        memcpy(line->data + line->len, chunk, esc_len);
        line->len += esc_len;
        p += consumed;
        avail -= consumed;
    }
    line->data[line->len++] = '"';
}

/* Starts a field if its key and at least value_bytes of value fit; else the
 * line is full and the field (and every later one) is left out, so the line
 * stays valid JSON. Keys are the program's own, plain ASCII. */
static bool line_key(log_line_t *line, const char *key, size_t value_bytes)
{
    size_t key_len = strlen(key);
    if (line->full || line_room(line) < key_len + 4 + value_bytes) {
        line->full = true;
        return false;
    }
    line_raw(line, ",\"", 2);
    line_raw(line, key, key_len);
    line_raw(line, "\":", 2);
    return true;
}

void log_line_start(log_line_t *line, log_level_t level, const char *msg)
{
    char ts[CLOCK_RFC3339_BYTES];
    timestamp(ts);
    line->len = 0;
    line->full = false;
    line_raw(line, "{\"ts\":\"", 7);
    line_raw(line, ts, strlen(ts));
    line_raw(line, "\",\"level\":\"", 11);
    line_raw(line, level_names[level], strlen(level_names[level]));
    line_raw(line, "\",\"msg\":", 8);
    line_string(line, msg);
}

void log_line_str(log_line_t *line, const char *key, const char *value)
{
    if (!line_key(line, key, 4))
        return;
    if (value == NULL)
        line_raw(line, "null", 4);
    else
        line_string(line, value);
}

/* Decimal digits of v into the end of buf; returns where they start. */
static char *format_u64(uint64_t v, char *end)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    return end;
}

void log_line_int(log_line_t *line, const char *key, int64_t value)
{
    char num[24];
    char *end = num + sizeof(num);
    uint64_t magnitude = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
    char *start = format_u64(magnitude, end);
    if (value < 0)
        *--start = '-';
    if (line_key(line, key, (size_t)(end - start)))
        line_raw(line, start, (size_t)(end - start));
}

void log_line_ms(log_line_t *line, const char *key, double ms)
{
    uint64_t micros = ms > 0 ? (uint64_t)(ms * 1000.0 + 0.5) : 0;
    char num[32];
    char *end = num + sizeof(num);
    char *start = end - 3;
    start[0] = (char)('0' + micros / 100 % 10);
    start[1] = (char)('0' + micros / 10 % 10);
    start[2] = (char)('0' + micros % 10);
    *--start = '.';
    start = format_u64(micros / 1000, start);
    if (line_key(line, key, (size_t)(end - start)))
        line_raw(line, start, (size_t)(end - start));
}

void log_line_end(log_line_t *line)
{
    line->data[line->len++] = '}';
    line->data[line->len++] = '\n';
    fwrite(line->data, 1, line->len, stdout);
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
    timestamp(ts);
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

void log_tagged_json(const char *tag, json_t *object)
{
    char *text = json_dumps(object, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(object);
    if (text == NULL)
        return;
    size_t tag_len = strlen(tag), n = strlen(text);
    char *line = malloc(tag_len + n + 2);
    if (line != NULL) {
        memcpy(line, tag, tag_len);
        line[tag_len] = ' ';
        memcpy(line + tag_len + 1, text, n);
        line[tag_len + 1 + n] = '\n';
        fwrite(line, 1, tag_len + n + 2, stdout);
        fflush(stdout);
        free(line);
    }
    free(text);
}
