/* The statements of ad images (API.md "Ads": images; docs/IMAGES.md). The
 * bytes are bound and read in binary (bytea, no hex text in between): the
 * upload's two encodings go in as binary parameters, and the GETs ask for
 * binary results, whose bytea column is the image itself, ready to answer by
 * reference from the result. */
#ifndef RURAL24_DB_IMAGES_H
#define RURAL24_DB_IMAGES_H

#include "db/db.h"

/* What an upload checks before the image is processed: $1 ad id. One row
 * (none for an unknown or deleted ad): user_id, public (active, not
 * expired), images (how many it has). ad_image_add() checks again. */
extern const db_stmt_t db_q_ad_image_slot;

/* Stores an image (ad_image_add() of migration 009): $1 ad id, $2 user id,
 * $3 content type, $4 the image (binary), $5 its sha256 hex, $6 width, $7
 * height, $8 the thumbnail (binary), $9 its sha256 hex, $10 width, $11
 * height, $12 the most images an ad may have. One row: outcome ("ok",
 * "not_found", "forbidden", "full"), image (API.md's JSON when "ok"). */
extern const db_stmt_t db_q_ad_image_add;

/* Deletes an image of an ad (ad_image_delete()): $1 ad id, $2 image id, $3
 * user id. One row: outcome ("ok", "not_found", "forbidden", "no_image"). */
extern const db_stmt_t db_q_ad_image_delete;

/* An image, or its thumbnail, in binary results: $1 image id, $2 whether the
 * bytes are wanted ("true"/"false": HEAD and If-None-Match need only the
 * rest). One row (none for an unknown id): bytes (NULL unless wanted),
 * content_type, sha256 (hex text), length (decimal text). Primary key. */
extern const db_stmt_t db_q_image_get;
extern const db_stmt_t db_q_image_thumb_get;

#endif
