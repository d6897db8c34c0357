/* Internal to the store layer: what a cache store implements, and the part of
 * cache_t every store shares.
 *
 * cache.c puts a small envelope around every value (when it stops being fresh,
 * for stale-while-revalidate) and does the bookkeeping callers see (hits,
 * misses, single flight). A store only keeps opaque bytes under (namespace, key)
 * for a storage TTL, which already includes the stale window.
 *
 * A store's operations complete exactly once through their callback, possibly
 * before returning; the bytes handed to a cache__raw_cb are borrowed for the
 * duration of the call. Arguments are valid (cache.c checked them). */
#ifndef RURAL24_STORE_CACHE_BACKEND_H
#define RURAL24_STORE_CACHE_BACKEND_H

#include "store/cache.h"

/* data is NULL on a miss; else len bytes valid only during the call. */
typedef void (*cache__raw_cb)(const void *data, size_t len, void *user_data);

typedef struct {
    const char *type;
    void (*get)(cache_t *cache, const char *ns, const void *key, size_t key_len, cache__raw_cb cb,
                void *user_data);
    void (*set)(cache_t *cache, const char *ns, const void *key, size_t key_len, const void *data,
                size_t len, uint64_t ttl_ms, cache_done_cb done, void *user_data);
    void (*del)(cache_t *cache, const char *ns, const void *key, size_t key_len, cache_done_cb done,
                void *user_data);
    void (*bump)(cache_t *cache, const char *ns, cache_done_cb done, void *user_data);
    /* Fills the store's own fields of out (entries, bytes, evictions,
     * expirations, degraded, fallbacks, ...); cache.c fills the rest. */
    void (*stats)(cache_t *cache, cache_stats_t *out);
    /* Releases the store once its handles are closed. No operation is in
     * flight on it any more. */
    void (*close)(cache_t *cache);
} cache__ops_t;

enum { CACHE__FLIGHT_BUCKETS = 256 };

/* The shared head of every store's struct (stores embed it first). */
struct cache_s {
    const cache__ops_t *ops;
    uint64_t stale_max_ms;
    bool closing;
    uint64_t hits, misses, stale_served, loads, coalesced, sets, deletes, bumps;
    /* cache_fetch()'s loads in flight, by (namespace, key). */
    cache_load_t *flights[CACHE__FLIGHT_BUCKETS];
    size_t flight_count;
    unsigned char flight_seed[16];
};

/* Initializes the shared head. */
void cache__init(cache_t *cache, const cache__ops_t *ops, const cache_options_t *opts);

/* Detaches the flights of ns/key (or of every key of ns when every_key) from
 * the table, so that a fetch after an invalidation starts a new load instead
 * of joining one that may have read the old data; their loads still answer
 * their waiters but store nothing. cache_delete(), cache_bump() and the
 * hybrid store's invalidations from other instances call it. */
void cache__forget_flights(cache_t *cache, const char *ns, const void *key, size_t key_len,
                           bool every_key);

/* The bytes of the envelope header in front of every stored value. */
enum { CACHE__ENVELOPE_BYTES = 8 };

/* When a stored value (envelope included) stops being fresh, in wall-clock ms;
 * 0 when data is not an envelope. */
int64_t cache__fresh_until_ms(const void *data, size_t len);

/* True for a namespace cache.c accepts: 1 to CACHE_MAX_NAMESPACE_BYTES of
 * [A-Za-z0-9_.-]. */
bool cache__valid_namespace(const char *ns);

/* Empties a memory cache store (the hybrid L1 after missed invalidations, the
 * Redis fallback when Redis is back). cache must come from cache_memory_new(). */
void cache__memory_clear(cache_t *cache);

#endif
