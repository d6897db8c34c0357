/* The LRU table: recency order, TTL expiry, the entry and byte bounds, the
 * sweep, binary keys, and its stats. Time is the test's own (now_ms). */
#include <criterion/criterion.h>
#include <string.h>

#include "store/lru.h"
#include "unit/core/leak_check.h"

TestSuite(lru, .fini = unit_check_no_leaks);

static int set_str(lru_t *lru, const char *key, const char *value, uint64_t expires_at,
                   uint64_t now)
{
    return lru_set(lru, key, strlen(key), value, strlen(value), expires_at, now);
}

static const char *get_str(lru_t *lru, const char *key, uint64_t now)
{
    size_t len;
    return lru_get(lru, key, strlen(key), now, &len);
}

Test(lru, evicts_least_recently_used)
{
    lru_t *lru = lru_new(3, 1 << 20);
    set_str(lru, "a", "1", 0, 0);
    set_str(lru, "b", "2", 0, 0);
    set_str(lru, "c", "3", 0, 0);
    cr_assert_not_null(get_str(lru, "a", 0)); /* a is now the most recent */
    set_str(lru, "d", "4", 0, 0);             /* evicts b, the least recent */
    cr_assert_null(get_str(lru, "b", 0));
    cr_assert_not_null(get_str(lru, "a", 0));
    cr_assert_not_null(get_str(lru, "c", 0));
    cr_assert_not_null(get_str(lru, "d", 0));
    set_str(lru, "c", "33", 0, 0); /* an update makes c the most recent too */
    set_str(lru, "e", "5", 0, 0);  /* evicts a (c, d were used after it) */
    cr_assert_null(get_str(lru, "a", 0));
    cr_assert_not_null(get_str(lru, "c", 0));
    lru_stats_t stats;
    lru_get_stats(lru, &stats);
    cr_assert_eq(stats.entries, 3);
    cr_assert_eq(stats.evictions, 2);
    lru_free(lru);
}

Test(lru, ttl_expires_exactly_at_deadline)
{
    lru_t *lru = lru_new(10, 1 << 20);
    set_str(lru, "k", "v", 1000, 0);
    set_str(lru, "forever", "v", 0, 0);
    cr_assert_not_null(get_str(lru, "k", 999));
    cr_assert_null(get_str(lru, "k", 1000));
    cr_assert_not_null(get_str(lru, "forever", 1u << 30));
    lru_stats_t stats;
    lru_get_stats(lru, &stats);
    cr_assert_eq(stats.expirations, 1);
    cr_assert_eq(stats.entries, 1); /* the expired entry was freed when touched */
    lru_free(lru);
}

Test(lru, byte_bound_counts_overhead_and_evicts)
{
    size_t cost = lru_entry_cost(1, 100);
    lru_t *lru = lru_new(1000, 3 * cost);
    char value[100];
    memset(value, 'x', sizeof(value));
    for (int i = 0; i < 5; i++) {
        char key = (char)('a' + i);
        cr_assert_eq(lru_set(lru, &key, 1, value, sizeof(value), 0, 0), 0);
    }
    lru_stats_t stats;
    lru_get_stats(lru, &stats);
    cr_assert_eq(stats.entries, 3);
    cr_assert_eq(stats.bytes, 3 * cost);
    cr_assert_eq(stats.evictions, 2);
    cr_assert_null(lru_get(lru, "a", 1, 0, NULL));
    cr_assert_not_null(lru_get(lru, "e", 1, 0, NULL));

    /* An entry larger than the whole bound is refused and replaces nothing. */
    char big[1000];
    memset(big, 'y', sizeof(big));
    cr_assert_eq(lru_set(lru, "e", 1, big, sizeof(big), 0, 0), LRU_E_TOOBIG);
    cr_assert_null(lru_get(lru, "e", 1, 0, NULL)); /* the old value is gone too */
    lru_get_stats(lru, &stats);
    cr_assert_leq(stats.bytes, 3 * cost);
    lru_free(lru);
}

Test(lru, expired_tail_counts_as_expiration_not_eviction)
{
    lru_t *lru = lru_new(2, 1 << 20);
    set_str(lru, "old", "1", 10, 0);
    set_str(lru, "b", "2", 0, 0);
    set_str(lru, "c", "3", 0, 20); /* "old" is the tail and expired at 10 */
    lru_stats_t stats;
    lru_get_stats(lru, &stats);
    cr_assert_eq(stats.expirations, 1);
    cr_assert_eq(stats.evictions, 0);
    lru_free(lru);
}

Test(lru, binary_keys_and_values)
{
    lru_t *lru = lru_new(10, 1 << 20);
    const char k1[] = {'a', '\0', 'b'};
    const char k2[] = {'a', '\0', 'c'};
    const char v[] = {'\0', '\xff', '\0'};
    cr_assert_eq(lru_set(lru, k1, 3, v, 3, 0, 0), 0);
    cr_assert_null(lru_get(lru, k2, 3, 0, NULL));
    cr_assert_null(lru_get(lru, k1, 2, 0, NULL)); /* a prefix is another key */
    size_t len = 0;
    const char *got = lru_get(lru, k1, 3, 0, &len);
    cr_assert_eq(len, 3);
    cr_assert_eq(memcmp(got, v, 3), 0);
    cr_assert_eq(lru_set(lru, "", 0, "", 0, 0, 0), 0); /* empty key and value */
    cr_assert_not_null(lru_get(lru, "", 0, 0, &len));
    cr_assert_eq(len, 0);
    lru_free(lru);
}

Test(lru, update_in_place_and_shrink)
{
    lru_t *lru = lru_new(10, 1 << 20);
    int64_t a = 1, b = 2;
    lru_set(lru, "k", 1, &a, sizeof(a), 0, 0);
    void *first = lru_get(lru, "k", 1, 0, NULL);
    lru_set(lru, "k", 1, &b, sizeof(b), 0, 0);
    void *second = lru_get(lru, "k", 1, 0, NULL);
    cr_assert_eq(first, second); /* same size: rewritten in place */
    cr_assert_eq(*(int64_t *)second, 2);

    char big[4096];
    memset(big, 'z', sizeof(big));
    lru_set(lru, "k", 1, big, sizeof(big), 0, 0);
    lru_stats_t stats;
    lru_get_stats(lru, &stats);
    size_t big_bytes = stats.bytes;
    lru_set(lru, "k", 1, "s", 1, 0, 0); /* much smaller: memory given back */
    lru_get_stats(lru, &stats);
    cr_assert_lt(stats.bytes, big_bytes);
    cr_assert_eq(stats.bytes, lru_entry_cost(1, 1));
    size_t len;
    cr_assert_eq(memcmp(lru_get(lru, "k", 1, 0, &len), "s", 1), 0);
    cr_assert_eq(len, 1);
    lru_free(lru);
}

Test(lru, delete_clear_and_stats)
{
    lru_t *lru = lru_new(10, 1 << 20);
    set_str(lru, "a", "1", 0, 0);
    set_str(lru, "b", "2", 0, 0);
    cr_assert(lru_delete(lru, "a", 1));
    cr_assert_not(lru_delete(lru, "a", 1));
    cr_assert_null(get_str(lru, "a", 0));
    cr_assert_not_null(get_str(lru, "b", 0));
    cr_assert_not_null(get_str(lru, "b", 0));
    lru_stats_t stats;
    lru_get_stats(lru, &stats);
    cr_assert_eq(stats.hits, 2);
    cr_assert_eq(stats.misses, 1);
    cr_assert_eq(stats.entries, 1);
    lru_clear(lru);
    lru_get_stats(lru, &stats);
    cr_assert_eq(stats.entries, 0);
    cr_assert_eq(stats.bytes, 0);
    cr_assert_null(get_str(lru, "b", 0));
    set_str(lru, "c", "3", 0, 0); /* usable after a clear */
    cr_assert_not_null(get_str(lru, "c", 0));
    lru_free(lru);
}

Test(lru, sweep_frees_expired_and_is_bounded)
{
    lru_t *lru = lru_new(1000, 1 << 20);
    char key[16];
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        set_str(lru, key, "v", i < 50 ? 100 : 0, 0); /* the 50 oldest expire at 100 */
    }
    cr_assert_eq(lru_sweep(lru, 50, 1000), 0);   /* nothing expired yet */
    cr_assert_eq(lru_sweep(lru, 100, 20), 20);   /* bounded by max_steps */
    cr_assert_eq(lru_sweep(lru, 100, 1000), 30); /* the rest */
    lru_stats_t stats;
    lru_get_stats(lru, &stats);
    cr_assert_eq(stats.entries, 50);
    cr_assert_eq(stats.expirations, 50);
    lru_free(lru);
}

Test(lru, grows_and_finds_everything)
{
    lru_t *lru = lru_new(100000, (size_t)1 << 30);
    for (uint32_t i = 0; i < 50000; i++)
        cr_assert_eq(lru_set(lru, &i, sizeof(i), &i, sizeof(i), 0, 0), 0);
    for (uint32_t i = 0; i < 50000; i++) {
        uint32_t *v = lru_get(lru, &i, sizeof(i), 0, NULL);
        cr_assert_not_null(v);
        cr_assert_eq(*v, i);
    }
    lru_stats_t stats;
    lru_get_stats(lru, &stats);
    cr_assert_eq(stats.entries, 50000);
    cr_assert_eq(stats.hits, 50000);
    lru_free(lru);
}
