/* Configuration: every environment variable of DESIGN.md, parsed and validated
 * once at start-up into one read-only struct.
 *
 * A bad value stops start-up: config_load() fails with one line naming the
 * variable and what is wrong, and main() exits with status 2. The
 * REDIS_ENABLED=false rollback rule is applied here, so the stores built from
 * this struct never see a Redis choice when Redis is off. */
#ifndef RURAL24_CORE_CONFIG_H
#define RURAL24_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/log.h"
#include "core/netaddr.h"

typedef enum { APP_ENV_DEVELOPMENT, APP_ENV_TEST, APP_ENV_PRODUCTION } app_env_t;
typedef enum { CACHE_MEMORY, CACHE_REDIS, CACHE_HYBRID } cache_type_t;
typedef enum { RATE_STORE_MEMORY, RATE_STORE_REDIS } rate_store_t;
typedef enum { SESSION_STATELESS, SESSION_DB, SESSION_REDIS } session_mode_t;

/* A rate-limit class: at most `limit` requests per `period_s` seconds. */
typedef struct {
    uint32_t limit;
    uint32_t period_s;
} rate_spec_t;

typedef enum { TRUST_PROXY_NONE, TRUST_PROXY_ALL, TRUST_PROXY_HOPS, TRUST_PROXY_LIST } trust_mode_t;

enum { CONFIG_MAX_TRUSTED_PROXIES = 32, CONFIG_MAX_WARNINGS = 8 };

typedef struct {
    trust_mode_t mode;
    unsigned hops;                                     /* TRUST_PROXY_HOPS */
    netaddr_cidr_t ranges[CONFIG_MAX_TRUSTED_PROXIES]; /* TRUST_PROXY_LIST */
    size_t range_count;
} trust_proxy_t;

typedef struct {
    char host[256];
    int port;
    char password[256]; /* empty when none */
    int db;
} redis_url_t;

typedef struct {
    /* listen */
    int port;
    char host[256];
    app_env_t app_env;

    /* database */
    char database_url[1024];
    char database_replica_url[1024]; /* empty when unset */
    int db_pool_size;
    bool db_prepared_statements;
    int db_acquire_timeout_ms;
    int db_statement_timeout_ms;
    int replica_sticky_s;
    int slow_query_ms;

    /* Redis and the stores, after the rollback rule */
    bool redis_enabled;
    char redis_url[1024];
    redis_url_t redis;
    cache_type_t cache_type;
    int cache_max_entries;
    int64_t cache_max_bytes;
    rate_store_t rate_limit_store;
    int rate_limit_max_keys;
    bool rate_limit_dry_run;
    rate_spec_t rate_auth_ip;
    rate_spec_t rate_auth_email;     /* failed logins per email and address */
    rate_spec_t rate_auth_email_all; /* failed logins per email, all addresses */
    rate_spec_t rate_write;
    rate_spec_t rate_read;
    rate_spec_t rate_ws_message;
    session_mode_t session_store;

    /* auth */
    char jwt_secret[512];
    int access_token_ttl_s;
    int refresh_token_ttl_s;
    int refresh_grace_s;

    /* product */
    double usd_ars_rate;
    char frontend_url[512];  /* an origin without trailing slash; empty when unset */
    char web_dir[1024];      /* WEB_DIR: the built web app (api/web.h); missing: not served */
    int ad_ttl_days;         /* ads expire this long after publication or renewal */
    int suggest_refresh_s;   /* period of the search-suggestion terms' refresh */
    int matcher_interval_ms; /* period of the saved-search matcher and the price drops */
    int expiry_interval_ms;  /* period of the expiry sweep and the expiry reminders */
    int reports_auto_hide;   /* distinct open reporters that put an ad under review */

    /* images (media/queue.h) */
    int image_workers;          /* uploads processed at once */
    int image_queue_max;        /* uploads waiting for a worker; past it 503 */
    int image_memory_budget_mb; /* the running jobs' memory estimates together */

    /* http */
    trust_proxy_t trust_proxy;
    int max_connections;
    int http_header_timeout_ms;
    int ws_ping_interval_ms; /* WebSocket heartbeat; two missed pongs drop a connection */
    int http_idle_timeout_ms;
    int http_body_timeout_ms;

    /* http budgets (issue 9): what one client can make an instance hold */
    int max_connections_per_ip;    /* per peer address (IPv6: per /64); proxies exempt */
    int64_t max_body_memory_bytes; /* all request bodies in memory together */
    int http_body_min_rate;        /* bytes/s averaged over a window; 0: off */
    int http_body_rate_window_ms;  /* the window of HTTP_BODY_MIN_RATE */

    /* operations */
    log_level_t log_level;
    int metrics_interval_s;
    char metrics_token[256]; /* empty when unset */
    int shutdown_delay_s;
    int shutdown_timeout_s;

    /* Lines to log once logging is up (the rollback rule's warning). */
    char warnings[CONFIG_MAX_WARNINGS][256];
    size_t warning_count;
} config_t;

/* Looks up one variable; NULL when unset. */
typedef const char *(*config_getenv_fn)(const char *name, void *user_data);

/* Fills cfg from the variables getenv_fn returns. 0 on success; -1 with a
 * one-line message in err ("PORT: must be an integer from 1 to 65535, got
 * 'abc'") on the first bad value. */
int config_load(config_t *cfg, config_getenv_fn getenv_fn, void *user_data, char *err,
                size_t err_size);

/* config_load over the process environment. */
int config_load_env(config_t *cfg, char *err, size_t err_size);

/* The development-only JWT secret used when JWT_SECRET is unset. */
extern const char CONFIG_DEV_JWT_SECRET[];

const char *config_cache_type_name(cache_type_t type);
const char *config_rate_store_name(rate_store_t store);
const char *config_session_store_name(session_mode_t store);
const char *config_app_env_name(app_env_t env);

/* Parses "N/SECONDS" (e.g. "10/60"). 0 or -1. */
int config_parse_rate_spec(const char *text, rate_spec_t *out);

/* Parses a TRUST_PROXY value. 0 or -1. */
int config_parse_trust_proxy(const char *text, trust_proxy_t *out);

/* Parses redis://[:password@]host[:port][/db]. 0 or -1. */
int config_parse_redis_url(const char *text, redis_url_t *out);

#endif
