/* X-Forwarded-For sent as several header lines.
 *
 * RFC 9110 5.3: several field lines with the same name are one comma-joined
 * list, and a recipient must treat them so. Some proxies (HAProxy's
 * "option forwardfor", for one) add their own X-Forwarded-For line after the
 * client's instead of appending to it. src/http/middleware.c
 * http__resolve_client_ip() reads only the first line
 * (http_request_header()), which is entirely the client's, so with
 * TRUST_PROXY=1 the client picks its own address: the per-IP rate limits
 * (login and register included) are bypassed by sending a fresh
 * X-Forwarded-For on every request. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/config.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "http/server.h"

static uv_loop_t loop;
static config_t cfg;
static http_router_t *router;
static http_server_t *server;

static const char *test_getenv(const char *name, void *user_data)
{
    (void)user_data;
    if (strcmp(name, "TRUST_PROXY") == 0)
        return "1";
    if (strcmp(name, "LOG_LEVEL") == 0)
        return "error";
    return NULL;
}

static void h_ip(http_request_t *req)
{
    http_respond(req, 200, "text/plain", req->client_ip, strlen(req->client_ip));
}

static void setup(void)
{
    char err[256];
    cr_assert_eq(config_load(&cfg, test_getenv, NULL, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(uv_loop_init(&loop), 0);
    router = http_router_new();
    cr_assert_eq(http_router_add(router, HTTP_METHOD_GET, "/api/ip", h_ip, NULL), 0);
    http_server_opts_t opts = {.config = &cfg, .router = router};
    server = http_server_new(&loop, &opts);
}

static void teardown(void)
{
    http_server_free(server);
    http_router_free(router);
    uv_loop_close(&loop);
}

TestSuite(forwarded_for, .init = setup, .fini = teardown);

static char *client_ip_for(const char *request)
{
    size_t len;
    char *out = http_server_feed_fake(server, request, strlen(request), &len);
    char *body = strstr(out, "\r\n\r\n");
    cr_assert_not_null(body);
    char *ip = strndup(body + 4, len - (size_t)(body + 4 - out));
    free(out);
    return ip;
}

Test(forwarded_for, one_line_baseline)
{
    /* One line "client-sent, proxy-appended": the proxy's entry wins. */
    char *ip = client_ip_for("GET /api/ip HTTP/1.1\r\nHost: a\r\n"
                             "X-Forwarded-For: 6.6.6.6, 203.0.113.9\r\n\r\n");
    cr_expect_str_eq(ip, "203.0.113.9");
    free(ip);
}

Test(forwarded_for, two_lines_are_one_list)
{
    /* The same list as two lines: the client's line, then the proxy's. */
    char *ip = client_ip_for("GET /api/ip HTTP/1.1\r\nHost: a\r\n"
                             "X-Forwarded-For: 6.6.6.6\r\n"
                             "X-Forwarded-For: 203.0.113.9\r\n\r\n");
    cr_expect_str_eq(ip, "203.0.113.9", "the client chose its own address: %s", ip);
    free(ip);
}
