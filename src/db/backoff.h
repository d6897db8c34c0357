/* Reconnection delays: capped exponential backoff with "equal jitter", so a
 * fleet of instances that lost the database at the same moment does not
 * reconnect in lockstep.
 *
 * Pure arithmetic; unit-tested in tests/unit/db/backoff.c. */
#ifndef RURAL24_DB_BACKOFF_H
#define RURAL24_DB_BACKOFF_H

#include <stdint.h>

enum {
    DB_BACKOFF_BASE_MS = 100, /* first retry after a failed connect: 50-100 ms */
    DB_BACKOFF_MAX_MS = 2000, /* retries never wait longer than this */
};

/* The delay before retry number `attempt` (0 for the first retry):
 * d = min(max_ms, base_ms * 2^attempt), and the result is d/2 + (random mod
 * (d/2 + 1)), so it lies in [d/2, d]. random is any uniformly random 32-bit
 * value (the caller's PRNG). base_ms 0 gives 0. */
uint64_t db_backoff_delay_ms(unsigned attempt, uint64_t base_ms, uint64_t max_ms, uint32_t random);

#endif
