/* GET and PUT /api/exchange-rate (API.md "Categories"): the dollar's rate in
 * pesos that cross-currency price filters and sorts use. Setting it re-prices
 * every USD ad in the same transaction (set_exchange_rate()), so every cached
 * search page is dropped with it. */
#include "api/app.h"
#include "api/reply.h"
#include "api/validate.h"
#include "db/catalog.h"
#include "http/response.h"
#include "store/cache.h"

#include <math.h>
#include <stdio.h>

static const double RATE_MAX = 1e9;

static void on_rate(db_result_t *res, void *user_data)
{
    http_request_t *req = user_data;
    http_response_header(req, "Cache-Control", "no-cache");
    api_respond_row(req, res, 200, "exchange rate");
}

static void handle_get(http_request_t *req)
{
    api_query0(req, &db_q_exchange_rate_get, DB_READ, on_rate);
}

typedef struct {
    http_request_t *req;
    char *answer;
    size_t len;
    int pending;
} rate_set_t;

static void on_invalidated(void *user_data)
{
    rate_set_t *r = user_data;
    if (--r->pending > 0)
        return;
    http_respond(r->req, 200, "application/json; charset=utf-8", r->answer, r->len);
}

static void on_rate_set(db_result_t *res, void *user_data)
{
    rate_set_t *r = user_data;
    http_request_t *req = r->req;
    if (api_db_failed(req, res))
        return;
    size_t len;
    const char *json = api_row_json(res, &len);
    if (json == NULL) {
        http_respond_error(req, API_ERR_INTERNAL, NULL, NULL);
        return;
    }
    r->answer = arena_strndup(&req->arena, json, len);
    r->len = len;
    /* Every price in pesos of a USD ad moved: drop every cached page. */
    app_t *app = req->app;
    r->pending = 3;
    if (cache_bump(app->cache, "search", on_invalidated, r) != 0)
        r->pending--;
    if (cache_bump(app->cache, "featured", on_invalidated, r) != 0)
        r->pending--;
    on_invalidated(r);
}

static void handle_put(http_request_t *req)
{
    json_t *body = api_body_json(req, false);
    if (body == NULL)
        return;
    json_t *rate = json_object_get(body, "usd_ars");
    validation_t v = {0};
    double value = json_is_number(rate) ? json_number_value(rate) : 0;
    if (rate == NULL)
        validation_fail(&v, "usd_ars", "required", "usd_ars is required");
    else if (!json_is_number(rate))
        validation_fail(&v, "usd_ars", "type", "usd_ars must be a number");
    else if (!isfinite(value) || value <= 0)
        validation_fail(&v, "usd_ars", "min", "usd_ars must be positive");
    else if (value > RATE_MAX)
        validation_fail(&v, "usd_ars", "max", "usd_ars is too large");
    json_decref(body);
    if (validation_respond(&v, req))
        return;
    rate_set_t *r = arena_calloc(&req->arena, 1, sizeof(*r));
    r->req = req;
    api_query_ctx(req, r, &db_q_exchange_rate_set, DB_WRITE, on_rate_set,
                  arena_printf(&req->arena, "%.4f", value), api_user_text(req));
}

void api_exchange_rate_register(app_t *app)
{
    static const http_route_opts_t admin_write = {.auth = HTTP_AUTH_ADMIN,
                                                  .body_kind = HTTP_BODY_JSON,
                                                  .body_limit_bytes = HTTP_BODY_LIMIT_JSON};
    app_route(app, HTTP_METHOD_GET, "/api/exchange-rate", handle_get, NULL);
    app_route(app, HTTP_METHOD_PUT, "/api/exchange-rate", handle_put, &admin_write);
}
