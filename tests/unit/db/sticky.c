/* Read-your-writes bookkeeping: windows open and close, later marks extend,
 * expired entries are dropped on rebuild, and the bound turns into "everyone
 * reads from the primary" instead of growing. */
#include <criterion/criterion.h>

#include "../core/leak_check.h"
#include "db/sticky.h"

TestSuite(db_sticky, .fini = unit_check_no_leaks);

Test(db_sticky, a_window_opens_and_closes)
{
    db_sticky_t s;
    db_sticky_init(&s, 1024);
    cr_assert_not(db_sticky_active(&s, 7, 0), "empty table");
    db_sticky_mark(&s, 7, 1000, 6000);
    cr_assert(db_sticky_active(&s, 7, 1000));
    cr_assert(db_sticky_active(&s, 7, 5999));
    cr_assert_not(db_sticky_active(&s, 7, 6000), "the window is [now, until)");
    cr_assert_not(db_sticky_active(&s, 8, 2000), "another user");
    db_sticky_free(&s);
}

Test(db_sticky, later_marks_extend_never_shorten)
{
    db_sticky_t s;
    db_sticky_init(&s, 1024);
    db_sticky_mark(&s, 42, 0, 5000);
    db_sticky_mark(&s, 42, 100, 3000); /* an earlier expiry: ignored */
    cr_assert(db_sticky_active(&s, 42, 4000));
    db_sticky_mark(&s, 42, 4000, 9000);
    cr_assert(db_sticky_active(&s, 42, 8999));
    cr_assert_eq(db_sticky_live_count(&s, 0), 1);
    db_sticky_free(&s);
}

Test(db_sticky, no_user_and_empty_windows_are_ignored)
{
    db_sticky_t s;
    db_sticky_init(&s, 1024);
    db_sticky_mark(&s, 0, 0, 5000);
    db_sticky_mark(&s, -3, 0, 5000);
    db_sticky_mark(&s, 9, 5000, 5000); /* REPLICA_STICKY_S=0 */
    cr_assert_eq(db_sticky_live_count(&s, 0), 0);
    cr_assert_not(db_sticky_active(&s, 0, 1));
    cr_assert_null(s.slots, "nothing allocated");
    db_sticky_free(&s);
}

Test(db_sticky, many_users_then_expiry_keeps_memory_bounded)
{
    db_sticky_t s;
    db_sticky_init(&s, 1 << 12);
    /* 1000 writers at t=0 with a 5 s window... */
    for (int64_t id = 1; id <= 1000; id++)
        db_sticky_mark(&s, id, 0, 5000);
    for (int64_t id = 1; id <= 1000; id++)
        cr_assert(db_sticky_active(&s, id, 10), "user %lld", (long long)id);
    cr_assert_eq(db_sticky_live_count(&s, 10), 1000);
    size_t capacity_before = s.capacity;
    /* ...then 100 rounds of 1000 new writers, each after the last window
     * closed: rebuilds drop the expired ones, so the table does not grow. */
    for (int round = 1; round <= 100; round++) {
        uint64_t now = (uint64_t)round * 10000;
        for (int64_t k = 1; k <= 1000; k++)
            db_sticky_mark(&s, round * 100000 + k, now, now + 5000);
        cr_assert_not(db_sticky_active(&s, (round - 1) * 100000 + 1, now), "expired");
        cr_assert(db_sticky_active(&s, round * 100000 + 1000, now + 1));
    }
    cr_assert_leq(s.capacity, capacity_before * 2);
    cr_assert_eq(s.overflows, 0);
    db_sticky_free(&s);
}

Test(db_sticky, overflow_sends_everyone_to_the_primary_for_one_window)
{
    db_sticky_t s;
    db_sticky_init(&s, 64); /* the smallest bound: 64 slots */
    for (int64_t id = 1; id <= 200; id++)
        db_sticky_mark(&s, id, 1000, 6000);
    cr_assert_gt(s.overflows, 0);
    cr_assert_leq(s.capacity, 64);
    /* Correctness first: every writer still reads its own writes... */
    for (int64_t id = 1; id <= 200; id++)
        cr_assert(db_sticky_active(&s, id, 2000), "user %lld", (long long)id);
    /* ...and so does a user who never wrote, until the window is over. */
    cr_assert(db_sticky_active(&s, 999999, 2000));
    cr_assert_not(db_sticky_active(&s, 999999, 6000));
    db_sticky_free(&s);
}
