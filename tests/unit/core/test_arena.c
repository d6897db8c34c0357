/* The per-request arena: alignment, large allocations, reset and reuse, and
 * what happens when an allocation cannot be satisfied.
 *
 * arena.c is included to see ARENA_BLOCK_BYTES and the block layout. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/arena.c"
#include "core/xmalloc.h"
#include "unit/core/leak_check.h"

/* An allocation that cannot be satisfied must reach xmalloc's out-of-memory
 * abort. Under ASan a huge malloc() would otherwise end the process with an
 * ASan report instead of returning NULL, so let it return NULL as libc does. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}

TestSuite(arena, .fini = unit_check_no_leaks);

static bool aligned(const void *p)
{
    return (uintptr_t)p % alignof(max_align_t) == 0;
}

Test(arena, unused_arena_holds_no_memory)
{
    arena_t a;
    arena_init(&a);
    cr_expect_null(a.head);
    cr_expect_eq(a.total_bytes, 0);
    arena_reset(&a);
    arena_free(&a);
    cr_expect_null(a.head);
}

Test(arena, every_allocation_is_aligned_to_max_align_t)
{
    arena_t a;
    arena_init(&a);
    /* Odd sizes, across many blocks, with big allocations mixed in. */
    for (size_t i = 0; i < 3000; i++) {
        size_t size = (i * 7919) % 1500;
        if (i % 100 == 99)
            size = 10000 + i;
        void *p = arena_alloc(&a, size);
        cr_assert_not_null(p);
        cr_assert(aligned(p), "allocation %zu of %zu bytes at %p is not aligned", i, size, p);
    }
    void *z = arena_calloc(&a, 3, 5);
    cr_expect(aligned(z));
    char *s = arena_strndup(&a, "abc", 3);
    cr_expect(aligned(s));
    cr_expect(aligned(arena_printf(&a, "%d", 7)));
    arena_free(&a);
}

Test(arena, allocations_do_not_overlap)
{
    arena_t a;
    arena_init(&a);
    enum { N = 2000 };
    unsigned char *ptrs[N];
    size_t sizes[N];
    for (size_t i = 0; i < N; i++) {
        sizes[i] = 1 + (i * 31) % 700;
        if (i % 250 == 0)
            sizes[i] = 5000;
        ptrs[i] = arena_alloc(&a, sizes[i]);
        memset(ptrs[i], (int)(i & 0xff), sizes[i]);
    }
    for (size_t i = 0; i < N; i++) {
        for (size_t j = 0; j < sizes[i]; j++)
            cr_assert_eq(ptrs[i][j], (unsigned char)(i & 0xff),
                         "allocation %zu was overwritten at byte %zu", i, j);
    }
    arena_free(&a);
}

Test(arena, total_bytes_counts_rounded_sizes)
{
    arena_t a;
    arena_init(&a);
    const size_t align = alignof(max_align_t);
    arena_alloc(&a, 1);
    cr_expect_eq(a.total_bytes, align);
    arena_alloc(&a, align);
    cr_expect_eq(a.total_bytes, 2 * align);
    arena_alloc(&a, 100000);
    cr_expect_eq(a.total_bytes, 2 * align + 100000);
    arena_free(&a);
    cr_expect_eq(a.total_bytes, 0);
}

Test(arena, large_allocation_is_fully_usable)
{
    arena_t a;
    arena_init(&a);
    size_t big = 4 * 1024 * 1024 + 3;
    unsigned char *p = arena_alloc(&a, big);
    cr_assert(aligned(p));
    /* ASan knows the block's exact size: touching every byte proves the block
     * holds the whole allocation. */
    memset(p, 0xab, big);
    cr_expect_eq(p[0], 0xab);
    cr_expect_eq(p[big - 1], 0xab);
    arena_free(&a);
}

Test(arena, large_allocation_does_not_waste_the_current_block)
{
    arena_t a;
    arena_init(&a);
    char *small1 = arena_alloc(&a, 16);
    char *big = arena_alloc(&a, ARENA_BLOCK_BYTES * 2);
    char *small2 = arena_alloc(&a, 16);
    cr_expect_eq(small2, small1 + 16, "the small allocation after a big one continues the block");
    cr_expect(big < small1 || big >= small1 + ARENA_BLOCK_BYTES);
    arena_free(&a);
}

Test(arena, allocation_larger_than_a_block_in_a_fresh_arena)
{
    arena_t a;
    arena_init(&a);
    char *big = arena_alloc(&a, ARENA_BLOCK_BYTES + 1);
    memset(big, 1, ARENA_BLOCK_BYTES + 1);
    char *small = arena_alloc(&a, 8);
    memset(small, 2, 8);
    cr_expect_eq(big[ARENA_BLOCK_BYTES], 1);
    arena_reset(&a);
    char *again = arena_alloc(&a, 8);
    memset(again, 3, 8);
    arena_free(&a);
}

Test(arena, reset_keeps_the_first_block_and_stays_usable)
{
    arena_t a;
    arena_init(&a);
    void *first = arena_alloc(&a, 24);
    for (int i = 0; i < 100; i++)
        arena_alloc(&a, 500);
    arena_alloc(&a, 1 << 20);
    cr_expect_gt(a.total_bytes, 50000);

    arena_reset(&a);
    cr_expect_eq(a.total_bytes, 0);
    cr_assert_not_null(a.head, "the first block is kept for reuse");
    cr_expect_null(a.head->next, "every other block is released");
    void *again = arena_alloc(&a, 24);
    cr_expect_eq(again, first, "the kept block is reused from its start");

    /* And it still grows past the kept block. */
    for (int i = 0; i < 100; i++) {
        char *p = arena_alloc(&a, 300);
        memset(p, 'x', 300);
    }
    arena_reset(&a);
    arena_reset(&a);
    cr_expect_eq(arena_alloc(&a, 1), first);
    arena_free(&a);
}

Test(arena, usable_again_after_free_and_init)
{
    arena_t a;
    arena_init(&a);
    arena_alloc(&a, 10);
    arena_free(&a);
    arena_init(&a);
    char *p = arena_strndup(&a, "again", 5);
    cr_expect_str_eq(p, "again");
    arena_free(&a);
}

Test(arena, calloc_zeroes_reused_memory)
{
    arena_t a;
    arena_init(&a);
    unsigned char *dirty = arena_alloc(&a, 256);
    memset(dirty, 0xff, 256);
    arena_reset(&a);
    unsigned char *clean = arena_calloc(&a, 32, 8);
    cr_assert_eq(clean, dirty);
    for (size_t i = 0; i < 256; i++)
        cr_assert_eq(clean[i], 0, "byte %zu", i);
    arena_free(&a);
}

Test(arena, strndup_copies_exactly_len_bytes)
{
    arena_t a;
    arena_init(&a);
    const char src[] = "hello, world";
    char *p = arena_strndup(&a, src, 5);
    cr_expect_str_eq(p, "hello");
    cr_expect_neq((void *)p, (void *)src);
    char *empty = arena_strndup(&a, src, 0);
    cr_expect_str_eq(empty, "");
    arena_free(&a);
}

Test(arena, printf_formats_short_and_long_strings)
{
    arena_t a;
    arena_init(&a);
    cr_expect_str_eq(arena_printf(&a, "%s-%d-%05.1f", "id", 42, 3.14159), "id-42-003.1");
    char long_text[10000];
    memset(long_text, 'q', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    char *p = arena_printf(&a, "<%s>", long_text);
    cr_expect_eq(strlen(p), sizeof(long_text) + 1);
    cr_expect_eq(p[0], '<');
    cr_expect_eq(p[sizeof(long_text)], '>');
    arena_free(&a);
}

Test(arena, zero_size_allocation_is_valid)
{
    arena_t a;
    arena_init(&a);
    void *p = arena_alloc(&a, 0);
    cr_expect_not_null(p);
    cr_expect(aligned(p));
    arena_free(&a);
}

/* ---- impossible sizes --------------------------------------------------- */

/* The control for the two tests below: with a NULL-returning allocator, an
 * impossible request ends in xmalloc's abort. */
Test(arena, xmalloc_aborts_on_an_impossible_size, .signal = SIGABRT)
{
    void *p = xmalloc(SIZE_MAX - 64);
    free(p);
}

/* arena.h: "Never NULL ... Aborts on out-of-memory like xmalloc". A request
 * just under SIZE_MAX cannot be satisfied, so it must abort; instead
 * block_new() computes sizeof(block) + capacity, which wraps around to a few
 * bytes, and arena_alloc() hands back a pointer to a block with no room at
 * all. */
Test(arena, alloc_of_nearly_size_max_aborts, .signal = SIGABRT)
{
    arena_t a;
    arena_init(&a);
    unsigned char *p = arena_alloc(&a, SIZE_MAX - 8);
    /* Reached only when the allocation "succeeded": say so and fail. */
    cr_log_error("arena_alloc(SIZE_MAX - 8) returned %p instead of aborting", (void *)p);
    arena_free(&a);
}

/* arena_calloc() saturates an overflowing count * size "so that xmalloc
 * aborts on it"; it does not (same wrap-around), and the memset that follows
 * writes far past the block. */
Test(arena, calloc_with_overflowing_count_aborts, .signal = SIGABRT)
{
    arena_t a;
    arena_init(&a);
    void *p = arena_calloc(&a, SIZE_MAX / 2, 4);
    cr_log_error("arena_calloc(SIZE_MAX / 2, 4) returned %p instead of aborting", p);
    arena_free(&a);
}
