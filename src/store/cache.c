/* The store-independent half of the cache: argument checks, the value
 * envelope, hit/miss accounting, and dispatch to the store chosen at start-up.
 *
 * Every stored value carries an 8-byte header: the wall-clock millisecond at
 * which it stops being fresh (big-endian). Stores keep it for the TTL plus a
 * stale window, so cache_fetch() can still find a just-expired entry and serve
 * it while one refresh runs; cache_get() treats such an entry as a miss. Wall
 * clock rather than monotonic time because the header travels through Redis to
 * other instances. */
#include "store/cache.h"
#include "store/cache_backend.h"

#include "core/clock.h"
#include "core/xmalloc.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

void cache_options_init(cache_options_t *opts, const config_t *cfg)
{
    memset(opts, 0, sizeof(*opts));
    opts->max_entries = cfg ? (size_t)cfg->cache_max_entries : 10000;
    opts->max_bytes = cfg ? (size_t)cfg->cache_max_bytes : 64u * 1024 * 1024;
    opts->stale_max_ms = 30000;
    opts->key_prefix = "rural24:cache:";
    opts->l1_ttl_ms = 5000;
    opts->sweep_interval_ms = 1000;
}

cache_t *cache_new_from_config(uv_loop_t *loop, redis_client_t *redis, const config_t *cfg)
{
    cache_options_t opts;
    cache_options_init(&opts, cfg);
    switch (cfg->cache_type) {
    case CACHE_REDIS:
        if (redis)
            return cache_redis_new(loop, redis, &opts);
        break;
    case CACHE_HYBRID:
        if (redis)
            return cache_hybrid_new(loop, redis, &opts);
        break;
    case CACHE_MEMORY:
        break;
    }
    return cache_memory_new(loop, &opts);
}

void cache__init(cache_t *cache, const cache__ops_t *ops, const cache_options_t *opts)
{
    memset(cache, 0, sizeof(*cache));
    cache->ops = ops;
    cache->stale_max_ms = opts->stale_max_ms;
    if (getrandom(cache->flight_seed, sizeof(cache->flight_seed), GRND_NONBLOCK) !=
        (ssize_t)sizeof(cache->flight_seed)) {
        uintptr_t self = (uintptr_t)cache;
        memcpy(cache->flight_seed, &self, sizeof(self));
    }
}

bool cache__valid_namespace(const char *ns)
{
    size_t len = 0;
    for (const char *p = ns; *p; p++, len++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
        if (!ok || len >= CACHE_MAX_NAMESPACE_BYTES)
            return false;
    }
    return len > 0;
}

static bool valid_args(const char *ns, const void *key, size_t key_len)
{
    return ns && cache__valid_namespace(ns) && (key || key_len == 0) &&
           key_len <= CACHE_MAX_KEY_BYTES;
}

int64_t cache__fresh_until_ms(const void *data, size_t len)
{
    if (!data || len < CACHE__ENVELOPE_BYTES)
        return 0;
    const unsigned char *p = data;
    uint64_t v = 0;
    for (int i = 0; i < CACHE__ENVELOPE_BYTES; i++)
        v = (v << 8) | p[i];
    return (int64_t)v;
}

/* ---- reads ---- */

typedef struct {
    cache_t *cache;
    cache_get_cb cb;
    void *user_data;
} get_ctx_t;

static void on_raw_get(const void *data, size_t len, void *user_data)
{
    get_ctx_t ctx = *(get_ctx_t *)user_data;
    free(user_data);
    int64_t fresh_until = cache__fresh_until_ms(data, len);
    if (fresh_until == 0 || clock_wall_ms() >= fresh_until) {
        ctx.cache->misses++;
        ctx.cb(NULL, 0, ctx.user_data);
        return;
    }
    ctx.cache->hits++;
    size_t value_len = len - CACHE__ENVELOPE_BYTES;
    char *value = xmalloc(value_len + 1);
    memcpy(value, (const char *)data + CACHE__ENVELOPE_BYTES, value_len);
    value[value_len] = '\0';
    ctx.cb(value, value_len, ctx.user_data);
}

int cache_get(cache_t *cache, const char *ns, const void *key, size_t key_len, cache_get_cb cb,
              void *user_data)
{
    if (!cb || !valid_args(ns, key, key_len))
        return CACHE_E_INVALID;
    get_ctx_t *ctx = xmalloc(sizeof(*ctx));
    ctx->cache = cache;
    ctx->cb = cb;
    ctx->user_data = user_data;
    cache->ops->get(cache, ns, key, key_len, on_raw_get, ctx);
    return 0;
}

/* ---- writes ---- */

static void noop_done(void *user_data)
{
    (void)user_data;
}

int cache_set(cache_t *cache, const char *ns, const void *key, size_t key_len, const void *value,
              size_t len, uint64_t ttl_ms, cache_done_cb done, void *user_data)
{
    if (!valid_args(ns, key, key_len) || (!value && len > 0) || ttl_ms == 0)
        return CACHE_E_INVALID;
    uint64_t stale_ms = ttl_ms < cache->stale_max_ms ? ttl_ms : cache->stale_max_ms;
    uint64_t fresh_until = (uint64_t)clock_wall_ms() + ttl_ms;
    size_t stored_len = CACHE__ENVELOPE_BYTES + len;
    unsigned char *stored = xmalloc(stored_len);
    for (int i = CACHE__ENVELOPE_BYTES - 1; i >= 0; i--) {
        stored[i] = (unsigned char)(fresh_until & 0xff);
        fresh_until >>= 8;
    }
    if (len > 0)
        memcpy(stored + CACHE__ENVELOPE_BYTES, value, len);
    cache->sets++;
    /* Stores copy what they keep before returning. */
    cache->ops->set(cache, ns, key, key_len, stored, stored_len, ttl_ms + stale_ms,
                    done ? done : noop_done, user_data);
    free(stored);
    return 0;
}

int cache_delete(cache_t *cache, const char *ns, const void *key, size_t key_len,
                 cache_done_cb done, void *user_data)
{
    if (!valid_args(ns, key, key_len))
        return CACHE_E_INVALID;
    cache->deletes++;
    cache__forget_flights(cache, ns, key, key_len, false);
    cache->ops->del(cache, ns, key, key_len, done ? done : noop_done, user_data);
    return 0;
}

int cache_bump(cache_t *cache, const char *ns, cache_done_cb done, void *user_data)
{
    if (!ns || !cache__valid_namespace(ns))
        return CACHE_E_INVALID;
    cache->bumps++;
    cache__forget_flights(cache, ns, NULL, 0, true);
    cache->ops->bump(cache, ns, done ? done : noop_done, user_data);
    return 0;
}

/* ---- stats and closing ---- */

void cache_get_stats(cache_t *cache, cache_stats_t *out)
{
    memset(out, 0, sizeof(*out));
    cache->ops->stats(cache, out);
    out->type = cache->ops->type;
    out->hits = cache->hits;
    out->misses = cache->misses;
    out->hit_rate = cache->hits + cache->misses > 0
                        ? (double)cache->hits / (double)(cache->hits + cache->misses)
                        : 0.0;
    out->stale_served = cache->stale_served;
    out->loads = cache->loads;
    out->coalesced = cache->coalesced;
    out->sets = cache->sets;
    out->deletes = cache->deletes;
    out->bumps = cache->bumps;
}

json_t *cache_stats_json(const cache_stats_t *s)
{
    json_t *json = json_object();
    json_object_set_new(json, "type", json_string(s->type));
    json_object_set_new(json, "hits", json_integer((json_int_t)s->hits));
    json_object_set_new(json, "misses", json_integer((json_int_t)s->misses));
    json_object_set_new(json, "hit_rate", json_real(s->hit_rate));
    json_object_set_new(json, "stale_served", json_integer((json_int_t)s->stale_served));
    json_object_set_new(json, "loads", json_integer((json_int_t)s->loads));
    json_object_set_new(json, "coalesced", json_integer((json_int_t)s->coalesced));
    json_object_set_new(json, "sets", json_integer((json_int_t)s->sets));
    json_object_set_new(json, "deletes", json_integer((json_int_t)s->deletes));
    json_object_set_new(json, "bumps", json_integer((json_int_t)s->bumps));
    json_object_set_new(json, "evictions", json_integer((json_int_t)s->evictions));
    json_object_set_new(json, "expirations", json_integer((json_int_t)s->expirations));
    json_object_set_new(json, "entries", json_integer((json_int_t)s->entries));
    json_object_set_new(json, "bytes", json_integer((json_int_t)s->bytes));
    json_object_set_new(json, "degraded", json_boolean(s->degraded));
    json_object_set_new(json, "fallbacks", json_integer((json_int_t)s->fallbacks));
    json_object_set_new(json, "recoveries", json_integer((json_int_t)s->recoveries));
    json_object_set_new(json, "redis_errors", json_integer((json_int_t)s->redis_errors));
    json_object_set_new(json, "l1_hits", json_integer((json_int_t)s->l1_hits));
    json_object_set_new(json, "invalidations_received",
                        json_integer((json_int_t)s->invalidations_received));
    return json;
}

void cache_close(cache_t *cache)
{
    if (!cache || cache->closing)
        return;
    cache->closing = true;
    /* Loads still out hold the cache; the last one to finish closes it
     * (cache_fetch.c). */
    if (cache->flight_count == 0)
        cache->ops->close(cache);
}
