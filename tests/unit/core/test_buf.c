/* The capped buffer: the cap is exact, a refused append changes nothing, and
 * consume, clear, steal and printf keep the NUL-terminated contents right. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "unit/core/leak_check.h"

TestSuite(buf, .fini = unit_check_no_leaks);

Test(buf, starts_empty_without_memory)
{
    buf_t b;
    buf_init(&b, 100);
    cr_expect_null(b.data);
    cr_expect_eq(b.len, 0);
    cr_expect_eq(b.max_bytes, 100);
    buf_free(&b);
}

Test(buf, append_keeps_data_nul_terminated)
{
    buf_t b;
    buf_init(&b, 100);
    cr_assert_eq(buf_append(&b, "abc", 3), 0);
    cr_assert_eq(buf_append_str(&b, "def"), 0);
    cr_expect_eq(b.len, 6);
    cr_expect_str_eq(b.data, "abcdef");
    cr_assert_eq(buf_append(&b, NULL, 0), 0);
    cr_expect_eq(b.len, 6);
    buf_free(&b);
}

Test(buf, cap_is_enforced_exactly_at_max_bytes)
{
    buf_t b;
    buf_init(&b, 10);
    cr_assert_eq(buf_append(&b, "0123456789", 10), 0, "exactly max_bytes fits");
    cr_expect_eq(b.len, 10);
    cr_expect_leq(b.capacity, 11, "never more than max_bytes + 1 allocated");
    cr_expect_eq(buf_append(&b, "x", 1), BUF_E_TOOBIG);
    cr_expect_eq(b.len, 10, "a refused append leaves the buffer as it was");
    cr_expect_str_eq(b.data, "0123456789");
    cr_expect_eq(buf_append(&b, "", 0), 0, "nothing more always fits");
    buf_free(&b);
}

Test(buf, one_append_over_the_cap_is_refused_whole)
{
    buf_t b;
    buf_init(&b, 10);
    cr_assert_eq(buf_append(&b, "abcd", 4), 0);
    cr_expect_eq(buf_append(&b, "0123456", 7), BUF_E_TOOBIG);
    cr_expect_eq(b.len, 4);
    cr_expect_str_eq(b.data, "abcd");
    cr_expect_eq(buf_append(&b, "012345", 6), 0, "up to the cap still fits");
    cr_expect_str_eq(b.data, "abcd012345");
    buf_free(&b);
}

Test(buf, refused_first_append_allocates_nothing)
{
    buf_t b;
    buf_init(&b, 3);
    cr_expect_eq(buf_append(&b, "abcd", 4), BUF_E_TOOBIG);
    cr_expect_null(b.data);
    cr_expect_eq(b.len, 0);
    buf_free(&b);
}

Test(buf, huge_length_does_not_wrap_the_check)
{
    buf_t b;
    buf_init(&b, 100);
    cr_assert_eq(buf_append(&b, "abc", 3), 0);
    cr_expect_eq(buf_append(&b, "x", SIZE_MAX), BUF_E_TOOBIG);
    cr_expect_eq(buf_append(&b, "x", SIZE_MAX - 1), BUF_E_TOOBIG);
    cr_expect_eq(b.len, 3);
    buf_free(&b);
}

Test(buf, zero_cap_takes_nothing)
{
    buf_t b;
    buf_init(&b, 0);
    cr_expect_eq(buf_append(&b, "", 0), 0);
    cr_expect_eq(buf_append(&b, "a", 1), BUF_E_TOOBIG);
    cr_expect_eq(b.len, 0);
    buf_free(&b);
}

Test(buf, grows_byte_by_byte_to_the_cap)
{
    buf_t b;
    enum { CAP = 100000 };
    buf_init(&b, CAP);
    for (size_t i = 0; i < CAP; i++) {
        char c = (char)('a' + i % 26);
        cr_assert_eq(buf_append(&b, &c, 1), 0, "byte %zu", i);
    }
    cr_expect_eq(buf_append(&b, "z", 1), BUF_E_TOOBIG);
    cr_assert_eq(b.len, CAP);
    cr_expect_leq(b.capacity, CAP + 1);
    for (size_t i = 0; i < CAP; i++)
        cr_assert_eq(b.data[i], (char)('a' + i % 26), "byte %zu", i);
    cr_expect_eq(b.data[CAP], '\0');
    buf_free(&b);
}

Test(buf, printf_formats_and_respects_the_cap)
{
    buf_t b;
    buf_init(&b, 16);
    cr_assert_eq(buf_printf(&b, "%s=%d", "id", 42), 0);
    cr_expect_str_eq(b.data, "id=42");
    cr_assert_eq(buf_printf(&b, ";%s", "x"), 0);
    cr_expect_str_eq(b.data, "id=42;x");
    cr_expect_eq(buf_printf(&b, "%010d", 7), BUF_E_TOOBIG, "7 + 10 bytes pass 16");
    cr_expect_eq(b.len, 7);
    cr_assert_eq(buf_printf(&b, "%09d", 7), 0, "exactly to the cap");
    cr_expect_eq(b.len, 16);
    cr_expect_str_eq(b.data, "id=42;x000000007");
    buf_free(&b);
}

/* buf.h: a refused append leaves "the buffer as it was", and the data "is
 * always NUL-terminated". buf_printf() first formats into the room left after
 * len, and only then checks the cap: a refused printf leaves its truncated text
 * after len, so data[len] is no longer the terminating NUL and b.data reads
 * "id=42;x000000000" while b.len is 7. */
Test(buf, refused_printf_leaves_the_buffer_as_it_was)
{
    buf_t b;
    buf_init(&b, 16);
    cr_assert_eq(buf_printf(&b, "%s=%d;%s", "id", 42, "x"), 0);
    cr_assert_gt(b.capacity, 8, "there is room left in the allocation");
    cr_assert_eq(buf_printf(&b, "%010d", 7), BUF_E_TOOBIG);
    cr_expect_eq(b.len, 7);
    cr_expect_eq(b.data[b.len], '\0', "data[len] must stay the terminating NUL");
    cr_expect_str_eq(b.data, "id=42;x");
    buf_free(&b);
}

Test(buf, printf_fits_in_the_room_left)
{
    buf_t b;
    buf_init(&b, 1000);
    cr_assert_eq(buf_append_str(&b, "head"), 0);
    char *data = b.data;
    cr_assert_eq(buf_printf(&b, "-%d-", 12345), 0);
    cr_expect_eq(b.data, data, "no reallocation was needed");
    cr_expect_eq(b.len, 11);
    cr_expect_str_eq(b.data, "head-12345-");
    buf_free(&b);
}

Test(buf, reserve_makes_room_without_changing_contents)
{
    buf_t b;
    buf_init(&b, 4096);
    cr_assert_eq(buf_append_str(&b, "abc"), 0);
    cr_assert_eq(buf_reserve(&b, 3000), 0);
    cr_expect_geq(b.capacity, 3004);
    cr_expect_leq(b.capacity, 4097);
    cr_expect_eq(b.len, 3);
    cr_expect_str_eq(b.data, "abc");
    char *data = b.data;
    char filler[3000];
    memset(filler, 'f', sizeof(filler));
    cr_assert_eq(buf_append(&b, filler, sizeof(filler)), 0);
    cr_expect_eq(b.data, data, "the reserved room was used without reallocating");
    cr_expect_eq(buf_reserve(&b, 1094), BUF_E_TOOBIG, "3003 + 1094 passes 4096");
    cr_expect_eq(buf_reserve(&b, 1093), 0);
    cr_expect_eq(b.len, 3003);
    buf_free(&b);
}

Test(buf, printf_of_a_long_string)
{
    buf_t b;
    buf_init(&b, 1 << 20);
    char text[5000];
    memset(text, 'w', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    cr_assert_eq(buf_printf(&b, "[%s]", text), 0);
    cr_expect_eq(b.len, sizeof(text) + 1);
    cr_expect_eq(b.data[0], '[');
    cr_expect_eq(b.data[b.len - 1], ']');
    cr_expect_eq(b.data[b.len], '\0');
    buf_free(&b);
}

Test(buf, consume_drops_the_front)
{
    buf_t b;
    buf_init(&b, 100);
    buf_append_str(&b, "hello world");
    buf_consume(&b, 0);
    cr_expect_str_eq(b.data, "hello world");
    buf_consume(&b, 6);
    cr_expect_eq(b.len, 5);
    cr_expect_str_eq(b.data, "world");
    buf_consume(&b, 5);
    cr_expect_eq(b.len, 0);
    cr_expect_str_eq(b.data, "");
    buf_append_str(&b, "abc");
    buf_consume(&b, 1000);
    cr_expect_eq(b.len, 0);
    cr_expect_str_eq(b.data, "");
    buf_free(&b);
}

Test(buf, consume_frees_room_under_the_cap)
{
    buf_t b;
    buf_init(&b, 8);
    cr_assert_eq(buf_append(&b, "12345678", 8), 0);
    cr_expect_eq(buf_append(&b, "9", 1), BUF_E_TOOBIG);
    buf_consume(&b, 3);
    cr_assert_eq(buf_append(&b, "9ab", 3), 0);
    cr_expect_str_eq(b.data, "456789ab");
    buf_free(&b);
}

Test(buf, consume_on_an_empty_buffer)
{
    buf_t b;
    buf_init(&b, 8);
    buf_consume(&b, 3);
    cr_expect_eq(b.len, 0);
    cr_expect_null(b.data);
    buf_free(&b);
}

Test(buf, clear_keeps_the_memory)
{
    buf_t b;
    buf_init(&b, 1000);
    buf_append_str(&b, "some text");
    char *data = b.data;
    size_t cap = b.capacity;
    buf_clear(&b);
    cr_expect_eq(b.len, 0);
    cr_expect_eq(b.data, data);
    cr_expect_eq(b.capacity, cap);
    cr_expect_str_eq(b.data, "");
    buf_free(&b);
}

Test(buf, steal_hands_over_the_data)
{
    buf_t b;
    buf_init(&b, 100);
    buf_append_str(&b, "payload");
    size_t len = 0;
    char *data = buf_steal(&b, &len);
    cr_assert_not_null(data);
    cr_expect_eq(len, 7);
    cr_expect_str_eq(data, "payload");
    cr_expect_null(b.data);
    cr_expect_eq(b.len, 0);
    cr_expect_eq(b.capacity, 0);
    /* The buffer is reusable, with its cap. */
    cr_assert_eq(buf_append_str(&b, "next"), 0);
    cr_expect_str_eq(b.data, "next");
    cr_expect_str_eq(data, "payload", "the stolen data is independent");
    cr_expect_eq(b.max_bytes, 100);
    free(data);
    buf_free(&b);
}

Test(buf, steal_of_an_empty_buffer)
{
    buf_t b;
    buf_init(&b, 100);
    size_t len = 99;
    char *data = buf_steal(&b, &len);
    cr_expect_eq(len, 0);
    free(data); /* NULL is allowed */
    buf_free(&b);
}

Test(buf, free_then_reuse)
{
    buf_t b;
    buf_init(&b, 100);
    buf_append_str(&b, "abc");
    buf_free(&b);
    cr_expect_null(b.data);
    cr_expect_eq(b.len, 0);
    cr_assert_eq(buf_append_str(&b, "xyz"), 0);
    cr_expect_str_eq(b.data, "xyz");
    buf_free(&b);
    buf_free(&b); /* twice is harmless */
}

/* buf.h puts no limit on max_bytes, and SIZE_MAX reads as "no cap". But
 * reserve() clamps the new capacity to max_bytes + 1, which wraps to 0: the
 * buffer is reallocated to 0 (1) bytes and the append writes past it
 * (AddressSanitizer: heap-buffer-overflow in buf_append). */
Test(buf, size_max_cap_means_unbounded)
{
    buf_t b;
    buf_init(&b, SIZE_MAX);
    cr_assert_eq(buf_append(&b, "hello", 5), 0);
    cr_expect_str_eq(b.data, "hello");
    cr_expect_geq(b.capacity, 6);
    buf_free(&b);
}
