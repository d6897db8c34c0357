/* Image headers read by hand (sniff.h): JPEG's markers up to the frame
 * header, PNG's IHDR, WebP's first chunk (VP8, VP8L or VP8X). Every read is
 * bounds-checked against len; nothing is allocated. */
#include "media/sniff.h"

#include <string.h>
#include <strings.h>

const char *media_error_reason(int err)
{
    switch (err) {
    case MEDIA_OK:
        return "ok";
#define X(name, code, reason, message)                                                             \
    case MEDIA_E_##name:                                                                           \
        return reason;
        MEDIA_ERROR_MAP(X)
#undef X
    default:
        return "unknown";
    }
}

const char *media_error_message(int err)
{
    switch (err) {
    case MEDIA_OK:
        return "success";
#define X(name, code, reason, message)                                                             \
    case MEDIA_E_##name:                                                                           \
        return message;
        MEDIA_ERROR_MAP(X)
#undef X
    default:
        return "unknown image error";
    }
}

media_type_t media_type_from_content_type(const char *content_type)
{
    if (content_type == NULL)
        return MEDIA_TYPE_NONE;
    while (*content_type == ' ' || *content_type == '\t')
        content_type++;
    size_t n = strcspn(content_type, "; \t");
    static const struct {
        const char *mime;
        media_type_t type;
    } known[] = {
        {"image/jpeg", MEDIA_TYPE_JPEG},
        {"image/png", MEDIA_TYPE_PNG},
        {"image/webp", MEDIA_TYPE_WEBP},
    };
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (n == strlen(known[i].mime) && strncasecmp(content_type, known[i].mime, n) == 0)
            return known[i].type;
    }
    return MEDIA_TYPE_NONE;
}

const char *media_type_mime(media_type_t type)
{
    switch (type) {
    case MEDIA_TYPE_JPEG:
        return "image/jpeg";
    case MEDIA_TYPE_PNG:
        return "image/png";
    case MEDIA_TYPE_WEBP:
        return "image/webp";
    default:
        return NULL;
    }
}

static const uint8_t PNG_MAGIC[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

media_type_t media_sniff_type(const uint8_t *data, size_t len)
{
    if (len >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
        return MEDIA_TYPE_JPEG;
    if (len >= sizeof(PNG_MAGIC) && memcmp(data, PNG_MAGIC, sizeof(PNG_MAGIC)) == 0)
        return MEDIA_TYPE_PNG;
    if (len >= 12 && memcmp(data, "RIFF", 4) == 0 && memcmp(data + 8, "WEBP", 4) == 0)
        return MEDIA_TYPE_WEBP;
    return MEDIA_TYPE_NONE;
}

static uint32_t be16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le16(const uint8_t *p)
{
    return (uint32_t)p[1] << 8 | p[0];
}

static uint32_t le24(const uint8_t *p)
{
    return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* SOF0..SOF15 but DHT (C4), JPG (C8) and DAC (CC), which share the range. */
static bool is_sof(uint8_t marker)
{
    return marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
}

static int sniff_jpeg(const uint8_t *p, size_t len, media_info_t *out)
{
    size_t pos = 2;
    for (;;) {
        /* A marker is 0xFF, any fill bytes 0xFF, then its code. */
        if (pos >= len || p[pos] != 0xff)
            return MEDIA_E_UNDECODABLE;
        while (pos < len && p[pos] == 0xff)
            pos++;
        if (pos >= len)
            return MEDIA_E_UNDECODABLE;
        uint8_t marker = p[pos++];
        if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7))
            continue; /* TEM and RSTn stand alone */
        if (marker == 0xd8 || marker == 0xd9 || marker == 0xda)
            return MEDIA_E_UNDECODABLE; /* SOI again, EOI or a scan before any frame */
        if (pos + 2 > len)
            return MEDIA_E_UNDECODABLE;
        size_t seg_len = be16(p + pos);
        if (seg_len < 2 || pos + seg_len > len)
            return MEDIA_E_UNDECODABLE;
        if (is_sof(marker)) {
            const uint8_t *s = p + pos + 2;
            if (seg_len < 8)
                return MEDIA_E_UNDECODABLE;
            uint32_t height = be16(s + 1), width = be16(s + 3);
            int components = s[5];
            if (components < 1 || components > 4 || seg_len < 8 + 3 * (size_t)components)
                return MEDIA_E_UNDECODABLE;
            /* Coefficients a pixel: each component's sampling factors over
             * the largest ones. */
            uint32_t hmax = 1, vmax = 1, sum = 0;
            for (int i = 0; i < components; i++) {
                uint32_t h = s[6 + 3 * i + 1] >> 4, v = s[6 + 3 * i + 1] & 0x0f;
                if (h < 1 || h > 4 || v < 1 || v > 4)
                    return MEDIA_E_UNDECODABLE;
                hmax = h > hmax ? h : hmax;
                vmax = v > vmax ? v : vmax;
                sum += h * v;
            }
            out->type = MEDIA_TYPE_JPEG;
            out->width = width;
            out->height = height; /* 0 (a DNL marker defines it later): refused below */
            out->channels = components;
            out->bytes_per_sample = 1;
            out->whole_image_decode =
                marker == 0xc2 || marker == 0xc6 || marker == 0xca || marker == 0xce;
            out->jpeg_samples_x1024 = sum * 1024 / (hmax * vmax);
            return 0;
        }
        pos += seg_len;
    }
}

static int sniff_png(const uint8_t *p, size_t len, media_info_t *out)
{
    /* The signature, then IHDR: length 13, type, width, height, bit depth,
     * colour type, compression, filter, interlace. */
    if (len < 8 + 8 + 13 || be32(p + 8) != 13 || memcmp(p + 12, "IHDR", 4) != 0)
        return MEDIA_E_UNDECODABLE;
    const uint8_t *h = p + 16;
    static const int channels_of[7] = {1, 0, 3, 1, 2, 0, 4};
    int depth = h[8], colour = h[9];
    if (colour > 6 || channels_of[colour] == 0 || h[12] > 1 ||
        (depth != 1 && depth != 2 && depth != 4 && depth != 8 && depth != 16))
        return MEDIA_E_UNDECODABLE;
    out->type = MEDIA_TYPE_PNG;
    out->width = be32(h);
    out->height = be32(h + 4);
    out->channels = colour == 3 ? 4 : channels_of[colour]; /* a palette may carry alpha */
    out->bytes_per_sample = depth == 16 ? 2 : 1;
    out->whole_image_decode = h[12] == 1;
    return 0;
}

static int sniff_webp(const uint8_t *p, size_t len, media_info_t *out)
{
    /* RIFF size WEBP, then the first chunk's fourcc and size at 12, its data
     * at 20. */
    if (len < 30)
        return MEDIA_E_UNDECODABLE;
    const uint8_t *d = p + 20;
    out->type = MEDIA_TYPE_WEBP;
    out->bytes_per_sample = 1;
    if (memcmp(p + 12, "VP8 ", 4) == 0) {
        /* A 3-byte frame tag (bit 0 clear: a key frame), the start code,
         * then 14-bit width and height. */
        if ((d[0] & 1) != 0 || d[3] != 0x9d || d[4] != 0x01 || d[5] != 0x2a)
            return MEDIA_E_UNDECODABLE;
        out->width = le16(d + 6) & 0x3fff;
        out->height = le16(d + 8) & 0x3fff;
        out->channels = 3;
    } else if (memcmp(p + 12, "VP8L", 4) == 0) {
        /* The signature byte 0x2f, then width-1 and height-1 in 14 bits
         * each, then the alpha hint. */
        if (d[0] != 0x2f)
            return MEDIA_E_UNDECODABLE;
        uint32_t bits =
            (uint32_t)d[1] | (uint32_t)d[2] << 8 | (uint32_t)d[3] << 16 | (uint32_t)d[4] << 24;
        out->width = (bits & 0x3fff) + 1;
        out->height = ((bits >> 14) & 0x3fff) + 1;
        out->channels = 4;
    } else if (memcmp(p + 12, "VP8X", 4) == 0) {
        /* Flags, three reserved bytes, then canvas width-1 and height-1 in
         * 24 bits each. */
        out->width = le24(d + 4) + 1;
        out->height = le24(d + 7) + 1;
        out->channels = 4;
    } else {
        return MEDIA_E_UNDECODABLE;
    }
    return 0;
}

int media_sniff(const uint8_t *data, size_t len, media_info_t *out)
{
    memset(out, 0, sizeof(*out));
    if (len == 0)
        return MEDIA_E_EMPTY;
    int rc;
    switch (media_sniff_type(data, len)) {
    case MEDIA_TYPE_JPEG:
        rc = sniff_jpeg(data, len, out);
        break;
    case MEDIA_TYPE_PNG:
        rc = sniff_png(data, len, out);
        break;
    case MEDIA_TYPE_WEBP:
        rc = sniff_webp(data, len, out);
        break;
    default:
        return MEDIA_E_UNSUPPORTED;
    }
    if (rc != 0)
        return rc;
    if (out->width == 0 || out->height == 0)
        return MEDIA_E_UNDECODABLE;
    if ((uint64_t)out->width * out->height > MEDIA_MAX_PIXELS)
        return MEDIA_E_TOO_MANY_PIXELS;
    return 0;
}

uint64_t media_decode_bytes(const media_info_t *info)
{
    uint64_t w = info->width, h = info->height, bps = (uint64_t)info->bytes_per_sample;
    uint64_t long_side = w > h ? w : h;
    /* The reduced image (at most MEDIA_MAX_SIDE on its long side), held three
     * times over at worst: in memory, turned upright, and encoded. */
    uint64_t out_pixels = w * h;
    if (long_side > MEDIA_MAX_SIDE)
        out_pixels = out_pixels * MEDIA_MAX_SIDE / long_side * MEDIA_MAX_SIDE / long_side;
    uint64_t bytes = 3 * out_pixels * 4 * bps;
    /* Line buffers of the decoder and the reducer at the input's width. */
    bytes += w * 4 * bps * 64;
    bytes += 8u << 20; /* the libraries' own tables and buffers */
    if (info->whole_image_decode && info->type == MEDIA_TYPE_JPEG)
        bytes += w * h * 2 * info->jpeg_samples_x1024 / 1024; /* 16-bit coefficients */
    else if (info->whole_image_decode)
        bytes += w * h * (uint64_t)info->channels * bps;
    return bytes;
}
