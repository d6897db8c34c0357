/* GCRA, the generic cell rate algorithm: the rate limiter's arithmetic, pure
 * (time is an argument), shared by the memory store and mirrored by the Redis
 * store's Lua script.
 *
 * A class allows `limit` requests per `period`. Each request is worth one
 * emission interval T = period / limit of time. The only state per key is the
 * theoretical arrival time (TAT): when the key's bucket would be empty again if
 * nothing more came. A request at `now`:
 *
 *     tat     = max(TAT, now)
 *     new_tat = tat + T
 *     allowed if new_tat - now <= limit * T   (the window: a full burst)
 *
 * and only an allowed request stores new_tat. So a quiet key may burst `limit`
 * requests at once and then gets one more every T: never more than `limit`
 * within any span shorter than T, and `limit` per period on average. A fixed
 * window instead lets 2 x limit through in an instant around its boundary
 * (limit at the end of one window, limit at the start of the next); GCRA keeps
 * that instant at `limit`, since the bucket does not empty on a boundary but
 * drains one T at a time. The precise bound: in any span of length d, at most
 * limit + floor(d / T) requests pass.
 *
 * remaining = how many more would pass right now; reset = when the bucket is
 * empty (TAT - now); retry_after = when a refused request would pass. Times are
 * in microseconds; T is rounded up, so rounding never lets more through. */
#ifndef RURAL24_STORE_GCRA_H
#define RURAL24_STORE_GCRA_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint32_t limit;
    int64_t interval_us; /* T */
    int64_t window_us;   /* limit * T */
} gcra_t;

/* Sets up a class of `limit` (>= 1) per `period_s` (>= 1) seconds. */
void gcra_init(gcra_t *gcra, uint32_t limit, uint32_t period_s);

typedef struct {
    bool allowed;
    uint32_t limit;
    uint32_t remaining;
    int64_t reset_us;       /* until the bucket is empty again */
    int64_t retry_after_us; /* 0 when allowed */
    int64_t tat_us;         /* the state to keep: new on allowed, unchanged on refused */
} gcra_result_t;

/* Decides one request at now_us for a key whose stored TAT is tat_us (0 or any
 * past time when the key has none). */
void gcra_check(const gcra_t *gcra, int64_t tat_us, int64_t now_us, gcra_result_t *out);

/* Whole seconds, rounded up (Retry-After and RateLimit-Reset must never
 * promise too early). */
uint32_t gcra_ceil_seconds(int64_t us);

#endif
