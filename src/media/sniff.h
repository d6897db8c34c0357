/* What an uploaded image is, read from its first bytes without decoding a
 * pixel: the format its magic bytes say, and the dimensions and layout its
 * header declares. Pure functions, cheap enough for the loop thread (they read
 * a few dozen bytes, and walk a JPEG's marker lengths up to its frame header).
 *
 * This is the gate in front of libvips: the declared Content-Type must agree
 * with the magic bytes (API.md: else 415), and a header that declares more
 * than MEDIA_MAX_PIXELS is refused before any decoder allocates for it, so a
 * decompression bomb (a small file declaring a huge canvas) costs nothing.
 * media_decode_bytes() turns the header into the most memory decoding it may
 * take, for the image queue's budget (queue.h). */
#ifndef RURAL24_MEDIA_SNIFF_H
#define RURAL24_MEDIA_SNIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* X(enum name, code, reason in API errors' fields.image, message). 0 is
 * success. The reasons are part of the API (docs/IMAGES.md). */
#define MEDIA_ERROR_MAP(X)                                                                         \
    X(EMPTY, -1, "required", "the request has no image")                                           \
    X(UNSUPPORTED, -2, "unsupported_type", "the bytes are not a JPEG, PNG or WebP image")          \
    X(MISMATCH, -3, "type_mismatch", "the bytes are not of the type Content-Type declares")        \
    X(UNDECODABLE, -4, "undecodable", "the image is truncated or corrupt")                         \
    X(TOO_MANY_PIXELS, -5, "too_many_pixels", "the image has more than 40 megapixels")             \
    X(TOO_LARGE_TO_DECODE, -6, "too_large_to_decode",                                              \
      "decoding this image (progressive or interlaced) needs more memory than the server allows")  \
    X(BUSY, -7, "busy", "too many images are waiting to be processed; try again shortly")          \
    X(INTERNAL, -8, "internal", "the image could not be encoded")

typedef enum {
    MEDIA_OK = 0,
#define X(name, code, reason, message) MEDIA_E_##name = code,
    MEDIA_ERROR_MAP(X)
#undef X
} media_error_t;

/* The reason word ("too_many_pixels"; "ok" for 0, "unknown" otherwise). */
const char *media_error_reason(int err);

/* A sentence for err. */
const char *media_error_message(int err);

typedef enum {
    MEDIA_TYPE_NONE = 0,
    MEDIA_TYPE_JPEG,
    MEDIA_TYPE_PNG,
    MEDIA_TYPE_WEBP,
} media_type_t;

enum {
    MEDIA_MAX_PIXELS = 40 * 1000 * 1000, /* API.md: over 40 megapixels is refused */
};

/* What a header declares. */
typedef struct {
    media_type_t type;
    uint32_t width, height; /* the canvas (WebP: VP8X canvas; one frame) */
    int channels;           /* 1..4 as decoded (a PNG palette counts as 4) */
    int bytes_per_sample;   /* 1, or 2 for 16-bit PNG */
    /* JPEG: progressive (the decoder keeps every DCT coefficient of the
     * whole image); PNG: Adam7 interlaced (the decoder keeps every pixel). */
    bool whole_image_decode;
    /* JPEG: the DCT coefficients of every component per pixel, times 1024
     * (4:2:0 with three components is 1536: 1.5 samples a pixel). */
    uint32_t jpeg_samples_x1024;
} media_info_t;

/* The type a Content-Type header names: image/jpeg, image/png or
 * image/webp, case-insensitive, parameters ignored; MEDIA_TYPE_NONE for any
 * other or NULL. */
media_type_t media_type_from_content_type(const char *content_type);

/* "image/jpeg", "image/png", "image/webp" (NULL for NONE). */
const char *media_type_mime(media_type_t type);

/* The type the magic bytes say, or MEDIA_TYPE_NONE. */
media_type_t media_sniff_type(const uint8_t *data, size_t len);

/* Reads the header of data[0..len): 0 with *out filled, or
 * MEDIA_E_EMPTY (len 0), MEDIA_E_UNSUPPORTED (no magic of ours),
 * MEDIA_E_UNDECODABLE (the magic but no readable header: truncated, a zero
 * dimension, a JPEG without a frame header before its scan),
 * MEDIA_E_TOO_MANY_PIXELS (width x height over MEDIA_MAX_PIXELS). */
int media_sniff(const uint8_t *data, size_t len, media_info_t *out);

/* The output's long side (API.md: at most 2048 px) and the thumbnail's
 * bounds (at most 400 px wide; a tall strip stops at twice that high). */
enum {
    MEDIA_MAX_SIDE = 2048,
    MEDIA_THUMB_WIDTH = 400,
    MEDIA_THUMB_HEIGHT = 800,
};

/* The most memory processing an image with this header may take, in bytes:
 * the reduced image held in memory, its two encodings, line buffers, and
 * what the decoder itself keeps for a progressive JPEG or an interlaced PNG.
 * An upper estimate, for admission, not an accounting. */
uint64_t media_decode_bytes(const media_info_t *info);

#endif
