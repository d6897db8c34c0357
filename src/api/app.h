/* The application: everything a handler reaches through req->app.
 *
 * main.c builds one app_t at start-up from the configuration; each layer that
 * joins later (db, redis, stores, sessions, ws hub, metrics) adds its handle
 * here. Handlers read it; only main.c and app.c change it. */
#ifndef RURAL24_API_APP_H
#define RURAL24_API_APP_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "api/cursor.h"
#include "core/config.h"
#include "http/router.h"
#include "http/server.h"
#include "obs/sources.h"
#include "store/stores.h"

/* A readiness check: names one dependency and says "ok", "down" or "disabled"
 * from state the dependency keeps (it must not block or do I/O). */
typedef const char *(*app_ready_check_fn)(void *ctx);

enum { APP_MAX_READY_CHECKS = 4 };

typedef struct app_s {
    const config_t *config;
    uv_loop_t *loop;
    http_router_t *router;
    http_server_t *server;
    uint64_t started_ms; /* monotonic, for uptime_s */
    bool draining;       /* a shutdown began: readiness answers 503 */

    struct {
        const char *name;
        app_ready_check_fn fn;
        void *ctx;
        bool critical; /* down: 503; otherwise "degraded" with 200 */
    } ready_checks[APP_MAX_READY_CHECKS];
    int ready_check_count;

    /* Layers that follow add their handles below (db pools, redis client,
     * cache, rate limiter, session manager, ws hub, metrics). */
    struct db_s *db;               /* db/db.h: the PostgreSQL pools (primary, replica) */
    struct redis_client_s *redis;  /* redis/redis.h: NULL when REDIS_ENABLED=false */
    struct cache_s *cache;         /* store/cache.h: the CACHE_TYPE store */
    struct ratelimit_s *ratelimit; /* store/ratelimit.h: the RATE_LIMIT_STORE store */
    struct auth_s *auth;           /* auth/sessions.h: the SESSION_STORE session manager */
    struct ws_hub_s *hub;          /* ws/hub.h: WebSocket connections by user (api/ws.h) */
    struct obs_metrics_s *metrics; /* obs/metrics.h: requests and events, for /metrics */
    struct advisor_s *advisor;     /* obs/advisor.h: the capacity verdict */
    struct obs_report_s *report;   /* obs/report.h: the [METRICS] line */
    stores_t stores;               /* what redis, cache and ratelimit above come from */
    uv_timer_t rate_retry;         /* retries writing USD_ARS_RATE until the database answers */
    bool rate_retry_open;

    /* The catalog (categories.h, ads.c, views.h). */
    struct category_index_s *categories; /* NULL until first loaded */
    uv_timer_t categories_timer;
    bool categories_timer_open;
    bool categories_loading;
    api_cursor_key_t cursor_key; /* signs page cursors (cursor.h) */
    struct ad_views_s *views;    /* views.h: view counts waiting to be written */
    struct jobs_s *jobs;         /* jobs/jobs.h: the scheduled jobs (notifications.c starts them) */
    bool jobs_stopped; /* the jobs stopped and released their leases (serve.c waits for it) */

    /* Images (images.c): uploads are processed on the thread pool. */
    struct media_queue_s *images; /* media/queue.h */

    /* The web app's files, read at start-up (web.h). */
    struct web_s *web;
} app_t;

/* Builds the application on loop from cfg (which must outlive it): libvips
 * and the image queue (media/), the database pools, Redis and the stores, the session manager, the
 * router with every route, and the HTTP server (not listening yet) with its middleware chain: auth,
 * then rate limit. on_access may be NULL. Waits up to wait_ms for the database and Redis to answer,
 * so that readiness is right from the first request (an unreachable one is not an error: readiness
 * says "down"). Returns 0, or -1 with one line in err for a malformed DATABASE_URL (the caller
 * exits with status 2); nothing is left open then. */
int app_open(app_t *app, uv_loop_t *loop, const config_t *cfg, http_access_fn on_access,
             uint64_t wait_ms, char *err, size_t err_size);

/* Closes the database pools and the stores (queries still running fail with
 * 503); their handles finish closing as the loop runs. Call once. */
void app_close(app_t *app);

/* Frees the rest (server, router, session manager) and shuts libvips down
 * once the loop has stopped running. */
void app_free(app_t *app);

/* Registers a route; a malformed or duplicate template is a programming
 * error and aborts with a log line naming it. */
void app_route(app_t *app, http_method_t method, const char *template_path, http_handler_fn handler,
               const http_route_opts_t *opts);

/* Adds a check shown in /api/ready's "checks" under name. A critical one
 * down makes readiness 503; another one down makes it 200 "degraded" (API.md:
 * Redis down is not a reason to leave the balancer's rotation). */
void app_add_ready_check(app_t *app, const char *name, app_ready_check_fn fn, void *ctx,
                         bool critical);

/* Fills out with app's layers, for the observability layer (obs/sources.h). */
void app_obs_sources(app_t *app, obs_sources_t *out);

/* Registers every route of the API on app->router. */
void api_register_routes(app_t *app);

/* Per-resource registration, one per file of src/api. */
void api_health_register(app_t *app);

/* Accounts and sessions (auth.c) and the caller's profile (me.c). */
void api_auth_register(app_t *app);
void api_me_register(app_t *app);

/* The catalog: categories (categories.c), the exchange rate
 * (exchange_rate.c), ads and public profiles (ads.c), suggestions
 * (suggest.c); and what keeps it: the category index and view counts (the
 * periodic upkeep is a job: jobs/jobs.h). */
void api_categories_register(app_t *app);
void api_exchange_rate_register(app_t *app);
void api_ads_register(app_t *app);
void api_suggest_register(app_t *app);
void api_messages_register(app_t *app);
void api_metrics_register(app_t *app);
void api_admin_stats_register(app_t *app);
/* Favorites (favorites.c); reports and the admins' moderation
 * (moderation.c). */
void api_favorites_register(app_t *app);
void api_moderation_register(app_t *app);

/* The web app (web.c): WEB_DIR read into memory (0, or -1 with one line in
 * err when it is over its limits: start-up stops), its routes (GET /assets/\*
 * and the catch-all GET /\*, with /api, /ws and /metrics reserved), and
 * freeing the files. */
int api_web_open(app_t *app, char *err, size_t err_size);
void api_web_register(app_t *app);
void api_web_free(app_t *app);

/* Ad images: upload, delete and serving (images.c). */
void api_images_register(app_t *app);
/* Saved searches and notifications (notifications.c); the scheduled jobs
 * that create notifications (jobs/jobs.h), started with their hooks: a
 * stored notification is pushed over the WebSocket hub, an expiry sweep
 * drops the cached pages. */
void api_notifications_register(app_t *app);
void api_jobs_open(app_t *app);
void api_jobs_close(app_t *app);

/* A shutdown began (the first signal): the jobs stop at once and let their
 * leases lapse, so that another instance takes them over while this one
 * drains its connections; app->jobs_stopped turns true once the leases are
 * released (serve.c waits for it, briefly, before closing the database). */
void app_shutdown_begin(app_t *app);

/* The test-only routes below exist only in the test build (compiled with
 * RURAL24_TEST_ROUTES, as `make asan` does), and there only under
 * APP_ENV=test: a release binary has none, whatever its environment says. */

/* Test-only database routes under /api/_test/db (APP_ENV=test only). */
void api_testing_db_register(app_t *app);

/* Test-only cache and store routes under /api/_test (APP_ENV=test only). */
void api_testing_store_register(app_t *app);

#endif
