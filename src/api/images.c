/* Ad images (API.md "Ads"; docs/IMAGES.md): upload, delete, and serving the
 * stored bytes.
 *
 * An upload goes through four gates, cheapest first: the ad (404, 403, and
 * 409 when it already has IMAGES_PER_AD; a pre-check that saves the CPU of a
 * doomed upload), the bytes' header on the loop (media_sniff(): 415 when the
 * Content-Type and the magic bytes disagree, 400 for a bad header or more
 * than 40 megapixels, before any decoder sees the pixels), the image queue
 * (the decoding on the thread pool; 503 when too many wait), and the
 * database (ad_image_add(), which holds the ad's row lock while it counts:
 * the authoritative 409). The body is borrowed by the queue, never copied:
 * the request stays valid until it is answered.
 *
 * Serving: the bytes come from PostgreSQL in binary, and the answer is
 * written straight from the kept result (db_result_keep()), released once
 * written. HEAD and If-None-Match ask the database for everything but the
 * bytes. */
#include "api/ad_cache.h"
#include "api/app.h"
#include "api/reply.h"
#include "core/log.h"
#include "db/images.h"
#include "http/etag.h"
#include "http/response.h"
#include "media/queue.h"
#include "media/sniff.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

enum {
    IMAGES_PER_AD = 10,      /* API.md: the 11th is 409 */
    IMAGE_RETRY_AFTER_S = 5, /* a 503 for a full queue: a few jobs' time */
};

static const char IMAGE_CACHE_CONTROL[] = "public, max-age=31536000, immutable";

/* ---- upload (POST /api/ads/{id}/images) ---------------------------------- */

typedef struct {
    http_request_t *req;
    media_info_t info;
    json_t *image; /* the 201 body, once stored */
} upload_t;

static void refuse_image(http_request_t *req, int media_err)
{
    json_t *fields = json_pack("{s:s}", "image", media_error_reason(media_err));
    http_respond_error(req, API_ERR_VALIDATION_FAILED, media_error_message(media_err), fields);
}

static void refuse_busy(http_request_t *req)
{
    http_response_header(req, "Retry-After", api_int_text(req, IMAGE_RETRY_AFTER_S));
    http_respond_error(req, API_ERR_UNAVAILABLE, media_error_message(MEDIA_E_BUSY), NULL);
}

static void on_upload_invalidated(void *user_data)
{
    upload_t *u = user_data;
    http_request_t *req = u->req;
    json_t *id = json_object_get(u->image, "id");
    if (json_is_integer(id))
        http_response_header(
            req, "Location",
            arena_printf(&req->arena, "/api/images/%" JSON_INTEGER_FORMAT, json_integer_value(id)));
    http_respond_json(req, 201, u->image);
}

/* Maps an ad outcome of ad_image_add()/ad_image_delete() to its answer;
 * false when it was "ok". */
static bool refuse_outcome(http_request_t *req, const char *outcome)
{
    if (strcmp(outcome, "ok") == 0)
        return false;
    if (strcmp(outcome, "full") == 0)
        http_respond_error(req, API_ERR_CONFLICT, "an ad has at most 10 images", NULL);
    else if (strcmp(outcome, "forbidden") == 0)
        http_respond_error(req, API_ERR_FORBIDDEN, "only the owner may change this ad's images",
                           NULL);
    else if (strcmp(outcome, "no_image") == 0)
        http_respond_error(req, API_ERR_NOT_FOUND, "image not found", NULL);
    else
        http_respond_error(req, API_ERR_NOT_FOUND, "ad not found", NULL);
    return true;
}

static void on_image_stored(db_result_t *res, void *user_data)
{
    upload_t *u = user_data;
    http_request_t *req = u->req;
    if (api_db_failed(req, res))
        return;
    const char *outcome = db_result_value(res, 0, 0, NULL);
    if (outcome == NULL) {
        http_respond_error(req, API_ERR_INTERNAL, NULL, NULL);
        return;
    }
    if (refuse_outcome(req, outcome))
        return;
    size_t len = 0;
    const char *json = db_result_value(res, 0, 1, &len);
    u->image = json != NULL ? json_loadb(json, len, 0, NULL) : NULL;
    if (u->image == NULL) {
        http_respond_error(req, API_ERR_INTERNAL, NULL, NULL);
        return;
    }
    api_ad_cache_invalidate(req, req->path_params[0], on_upload_invalidated, u);
}

static void on_processed(int status, media_image_t *image, void *user_data)
{
    upload_t *u = user_data;
    http_request_t *req = u->req;
    if (status == MEDIA_E_BUSY) {
        refuse_busy(req);
        return;
    }
    if (status == MEDIA_E_INTERNAL) {
        log_error("image encoding failed", "request_id", json_string(req->request_id), NULL);
        http_respond_error(req, API_ERR_INTERNAL, NULL, NULL);
        return;
    }
    if (status != 0) {
        refuse_image(req, status);
        return;
    }
    if (http_request_is_aborted(req)) {
        /* Nobody would learn the image's id: store nothing. */
        media_image_free(image);
        http_respond_error(req, API_ERR_UNAVAILABLE, NULL, NULL);
        return;
    }
    const media_encoded_t *img = &image->image, *thumb = &image->thumb;
    const char *params[] = {
        api_path_param(req, 0),
        api_user_text(req),
        media_type_mime(u->info.type),
        img->data,
        img->sha256_hex,
        api_int_text(req, img->width),
        api_int_text(req, img->height),
        thumb->data,
        thumb->sha256_hex,
        api_int_text(req, thumb->width),
        api_int_text(req, thumb->height),
        api_int_text(req, IMAGES_PER_AD),
    };
    int lengths[12] = {0};
    lengths[3] = (int)img->len;
    lengths[7] = (int)thumb->len;
    app_t *app = req->app;
    /* db_query copies the values: the encodings are freed right after. */
    int rc = db_query(app->db, &db_q_ad_image_add, params, lengths, 12, DB_WRITE, req->user_id,
                      on_image_stored, u);
    media_image_free(image);
    if (rc != 0)
        http_respond_error(req, db_error_api(rc), NULL, NULL);
}

/* The body's type: 415 when it is not one of ours or not what Content-Type
 * says, 400 for a header that is unreadable or declares too many pixels. */
static bool check_body(http_request_t *req, media_info_t *info)
{
    media_type_t declared = media_type_from_content_type(http_request_header(req, "Content-Type"));
    if (declared == MEDIA_TYPE_NONE) {
        http_respond_error(req, API_ERR_UNSUPPORTED_MEDIA_TYPE,
                           "Content-Type must be image/jpeg, image/png or image/webp", NULL);
        return false;
    }
    const uint8_t *data = (const uint8_t *)req->body.data;
    int rc = media_sniff(data, req->body.len, info);
    if (rc == MEDIA_E_UNSUPPORTED ||
        (rc != MEDIA_E_EMPTY && media_sniff_type(data, req->body.len) != declared)) {
        http_respond_error(req, API_ERR_UNSUPPORTED_MEDIA_TYPE,
                           media_error_message(rc == MEDIA_E_UNSUPPORTED ? rc : MEDIA_E_MISMATCH),
                           NULL);
        return false;
    }
    if (rc != 0) {
        refuse_image(req, rc);
        return false;
    }
    return true;
}

static void on_slot(db_result_t *res, void *user_data)
{
    upload_t *u = user_data;
    http_request_t *req = u->req;
    if (api_db_failed(req, res))
        return;
    int64_t owner = 0, images = 0;
    bool public = false;
    if (db_result_rows(res) != 1 || db_result_int64(res, 0, 0, &owner) != 0 ||
        db_result_bool(res, 0, 1, &public) != 0 || db_result_int64(res, 0, 2, &images) != 0) {
        refuse_outcome(req, "not_found");
        return;
    }
    if (owner != req->user_id) {
        refuse_outcome(req, public ? "forbidden" : "not_found");
        return;
    }
    if (images >= IMAGES_PER_AD) {
        refuse_outcome(req, "full");
        return;
    }
    if (!check_body(req, &u->info))
        return;
    app_t *app = req->app;
    int rc = media_queue_submit(app->images, (const uint8_t *)req->body.data, req->body.len,
                                &u->info, on_processed, u);
    if (rc == MEDIA_E_BUSY)
        refuse_busy(req);
    else if (rc != 0)
        refuse_image(req, rc);
}

static void handle_upload(http_request_t *req)
{
    upload_t *u = arena_calloc(&req->arena, 1, sizeof(*u));
    u->req = req;
    api_query_ctx(req, u, &db_q_ad_image_slot, DB_WRITE, on_slot, api_path_param(req, 0));
}

/* ---- delete (DELETE /api/ads/{id}/images/{imageId}) ------------------------ */

static void on_delete_invalidated(void *user_data)
{
    http_respond_empty(user_data, 204);
}

static void on_image_deleted(db_result_t *res, void *user_data)
{
    http_request_t *req = user_data;
    if (api_db_failed(req, res))
        return;
    const char *outcome = db_result_value(res, 0, 0, NULL);
    if (refuse_outcome(req, outcome != NULL ? outcome : "not_found"))
        return;
    api_ad_cache_invalidate(req, req->path_params[0], on_delete_invalidated, req);
}

static void handle_delete(http_request_t *req)
{
    api_query(req, &db_q_ad_image_delete, DB_WRITE, on_image_deleted, api_path_param(req, 0),
              api_path_param(req, 1), api_user_text(req));
}

/* ---- serving (GET /api/images/{id}, /api/images/{id}/thumb) ----------------- */

typedef struct {
    http_request_t *req;
    const db_stmt_t *stmt;
} serve_t;

static void query_image(serve_t *s, bool want_bytes);

static void on_image(db_result_t *res, void *user_data)
{
    serve_t *s = user_data;
    http_request_t *req = s->req;
    if (api_db_failed(req, res))
        return;
    size_t type_len = 0, sha_len = 0, bytes_len = 0;
    const char *type = db_result_value(res, 0, 1, &type_len);
    const char *sha = db_result_value(res, 0, 2, &sha_len);
    int64_t length = 0;
    if (type == NULL || sha == NULL || db_result_int64(res, 0, 3, &length) != 0) {
        http_respond_error(req, API_ERR_NOT_FOUND, "image not found", NULL);
        return;
    }
    const char *etag = arena_printf(&req->arena, "\"%.*s\"", (int)sha_len, sha);
    const char *content_type = arena_printf(&req->arena, "%.*s", (int)type_len, type);
    bool not_modified = http_etag_none_match(http_request_header(req, "If-None-Match"), etag);
    const char *bytes = db_result_value(res, 0, 0, &bytes_len);
    if (!not_modified && bytes == NULL && req->method != HTTP_METHOD_HEAD) {
        /* A conditional GET that did not match: now with the bytes. */
        query_image(s, true);
        return;
    }
    http_response_header(req, "ETag", etag);
    http_response_header(req, "Cache-Control", IMAGE_CACHE_CONTROL);
    if (not_modified) {
        http_respond_empty(req, 304);
        return;
    }
    if (req->method == HTTP_METHOD_HEAD) {
        /* Content-Length without the bytes: a HEAD body is never read. */
        http_respond(req, 200, content_type, NULL, (size_t)length);
        return;
    }
    db_result_t *kept = db_result_keep(res);
    bytes = db_result_value(kept, 0, 0, &bytes_len);
    http_respond_ref(req, 200, content_type, bytes, bytes_len, db_result_release, kept);
}

static void query_image(serve_t *s, bool want_bytes)
{
    api_query_ctx(s->req, s, s->stmt, DB_READ, on_image, api_path_param(s->req, 0),
                  want_bytes ? "true" : "false");
}

static void serve(http_request_t *req, const db_stmt_t *stmt)
{
    serve_t *s = arena_calloc(&req->arena, 1, sizeof(*s));
    s->req = req;
    s->stmt = stmt;
    bool conditional = http_request_header(req, "If-None-Match") != NULL;
    query_image(s, !conditional && req->method != HTTP_METHOD_HEAD);
}

static void handle_image(http_request_t *req)
{
    serve(req, &db_q_image_get);
}

static void handle_thumb(http_request_t *req)
{
    serve(req, &db_q_image_thumb_get);
}

void api_images_register(app_t *app)
{
    static const http_route_opts_t upload = {.auth = HTTP_AUTH_REQUIRED,
                                             .body_kind = HTTP_BODY_RAW,
                                             .body_limit_bytes = HTTP_BODY_LIMIT_IMAGE};
    static const http_route_opts_t owner = {.auth = HTTP_AUTH_REQUIRED,
                                            .body_limit_bytes = HTTP_BODY_LIMIT_NONE};
    static const http_route_opts_t public_read = {.auth = HTTP_AUTH_NONE};
    app_route(app, HTTP_METHOD_POST, "/api/ads/{id}/images", handle_upload, &upload);
    app_route(app, HTTP_METHOD_DELETE, "/api/ads/{id}/images/{imageId}", handle_delete, &owner);
    app_route(app, HTTP_METHOD_GET, "/api/images/{id}", handle_image, &public_read);
    app_route(app, HTTP_METHOD_GET, "/api/images/{id}/thumb", handle_thumb, &public_read);
}
