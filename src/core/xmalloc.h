/* Allocation wrappers that abort on out-of-memory.
 *
 * Small internal allocations go through these so that callers never carry
 * NULL checks for them (Redis zmalloc, h2o h2o_mem_alloc). Anything whose size a
 * client controls must be bounded before it reaches here: see buf.h. */
#ifndef RURAL24_CORE_XMALLOC_H
#define RURAL24_CORE_XMALLOC_H

#include <stddef.h>

/* Each returns memory the caller owns and frees with free(). Never NULL. */
void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t len);

/* Recover the struct that embeds a member (h2o's H2O_STRUCT_FROM_MEMBER). */
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

#endif
