/* Configuration: defaults, each kind of bad value, the production rules, the
 * REDIS_ENABLED=false rollback, and the TRUST_PROXY / rate / Redis URL parsers.
 *
 * config_load() reads its variables through a function pointer, so each test
 * hands it a table of variables instead of touching the process environment. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "core/config.h"
#include "unit/core/leak_check.h"

TestSuite(config, .fini = unit_check_no_leaks);

typedef struct {
    const char *name;
    const char *value;
} env_var_t;

static const char *table_getenv(const char *name, void *user_data)
{
    for (const env_var_t *v = user_data; v->name != NULL; v++) {
        if (strcmp(v->name, name) == 0)
            return v->value;
    }
    return NULL;
}

/* LOAD(&cfg, err, {"PORT", "80"}, ...) runs config_load over those variables;
 * LOAD_EMPTY over none. */
#define LOAD(cfg, err, ...)                                                                        \
    config_load((cfg), table_getenv, (env_var_t[]){__VA_ARGS__, {NULL, NULL}}, (err), sizeof(err))
#define LOAD_EMPTY(cfg, err) LOAD(cfg, err, {NULL, NULL})

static config_t cfg;
static char err[512];

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- defaults ----------------------------------------------------------- */

Test(config, defaults_for_every_variable)
{
    cr_assert_eq(LOAD_EMPTY(&cfg, err), 0, "%s", err);
    cr_expect_eq(cfg.port, 3000);
    cr_expect_str_eq(cfg.host, "0.0.0.0");
    cr_expect_eq(cfg.app_env, APP_ENV_DEVELOPMENT);
    cr_expect(starts_with(cfg.database_url, "postgresql://"), "%s", cfg.database_url);
    cr_expect_str_empty(cfg.database_replica_url);
    cr_expect_eq(cfg.db_pool_size, 10);
    cr_expect(cfg.db_prepared_statements);
    cr_expect_eq(cfg.db_acquire_timeout_ms, 2000);
    cr_expect_eq(cfg.db_statement_timeout_ms, 5000);
    cr_expect_eq(cfg.replica_sticky_s, 5);
    cr_expect_eq(cfg.slow_query_ms, 500);
    cr_expect_not(cfg.redis_enabled);
    cr_expect_str_eq(cfg.redis_url, "redis://127.0.0.1:6379");
    cr_expect_str_eq(cfg.redis.host, "127.0.0.1");
    cr_expect_eq(cfg.redis.port, 6379);
    cr_expect_str_empty(cfg.redis.password);
    cr_expect_eq(cfg.redis.db, 0);
    cr_expect_eq(cfg.cache_type, CACHE_MEMORY);
    cr_expect_eq(cfg.cache_max_entries, 10000);
    cr_expect_eq(cfg.cache_max_bytes, 64 * 1024 * 1024);
    cr_expect_eq(cfg.rate_limit_store, RATE_STORE_MEMORY);
    cr_expect_eq(cfg.rate_limit_max_keys, 100000);
    cr_expect_not(cfg.rate_limit_dry_run);
    cr_expect_eq(cfg.rate_auth_ip.limit, 10);
    cr_expect_eq(cfg.rate_auth_ip.period_s, 60);
    cr_expect_eq(cfg.rate_auth_email.limit, 5);
    cr_expect_eq(cfg.rate_auth_email.period_s, 900);
    cr_expect_eq(cfg.rate_write.limit, 30);
    cr_expect_eq(cfg.rate_write.period_s, 60);
    cr_expect_eq(cfg.rate_read.limit, 300);
    cr_expect_eq(cfg.rate_read.period_s, 60);
    cr_expect_eq(cfg.rate_ws_message.limit, 60);
    cr_expect_eq(cfg.rate_ws_message.period_s, 60);
    cr_expect_eq(cfg.session_store, SESSION_STATELESS);
    cr_expect_str_eq(cfg.jwt_secret, CONFIG_DEV_JWT_SECRET);
    cr_expect_eq(cfg.access_token_ttl_s, 900);
    cr_expect_eq(cfg.refresh_token_ttl_s, 2592000);
    cr_expect_eq(cfg.refresh_grace_s, 10);
    cr_expect_eq(cfg.usd_ars_rate, 1000.0);
    cr_expect_eq(cfg.reports_auto_hide, 3);
    cr_expect_str_empty(cfg.frontend_url);
    cr_expect_eq(cfg.trust_proxy.mode, TRUST_PROXY_NONE);
    cr_expect_eq(cfg.trust_proxy.range_count, 0);
    cr_expect_eq(cfg.max_connections, 10000);
    cr_expect_eq(cfg.http_header_timeout_ms, 10000);
    cr_expect_eq(cfg.http_idle_timeout_ms, 60000);
    cr_expect_eq(cfg.http_body_timeout_ms, 30000);
    cr_expect_eq(cfg.log_level, LOG_INFO);
    cr_expect_eq(cfg.metrics_interval_s, 300);
    cr_expect_str_empty(cfg.metrics_token);
    cr_expect_eq(cfg.shutdown_delay_s, 0);
    cr_expect_eq(cfg.shutdown_timeout_s, 10);
    cr_expect_eq(cfg.warning_count, 0);
}

/* The configuration table of DESIGN.md is a contract: each of its names must
 * actually be looked up. */
static const char *asked[128];
static size_t asked_count;

static const char *recording_getenv(const char *name, void *user_data)
{
    (void)user_data;
    if (asked_count < sizeof(asked) / sizeof(asked[0]))
        asked[asked_count++] = name;
    return NULL;
}

Test(config, reads_every_design_variable)
{
    static const char *const design[] = {
        "PORT",
        "HOST",
        "APP_ENV",
        "DATABASE_URL",
        "DATABASE_REPLICA_URL",
        "DB_POOL_SIZE",
        "DB_PREPARED_STATEMENTS",
        "REDIS_ENABLED",
        "REDIS_URL",
        "CACHE_TYPE",
        "CACHE_MAX_ENTRIES",
        "RATE_LIMIT_STORE",
        "SESSION_STORE",
        "JWT_SECRET",
        "ACCESS_TOKEN_TTL_S",
        "REFRESH_TOKEN_TTL_S",
        "REFRESH_GRACE_S",
        "USD_ARS_RATE",
        "FRONTEND_URL",
        "TRUST_PROXY",
        "LOG_LEVEL",
        "METRICS_INTERVAL_S",
        "METRICS_TOKEN",
        "SLOW_QUERY_MS",
        "SHUTDOWN_DELAY_S",
        "SHUTDOWN_TIMEOUT_S",
        "MAX_CONNECTIONS",
        "MAX_CONNECTIONS_PER_IP",
        "MAX_BODY_MEMORY",
        "HTTP_BODY_MIN_RATE",
    };
    cr_assert_eq(config_load(&cfg, recording_getenv, NULL, err, sizeof(err)), 0, "%s", err);
    for (size_t i = 0; i < sizeof(design) / sizeof(design[0]); i++) {
        bool found = false;
        for (size_t j = 0; j < asked_count && !found; j++)
            found = strcmp(asked[j], design[i]) == 0;
        cr_expect(found, "%s is never looked up", design[i]);
    }
}

Test(config, empty_value_counts_as_unset)
{
    cr_assert_eq(LOAD(&cfg, err, {"PORT", ""}, {"CACHE_TYPE", ""}, {"TRUST_PROXY", ""}), 0, "%s",
                 err);
    cr_expect_eq(cfg.port, 3000);
    cr_expect_eq(cfg.cache_type, CACHE_MEMORY);
    cr_expect_eq(cfg.trust_proxy.mode, TRUST_PROXY_NONE);
}

Test(config, every_variable_is_applied)
{
    int rc = LOAD(
        &cfg, err, {"PORT", "8080"}, {"HOST", "127.0.0.1"}, {"APP_ENV", "test"},
        {"DATABASE_URL", "postgres://u:p@db.internal:5432/rural24"},
        {"DATABASE_REPLICA_URL", "host=replica dbname=rural24"}, {"DB_POOL_SIZE", "25"},
        {"DB_PREPARED_STATEMENTS", "false"}, {"REDIS_ENABLED", "true"},
        {"REDIS_URL", "redis://:s3cret@cache.internal:6380/2"}, {"CACHE_TYPE", "hybrid"},
        {"CACHE_MAX_ENTRIES", "500"}, {"RATE_LIMIT_STORE", "redis"}, {"SESSION_STORE", "redis"},
        {"JWT_SECRET", "0123456789abcdef0123456789abcdef-x"}, {"ACCESS_TOKEN_TTL_S", "600"},
        {"REFRESH_TOKEN_TTL_S", "86400"}, {"REFRESH_GRACE_S", "5"}, {"USD_ARS_RATE", "1234.5"},
        {"FRONTEND_URL", "https://rural24.com.ar/"}, {"TRUST_PROXY", "2"}, {"LOG_LEVEL", "debug"},
        {"METRICS_INTERVAL_S", "60"}, {"METRICS_TOKEN", "tok"}, {"SLOW_QUERY_MS", "250"},
        {"SHUTDOWN_DELAY_S", "5"}, {"SHUTDOWN_TIMEOUT_S", "30"}, {"MAX_CONNECTIONS", "2000"},
        {"RATE_LIMIT_WRITE", "7/30"}, {"REPORTS_AUTO_HIDE", "5"});
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect_eq(cfg.port, 8080);
    cr_expect_str_eq(cfg.host, "127.0.0.1");
    cr_expect_eq(cfg.app_env, APP_ENV_TEST);
    cr_expect_str_eq(cfg.database_url, "postgres://u:p@db.internal:5432/rural24");
    cr_expect_str_eq(cfg.database_replica_url, "host=replica dbname=rural24");
    cr_expect_eq(cfg.db_pool_size, 25);
    cr_expect_not(cfg.db_prepared_statements);
    cr_expect(cfg.redis_enabled);
    cr_expect_str_eq(cfg.redis.host, "cache.internal");
    cr_expect_eq(cfg.redis.port, 6380);
    cr_expect_str_eq(cfg.redis.password, "s3cret");
    cr_expect_eq(cfg.redis.db, 2);
    cr_expect_eq(cfg.cache_type, CACHE_HYBRID);
    cr_expect_eq(cfg.cache_max_entries, 500);
    cr_expect_eq(cfg.rate_limit_store, RATE_STORE_REDIS);
    cr_expect_eq(cfg.session_store, SESSION_REDIS);
    cr_expect_str_eq(cfg.jwt_secret, "0123456789abcdef0123456789abcdef-x");
    cr_expect_eq(cfg.access_token_ttl_s, 600);
    cr_expect_eq(cfg.refresh_token_ttl_s, 86400);
    cr_expect_eq(cfg.refresh_grace_s, 5);
    cr_expect_eq(cfg.usd_ars_rate, 1234.5);
    cr_expect_eq(cfg.reports_auto_hide, 5);
    cr_expect_str_eq(cfg.frontend_url, "https://rural24.com.ar", "the trailing slash is dropped");
    cr_expect_eq(cfg.trust_proxy.mode, TRUST_PROXY_HOPS);
    cr_expect_eq(cfg.trust_proxy.hops, 2);
    cr_expect_eq(cfg.log_level, LOG_DEBUG);
    cr_expect_eq(cfg.metrics_interval_s, 60);
    cr_expect_str_eq(cfg.metrics_token, "tok");
    cr_expect_eq(cfg.slow_query_ms, 250);
    cr_expect_eq(cfg.shutdown_delay_s, 5);
    cr_expect_eq(cfg.shutdown_timeout_s, 30);
    cr_expect_eq(cfg.max_connections, 2000);
    cr_expect_eq(cfg.rate_write.limit, 7);
    cr_expect_eq(cfg.rate_write.period_s, 30);
    cr_expect_eq(cfg.warning_count, 0);
}

Test(config, port_bounds_are_inclusive)
{
    cr_assert_eq(LOAD(&cfg, err, {"PORT", "1"}), 0, "%s", err);
    cr_expect_eq(cfg.port, 1);
    cr_assert_eq(LOAD(&cfg, err, {"PORT", "65535"}), 0, "%s", err);
    cr_expect_eq(cfg.port, 65535);
}

Test(config, booleans_accept_the_usual_spellings)
{
    static const char *const yes[] = {"true", "1", "yes"};
    static const char *const no[] = {"false", "0", "no"};
    for (size_t i = 0; i < 3; i++) {
        cr_assert_eq(LOAD(&cfg, err, {"DB_PREPARED_STATEMENTS", no[i]}), 0, "%s", err);
        cr_expect_not(cfg.db_prepared_statements, "%s", no[i]);
        cr_assert_eq(LOAD(&cfg, err, {"REDIS_ENABLED", yes[i]}), 0, "%s", err);
        cr_expect(cfg.redis_enabled, "%s", yes[i]);
    }
}

Test(config, log_levels)
{
    static const struct {
        const char *text;
        log_level_t level;
    } cases[] = {{"debug", LOG_DEBUG},
                 {"info", LOG_INFO},
                 {"warn", LOG_WARN},
                 {"warning", LOG_WARN},
                 {"error", LOG_ERROR}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cr_assert_eq(LOAD(&cfg, err, {"LOG_LEVEL", cases[i].text}), 0, "%s", err);
        cr_expect_eq(cfg.log_level, cases[i].level, "%s", cases[i].text);
    }
}

Test(config, database_url_forms)
{
    static const char *const ok[] = {
        "postgresql://rural24@127.0.0.1:54320/rural24",
        "postgres://u:p@host/db?sslmode=require",
        "host=/tmp dbname=rural24 user=rural24",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        cr_expect_eq(LOAD(&cfg, err, {"DATABASE_URL", ok[i]}), 0, "%s: %s", ok[i], err);
        cr_expect_str_eq(cfg.database_url, ok[i]);
    }
}

/* ---- bad values: -1 and one line that starts with the variable's name ---- */

typedef struct {
    char name[32];
    char value[1200];
} bad_case_t;

static bad_case_t bad(const char *name, const char *value)
{
    bad_case_t c;
    memset(&c, 0, sizeof(c));
    snprintf(c.name, sizeof(c.name), "%s", name);
    snprintf(c.value, sizeof(c.value), "%s", value);
    return c;
}

static char long_host[300];
static char too_many_proxies[1100];

ParameterizedTestParameters(config, bad_value_names_the_variable)
{
    memset(long_host, 'h', sizeof(long_host) - 1);
    /* 33 addresses: one more than CONFIG_MAX_TRUSTED_PROXIES. */
    size_t used = 0;
    for (int i = 0; i < 33; i++)
        used += (size_t)snprintf(too_many_proxies + used, sizeof(too_many_proxies) - used,
                                 "%s10.0.0.%d", i ? "," : "", i + 1);

    static bad_case_t cases[128];
    size_t n = 0;
    /* PORT */
    cases[n++] = bad("PORT", "abc");
    cases[n++] = bad("PORT", "0");
    cases[n++] = bad("PORT", "70000");
    cases[n++] = bad("PORT", "65536");
    cases[n++] = bad("PORT", "-1");
    cases[n++] = bad("PORT", "80x");
    cases[n++] = bad("PORT", " 80");
    cases[n++] = bad("PORT", "80 ");
    cases[n++] = bad("PORT", "3.5");
    cases[n++] = bad("PORT", "0x50");
    cases[n++] = bad("PORT", "99999999999999999999999");
    cases[n++] = bad("HOST", long_host);
    /* enums */
    cases[n++] = bad("APP_ENV", "staging");
    cases[n++] = bad("APP_ENV", "Production");
    cases[n++] = bad("CACHE_TYPE", "disk");
    cases[n++] = bad("CACHE_TYPE", "Memory");
    cases[n++] = bad("RATE_LIMIT_STORE", "hybrid");
    cases[n++] = bad("RATE_LIMIT_STORE", "db");
    cases[n++] = bad("SESSION_STORE", "memory");
    cases[n++] = bad("SESSION_STORE", "jwt");
    cases[n++] = bad("LOG_LEVEL", "verbose");
    cases[n++] = bad("LOG_LEVEL", "INFO");
    /* booleans */
    cases[n++] = bad("REDIS_ENABLED", "on");
    cases[n++] = bad("DB_PREPARED_STATEMENTS", "maybe");
    cases[n++] = bad("RATE_LIMIT_DRY_RUN", "2");
    /* REDIS_URL */
    cases[n++] = bad("REDIS_URL", "http://127.0.0.1:6379");
    cases[n++] = bad("REDIS_URL", "127.0.0.1:6379");
    cases[n++] = bad("REDIS_URL", "redis://");
    cases[n++] = bad("REDIS_URL", "redis://:6379");
    cases[n++] = bad("REDIS_URL", "redis://host:");
    cases[n++] = bad("REDIS_URL", "redis://host:0");
    cases[n++] = bad("REDIS_URL", "redis://host:65536");
    cases[n++] = bad("REDIS_URL", "redis://host:123456");
    cases[n++] = bad("REDIS_URL", "redis://host:abc");
    cases[n++] = bad("REDIS_URL", "redis://host:6379x");
    cases[n++] = bad("REDIS_URL", "redis://host/16");
    cases[n++] = bad("REDIS_URL", "redis://host/-1");
    cases[n++] = bad("REDIS_URL", "redis://host/x");
    cases[n++] = bad("REDIS_URL", "redis://ho st");
    cases[n++] = bad("REDIS_URL", "redis://host?db=1");
    cases[n++] = bad("REDIS_URL", "redis://:pw@");
    /* DATABASE_URL / DATABASE_REPLICA_URL */
    cases[n++] = bad("DATABASE_URL", "mysql://u@h/db");
    cases[n++] = bad("DATABASE_URL", "http://db.internal/rural24");
    cases[n++] = bad("DATABASE_URL", "localhost");
    cases[n++] = bad("DATABASE_URL", "postgresql://u@h/d b");
    cases[n++] = bad("DATABASE_REPLICA_URL", "mongodb://replica/rural24");
    /* integers with ranges */
    cases[n++] = bad("DB_POOL_SIZE", "0");
    cases[n++] = bad("DB_POOL_SIZE", "501");
    cases[n++] = bad("DB_POOL_SIZE", "ten");
    cases[n++] = bad("CACHE_MAX_ENTRIES", "0");
    cases[n++] = bad("ACCESS_TOKEN_TTL_S", "0");
    cases[n++] = bad("ACCESS_TOKEN_TTL_S", "86401");
    cases[n++] = bad("REFRESH_TOKEN_TTL_S", "59");
    cases[n++] = bad("REFRESH_GRACE_S", "301");
    cases[n++] = bad("METRICS_INTERVAL_S", "0");
    cases[n++] = bad("SLOW_QUERY_MS", "-1");
    cases[n++] = bad("SHUTDOWN_DELAY_S", "3601");
    cases[n++] = bad("SHUTDOWN_TIMEOUT_S", "x");
    cases[n++] = bad("MAX_CONNECTIONS", "0");
    cases[n++] = bad("MAX_CONNECTIONS", "1000001");
    cases[n++] = bad("REPORTS_AUTO_HIDE", "0");
    cases[n++] = bad("REPORTS_AUTO_HIDE", "1001");
    cases[n++] = bad("REPORTS_AUTO_HIDE", "three");
    /* USD_ARS_RATE */
    cases[n++] = bad("USD_ARS_RATE", "0");
    cases[n++] = bad("USD_ARS_RATE", "-5");
    cases[n++] = bad("USD_ARS_RATE", "abc");
    cases[n++] = bad("USD_ARS_RATE", "12abc");
    cases[n++] = bad("USD_ARS_RATE", "nan");
    cases[n++] = bad("USD_ARS_RATE", "inf");
    cases[n++] = bad("USD_ARS_RATE", "1e10");
    /* FRONTEND_URL: an origin only */
    cases[n++] = bad("FRONTEND_URL", "https://rural24.com.ar/app");
    cases[n++] = bad("FRONTEND_URL", "https://rural24.com.ar/app/");
    cases[n++] = bad("FRONTEND_URL", "https://rural24.com.ar?x=1");
    cases[n++] = bad("FRONTEND_URL", "https://user@rural24.com.ar");
    cases[n++] = bad("FRONTEND_URL", "rural24.com.ar");
    cases[n++] = bad("FRONTEND_URL", "ftp://rural24.com.ar");
    cases[n++] = bad("FRONTEND_URL", "https://");
    /* TRUST_PROXY */
    cases[n++] = bad("TRUST_PROXY", "yes");
    cases[n++] = bad("TRUST_PROXY", "TRUE");
    cases[n++] = bad("TRUST_PROXY", "33");
    cases[n++] = bad("TRUST_PROXY", "-1");
    cases[n++] = bad("TRUST_PROXY", "10.0.0.0/33");
    cases[n++] = bad("TRUST_PROXY", "10.0.0.0/");
    cases[n++] = bad("TRUST_PROXY", "10.0.0.0/8x");
    cases[n++] = bad("TRUST_PROXY", "300.1.1.1");
    cases[n++] = bad("TRUST_PROXY", "10.0.0.1,proxy.internal");
    cases[n++] = bad("TRUST_PROXY", "::1/129");
    cases[n++] = bad("TRUST_PROXY", ",");
    cases[n++] = bad("TRUST_PROXY", too_many_proxies);
    /* RATE_LIMIT_* specs */
    cases[n++] = bad("RATE_LIMIT_AUTH_IP", "10");
    cases[n++] = bad("RATE_LIMIT_AUTH_IP", "10/");
    cases[n++] = bad("RATE_LIMIT_AUTH_IP", "/60");
    cases[n++] = bad("RATE_LIMIT_AUTH_IP", "0/60");
    cases[n++] = bad("RATE_LIMIT_AUTH_IP", "-1/60");
    cases[n++] = bad("RATE_LIMIT_AUTH_IP", "10/0");
    cases[n++] = bad("RATE_LIMIT_AUTH_IP", "10/86401");
    cases[n++] = bad("RATE_LIMIT_AUTH_IP", "1000001/60");
    cases[n++] = bad("RATE_LIMIT_AUTH_IP", "a/b");
    cases[n++] = bad("RATE_LIMIT_AUTH_IP", "10/60/5");
    cases[n++] = bad("RATE_LIMIT_AUTH_IP", "10 /60");
    cases[n++] = bad("RATE_LIMIT_AUTH_EMAIL", "5 per 900");
    cases[n++] = bad("RATE_LIMIT_WRITE", "x");
    cases[n++] = bad("RATE_LIMIT_READ", "300/");
    cases[n++] = bad("RATE_LIMIT_WS_MESSAGE", "60/60s");
    return cr_make_param_array(bad_case_t, cases, n);
}

ParameterizedTest(bad_case_t *c, config, bad_value_names_the_variable)
{
    env_var_t env[] = {{c->name, c->value}, {NULL, NULL}};
    int rc = config_load(&cfg, table_getenv, env, err, sizeof(err));
    cr_assert_eq(rc, -1, "%s='%s' was accepted", c->name, c->value);
    char prefix[40];
    snprintf(prefix, sizeof(prefix), "%s: ", c->name);
    cr_expect(starts_with(err, prefix), "%s='%s': message '%s' does not start with '%s'", c->name,
              c->value, err, prefix);
    cr_expect_null(strchr(err, '\n'), "the message is one line: '%s'", err);
    cr_expect_gt(strlen(err), strlen(prefix) + 5, "the message says what is wrong: '%s'", err);
}

Test(config, message_quotes_the_bad_value)
{
    cr_assert_eq(LOAD(&cfg, err, {"PORT", "abc"}), -1);
    cr_expect_str_eq(err, "PORT: must be an integer from 1 to 65535, got 'abc'");
    cr_assert_eq(LOAD(&cfg, err, {"CACHE_TYPE", "disk"}), -1);
    cr_expect_str_eq(err, "CACHE_TYPE: must be one of memory, redis, hybrid, got 'disk'");
}

Test(config, message_fits_a_small_buffer)
{
    char small[8];
    memset(small, 'x', sizeof(small));
    env_var_t env[] = {{"PORT", "abc"}, {NULL, NULL}};
    cr_assert_eq(config_load(&cfg, table_getenv, env, small, sizeof(small)), -1);
    cr_assert_not_null(memchr(small, '\0', sizeof(small)), "err is NUL-terminated");
    cr_expect(starts_with(small, "PORT: "), "%s", small);
}

Test(config, first_bad_value_wins)
{
    cr_assert_eq(LOAD(&cfg, err, {"PORT", "abc"}, {"CACHE_TYPE", "disk"}), -1);
    cr_expect(starts_with(err, "PORT: "), "%s", err);
}

/* ---- production rules --------------------------------------------------- */

#define GOOD_SECRET "an-unguessable-production-secret-0123456789"

Test(config, production_requires_jwt_secret)
{
    cr_assert_eq(
        LOAD(&cfg, err, {"APP_ENV", "production"}, {"FRONTEND_URL", "https://rural24.com.ar"}), -1);
    cr_expect(starts_with(err, "JWT_SECRET: "), "%s", err);
}

Test(config, production_refuses_the_default_jwt_secret)
{
    cr_assert_eq(LOAD(&cfg, err, {"APP_ENV", "production"}, {"JWT_SECRET", CONFIG_DEV_JWT_SECRET},
                      {"FRONTEND_URL", "https://rural24.com.ar"}),
                 -1);
    cr_expect(starts_with(err, "JWT_SECRET: "), "%s", err);
}

Test(config, production_refuses_a_short_jwt_secret)
{
    char secret31[32];
    memset(secret31, 's', 31);
    secret31[31] = '\0';
    cr_assert_eq(LOAD(&cfg, err, {"APP_ENV", "production"}, {"JWT_SECRET", secret31},
                      {"FRONTEND_URL", "https://rural24.com.ar"}),
                 -1);
    cr_expect(starts_with(err, "JWT_SECRET: "), "%s", err);

    char secret32[33];
    memset(secret32, 's', 32);
    secret32[32] = '\0';
    cr_expect_eq(LOAD(&cfg, err, {"APP_ENV", "production"}, {"JWT_SECRET", secret32},
                      {"FRONTEND_URL", "https://rural24.com.ar"}),
                 0, "32 bytes are enough: %s", err);
}

Test(config, production_requires_frontend_url)
{
    cr_assert_eq(LOAD(&cfg, err, {"APP_ENV", "production"}, {"JWT_SECRET", GOOD_SECRET}), -1);
    cr_expect(starts_with(err, "FRONTEND_URL: "), "%s", err);
}

Test(config, production_with_everything_set_loads)
{
    cr_assert_eq(LOAD(&cfg, err, {"APP_ENV", "production"}, {"JWT_SECRET", GOOD_SECRET},
                      {"FRONTEND_URL", "https://rural24.com.ar"}),
                 0, "%s", err);
    cr_expect_eq(cfg.app_env, APP_ENV_PRODUCTION);
    cr_expect_str_eq(cfg.jwt_secret, GOOD_SECRET);
}

Test(config, development_and_test_allow_the_defaults)
{
    cr_expect_eq(LOAD(&cfg, err, {"APP_ENV", "development"}), 0, "%s", err);
    cr_expect_str_eq(cfg.jwt_secret, CONFIG_DEV_JWT_SECRET);
    cr_expect_eq(LOAD(&cfg, err, {"APP_ENV", "test"}, {"JWT_SECRET", "short"}), 0, "%s", err);
}

/* ---- the REDIS_ENABLED=false rollback rule ------------------------------ */

Test(config, rollback_cache_hybrid_to_memory)
{
    cr_assert_eq(LOAD(&cfg, err, {"CACHE_TYPE", "hybrid"}), 0, "%s", err);
    cr_expect_eq(cfg.cache_type, CACHE_MEMORY);
    cr_expect_eq(cfg.warning_count, 1);
}

Test(config, rollback_cache_redis_to_memory)
{
    cr_assert_eq(LOAD(&cfg, err, {"REDIS_ENABLED", "false"}, {"CACHE_TYPE", "redis"}), 0, "%s",
                 err);
    cr_expect_eq(cfg.cache_type, CACHE_MEMORY);
    cr_expect_eq(cfg.warning_count, 1);
}

Test(config, rollback_rate_limit_redis_to_memory)
{
    cr_assert_eq(LOAD(&cfg, err, {"REDIS_ENABLED", "false"}, {"RATE_LIMIT_STORE", "redis"}), 0,
                 "%s", err);
    cr_expect_eq(cfg.rate_limit_store, RATE_STORE_MEMORY);
    cr_expect_eq(cfg.warning_count, 1);
}

Test(config, rollback_sessions_redis_to_db)
{
    cr_assert_eq(LOAD(&cfg, err, {"REDIS_ENABLED", "false"}, {"SESSION_STORE", "redis"}), 0, "%s",
                 err);
    cr_expect_eq(cfg.session_store, SESSION_DB, "Redis sessions fall back to db, not stateless");
    cr_expect_eq(cfg.warning_count, 1);
}

Test(config, rollback_of_everything_warns_exactly_once)
{
    cr_assert_eq(LOAD(&cfg, err, {"REDIS_ENABLED", "false"}, {"CACHE_TYPE", "hybrid"},
                      {"RATE_LIMIT_STORE", "redis"}, {"SESSION_STORE", "redis"}),
                 0, "%s", err);
    cr_expect_eq(cfg.cache_type, CACHE_MEMORY);
    cr_expect_eq(cfg.rate_limit_store, RATE_STORE_MEMORY);
    cr_expect_eq(cfg.session_store, SESSION_DB);
    cr_assert_eq(cfg.warning_count, 1);
    cr_expect_not_null(strstr(cfg.warnings[0], "REDIS_ENABLED"), "%s", cfg.warnings[0]);
}

Test(config, no_rollback_warning_when_nothing_changed)
{
    cr_assert_eq(LOAD(&cfg, err, {"REDIS_ENABLED", "false"}, {"CACHE_TYPE", "memory"},
                      {"RATE_LIMIT_STORE", "memory"}, {"SESSION_STORE", "db"}),
                 0, "%s", err);
    cr_expect_eq(cfg.session_store, SESSION_DB);
    cr_expect_eq(cfg.warning_count, 0);
    cr_assert_eq(LOAD(&cfg, err, {"SESSION_STORE", "stateless"}), 0, "%s", err);
    cr_expect_eq(cfg.session_store, SESSION_STATELESS);
    cr_expect_eq(cfg.warning_count, 0);
}

Test(config, redis_enabled_keeps_the_choices)
{
    cr_assert_eq(LOAD(&cfg, err, {"REDIS_ENABLED", "true"}, {"CACHE_TYPE", "redis"},
                      {"RATE_LIMIT_STORE", "redis"}, {"SESSION_STORE", "redis"}),
                 0, "%s", err);
    cr_expect(cfg.redis_enabled);
    cr_expect_eq(cfg.cache_type, CACHE_REDIS);
    cr_expect_eq(cfg.rate_limit_store, RATE_STORE_REDIS);
    cr_expect_eq(cfg.session_store, SESSION_REDIS);
    cr_expect_eq(cfg.warning_count, 0);
}

Test(config, warnings_do_not_survive_a_reload)
{
    cr_assert_eq(LOAD(&cfg, err, {"CACHE_TYPE", "hybrid"}), 0, "%s", err);
    cr_assert_eq(cfg.warning_count, 1);
    cr_assert_eq(LOAD_EMPTY(&cfg, err), 0, "%s", err);
    cr_expect_eq(cfg.warning_count, 0);
}

/* ---- TRUST_PROXY -------------------------------------------------------- */

static netaddr_t addr(const char *text)
{
    netaddr_t a;
    cr_assert_eq(netaddr_parse(text, strlen(text), &a), 0, "%s", text);
    return a;
}

Test(config, trust_proxy_false_true_and_hops)
{
    trust_proxy_t tp;
    cr_assert_eq(config_parse_trust_proxy("false", &tp), 0);
    cr_expect_eq(tp.mode, TRUST_PROXY_NONE);
    cr_assert_eq(config_parse_trust_proxy("true", &tp), 0);
    cr_expect_eq(tp.mode, TRUST_PROXY_ALL);
    cr_assert_eq(config_parse_trust_proxy("0", &tp), 0);
    cr_expect_eq(tp.mode, TRUST_PROXY_NONE, "0 hops trusts nobody");
    cr_assert_eq(config_parse_trust_proxy("1", &tp), 0);
    cr_expect_eq(tp.mode, TRUST_PROXY_HOPS);
    cr_expect_eq(tp.hops, 1);
    cr_assert_eq(config_parse_trust_proxy("32", &tp), 0);
    cr_expect_eq(tp.mode, TRUST_PROXY_HOPS);
    cr_expect_eq(tp.hops, 32);
    cr_expect_eq(config_parse_trust_proxy("33", &tp), -1);
}

Test(config, trust_proxy_list_of_v4_and_v6_cidrs)
{
    trust_proxy_t tp;
    cr_assert_eq(config_parse_trust_proxy("10.0.0.0/8, 192.168.1.1 ,fd00::/8,::1", &tp), 0);
    cr_assert_eq(tp.mode, TRUST_PROXY_LIST);
    cr_assert_eq(tp.range_count, 4);

    netaddr_t a = addr("10.200.3.4");
    cr_expect(netaddr_cidr_contains(&tp.ranges[0], &a));
    a = addr("11.0.0.1");
    cr_expect_not(netaddr_cidr_contains(&tp.ranges[0], &a));
    a = addr("192.168.1.1");
    cr_expect(netaddr_cidr_contains(&tp.ranges[1], &a), "a bare address is a /32");
    a = addr("192.168.1.2");
    cr_expect_not(netaddr_cidr_contains(&tp.ranges[1], &a));
    a = addr("fd12:3456::1");
    cr_expect(netaddr_cidr_contains(&tp.ranges[2], &a));
    a = addr("fe80::1");
    cr_expect_not(netaddr_cidr_contains(&tp.ranges[2], &a));
    a = addr("::1");
    cr_expect(netaddr_cidr_contains(&tp.ranges[3], &a));
    a = addr("::2");
    cr_expect_not(netaddr_cidr_contains(&tp.ranges[3], &a));
    /* An IPv4 range does not swallow IPv6 addresses, nor the reverse. */
    a = addr("::a00:1");
    cr_expect_not(netaddr_cidr_contains(&tp.ranges[0], &a));
}

Test(config, trust_proxy_list_through_config_load)
{
    cr_assert_eq(LOAD(&cfg, err, {"TRUST_PROXY", "127.0.0.1/8,::1"}), 0, "%s", err);
    cr_expect_eq(cfg.trust_proxy.mode, TRUST_PROXY_LIST);
    cr_expect_eq(cfg.trust_proxy.range_count, 2);
    cr_assert_eq(LOAD(&cfg, err, {"TRUST_PROXY", "true"}), 0, "%s", err);
    cr_expect_eq(cfg.trust_proxy.mode, TRUST_PROXY_ALL);
}

Test(config, trust_proxy_list_holds_exactly_the_maximum)
{
    char text[1100];
    size_t used = 0;
    for (int i = 0; i < CONFIG_MAX_TRUSTED_PROXIES; i++)
        used +=
            (size_t)snprintf(text + used, sizeof(text) - used, "%s10.0.%d.0/24", i ? "," : "", i);
    trust_proxy_t tp;
    cr_assert_eq(config_parse_trust_proxy(text, &tp), 0);
    cr_expect_eq(tp.range_count, CONFIG_MAX_TRUSTED_PROXIES);
}

/* ---- rate specs and Redis URLs ------------------------------------------ */

Test(config, rate_spec_bounds)
{
    rate_spec_t r;
    cr_assert_eq(config_parse_rate_spec("10/60", &r), 0);
    cr_expect_eq(r.limit, 10);
    cr_expect_eq(r.period_s, 60);
    cr_assert_eq(config_parse_rate_spec("1/1", &r), 0);
    cr_assert_eq(config_parse_rate_spec("1000000/86400", &r), 0);
    cr_expect_eq(r.limit, 1000000);
    cr_expect_eq(r.period_s, 86400);
    cr_expect_eq(config_parse_rate_spec("1000001/1", &r), -1);
    cr_expect_eq(config_parse_rate_spec("1/86401", &r), -1);
    cr_expect_eq(config_parse_rate_spec("123456789012345678901234567890/1", &r), -1);
}

Test(config, redis_url_forms)
{
    redis_url_t u;
    cr_assert_eq(config_parse_redis_url("redis://cache", &u), 0);
    cr_expect_str_eq(u.host, "cache");
    cr_expect_eq(u.port, 6379);
    cr_expect_eq(u.db, 0);
    cr_expect_str_empty(u.password);

    cr_assert_eq(config_parse_redis_url("redis://my-redis_1.internal:6380/15", &u), 0);
    cr_expect_str_eq(u.host, "my-redis_1.internal");
    cr_expect_eq(u.port, 6380);
    cr_expect_eq(u.db, 15);

    cr_assert_eq(config_parse_redis_url("redis://:pa:ss@10.1.2.3:1/", &u), 0);
    cr_expect_str_eq(u.password, "pa:ss");
    cr_expect_str_eq(u.host, "10.1.2.3");
    cr_expect_eq(u.port, 1);
    cr_expect_eq(u.db, 0);

    cr_assert_eq(config_parse_redis_url("redis://default:pw@cache:65535", &u), 0);
    cr_expect_str_eq(u.password, "pw", "the ACL user name is not the password");
    cr_expect_eq(u.port, 65535);
}

Test(config, enum_names)
{
    cr_expect_str_eq(config_cache_type_name(CACHE_HYBRID), "hybrid");
    cr_expect_str_eq(config_rate_store_name(RATE_STORE_REDIS), "redis");
    cr_expect_str_eq(config_session_store_name(SESSION_DB), "db");
    cr_expect_str_eq(config_app_env_name(APP_ENV_PRODUCTION), "production");
}

/* ---- the http budgets (issue 9) ------------------------------------------ */

Test(config, http_budgets_defaults)
{
    cr_assert_eq(LOAD_EMPTY(&cfg, err), 0, "%s", err);
    cr_expect_eq(cfg.max_connections_per_ip, 256);
    cr_expect_eq(cfg.max_body_memory_bytes, 64 * 1024 * 1024);
    cr_expect_eq(cfg.http_body_min_rate, 500);
    cr_expect_eq(cfg.http_body_rate_window_ms, 10000);
}

Test(config, http_budgets_set)
{
    int rc = LOAD(&cfg, err, {"MAX_CONNECTIONS_PER_IP", "20"}, {"MAX_BODY_MEMORY", "1048576"},
                  {"HTTP_BODY_MIN_RATE", "0"}, {"HTTP_BODY_RATE_WINDOW_MS", "1500"});
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect_eq(cfg.max_connections_per_ip, 20);
    cr_expect_eq(cfg.max_body_memory_bytes, 1048576);
    cr_expect_eq(cfg.http_body_min_rate, 0, "0 turns the rate check off");
    cr_expect_eq(cfg.http_body_rate_window_ms, 1500);
}

Test(config, http_budgets_bad_values_name_the_variable)
{
    static const env_var_t bad_values[][2] = {
        {{"MAX_CONNECTIONS_PER_IP", "0"}, {NULL, NULL}},
        {{"MAX_CONNECTIONS_PER_IP", "many"}, {NULL, NULL}},
        {{"MAX_BODY_MEMORY", "1024"}, {NULL, NULL}},
        {{"MAX_BODY_MEMORY", "64MiB"}, {NULL, NULL}},
        {{"HTTP_BODY_MIN_RATE", "-1"}, {NULL, NULL}},
        {{"HTTP_BODY_RATE_WINDOW_MS", "99"}, {NULL, NULL}},
    };
    for (size_t i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++) {
        cr_expect_eq(config_load(&cfg, table_getenv, (void *)bad_values[i], err, sizeof(err)), -1,
                     "%s=%s", bad_values[i][0].name, bad_values[i][0].value);
        cr_expect(starts_with(err, bad_values[i][0].name), "%s", err);
    }
}
