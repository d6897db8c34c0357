/* Signed page cursors (src/api/cursor.c): what a client sends back must be
 * exactly what the server signed, for the query it signed it for. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "api/cursor.h"

static api_cursor_key_t key;
static arena_t arena;

static void setup(void)
{
    cr_assert(sodium_init() >= 0);
    api_cursor_key_derive(&key, "unit-test-secret-0123456789abcdef");
    arena_init(&arena);
}

static void teardown(void)
{
    arena_free(&arena);
}

TestSuite(cursor, .init = setup, .fini = teardown);

static const char *encode(const char *binding, int phase, const char *sort, int64_t id)
{
    api_cursor_t c = {.phase = phase, .id = id};
    strcpy(c.sort, sort);
    const char *text = api_cursor_encode(&arena, &key, binding, &c);
    cr_assert_not_null(text);
    return text;
}

Test(cursor, round_trip)
{
    const char *text = encode("category:101;sort:recent;", 0, "2026-11-27 23:14:17.123456+00", 42);
    api_cursor_t c;
    cr_assert_eq(api_cursor_decode(&key, "category:101;sort:recent;", text, &c), 0);
    cr_assert_eq(c.phase, 0);
    cr_assert_eq(c.id, 42);
    cr_assert_str_eq(c.sort, "2026-11-27 23:14:17.123456+00");

    text = encode("sort:price_asc;", 1, "", 9223372036854775807LL);
    cr_assert_eq(api_cursor_decode(&key, "sort:price_asc;", text, &c), 0);
    cr_assert_eq(c.phase, 1);
    cr_assert_eq(c.id, 9223372036854775807LL);
    cr_assert_str_eq(c.sort, "");
}

Test(cursor, any_character_changed_is_refused)
{
    const char *text = encode("q:7:tractor;sort:recent;", 0, "1234.50", 7);
    size_t n = strlen(text);
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (size_t i = 0; i < n; i++) {
        for (const char *a = alphabet; *a != '\0'; a++) {
            if (*a == text[i])
                continue;
            char forged[512];
            memcpy(forged, text, n + 1);
            forged[i] = *a;
            api_cursor_t c;
            cr_assert_eq(api_cursor_decode(&key, "q:7:tractor;sort:recent;", forged, &c), -1,
                         "position %zu changed to %c was accepted", i, *a);
        }
    }
}

Test(cursor, another_query_or_key_is_refused)
{
    const char *text = encode("category:101;sort:recent;", 0, "x", 1);
    api_cursor_t c;
    cr_assert_eq(api_cursor_decode(&key, "category:102;sort:recent;", text, &c), -1);
    cr_assert_eq(api_cursor_decode(&key, "category:101;sort:price_asc;", text, &c), -1);
    api_cursor_key_t other;
    api_cursor_key_derive(&other, "another-secret-0123456789abcdefgh");
    cr_assert_eq(api_cursor_decode(&other, "category:101;sort:recent;", text, &c), -1);
}

Test(cursor, malformed_text_is_refused)
{
    const char *text = encode("b", 0, "x", 1);
    api_cursor_t c;
    char truncated[512];
    strcpy(truncated, text);
    truncated[strlen(truncated) - 1] = '\0';
    cr_assert_eq(api_cursor_decode(&key, "b", truncated, &c), -1);
    char extended[512];
    snprintf(extended, sizeof(extended), "%sA", text);
    cr_assert_eq(api_cursor_decode(&key, "b", extended, &c), -1);
    cr_assert_eq(api_cursor_decode(&key, "b", "", &c), -1);
    cr_assert_eq(api_cursor_decode(&key, "b", "!!!!", &c), -1);
    cr_assert_eq(api_cursor_decode(&key, "b", "AAAA", &c), -1);
    char huge[1024];
    memset(huge, 'A', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    cr_assert_eq(api_cursor_decode(&key, "b", huge, &c), -1);
}

Test(cursor, an_over_long_sort_value_is_not_encoded)
{
    api_cursor_t c = {.phase = 0, .id = 1};
    memset(c.sort, 'x', API_CURSOR_SORT_MAX);
    c.sort[API_CURSOR_SORT_MAX] = '\0';
    cr_assert_not_null(api_cursor_encode(&arena, &key, "b", &c));
}
