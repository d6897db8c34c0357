/* Instance heartbeat: each server process announces itself in Redis, and
 * learns how many instances are alive.
 *
 * Every interval_ms this instance runs one Lua script on a sorted set
 * (<key>: member = instance id, score = Redis's clock in ms): add or refresh
 * itself, drop members not seen for ttl_ms, return how many are left. The count
 * is what the rate limiter divides its limits by while Redis is down, so that
 * N instances deciding alone let through about one limit in total, not N. The
 * last count seen is kept through an outage (1 before any was seen).
 *
 * An instance that exits is counted until its entry is older than ttl_ms. */
#ifndef RURAL24_STORE_INSTANCES_H
#define RURAL24_STORE_INSTANCES_H

#include <stdint.h>
#include <uv.h>

#include "redis/redis.h"

typedef struct instances_s instances_t;

typedef struct {
    const char *key;      /* default "rural24:instances" */
    const char *id;       /* default: random hex; copied */
    uint32_t interval_ms; /* default 1000 */
    uint32_t ttl_ms;      /* default 3 x interval */
} instances_options_t;

/* Fills opts with the defaults. */
void instances_options_init(instances_options_t *opts);

/* Starts announcing this instance on redis (borrowed; close this first). The
 * caller owns the result and ends it with instances_close(). Never NULL. */
instances_t *instances_new(uv_loop_t *loop, redis_client_t *redis, const instances_options_t *opts);

/* Stops announcing. The memory goes once the loop has closed the timer and the
 * heartbeat in flight (if any) has completed. NULL is ignored. */
void instances_close(instances_t *instances);

/* Live instances at the last heartbeat answered (>= 1). */
uint32_t instances_live_count(const instances_t *instances);

/* This instance's id (owned by instances). */
const char *instances_id(const instances_t *instances);

#endif
