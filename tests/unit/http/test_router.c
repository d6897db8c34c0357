/* Router matching: literal segments beat {id} parameters, ids are positive
 * int64 decimals or 404, HEAD follows GET, 405 carries the right Allow list,
 * and a duplicate registration is refused. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "http/router.h"
#include "unit/core/leak_check.h"

static http_router_t *router;

static void h_list(http_request_t *req)
{
    (void)req;
}
static void h_featured(http_request_t *req)
{
    (void)req;
}
static void h_detail(http_request_t *req)
{
    (void)req;
}
static void h_update(http_request_t *req)
{
    (void)req;
}
static void h_delete(http_request_t *req)
{
    (void)req;
}
static void h_create(http_request_t *req)
{
    (void)req;
}
static void h_image_delete(http_request_t *req)
{
    (void)req;
}
static void h_health(http_request_t *req)
{
    (void)req;
}
static void h_root(http_request_t *req)
{
    (void)req;
}

static void setup(void)
{
    router = http_router_new();
    cr_assert_eq(http_router_add(router, HTTP_METHOD_GET, "/api/ads", h_list, NULL), 0);
    cr_assert_eq(http_router_add(router, HTTP_METHOD_POST, "/api/ads", h_create, NULL), 0);
    cr_assert_eq(http_router_add(router, HTTP_METHOD_GET, "/api/ads/featured", h_featured, NULL),
                 0);
    cr_assert_eq(http_router_add(router, HTTP_METHOD_GET, "/api/ads/{id}", h_detail, NULL), 0);
    cr_assert_eq(http_router_add(router, HTTP_METHOD_PATCH, "/api/ads/{id}", h_update, NULL), 0);
    cr_assert_eq(http_router_add(router, HTTP_METHOD_DELETE, "/api/ads/{id}", h_delete, NULL), 0);
    cr_assert_eq(http_router_add(router, HTTP_METHOD_DELETE, "/api/ads/{id}/images/{imageId}",
                                 h_image_delete, NULL),
                 0);
    cr_assert_eq(http_router_add(router, HTTP_METHOD_GET, "/api/health", h_health, NULL), 0);
    cr_assert_eq(http_router_add(router, HTTP_METHOD_GET, "/", h_root, NULL), 0);
}

static void teardown(void)
{
    http_router_free(router);
    router = NULL;
    unit_check_no_leaks();
}

TestSuite(router, .init = setup, .fini = teardown);

static http_route_match_t match(http_method_t method, const char *path)
{
    http_route_match_t m;
    http_router_match(router, method, path, strlen(path), &m);
    return m;
}

static void expect_found(http_method_t method, const char *path, http_handler_fn handler)
{
    http_route_match_t m = match(method, path);
    cr_assert_eq(m.result, HTTP_ROUTE_FOUND, "%s %s: result %d", http_method_name(method), path,
                 m.result);
    cr_expect_eq(m.route->handler, handler, "%s %s: wrong handler", http_method_name(method), path);
}

static void expect_not_found(http_method_t method, const char *path)
{
    http_route_match_t m = match(method, path);
    cr_expect_eq(m.result, HTTP_ROUTE_NOT_FOUND, "%s '%s': result %d, want not found",
                 http_method_name(method), path, m.result);
}

Test(router, literal_beats_parameter)
{
    expect_found(HTTP_METHOD_GET, "/api/ads/featured", h_featured);
    expect_found(HTTP_METHOD_GET, "/api/ads/7", h_detail);
}

Test(router, literal_beats_parameter_whatever_the_registration_order)
{
    http_router_t *r = http_router_new();
    cr_assert_eq(http_router_add(r, HTTP_METHOD_GET, "/api/users/{id}", h_detail, NULL), 0);
    cr_assert_eq(http_router_add(r, HTTP_METHOD_GET, "/api/users/me", h_featured, NULL), 0);
    http_route_match_t m;
    http_router_match(r, HTTP_METHOD_GET, "/api/users/me", 13, &m);
    cr_expect_eq(m.result, HTTP_ROUTE_FOUND);
    cr_expect_eq(m.route->handler, h_featured);
    http_router_match(r, HTTP_METHOD_GET, "/api/users/12", 13, &m);
    cr_expect_eq(m.result, HTTP_ROUTE_FOUND);
    cr_expect_eq(m.route->handler, h_detail);
    http_router_free(r);
}

Test(router, valid_ids_are_parsed)
{
    http_route_match_t m = match(HTTP_METHOD_GET, "/api/ads/1");
    cr_assert_eq(m.result, HTTP_ROUTE_FOUND);
    cr_expect_eq(m.param_count, 1);
    cr_expect_eq(m.params[0], 1);

    m = match(HTTP_METHOD_GET, "/api/ads/9223372036854775807");
    cr_assert_eq(m.result, HTTP_ROUTE_FOUND);
    cr_expect_eq(m.params[0], INT64_MAX);

    m = match(HTTP_METHOD_DELETE, "/api/ads/42/images/9000");
    cr_assert_eq(m.result, HTTP_ROUTE_FOUND);
    cr_expect_eq(m.route->handler, h_image_delete);
    cr_expect_eq(m.param_count, 2);
    cr_expect_eq(m.params[0], 42);
    cr_expect_eq(m.params[1], 9000);
}

Test(router, invalid_ids_are_not_found)
{
    static const char *const bad[] = {
        "/api/ads/0",
        "/api/ads/01",
        "/api/ads/00",
        "/api/ads/-1",
        "/api/ads/+1",
        "/api/ads/9223372036854775808",
        "/api/ads/18446744073709551615",
        "/api/ads/18446744073709551616",
        "/api/ads/99999999999999999999",
        "/api/ads/1e3",
        "/api/ads/abc",
        "/api/ads/12abc",
        "/api/ads/1.5",
        "/api/ads/ 1",
        "/api/ads/%31",
        "/api/ads//images/1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        expect_not_found(HTTP_METHOD_GET, bad[i]);
        expect_not_found(HTTP_METHOD_DELETE, bad[i]);
    }
    /* An empty id segment: "/api/ads/" is neither the list nor a detail. */
    expect_not_found(HTTP_METHOD_GET, "/api/ads/");
}

Test(router, trailing_slash_is_a_different_path)
{
    expect_not_found(HTTP_METHOD_GET, "/api/health/");
    expect_not_found(HTTP_METHOD_GET, "/api/ads/7/");
    expect_found(HTTP_METHOD_GET, "/api/health", h_health);
}

Test(router, unknown_and_malformed_paths)
{
    expect_not_found(HTTP_METHOD_GET, "/api/nothing");
    expect_not_found(HTTP_METHOD_GET, "/api");
    expect_not_found(HTTP_METHOD_GET, "/API/health");
    expect_not_found(HTTP_METHOD_GET, "api/health");
    expect_not_found(HTTP_METHOD_GET, "");
    expect_not_found(HTTP_METHOD_GET, "/api/ads/7/extra/segments/x/y/z/a/b/c/d/e/f/g");
    expect_found(HTTP_METHOD_GET, "/", h_root);
}

Test(router, path_len_is_respected)
{
    /* The path is not NUL-terminated at path_len (the query string follows). */
    const char *target = "/api/ads/17?x=1";
    http_route_match_t m;
    http_router_match(router, HTTP_METHOD_GET, target, 11, &m);
    cr_assert_eq(m.result, HTTP_ROUTE_FOUND);
    cr_expect_eq(m.params[0], 17);
}

Test(router, head_matches_get)
{
    expect_found(HTTP_METHOD_HEAD, "/api/health", h_health);
    http_route_match_t m = match(HTTP_METHOD_HEAD, "/api/ads/5");
    cr_assert_eq(m.result, HTTP_ROUTE_FOUND);
    cr_expect_eq(m.route->handler, h_detail);
    cr_expect_eq(m.route->method, HTTP_METHOD_GET);
    cr_expect_eq(m.params[0], 5);
}

Test(router, method_not_allowed_lists_the_allowed_methods)
{
    http_route_match_t m = match(HTTP_METHOD_POST, "/api/ads/5");
    cr_assert_eq(m.result, HTTP_ROUTE_METHOD_NOT_ALLOWED);
    cr_expect_null(m.route);
    cr_expect_str_eq(m.allow, "GET, HEAD, PATCH, DELETE, OPTIONS");

    m = match(HTTP_METHOD_DELETE, "/api/health");
    cr_assert_eq(m.result, HTTP_ROUTE_METHOD_NOT_ALLOWED);
    cr_expect_str_eq(m.allow, "GET, HEAD, OPTIONS");

    m = match(HTTP_METHOD_PUT, "/api/ads");
    cr_assert_eq(m.result, HTTP_ROUTE_METHOD_NOT_ALLOWED);
    cr_expect_str_eq(m.allow, "GET, HEAD, POST, OPTIONS");

    m = match(HTTP_METHOD_GET, "/api/ads/5/images/6");
    cr_assert_eq(m.result, HTTP_ROUTE_METHOD_NOT_ALLOWED);
    cr_expect_str_eq(m.allow, "DELETE, OPTIONS", "no GET, so no HEAD either");

    m = match(HTTP_METHOD_OTHER, "/api/health");
    cr_assert_eq(m.result, HTTP_ROUTE_METHOD_NOT_ALLOWED);
    cr_expect_str_eq(m.allow, "GET, HEAD, OPTIONS");
}

/* The Allow list of "/api/ads/featured" comes from the literal template only:
 * PATCH and DELETE exist for /api/ads/{id}, but "featured" is not an id. */
Test(router, allow_list_comes_from_the_matching_template)
{
    http_route_match_t m = match(HTTP_METHOD_DELETE, "/api/ads/featured");
    cr_assert_eq(m.result, HTTP_ROUTE_METHOD_NOT_ALLOWED);
    cr_expect_str_eq(m.allow, "GET, HEAD, OPTIONS");
}

Test(router, route_options_and_default_body_limit)
{
    http_router_t *r = http_router_new();
    http_route_opts_t opts = {.body_limit_bytes = 5 * 1024 * 1024,
                              .body_kind = HTTP_BODY_RAW,
                              .auth = HTTP_AUTH_REQUIRED};
    cr_assert_eq(http_router_add(r, HTTP_METHOD_POST, "/api/ads/{id}/images", h_create, &opts), 0);
    cr_assert_eq(http_router_add(r, HTTP_METHOD_GET, "/api/ads/{id}/images", h_list, NULL), 0);
    http_route_match_t m;
    http_router_match(r, HTTP_METHOD_POST, "/api/ads/3/images", 17, &m);
    cr_assert_eq(m.result, HTTP_ROUTE_FOUND);
    cr_expect_eq(m.route->opts.body_limit_bytes, 5 * 1024 * 1024);
    cr_expect_eq(m.route->opts.body_kind, HTTP_BODY_RAW);
    cr_expect_eq(m.route->opts.auth, HTTP_AUTH_REQUIRED);
    cr_expect_str_eq(m.route->template_path, "/api/ads/{id}/images");
    http_router_match(r, HTTP_METHOD_GET, "/api/ads/3/images", 17, &m);
    cr_assert_eq(m.result, HTTP_ROUTE_FOUND);
    cr_expect_eq(m.route->opts.body_limit_bytes, HTTP_DEFAULT_BODY_LIMIT);
    http_router_free(r);
}

Test(router, duplicate_registration_is_refused)
{
    cr_expect_eq(http_router_add(router, HTTP_METHOD_GET, "/api/ads/{id}", h_list, NULL), -1);
    cr_expect_eq(http_router_add(router, HTTP_METHOD_GET, "/api/health", h_list, NULL), -1);
    /* The first registration still answers. */
    expect_found(HTTP_METHOD_GET, "/api/ads/3", h_detail);
    /* Same path, another method: not a duplicate. */
    cr_expect_eq(http_router_add(router, HTTP_METHOD_PUT, "/api/ads/{id}", h_update, NULL), 0);
}

/* "/api/ads/{id}" and "/api/ads/{adId}" match exactly the same requests: the
 * second is a duplicate whose handler can never run, yet it is accepted
 * because the check compares template strings, parameter names included. */
Test(router, duplicate_with_another_parameter_name_is_refused)
{
    cr_expect_eq(http_router_add(router, HTTP_METHOD_GET, "/api/ads/{adId}", h_list, NULL), -1,
                 "GET /api/ads/{adId} duplicates GET /api/ads/{id}");
}

Test(router, malformed_templates_are_refused)
{
    cr_expect_eq(http_router_add(router, HTTP_METHOD_GET, "", h_list, NULL), -1);
    cr_expect_eq(http_router_add(router, HTTP_METHOD_GET, "api/x", h_list, NULL), -1);
    cr_expect_eq(
        http_router_add(router, HTTP_METHOD_GET, "/a/b/c/d/e/f/g/h/i/j/k/l/m", h_list, NULL), -1,
        "more segments than the router holds");
}

/* More {params} than HTTP_MAX_PATH_PARAMS is refused, but the literal
 * segments copied before the refusal are never freed (LeakSanitizer). */
Test(router, refused_template_leaks_nothing)
{
    cr_expect_eq(
        http_router_add(router, HTTP_METHOD_GET, "/x/{a}/y/{b}/z/{c}/w/{d}/v/{e}", h_list, NULL),
        -1);
    http_router_free(router);
    router = NULL;
    unit_check_no_leaks();
}

Test(router, many_routes)
{
    http_router_t *r = http_router_new();
    char path[64];
    for (int i = 0; i < 200; i++) {
        snprintf(path, sizeof(path), "/api/r%d/{id}", i);
        cr_assert_eq(http_router_add(r, HTTP_METHOD_GET, path, h_list, NULL), 0, "%s", path);
    }
    for (int i = 0; i < 200; i += 37) {
        snprintf(path, sizeof(path), "/api/r%d/%d", i, i + 1);
        http_route_match_t m;
        http_router_match(r, HTTP_METHOD_GET, path, strlen(path), &m);
        cr_assert_eq(m.result, HTTP_ROUTE_FOUND, "%s", path);
        cr_expect_eq(m.params[0], i + 1);
    }
    http_router_free(r);
}

Test(router, parse_id_directly)
{
    int64_t id = -7;
    cr_expect_eq(http_parse_id("1", 1, &id), 0);
    cr_expect_eq(id, 1);
    cr_expect_eq(http_parse_id("9223372036854775807", 19, &id), 0);
    cr_expect_eq(id, INT64_MAX);
    id = -7;
    cr_expect_eq(http_parse_id("9223372036854775808", 19, &id), -1);
    cr_expect_eq(http_parse_id("0", 1, &id), -1);
    cr_expect_eq(http_parse_id("", 0, &id), -1);
    cr_expect_eq(http_parse_id("12", 1, &id), 0, "only len bytes are read");
    cr_expect_eq(id, 1);
}

Test(router, method_names)
{
    cr_expect_str_eq(http_method_name(HTTP_METHOD_GET), "GET");
    cr_expect_str_eq(http_method_name(HTTP_METHOD_PATCH), "PATCH");
    cr_expect_str_eq(http_method_name(HTTP_METHOD_OPTIONS), "OPTIONS");
    cr_expect_str_eq(http_method_name((http_method_t)99), "OTHER");
}

/* ---- prefix routes and the reserved prefixes ------------------------------ */

static void h_assets(http_request_t *req)
{
    (void)req;
}
static void h_app(http_request_t *req)
{
    (void)req;
}
static void h_ws(http_request_t *req)
{
    (void)req;
}

/* The web app's table: the API's templates, /ws, the assets and the
 * catch-all, with /api, /ws and /metrics reserved. */
static void setup_web(void)
{
    router = http_router_new();
    cr_assert_eq(http_router_add(router, HTTP_METHOD_GET, "/api/ads", h_list, NULL), 0);
    cr_assert_eq(http_router_add(router, HTTP_METHOD_POST, "/api/ads", h_create, NULL), 0);
    cr_assert_eq(http_router_add(router, HTTP_METHOD_GET, "/api/ads/{id}", h_detail, NULL), 0);
    cr_assert_eq(http_router_add(router, HTTP_METHOD_GET, "/api/health", h_health, NULL), 0);
    cr_assert_eq(http_router_add(router, HTTP_METHOD_GET, "/ws", h_ws, NULL), 0);
    cr_assert_eq(http_router_add(router, HTTP_METHOD_GET, "/assets/*", h_assets, NULL), 0);
    cr_assert_eq(http_router_add(router, HTTP_METHOD_GET, "/*", h_app, NULL), 0);
    cr_assert_eq(http_router_reserve(router, "/api"), 0);
    cr_assert_eq(http_router_reserve(router, "/ws"), 0);
    cr_assert_eq(http_router_reserve(router, "/metrics"), 0);
}

TestSuite(prefix, .init = setup_web, .fini = teardown);

static const char *rest_of(const char *path)
{
    http_route_match_t m = match(HTTP_METHOD_GET, path);
    cr_assert_eq(m.result, HTTP_ROUTE_FOUND, "GET %s", path);
    cr_assert(m.prefix, "GET %s: found by a prefix route", path);
    return path + m.rest_offset;
}

Test(prefix, assets_go_to_the_asset_route_with_the_rest)
{
    expect_found(HTTP_METHOD_GET, "/assets/app.0123abcd.js", h_assets);
    cr_expect_str_eq(rest_of("/assets/app.0123abcd.js"), "app.0123abcd.js");
    cr_expect_str_eq(rest_of("/assets/img/logo.svg"), "img/logo.svg");
    cr_expect_str_eq(rest_of("/assets"), "");
    cr_expect_str_eq(rest_of("/assets/"), "");
    /* "/assetsx" is not under "/assets": the app has it. */
    expect_found(HTTP_METHOD_GET, "/assetsx", h_app);
}

Test(prefix, the_app_takes_every_other_path_at_any_depth)
{
    expect_found(HTTP_METHOD_GET, "/", h_app);
    cr_expect_str_eq(rest_of("/"), "");
    expect_found(HTTP_METHOD_GET, "/buscar", h_app);
    expect_found(HTTP_METHOD_HEAD, "/avisos/123", h_app);
    cr_expect_str_eq(rest_of("/avisos/123"), "avisos/123");
    expect_found(HTTP_METHOD_GET, "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o", h_app);
    expect_found(HTTP_METHOD_GET, "/apix", h_app);
    expect_found(HTTP_METHOD_GET, "/metricsfoo", h_app);
    /* Traversal reaches the handler, which refuses it (api/web.c). */
    expect_found(HTTP_METHOD_GET, "/../etc/passwd", h_app);
}

Test(prefix, templates_win_over_prefixes)
{
    expect_found(HTTP_METHOD_GET, "/api/health", h_health);
    expect_found(HTTP_METHOD_GET, "/ws", h_ws);
    /* A template that matches under another method stays a 405. */
    http_route_match_t m = match(HTTP_METHOD_DELETE, "/api/ads");
    cr_expect_eq(m.result, HTTP_ROUTE_METHOD_NOT_ALLOWED);
    cr_expect_str_eq(m.allow, "GET, HEAD, POST, OPTIONS");
}

Test(prefix, reserved_prefixes_stay_not_found)
{
    expect_not_found(HTTP_METHOD_GET, "/api");
    expect_not_found(HTTP_METHOD_GET, "/api/");
    expect_not_found(HTTP_METHOD_GET, "/api/nothing");
    expect_not_found(HTTP_METHOD_GET, "/api/ads/0");
    expect_not_found(HTTP_METHOD_GET, "/api/a/b/c/d/e/f/g/h/i/j/k/l/m/n");
    expect_not_found(HTTP_METHOD_POST, "/api/nothing");
    expect_not_found(HTTP_METHOD_GET, "/ws/x");
    expect_not_found(HTTP_METHOD_GET, "/metrics");
    expect_not_found(HTTP_METHOD_GET, "/metrics/x");
}

Test(prefix, other_methods_on_app_paths_are_405)
{
    http_route_match_t m = match(HTTP_METHOD_POST, "/buscar");
    cr_expect_eq(m.result, HTTP_ROUTE_METHOD_NOT_ALLOWED);
    cr_expect_str_eq(m.allow, "GET, HEAD, OPTIONS");
    m = match(HTTP_METHOD_DELETE, "/assets/app.js");
    cr_expect_eq(m.result, HTTP_ROUTE_METHOD_NOT_ALLOWED);
    cr_expect_str_eq(m.allow, "GET, HEAD, OPTIONS");
}

Test(prefix, a_reserved_prefix_admits_its_own_prefix_routes)
{
    cr_assert_eq(http_router_add(router, HTTP_METHOD_GET, "/api/files/*", h_list, NULL), 0);
    expect_found(HTTP_METHOD_GET, "/api/files/x/y", h_list);
    cr_expect_str_eq(rest_of("/api/files/x/y"), "x/y");
    expect_not_found(HTTP_METHOD_GET, "/api/filesx");
}

Test(prefix, without_a_catch_all_nothing_changes)
{
    http_router_t *r = http_router_new();
    cr_assert_eq(http_router_add(r, HTTP_METHOD_GET, "/assets/*", h_assets, NULL), 0);
    http_route_match_t m;
    http_router_match(r, HTTP_METHOD_GET, "/buscar", 7, &m);
    cr_expect_eq(m.result, HTTP_ROUTE_NOT_FOUND);
    http_router_match(r, HTTP_METHOD_GET, "/assets/x", 9, &m);
    cr_expect_eq(m.result, HTTP_ROUTE_FOUND);
    http_router_free(r);
}

Test(prefix, malformed_or_duplicate_prefix_routes_are_refused)
{
    cr_expect_eq(http_router_add(router, HTTP_METHOD_GET, "/assets/*", h_list, NULL), -1);
    cr_expect_eq(http_router_add(router, HTTP_METHOD_GET, "/*", h_list, NULL), -1);
    cr_expect_eq(http_router_add(router, HTTP_METHOD_POST, "/*", h_list, NULL), 0);
    cr_expect_eq(http_router_add(router, HTTP_METHOD_GET, "/a/*/b", h_list, NULL), -1);
    cr_expect_eq(http_router_add(router, HTTP_METHOD_GET, "/a*", h_list, NULL), -1);
    cr_expect_eq(http_router_add(router, HTTP_METHOD_GET, "/a/{id}/*", h_list, NULL), -1);
    cr_expect_eq(http_router_add(router, HTTP_METHOD_GET, "//*", h_list, NULL), -1);
    cr_expect_eq(http_router_add(router, HTTP_METHOD_GET, "*", h_list, NULL), -1);
    cr_expect_eq(http_router_reserve(router, "api"), -1);
    cr_expect_eq(http_router_reserve(router, "/api/"), -1);
    cr_expect_eq(http_router_reserve(router, "/"), -1);
}

Test(prefix, path_len_is_respected)
{
    const char *target = "/assets/app.js?v=1";
    http_route_match_t m;
    http_router_match(router, HTTP_METHOD_GET, target, 14, &m);
    cr_assert_eq(m.result, HTTP_ROUTE_FOUND);
    cr_expect_eq(m.route->handler, h_assets);
    cr_expect_eq(m.rest_offset, 8);
}
