/* The built-in middleware steps on hand-built requests: request ids, the
 * client address behind TRUST_PROXY, the CORS origin check and the standard
 * response headers. No server and no socket: a request is an arena, a header
 * array and the http layer's per-request state. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/config.h"
#include "http/internal.h"
#include "http/request.h"
#include "unit/core/leak_check.h"

TestSuite(middleware, .fini = unit_check_no_leaks);

enum { MAX_TEST_HEADERS = 8 };

typedef struct {
    http_request_t req;
    struct http__request_state_s state;
    http_header_t headers[MAX_TEST_HEADERS];
} test_req_t;

static void req_init(test_req_t *t)
{
    memset(t, 0, sizeof(*t));
    arena_init(&t->req.arena);
    t->req.state = &t->state;
    t->req.headers = t->headers;
    t->req.method = HTTP_METHOD_GET;
    t->req.method_name = "GET";
}

static void req_header(test_req_t *t, const char *name, const char *value)
{
    cr_assert_lt(t->req.header_count, MAX_TEST_HEADERS);
    http_header_t *h = &t->headers[t->req.header_count++];
    h->name = arena_strndup(&t->req.arena, name, strlen(name));
    h->value = arena_strndup(&t->req.arena, value, strlen(value));
}

static void req_free(test_req_t *t)
{
    arena_free(&t->req.arena);
}

/* ---- request ids -------------------------------------------------------- */

static bool is_generated_id(const char *id)
{
    if (strlen(id) != 16)
        return false;
    for (size_t i = 0; i < 16; i++) {
        char c = id[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

static void expect_echoed(const char *given)
{
    test_req_t t;
    req_init(&t);
    req_header(&t, "X-Request-Id", given);
    http__assign_request_id(&t.req);
    cr_expect_str_eq(t.req.request_id, given, "'%s' should be echoed", given);
    req_free(&t);
}

static void expect_replaced(const char *given)
{
    test_req_t t;
    req_init(&t);
    req_header(&t, "X-Request-Id", given);
    http__assign_request_id(&t.req);
    cr_expect(is_generated_id(t.req.request_id), "'%s' should be replaced, got '%s'", given,
              t.req.request_id);
    cr_expect_str_neq(t.req.request_id, given);
    req_free(&t);
}

Test(middleware, valid_request_ids_are_echoed)
{
    char max[65];
    static const char alphabet[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
    memcpy(max, alphabet, 64);
    max[64] = '\0';
    expect_echoed("a");
    expect_echoed("7");
    expect_echoed("-");
    expect_echoed("req-2024.06.01_abc-XYZ");
    expect_echoed("0123456789abcdef"); /* looks generated, but was sent */
    expect_echoed(max);                /* 64 characters, the whole alphabet */
}

Test(middleware, request_id_header_name_is_case_insensitive)
{
    test_req_t t;
    req_init(&t);
    req_header(&t, "x-REQUEST-id", "from-client");
    http__assign_request_id(&t.req);
    cr_expect_str_eq(t.req.request_id, "from-client");
    req_free(&t);
}

Test(middleware, invalid_request_ids_are_replaced)
{
    char too_long[66];
    memset(too_long, 'a', 65);
    too_long[65] = '\0';
    expect_replaced(too_long);
    expect_replaced("");
    expect_replaced("has space");
    expect_replaced(" lead");
    expect_replaced("tab\there");
    expect_replaced("\xc3\xb1"
                    "and"
                    "\xc3\xba"); /* "ñandú" in UTF-8 */
    expect_replaced("a/b");
    expect_replaced("a;b");
    expect_replaced("a:b");
    expect_replaced("<script>");
    expect_replaced("id\r\nSet-Cookie: x=1");
    expect_replaced("a+b");
}

Test(middleware, missing_request_id_is_generated)
{
    test_req_t t;
    req_init(&t);
    req_header(&t, "Accept", "application/json");
    http__assign_request_id(&t.req);
    cr_expect(is_generated_id(t.req.request_id), "got '%s'", t.req.request_id);
    req_free(&t);
}

static int compare_ids(const void *a, const void *b)
{
    return memcmp(a, b, 17);
}

Test(middleware, generated_ids_are_unique_over_10000_calls)
{
    enum { N = 10000 };
    static char ids[N][17];
    for (size_t i = 0; i < N; i++) {
        test_req_t t;
        req_init(&t);
        http__assign_request_id(&t.req);
        cr_assert(is_generated_id(t.req.request_id), "call %zu: '%s'", i, t.req.request_id);
        memcpy(ids[i], t.req.request_id, 17);
        req_free(&t);
    }
    qsort(ids, N, sizeof(ids[0]), compare_ids);
    for (size_t i = 1; i < N; i++)
        cr_assert_neq(memcmp(ids[i - 1], ids[i], 17), 0, "duplicate id %s", ids[i]);
}

/* ---- the client address ------------------------------------------------- */

typedef struct {
    const char *name;
    const char *value;
} env_var_t;

static const char *trust_getenv(const char *name, void *user_data)
{
    return strcmp(name, "TRUST_PROXY") == 0 ? user_data : NULL;
}

static config_t cfg;

static void trust(const char *trust_proxy)
{
    char err[256];
    cr_assert_eq(config_load(&cfg, trust_getenv, (void *)trust_proxy, err, sizeof(err)), 0, "%s",
                 err);
}

/* The client address resolved for a request from peer with this
 * X-Forwarded-For (NULL: no header), into out. */
static const char *resolve(const char *peer, const char *xff, char *out, size_t out_size)
{
    test_req_t t;
    req_init(&t);
    if (xff != NULL)
        req_header(&t, "X-Forwarded-For", xff);
    http__resolve_client_ip(&t.req, peer, &cfg);
    snprintf(out, out_size, "%s", t.req.client_ip);
    req_free(&t);
    return out;
}

static void expect_client_at(int line, const char *peer, const char *xff, const char *want)
{
    char got[64];
    resolve(peer, xff, got, sizeof(got));
    cr_expect_str_eq(got, want, "line %d: peer %s, X-Forwarded-For '%s': got %s, want %s", line,
                     peer, xff ? xff : "(none)", got, want);
}

#define EXPECT_CLIENT(peer, xff, want) expect_client_at(__LINE__, (peer), (xff), (want))

Test(middleware, trust_none_ignores_x_forwarded_for)
{
    trust("false");
    EXPECT_CLIENT("10.0.0.1", "203.0.113.7", "10.0.0.1");
    EXPECT_CLIENT("10.0.0.1", NULL, "10.0.0.1");
    trust("0");
    EXPECT_CLIENT("10.0.0.1", "203.0.113.7, 10.0.0.2", "10.0.0.1");
    EXPECT_CLIENT("2001:db8::9", "203.0.113.7", "2001:db8::9");
}

Test(middleware, trust_all_takes_the_leftmost_address)
{
    trust("true");
    EXPECT_CLIENT("10.0.0.1", "203.0.113.7, 10.0.0.3, 10.0.0.2", "203.0.113.7");
    EXPECT_CLIENT("10.0.0.1", NULL, "10.0.0.1");
}

Test(middleware, trust_hops_counts_from_the_right)
{
    trust("1");
    EXPECT_CLIENT("10.0.0.1", "203.0.113.7", "203.0.113.7");
    EXPECT_CLIENT("10.0.0.1", "198.51.100.1, 203.0.113.7", "203.0.113.7");
    EXPECT_CLIENT("10.0.0.1", NULL, "10.0.0.1");
    trust("2");
    EXPECT_CLIENT("10.0.0.1", "198.51.100.1, 203.0.113.7, 10.0.0.2", "203.0.113.7");
    EXPECT_CLIENT("10.0.0.1", "203.0.113.7, 10.0.0.2", "203.0.113.7");
    /* Fewer entries than trusted hops: the furthest address there is. */
    trust("5");
    EXPECT_CLIENT("10.0.0.1", "203.0.113.7, 10.0.0.2", "203.0.113.7");
}

Test(middleware, trust_hops_with_forged_garbage)
{
    trust("1");
    /* Garbage a client wrote to the left is dropped with everything before it. */
    EXPECT_CLIENT("10.0.0.1", "not-an-ip, 203.0.113.7", "203.0.113.7");
    EXPECT_CLIENT("10.0.0.1", "1.2.3.4, <script>, 203.0.113.7", "203.0.113.7");
    EXPECT_CLIENT("10.0.0.1", "999.1.1.1,203.0.113.7", "203.0.113.7");
    /* When the entry our proxy wrote is not an address, trust nothing. */
    EXPECT_CLIENT("10.0.0.1", "203.0.113.7, garbage", "10.0.0.1");
    EXPECT_CLIENT("10.0.0.1", "garbage", "10.0.0.1");
    /* Blank entries and blanks around entries are ignored. */
    EXPECT_CLIENT("10.0.0.1", " , ,\t203.0.113.7 \t, ", "203.0.113.7");
}

Test(middleware, trust_list_walks_right_to_left_past_trusted_proxies)
{
    trust("10.0.0.0/8, fd00::/8");
    EXPECT_CLIENT("10.0.0.1", "203.0.113.7", "203.0.113.7");
    EXPECT_CLIENT("10.0.0.1", "203.0.113.7, 10.0.0.2", "203.0.113.7");
    EXPECT_CLIENT("10.0.0.1", "203.0.113.7, 10.9.9.9, 10.0.0.2", "203.0.113.7");
    /* A client cannot pick its address by writing one to the left. */
    EXPECT_CLIENT("10.0.0.1", "198.51.100.1, 203.0.113.7, 10.0.0.2", "203.0.113.7");
    /* An untrusted peer is the client, whatever it claims. */
    EXPECT_CLIENT("198.51.100.9", "203.0.113.7", "198.51.100.9");
    EXPECT_CLIENT("198.51.100.9", "203.0.113.7, 10.0.0.2", "198.51.100.9");
    /* Every hop trusted: the furthest one. */
    EXPECT_CLIENT("10.0.0.1", "10.0.0.3, 10.0.0.2", "10.0.0.3");
    EXPECT_CLIENT("10.0.0.1", NULL, "10.0.0.1");
}

Test(middleware, trust_list_with_ipv6)
{
    trust("10.0.0.0/8, fd00::/8, ::1");
    EXPECT_CLIENT("fd00::1", "2001:db8::5", "2001:db8::5");
    EXPECT_CLIENT("::1", "2001:0db8:0000::0005, fd00::7", "2001:db8::5");
    EXPECT_CLIENT("fd00::1", "203.0.113.7, 10.0.0.2", "203.0.113.7");
    EXPECT_CLIENT("::ffff:10.0.0.1", "203.0.113.7", "203.0.113.7");
    EXPECT_CLIENT("2001:db8::1", "203.0.113.7", "2001:db8::1");
}

Test(middleware, trust_list_with_forged_garbage)
{
    trust("10.0.0.0/8");
    EXPECT_CLIENT("10.0.0.1", "1.2.3.4, garbage, 203.0.113.7, 10.0.0.2", "203.0.113.7");
    EXPECT_CLIENT("10.0.0.1", "203.0.113.7 , 10.0.0.2 ,", "203.0.113.7");
    EXPECT_CLIENT("10.0.0.1", "[203.0.113.7]:443", "10.0.0.1");
}

Test(middleware, unparseable_peer_is_kept_as_is)
{
    trust("1");
    EXPECT_CLIENT("unknown", "203.0.113.7", "unknown");
}

/* X-Forwarded-For is parsed left to right and only its first 32 entries are
 * kept, so a client that sends 40 forged entries pushes out the ones our
 * proxies appended on the right: with TRUST_PROXY=1 the "client" becomes the
 * 32nd forged address (6.6.6.32) instead of 203.0.113.7, and any client can
 * pick its own address (and its rate-limit key). Only the right-most entries
 * can be trusted, so those are the ones to keep. */
Test(middleware, long_forged_chain_cannot_hide_the_real_client_hops)
{
    char xff[2048];
    size_t used = 0;
    for (int i = 1; i <= 40; i++)
        used += (size_t)snprintf(xff + used, sizeof(xff) - used, "6.6.6.%d, ", i);
    snprintf(xff + used, sizeof(xff) - used, "203.0.113.7");
    trust("1");
    EXPECT_CLIENT("10.0.0.1", xff, "203.0.113.7");
}

Test(middleware, long_forged_chain_cannot_hide_the_real_client_list)
{
    char xff[2048];
    size_t used = 0;
    for (int i = 1; i <= 40; i++)
        used += (size_t)snprintf(xff + used, sizeof(xff) - used, "6.6.6.%d, ", i);
    snprintf(xff + used, sizeof(xff) - used, "203.0.113.7, 10.0.0.2");
    trust("10.0.0.0/8");
    EXPECT_CLIENT("10.0.0.1", xff, "203.0.113.7");
}

/* ---- CORS origin and the standard headers -------------------------------- */

static const char *frontend_getenv(const char *name, void *user_data)
{
    return strcmp(name, "FRONTEND_URL") == 0 ? user_data : NULL;
}

static void frontend(const char *url)
{
    char err[256];
    cr_assert_eq(config_load(&cfg, frontend_getenv, (void *)url, err, sizeof(err)), 0, "%s", err);
}

Test(middleware, cors_origin_must_be_frontend_url)
{
    frontend("https://rural24.com.ar");
    test_req_t t;

    req_init(&t);
    req_header(&t, "Origin", "https://rural24.com.ar");
    http__cors_check(&t.req, &cfg);
    cr_expect_str_eq(t.state.origin, "https://rural24.com.ar");
    req_free(&t);

    static const char *const others[] = {"https://evil.example",
                                         "http://rural24.com.ar",
                                         "https://rural24.com.ar.evil.example",
                                         "https://rural24.com.ar:444",
                                         "null",
                                         ""};
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        req_init(&t);
        req_header(&t, "Origin", others[i]);
        http__cors_check(&t.req, &cfg);
        cr_expect_null(t.state.origin, "Origin '%s' was allowed", others[i]);
        req_free(&t);
    }

    req_init(&t);
    http__cors_check(&t.req, &cfg);
    cr_expect_null(t.state.origin, "no Origin header, no CORS");
    req_free(&t);
}

Test(middleware, cors_is_off_without_frontend_url)
{
    frontend(NULL);
    test_req_t t;
    req_init(&t);
    req_header(&t, "Origin", "https://rural24.com.ar");
    http__cors_check(&t.req, &cfg);
    cr_expect_null(t.state.origin);
    req_free(&t);
}

Test(middleware, standard_headers)
{
    frontend("https://rural24.com.ar");
    test_req_t t;
    req_init(&t);
    snprintf(t.req.request_id, sizeof(t.req.request_id), "abc-123");
    buf_t head;
    buf_init(&head, 4096);
    cr_assert_eq(http__append_standard_headers(&head, &t.req), 0);
    cr_expect_str_eq(head.data, "X-Request-Id: abc-123\r\n"
                                "X-Frame-Options: DENY\r\n"
                                "X-Content-Type-Options: nosniff\r\n"
                                "Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n"
                                "Referrer-Policy: strict-origin-when-cross-origin\r\n");
    buf_clear(&head);

    req_header(&t, "Origin", "https://rural24.com.ar");
    http__cors_check(&t.req, &cfg);
    cr_assert_eq(http__append_standard_headers(&head, &t.req), 0);
    cr_expect_not_null(
        strstr(head.data, "\r\nAccess-Control-Allow-Origin: https://rural24.com.ar\r\n"), "%s",
        head.data);
    cr_expect_not_null(strstr(head.data, "\r\nVary: Origin\r\n"), "%s", head.data);
    cr_expect_not_null(strstr(head.data, "\r\nX-Frame-Options: DENY\r\n"), "%s", head.data);
    buf_free(&head);
    req_free(&t);
}
