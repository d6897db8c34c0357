/* Image headers read by hand (src/media/sniff.c): the type the magic bytes
 * say, the Content-Type check, the dimensions and layout of JPEG, PNG and
 * WebP headers, the refusals of the gate in front of libvips, and the
 * memory estimate the image queue admits jobs by. */
#include <criterion/criterion.h>
#include <string.h>

#include "media/sniff.h"

/* A JPEG: SOI, an APP0 segment, then a frame header (SOF0 or SOF2) of
 * width x height with three components sampled 2x2, 1x1, 1x1 (4:2:0). */
static size_t jpeg(uint8_t *out, uint8_t sof, uint32_t width, uint32_t height)
{
    static const uint8_t head[] = {0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J',  'F',  'I',  'F',
                                   0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00};
    size_t n = sizeof(head);
    memcpy(out, head, n);
    const uint8_t frame[] = {0xff,
                             sof,
                             0x00,
                             0x11,
                             0x08,
                             (uint8_t)(height >> 8),
                             (uint8_t)height,
                             (uint8_t)(width >> 8),
                             (uint8_t)width,
                             0x03,
                             0x01,
                             0x22,
                             0x00,
                             0x02,
                             0x11,
                             0x01,
                             0x03,
                             0x11,
                             0x01};
    memcpy(out + n, frame, sizeof(frame));
    return n + sizeof(frame);
}

static size_t png(uint8_t *out, uint32_t width, uint32_t height, uint8_t depth, uint8_t colour,
                  uint8_t interlace)
{
    static const uint8_t sig[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
                                  0,    0,   0,   13,  'I',  'H',  'D',  'R'};
    memcpy(out, sig, sizeof(sig));
    uint8_t *h = out + sizeof(sig);
    h[0] = (uint8_t)(width >> 24), h[1] = (uint8_t)(width >> 16), h[2] = (uint8_t)(width >> 8);
    h[3] = (uint8_t)width;
    h[4] = (uint8_t)(height >> 24), h[5] = (uint8_t)(height >> 16), h[6] = (uint8_t)(height >> 8);
    h[7] = (uint8_t)height;
    h[8] = depth, h[9] = colour, h[10] = 0, h[11] = 0, h[12] = interlace;
    memset(h + 13, 0, 4); /* CRC: not read */
    return sizeof(sig) + 17;
}

static size_t webp(uint8_t *out, const char *fourcc, const uint8_t *payload, size_t len)
{
    memcpy(out, "RIFF\x00\x00\x00\x00WEBP", 12);
    memcpy(out + 12, fourcc, 4);
    out[16] = (uint8_t)len, out[17] = out[18] = out[19] = 0;
    memcpy(out + 20, payload, len);
    return 20 + len;
}

Test(sniff, content_types)
{
    cr_assert_eq(media_type_from_content_type("image/jpeg"), MEDIA_TYPE_JPEG);
    cr_assert_eq(media_type_from_content_type("IMAGE/PNG"), MEDIA_TYPE_PNG);
    cr_assert_eq(media_type_from_content_type("image/webp; q=1"), MEDIA_TYPE_WEBP);
    cr_assert_eq(media_type_from_content_type(" image/jpeg"), MEDIA_TYPE_JPEG);
    cr_assert_eq(media_type_from_content_type("image/jpg"), MEDIA_TYPE_NONE);
    cr_assert_eq(media_type_from_content_type("image/jpegx"), MEDIA_TYPE_NONE);
    cr_assert_eq(media_type_from_content_type("image/gif"), MEDIA_TYPE_NONE);
    cr_assert_eq(media_type_from_content_type(""), MEDIA_TYPE_NONE);
    cr_assert_eq(media_type_from_content_type(NULL), MEDIA_TYPE_NONE);
    cr_assert_str_eq(media_type_mime(MEDIA_TYPE_WEBP), "image/webp");
    cr_assert_null(media_type_mime(MEDIA_TYPE_NONE));
}

Test(sniff, magic_bytes)
{
    cr_assert_eq(media_sniff_type((const uint8_t *)"\xff\xd8\xff", 3), MEDIA_TYPE_JPEG);
    cr_assert_eq(media_sniff_type((const uint8_t *)"\xff\xd8", 2), MEDIA_TYPE_NONE);
    cr_assert_eq(media_sniff_type((const uint8_t *)"\x89PNG\r\n\x1a\n", 8), MEDIA_TYPE_PNG);
    cr_assert_eq(media_sniff_type((const uint8_t *)"\x89PNG\r\n\x1a", 7), MEDIA_TYPE_NONE);
    cr_assert_eq(media_sniff_type((const uint8_t *)"RIFF\0\0\0\0WEBP", 12), MEDIA_TYPE_WEBP);
    cr_assert_eq(media_sniff_type((const uint8_t *)"RIFF\0\0\0\0WAVE", 12), MEDIA_TYPE_NONE);
    cr_assert_eq(media_sniff_type((const uint8_t *)"GIF89a", 6), MEDIA_TYPE_NONE);
}

Test(sniff, jpeg_baseline_and_progressive)
{
    uint8_t buf[64];
    media_info_t info;
    size_t n = jpeg(buf, 0xc0, 4000, 3000);
    cr_assert_eq(media_sniff(buf, n, &info), 0);
    cr_assert_eq(info.type, MEDIA_TYPE_JPEG);
    cr_assert_eq(info.width, 4000);
    cr_assert_eq(info.height, 3000);
    cr_assert_eq(info.channels, 3);
    cr_assert_not(info.whole_image_decode);
    cr_assert_eq(info.jpeg_samples_x1024, 1536); /* 4:2:0: 1.5 samples a pixel */
    n = jpeg(buf, 0xc2, 4000, 3000);
    cr_assert_eq(media_sniff(buf, n, &info), 0);
    cr_assert(info.whole_image_decode);
}

Test(sniff, jpeg_refusals)
{
    uint8_t buf[64];
    media_info_t info;
    size_t n = jpeg(buf, 0xc0, 8000, 5001); /* 40,008,000 pixels */
    cr_assert_eq(media_sniff(buf, n, &info), MEDIA_E_TOO_MANY_PIXELS);
    n = jpeg(buf, 0xc0, 8000, 5000); /* exactly 40 megapixels */
    cr_assert_eq(media_sniff(buf, n, &info), 0);
    n = jpeg(buf, 0xc0, 100, 0); /* height from a DNL marker */
    cr_assert_eq(media_sniff(buf, n, &info), MEDIA_E_UNDECODABLE);
    n = jpeg(buf, 0xc0, 100, 100);
    for (size_t cut = 3; cut < n; cut++)
        cr_assert_eq(media_sniff(buf, cut, &info), MEDIA_E_UNDECODABLE, "cut at %zu", cut);
    /* A scan before any frame header. */
    const uint8_t sos[] = {0xff, 0xd8, 0xff, 0xda, 0x00, 0x02};
    cr_assert_eq(media_sniff(sos, sizeof(sos), &info), MEDIA_E_UNDECODABLE);
    /* A segment length running past the end. */
    const uint8_t longseg[] = {0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff, 0x00};
    cr_assert_eq(media_sniff(longseg, sizeof(longseg), &info), MEDIA_E_UNDECODABLE);
    /* A length below 2. */
    const uint8_t short_len[] = {0xff, 0xd8, 0xff, 0xe1, 0x00, 0x01, 0x00, 0x00};
    cr_assert_eq(media_sniff(short_len, sizeof(short_len), &info), MEDIA_E_UNDECODABLE);
    /* DHT (0xC4) is not a frame header; nothing follows it. */
    const uint8_t dht[] = {0xff, 0xd8, 0xff, 0xc4, 0x00, 0x02};
    cr_assert_eq(media_sniff(dht, sizeof(dht), &info), MEDIA_E_UNDECODABLE);
    /* A sampling factor of 0. */
    n = jpeg(buf, 0xc0, 100, 100);
    buf[n - 8] = 0x02;
    cr_assert_eq(media_sniff(buf, n, &info), MEDIA_E_UNDECODABLE);
}

Test(sniff, png)
{
    uint8_t buf[64];
    media_info_t info;
    size_t n = png(buf, 300, 200, 8, 6, 0);
    cr_assert_eq(media_sniff(buf, n, &info), 0);
    cr_assert_eq(info.type, MEDIA_TYPE_PNG);
    cr_assert_eq(info.width, 300);
    cr_assert_eq(info.height, 200);
    cr_assert_eq(info.channels, 4);
    cr_assert_eq(info.bytes_per_sample, 1);
    cr_assert_not(info.whole_image_decode);
    n = png(buf, 300, 200, 16, 2, 1);
    cr_assert_eq(media_sniff(buf, n, &info), 0);
    cr_assert_eq(info.channels, 3);
    cr_assert_eq(info.bytes_per_sample, 2);
    cr_assert(info.whole_image_decode);
    n = png(buf, 100000, 100000, 8, 2, 0);
    cr_assert_eq(media_sniff(buf, n, &info), MEDIA_E_TOO_MANY_PIXELS);
    n = png(buf, 0xffffffffu, 0xffffffffu, 8, 2, 0); /* no overflow */
    cr_assert_eq(media_sniff(buf, n, &info), MEDIA_E_TOO_MANY_PIXELS);
    cr_assert_eq(media_sniff(buf, png(buf, 0, 10, 8, 2, 0), &info), MEDIA_E_UNDECODABLE);
    cr_assert_eq(media_sniff(buf, png(buf, 10, 10, 7, 2, 0), &info), MEDIA_E_UNDECODABLE);
    cr_assert_eq(media_sniff(buf, png(buf, 10, 10, 8, 5, 0), &info), MEDIA_E_UNDECODABLE);
    cr_assert_eq(media_sniff(buf, png(buf, 10, 10, 8, 2, 2), &info), MEDIA_E_UNDECODABLE);
    n = png(buf, 10, 10, 8, 2, 0);
    cr_assert_eq(media_sniff(buf, n - 5, &info), MEDIA_E_UNDECODABLE);
}

Test(sniff, webp)
{
    uint8_t buf[64];
    media_info_t info;
    const uint8_t vp8[] = {0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0xf4, 0x01, 0x2c, 0x01};
    size_t n = webp(buf, "VP8 ", vp8, sizeof(vp8));
    cr_assert_eq(media_sniff(buf, n, &info), 0);
    cr_assert_eq(info.width, 500);
    cr_assert_eq(info.height, 300);
    /* VP8L: 0x2f, then width-1 (14 bits), height-1 (14 bits). */
    uint32_t bits = (500 - 1) | (uint32_t)(300 - 1) << 14;
    const uint8_t vp8l[] = {0x2f,
                            (uint8_t)bits,
                            (uint8_t)(bits >> 8),
                            (uint8_t)(bits >> 16),
                            (uint8_t)(bits >> 24),
                            0,
                            0,
                            0,
                            0,
                            0};
    n = webp(buf, "VP8L", vp8l, sizeof(vp8l));
    cr_assert_eq(media_sniff(buf, n, &info), 0);
    cr_assert_eq(info.width, 500);
    cr_assert_eq(info.height, 300);
    /* VP8X canvas 16000 x 16000: a bomb. */
    const uint8_t vp8x[] = {0, 0, 0, 0, 0x7f, 0x3e, 0x00, 0x7f, 0x3e, 0x00};
    n = webp(buf, "VP8X", vp8x, sizeof(vp8x));
    cr_assert_eq(media_sniff(buf, n, &info), MEDIA_E_TOO_MANY_PIXELS);
    n = webp(buf, "VP8 ", vp8, sizeof(vp8));
    buf[20 + 3] = 0; /* no start code */
    cr_assert_eq(media_sniff(buf, n, &info), MEDIA_E_UNDECODABLE);
    n = webp(buf, "ALPH", vp8, sizeof(vp8));
    cr_assert_eq(media_sniff(buf, n, &info), MEDIA_E_UNDECODABLE);
    cr_assert_eq(media_sniff(buf, 20, &info), MEDIA_E_UNDECODABLE);
}

Test(sniff, empty_and_unknown)
{
    media_info_t info;
    cr_assert_eq(media_sniff((const uint8_t *)"", 0, &info), MEDIA_E_EMPTY);
    cr_assert_eq(media_sniff((const uint8_t *)"GIF89a..", 8, &info), MEDIA_E_UNSUPPORTED);
    cr_assert_str_eq(media_error_reason(MEDIA_E_TOO_MANY_PIXELS), "too_many_pixels");
    cr_assert_str_eq(media_error_reason(MEDIA_E_EMPTY), "required");
    cr_assert_str_eq(media_error_reason(0), "ok");
    cr_assert_str_eq(media_error_reason(-99), "unknown");
}

Test(sniff, decode_estimate)
{
    media_info_t baseline = {.type = MEDIA_TYPE_JPEG,
                             .width = 4000,
                             .height = 3000,
                             .channels = 3,
                             .bytes_per_sample = 1,
                             .jpeg_samples_x1024 = 1536};
    media_info_t progressive = baseline;
    progressive.whole_image_decode = true;
    uint64_t b = media_decode_bytes(&baseline), p = media_decode_bytes(&progressive);
    /* The reduced 2048 x 1536 image three times over, RGBA: about 36 MiB. */
    cr_assert(b > 36u << 20 && b < 64u << 20, "baseline %llu", (unsigned long long)b);
    /* Plus 12 Mpx x 1.5 samples x 2 bytes of coefficients. */
    cr_assert_eq(p - b, 4000ull * 3000 * 2 * 1536 / 1024);
    media_info_t interlaced = {.type = MEDIA_TYPE_PNG,
                               .width = 6320,
                               .height = 6320,
                               .channels = 4,
                               .bytes_per_sample = 2,
                               .whole_image_decode = true};
    cr_assert(media_decode_bytes(&interlaced) > 300u << 20);
}
