/* WebP chunk filtering (container.h). A WebP file is "RIFF", a 32-bit
 * little-endian size, "WEBP", then chunks: a fourcc, a 32-bit little-endian
 * payload size, the payload, and a pad byte when the size is odd. */
#include "media/container.h"

#include <stdbool.h>
#include <string.h>

enum {
    VP8X_ICC = 0x20,
    VP8X_EXIF = 0x08,
    VP8X_XMP = 0x04,
};

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static bool is_image_chunk(const uint8_t *fourcc)
{
    static const char *const kept[] = {"VP8X", "VP8 ", "VP8L", "ALPH", "ANIM", "ANMF"};
    for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
        if (memcmp(fourcc, kept[i], 4) == 0)
            return true;
    }
    return false;
}

int media_webp_strip(uint8_t *data, size_t *len)
{
    size_t n = *len;
    if (n < 12 || memcmp(data, "RIFF", 4) != 0 || memcmp(data + 8, "WEBP", 4) != 0 ||
        (size_t)le32(data + 4) + 8 != n)
        return -1;
    /* Check the whole chain first, so a malformed file is left untouched. */
    for (size_t pos = 12; pos < n;) {
        if (n - pos < 8)
            return -1;
        uint64_t size = le32(data + pos + 4);
        uint64_t span = 8 + size + (size & 1);
        if (span > n - pos)
            return -1;
        pos += (size_t)span;
    }
    size_t out = 12;
    for (size_t pos = 12; pos < n;) {
        uint32_t size = le32(data + pos + 4);
        size_t span = 8 + (size_t)size + (size & 1);
        if (is_image_chunk(data + pos)) {
            if (memcmp(data + pos, "VP8X", 4) == 0 && size >= 1)
                data[pos + 8] &= (uint8_t) ~(VP8X_ICC | VP8X_EXIF | VP8X_XMP);
            memmove(data + out, data + pos, span);
            out += span;
        }
        pos += span;
    }
    put_le32(data + 4, (uint32_t)(out - 8));
    *len = out;
    return 0;
}
