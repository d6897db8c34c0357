/* Building and closing the stores of stores.h. */
#include "store/stores.h"

#include "core/clock.h"
#include "core/log.h"

#include <string.h>

void stores_open(stores_t *stores, uv_loop_t *loop, const config_t *cfg)
{
    memset(stores, 0, sizeof(*stores));
    if (cfg->redis_enabled) {
        redis_options_t opts;
        redis_options_init(&opts, cfg->redis.host, cfg->redis.port);
        opts.password = cfg->redis.password;
        opts.db = cfg->redis.db;
        opts.name = "rural24";
        stores->redis = redis_client_new(loop, &opts);
        instances_options_t instance_opts;
        instances_options_init(&instance_opts);
        stores->instances = instances_new(loop, stores->redis, &instance_opts);
    }
    stores->cache = cache_new_from_config(loop, stores->redis, cfg);
    stores->ratelimit = ratelimit_new_from_config(loop, stores->redis, stores->instances, cfg);
    log_info("stores ready", "redis", json_boolean(cfg->redis_enabled), "cache",
             json_string(config_cache_type_name(cfg->cache_type)), "rate_limit_store",
             json_string(config_rate_store_name(cfg->rate_limit_store)), NULL);
}

void stores_wait_ready(stores_t *stores, uv_loop_t *loop, uint32_t timeout_ms)
{
    if (!stores->redis)
        return;
    /* The client's own timers wake the loop at least every 100 ms, so each
     * turn is short and the deadline holds. */
    uint64_t deadline = clock_now_ms() + timeout_ms;
    while (redis_client_state(stores->redis) != REDIS_STATE_UP && clock_now_ms() < deadline)
        uv_run(loop, UV_RUN_ONCE);
}

void stores_close(stores_t *stores)
{
    /* Users of the client first: they stop listening, and their commands in
     * flight complete when the client closes. */
    cache_close(stores->cache);
    ratelimit_close(stores->ratelimit);
    instances_close(stores->instances);
    redis_client_close(stores->redis);
    memset(stores, 0, sizeof(*stores));
}

const char *stores_redis_ready(void *ctx)
{
    const stores_t *stores = ctx;
    if (!stores->redis)
        return "disabled";
    return redis_client_state(stores->redis) == REDIS_STATE_UP ? "ok" : "down";
}
