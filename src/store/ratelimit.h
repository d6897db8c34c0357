/* The rate limiter: one interface over two stores, chosen once from
 * RATE_LIMIT_STORE.
 *
 *   memory  a bounded table in this process (RATE_LIMIT_MAX_KEYS keys, the
 *           least recently used dropped first, expired ones swept), so a spray
 *           of random addresses cannot grow it without bound.
 *   redis   one atomic round trip per check (a Lua script run by SHA), so every
 *           instance shares one limit per key.
 *
 * The algorithm is GCRA (store/gcra.h): a burst of `limit`, then one request
 * per period/limit; never the doubled burst of a fixed window.
 *
 * Classes and their defaults (each overridable by its environment variable,
 * RATE_LIMIT_<CLASS>=N/SECONDS): auth_ip 10/60 s (login and register),
 * auth_email 5/900 s (registrations per email; failed logins per email and
 * address), auth_email_all 100/3600 s (failed logins per email from every
 * address), write 30/60 s, read 300/60 s, ws_message 60/60 s.
 *
 * When Redis fails the redis store falls back to a memory table — neither
 * failing open nor closed — and says so in its stats; each instance then allows
 * its share of the limit, limit / (live instances it last saw announced in
 * Redis, store/instances.h), so an outage does not multiply the quota by the
 * number of instances. It returns to Redis when Redis is back. */
#ifndef RURAL24_STORE_RATELIMIT_H
#define RURAL24_STORE_RATELIMIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/config.h"
#include "redis/redis.h"
#include "store/instances.h"

typedef enum {
    RATE_CLASS_AUTH_IP,
    RATE_CLASS_AUTH_EMAIL,
    RATE_CLASS_AUTH_EMAIL_ALL,
    RATE_CLASS_WRITE,
    RATE_CLASS_READ,
    RATE_CLASS_WS_MESSAGE,
    RATE_CLASS_COUNT
} ratelimit_class_t;

/* "auth_ip", "auth_email", "auth_email_all", "write", "read", "ws_message". */
const char *ratelimit_class_name(ratelimit_class_t cls);

enum {
    RATELIMIT_E_INVALID = -1, /* bad class or key (a programming error) */
    RATELIMIT_MAX_KEY_BYTES = 512,
};

typedef struct ratelimit_s ratelimit_t;

/* A clock for tests: monotonic microseconds. */
typedef int64_t (*ratelimit_clock_fn)(void *clock_data);

typedef struct {
    rate_spec_t classes[RATE_CLASS_COUNT];
    size_t max_keys;            /* memory table bound (RATE_LIMIT_MAX_KEYS) */
    const char *key_prefix;     /* Redis keys; default "rural24:rl:" */
    uint64_t sweep_interval_ms; /* memory table active expiry; default 1000 */
    ratelimit_clock_fn clock;   /* memory store's clock; NULL: the monotonic clock */
    void *clock_data;
} ratelimit_options_t;

/* Fills opts from cfg (NULL: the defaults above, 100000 keys). */
void ratelimit_options_init(ratelimit_options_t *opts, const config_t *cfg);

/* Constructors. The caller owns the limiter and ends it with ratelimit_close();
 * never NULL. Strings in opts are copied. The Redis one borrows redis and
 * instances (which may be NULL: then the fallback allows the whole limit);
 * close the limiter before them. */
ratelimit_t *ratelimit_memory_new(uv_loop_t *loop, const ratelimit_options_t *opts);
ratelimit_t *ratelimit_redis_new(uv_loop_t *loop, redis_client_t *redis, instances_t *instances,
                                 const ratelimit_options_t *opts);

/* The store RATE_LIMIT_STORE names (after the rollback rule). redis may be
 * NULL only for RATE_STORE_MEMORY. */
ratelimit_t *ratelimit_new_from_config(uv_loop_t *loop, redis_client_t *redis,
                                       instances_t *instances, const config_t *cfg);

/* Closes the limiter; call nothing else on it afterwards. Checks in flight on
 * Redis still complete; the memory goes once they have and the loop has closed
 * the limiter's handles. NULL is ignored. */
void ratelimit_close(ratelimit_t *rl);

typedef struct {
    bool allowed;
    uint32_t limit;         /* RateLimit-Limit */
    uint32_t remaining;     /* RateLimit-Remaining: 0 when refused */
    uint32_t reset_s;       /* RateLimit-Reset: seconds until the full limit is back, rounded up */
    uint32_t retry_after_s; /* Retry-After when refused (>= 1, rounded up); 0 when allowed */
} ratelimit_result_t;

/* The decision; result is valid only during the call. */
typedef void (*ratelimit_cb)(const ratelimit_result_t *result, void *user_data);

/* What ratelimit_apply() does with a key. COUNT is the ordinary check. PEEK
 * and CLEAR serve limits that count only some outcomes (failed logins): peek
 * before the work, COUNT once it has failed, CLEAR once it has succeeded. */
typedef enum {
    RATELIMIT_COUNT, /* decide; an allowed request is counted */
    RATELIMIT_PEEK,  /* the decision COUNT would make, counting nothing */
    RATELIMIT_CLEAR, /* forget the key: its whole limit is back (result: allowed, full) */
} ratelimit_op_t;

/* Applies op to key (binary-safe, copied) in class cls. Returns 0 and cb, when
 * not NULL, fires exactly once — before this returns for the memory store,
 * later for Redis; or RATELIMIT_E_INVALID and cb never fires. Operations on
 * one limiter reach the store in call order (one Redis connection), so a
 * COUNT sent without waiting is seen by the next PEEK. Redis trouble never
 * surfaces: the fallback decides. */
int ratelimit_apply(ratelimit_t *rl, ratelimit_class_t cls, ratelimit_op_t op, const void *key,
                    size_t key_len, ratelimit_cb cb, void *user_data);

/* ratelimit_apply(RATELIMIT_COUNT) with a callback (required). */
int ratelimit_check(ratelimit_t *rl, ratelimit_class_t cls, const void *key, size_t key_len,
                    ratelimit_cb cb, void *user_data);

typedef struct {
    const char *type; /* "memory" or "redis" */
    uint64_t checks;
    uint64_t allowed;
    uint64_t refused;
    uint64_t refused_by_class[RATE_CLASS_COUNT];
    uint64_t allowed_by_class[RATE_CLASS_COUNT];
    uint64_t keys; /* keys in the memory table (the fallback's, for redis) */
    uint64_t max_keys;
    uint64_t evictions;       /* live keys dropped to stay within max_keys */
    bool degraded;            /* redis: deciding in memory now */
    uint64_t fallbacks;       /* switches to memory */
    uint64_t recoveries;      /* switches back */
    uint64_t fallback_checks; /* checks decided by the fallback */
    uint64_t redis_errors;
    uint32_t instances; /* live instances last seen (1 without Redis) */
} ratelimit_stats_t;

/* Fills out (for the metrics issue and /api/admin/stats). */
void ratelimit_get_stats(ratelimit_t *rl, ratelimit_stats_t *out);

/* The stats as a JSON object (a new reference the caller owns). */
json_t *ratelimit_stats_json(const ratelimit_stats_t *stats);

#endif
