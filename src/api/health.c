/* GET /api/health and GET /api/ready.
 *
 * Health never touches the database or Redis: it says the process is alive and
 * answering. Readiness says whether this instance should get traffic: 503 while
 * the database is down or once a shutdown has begun, so a load balancer stops
 * sending before the server stops accepting; 200 "degraded" while Redis is
 * down (the stores serve from memory). */
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
    bool critical_down = false, degraded = false;
    for (int i = 0; i < app->ready_check_count; i++) {
        const char *state = app->ready_checks[i].fn(app->ready_checks[i].ctx);
        if (strcmp(state, "down") == 0) {
            if (app->ready_checks[i].critical)
                critical_down = true;
            else
                degraded = true;
        }
        json_object_set_new(checks, app->ready_checks[i].name, json_string(state));
    }
    /* A shutdown first, then a critical dependency: both take the instance
     * out of rotation. A non-critical one (Redis: every store falls back to
     * memory) only says so: taking every instance out at once would turn its
     * outage into the site's. */
    const char *status = app->draining   ? "shutting_down"
                         : critical_down ? "unavailable"
                         : degraded      ? "degraded"
                                         : "ok";
    json_t *body = json_object();
    json_object_set_new(body, "status", json_string(status));
    json_object_set_new(body, "checks", checks);
    http_response_header(req, "Cache-Control", "no-store");
    http_respond_json(req, app->draining || critical_down ? 503 : 200, body);
}

void api_health_register(app_t *app)
{
    static const http_route_opts_t unlimited = {.rate_class = HTTP_RATE_NONE};
    app_route(app, HTTP_METHOD_GET, "/api/health", handle_health, &unlimited);
    app_route(app, HTTP_METHOD_GET, "/api/ready", handle_ready, &unlimited);
}
