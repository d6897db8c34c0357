/* The read-your-writes table; see sticky.h for the policy. Linear probing
 * over a power-of-two table keyed by a 64-bit mix of the user id. */
#include "db/sticky.h"
#include "core/xmalloc.h"

#include <stdlib.h>

enum { MIN_SLOTS = 64 };

static size_t hash_id(int64_t id)
{
    /* splitmix64's finalizer: consecutive ids spread over the table. */
    uint64_t x = (uint64_t)id;
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return (size_t)x;
}

void db_sticky_init(db_sticky_t *sticky, size_t max_slots)
{
    size_t bound = MIN_SLOTS;
    while (bound * 2 <= max_slots)
        bound *= 2;
    sticky->slots = NULL;
    sticky->capacity = 0;
    sticky->used = 0;
    sticky->max_slots = bound;
    sticky->all_until_ms = 0;
    sticky->overflows = 0;
}

void db_sticky_free(db_sticky_t *sticky)
{
    free(sticky->slots);
    sticky->slots = NULL;
    sticky->capacity = 0;
    sticky->used = 0;
}

/* Inserts or extends without checking the load; the caller made room. */
static void put(db_sticky_entry_t *slots, size_t capacity, int64_t user_id, uint64_t until_ms,
                size_t *used)
{
    size_t mask = capacity - 1;
    for (size_t i = hash_id(user_id) & mask;; i = (i + 1) & mask) {
        if (slots[i].user_id == user_id) {
            if (until_ms > slots[i].until_ms)
                slots[i].until_ms = until_ms;
            return;
        }
        if (slots[i].user_id == 0) {
            slots[i].user_id = user_id;
            slots[i].until_ms = until_ms;
            (*used)++;
            return;
        }
    }
}

/* Rebuilds the table without expired entries, growing it when the live ones
 * fill half of it. Returns false (and leaves the table as it was) when the
 * live entries need more than the bound. */
static bool rebuild(db_sticky_t *sticky, uint64_t now_ms)
{
    size_t live = db_sticky_live_count(sticky, now_ms) + 1; /* + the one being added */
    size_t capacity = MIN_SLOTS;
    while (capacity < live * 2)
        capacity *= 2;
    if (capacity > sticky->max_slots)
        return false;
    db_sticky_entry_t *slots = xcalloc(capacity, sizeof(*slots));
    size_t used = 0;
    for (size_t i = 0; i < sticky->capacity; i++) {
        const db_sticky_entry_t *e = &sticky->slots[i];
        if (e->user_id != 0 && e->until_ms > now_ms)
            put(slots, capacity, e->user_id, e->until_ms, &used);
    }
    free(sticky->slots);
    sticky->slots = slots;
    sticky->capacity = capacity;
    sticky->used = used;
    return true;
}

void db_sticky_mark(db_sticky_t *sticky, int64_t user_id, uint64_t now_ms, uint64_t until_ms)
{
    if (user_id <= 0 || until_ms <= now_ms)
        return;
    if (sticky->capacity == 0 || (sticky->used + 1) * 4 > sticky->capacity * 3) {
        if (!rebuild(sticky, now_ms)) {
            /* Too many writers at once for the bound: make everyone sticky
             * until the latest window the table held, then start empty. */
            uint64_t latest = until_ms;
            for (size_t i = 0; i < sticky->capacity; i++) {
                if (sticky->slots[i].user_id != 0 && sticky->slots[i].until_ms > latest)
                    latest = sticky->slots[i].until_ms;
            }
            if (latest > sticky->all_until_ms)
                sticky->all_until_ms = latest;
            sticky->overflows++;
            db_sticky_free(sticky);
            return;
        }
    }
    put(sticky->slots, sticky->capacity, user_id, until_ms, &sticky->used);
}

bool db_sticky_active(const db_sticky_t *sticky, int64_t user_id, uint64_t now_ms)
{
    if (user_id <= 0)
        return false;
    if (sticky->all_until_ms > now_ms)
        return true;
    if (sticky->capacity == 0)
        return false;
    size_t mask = sticky->capacity - 1;
    for (size_t i = hash_id(user_id) & mask;; i = (i + 1) & mask) {
        if (sticky->slots[i].user_id == user_id)
            return sticky->slots[i].until_ms > now_ms;
        if (sticky->slots[i].user_id == 0)
            return false;
    }
}

size_t db_sticky_live_count(const db_sticky_t *sticky, uint64_t now_ms)
{
    size_t live = 0;
    for (size_t i = 0; i < sticky->capacity; i++) {
        if (sticky->slots[i].user_id != 0 && sticky->slots[i].until_ms > now_ms)
            live++;
    }
    return live;
}
