/* Byte-level edits of encoded images, for what the encoders cannot be told
 * to leave out. Pure functions over a buffer the caller owns. */
#ifndef RURAL24_MEDIA_CONTAINER_H
#define RURAL24_MEDIA_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

/* Removes every chunk of a WebP file but the image's own (VP8X, VP8, VP8L,
 * ALPH, ANIM, ANMF): EXIF, XMP, ICCP and any unknown chunk go, and VP8X's
 * flags for them are cleared; the RIFF size is updated. Edits
 * data[0..*len) in place and shortens *len. 0, or -1 when the bytes are not
 * a well-formed WebP (then nothing is changed). libvips 8.14's WebP saver
 * writes an EXIF chunk even when told to strip metadata. */
int media_webp_strip(uint8_t *data, size_t *len);

#endif
