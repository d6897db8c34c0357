/* The caller's own profile: GET and PATCH /api/me. */
#include "api/app.h"
#include "api/validate.h"
#include "db/users.h"
#include "http/response.h"

#include <stdio.h>

static void on_user(db_result_t *res, void *user_data)
{
    http_request_t *req = user_data;
    int err = db_result_error(res);
    if (err != 0) {
        http_respond_error(req,
                           err == DB_E_CONSTRAINT ? API_ERR_VALIDATION_FAILED : db_error_api(err),
                           NULL, NULL);
        return;
    }
    size_t len = 0;
    const char *json = db_result_rows(res) == 1 ? db_result_value(res, 0, 0, &len) : NULL;
    if (json == NULL) {
        /* The account is gone while its token lives on. */
        http_respond_error(req, API_ERR_UNAUTHORIZED, "the account no longer exists", NULL);
        return;
    }
    http_response_header(req, "Cache-Control", "private, no-store");
    http_respond(req, 200, "application/json; charset=utf-8", json, len);
}

static void handle_get_me(http_request_t *req)
{
    app_t *app = req->app;
    char uid[24];
    snprintf(uid, sizeof(uid), "%lld", (long long)req->user_id);
    const char *params[] = {uid};
    int rc =
        db_query(app->db, &db_users_by_id, params, NULL, 1, DB_READ, req->user_id, on_user, req);
    if (rc != 0)
        http_respond_error(req, db_error_api(rc), NULL, NULL);
}

static void handle_patch_me(http_request_t *req)
{
    json_t *body = api_body_json(req, false);
    if (body == NULL)
        return;
    validation_t v = {0};
    const char *name, *phone, *province;
    bool has_phone, has_province;
    api_read_profile(body, req, &v, false, &name, &has_phone, &phone, &has_province, &province);
    json_decref(body);
    if (validation_respond(&v, req))
        return;
    app_t *app = req->app;
    char uid[24];
    snprintf(uid, sizeof(uid), "%lld", (long long)req->user_id);
    const char *params[] = {
        uid,   name ? "t" : "f",         name,     has_phone ? "t" : "f",
        phone, has_province ? "t" : "f", province,
    };
    int rc =
        db_query(app->db, &db_users_update, params, NULL, 7, DB_WRITE, req->user_id, on_user, req);
    if (rc != 0)
        http_respond_error(req, db_error_api(rc), NULL, NULL);
}

void api_me_register(app_t *app)
{
    static const http_route_opts_t read = {.auth = HTTP_AUTH_REQUIRED};
    static const http_route_opts_t write = {.auth = HTTP_AUTH_REQUIRED,
                                            .body_kind = HTTP_BODY_JSON,
                                            .body_limit_bytes = HTTP_BODY_LIMIT_AUTH};
    app_route(app, HTTP_METHOD_GET, "/api/me", handle_get_me, &read);
    app_route(app, HTTP_METHOD_PATCH, "/api/me", handle_patch_me, &write);
}
