/* The cache: one interface over three stores, chosen once from CACHE_TYPE.
 *
 *   memory  an LRU in this process (CACHE_MAX_ENTRIES, CACHE_MAX_BYTES), TTLs.
 *   redis   shared by every instance through Redis (namespaced keys, SET PX).
 *   hybrid  a short-TTL memory L1 in front of Redis; deletes and namespace bumps
 *           are published, and every instance drops them from its L1 at once.
 *
 * Callers never know which one they have. Keys live in a namespace ("ad",
 * "search", ...) and are binary-safe bytes; values are binary-safe bytes. A
 * namespace is invalidated as a whole by bumping its version (O(1): old keys
 * become unreachable and age out).
 *
 * Every operation completes through a callback because the Redis ones are
 * asynchronous; the memory ones call it before returning. A callback may start
 * other cache operations. Redis trouble never reaches the caller: while Redis
 * is down, redis and hybrid serve from memory (the switch is logged once and
 * counted), and go back when it returns, replaying the deletes and bumps made
 * meanwhile. A failed read is a miss, never an error.
 *
 * cache_fetch() adds single flight (concurrent misses of one key run the loader
 * once; the others wait for its result) and stale-while-revalidate (an entry
 * just past its TTL is served while one refresh runs). */
#ifndef RURAL24_STORE_CACHE_H
#define RURAL24_STORE_CACHE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/config.h"
#include "redis/redis.h"

typedef struct cache_s cache_t;

enum {
    CACHE_E_INVALID = -1, /* bad namespace or key (a programming error) */
    CACHE_MAX_NAMESPACE_BYTES = 48,
    CACHE_MAX_KEY_BYTES = 4096, /* hash longer keys before caching */
    CACHE_MAX_NAMESPACES = 256,
};

typedef struct {
    size_t max_entries;         /* memory tables: CACHE_MAX_ENTRIES */
    size_t max_bytes;           /* memory tables: CACHE_MAX_BYTES */
    uint64_t stale_max_ms;      /* an entry is kept up to min(ttl, this) past its TTL for
                                   stale-while-revalidate; default 30000, 0 disables */
    const char *key_prefix;     /* Redis keys and channel; default "rural24:cache:" */
    uint64_t l1_ttl_ms;         /* hybrid: L1 lifetime; default 5000 */
    uint64_t sweep_interval_ms; /* memory tables: active expiry period; default 1000 */
} cache_options_t;

/* Fills opts with the defaults above and the bounds of cfg (cfg may be NULL:
 * 10000 entries, 64 MiB). */
void cache_options_init(cache_options_t *opts, const config_t *cfg);

/* Constructors. Each returns a cache the caller owns and ends with
 * cache_close(); never NULL. Strings in opts are copied. The Redis ones borrow
 * redis, which must outlive the cache's use and be closed before it (see
 * cache_close()). */
cache_t *cache_memory_new(uv_loop_t *loop, const cache_options_t *opts);
cache_t *cache_redis_new(uv_loop_t *loop, redis_client_t *redis, const cache_options_t *opts);
cache_t *cache_hybrid_new(uv_loop_t *loop, redis_client_t *redis, const cache_options_t *opts);

/* The store CACHE_TYPE names (after the REDIS_ENABLED rollback rule), with
 * cache_options_init(opts, cfg). redis may be NULL only for CACHE_MEMORY. */
cache_t *cache_new_from_config(uv_loop_t *loop, redis_client_t *redis, const config_t *cfg);

/* Closes the cache; call no other operation on it afterwards. Outstanding
 * cache_fetch() loads may still finish (their waiters are answered; nothing
 * more is stored), and Redis commands in flight still complete (reads as
 * misses); the memory is released once they have and the loop has closed the
 * cache's handles. Close the cache before the Redis client it uses: closing the
 * client completes those commands. NULL is ignored. */
void cache_close(cache_t *cache);

/* A read's result. value is NULL on a miss; otherwise len bytes (followed by a
 * NUL not counted in len) that the callback owns and frees with free() — or
 * hands on, e.g. to http_respond_owned(). */
typedef void (*cache_get_cb)(char *value, size_t len, void *user_data);

/* A write, delete or bump is done: applied to Redis, or to memory while Redis
 * is down. */
typedef void (*cache_done_cb)(void *user_data);

/* Reads ns/key. An entry past its TTL is a miss here (only cache_fetch() serves
 * stale entries). Returns 0 and cb fires once (maybe before this returns), or
 * CACHE_E_INVALID and cb never fires. */
int cache_get(cache_t *cache, const char *ns, const void *key, size_t key_len, cache_get_cb cb,
              void *user_data);

/* Stores a copy of value under ns/key for ttl_ms (> 0). done may be NULL.
 * Returns 0 and done fires once, or CACHE_E_INVALID. A value over the memory
 * byte bound is simply not kept in memory. */
int cache_set(cache_t *cache, const char *ns, const void *key, size_t key_len, const void *value,
              size_t len, uint64_t ttl_ms, cache_done_cb done, void *user_data);

/* Deletes ns/key (on every instance's L1 in hybrid mode). Same contract. */
int cache_delete(cache_t *cache, const char *ns, const void *key, size_t key_len,
                 cache_done_cb done, void *user_data);

/* Invalidates every key of ns at once by bumping its version. Same contract. */
int cache_bump(cache_t *cache, const char *ns, cache_done_cb done, void *user_data);

/* ---- single flight and stale-while-revalidate ---- */

typedef struct cache_load_s cache_load_t;

/* Produces the value for a key cache_fetch() did not find. It must end with
 * exactly one cache_load_done() on this load, now or later from a callback. */
typedef void (*cache_loader_fn)(cache_load_t *load, void *loader_data);

/* Hands the loaded value to every waiter and stores it (status 0; value copied;
 * len may be 0), or passes the loader's own negative error status to every
 * waiter and stores nothing (value ignored). */
void cache_load_done(cache_load_t *load, int status, const void *value, size_t len);

/* A fetch's result: status 0 with value as in cache_get_cb (owned by the
 * callback, never NULL on 0), or the loader's negative status with value NULL. */
typedef void (*cache_fetch_cb)(int status, char *value, size_t len, void *user_data);

/* Reads ns/key; on a miss runs loader once for all concurrent fetches of this
 * key and stores its value for ttl_ms. An entry past its TTL but within its
 * stale window is answered at once while one refresh runs in the background.
 * Only the first concurrent caller's loader and loader_data are used. The
 * loader is called before that caller's cb fires, so loader_data need only be
 * valid until the loader is called: a loader that outlives its caller (a stale
 * answer goes out while the refresh runs) copies what it needs then. Returns 0
 * and cb fires once, or CACHE_E_INVALID and neither cb nor loader is called. */
int cache_fetch(cache_t *cache, const char *ns, const void *key, size_t key_len, uint64_t ttl_ms,
                cache_loader_fn loader, void *loader_data, cache_fetch_cb cb, void *user_data);

/* ---- stats ---- */

typedef struct {
    const char *type; /* "memory", "redis" or "hybrid" */
    uint64_t hits;    /* reads answered from the cache */
    uint64_t misses;
    double hit_rate;       /* hits / (hits + misses); 0 before any read */
    uint64_t stale_served; /* fetches answered with a stale entry */
    uint64_t loads;        /* loader runs */
    uint64_t coalesced;    /* fetches that waited for another's load */
    uint64_t sets, deletes, bumps;
    uint64_t evictions;   /* memory tables: live entries dropped for room */
    uint64_t expirations; /* memory tables: entries dropped at their TTL */
    uint64_t entries;     /* memory tables (the L1 and fallback for redis/hybrid) */
    uint64_t bytes;
    bool degraded;                   /* redis/hybrid: serving from memory now */
    uint64_t fallbacks;              /* switches to memory */
    uint64_t recoveries;             /* switches back to Redis */
    uint64_t redis_errors;           /* Redis operations that failed */
    uint64_t l1_hits;                /* hybrid: reads answered by the L1 */
    uint64_t invalidations_received; /* hybrid: deletes and bumps from other instances */
} cache_stats_t;

/* Fills out (the metrics issue reads it; /api/admin/stats shows it). */
void cache_get_stats(cache_t *cache, cache_stats_t *out);

/* The stats as a JSON object (a new reference the caller owns). */
json_t *cache_stats_json(const cache_stats_t *stats);

#endif
