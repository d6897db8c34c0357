/* Reconnection backoff: exponential growth, the cap, the jitter range. */
#include <criterion/criterion.h>

#include "../core/leak_check.h"
#include "db/backoff.h"

TestSuite(db_backoff, .fini = unit_check_no_leaks);

Test(db_backoff, doubles_then_caps)
{
    /* random 0 gives the bottom of the range (d/2), UINT32_MAX-ish the top. */
    uint64_t expected_full[] = {100, 200, 400, 800, 1600, 2000, 2000, 2000};
    for (unsigned attempt = 0; attempt < 8; attempt++) {
        uint64_t d = expected_full[attempt];
        cr_assert_eq(db_backoff_delay_ms(attempt, 100, 2000, 0), d / 2, "attempt %u", attempt);
        cr_assert_eq(db_backoff_delay_ms(attempt, 100, 2000, (uint32_t)(d - d / 2)), d,
                     "attempt %u", attempt);
    }
}

Test(db_backoff, stays_in_range_for_any_random)
{
    for (unsigned attempt = 0; attempt < 40; attempt++) {
        for (uint32_t r = 0; r < 5000; r += 7) {
            uint64_t v = db_backoff_delay_ms(attempt, 100, 2000, r * 2654435761u);
            cr_assert(v >= 50 && v <= 2000, "attempt %u -> %llu", attempt, (unsigned long long)v);
        }
    }
}

Test(db_backoff, huge_attempts_do_not_overflow)
{
    cr_assert_eq(db_backoff_delay_ms(1000000, 100, 2000, 0), 1000);
    cr_assert_eq(db_backoff_delay_ms(63, UINT64_MAX / 2, UINT64_MAX, 0), UINT64_MAX / 2);
}

Test(db_backoff, zero_base_or_cap_is_no_delay)
{
    cr_assert_eq(db_backoff_delay_ms(3, 0, 2000, 12345), 0);
    cr_assert_eq(db_backoff_delay_ms(3, 100, 0, 12345), 0);
}
