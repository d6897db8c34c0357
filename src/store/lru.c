/* The LRU table of lru.h.
 *
 * Each entry is one allocation: a header, then the key bytes, then the value
 * bytes. The header sits on two intrusive lists at once: its hash bucket's
 * chain (singly linked) and the recency list (doubly linked, most recent at
 * head). A lookup hashes the key with SipHash-2-4 (libsodium's
 * crypto_shorthash) under a per-table random seed, walks one chain, and splices
 * the entry to the head; an eviction pops the tail. Buckets double when entries
 * outnumber them, so chains stay short. */
#include "store/lru.h"

#include "core/xmalloc.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

typedef struct lru_entry_s lru_entry_t;

struct lru_entry_s {
    lru_entry_t *chain_next; /* next in the same bucket */
    lru_entry_t *newer;      /* towards the head of the recency list */
    lru_entry_t *older;      /* towards the tail */
    uint64_t hash;
    uint64_t expires_at_ms; /* 0: never */
    uint32_t key_len;
    uint32_t value_len;
    size_t value_capacity; /* bytes allocated for the value, >= value_len */
    unsigned char data[];  /* key, padding to 8 bytes, then value */
};

struct lru_s {
    lru_entry_t **buckets;
    size_t bucket_mask; /* bucket count - 1 (a power of two) */
    lru_entry_t *head;  /* most recently used */
    lru_entry_t *tail;  /* least recently used */
    size_t max_entries;
    size_t max_bytes;
    unsigned char seed[crypto_shorthash_KEYBYTES];
    lru_stats_t stats;
};

enum { LRU_INITIAL_BUCKETS = 16 };

static uint64_t hash_key(const lru_t *lru, const void *key, size_t key_len)
{
    unsigned char out[crypto_shorthash_BYTES];
    crypto_shorthash(out, key, key_len, lru->seed);
    uint64_t h;
    memcpy(&h, out, sizeof(h));
    return h;
}

static unsigned char *entry_key(lru_entry_t *e)
{
    return e->data;
}

/* The value starts 8-aligned, so that a caller may keep an integer there and
 * update it in place. */
static size_t value_offset(size_t key_len)
{
    return (key_len + 7) & ~(size_t)7;
}

static unsigned char *entry_value(lru_entry_t *e)
{
    return e->data + value_offset(e->key_len);
}

size_t lru_entry_cost(size_t key_len, size_t value_len)
{
    return sizeof(lru_entry_t) + value_offset(key_len) + value_len;
}

static size_t cost_of(const lru_entry_t *e)
{
    return lru_entry_cost(e->key_len, e->value_capacity);
}

lru_t *lru_new(size_t max_entries, size_t max_bytes)
{
    lru_t *lru = xcalloc(1, sizeof(*lru));
    lru->max_entries = max_entries > 0 ? max_entries : 1;
    lru->max_bytes = max_bytes;
    lru->buckets = xcalloc(LRU_INITIAL_BUCKETS, sizeof(*lru->buckets));
    lru->bucket_mask = LRU_INITIAL_BUCKETS - 1;
    /* A seed nobody outside can guess; should the kernel refuse, a weaker seed
     * still gives a working table. */
    if (getrandom(lru->seed, sizeof(lru->seed), GRND_NONBLOCK) != (ssize_t)sizeof(lru->seed)) {
        uintptr_t self = (uintptr_t)lru;
        memcpy(lru->seed, &self, sizeof(self));
    }
    return lru;
}

static void list_unlink(lru_t *lru, lru_entry_t *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        lru->head = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        lru->tail = e->newer;
    e->newer = e->older = NULL;
}

static void list_push_head(lru_t *lru, lru_entry_t *e)
{
    e->newer = NULL;
    e->older = lru->head;
    if (lru->head)
        lru->head->newer = e;
    lru->head = e;
    if (!lru->tail)
        lru->tail = e;
}

/* Finds the entry for key; *link_out receives the pointer that points at it,
 * for unlinking from the chain. */
static lru_entry_t *find(lru_t *lru, const void *key, size_t key_len, uint64_t hash,
                         lru_entry_t ***link_out)
{
    lru_entry_t **link = &lru->buckets[hash & lru->bucket_mask];
    for (lru_entry_t *e = *link; e; link = &e->chain_next, e = *link) {
        if (e->hash == hash && e->key_len == key_len && memcmp(entry_key(e), key, key_len) == 0) {
            if (link_out)
                *link_out = link;
            return e;
        }
    }
    return NULL;
}

/* Unlinks e from its chain and the recency list, and frees it. */
static void remove_entry(lru_t *lru, lru_entry_t *e)
{
    lru_entry_t **link = &lru->buckets[e->hash & lru->bucket_mask];
    while (*link != e)
        link = &(*link)->chain_next;
    *link = e->chain_next;
    list_unlink(lru, e);
    lru->stats.entries--;
    lru->stats.bytes -= cost_of(e);
    free(e);
}

static bool is_expired(const lru_entry_t *e, uint64_t now_ms)
{
    return e->expires_at_ms != 0 && e->expires_at_ms <= now_ms;
}

static void grow(lru_t *lru)
{
    size_t old_count = lru->bucket_mask + 1;
    size_t new_count = old_count * 2;
    lru_entry_t **buckets = xcalloc(new_count, sizeof(*buckets));
    for (size_t i = 0; i < old_count; i++) {
        lru_entry_t *e = lru->buckets[i];
        while (e) {
            lru_entry_t *next = e->chain_next;
            size_t b = e->hash & (new_count - 1);
            e->chain_next = buckets[b];
            buckets[b] = e;
            e = next;
        }
    }
    free(lru->buckets);
    lru->buckets = buckets;
    lru->bucket_mask = new_count - 1;
}

void lru_free(lru_t *lru)
{
    if (!lru)
        return;
    lru_entry_t *e = lru->head;
    while (e) {
        lru_entry_t *next = e->older;
        free(e);
        e = next;
    }
    free(lru->buckets);
    free(lru);
}

void *lru_get(lru_t *lru, const void *key, size_t key_len, uint64_t now_ms, size_t *value_len)
{
    lru_entry_t *e = find(lru, key, key_len, hash_key(lru, key, key_len), NULL);
    if (e && is_expired(e, now_ms)) {
        remove_entry(lru, e);
        lru->stats.expirations++;
        e = NULL;
    }
    if (!e) {
        lru->stats.misses++;
        return NULL;
    }
    lru->stats.hits++;
    if (lru->head != e) {
        list_unlink(lru, e);
        list_push_head(lru, e);
    }
    if (value_len)
        *value_len = e->value_len;
    return entry_value(e);
}

/* Drops entries from the cold end until `need_bytes` more bytes and one more
 * entry fit. The entry `keep` (being updated in place) is never dropped. */
static void make_room(lru_t *lru, size_t need_bytes, lru_entry_t *keep, uint64_t now_ms)
{
    while (lru->tail && (lru->stats.entries + (keep ? 0 : 1) > lru->max_entries ||
                         lru->stats.bytes + need_bytes > lru->max_bytes)) {
        lru_entry_t *victim = lru->tail;
        if (victim == keep) {
            victim = victim->newer;
            if (!victim)
                return;
        }
        if (is_expired(victim, now_ms))
            lru->stats.expirations++;
        else
            lru->stats.evictions++;
        remove_entry(lru, victim);
    }
}

int lru_set(lru_t *lru, const void *key, size_t key_len, const void *value, size_t value_len,
            uint64_t expires_at_ms, uint64_t now_ms)
{
    uint64_t hash = hash_key(lru, key, key_len);
    lru_entry_t *e = find(lru, key, key_len, hash, NULL);
    size_t cost = lru_entry_cost(key_len, value_len);
    if (cost > lru->max_bytes || key_len > UINT32_MAX || value_len > UINT32_MAX) {
        if (e)
            remove_entry(lru, e);
        return LRU_E_TOOBIG;
    }

    /* A value of about the same size overwrites in place: the rate limiter
     * rewrites an 8-byte value on every check. A much smaller one gets a new
     * entry, so that a shrunk value does not keep its old memory. */
    if (e && value_len <= e->value_capacity && e->value_capacity <= 2 * value_len + 64) {
        memcpy(entry_value(e), value, value_len);
        e->value_len = (uint32_t)value_len;
        e->expires_at_ms = expires_at_ms;
        list_unlink(lru, e);
        list_push_head(lru, e);
        make_room(lru, 0, e, now_ms);
        return 0;
    }
    if (e)
        remove_entry(lru, e);

    make_room(lru, cost, NULL, now_ms);
    e = xmalloc(sizeof(*e) + value_offset(key_len) + value_len);
    e->hash = hash;
    e->expires_at_ms = expires_at_ms;
    e->key_len = (uint32_t)key_len;
    e->value_len = (uint32_t)value_len;
    e->value_capacity = value_len;
    memcpy(entry_key(e), key, key_len);
    if (value_len > 0)
        memcpy(entry_value(e), value, value_len);

    size_t b = hash & lru->bucket_mask;
    e->chain_next = lru->buckets[b];
    lru->buckets[b] = e;
    list_push_head(lru, e);
    lru->stats.entries++;
    lru->stats.bytes += cost;
    if (lru->stats.entries > lru->bucket_mask + 1)
        grow(lru);
    return 0;
}

bool lru_delete(lru_t *lru, const void *key, size_t key_len)
{
    lru_entry_t *e = find(lru, key, key_len, hash_key(lru, key, key_len), NULL);
    if (!e)
        return false;
    remove_entry(lru, e);
    return true;
}

void lru_clear(lru_t *lru)
{
    lru_entry_t *e = lru->head;
    while (e) {
        lru_entry_t *next = e->older;
        free(e);
        e = next;
    }
    memset(lru->buckets, 0, (lru->bucket_mask + 1) * sizeof(*lru->buckets));
    lru->head = lru->tail = NULL;
    lru->stats.entries = 0;
    lru->stats.bytes = 0;
}

size_t lru_sweep(lru_t *lru, uint64_t now_ms, size_t max_steps)
{
    size_t freed = 0;
    lru_entry_t *e = lru->tail;
    for (size_t step = 0; e && step < max_steps; step++) {
        lru_entry_t *newer = e->newer;
        if (is_expired(e, now_ms)) {
            remove_entry(lru, e);
            lru->stats.expirations++;
            freed++;
        }
        e = newer;
    }
    return freed;
}

void lru_get_stats(const lru_t *lru, lru_stats_t *out)
{
    *out = lru->stats;
}
