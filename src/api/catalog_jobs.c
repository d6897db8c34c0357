/* The catalog's periodic upkeep, on one timer: ads past expires_at are marked
 * expired (search already leaves them out: the statements compare
 * expires_at), and the search box's terms are refreshed every
 * SUGGEST_REFRESH_S. Each runs once per period across all instances: the
 * statements claim the period in job_runs before doing the work. */
#include "api/app.h"
#include "core/clock.h"
#include "core/xmalloc.h"
#include "core/log.h"
#include "db/catalog.h"
#include "store/cache.h"

#include <stdio.h>

enum { JOBS_TICK_MS = 15000, EXPIRE_PERIOD_S = 60 };

static void on_expired(db_result_t *res, void *user_data)
{
    app_t *app = user_data;
    int64_t n = 0;
    if (db_result_error(res) != 0 || db_result_int64(res, 0, 0, &n) != 0) {
        log_warn("ad expiry sweep failed", "error",
                 json_string(db_error_name(db_result_error(res))), NULL);
        return;
    }
    if (n > 0) {
        log_info("ads expired", "count", json_integer(n), NULL);
        if (app->cache != NULL) {
            cache_bump(app->cache, "search", NULL, NULL);
            cache_bump(app->cache, "featured", NULL, NULL);
        }
    }
}

static void on_refreshed(db_result_t *res, void *user_data)
{
    (void)user_data;
    if (db_result_error(res) != 0)
        log_warn("suggestion terms not refreshed", "error",
                 json_string(db_error_name(db_result_error(res))), NULL);
}

static void on_tick(uv_timer_t *timer)
{
    app_t *app = container_of(timer, app_t, jobs_timer);
    if (app->db == NULL)
        return;
    char period[16];
    snprintf(period, sizeof(period), "%d", EXPIRE_PERIOD_S);
    const char *expire_params[] = {period};
    (void)db_query(app->db, &db_q_ads_expire, expire_params, NULL, 1, DB_WRITE, 0, on_expired, app);
    uint64_t now = clock_now_ms();
    uint64_t refresh_ms = (uint64_t)app->config->suggest_refresh_s * 1000;
    if (now - app->suggest_refreshed_ms >= refresh_ms) {
        app->suggest_refreshed_ms = now;
        char refresh[16];
        snprintf(refresh, sizeof(refresh), "%d", app->config->suggest_refresh_s);
        const char *params[] = {refresh};
        (void)db_query(app->db, &db_q_suggest_refresh, params, NULL, 1, DB_WRITE, 0, on_refreshed,
                       app);
    }
}

void api_catalog_jobs_open(app_t *app)
{
    uv_timer_init(app->loop, &app->jobs_timer);
    app->jobs_timer_open = true;
    app->suggest_refreshed_ms = clock_now_ms();
    uint64_t tick = JOBS_TICK_MS;
    if ((uint64_t)app->config->suggest_refresh_s * 1000 < tick)
        tick = (uint64_t)app->config->suggest_refresh_s * 1000;
    uv_timer_start(&app->jobs_timer, on_tick, tick, tick);
}

void api_catalog_jobs_close(app_t *app)
{
    if (app->jobs_timer_open) {
        app->jobs_timer_open = false;
        uv_close((uv_handle_t *)&app->jobs_timer, NULL);
    }
}
