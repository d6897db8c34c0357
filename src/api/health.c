/* GET /api/health and GET /api/ready.
 *
 * Health never touches the database or Redis: it says the process is alive and
 * answering. Readiness says whether this instance should get traffic: 503 while
 * a dependency is down or once a shutdown has begun, so a load balancer stops
 * sending before the server stops accepting. */
#include "api/app.h"
#include "core/clock.h"
#include "http/response.h"
#include "version.h"

#include <string.h>

static void handle_health(http_request_t *req)
{
    app_t *app = req->app;
    /* The hottest route of all (load balancers poll it): formatted directly. */
    char body[128];
    int n =
        snprintf(body, sizeof(body), "{\"status\":\"ok\",\"uptime_s\":%llu,\"version\":\"%s\"}",
                 (unsigned long long)((clock_now_ms() - app->started_ms) / 1000), RURAL24_VERSION);
    http_response_header(req, "Cache-Control", "no-store");
    http_respond(req, 200, "application/json; charset=utf-8", body, (size_t)n);
}

static void handle_ready(http_request_t *req)
{
    app_t *app = req->app;
    json_t *checks = json_object();
    bool ok = !app->draining;
    for (int i = 0; i < app->ready_check_count; i++) {
        const char *state = app->ready_checks[i].fn(app->ready_checks[i].ctx);
        if (strcmp(state, "down") == 0)
            ok = false;
        json_object_set_new(checks, app->ready_checks[i].name, json_string(state));
    }
    json_t *body = json_object();
    json_object_set_new(body, "status",
                        json_string(ok ? "ok" : (app->draining ? "shutting_down" : "unavailable")));
    json_object_set_new(body, "checks", checks);
    http_response_header(req, "Cache-Control", "no-store");
    http_respond_json(req, ok ? 200 : 503, body);
}

void api_health_register(app_t *app)
{
    static const http_route_opts_t unlimited = {.rate_class = HTTP_RATE_NONE};
    app_route(app, HTTP_METHOD_GET, "/api/health", handle_health, &unlimited);
    app_route(app, HTTP_METHOD_GET, "/api/ready", handle_ready, &unlimited);
}
