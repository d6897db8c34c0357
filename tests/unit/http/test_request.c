/* Request accessors: percent-decoding, query parameters and headers, on
 * hand-built requests (an arena and a header array, no server). */
#include <criterion/criterion.h>
#include <string.h>

#include "http/internal.h"
#include "http/request.h"
#include "unit/core/leak_check.h"

TestSuite(request, .fini = unit_check_no_leaks);

static arena_t arena;

static void expect_decoded(const char *src, bool plus_is_space, const char *want, size_t want_len)
{
    size_t len = 12345;
    char *out = http_percent_decode(&arena, src, strlen(src), plus_is_space, &len);
    cr_assert_not_null(out, "'%s' was refused", src);
    cr_assert_eq(len, want_len, "'%s': length %zu, want %zu", src, len, want_len);
    cr_expect_eq(memcmp(out, want, want_len), 0, "'%s' decoded wrong", src);
    cr_expect_eq(out[want_len], '\0', "'%s': not NUL-terminated", src);
}

static void expect_refused(const char *src)
{
    cr_expect_null(http_percent_decode(&arena, src, strlen(src), true, NULL), "'%s' was accepted",
                   src);
}

Test(request, percent_decode_valid)
{
    arena_init(&arena);
    expect_decoded("", true, "", 0);
    expect_decoded("plain", true, "plain", 5);
    expect_decoded("a%20b", true, "a b", 3);
    expect_decoded("%41%42%43", true, "ABC", 3);
    expect_decoded("%c3%b1and%C3%BA", true,
                   "\xc3\xb1"
                   "and"
                   "\xc3\xba",
                   7);
    expect_decoded("100%25", true, "100%", 4);
    expect_decoded("%2B%2b", true, "++", 2);
    expect_decoded("a%2Fb", true, "a/b", 3);
    expect_decoded("x%00y", true, "x\0y", 3);
    expect_decoded("%ff", true, "\xff", 1);
    arena_free(&arena);
}

Test(request, percent_decode_plus)
{
    arena_init(&arena);
    expect_decoded("tractor+john+deere", true, "tractor john deere", 18);
    expect_decoded("tractor+john+deere", false, "tractor+john+deere", 18);
    expect_decoded("a%2Bb+c", true, "a+b c", 5);
    arena_free(&arena);
}

Test(request, percent_decode_malformed)
{
    arena_init(&arena);
    expect_refused("%zz");
    expect_refused("a%g1");
    expect_refused("a%1g");
    expect_refused("%");
    expect_refused("abc%");
    expect_refused("%a");
    expect_refused("abc%4");
    expect_refused("%%41");
    expect_refused("% 41");
    expect_refused("%-1");
    arena_free(&arena);
}

Test(request, percent_decode_reads_only_len_bytes)
{
    arena_init(&arena);
    size_t len = 0;
    /* "%4" then "1" outside the range: truncated. */
    cr_expect_null(http_percent_decode(&arena, "ab%41", 4, true, &len));
    char *out = http_percent_decode(&arena, "ab%41cd", 5, true, &len);
    cr_assert_not_null(out);
    cr_expect_str_eq(out, "abA");
    cr_expect_eq(len, 3);
    out = http_percent_decode(&arena, "abc", 3, true, NULL);
    cr_expect_str_eq(out, "abc", "out_len may be NULL");
    arena_free(&arena);
}

/* ---- query parameters --------------------------------------------------- */

typedef struct {
    http_request_t req;
    struct http__request_state_s state;
    http_header_t headers[4];
} test_req_t;

static void req_init(test_req_t *t, const char *query)
{
    memset(t, 0, sizeof(*t));
    arena_init(&t->req.arena);
    t->req.state = &t->state;
    t->req.headers = t->headers;
    if (query != NULL)
        t->req.query = arena_strndup(&t->req.arena, query, strlen(query));
}

static void expect_query(const char *query, const char *name, const char *want)
{
    test_req_t t;
    req_init(&t, query);
    const char *got = http_request_query(&t.req, name);
    if (want == NULL)
        cr_expect_null(got, "?%s: %s should be absent, got '%s'", query ? query : "(none)", name,
                       got ? got : "");
    else {
        cr_expect_not_null(got, "?%s: %s is missing", query ? query : "(none)", name);
        if (got != NULL)
            cr_expect_str_eq(got, want, "?%s: %s", query ? query : "(none)", name);
    }
    arena_free(&t.req.arena);
}

Test(request, query_lookup)
{
    expect_query(NULL, "q", NULL);
    expect_query("", "q", NULL);
    expect_query("q=tractor", "q", "tractor");
    expect_query("category=maquinaria&q=john+deere&limit=20", "q", "john deere");
    expect_query("category=maquinaria&q=john+deere&limit=20", "limit", "20");
    expect_query("category=maquinaria&q=john+deere&limit=20", "category", "maquinaria");
    expect_query("category=maquinaria&q=john+deere&limit=20", "sort", NULL);
    expect_query("q=C%C3%B3rdoba", "q", "C\xc3\xb3rdoba");
    expect_query("q=a%26b%3Dc", "q", "a&b=c");
    expect_query("q=x=y", "q", "x=y");
}

Test(request, query_first_occurrence_wins)
{
    expect_query("limit=5&limit=50", "limit", "5");
}

Test(request, query_flags_and_empty_values)
{
    expect_query("featured", "featured", "");
    expect_query("a=1&featured&b=2", "featured", "");
    expect_query("q=", "q", "");
    expect_query("&&q=1&&", "q", "1");
}

Test(request, query_names_match_exactly)
{
    expect_query("qq=1&q2=2", "q", NULL);
    expect_query("Q=1", "q", NULL);
    expect_query("q=1", "qq", NULL);
    /* Names are percent-decoded before they are compared. */
    expect_query("min%5Fprice=100", "min_price", "100");
    expect_query("min+price=100", "min price", "100");
}

Test(request, query_malformed_key_is_skipped)
{
    expect_query("%zz=1&q=2", "q", "2");
}

Test(request, header_lookup_is_case_insensitive)
{
    test_req_t t;
    req_init(&t, NULL);
    t.headers[0] = (http_header_t){arena_strndup(&t.req.arena, "Content-Type", 12),
                                   arena_strndup(&t.req.arena, "application/json", 16)};
    t.headers[1] = (http_header_t){arena_strndup(&t.req.arena, "X-Dup", 5),
                                   arena_strndup(&t.req.arena, "first", 5)};
    t.headers[2] = (http_header_t){arena_strndup(&t.req.arena, "x-dup", 5),
                                   arena_strndup(&t.req.arena, "second", 6)};
    t.req.header_count = 3;
    cr_expect_str_eq(http_request_header(&t.req, "content-type"), "application/json");
    cr_expect_str_eq(http_request_header(&t.req, "CONTENT-TYPE"), "application/json");
    cr_expect_str_eq(http_request_header(&t.req, "x-dup"), "first");
    cr_expect_null(http_request_header(&t.req, "Content"));
    cr_expect_null(http_request_header(&t.req, "Authorization"));
    arena_free(&t.req.arena);
}

Test(request, aborted_when_the_connection_is_gone)
{
    test_req_t t;
    req_init(&t, NULL);
    cr_expect(http_request_is_aborted(&t.req));
    http_conn_t *fake_conn = (http_conn_t *)&t; /* any non-NULL pointer: never dereferenced */
    t.state.conn = fake_conn;
    cr_expect_not(http_request_is_aborted(&t.req));
    arena_free(&t.req.arena);
}
