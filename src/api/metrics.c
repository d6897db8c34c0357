/* GET /metrics (API.md "Health and operations"): the Prometheus exposition
 * of obs/prometheus.h. With METRICS_TOKEN set it needs "Authorization:
 * Bearer <METRICS_TOKEN>" (compared in constant time), else 401. Never rate
 * limited: a scraper must not be refused for scraping. */
#include "api/app.h"
#include "core/buf.h"
#include "core/clock.h"
#include "http/response.h"
#include "obs/prometheus.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>

enum { METRICS_MAX_BYTES = 8 * 1024 * 1024 };

/* Whether the request carries METRICS_TOKEN (or none is required). */
static bool token_ok(const http_request_t *req, const char *expected)
{
    size_t expected_len = strlen(expected);
    if (expected_len == 0)
        return true;
    const char *auth = http_request_header(req, "Authorization");
    if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0)
        return false;
    const char *token = auth + 7;
    return strlen(token) == expected_len && sodium_memcmp(token, expected, expected_len) == 0;
}

static void handle_metrics(http_request_t *req)
{
    app_t *app = req->app;
    if (!token_ok(req, app->config->metrics_token)) {
        http_response_header(req, "WWW-Authenticate", "Bearer realm=\"metrics\"");
        http_respond_error(req, API_ERR_UNAUTHORIZED, "a metrics token is required", NULL);
        return;
    }
    obs_sources_t src;
    app_obs_sources(app, &src);
    buf_t out;
    buf_init(&out, METRICS_MAX_BYTES);
    if (buf_reserve(&out, 64 * 1024) != 0 || obs_prometheus_render(&src, &out) != 0) {
        buf_free(&out);
        http_respond_error(req, API_ERR_INTERNAL, NULL, NULL);
        return;
    }
    size_t len = 0;
    char *body = buf_steal(&out, &len);
    http_response_header(req, "Cache-Control", "no-store");
    http_respond_owned(req, 200, OBS_PROMETHEUS_CONTENT_TYPE, body, len);
}

void api_metrics_register(app_t *app)
{
    static const http_route_opts_t opts = {.rate_class = HTTP_RATE_NONE};
    app_route(app, HTTP_METHOD_GET, "/metrics", handle_metrics, &opts);
}
