/* cache_fetch(): single flight and stale-while-revalidate over any cache store.
 *
 * A flight is one read-then-maybe-load of one (namespace, key). The first fetch
 * of a key creates it and reads the store; fetches of the same key arriving
 * meanwhile join it as waiters instead of reading or loading again. When the
 * read finds:
 *   - a fresh entry: every waiter gets it; the flight ends;
 *   - a stale one (past its TTL, within its stale window): the loader starts
 *     once to refresh the entry, then every waiter gets the stale value at
 *     once; the flight keeps a copy for fetches that arrive during the
 *     refresh;
 *   - nothing: the loader runs once; its result goes to every waiter and into
 *     the store.
 * So a popular key that expires costs one load, not one per request.
 *
 * The loader is always called before the first waiter is answered: a loader
 * whose data belongs to the first caller (a request answered by its waiter
 * callback) can copy what it needs when it is called.
 *
 * The flight leaves the table before its waiters are answered, so a callback
 * that fetches the same key again starts a new flight rather than joining one
 * that is finishing. An invalidation of its key (or namespace) also takes it
 * out of the table, and its load is then not stored: a writer whose change
 * was invalidated before it was answered never joins a load that started
 * before the change. (With a read replica, a load started after it by
 * someone else may still read a replica that lags, as before single flight:
 * such a value lives at most its TTL.) */
#include "store/cache.h"
#include "store/cache_backend.h"

#include "core/clock.h"
#include "core/xmalloc.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

typedef struct waiter_s waiter_t;

struct waiter_s {
    waiter_t *next;
    cache_fetch_cb cb;
    void *user_data;
};

/* The flight; cache_load_t is what loaders see of it. */
struct cache_load_s {
    cache_load_t *chain_next;
    cache_t *cache;
    uint64_t hash;
    uint64_t ttl_ms;
    cache_loader_fn loader;
    void *loader_data;
    waiter_t *waiters;
    waiter_t **waiters_tail;
    char *stale; /* a stale value being served during the refresh */
    size_t stale_len;
    bool in_table;
    bool loading;     /* the read missed; the loader runs */
    bool invalidated; /* a delete or bump came meanwhile: the load is not stored */
    size_t ns_len;    /* the name is ns, '\0', key */
    size_t name_len;
    unsigned char name[];
};

enum { NAME_MAX_BYTES = CACHE_MAX_NAMESPACE_BYTES + 1 + CACHE_MAX_KEY_BYTES };

static uint64_t hash_name(const cache_t *cache, const unsigned char *name, size_t len)
{
    unsigned char out[crypto_shorthash_BYTES];
    crypto_shorthash(out, name, len, cache->flight_seed);
    uint64_t h;
    memcpy(&h, out, sizeof(h));
    return h;
}

static cache_load_t *find(cache_t *cache, uint64_t hash, const unsigned char *name, size_t len)
{
    for (cache_load_t *f = cache->flights[hash % CACHE__FLIGHT_BUCKETS]; f; f = f->chain_next)
        if (f->hash == hash && f->name_len == len && memcmp(f->name, name, len) == 0)
            return f;
    return NULL;
}

static void table_remove(cache_load_t *f)
{
    if (!f->in_table)
        return;
    cache_load_t **link = &f->cache->flights[f->hash % CACHE__FLIGHT_BUCKETS];
    while (*link != f)
        link = &(*link)->chain_next;
    *link = f->chain_next;
    f->in_table = false;
}

static const char *flight_ns(const cache_load_t *f)
{
    return (const char *)f->name;
}

static const unsigned char *flight_key(const cache_load_t *f, size_t *key_len)
{
    *key_len = f->name_len - f->ns_len - 1;
    return f->name + f->ns_len + 1;
}

static char *copy_value(const void *value, size_t len)
{
    char *copy = xmalloc(len + 1);
    if (len > 0)
        memcpy(copy, value, len);
    copy[len] = '\0';
    return copy;
}

/* Answers the waiters of list w and frees them. */
static void answer_list(waiter_t *w, int status, const void *value, size_t len)
{
    while (w) {
        waiter_t *next = w->next;
        if (status == 0)
            w->cb(0, copy_value(value, len), len, w->user_data);
        else
            w->cb(status, NULL, 0, w->user_data);
        free(w);
        w = next;
    }
}

/* Takes the waiters out of f (callbacks may add waiters to a flight still in
 * the table) and returns them. */
static waiter_t *detach_waiters(cache_load_t *f)
{
    waiter_t *w = f->waiters;
    f->waiters = NULL;
    f->waiters_tail = &f->waiters;
    return w;
}

/* Answers every waiter and empties the list. */
static void answer_all(cache_load_t *f, int status, const void *value, size_t len)
{
    answer_list(detach_waiters(f), status, value, len);
}

static void flight_free(cache_load_t *f)
{
    cache_t *cache = f->cache;
    free(f->stale);
    free(f);
    cache->flight_count--;
    if (cache->closing && cache->flight_count == 0)
        cache->ops->close(cache);
}

static size_t waiter_count(const cache_load_t *f)
{
    size_t n = 0;
    for (const waiter_t *w = f->waiters; w; w = w->next)
        n++;
    return n;
}

static void on_flight_read(const void *data, size_t len, void *user_data)
{
    cache_load_t *f = user_data;
    cache_t *cache = f->cache;
    int64_t fresh_until = cache__fresh_until_ms(data, len);
    size_t waiting = waiter_count(f);

    if (fresh_until != 0 && clock_wall_ms() < fresh_until) {
        cache->hits += waiting;
        table_remove(f);
        answer_all(f, 0, (const char *)data + CACHE__ENVELOPE_BYTES, len - CACHE__ENVELOPE_BYTES);
        flight_free(f);
        return;
    }
    if (fresh_until != 0) {
        /* Stale: keep a copy for the fetches that arrive while the one refresh
         * runs (the borrowed data is copied before any callback can touch the
         * store), start the refresh, then answer the waiters so far from a
         * copy of their own: the loader may finish at once and free f. */
        cache->hits += waiting;
        cache->stale_served += waiting;
        f->stale_len = len - CACHE__ENVELOPE_BYTES;
        f->stale = copy_value((const char *)data + CACHE__ENVELOPE_BYTES, f->stale_len);
        size_t stale_len = f->stale_len;
        char *stale = copy_value(f->stale, stale_len);
        waiter_t *waiters = detach_waiters(f);
        cache->loads++;
        f->loading = true;
        f->loader(f, f->loader_data);
        answer_list(waiters, 0, stale, stale_len);
        free(stale);
        return;
    }
    cache->misses += waiting;
    cache->loads++;
    f->loading = true;
    /* The loader may finish at once (and free f): nothing after this call. */
    f->loader(f, f->loader_data);
}

void cache_load_done(cache_load_t *load, int status, const void *value, size_t len)
{
    cache_t *cache = load->cache;
    table_remove(load);
    if (status == 0) {
        if (!cache->closing && !load->invalidated) {
            size_t key_len;
            const unsigned char *key = flight_key(load, &key_len);
            cache_set(cache, flight_ns(load), key, key_len, value, len, load->ttl_ms, NULL, NULL);
        }
        answer_all(load, 0, value, len);
    } else {
        /* A failed refresh leaves the stale entry in place for the next try. */
        answer_all(load, status < 0 ? status : -1, NULL, 0);
    }
    flight_free(load);
}

void cache__forget_flights(cache_t *cache, const char *ns, const void *key, size_t key_len,
                           bool every_key)
{
    if (cache->flight_count == 0)
        return;
    size_t ns_len = strlen(ns);
    for (size_t b = 0; b < CACHE__FLIGHT_BUCKETS; b++) {
        cache_load_t **link = &cache->flights[b];
        while (*link != NULL) {
            cache_load_t *f = *link;
            size_t f_key_len;
            const unsigned char *f_key = flight_key(f, &f_key_len);
            bool match = f->ns_len == ns_len && memcmp(f->name, ns, ns_len) == 0 &&
                         (every_key || (f_key_len == key_len && memcmp(f_key, key, key_len) == 0));
            if (!match) {
                link = &f->chain_next;
                continue;
            }
            *link = f->chain_next;
            f->in_table = false;
            f->invalidated = true;
        }
    }
}

static void add_waiter(cache_load_t *f, cache_fetch_cb cb, void *user_data)
{
    waiter_t *w = xmalloc(sizeof(*w));
    w->next = NULL;
    w->cb = cb;
    w->user_data = user_data;
    *f->waiters_tail = w;
    f->waiters_tail = &w->next;
}

int cache_fetch(cache_t *cache, const char *ns, const void *key, size_t key_len, uint64_t ttl_ms,
                cache_loader_fn loader, void *loader_data, cache_fetch_cb cb, void *user_data)
{
    if (!ns || !cache__valid_namespace(ns) || (!key && key_len > 0) ||
        key_len > CACHE_MAX_KEY_BYTES || ttl_ms == 0 || !loader || !cb)
        return CACHE_E_INVALID;

    unsigned char name[NAME_MAX_BYTES];
    size_t ns_len = strlen(ns);
    memcpy(name, ns, ns_len);
    name[ns_len] = '\0';
    if (key_len > 0)
        memcpy(name + ns_len + 1, key, key_len);
    size_t name_len = ns_len + 1 + key_len;
    uint64_t hash = hash_name(cache, name, name_len);

    cache_load_t *f = find(cache, hash, name, name_len);
    if (f && f->stale) {
        cache->hits++;
        cache->stale_served++;
        cb(0, copy_value(f->stale, f->stale_len), f->stale_len, user_data);
        return 0;
    }
    if (f) {
        /* A waiter that joins before the read is back is counted with the
         * read's outcome; one that joins during the load missed. */
        cache->coalesced++;
        if (f->loading)
            cache->misses++;
        add_waiter(f, cb, user_data);
        return 0;
    }

    f = xcalloc(1, sizeof(*f) + name_len);
    f->cache = cache;
    f->hash = hash;
    f->ttl_ms = ttl_ms;
    f->loader = loader;
    f->loader_data = loader_data;
    f->waiters_tail = &f->waiters;
    f->ns_len = ns_len;
    f->name_len = name_len;
    memcpy(f->name, name, name_len);
    cache_load_t **bucket = &cache->flights[hash % CACHE__FLIGHT_BUCKETS];
    f->chain_next = *bucket;
    *bucket = f;
    f->in_table = true;
    cache->flight_count++;
    add_waiter(f, cb, user_data);
    cache->ops->get(cache, ns, key, key_len, on_flight_read, f);
    return 0;
}
