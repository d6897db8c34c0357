/* The statements of ad images; see images.h. */
#include "db/images.h"

const db_stmt_t db_q_ad_image_slot = {
    .name = "ad_image_slot",
    .sql = "SELECT a.user_id, (a.status = 'active' AND a.expires_at > now()) AS public,"
           " (SELECT count(*) FROM ad_images i WHERE i.ad_id = a.id) AS images"
           " FROM ads a WHERE a.id = $1::bigint AND a.status <> 'deleted'",
    .param_count = 1,
};

const db_stmt_t db_q_ad_image_add = {
    .name = "ad_image_add",
    .sql = "SELECT outcome, image::text FROM ad_image_add($1::bigint, $2::bigint, $3::text,"
           " $4::bytea, $5::text, $6::int, $7::int, $8::bytea, $9::text, $10::int, $11::int,"
           " $12::int)",
    .param_count = 12,
    .binary_params = (1u << 3) | (1u << 7),
};

const db_stmt_t db_q_ad_image_delete = {
    .name = "ad_image_delete",
    .sql = "SELECT outcome FROM ad_image_delete($1::bigint, $2::bigint, $3::bigint)",
    .param_count = 3,
};

/* In binary results a text column is its bytes as they are; the length is
 * cast to text so that it reads like any other result's integers. The
 * length of an EXTERNAL (uncompressed) value comes from its TOAST pointer,
 * without reading the value. */
const db_stmt_t db_q_image_get = {
    .name = "image_get",
    .sql = "SELECT CASE WHEN $2::bool THEN data END, content_type, sha256,"
           " octet_length(data)::text FROM ad_images WHERE id = $1::bigint",
    .param_count = 2,
    .binary_result = true,
};

const db_stmt_t db_q_image_thumb_get = {
    .name = "image_thumb_get",
    .sql = "SELECT CASE WHEN $2::bool THEN thumbnail END, 'image/webp'::text, thumb_sha256,"
           " octet_length(thumbnail)::text FROM ad_images WHERE id = $1::bigint",
    .param_count = 2,
    .binary_result = true,
};
