/* Capped exponential backoff with equal jitter; see backoff.h. */
#include "db/backoff.h"

uint64_t db_backoff_delay_ms(unsigned attempt, uint64_t base_ms, uint64_t max_ms, uint32_t random)
{
    if (base_ms == 0 || max_ms == 0)
        return 0;
    uint64_t delay = base_ms;
    /* Double without overflowing: stop as soon as the cap is reached. */
    for (unsigned i = 0; i < attempt && delay < max_ms; i++)
        delay = delay > max_ms / 2 ? max_ms : delay * 2;
    if (delay > max_ms)
        delay = max_ms;
    uint64_t half = delay / 2;
    return half + (uint64_t)random % (delay - half + 1);
}
