/* Application wiring shared by the handlers: readiness checks and the table
 * of route registrations. */
#include "api/app.h"
#include "api/ws.h"
#include "obs/advisor.h"
#include "obs/metrics.h"
#include "obs/report.h"
#include "api/categories.h"
#include "api/views.h"
#include "api/middleware_auth.h"
#include "api/middleware_ratelimit.h"
#include "auth/sessions.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "db/db.h"
#include "db/queries.h"
#include "media/image.h"
#include "media/queue.h"

#include <stdio.h>

#include <stdlib.h>
#include <string.h>

enum { RATE_RETRY_MS = 5000 };

static void write_first_rate(app_t *app);

static void on_rate_retry(uv_timer_t *timer)
{
    write_first_rate(container_of(timer, app_t, rate_retry));
}

static void on_first_rate(db_result_t *res, void *user_data)
{
    app_t *app = user_data;
    int err = db_result_error(res);
    if (err == 0) {
        if (db_result_rows(res) == 1)
            log_info("exchange rate set from USD_ARS_RATE", "usd_ars",
                     json_real(app->config->usd_ars_rate), NULL);
        else
            log_debug("exchange rate already set; USD_ARS_RATE not applied", NULL);
        return;
    }
    log_warn("exchange rate not written yet; retrying", "error", json_string(db_error_name(err)),
             NULL);
    if (app->rate_retry_open && err != DB_E_QUERY)
        uv_timer_start(&app->rate_retry, on_rate_retry, RATE_RETRY_MS, 0);
}

/* The first exchange rate comes from USD_ARS_RATE, written once when the
 * table has none (admins change it through the API afterwards). Until the
 * database answers, it is retried every few seconds. */
static void write_first_rate(app_t *app)
{
    if (app->db == NULL)
        return;
    char rate[32];
    snprintf(rate, sizeof(rate), "%.4f", app->config->usd_ars_rate);
    const char *params[] = {rate};
    int rc = db_query(app->db, &db_q_exchange_rate_init, params, NULL, 1, DB_WRITE, 0,
                      on_first_rate, app);
    if (rc != 0 && app->rate_retry_open)
        uv_timer_start(&app->rate_retry, on_rate_retry, RATE_RETRY_MS, 0);
}

int app_open(app_t *app, uv_loop_t *loop, const config_t *cfg, http_access_fn on_access,
             uint64_t wait_ms, char *err, size_t err_size)
{
    memset(app, 0, sizeof(*app));
    app->config = cfg;
    app->loop = loop;
    app->started_ms = clock_now_ms();
    /* The web app's files first: reading them blocks, and the loop is not
     * running yet. */
    if (api_web_open(app, err, err_size) != 0)
        return -1;
    if (media_init("rural24") != 0) {
        snprintf(err, err_size, "libvips failed to start");
        api_web_free(app);
        return -1;
    }
    /* The pools start connecting once the loop runs; an unreachable database
     * is not an error (readiness says "down" until it answers), a malformed
     * URL is. */
    if (db_new(loop, cfg, &app->db, err, err_size) != 0) {
        api_web_free(app);
        return -1;
    }
    media_queue_opts_t image_opts = {
        .workers = cfg->image_workers,
        .queue_max = cfg->image_queue_max,
        .memory_budget_bytes = (uint64_t)cfg->image_memory_budget_mb << 20,
    };
    app->images = media_queue_new(loop, &image_opts);
    app_add_ready_check(app, "db", db_ready_check, app->db, true);
    if (wait_ms > 0)
        db_wait_ready(app->db, wait_ms);
    uv_timer_init(loop, &app->rate_retry);
    app->rate_retry_open = true;
    write_first_rate(app);

    /* Redis and the stores. While Redis is down the stores serve from memory
     * and readiness says "down". */
    stores_open(&app->stores, loop, cfg);
    app->redis = app->stores.redis;
    app->cache = app->stores.cache;
    app->ratelimit = app->stores.ratelimit;
    app_add_ready_check(app, "redis", stores_redis_ready, &app->stores, false);
    if (wait_ms > 0)
        stores_wait_ready(&app->stores, loop, wait_ms < 1000 ? wait_ms : 1000);

    api_cursor_key_derive(&app->cursor_key, cfg->jwt_secret);
    api_categories_open(app);
    if (wait_ms > 0)
        (void)api_categories_wait(app, wait_ms);
    api_views_open(app);

    app->auth = auth_new(loop, cfg, app->db, app->redis);
    api_ws_open(app);
    /* After the hub: the jobs push what they store. */
    api_jobs_open(app);
    app->router = http_router_new();
    api_register_routes(app);
    http_server_opts_t opts = {
        .config = cfg,
        .router = app->router,
        .app = app,
        .on_access = on_access,
    };
    app->server = http_server_new(loop, &opts);
    /* Auth first, so that the rate limiter can key by user. */
    http_server_use(app->server, api_auth_middleware);
    http_server_use(app->server, api_ratelimit_middleware);
    /* The registry is sized from the routes, all registered by now. */
    app->metrics = obs_metrics_new(app->router);
    (void)http_server_on_access(app->server, obs_metrics_on_access, app->metrics);
    obs_sources_t src;
    app_obs_sources(app, &src);
    app->advisor = advisor_new(loop, &src);
    (void)http_server_on_access(app->server, advisor_on_access, app->advisor);
    app->report = obs_report_start(loop, &src, app->advisor, (uint64_t)cfg->metrics_interval_s);
    return 0;
}

void app_close(app_t *app)
{
    /* The pools close their own handles (with their own close callbacks) and
     * fail any query still running; then the stores, then the Redis client. */
    if (app->rate_retry_open) {
        app->rate_retry_open = false;
        uv_close((uv_handle_t *)&app->rate_retry, NULL);
    }
    /* Uploads still waiting are answered 503; running ones finish (their
     * answers then find the database closed). */
    if (app->images != NULL) {
        media_queue_close(app->images);
        app->images = NULL;
    }
    /* The observers read the layers below: they stop first. (A
     * max_connections query of the advisor still in flight is failed by
     * db_close() below, before the loop frees the advisor.) */
    obs_report_close(app->report);
    app->report = NULL;
    advisor_close(app->advisor);
    app->advisor = NULL;
    /* The jobs and the catalog first: the leases' release and the last view
     * counts still need the database. */
    api_jobs_close(app);
    api_views_close(app);
    api_categories_close(app);
    if (app->db != NULL) {
        db_close(app->db, NULL, NULL);
        app->db = NULL;
    }
    /* The hub unsubscribes its users' channels and the session store stops
     * listening before Redis goes. */
    api_ws_close(app);
    auth_close(app->auth);
    stores_close(&app->stores);
    app->redis = NULL;
    app->cache = NULL;
    app->ratelimit = NULL;
}

void app_free(app_t *app)
{
    obs_metrics_free(app->metrics);
    app->metrics = NULL;
    auth_free(app->auth);
    app->auth = NULL;
    http_server_free(app->server);
    app->server = NULL;
    http_router_free(app->router);
    app->router = NULL;
    api_web_free(app);
    media_shutdown();
}

void app_route(app_t *app, http_method_t method, const char *template_path, http_handler_fn handler,
               const http_route_opts_t *opts)
{
    if (http_router_add(app->router, method, template_path, handler, opts) != 0) {
        log_event(LOG_FATAL, "route refused (malformed or duplicate)", "method",
                  json_string(http_method_name(method)), "path", json_string(template_path), NULL);
        log_flush();
        abort();
    }
}

void app_add_ready_check(app_t *app, const char *name, app_ready_check_fn fn, void *ctx,
                         bool critical)
{
    if (app->ready_check_count == APP_MAX_READY_CHECKS)
        abort(); /* a programming error: raise APP_MAX_READY_CHECKS */
    app->ready_checks[app->ready_check_count].name = name;
    app->ready_checks[app->ready_check_count].fn = fn;
    app->ready_checks[app->ready_check_count].ctx = ctx;
    app->ready_checks[app->ready_check_count].critical = critical;
    app->ready_check_count++;
}

void api_register_routes(app_t *app)
{
    api_health_register(app);
    api_auth_register(app);
    api_me_register(app);
    api_categories_register(app);
    api_exchange_rate_register(app);
    api_ads_register(app);
    api_suggest_register(app);
    api_messages_register(app);
    api_ws_register(app);
    api_metrics_register(app);
    api_admin_stats_register(app);
    api_favorites_register(app);
    api_moderation_register(app);
    api_images_register(app);
    api_notifications_register(app);
#ifdef RURAL24_TEST_ROUTES
    if (app->config->app_env == APP_ENV_TEST) {
        api_testing_db_register(app);
        api_testing_store_register(app);
    }
#endif
    api_web_register(app);
}

void app_obs_sources(app_t *app, obs_sources_t *out)
{
    *out = (obs_sources_t){
        .config = app->config,
        .metrics = app->metrics,
        .server = app->server,
        .cache = app->cache,
        .ratelimit = app->ratelimit,
        .db = app->db,
        .redis = app->redis,
        .hub = app->hub,
        .instances = app->stores.instances,
        .started_ms = app->started_ms,
    };
}

void app_shutdown_begin(app_t *app)
{
    api_jobs_close(app);
}
