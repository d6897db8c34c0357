/* The authentication middleware (middleware_auth.h). */
#include "api/middleware_auth.h"
#include "api/app.h"
#include "auth/sessions.h"
#include "db/users.h"
#include "http/response.h"
#include "http/server.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct {
    int64_t session_id;
    bool failed;       /* a soft route's token did not authenticate */
    api_error_t error; /* why */
} auth_state_t;

int64_t api_auth_session_id(const http_request_t *req)
{
    const auth_state_t *st = req->auth;
    return st != NULL ? st->session_id : 0;
}

bool api_auth_failed(const http_request_t *req, api_error_t *err)
{
    const auth_state_t *st = req->auth;
    if (st == NULL || !st->failed)
        return false;
    *err = st->error;
    return true;
}

static void refuse(http_request_t *req, api_error_t err)
{
    if (api_error_status(err) == 401)
        http_response_header(req, "WWW-Authenticate", "Bearer realm=\"rural24\"");
    http_respond_error(req, err, NULL, NULL);
}

static void on_role(db_result_t *res, void *user_data)
{
    http_request_t *req = user_data;
    int err = db_result_error(res);
    if (err != 0) {
        http_respond_error(req, db_error_api(err), NULL, NULL);
        return;
    }
    const char *role = db_result_rows(res) == 1 ? db_result_value(res, 0, 0, NULL) : NULL;
    if (role == NULL) {
        /* The account is gone while its token lives on. */
        refuse(req, API_ERR_UNAUTHORIZED);
        return;
    }
    if (strcmp(role, "admin") != 0) {
        http_respond_error(req, API_ERR_FORBIDDEN, "this needs an administrator", NULL);
        return;
    }
    http_request_next(req);
}

static void on_identity(bool ok, api_error_t err, const auth_identity_t *identity, void *user_data)
{
    http_request_t *req = user_data;
    auth_state_t *st = arena_calloc(&req->arena, 1, sizeof(*st));
    req->auth = st;
    if (!ok) {
        if (req->route->opts.auth_soft) {
            st->failed = true;
            st->error = err;
            http_request_next(req);
            return;
        }
        refuse(req, err);
        return;
    }
    req->user_id = identity->user_id;
    st->session_id = identity->session_id;
    if (req->route->opts.auth == HTTP_AUTH_ADMIN) {
        app_t *app = req->app;
        char uid[24];
        snprintf(uid, sizeof(uid), "%lld", (long long)req->user_id);
        const char *params[] = {uid};
        int rc = db_query(app->db, &db_users_role, params, NULL, 1, DB_WRITE, 0, on_role, req);
        if (rc != 0)
            http_respond_error(req, db_error_api(rc), NULL, NULL);
        return;
    }
    http_request_next(req);
}

/* The token of "Bearer <token>" (scheme case-insensitive), or NULL. */
static const char *bearer_token(const http_request_t *req)
{
    const char *h = http_request_header(req, "Authorization");
    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
        return NULL;
    const char *token = h + 7;
    while (*token == ' ')
        token++;
    return *token != '\0' ? token : NULL;
}

void api_auth_middleware(http_request_t *req)
{
    http_auth_t mode = req->route != NULL ? req->route->opts.auth : HTTP_AUTH_NONE;
    if (mode == HTTP_AUTH_NONE) {
        http_request_next(req);
        return;
    }
    const char *token = bearer_token(req);
    if (token == NULL) {
        if (mode == HTTP_AUTH_OPTIONAL)
            http_request_next(req);
        else
            refuse(req, API_ERR_UNAUTHORIZED);
        return;
    }
    app_t *app = req->app;
    if (auth_authenticate(app->auth, token, on_identity, req) != 0)
        http_respond_error(req, API_ERR_UNAVAILABLE, NULL, NULL);
}
