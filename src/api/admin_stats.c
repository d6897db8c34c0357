/* GET /api/admin/stats (API.md "Health and operations"), admins only: the
 * same figures as the periodic [METRICS] line (obs/report.h), with the
 * capacity advisor's verdict. */
#include "api/app.h"
#include "http/response.h"
#include "obs/report.h"

static void handle_stats(http_request_t *req)
{
    app_t *app = req->app;
    obs_sources_t src;
    app_obs_sources(app, &src);
    http_response_header(req, "Cache-Control", "no-store");
    http_respond_json(req, 200, obs_stats_json(&src, app->advisor));
}

void api_admin_stats_register(app_t *app)
{
    static const http_route_opts_t admin = {.auth = HTTP_AUTH_ADMIN};
    app_route(app, HTTP_METHOD_GET, "/api/admin/stats", handle_stats, &admin);
}
