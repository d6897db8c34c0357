/* The caller's own profile: GET and PATCH /api/me. */
#include "api/app.h"
#include "api/reply.h"
#include "api/validate.h"
#include "db/users.h"
#include "http/response.h"

#include <stdio.h>

static void on_user(db_result_t *res, void *user_data)
{
    http_request_t *req = user_data;
    if (api_db_failed(req, res))
        return;
    size_t len;
    const char *json = api_row_json(res, &len);
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
    api_query(req, &db_users_by_id, DB_READ, on_user, api_user_text(req));
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
    api_query(req, &db_users_update, DB_WRITE, on_user, api_user_text(req), name ? "t" : "f", name,
              has_phone ? "t" : "f", phone, has_province ? "t" : "f", province);
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
