/* The pool's wait queue: a bounded FIFO of callers waiting for a connection,
 * each with a deadline.
 *
 * Every entry waits the same DB_ACQUIRE_TIMEOUT_MS, so deadlines are
 * non-decreasing from head to tail and the head always expires first: one
 * timer armed for the head's deadline serves the whole queue. The queue grows
 * by doubling up to max_count entries and refuses more (the caller answers
 * 503 at once): nothing a client does can make it grow without bound.
 *
 * Pure data structure, no I/O; unit-tested in tests/unit/db/wait_queue.c. */
#ifndef RURAL24_DB_WAIT_QUEUE_H
#define RURAL24_DB_WAIT_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    void *item;
    uint64_t deadline_ms;
} db_wait_entry_t;

typedef struct {
    db_wait_entry_t *entries; /* ring buffer, owned */
    size_t capacity;          /* allocated slots (0 or a power of two) */
    size_t head;              /* index of the oldest entry */
    size_t count;
    size_t max_count; /* hard cap */
} db_wait_queue_t;

enum { DB_WAIT_QUEUE_E_FULL = -1 };

/* An empty queue that will hold at most max_count entries (at least 1). It
 * allocates nothing until the first push. */
void db_wait_queue_init(db_wait_queue_t *queue, size_t max_count);

/* Releases the ring; the items themselves belong to the caller. */
void db_wait_queue_free(db_wait_queue_t *queue);

/* Appends item with its deadline. 0, or DB_WAIT_QUEUE_E_FULL when the queue
 * already holds max_count entries (nothing is changed). The deadline must not
 * be earlier than the tail's (callers use now + a constant timeout). */
int db_wait_queue_push(db_wait_queue_t *queue, void *item, uint64_t deadline_ms);

/* Puts item back at the head, for a waiter that was popped but could not be
 * started; its deadline must not be later than the current head's. 0, or
 * DB_WAIT_QUEUE_E_FULL. */
int db_wait_queue_push_front(db_wait_queue_t *queue, void *item, uint64_t deadline_ms);

/* Removes and returns the oldest item, or NULL when empty. */
void *db_wait_queue_pop(db_wait_queue_t *queue);

/* Removes and returns the oldest item if its deadline is <= now_ms, else
 * NULL. Call in a loop to expire every overdue waiter. */
void *db_wait_queue_pop_expired(db_wait_queue_t *queue, uint64_t now_ms);

/* The head's deadline; only meaningful when the queue is not empty. */
uint64_t db_wait_queue_next_deadline(const db_wait_queue_t *queue);

static inline size_t db_wait_queue_count(const db_wait_queue_t *queue)
{
    return queue->count;
}

static inline bool db_wait_queue_full(const db_wait_queue_t *queue)
{
    return queue->count >= queue->max_count;
}

#endif
