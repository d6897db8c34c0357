/* Arena allocator: blocks of ARENA_BLOCK_BYTES, or one block of exactly the
 * size asked for when a single allocation is larger than that. */
#include "core/arena.h"
#include "core/xmalloc.h"

#include <stdarg.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ARENA_BLOCK_BYTES = 4096 - 64 };

struct arena_block_s {
    arena_block_t *next;
    size_t used;
    size_t capacity;
    alignas(max_align_t) unsigned char data[];
};

void arena_init(arena_t *arena)
{
    arena->head = NULL;
    arena->total_bytes = 0;
}

static arena_block_t *block_new(size_t capacity, arena_block_t *next)
{
    /* An impossible size must abort in xmalloc, not wrap around to a small
     * block. */
    size_t bytes =
        capacity > SIZE_MAX - sizeof(arena_block_t) ? SIZE_MAX : sizeof(arena_block_t) + capacity;
    arena_block_t *b = xmalloc(bytes);
    b->next = next;
    b->used = 0;
    b->capacity = capacity;
    return b;
}

void *arena_alloc(arena_t *arena, size_t size)
{
    const size_t align = alignof(max_align_t);
    size_t rounded = size > SIZE_MAX - align ? SIZE_MAX : (size + align - 1) & ~(align - 1);
    arena_block_t *b = arena->head;
    if (b == NULL || b->capacity - b->used < rounded) {
        if (rounded > ARENA_BLOCK_BYTES / 4) {
            /* A big allocation gets a block of its own, placed behind the
             * current one so the current block's free space is not wasted. */
            arena_block_t *big = block_new(rounded, NULL);
            if (b == NULL) {
                arena->head = big;
            } else {
                big->next = b->next;
                b->next = big;
            }
            big->used = rounded;
            arena->total_bytes += rounded;
            return big->data;
        }
        b = block_new(ARENA_BLOCK_BYTES, b);
        arena->head = b;
    }
    void *p = b->data + b->used;
    b->used += rounded;
    arena->total_bytes += rounded;
    return p;
}

void *arena_calloc(arena_t *arena, size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size)
        count = SIZE_MAX / size; /* saturate; xmalloc aborts on it */
    void *p = arena_alloc(arena, count * size);
    memset(p, 0, count * size);
    return p;
}

char *arena_strndup(arena_t *arena, const char *s, size_t len)
{
    char *p = arena_alloc(arena, len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *arena_printf(arena_t *arena, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return arena_strndup(arena, "", 0);
    char *p = arena_alloc(arena, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void arena_reset(arena_t *arena)
{
    arena_block_t *b = arena->head;
    if (b == NULL)
        return;
    /* Keep the last block of the chain (the first allocated) if it is a
     * standard one; free the rest. */
    arena_block_t *keep = NULL;
    while (b != NULL) {
        arena_block_t *next = b->next;
        if (next == NULL && b->capacity == ARENA_BLOCK_BYTES) {
            keep = b;
        } else {
            free(b);
        }
        b = next;
    }
    if (keep != NULL) {
        keep->used = 0;
        keep->next = NULL;
    }
    arena->head = keep;
    arena->total_bytes = 0;
}

void arena_free(arena_t *arena)
{
    arena_block_t *b = arena->head;
    while (b != NULL) {
        arena_block_t *next = b->next;
        free(b);
        b = next;
    }
    arena->head = NULL;
    arena->total_bytes = 0;
}
