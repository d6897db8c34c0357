/* A bounded FIFO ring of waiters with non-decreasing deadlines; see
 * wait_queue.h. The ring starts at 16 slots and doubles when full, up to the
 * first power of two that holds max_count entries. */
#include "db/wait_queue.h"
#include "core/xmalloc.h"

#include <stdlib.h>

enum { INITIAL_CAPACITY = 16 };

void db_wait_queue_init(db_wait_queue_t *queue, size_t max_count)
{
    queue->entries = NULL;
    queue->capacity = 0;
    queue->head = 0;
    queue->count = 0;
    queue->max_count = max_count > 0 ? max_count : 1;
}

void db_wait_queue_free(db_wait_queue_t *queue)
{
    free(queue->entries);
    queue->entries = NULL;
    queue->capacity = 0;
    queue->head = 0;
    queue->count = 0;
}

static void grow(db_wait_queue_t *queue)
{
    size_t capacity = queue->capacity == 0 ? INITIAL_CAPACITY : queue->capacity * 2;
    db_wait_entry_t *entries = xmalloc(capacity * sizeof(*entries));
    /* Unwrap the ring so the oldest entry lands at index 0. */
    for (size_t i = 0; i < queue->count; i++)
        entries[i] = queue->entries[(queue->head + i) & (queue->capacity - 1)];
    free(queue->entries);
    queue->entries = entries;
    queue->capacity = capacity;
    queue->head = 0;
}

int db_wait_queue_push(db_wait_queue_t *queue, void *item, uint64_t deadline_ms)
{
    if (queue->count >= queue->max_count)
        return DB_WAIT_QUEUE_E_FULL;
    if (queue->count == queue->capacity)
        grow(queue);
    size_t tail = (queue->head + queue->count) & (queue->capacity - 1);
    queue->entries[tail].item = item;
    queue->entries[tail].deadline_ms = deadline_ms;
    queue->count++;
    return 0;
}

int db_wait_queue_push_front(db_wait_queue_t *queue, void *item, uint64_t deadline_ms)
{
    if (queue->count >= queue->max_count)
        return DB_WAIT_QUEUE_E_FULL;
    if (queue->count == queue->capacity)
        grow(queue);
    queue->head = (queue->head + queue->capacity - 1) & (queue->capacity - 1);
    queue->entries[queue->head].item = item;
    queue->entries[queue->head].deadline_ms = deadline_ms;
    queue->count++;
    return 0;
}

void *db_wait_queue_pop(db_wait_queue_t *queue)
{
    if (queue->count == 0)
        return NULL;
    void *item = queue->entries[queue->head].item;
    queue->head = (queue->head + 1) & (queue->capacity - 1);
    queue->count--;
    if (queue->count == 0)
        queue->head = 0;
    return item;
}

void *db_wait_queue_pop_expired(db_wait_queue_t *queue, uint64_t now_ms)
{
    if (queue->count == 0 || queue->entries[queue->head].deadline_ms > now_ms)
        return NULL;
    return db_wait_queue_pop(queue);
}

uint64_t db_wait_queue_next_deadline(const db_wait_queue_t *queue)
{
    return queue->count == 0 ? 0 : queue->entries[queue->head].deadline_ms;
}
