/* Processing one uploaded image with libvips: decode (only the three
 * loaders of sniff.h's types are allowed), turn upright by the orientation
 * tag, reduce to MEDIA_MAX_SIDE on the long side, re-encode in the same
 * format with every metadata block stripped (EXIF, GPS, XMP, IPTC, ICC,
 * comments, PNG text chunks), and make a WebP thumbnail at most
 * MEDIA_THUMB_WIDTH wide.
 *
 * media_image_process() is synchronous and CPU-heavy: it runs on a thread of
 * the pool (queue.h), never on the loop. It is thread-safe once
 * media_init() has run. */
#ifndef RURAL24_MEDIA_IMAGE_H
#define RURAL24_MEDIA_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "media/sniff.h"

/* One encoding: bytes (malloc'd by libvips' g_malloc: free with
 * media_encoded_free()), its pixel size and its SHA-256 in hex. */
typedef struct {
    void *data;
    size_t len;
    int width, height;
    char sha256_hex[65];
} media_encoded_t;

typedef struct {
    media_encoded_t image; /* in the upload's own format */
    media_encoded_t thumb; /* WebP */
} media_image_t;

/* Starts libvips for the server (once, at start-up, from the main thread):
 * operation cache off (every image is new: a cache only holds memory),
 * one vips worker per pipeline (the bound on concurrency is the queue's),
 * every loader blocked but JPEG, PNG and WebP (no ImageMagick, PDF or SVG
 * parser ever sees an upload). 0, or -1 when libvips fails to start. */
int media_init(const char *argv0);

/* Shuts libvips down (its threads and caches), for a clean exit. */
void media_shutdown(void);

/* Processes data[0..len), whose header info describes (media_sniff() said
 * 0). 0 with *out filled (free it with media_image_free()), or
 * MEDIA_E_UNDECODABLE (corrupt or truncated: libvips refused it, or its
 * header disagrees with info), MEDIA_E_TOO_MANY_PIXELS, MEDIA_E_INTERNAL (an
 * encoder failed). On error *out holds nothing to free. */
int media_image_process(const uint8_t *data, size_t len, const media_info_t *info,
                        media_image_t *out);

void media_image_free(media_image_t *img);

#endif
