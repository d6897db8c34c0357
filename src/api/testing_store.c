/* Test-only routes that drive the real cache through the real server, for the
 * multi-instance tests of tests/integration/store. Registered only when
 * APP_ENV=test (api_register_routes); none of them exists in production.
 *
 *   GET    /api/_test/cache/{id}?ns=N              the value (application/octet-stream,
 *                                                  X-Cache: hit), or 404 on a miss
 *   PUT    /api/_test/cache/{id}?ns=N&ttl_ms=T     stores the raw body; 204
 *   DELETE /api/_test/cache/{id}?ns=N              204 once deleted (and published)
 *   POST   /api/_test/cache/bump?ns=N              bumps the namespace; 204
 *   GET    /api/_test/stores                       {"cache":{...},"rate_limiter":{...},
 *                                                   "redis":{"state","pubsub"}}
 *   POST   /api/_test/body                         reads a raw body of up to 5 MiB (an
 *                                                  image's limit) and answers {"bytes":N},
 *                                                  for the tests of the body budgets
 *
 * ns defaults to "test", ttl_ms to 60000. None of these routes is rate
 * limited, so cache tests and rate-limit tests do not disturb each other. */
#ifdef RURAL24_TEST_ROUTES /* the test build only (app.h) */
#include "api/app.h"
#include "http/response.h"
#include "redis/redis.h"
#include "store/cache.h"
#include "store/ratelimit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static const char *namespace_of(http_request_t *req)
{
    const char *ns = http_request_query(req, "ns");
    return ns && ns[0] ? ns : "test";
}

/* The {id} of the path as the cache key's text. */
static int key_of(const http_request_t *req, char *out, size_t size)
{
    return snprintf(out, size, "%" PRId64, req->path_params[0]);
}

static void on_cache_get(char *value, size_t len, void *user_data)
{
    http_request_t *req = user_data;
    if (!value) {
        http_respond_error(req, API_ERR_NOT_FOUND, "not in the cache", NULL);
        return;
    }
    http_response_header(req, "X-Cache", "hit");
    http_respond_owned(req, 200, "application/octet-stream", value, len);
}

static void handle_get(http_request_t *req)
{
    app_t *app = req->app;
    char key[24];
    int len = key_of(req, key, sizeof(key));
    if (cache_get(app->cache, namespace_of(req), key, (size_t)len, on_cache_get, req) != 0)
        http_respond_error(req, API_ERR_INVALID_PARAMETER, "bad namespace", NULL);
}

static void on_cache_done(void *user_data)
{
    http_respond_empty(user_data, 204);
}

static void handle_put(http_request_t *req)
{
    app_t *app = req->app;
    uint64_t ttl_ms = 60000;
    const char *ttl_text = http_request_query(req, "ttl_ms");
    if (ttl_text) {
        char *end;
        errno = 0;
        unsigned long long parsed = strtoull(ttl_text, &end, 10);
        if (errno != 0 || end == ttl_text || *end != '\0' || parsed == 0 || parsed > 86400000ULL) {
            http_respond_error(req, API_ERR_INVALID_PARAMETER, "ttl_ms: 1 to 86400000", NULL);
            return;
        }
        ttl_ms = parsed;
    }
    char key[24];
    int len = key_of(req, key, sizeof(key));
    if (cache_set(app->cache, namespace_of(req), key, (size_t)len, req->body.data, req->body.len,
                  ttl_ms, on_cache_done, req) != 0)
        http_respond_error(req, API_ERR_INVALID_PARAMETER, "bad namespace", NULL);
}

static void handle_delete(http_request_t *req)
{
    app_t *app = req->app;
    char key[24];
    int len = key_of(req, key, sizeof(key));
    if (cache_delete(app->cache, namespace_of(req), key, (size_t)len, on_cache_done, req) != 0)
        http_respond_error(req, API_ERR_INVALID_PARAMETER, "bad namespace", NULL);
}

static void handle_bump(http_request_t *req)
{
    app_t *app = req->app;
    if (cache_bump(app->cache, namespace_of(req), on_cache_done, req) != 0)
        http_respond_error(req, API_ERR_INVALID_PARAMETER, "bad namespace", NULL);
}

static void handle_stores(http_request_t *req)
{
    app_t *app = req->app;
    cache_stats_t cache_stats;
    ratelimit_stats_t rate_stats;
    cache_get_stats(app->cache, &cache_stats);
    ratelimit_get_stats(app->ratelimit, &rate_stats);
    json_t *redis = json_object();
    json_object_set_new(
        redis, "state",
        json_string(app->redis ? redis_state_name(redis_client_state(app->redis)) : "disabled"));
    json_object_set_new(redis, "pubsub",
                        json_boolean(app->redis && redis_client_pubsub_ready(app->redis)));
    json_t *body = json_object();
    json_object_set_new(body, "cache", cache_stats_json(&cache_stats));
    json_object_set_new(body, "rate_limiter", ratelimit_stats_json(&rate_stats));
    json_object_set_new(body, "redis", redis);
    http_response_header(req, "Cache-Control", "no-store");
    http_respond_json(req, 200, body);
}

static void handle_body(http_request_t *req)
{
    json_t *body = json_object();
    json_object_set_new(body, "bytes", json_integer((json_int_t)req->body.len));
    http_respond_json(req, 200, body);
}

void api_testing_store_register(app_t *app)
{
    static const http_route_opts_t plain = {.rate_class = HTTP_RATE_NONE};
    static const http_route_opts_t raw_body = {.rate_class = HTTP_RATE_NONE,
                                               .body_kind = HTTP_BODY_RAW};
    app_route(app, HTTP_METHOD_GET, "/api/_test/cache/{id}", handle_get, &plain);
    app_route(app, HTTP_METHOD_PUT, "/api/_test/cache/{id}", handle_put, &raw_body);
    app_route(app, HTTP_METHOD_DELETE, "/api/_test/cache/{id}", handle_delete, &plain);
    app_route(app, HTTP_METHOD_POST, "/api/_test/cache/bump", handle_bump, &plain);
    app_route(app, HTTP_METHOD_GET, "/api/_test/stores", handle_stores, &plain);
    app_route(app, HTTP_METHOD_POST, "/api/_test/body", handle_body, &raw_body);
}

#endif /* RURAL24_TEST_ROUTES */
