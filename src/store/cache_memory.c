/* The memory cache store: an LRU (lru.c) in this process.
 *
 * The LRU key of ns/key is the namespace, a NUL, the namespace's current
 * version (8 bytes) and the key bytes, so bumping a namespace's version makes
 * all of its entries unreachable at once; they leave through LRU eviction or
 * the sweep. Versions live in a small table (CACHE_MAX_NAMESPACES names, set
 * by code, not by clients); should it ever fill, a bump of an unlisted
 * namespace clears the whole table instead, which is slow but still correct.
 *
 * A timer sweeps expired entries from the cold end every sweep_interval_ms,
 * so memory held by dead entries is given back without waiting for reads.
 *
 * This store is also the L1 of the hybrid cache and the fallback of the Redis
 * stores, which reach it through its ops and cache__memory_clear(). */
#include "store/cache_backend.h"
#include "store/lru.h"

#include "core/clock.h"
#include "core/xmalloc.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char name[CACHE_MAX_NAMESPACE_BYTES + 1];
    uint64_t version;
} ns_version_t;

typedef struct {
    cache_t base;
    lru_t *lru;
    uv_timer_t sweep_timer;
    ns_version_t *namespaces; /* CACHE_MAX_NAMESPACES slots, allocated on the first bump */
    size_t ns_count;
} cache_memory_t;

enum {
    SWEEP_MAX_STEPS = 1000,
    LRU_KEY_MAX_BYTES = CACHE_MAX_NAMESPACE_BYTES + 1 + 8 + CACHE_MAX_KEY_BYTES,
};

static cache_memory_t *from_cache(cache_t *cache)
{
    return container_of(cache, cache_memory_t, base);
}

static uint64_t ns_version(const cache_memory_t *mem, const char *ns)
{
    for (size_t i = 0; i < mem->ns_count; i++)
        if (strcmp(mem->namespaces[i].name, ns) == 0)
            return mem->namespaces[i].version;
    return 0;
}

/* Builds the LRU key into out (LRU_KEY_MAX_BYTES); returns its length. */
static size_t lru_key(const cache_memory_t *mem, const char *ns, const void *key, size_t key_len,
                      unsigned char *out)
{
    size_t ns_len = strlen(ns);
    uint64_t version = ns_version(mem, ns);
    memcpy(out, ns, ns_len);
    out[ns_len] = '\0';
    memcpy(out + ns_len + 1, &version, sizeof(version));
    if (key_len > 0)
        memcpy(out + ns_len + 1 + sizeof(version), key, key_len);
    return ns_len + 1 + sizeof(version) + key_len;
}

static void mem_get(cache_t *cache, const char *ns, const void *key, size_t key_len,
                    cache__raw_cb cb, void *user_data)
{
    cache_memory_t *mem = from_cache(cache);
    unsigned char k[LRU_KEY_MAX_BYTES];
    size_t k_len = lru_key(mem, ns, key, key_len, k);
    size_t len = 0;
    const void *data = lru_get(mem->lru, k, k_len, clock_now_ms(), &len);
    cb(data, data ? len : 0, user_data);
}

static void mem_set(cache_t *cache, const char *ns, const void *key, size_t key_len,
                    const void *data, size_t len, uint64_t ttl_ms, cache_done_cb done,
                    void *user_data)
{
    cache_memory_t *mem = from_cache(cache);
    unsigned char k[LRU_KEY_MAX_BYTES];
    size_t k_len = lru_key(mem, ns, key, key_len, k);
    uint64_t now = clock_now_ms();
    /* LRU_E_TOOBIG: a value larger than the whole byte bound is not kept (and
     * any older value under the key is gone): nothing else to do. */
    (void)lru_set(mem->lru, k, k_len, data, len, now + ttl_ms, now);
    done(user_data);
}

static void mem_del(cache_t *cache, const char *ns, const void *key, size_t key_len,
                    cache_done_cb done, void *user_data)
{
    cache_memory_t *mem = from_cache(cache);
    unsigned char k[LRU_KEY_MAX_BYTES];
    size_t k_len = lru_key(mem, ns, key, key_len, k);
    lru_delete(mem->lru, k, k_len);
    done(user_data);
}

static void mem_bump(cache_t *cache, const char *ns, cache_done_cb done, void *user_data)
{
    cache_memory_t *mem = from_cache(cache);
    for (size_t i = 0; i < mem->ns_count; i++) {
        if (strcmp(mem->namespaces[i].name, ns) == 0) {
            mem->namespaces[i].version++;
            done(user_data);
            return;
        }
    }
    if (!mem->namespaces)
        mem->namespaces = xcalloc(CACHE_MAX_NAMESPACES, sizeof(*mem->namespaces));
    if (mem->ns_count < CACHE_MAX_NAMESPACES) {
        ns_version_t *slot = &mem->namespaces[mem->ns_count++];
        memcpy(slot->name, ns, strlen(ns) + 1);
        slot->version = 1;
    } else {
        lru_clear(mem->lru);
    }
    done(user_data);
}

static void mem_stats(cache_t *cache, cache_stats_t *out)
{
    cache_memory_t *mem = from_cache(cache);
    lru_stats_t stats;
    lru_get_stats(mem->lru, &stats);
    out->evictions += stats.evictions;
    out->expirations += stats.expirations;
    out->entries += stats.entries;
    out->bytes += stats.bytes;
}

static void on_closed(uv_handle_t *handle)
{
    cache_memory_t *mem = handle->data;
    lru_free(mem->lru);
    free(mem->namespaces);
    free(mem);
}

static void mem_close(cache_t *cache)
{
    cache_memory_t *mem = from_cache(cache);
    uv_close((uv_handle_t *)&mem->sweep_timer, on_closed);
}

static void on_sweep(uv_timer_t *timer)
{
    cache_memory_t *mem = timer->data;
    lru_sweep(mem->lru, clock_now_ms(), SWEEP_MAX_STEPS);
}

static const cache__ops_t memory_ops = {
    .type = "memory",
    .get = mem_get,
    .set = mem_set,
    .del = mem_del,
    .bump = mem_bump,
    .stats = mem_stats,
    .close = mem_close,
};

cache_t *cache_memory_new(uv_loop_t *loop, const cache_options_t *opts)
{
    cache_memory_t *mem = xcalloc(1, sizeof(*mem));
    cache__init(&mem->base, &memory_ops, opts);
    mem->lru = lru_new(opts->max_entries, opts->max_bytes);
    uv_timer_init(loop, &mem->sweep_timer);
    mem->sweep_timer.data = mem;
    uint64_t interval = opts->sweep_interval_ms ? opts->sweep_interval_ms : 1000;
    uv_timer_start(&mem->sweep_timer, on_sweep, interval, interval);
    return &mem->base;
}

void cache__memory_clear(cache_t *cache)
{
    lru_clear(from_cache(cache)->lru);
}
