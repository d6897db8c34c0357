/* The allocation-free log line builder: valid JSON whatever the input. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "core/log.h"

/* Parses the line as log_line_end() would close it. */
static json_t *close_and_parse(log_line_t *line)
{
    char text[LOG_LINE_MAX + 2];
    memcpy(text, line->data, line->len);
    text[line->len] = '}';
    text[line->len + 1] = '\0';
    json_error_t err;
    json_t *doc = json_loads(text, 0, &err);
    cr_assert_not_null(doc, "not JSON (%s): %s", err.text, text);
    return doc;
}

Test(log_line, fields_in_order_with_types)
{
    log_line_t line;
    log_line_start(&line, LOG_INFO, "request");
    log_line_str(&line, "path", "/api/health");
    log_line_int(&line, "status", 200);
    log_line_int(&line, "negative", -42);
    log_line_ms(&line, "duration_ms", 1.23456);
    log_line_str(&line, "none", NULL);
    json_t *doc = close_and_parse(&line);
    cr_expect_str_eq(json_string_value(json_object_get(doc, "level")), "info");
    cr_expect_str_eq(json_string_value(json_object_get(doc, "msg")), "request");
    cr_expect_str_eq(json_string_value(json_object_get(doc, "path")), "/api/health");
    cr_expect_eq(json_integer_value(json_object_get(doc, "status")), 200);
    cr_expect_eq(json_integer_value(json_object_get(doc, "negative")), -42);
    cr_expect_float_eq(json_real_value(json_object_get(doc, "duration_ms")), 1.235, 1e-9);
    cr_expect(json_is_null(json_object_get(doc, "none")));
    const char *ts = json_string_value(json_object_get(doc, "ts"));
    cr_expect_eq(strlen(ts), 24, "ts like 2026-11-27T23:14:17.123Z: %s", ts);
    cr_expect_eq(ts[23], 'Z');
    json_decref(doc);
}

Test(log_line, escapes_quotes_controls_and_bad_utf8)
{
    log_line_t line;
    log_line_start(&line, LOG_WARN, "m\"sg");
    log_line_str(&line, "v", "a\"b\\c\n\x01 é \xff\xc3");
    json_t *doc = close_and_parse(&line);
    cr_expect_str_eq(json_string_value(json_object_get(doc, "msg")), "m\"sg");
    cr_expect_str_eq(json_string_value(json_object_get(doc, "v")),
                     "a\"b\\c\n\x01 é \xef\xbf\xbd\xef\xbf\xbd");
    json_decref(doc);
}

Test(log_line, a_huge_value_is_cut_and_the_line_stays_valid)
{
    static char big[3 * LOG_LINE_MAX];
    for (size_t i = 0; i < sizeof(big) - 1; i++)
        big[i] = (i % 7 == 0) ? '"' : 'x';
    big[sizeof(big) - 1] = '\0';
    log_line_t line;
    log_line_start(&line, LOG_INFO, "big");
    log_line_str(&line, "a", big);
    log_line_str(&line, "b", big);
    log_line_int(&line, "after", 1);
    cr_assert(line.len <= LOG_LINE_MAX - 2);
    cr_assert(line.full, "the later fields did not fit");
    json_t *doc = close_and_parse(&line);
    const char *a = json_string_value(json_object_get(doc, "a"));
    cr_assert_not_null(a);
    cr_expect(strlen(a) > LOG_LINE_MAX / 2, "a was cut, not dropped");
    cr_expect(strncmp(a, big, strlen(a)) == 0, "a is a prefix of the value");
    cr_expect_null(json_object_get(doc, "after"), "fields past the end are left out");
    json_decref(doc);
}
