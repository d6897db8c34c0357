/* An O(1) least-recently-used table with per-entry expiry and two bounds: a
 * number of entries and a number of bytes.
 *
 * Keys and values are binary-safe byte strings copied into the table. Lookups,
 * inserts, deletes and evictions are O(1) (a chained hash table keyed with
 * SipHash under a random seed, so clients that choose keys cannot flood one
 * bucket, plus an intrusive doubly linked list in recency order). Growing the
 * bucket array rehashes at once: O(1) amortized.
 *
 * Time is passed in by the caller (monotonic milliseconds), so the table is pure
 * and unit tests drive it with their own clock. An expired entry is never
 * returned; it is freed when touched, when it reaches the eviction end, or by
 * lru_sweep().
 *
 * The byte bound counts what an entry really costs: key, value and the entry's
 * own header. Used by the memory cache, the hybrid L1, the Redis stores'
 * fallback and the memory rate limiter. */
#ifndef RURAL24_STORE_LRU_H
#define RURAL24_STORE_LRU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct lru_s lru_t;

typedef struct {
    uint64_t hits;        /* lru_get found a live entry */
    uint64_t misses;      /* lru_get found nothing (or an expired entry) */
    uint64_t evictions;   /* live entries dropped to stay within the bounds */
    uint64_t expirations; /* entries dropped because their time had passed */
    size_t entries;
    size_t bytes; /* keys + values + per-entry overhead */
} lru_stats_t;

enum {
    LRU_E_TOOBIG = -1, /* one entry alone exceeds the byte bound */
};

/* Creates an empty table bounded by max_entries (>= 1) and max_bytes. The
 * caller owns it and frees it with lru_free(). Never NULL. */
lru_t *lru_new(size_t max_entries, size_t max_bytes);

/* Frees the table and every entry. NULL is ignored. */
void lru_free(lru_t *lru);

/* Looks up key. On a live entry: marks it most recently used, counts a hit,
 * sets *value_len and returns its value (8-byte aligned), writable in place,
 * valid until the next call that changes this table (set, delete, clear,
 * sweep, free). On no entry or an expired one (which is freed and counted as
 * an expiration): counts a miss and returns NULL. value_len may be NULL. */
void *lru_get(lru_t *lru, const void *key, size_t key_len, uint64_t now_ms, size_t *value_len);

/* Stores a copy of value under key, replacing any entry for key, as the most
 * recently used. expires_at_ms is a deadline on the caller's clock, 0 for none.
 * Evicts from the least recently used end until both bounds hold. Returns 0, or
 * LRU_E_TOOBIG when this entry alone is over the byte bound: then nothing is
 * stored and any previous entry for key is removed, so that an older value is
 * not served in its place. */
int lru_set(lru_t *lru, const void *key, size_t key_len, const void *value, size_t value_len,
            uint64_t expires_at_ms, uint64_t now_ms);

/* Removes key. True if an entry was there. */
bool lru_delete(lru_t *lru, const void *key, size_t key_len);

/* Removes every entry (counted neither as evictions nor expirations). */
void lru_clear(lru_t *lru);

/* Active expiry: looks at no more than max_steps entries from the least
 * recently used end and frees the expired ones among them. Returns how many it
 * freed. Entries that share a TTL expire roughly in recency order, so the cold
 * end is where garbage gathers; each call stays bounded. */
size_t lru_sweep(lru_t *lru, uint64_t now_ms, size_t max_steps);

/* Copies the counters into out. */
void lru_get_stats(const lru_t *lru, lru_stats_t *out);

/* Bytes an entry of this key and value size is charged (header included). */
size_t lru_entry_cost(size_t key_len, size_t value_len);

#endif
