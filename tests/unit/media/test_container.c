/* WebP chunk filtering (src/media/container.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "media/container.h"

static size_t put_chunk(uint8_t *at, const char *fourcc, const char *payload, uint32_t len)
{
    memcpy(at, fourcc, 4);
    at[4] = (uint8_t)len, at[5] = at[6] = at[7] = 0;
    memcpy(at + 8, payload, len);
    size_t n = 8 + len;
    if (len & 1)
        at[n++] = 0;
    return n;
}

static size_t riff(uint8_t *buf, size_t body_end)
{
    memcpy(buf, "RIFF", 4);
    uint32_t size = (uint32_t)(body_end - 8);
    buf[4] = (uint8_t)size, buf[5] = (uint8_t)(size >> 8), buf[6] = buf[7] = 0;
    memcpy(buf + 8, "WEBP", 4);
    return body_end;
}

Test(webp_strip, drops_metadata_chunks_and_flags)
{
    uint8_t buf[256];
    size_t n = 12;
    n += put_chunk(buf + n, "VP8X", "\x2c\0\0\0\x01\0\0\x01\0\0", 10); /* ICC|EXIF|XMP */
    n += put_chunk(buf + n, "ICCP", "profile", 7);
    n += put_chunk(buf + n, "VP8 ", "framedata", 9);
    n += put_chunk(buf + n, "EXIF", "Exif\0\0GPS", 9);
    n += put_chunk(buf + n, "XMP ", "<x:xmpmeta/>", 12);
    n += put_chunk(buf + n, "ZZZZ", "unknown", 7);
    riff(buf, n);
    size_t len = n;
    cr_assert_eq(media_webp_strip(buf, &len), 0);
    cr_assert_eq(len, 12 + 18 + 18);
    cr_assert_eq(memcmp(buf + 12, "VP8X", 4), 0);
    cr_assert_eq(buf[20], 0x00, "the metadata flags are cleared");
    cr_assert_eq(memcmp(buf + 30, "VP8 ", 4), 0);
    cr_assert_eq(memcmp(buf + 38, "framedata", 9), 0);
    cr_assert_eq(buf[4] | buf[5] << 8, (int)(len - 8), "RIFF size updated");
}

Test(webp_strip, simple_file_unchanged)
{
    uint8_t buf[64];
    size_t n = 12 + put_chunk(buf + 12, "VP8L", "lossless", 8);
    riff(buf, n);
    uint8_t copy[64];
    memcpy(copy, buf, n);
    size_t len = n;
    cr_assert_eq(media_webp_strip(buf, &len), 0);
    cr_assert_eq(len, n);
    cr_assert_eq(memcmp(buf, copy, n), 0);
}

Test(webp_strip, malformed_left_alone)
{
    uint8_t buf[64];
    size_t n = 12 + put_chunk(buf + 12, "VP8 ", "framedata", 9);
    riff(buf, n);
    size_t len = n - 1; /* RIFF size disagrees */
    cr_assert_eq(media_webp_strip(buf, &len), -1);
    cr_assert_eq(len, n - 1);
    buf[16] = 200; /* a chunk running past the end */
    len = n;
    cr_assert_eq(media_webp_strip(buf, &len), -1);
    len = 8;
    cr_assert_eq(media_webp_strip(buf, &len), -1);
    memcpy(buf + 8, "WAVE", 4);
    len = n;
    cr_assert_eq(media_webp_strip(buf, &len), -1);
}
