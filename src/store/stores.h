/* The stores of one server process, built together from the configuration:
 * the Redis client (when REDIS_ENABLED), the instance heartbeat, the cache
 * (CACHE_TYPE) and the rate limiter (RATE_LIMIT_STORE).
 *
 * serve builds one stores_t after the app, puts its handles in app_t, and
 * closes it at shutdown before the loop's last run. */
#ifndef RURAL24_STORE_STORES_H
#define RURAL24_STORE_STORES_H

#include <uv.h>

#include "core/config.h"
#include "redis/redis.h"
#include "store/cache.h"
#include "store/instances.h"
#include "store/ratelimit.h"

typedef struct {
    redis_client_t *redis;  /* NULL when REDIS_ENABLED=false */
    instances_t *instances; /* NULL when REDIS_ENABLED=false */
    cache_t *cache;
    ratelimit_t *ratelimit;
} stores_t;

/* Builds every store on loop from cfg (which must outlive them). The Redis
 * client starts connecting at once; until it is up the Redis stores serve from
 * memory. Cannot fail: a Redis that is down is a state, not an error. */
void stores_open(stores_t *stores, uv_loop_t *loop, const config_t *cfg);

/* Runs the loop until Redis is up or timeout_ms have passed (at start-up,
 * before listening, so that the first requests do not find the Redis stores
 * still connecting and falling back). Returns at once without Redis. */
void stores_wait_ready(stores_t *stores, uv_loop_t *loop, uint32_t timeout_ms);

/* Closes the stores, then the Redis client, and clears stores. Memory is
 * released as the loop runs the handles' close callbacks. Anything else built
 * on stores->redis (the session store, the WebSocket fan-out) must be closed
 * before this: the client goes with it. */
void stores_close(stores_t *stores);

/* For /api/ready (an app_ready_check_fn; ctx is the stores_t): "disabled" when
 * REDIS_ENABLED=false, "ok" while Redis is connected, "down" otherwise. */
const char *stores_redis_ready(void *ctx);

#endif
