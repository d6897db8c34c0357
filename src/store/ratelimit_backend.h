/* Internal to the store layer: what a rate-limiter store implements, and the
 * part of ratelimit_t every store shares. */
#ifndef RURAL24_STORE_RATELIMIT_BACKEND_H
#define RURAL24_STORE_RATELIMIT_BACKEND_H

#include "store/gcra.h"
#include "store/ratelimit.h"

typedef struct {
    const char *type;
    /* Applies op; cb (may be NULL) fires exactly once. Arguments are valid. */
    void (*apply)(ratelimit_t *rl, ratelimit_class_t cls, ratelimit_op_t op, const void *key,
                  size_t key_len, ratelimit_cb cb, void *user_data);
    /* Fills the store's own fields of out. */
    void (*stats)(ratelimit_t *rl, ratelimit_stats_t *out);
    /* Releases the store once nothing of it is in flight or on the loop. */
    void (*close)(ratelimit_t *rl);
} ratelimit__ops_t;

/* The shared head of every store's struct (embedded first). */
struct ratelimit_s {
    const ratelimit__ops_t *ops;
    rate_spec_t specs[RATE_CLASS_COUNT]; /* as configured */
    gcra_t classes[RATE_CLASS_COUNT];    /* the same, ready for gcra_check() */
    uint64_t checks, allowed, refused;
    uint64_t refused_by_class[RATE_CLASS_COUNT];
    uint64_t allowed_by_class[RATE_CLASS_COUNT];
};

/* Initializes the shared head from opts' classes. */
void ratelimit__init(ratelimit_t *rl, const ratelimit__ops_t *ops, const ratelimit_options_t *opts);

/* Converts a GCRA decision into the caller's result. */
void ratelimit__result_from_gcra(const gcra_result_t *gcra, ratelimit_result_t *out);

/* Counts a decision in the shared stats (CLEAR is not a decision) and hands
 * it to cb when there is one. */
void ratelimit__deliver(ratelimit_t *rl, ratelimit_class_t cls, ratelimit_op_t op,
                        const ratelimit_result_t *result, ratelimit_cb cb, void *user_data);

/* The result of CLEAR: a fresh key's whole limit. */
void ratelimit__cleared_result(const ratelimit_t *rl, ratelimit_class_t cls,
                               ratelimit_result_t *out);

/* The memory store's op, at once, with every limit divided by divisor (>= 1;
 * at least 1 request stays allowed) — the Redis store's fallback. rl must come
 * from ratelimit_memory_new(). The shared stats are not touched. */
void ratelimit__memory_decide(ratelimit_t *rl, ratelimit_class_t cls, ratelimit_op_t op,
                              const void *key, size_t key_len, uint32_t divisor,
                              ratelimit_result_t *out);

/* Empties a memory store (the Redis fallback when Redis is back). */
void ratelimit__memory_clear(ratelimit_t *rl);

#endif
