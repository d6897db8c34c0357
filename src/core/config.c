/* Configuration parsing. Each variable is read by a small typed helper that
 * checks its range and writes the error line; config_load() reads them in
 * DESIGN.md's order and then applies the cross-variable rules (production
 * secrets, the REDIS_ENABLED rollback). */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char CONFIG_DEV_JWT_SECRET[] = "rural24-development-only-secret-do-not-use-in-production";

typedef struct {
    config_getenv_fn getenv_fn;
    void *user_data;
    char *err;
    size_t err_size;
} reader_t;

static int fail(reader_t *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(reader_t *r, const char *name, const char *fmt, ...)
{
    int n = snprintf(r->err, r->err_size, "%s: ", name);
    if (n < 0 || (size_t)n >= r->err_size)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err + n, r->err_size - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* NULL for unset; an empty value counts as unset, as most deploy tools write
 * an unset variable as empty. */
static const char *get(reader_t *r, const char *name)
{
    const char *v = r->getenv_fn(name, r->user_data);
    return (v != NULL && v[0] != '\0') ? v : NULL;
}

static int parse_int64(const char *text, int64_t *out)
{
    if (text[0] == '\0' || isspace((unsigned char)text[0]))
        return -1;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

static int read_int(reader_t *r, const char *name, int64_t def, int64_t min, int64_t max,
                    int64_t *out)
{
    const char *v = get(r, name);
    if (v == NULL) {
        *out = def;
        return 0;
    }
    int64_t n;
    if (parse_int64(v, &n) != 0 || n < min || n > max)
        return fail(r, name, "must be an integer from %lld to %lld, got '%.64s'", (long long)min,
                    (long long)max, v);
    *out = n;
    return 0;
}

#define READ_INT(r, name, def, min, max, field)                                                    \
    do {                                                                                           \
        int64_t tmp_;                                                                              \
        if (read_int(r, name, def, min, max, &tmp_) != 0)                                          \
            return -1;                                                                             \
        field = (int)tmp_;                                                                         \
    } while (0)

static int read_bool(reader_t *r, const char *name, bool def, bool *out)
{
    const char *v = get(r, name);
    if (v == NULL) {
        *out = def;
        return 0;
    }
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcmp(v, "yes") == 0) {
        *out = true;
        return 0;
    }
    if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0 || strcmp(v, "no") == 0) {
        *out = false;
        return 0;
    }
    return fail(r, name, "must be true or false, got '%.64s'", v);
}

static int read_string(reader_t *r, const char *name, const char *def, char *out, size_t out_size)
{
    const char *v = get(r, name);
    if (v == NULL)
        v = def;
    size_t len = strlen(v);
    if (len >= out_size)
        return fail(r, name, "is too long (at most %zu bytes)", out_size - 1);
    memcpy(out, v, len + 1);
    return 0;
}

/* Reads one of `names` (NULL-terminated); its index goes to *out. */
static int read_enum(reader_t *r, const char *name, const char *const *names, int def, int *out)
{
    const char *v = get(r, name);
    if (v == NULL) {
        *out = def;
        return 0;
    }
    for (int i = 0; names[i] != NULL; i++) {
        if (strcmp(v, names[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    char choices[128] = "";
    size_t used = 0;
    for (int i = 0; names[i] != NULL; i++) {
        int n = snprintf(choices + used, sizeof(choices) - used, "%s%s", i ? ", " : "", names[i]);
        if (n < 0 || (size_t)n >= sizeof(choices) - used)
            break;
        used += (size_t)n;
    }
    return fail(r, name, "must be one of %s, got '%.64s'", choices, v);
}

static const char *const app_env_names[] = {"development", "test", "production", NULL};
static const char *const cache_type_names[] = {"memory", "redis", "hybrid", NULL};
static const char *const rate_store_names[] = {"memory", "redis", NULL};
static const char *const session_store_names[] = {"stateless", "db", "redis", NULL};

const char *config_app_env_name(app_env_t env)
{
    return app_env_names[env];
}
const char *config_cache_type_name(cache_type_t type)
{
    return cache_type_names[type];
}
const char *config_rate_store_name(rate_store_t store)
{
    return rate_store_names[store];
}
const char *config_session_store_name(session_mode_t store)
{
    return session_store_names[store];
}

int config_parse_rate_spec(const char *text, rate_spec_t *out)
{
    const char *slash = strchr(text, '/');
    if (slash == NULL || slash == text || slash[1] == '\0')
        return -1;
    char left[24];
    size_t left_len = (size_t)(slash - text);
    if (left_len >= sizeof(left))
        return -1;
    memcpy(left, text, left_len);
    left[left_len] = '\0';
    int64_t limit, period;
    if (parse_int64(left, &limit) != 0 || parse_int64(slash + 1, &period) != 0)
        return -1;
    if (limit < 1 || limit > 1000000 || period < 1 || period > 86400)
        return -1;
    out->limit = (uint32_t)limit;
    out->period_s = (uint32_t)period;
    return 0;
}

static int read_rate(reader_t *r, const char *name, const char *def, rate_spec_t *out)
{
    const char *v = get(r, name);
    if (v == NULL)
        v = def;
    if (config_parse_rate_spec(v, out) != 0)
        return fail(r, name,
                    "must be LIMIT/SECONDS with LIMIT 1..1000000 and SECONDS 1..86400 "
                    "(e.g. 10/60), got '%.64s'",
                    v);
    return 0;
}

int config_parse_trust_proxy(const char *text, trust_proxy_t *out)
{
    memset(out, 0, sizeof(*out));
    if (text[0] == '\0' || strcmp(text, "false") == 0) {
        out->mode = TRUST_PROXY_NONE;
        return 0;
    }
    if (strcmp(text, "true") == 0) {
        out->mode = TRUST_PROXY_ALL;
        return 0;
    }
    int64_t hops;
    if (parse_int64(text, &hops) == 0) {
        if (hops < 0 || hops > 32)
            return -1;
        out->mode = hops == 0 ? TRUST_PROXY_NONE : TRUST_PROXY_HOPS;
        out->hops = (unsigned)hops;
        return 0;
    }
    out->mode = TRUST_PROXY_LIST;
    const char *p = text;
    while (*p != '\0') {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == '\0')
            break;
        const char *start = p;
        while (*p != '\0' && *p != ',' && *p != ' ')
            p++;
        if (out->range_count == CONFIG_MAX_TRUSTED_PROXIES)
            return -1;
        if (netaddr_cidr_parse(start, (size_t)(p - start), &out->ranges[out->range_count]) != 0)
            return -1;
        out->range_count++;
    }
    return out->range_count > 0 ? 0 : -1;
}

int config_parse_redis_url(const char *text, redis_url_t *out)
{
    memset(out, 0, sizeof(*out));
    out->port = 6379;
    const char *prefix = "redis://";
    size_t prefix_len = strlen(prefix);
    if (strncmp(text, prefix, prefix_len) != 0)
        return -1;
    const char *p = text + prefix_len;
    const char *at = strrchr(p, '@');
    if (at != NULL) {
        /* userinfo: "[user]:password" — Redis 6 ACL users are not used. */
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *pw = colon ? colon + 1 : p;
        size_t pw_len = (size_t)(at - pw);
        if (pw_len >= sizeof(out->password))
            return -1;
        memcpy(out->password, pw, pw_len);
        out->password[pw_len] = '\0';
        p = at + 1;
    }
    const char *host_end = p;
    while (*host_end != '\0' && *host_end != ':' && *host_end != '/')
        host_end++;
    size_t host_len = (size_t)(host_end - p);
    if (host_len == 0 || host_len >= sizeof(out->host))
        return -1;
    for (size_t i = 0; i < host_len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (!(isalnum(c) || c == '.' || c == '-' || c == '_'))
            return -1;
    }
    memcpy(out->host, p, host_len);
    out->host[host_len] = '\0';
    p = host_end;
    if (*p == ':') {
        p++;
        const char *port_end = p;
        while (*port_end >= '0' && *port_end <= '9')
            port_end++;
        if (port_end == p || port_end - p > 5)
            return -1;
        int port = 0;
        for (const char *d = p; d < port_end; d++)
            port = port * 10 + (*d - '0');
        if (port < 1 || port > 65535)
            return -1;
        out->port = port;
        p = port_end;
    }
    if (*p == '/') {
        p++;
        if (*p != '\0') {
            int64_t db;
            if (parse_int64(p, &db) != 0 || db < 0 || db > 15)
                return -1;
            out->db = (int)db;
        }
    } else if (*p != '\0') {
        return -1;
    }
    return 0;
}

/* A postgres:// URL with a host part, or a libpq "key=value" string. The db
 * layer checks it fully with libpq when it connects. */
static int check_database_url(reader_t *r, const char *name, const char *v)
{
    if (v[0] == '\0')
        return 0;
    const char *rest = NULL;
    if (strncmp(v, "postgresql://", 13) == 0)
        rest = v + 13;
    else if (strncmp(v, "postgres://", 11) == 0)
        rest = v + 11;
    if (rest == NULL) {
        if (strchr(v, '=') != NULL && strstr(v, "://") == NULL)
            return 0;
        return fail(r, name, "must be a postgresql:// URL");
    }
    for (const char *c = rest; *c != '\0'; c++) {
        if ((unsigned char)*c <= ' ')
            return fail(r, name, "must be a postgresql:// URL without spaces");
    }
    return 0;
}

/* FRONTEND_URL is an origin: scheme://host[:port], kept without a trailing slash. */
static int check_origin(reader_t *r, const char *name, char *v)
{
    if (v[0] == '\0')
        return 0;
    const char *rest;
    if (strncmp(v, "http://", 7) == 0)
        rest = v + 7;
    else if (strncmp(v, "https://", 8) == 0)
        rest = v + 8;
    else
        return fail(r, name, "must be an origin like https://rural24.com.ar");
    size_t len = strlen(v);
    if (len > 0 && v[len - 1] == '/')
        v[--len] = '\0';
    if (*rest == '\0')
        return fail(r, name, "must name a host");
    for (const char *c = rest; *c != '\0'; c++) {
        unsigned char ch = (unsigned char)*c;
        if (!(isalnum(ch) || ch == '.' || ch == '-' || ch == ':' || ch == '[' || ch == ']'))
            return fail(r, name, "must be an origin (scheme, host and port only), got '%.64s'", v);
    }
    return 0;
}

static void warn(config_t *cfg, const char *text)
{
    if (cfg->warning_count < CONFIG_MAX_WARNINGS) {
        snprintf(cfg->warnings[cfg->warning_count], sizeof(cfg->warnings[0]), "%s", text);
        cfg->warning_count++;
    }
}

int config_load(config_t *cfg, config_getenv_fn getenv_fn, void *user_data, char *err,
                size_t err_size)
{
    memset(cfg, 0, sizeof(*cfg));
    reader_t rd = {getenv_fn, user_data, err, err_size};
    reader_t *r = &rd;
    int e;

    READ_INT(r, "PORT", 3000, 1, 65535, cfg->port);
    if (read_string(r, "HOST", "0.0.0.0", cfg->host, sizeof(cfg->host)) != 0)
        return -1;
    if (read_enum(r, "APP_ENV", app_env_names, APP_ENV_DEVELOPMENT, &e) != 0)
        return -1;
    cfg->app_env = (app_env_t)e;

    if (read_string(r, "DATABASE_URL", "postgresql://rural24@127.0.0.1:54320/rural24",
                    cfg->database_url, sizeof(cfg->database_url)) != 0 ||
        check_database_url(r, "DATABASE_URL", cfg->database_url) != 0)
        return -1;
    if (read_string(r, "DATABASE_REPLICA_URL", "", cfg->database_replica_url,
                    sizeof(cfg->database_replica_url)) != 0 ||
        check_database_url(r, "DATABASE_REPLICA_URL", cfg->database_replica_url) != 0)
        return -1;
    READ_INT(r, "DB_POOL_SIZE", 10, 1, 500, cfg->db_pool_size);
    if (read_bool(r, "DB_PREPARED_STATEMENTS", true, &cfg->db_prepared_statements) != 0)
        return -1;
    READ_INT(r, "DB_ACQUIRE_TIMEOUT_MS", 2000, 1, 600000, cfg->db_acquire_timeout_ms);
    READ_INT(r, "DB_STATEMENT_TIMEOUT_MS", 5000, 1, 3600000, cfg->db_statement_timeout_ms);
    READ_INT(r, "REPLICA_STICKY_S", 5, 0, 3600, cfg->replica_sticky_s);
    READ_INT(r, "SLOW_QUERY_MS", 500, 0, 3600000, cfg->slow_query_ms);

    if (read_bool(r, "REDIS_ENABLED", false, &cfg->redis_enabled) != 0)
        return -1;
    if (read_string(r, "REDIS_URL", "redis://127.0.0.1:6379", cfg->redis_url,
                    sizeof(cfg->redis_url)) != 0)
        return -1;
    if (config_parse_redis_url(cfg->redis_url, &cfg->redis) != 0) {
        /* Never echo a password: show what follows the userinfo only. */
        const char *shown = strrchr(cfg->redis_url, '@');
        return fail(r, "REDIS_URL", "must be redis://[:password@]host[:port][/db], got '%s%.64s'",
                    shown ? "redis://***@" : "", shown ? shown + 1 : cfg->redis_url);
    }
    if (read_enum(r, "CACHE_TYPE", cache_type_names, CACHE_MEMORY, &e) != 0)
        return -1;
    cfg->cache_type = (cache_type_t)e;
    READ_INT(r, "CACHE_MAX_ENTRIES", 10000, 1, 10000000, cfg->cache_max_entries);
    {
        int64_t bytes;
        if (read_int(r, "CACHE_MAX_BYTES", 64 * 1024 * 1024, 4096, (int64_t)1 << 40, &bytes) != 0)
            return -1;
        cfg->cache_max_bytes = bytes;
    }
    if (read_enum(r, "RATE_LIMIT_STORE", rate_store_names, RATE_STORE_MEMORY, &e) != 0)
        return -1;
    cfg->rate_limit_store = (rate_store_t)e;
    READ_INT(r, "RATE_LIMIT_MAX_KEYS", 100000, 16, 100000000, cfg->rate_limit_max_keys);
    if (read_bool(r, "RATE_LIMIT_DRY_RUN", false, &cfg->rate_limit_dry_run) != 0)
        return -1;
    if (read_rate(r, "RATE_LIMIT_AUTH_IP", "10/60", &cfg->rate_auth_ip) != 0 ||
        read_rate(r, "RATE_LIMIT_AUTH_EMAIL", "5/900", &cfg->rate_auth_email) != 0 ||
        read_rate(r, "RATE_LIMIT_AUTH_EMAIL_ALL", "100/3600", &cfg->rate_auth_email_all) != 0 ||
        read_rate(r, "RATE_LIMIT_WRITE", "30/60", &cfg->rate_write) != 0 ||
        read_rate(r, "RATE_LIMIT_READ", "300/60", &cfg->rate_read) != 0 ||
        read_rate(r, "RATE_LIMIT_WS_MESSAGE", "60/60", &cfg->rate_ws_message) != 0)
        return -1;
    if (read_enum(r, "SESSION_STORE", session_store_names, SESSION_STATELESS, &e) != 0)
        return -1;
    cfg->session_store = (session_mode_t)e;

    bool jwt_secret_set = get(r, "JWT_SECRET") != NULL;
    if (read_string(r, "JWT_SECRET", CONFIG_DEV_JWT_SECRET, cfg->jwt_secret,
                    sizeof(cfg->jwt_secret)) != 0)
        return -1;
    READ_INT(r, "ACCESS_TOKEN_TTL_S", 900, 1, 86400, cfg->access_token_ttl_s);
    READ_INT(r, "REFRESH_TOKEN_TTL_S", 2592000, 60, 31536000, cfg->refresh_token_ttl_s);
    READ_INT(r, "REFRESH_GRACE_S", 10, 0, 300, cfg->refresh_grace_s);

    {
        const char *v = get(r, "USD_ARS_RATE");
        cfg->usd_ars_rate = 1000;
        if (v != NULL) {
            char *end = NULL;
            errno = 0;
            double d = strtod(v, &end);
            if (errno != 0 || end == v || *end != '\0' || !isfinite(d) || d <= 0 || d > 1e9)
                return fail(r, "USD_ARS_RATE", "must be a positive number, got '%.64s'", v);
            cfg->usd_ars_rate = d;
        }
    }
    READ_INT(r, "AD_TTL_DAYS", 90, 1, 3650, cfg->ad_ttl_days);
    READ_INT(r, "SUGGEST_REFRESH_S", 300, 1, 86400, cfg->suggest_refresh_s);
    READ_INT(r, "MATCHER_INTERVAL_MS", 3000, 50, 3600000, cfg->matcher_interval_ms);
    READ_INT(r, "EXPIRY_INTERVAL_MS", 60000, 100, 86400000, cfg->expiry_interval_ms);
    READ_INT(r, "REPORTS_AUTO_HIDE", 3, 1, 1000, cfg->reports_auto_hide);
    READ_INT(r, "IMAGE_WORKERS", 2, 1, 64, cfg->image_workers);
    READ_INT(r, "IMAGE_QUEUE_MAX", 32, 0, 10000, cfg->image_queue_max);
    READ_INT(r, "IMAGE_MEMORY_BUDGET_MB", 256, 64, 65536, cfg->image_memory_budget_mb);
    if (read_string(r, "FRONTEND_URL", "", cfg->frontend_url, sizeof(cfg->frontend_url)) != 0 ||
        check_origin(r, "FRONTEND_URL", cfg->frontend_url) != 0)
        return -1;
    /* Relative to the working directory (scripts/run-dev makes it absolute);
     * a folder that does not exist means the app is not served. */
    if (read_string(r, "WEB_DIR", "web/dist", cfg->web_dir, sizeof(cfg->web_dir)) != 0)
        return -1;

    {
        const char *v = get(r, "TRUST_PROXY");
        if (config_parse_trust_proxy(v ? v : "false", &cfg->trust_proxy) != 0)
            return fail(r, "TRUST_PROXY",
                        "must be false, true, a hop count (0..32) or a comma-separated list of "
                        "addresses/CIDRs (at most %d), got '%.64s'",
                        CONFIG_MAX_TRUSTED_PROXIES, v);
    }
    READ_INT(r, "MAX_CONNECTIONS", 10000, 1, 1000000, cfg->max_connections);
    READ_INT(r, "HTTP_HEADER_TIMEOUT_MS", 10000, 10, 600000, cfg->http_header_timeout_ms);
    READ_INT(r, "WS_PING_INTERVAL_MS", 30000, 100, 600000, cfg->ws_ping_interval_ms);
    READ_INT(r, "HTTP_IDLE_TIMEOUT_MS", 60000, 10, 3600000, cfg->http_idle_timeout_ms);
    READ_INT(r, "HTTP_BODY_TIMEOUT_MS", 30000, 10, 600000, cfg->http_body_timeout_ms);

    /* The budgets of the front door: connections per address, the bytes of
     * all bodies held at once, and the slowest a body may arrive. 500 bytes/s
     * cuts a body dripped at a few bytes a second while a rural 3G upload (a
     * few KB/s at worst) passes with room to spare. */
    READ_INT(r, "MAX_CONNECTIONS_PER_IP", 256, 1, 1000000, cfg->max_connections_per_ip);
    if (read_int(r, "MAX_BODY_MEMORY", 64 * 1024 * 1024, 64 * 1024, (int64_t)1 << 40,
                 &cfg->max_body_memory_bytes) != 0)
        return -1;
    READ_INT(r, "HTTP_BODY_MIN_RATE", 500, 0, 100000000, cfg->http_body_min_rate);
    READ_INT(r, "HTTP_BODY_RATE_WINDOW_MS", 10000, 100, 600000, cfg->http_body_rate_window_ms);

    {
        const char *v = get(r, "LOG_LEVEL");
        cfg->log_level = LOG_INFO;
        if (v != NULL && log_level_parse(v, &cfg->log_level) != 0)
            return fail(r, "LOG_LEVEL", "must be one of debug, info, warn, error, got '%.64s'", v);
    }
    READ_INT(r, "METRICS_INTERVAL_S", 300, 1, 86400, cfg->metrics_interval_s);
    if (read_string(r, "METRICS_TOKEN", "", cfg->metrics_token, sizeof(cfg->metrics_token)) != 0)
        return -1;
    READ_INT(r, "SHUTDOWN_DELAY_S", 0, 0, 3600, cfg->shutdown_delay_s);
    READ_INT(r, "SHUTDOWN_TIMEOUT_S", 10, 0, 3600, cfg->shutdown_timeout_s);

    if (cfg->app_env == APP_ENV_PRODUCTION) {
        if (!jwt_secret_set)
            return fail(r, "JWT_SECRET", "must be set when APP_ENV=production");
        if (strcmp(cfg->jwt_secret, CONFIG_DEV_JWT_SECRET) == 0)
            return fail(r, "JWT_SECRET", "must not be the development default in production");
        if (strlen(cfg->jwt_secret) < 32)
            return fail(r, "JWT_SECRET", "must be at least 32 bytes in production");
        if (cfg->frontend_url[0] == '\0')
            return fail(r, "FRONTEND_URL", "must be set when APP_ENV=production");
    }

    /* The rollback switch: with Redis off, every store is in memory, and Redis
     * sessions fall back to the database they are written through to, so a
     * rollback logs nobody out. */
    if (!cfg->redis_enabled) {
        bool changed = false;
        if (cfg->cache_type != CACHE_MEMORY) {
            cfg->cache_type = CACHE_MEMORY;
            changed = true;
        }
        if (cfg->rate_limit_store != RATE_STORE_MEMORY) {
            cfg->rate_limit_store = RATE_STORE_MEMORY;
            changed = true;
        }
        if (cfg->session_store == SESSION_REDIS) {
            cfg->session_store = SESSION_DB;
            changed = true;
        }
        if (changed)
            warn(cfg, "REDIS_ENABLED=false: Redis stores fall back (cache and rate limiting to "
                      "memory, Redis sessions to db)");
    }
    return 0;
}

static const char *process_getenv(const char *name, void *user_data)
{
    (void)user_data;
    return getenv(name);
}

int config_load_env(config_t *cfg, char *err, size_t err_size)
{
    return config_load(cfg, process_getenv, NULL, err, err_size);
}
