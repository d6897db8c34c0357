/* Read-your-writes bookkeeping for replica routing: which users wrote in the
 * last REPLICA_STICKY_S seconds, and so must read from the primary.
 *
 * An open-addressing table from user id to the monotonic time until which the
 * user is "sticky". Entries are never deleted one by one; when the table is
 * three-quarters full it is rebuilt without the expired entries, and doubled
 * if the live ones still fill half of it. Its size is bounded: when the live
 * entries would need more than max_entries slots, the table is emptied and
 * every user becomes sticky until the latest expiry it held (all reads go to
 * the primary for at most REPLICA_STICKY_S) — correctness over replica use,
 * and memory stays bounded whatever the write rate.
 *
 * Pure data structure, no I/O; unit-tested in tests/unit/db/sticky.c. */
#ifndef RURAL24_DB_STICKY_H
#define RURAL24_DB_STICKY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t user_id; /* 0: never used */
    uint64_t until_ms;
} db_sticky_entry_t;

typedef struct {
    db_sticky_entry_t *slots; /* owned; NULL until the first mark */
    size_t capacity;          /* 0 or a power of two */
    size_t used;              /* slots with a user id, expired or not */
    size_t max_slots;         /* the bound on capacity */
    uint64_t all_until_ms;    /* after an overflow: everyone sticky until then */
    uint64_t overflows;       /* how many times the bound was hit */
} db_sticky_t;

/* An empty table that will never hold more than max_slots slots (rounded down
 * to a power of two, at least 64). Allocates nothing yet. */
void db_sticky_init(db_sticky_t *sticky, size_t max_slots);

/* Releases the table. */
void db_sticky_free(db_sticky_t *sticky);

/* Records that user_id (> 0; other ids are ignored) must read from the primary
 * until until_ms. A later mark extends, never shortens, the window. */
void db_sticky_mark(db_sticky_t *sticky, int64_t user_id, uint64_t now_ms, uint64_t until_ms);

/* True while user_id must read from the primary. */
bool db_sticky_active(const db_sticky_t *sticky, int64_t user_id, uint64_t now_ms);

/* The number of users still sticky at now_ms (a full scan: for tests and
 * stats, not the hot path). */
size_t db_sticky_live_count(const db_sticky_t *sticky, uint64_t now_ms);

#endif
