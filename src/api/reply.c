/* The shared handler plumbing of reply.h. */
#include "api/reply.h"
#include "api/app.h"
#include "core/xmalloc.h"
#include "http/response.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

bool api_query_params(http_request_t *req, const db_stmt_t *stmt, db_intent_t intent,
                      db_result_cb cb, void *user_data, const char *const *params, int nparams)
{
    app_t *app = req->app;
    int rc = db_query(app->db, stmt, params, NULL, nparams, intent, req->user_id, cb, user_data);
    if (rc == 0)
        return true;
    http_respond_error(req, db_error_api(rc), NULL, NULL);
    return false;
}

bool api_db_failed(http_request_t *req, db_result_t *res)
{
    int err = db_result_error(res);
    if (err == 0)
        return false;
    http_respond_error(req, err == DB_E_CONSTRAINT ? API_ERR_VALIDATION_FAILED : db_error_api(err),
                       NULL, NULL);
    return true;
}

const char *api_row_json(db_result_t *res, size_t *len)
{
    *len = 0;
    return db_result_rows(res) == 1 ? db_result_value(res, 0, 0, len) : NULL;
}

void api_respond_row(http_request_t *req, db_result_t *res, int status, const char *what)
{
    if (api_db_failed(req, res))
        return;
    size_t len = 0;
    const char *json = db_result_rows(res) >= 1 ? db_result_value(res, 0, 0, &len) : NULL;
    if (json == NULL) {
        char message[96];
        snprintf(message, sizeof(message), "%s not found", what);
        http_respond_error(req, API_ERR_NOT_FOUND, message, NULL);
        return;
    }
    http_respond(req, status, "application/json; charset=utf-8", json, len);
}

void api_private_answer(http_request_t *req)
{
    http_response_header(req, "Cache-Control", "private, no-store");
}

bool api_one_row(http_request_t *req, db_result_t *res)
{
    if (api_db_failed(req, res))
        return false;
    if (db_result_rows(res) != 1) {
        http_respond_error(req, API_ERR_INTERNAL, NULL, NULL);
        return false;
    }
    return true;
}

bool api_found(http_request_t *req, db_result_t *res, const char *what)
{
    if (api_db_failed(req, res))
        return false;
    if (db_result_rows(res) != 1) {
        char message[96];
        snprintf(message, sizeof(message), "%s not found", what);
        http_respond_error(req, API_ERR_NOT_FOUND, message, NULL);
        return false;
    }
    return true;
}

void api_respond_id_page(http_request_t *req, db_result_t *res, const char *extra)
{
    size_t len = 0;
    const char *items = db_result_value(res, 0, 0, &len);
    if (items == NULL) {
        items = "[]";
        len = 2;
    }
    bool has_more = false;
    int64_t next = 0;
    (void)db_result_bool(res, 0, 1, &has_more);
    char cursor[32] = "null";
    if (has_more && db_result_int64(res, 0, 2, &next) == 0)
        snprintf(cursor, sizeof(cursor), "\"%" PRId64 "\"", next);
    api_private_answer(req);
    char *body = arena_printf(&req->arena, "{\"items\":%.*s,%s\"next_cursor\":%s}", (int)len, items,
                              extra != NULL ? extra : "", cursor);
    http_respond(req, 200, API_JSON_TYPE, body, strlen(body));
}

char *api_items_json(db_result_t *res, size_t *len)
{
    size_t items_len;
    const char *items = api_row_json(res, &items_len);
    if (items == NULL) {
        items = "[]";
        items_len = 2;
    }
    *len = items_len + 10;
    char *body = xmalloc(*len + 1);
    snprintf(body, *len + 1, "{\"items\":%.*s}", (int)items_len, items);
    return body;
}

void api_respond_items(http_request_t *req, db_result_t *res, const char *cache_control)
{
    if (api_db_failed(req, res))
        return;
    size_t len;
    char *body = api_items_json(res, &len);
    http_response_header(req, "Cache-Control", cache_control);
    http_respond_owned(req, 200, API_JSON_TYPE, body, len);
}

const char *api_path_param(http_request_t *req, size_t i)
{
    return api_int_text(req, i < req->path_param_count ? req->path_params[i] : 0);
}

const char *api_int_text(http_request_t *req, int64_t value)
{
    return arena_printf(&req->arena, "%" PRId64, value);
}

const char *api_user_text(http_request_t *req)
{
    return api_int_text(req, req->user_id);
}

bool api_query_int(http_request_t *req, const char *name, int64_t min, int64_t max, int64_t def,
                   int64_t *out)
{
    const char *text = http_request_query(req, name);
    if (text == NULL) {
        *out = def;
        return true;
    }
    int64_t value = 0;
    bool ok = false;
    if (strcmp(text, "0") == 0) {
        ok = true;
    } else if (http_parse_id(text, strlen(text), &value) == 0) {
        ok = true;
    }
    if (ok && value >= min && value <= max) {
        *out = value;
        return true;
    }
    char message[128];
    snprintf(message, sizeof(message), "%s: must be an integer from %" PRId64 " to %" PRId64, name,
             min, max);
    json_t *fields = json_pack("{s:s}", name, "invalid");
    http_respond_error(req, API_ERR_INVALID_PARAMETER, message, fields);
    return false;
}
