/* Per-request arena: bump allocation from a chain of blocks, released in one
 * call when the response is done (h2o's req->pool, nginx pools).
 *
 * The arena itself can live inside another struct; its first block is allocated
 * lazily, so an arena that is never used costs nothing. Allocations are aligned
 * for any type. Aborts on out-of-memory like xmalloc: callers bound what a client
 * can make them allocate before they get here. */
#ifndef RURAL24_CORE_ARENA_H
#define RURAL24_CORE_ARENA_H

#include <stddef.h>

typedef struct arena_block_s arena_block_t;

typedef struct {
    arena_block_t *head; /* current block; older blocks chain behind it */
    size_t total_bytes;  /* bytes handed out, for limits and tests */
} arena_t;

void arena_init(arena_t *arena);

/* Memory valid until arena_reset()/arena_free(). Never NULL. */
void *arena_alloc(arena_t *arena, size_t size);
void *arena_calloc(arena_t *arena, size_t count, size_t size);

/* A NUL-terminated copy of len bytes of s, owned by the arena. */
char *arena_strndup(arena_t *arena, const char *s, size_t len);

/* printf into the arena. */
char *arena_printf(arena_t *arena, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Releases everything but keeps the first block for reuse. */
void arena_reset(arena_t *arena);

/* Releases every block. The arena may be reused after arena_init(). */
void arena_free(arena_t *arena);

#endif
