/* The pool's wait queue: FIFO order, the hard cap, deadlines, growth across
 * the ring's wrap-around, push_front. */
#include <criterion/criterion.h>

#include "../core/leak_check.h"
#include "db/wait_queue.h"

TestSuite(db_wait_queue, .fini = unit_check_no_leaks);

static int items[2000];

Test(db_wait_queue, fifo_order_and_empty_pop)
{
    db_wait_queue_t q;
    db_wait_queue_init(&q, 100);
    cr_assert_null(db_wait_queue_pop(&q));
    for (int i = 0; i < 50; i++)
        cr_assert_eq(db_wait_queue_push(&q, &items[i], (uint64_t)i), 0);
    cr_assert_eq(db_wait_queue_count(&q), 50);
    for (int i = 0; i < 50; i++)
        cr_assert_eq(db_wait_queue_pop(&q), &items[i]);
    cr_assert_null(db_wait_queue_pop(&q));
    db_wait_queue_free(&q);
}

Test(db_wait_queue, hard_cap_refuses_and_changes_nothing)
{
    db_wait_queue_t q;
    db_wait_queue_init(&q, 3);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(db_wait_queue_push(&q, &items[i], 10), 0);
    cr_assert(db_wait_queue_full(&q));
    cr_assert_eq(db_wait_queue_push(&q, &items[3], 10), DB_WAIT_QUEUE_E_FULL);
    cr_assert_eq(db_wait_queue_count(&q), 3);
    cr_assert_eq(db_wait_queue_pop(&q), &items[0]);
    cr_assert_eq(db_wait_queue_push(&q, &items[3], 10), 0);
    for (int i = 1; i <= 3; i++)
        cr_assert_eq(db_wait_queue_pop(&q), &items[i]);
    db_wait_queue_free(&q);
}

Test(db_wait_queue, zero_cap_means_one)
{
    db_wait_queue_t q;
    db_wait_queue_init(&q, 0);
    cr_assert_eq(db_wait_queue_push(&q, &items[0], 1), 0);
    cr_assert_eq(db_wait_queue_push(&q, &items[1], 1), DB_WAIT_QUEUE_E_FULL);
    db_wait_queue_free(&q);
}

Test(db_wait_queue, expiry_pops_only_overdue_heads)
{
    db_wait_queue_t q;
    db_wait_queue_init(&q, 10);
    /* Deadlines as the pool makes them: submit time + a constant timeout. */
    for (int i = 0; i < 5; i++)
        db_wait_queue_push(&q, &items[i], 1000 + (uint64_t)i * 100);
    cr_assert_eq(db_wait_queue_next_deadline(&q), 1000);
    cr_assert_null(db_wait_queue_pop_expired(&q, 999));
    cr_assert_eq(db_wait_queue_pop_expired(&q, 1000), &items[0]);
    cr_assert_null(db_wait_queue_pop_expired(&q, 1099));
    cr_assert_eq(db_wait_queue_pop_expired(&q, 1250), &items[1]);
    cr_assert_eq(db_wait_queue_pop_expired(&q, 1250), &items[2]);
    cr_assert_null(db_wait_queue_pop_expired(&q, 1250));
    cr_assert_eq(db_wait_queue_next_deadline(&q), 1300);
    cr_assert_eq(db_wait_queue_count(&q), 2);
    db_wait_queue_free(&q);
}

Test(db_wait_queue, grows_across_the_wrap_around)
{
    /* Interleave pushes and pops so the ring wraps before it has to grow:
     * order must survive the unwrapping copy. */
    db_wait_queue_t q;
    db_wait_queue_init(&q, 2000);
    int next_in = 0, next_out = 0;
    for (int round = 0; round < 200; round++) {
        for (int k = 0; k < 7; k++, next_in++)
            cr_assert_eq(db_wait_queue_push(&q, &items[next_in], (uint64_t)next_in), 0);
        for (int k = 0; k < 3; k++, next_out++)
            cr_assert_eq(db_wait_queue_pop(&q), &items[next_out]);
    }
    cr_assert_eq(db_wait_queue_count(&q), (size_t)(next_in - next_out));
    while (next_out < next_in) {
        cr_assert_eq(db_wait_queue_next_deadline(&q), (uint64_t)next_out);
        cr_assert_eq(db_wait_queue_pop(&q), &items[next_out]);
        next_out++;
    }
    db_wait_queue_free(&q);
}

Test(db_wait_queue, push_front_restores_the_head)
{
    db_wait_queue_t q;
    db_wait_queue_init(&q, 4);
    db_wait_queue_push(&q, &items[0], 5);
    db_wait_queue_push(&q, &items[1], 6);
    void *head = db_wait_queue_pop(&q);
    cr_assert_eq(head, &items[0]);
    cr_assert_eq(db_wait_queue_push_front(&q, head, 5), 0);
    cr_assert_eq(db_wait_queue_next_deadline(&q), 5);
    cr_assert_eq(db_wait_queue_pop(&q), &items[0]);
    cr_assert_eq(db_wait_queue_pop(&q), &items[1]);
    /* On an empty, never-allocated queue too. */
    db_wait_queue_t e;
    db_wait_queue_init(&e, 1);
    cr_assert_eq(db_wait_queue_push_front(&e, &items[9], 1), 0);
    cr_assert_eq(db_wait_queue_push_front(&e, &items[8], 1), DB_WAIT_QUEUE_E_FULL);
    cr_assert_eq(db_wait_queue_pop(&e), &items[9]);
    db_wait_queue_free(&e);
    db_wait_queue_free(&q);
}
