/* The libvips pipeline of image.h.
 *
 * Memory: vips_thumbnail_buffer() reads the upload sequentially and shrinks
 * while it decodes (JPEG in the DCT domain, WebP in the decoder), so a
 * 40-megapixel photo never exists at full size; the reduced image (at most
 * 2048 x 2048) is then copied to memory once, because two encoders read it
 * (the image and the thumbnail) and turning it upright needs random access.
 * The header was checked by media_sniff() before this runs, and is checked
 * again here against what the loader itself reads, so a file whose header
 * lies to one of the two readers is refused before its pixels are touched.
 *
 * Metadata: the encoders are given a new image made of the reduced pixels
 * alone (bare_pixels()), so no EXIF, XMP, IPTC, ICC profile, comment or PNG
 * text chunk exists to be written; the savers' strip option (libvips 8.14;
 * `keep` came in 8.15) is set as well, and the WebP saver's EXIF chunk,
 * which 8.14 writes regardless, is cut out of its output
 * (media_webp_strip()). The orientation tag is applied to the
 * pixels by the thumbnail operation before that. Colour: an image with an embedded ICC profile is
 * converted to sRGB first (export_profile), so dropping the profile does not shift its colours. */
#include "media/image.h"
#include "media/container.h"

#include <sodium.h>
#include <string.h>
#include <vips/vips.h>

enum {
    JPEG_QUALITY = 85,
    WEBP_QUALITY = 82,
    THUMB_QUALITY = 75,
    PNG_COMPRESSION = 6,
};

/* libvips reports a recoverable oddity of a file ("Corrupt JPEG data: 3
 * extraneous bytes") as a GLib warning on stderr, from a pool thread. Such
 * images decode and are accepted; the warning says nothing an operator can
 * act on, and the JSON log is not for pool threads, so it is dropped. */
static void drop_warning(const gchar *domain, GLogLevelFlags level, const gchar *message,
                         gpointer user_data)
{
    (void)domain;
    (void)level;
    (void)message;
    (void)user_data;
}

int media_init(const char *argv0)
{
    if (VIPS_INIT(argv0) != 0)
        return -1;
    g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, drop_warning, NULL);
    /* Every upload is a new image: cached operations would only hold
     * memory. */
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
    /* One vips worker per pipeline: the image queue bounds how many
     * pipelines run (queue.h), so the CPU and memory they take are known. */
    vips_concurrency_set(1);
    /* Only the three loaders API.md accepts may ever parse an upload. */
    vips_operation_block_set("VipsForeignLoad", TRUE);
    vips_operation_block_set("VipsForeignLoadJpegBuffer", FALSE);
    vips_operation_block_set("VipsForeignLoadPngBuffer", FALSE);
    vips_operation_block_set("VipsForeignLoadWebpBuffer", FALSE);
    return 0;
}

void media_shutdown(void)
{
    vips_shutdown();
}

static void encoded_free(media_encoded_t *e)
{
    g_free(e->data);
    memset(e, 0, sizeof(*e));
}

void media_image_free(media_image_t *img)
{
    encoded_free(&img->image);
    encoded_free(&img->thumb);
}

static void hash_hex(media_encoded_t *e)
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, e->data, e->len);
    sodium_bin2hex(e->sha256_hex, sizeof(e->sha256_hex), digest, sizeof(digest));
}

/* The header as the loader for info->type reads it (no pixel is decoded):
 * 0 when it declares the dimensions media_sniff() read. */
static int check_header(const uint8_t *data, size_t len, const media_info_t *info)
{
    VipsImage *header = NULL;
    int rc;
    switch (info->type) {
    case MEDIA_TYPE_JPEG:
        rc = vips_jpegload_buffer((void *)data, len, &header, "access", VIPS_ACCESS_SEQUENTIAL,
                                  NULL);
        break;
    case MEDIA_TYPE_PNG:
        rc =
            vips_pngload_buffer((void *)data, len, &header, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
        break;
    case MEDIA_TYPE_WEBP:
        rc = vips_webpload_buffer((void *)data, len, &header, "access", VIPS_ACCESS_SEQUENTIAL,
                                  NULL);
        break;
    default:
        return MEDIA_E_UNDECODABLE;
    }
    if (rc != 0)
        return MEDIA_E_UNDECODABLE;
    uint64_t width = (uint64_t)vips_image_get_width(header);
    uint64_t height = (uint64_t)vips_image_get_height(header);
    g_object_unref(header);
    if (width * height > MEDIA_MAX_PIXELS)
        return MEDIA_E_TOO_MANY_PIXELS;
    if (width != info->width || height != info->height)
        return MEDIA_E_UNDECODABLE;
    return 0;
}

/* A new image over memory's pixels (no copy: memory must outlive it) that
 * carries nothing but them: no metadata field exists on it for any saver to
 * write. The savers' strip option alone is not enough: libvips 8.14's WebP
 * saver writes EXIF despite it. */
static VipsImage *bare_pixels(VipsImage *memory)
{
    const void *pixels = vips_image_get_data(memory);
    if (pixels == NULL)
        return NULL;
    VipsImage *bare = vips_image_new_from_memory(
        pixels, VIPS_IMAGE_SIZEOF_IMAGE(memory), vips_image_get_width(memory),
        vips_image_get_height(memory), vips_image_get_bands(memory), vips_image_get_format(memory));
    if (bare != NULL)
        bare->Type = vips_image_get_interpretation(memory);
    return bare;
}

static int save(VipsImage *img, media_type_t type, bool thumb, media_encoded_t *out)
{
    int rc;
    if (thumb || type == MEDIA_TYPE_WEBP)
        rc = vips_webpsave_buffer(img, &out->data, &out->len, "Q",
                                  thumb ? THUMB_QUALITY : WEBP_QUALITY, "strip", TRUE, NULL);
    else if (type == MEDIA_TYPE_JPEG)
        rc = vips_jpegsave_buffer(img, &out->data, &out->len, "Q", JPEG_QUALITY, "strip", TRUE,
                                  "optimize_coding", TRUE, NULL);
    else
        rc = vips_pngsave_buffer(img, &out->data, &out->len, "compression", PNG_COMPRESSION,
                                 "strip", TRUE, NULL);
    if (rc != 0)
        return MEDIA_E_INTERNAL;
    if ((thumb || type == MEDIA_TYPE_WEBP) && media_webp_strip(out->data, &out->len) != 0)
        return MEDIA_E_INTERNAL;
    out->width = vips_image_get_width(img);
    out->height = vips_image_get_height(img);
    hash_hex(out);
    return 0;
}

int media_image_process(const uint8_t *data, size_t len, const media_info_t *info,
                        media_image_t *out)
{
    memset(out, 0, sizeof(*out));
    int rc = check_header(data, len, info);
    if (rc != 0) {
        vips_error_clear();
        return rc;
    }
    VipsImage *reduced = NULL, *memory = NULL, *bare = NULL, *thumb = NULL;
    /* Upright, at most MEDIA_MAX_SIDE on its long side, in sRGB; a truncated
     * or corrupt file fails here (fail_on error) instead of coming out grey
     * at the bottom. */
    rc = vips_thumbnail_buffer((void *)data, len, &reduced, MEDIA_MAX_SIDE, "height",
                               MEDIA_MAX_SIDE, "size", VIPS_SIZE_DOWN, "option_string",
                               "fail_on=error", "export_profile", "srgb", NULL);
    if (rc == 0) {
        memory = vips_image_copy_memory(reduced);
        rc = memory != NULL ? 0 : -1;
    }
    if (rc == 0) {
        bare = bare_pixels(memory);
        rc = bare != NULL ? 0 : -1;
    }
    if (rc != 0) {
        rc = MEDIA_E_UNDECODABLE;
        goto done;
    }
    rc = save(bare, info->type, false, &out->image);
    if (rc != 0)
        goto done;
    if (vips_thumbnail_image(bare, &thumb, MEDIA_THUMB_WIDTH, "height", MEDIA_THUMB_HEIGHT, "size",
                             VIPS_SIZE_DOWN, "no_rotate", TRUE, NULL) != 0) {
        rc = MEDIA_E_INTERNAL;
        goto done;
    }
    rc = save(thumb, info->type, true, &out->thumb);
done:
    if (thumb != NULL)
        g_object_unref(thumb);
    if (bare != NULL)
        g_object_unref(bare);
    if (memory != NULL)
        g_object_unref(memory);
    if (reduced != NULL)
        g_object_unref(reduced);
    if (rc != 0) {
        media_image_free(out);
        vips_error_clear();
    }
    return rc;
}
