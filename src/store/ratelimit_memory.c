/* The memory rate-limiter store: one GCRA state (8 bytes: the key's TAT) per
 * (class, key) in an LRU table bounded by RATE_LIMIT_MAX_KEYS.
 *
 * An entry expires when its TAT passes: from then on the key is as good as new,
 * so dropping it changes nothing. A timer sweeps expired entries from the cold
 * end; when the table is full anyway (a spray of distinct addresses faster than
 * they expire), the least recently used key goes, counted in `evictions`: that
 * key starts over, which costs an attacker spraying keys nothing it did not
 * already have, while the table, and memory, stay bounded.
 *
 * Also the Redis store's fallback, with limits divided among live instances
 * (ratelimit__memory_decide()). */
#include "store/lru.h"
#include "store/ratelimit_backend.h"

#include "core/clock.h"
#include "core/xmalloc.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    ratelimit_t base;
    lru_t *table;
    size_t max_keys;
    uv_timer_t sweep_timer;
    ratelimit_clock_fn clock;
    void *clock_data;
} ratelimit_memory_t;

enum { SWEEP_MAX_STEPS = 2000, TABLE_KEY_MAX_BYTES = 1 + RATELIMIT_MAX_KEY_BYTES };

static ratelimit_memory_t *from_rl(ratelimit_t *rl)
{
    return container_of(rl, ratelimit_memory_t, base);
}

static int64_t now_us(const ratelimit_memory_t *rm)
{
    return rm->clock ? rm->clock(rm->clock_data) : (int64_t)clock_now_us();
}

void ratelimit__memory_decide(ratelimit_t *rl, ratelimit_class_t cls, ratelimit_op_t op,
                              const void *key, size_t key_len, uint32_t divisor,
                              ratelimit_result_t *out)
{
    ratelimit_memory_t *rm = from_rl(rl);
    gcra_t shared;
    const gcra_t *gcra = &rl->classes[cls];
    if (divisor > 1) {
        uint32_t share = rl->specs[cls].limit / divisor;
        gcra_init(&shared, share > 0 ? share : 1, rl->specs[cls].period_s);
        gcra = &shared;
    }

    unsigned char table_key[TABLE_KEY_MAX_BYTES];
    table_key[0] = (unsigned char)cls;
    memcpy(table_key + 1, key, key_len);
    size_t table_key_len = 1 + key_len;
    if (op == RATELIMIT_CLEAR) {
        (void)lru_delete(rm->table, table_key, table_key_len); /* absent is as good */
        ratelimit__cleared_result(rl, cls, out);
        return;
    }

    int64_t now = now_us(rm);
    uint64_t now_ms = (uint64_t)(now / 1000);
    int64_t tat = 0;
    size_t len = 0;
    const void *state = lru_get(rm->table, table_key, table_key_len, now_ms, &len);
    if (state && len == sizeof(tat))
        memcpy(&tat, state, sizeof(tat));

    gcra_result_t decision;
    gcra_check(gcra, tat, now, &decision);
    if (decision.allowed && op == RATELIMIT_COUNT) {
        /* Keep the state until its TAT has passed (rounded up to the next
         * millisecond); after that the key is fresh anyway. */
        uint64_t expires_at_ms = now_ms + (uint64_t)((decision.tat_us - now + 999) / 1000) + 1;
        (void)lru_set(rm->table, table_key, table_key_len, &decision.tat_us,
                      sizeof(decision.tat_us), expires_at_ms, now_ms);
    }
    ratelimit__result_from_gcra(&decision, out);
}

static void memory_apply(ratelimit_t *rl, ratelimit_class_t cls, ratelimit_op_t op, const void *key,
                         size_t key_len, ratelimit_cb cb, void *user_data)
{
    ratelimit_result_t result;
    ratelimit__memory_decide(rl, cls, op, key, key_len, 1, &result);
    ratelimit__deliver(rl, cls, op, &result, cb, user_data);
}

static void memory_stats(ratelimit_t *rl, ratelimit_stats_t *out)
{
    ratelimit_memory_t *rm = from_rl(rl);
    lru_stats_t stats;
    lru_get_stats(rm->table, &stats);
    out->keys += stats.entries;
    out->evictions += stats.evictions;
    if (out->max_keys == 0)
        out->max_keys = rm->max_keys;
}

static void on_closed(uv_handle_t *handle)
{
    ratelimit_memory_t *rm = handle->data;
    lru_free(rm->table);
    free(rm);
}

static void memory_close(ratelimit_t *rl)
{
    ratelimit_memory_t *rm = from_rl(rl);
    uv_close((uv_handle_t *)&rm->sweep_timer, on_closed);
}

static void on_sweep(uv_timer_t *timer)
{
    ratelimit_memory_t *rm = timer->data;
    lru_sweep(rm->table, (uint64_t)(now_us(rm) / 1000), SWEEP_MAX_STEPS);
}

void ratelimit__memory_clear(ratelimit_t *rl)
{
    lru_clear(from_rl(rl)->table);
}

static const ratelimit__ops_t memory_ops = {
    .type = "memory",
    .apply = memory_apply,
    .stats = memory_stats,
    .close = memory_close,
};

ratelimit_t *ratelimit_memory_new(uv_loop_t *loop, const ratelimit_options_t *opts)
{
    ratelimit_memory_t *rm = xcalloc(1, sizeof(*rm));
    ratelimit__init(&rm->base, &memory_ops, opts);
    rm->max_keys = opts->max_keys ? opts->max_keys : 100000;
    /* The key bound is the real one; the byte bound only stops pathological
     * key lengths from making each of max_keys entries large. */
    rm->table = lru_new(rm->max_keys, rm->max_keys * lru_entry_cost(64, sizeof(int64_t)));
    rm->clock = opts->clock;
    rm->clock_data = opts->clock_data;
    uv_timer_init(loop, &rm->sweep_timer);
    rm->sweep_timer.data = rm;
    uint64_t interval = opts->sweep_interval_ms ? opts->sweep_interval_ms : 1000;
    uv_timer_start(&rm->sweep_timer, on_sweep, interval, interval);
    return &rm->base;
}
