/* Accounts and sessions: /api/auth/register, login, refresh, logout,
 * logout-all, sessions (API.md "Auth and sessions"), and the password change
 * (docs/AUTH.md "Changing the password").
 *
 * Register and login count against auth_ip per client address (the
 * middleware, from the route's class). Then, once the body is read, register
 * counts against auth_email per email; login counts only its failures (see
 * docs/AUTH.md): per email and address (auth_email, cleared by a success, so
 * a stranger's wrong guesses never lock the owner out from their own
 * address) and per email from every address (auth_email_all, a ceiling that
 * slows a distributed guess). Both are peeked before the password is checked
 * and counted after it failed. Passwords are hashed on the thread pool; an
 * unknown email spends a hash too, so timing does not tell which emails
 * exist. A password or token never reaches a log line. */
#include "api/app.h"
#include "api/middleware_auth.h"
#include "api/middleware_ratelimit.h"
#include "api/reply.h"
#include "api/validate.h"
#include "auth/password.h"
#include "auth/sessions.h"
#include "core/log.h"
#include "core/utf8.h"
#include "db/users.h"
#include "http/response.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

enum {
    PASSWORD_MIN_CHARS = 8,
    PASSWORD_MAX_CHARS = 128,
};

/* What a register or login carries across its asynchronous steps; lives in
 * the request's arena. */
typedef struct {
    http_request_t *req;
    char *email;
    char *password;
    size_t password_len;
    const char *name;
    const char *phone;
    const char *province;
    char *user_json; /* the user as PostgreSQL built it */
    size_t user_json_len;
    int64_t user_id;
    int status; /* 201 for register, 200 for login */
    bool is_login;
    bool email_valid; /* login: a malformed email matches no account */
    /* The rate-limit keys: register "register:<email>"; login
     * "login:<email>" (every address) and "login:<email>|<address>". */
    char *email_key;
    size_t email_key_len;
    char *address_key;
    size_t address_key_len;
    int counts_pending; /* a failed login's counts not yet in the store */
} signup_t;

enum { USER_AGENT_MAX_BYTES = 512 };

/* The User-Agent as stored with a session: valid UTF-8 (HTTP allows other
 * bytes; PostgreSQL text does not), at most 512 bytes, in the arena. */
static const char *user_agent(http_request_t *req)
{
    const char *ua = http_request_header(req, "User-Agent");
    if (ua == NULL)
        return NULL;
    char *out = arena_alloc(&req->arena, USER_AGENT_MAX_BYTES + 1);
    utf8_sanitize(ua, out, USER_AGENT_MAX_BYTES);
    return out;
}

static void forget_password(signup_t *s)
{
    if (s->password != NULL)
        sodium_memzero(s->password, s->password_len);
}

/* ---- the answer with a token pair -------------------------------------- */

static json_t *pair_json(const auth_pair_t *pair)
{
    return json_pack("{s:s, s:s, s:s, s:i}", "access_token", pair->access_token, "refresh_token",
                     pair->refresh_token, "token_type", "Bearer", "expires_in", pair->expires_in_s);
}

static void on_session_pair(bool ok, api_error_t err, const auth_pair_t *pair, void *user_data)
{
    signup_t *s = user_data;
    http_request_t *req = s->req;
    if (!ok) {
        http_respond_error(req, err, NULL, NULL);
        return;
    }
    json_t *body = json_object();
    json_t *user = json_loadb(s->user_json, s->user_json_len, 0, NULL);
    json_object_set_new(body, "user", user != NULL ? user : json_null());
    json_t *tokens = pair_json(pair);
    json_object_update(body, tokens);
    json_decref(tokens);
    /* Token answers must not be cached (RFC 6749 5.1). */
    http_response_header(req, "Cache-Control", "no-store");
    http_respond_json(req, s->status, body);
}

static void start_session(signup_t *s)
{
    http_request_t *req = s->req;
    app_t *app = req->app;
    if (auth_start_session(app->auth, s->user_id, user_agent(req), req->client_ip, on_session_pair,
                           s) != 0)
        http_respond_error(req, API_ERR_UNAVAILABLE, NULL, NULL);
}

/* ---- register ---------------------------------------------------------- */

static void on_user_inserted(db_result_t *res, void *user_data)
{
    signup_t *s = user_data;
    http_request_t *req = s->req;
    int err = db_result_error(res);
    if (err == DB_E_CONSTRAINT && strcmp(db_result_constraint(res), "users_email_key") == 0) {
        json_t *fields = json_pack("{s:s}", "email", "taken");
        http_respond_error(req, API_ERR_EMAIL_TAKEN, NULL, fields);
        return;
    }
    if (err != 0) {
        http_respond_error(req,
                           err == DB_E_CONSTRAINT ? API_ERR_VALIDATION_FAILED : db_error_api(err),
                           NULL, NULL);
        return;
    }
    size_t len = 0;
    const char *json = db_result_value(res, 0, 1, &len);
    if (db_result_int64(res, 0, 0, &s->user_id) != 0 || json == NULL) {
        http_respond_error(req, API_ERR_INTERNAL, NULL, NULL);
        return;
    }
    s->user_json = arena_strndup(&req->arena, json, len);
    s->user_json_len = len;
    start_session(s);
}

static void on_password_hashed(const char *hash, void *user_data)
{
    signup_t *s = user_data;
    http_request_t *req = s->req;
    forget_password(s);
    if (hash == NULL) {
        http_respond_error(req, API_ERR_INTERNAL, NULL, NULL);
        return;
    }
    app_t *app = req->app;
    const char *params[] = {s->email, hash, s->name, s->phone, s->province};
    int rc = db_query(app->db, &db_users_insert, params, NULL, 5, DB_WRITE, 0, on_user_inserted, s);
    if (rc != 0)
        http_respond_error(req, db_error_api(rc), NULL, NULL);
}

static void begin_register(signup_t *s)
{
    http_request_t *req = s->req;
    app_t *app = req->app;
    if (auth_password_hash(app->loop, s->password, s->password_len, on_password_hashed, s) != 0) {
        forget_password(s);
        http_respond_error(req, API_ERR_UNAVAILABLE, NULL, NULL);
    }
}

/* ---- login ------------------------------------------------------------- */

/* A failed login is answered once both of its counts are in the store: the
 * next attempt, on any instance, is then judged with this one counted. */
static void failure_counted(signup_t *s)
{
    if (--s->counts_pending > 0)
        return;
    /* One answer for an unknown email and a wrong password. */
    http_respond_error(s->req, API_ERR_INVALID_CREDENTIALS, NULL, NULL);
}

static void on_failure_counted(const ratelimit_result_t *result, void *user_data)
{
    (void)result; /* a full key stays full: nothing to decide */
    failure_counted(user_data);
}

/* Counts a failed login against both of its limits (per email and address,
 * per email from every address), then answers 401. The memory store calls
 * back at once, Redis later: one count held by this function keeps the
 * answer from going out before both are issued. */
static void fail_login(signup_t *s)
{
    app_t *app = s->req->app;
    s->counts_pending = 1;
    if (app->ratelimit != NULL) {
        s->counts_pending++;
        if (ratelimit_apply(app->ratelimit, RATE_CLASS_AUTH_EMAIL_ALL, RATELIMIT_COUNT,
                            s->email_key, s->email_key_len, on_failure_counted, s) != 0)
            s->counts_pending--;
        s->counts_pending++;
        if (ratelimit_apply(app->ratelimit, RATE_CLASS_AUTH_EMAIL, RATELIMIT_COUNT, s->address_key,
                            s->address_key_len, on_failure_counted, s) != 0)
            s->counts_pending--;
    }
    failure_counted(s);
}

static void on_password_checked(bool matches, void *user_data)
{
    signup_t *s = user_data;
    forget_password(s);
    if (!matches || s->user_id == 0) {
        fail_login(s);
        return;
    }
    /* A success clears this address's failures. Nobody waits: a count the
     * clear overtakes on another instance is one failure forgiven. */
    app_t *app = s->req->app;
    if (app->ratelimit != NULL)
        (void)ratelimit_apply(app->ratelimit, RATE_CLASS_AUTH_EMAIL, RATELIMIT_CLEAR,
                              s->address_key, s->address_key_len, NULL, NULL);
    start_session(s);
}

static void on_user_found(db_result_t *res, void *user_data)
{
    signup_t *s = user_data;
    http_request_t *req = s->req;
    int err = db_result_error(res);
    if (err != 0) {
        forget_password(s);
        http_respond_error(req, db_error_api(err), NULL, NULL);
        return;
    }
    const char *hash = NULL;
    if (db_result_rows(res) == 1) {
        size_t len = 0;
        const char *json = db_result_value(res, 0, 2, &len);
        if (db_result_int64(res, 0, 0, &s->user_id) == 0 && json != NULL) {
            s->user_json = arena_strndup(&req->arena, json, len);
            s->user_json_len = len;
            hash = db_result_value(res, 0, 1, NULL);
        }
    }
    app_t *app = req->app;
    /* hash NULL: an unknown email verifies against a dummy hash. */
    if (auth_password_verify(app->loop, s->password, s->password_len, hash, on_password_checked,
                             s) != 0) {
        forget_password(s);
        http_respond_error(req, API_ERR_UNAVAILABLE, NULL, NULL);
    }
}

static void begin_login(signup_t *s)
{
    http_request_t *req = s->req;
    app_t *app = req->app;
    if (!s->email_valid) {
        /* No account has this address: spend the same hash and say no. */
        if (auth_password_verify(app->loop, s->password, s->password_len, NULL, on_password_checked,
                                 s) != 0) {
            forget_password(s);
            http_respond_error(req, API_ERR_UNAVAILABLE, NULL, NULL);
        }
        return;
    }
    const char *params[] = {s->email};
    int rc = db_query(app->db, &db_users_by_email, params, NULL, 1, DB_WRITE, 0, on_user_found, s);
    if (rc != 0) {
        forget_password(s);
        http_respond_error(req, db_error_api(rc), NULL, NULL);
    }
}

/* ---- the per-email limit, then the work -------------------------------- */

static void after_email_limit(http_request_t *req, void *user_data)
{
    signup_t *s = user_data;
    (void)req;
    if (s->is_login)
        begin_login(s);
    else
        begin_register(s);
}

/* Makes "<prefix><email>" into s->email_key and, for a login,
 * "<prefix><email>|<address key>" into s->address_key (the email is at most
 * 254 bytes, so both fit RATELIMIT_MAX_KEY_BYTES). */
static void make_limit_keys(signup_t *s, const char *prefix)
{
    http_request_t *req = s->req;
    char address[API_RATELIMIT_KEY_MAX];
    size_t address_len = api_ratelimit_address_key(req->client_ip, address, sizeof(address));
    size_t email_len = strnlen(s->email, 254);
    size_t prefix_len = strlen(prefix);
    s->email_key_len = prefix_len + email_len;
    s->email_key = arena_alloc(&req->arena, s->email_key_len + 1 + address_len + 1);
    memcpy(s->email_key, prefix, prefix_len);
    memcpy(s->email_key + prefix_len, s->email, email_len);
    s->email_key[s->email_key_len] = '|';
    memcpy(s->email_key + s->email_key_len + 1, address, address_len);
    s->email_key[s->email_key_len + 1 + address_len] = '\0';
    /* One buffer: the address key extends the email key. */
    s->address_key = s->email_key;
    s->address_key_len = s->email_key_len + 1 + address_len;
}

/* The login's per-address limit: its decision's RateLimit headers are the
 * ones the answer carries (the middleware's auth_ip check adds headers only
 * when it refuses). A refusal ends the request with 429. */
static void on_login_ceiling(const ratelimit_result_t *result, void *user_data)
{
    signup_t *s = user_data;
    http_request_t *req = s->req;
    if (!result->allowed && api_ratelimit_should_refuse(req, RATE_CLASS_AUTH_EMAIL_ALL,
                                                        s->email_key, s->email_key_len)) {
        api_ratelimit_refuse(req, result);
        return;
    }
    if (api_ratelimit_apply_op(req, RATE_CLASS_AUTH_EMAIL, RATELIMIT_PEEK, s->address_key,
                               s->address_key_len, after_email_limit, s) != 0)
        after_email_limit(req, s);
}

/* The handler's own limits, once the body is read: register counts per
 * email; login peeks its failure limits (counted in fail_login()). */
static void check_email_limit(signup_t *s)
{
    http_request_t *req = s->req;
    app_t *app = req->app;
    if (app->ratelimit == NULL) {
        after_email_limit(req, s);
        return;
    }
    if (!s->is_login) {
        make_limit_keys(s, "register:");
        if (api_ratelimit_apply(req, RATE_CLASS_AUTH_EMAIL, s->email_key, s->email_key_len,
                                after_email_limit, s) != 0)
            after_email_limit(req, s);
        return;
    }
    make_limit_keys(s, "login:");
    if (ratelimit_apply(app->ratelimit, RATE_CLASS_AUTH_EMAIL_ALL, RATELIMIT_PEEK, s->email_key,
                        s->email_key_len, on_login_ceiling, s) != 0)
        after_email_limit(req, s);
}

/* Reads and checks the password member into s. */
static void read_password(json_t *body, signup_t *s, validation_t *v, bool check_length)
{
    const char *password = NULL;
    if (!api_get_string(body, "password", false, v, &password)) {
        validation_fail(v, "password", "required", "password is required");
        return;
    }
    if (password == NULL)
        return;
    size_t chars = api_utf8_chars(password);
    if (check_length && chars < PASSWORD_MIN_CHARS)
        validation_fail(v, "password", "min_length", "password must have at least 8 characters");
    else if (chars > PASSWORD_MAX_CHARS)
        validation_fail(v, "password", "max_length", "password must have at most 128 characters");
    else if (chars == 0)
        validation_fail(v, "password", "required", "password is required");
    s->password_len = strlen(password);
    s->password = arena_strndup(&s->req->arena, password, s->password_len);
}

static void handle_register(http_request_t *req)
{
    json_t *body = api_body_json(req, false);
    if (body == NULL)
        return;
    signup_t *s = arena_calloc(&req->arena, 1, sizeof(*s));
    s->req = req;
    s->status = 201;
    validation_t v = {0};
    const char *email = NULL;
    if (!api_get_string(body, "email", false, &v, &email))
        validation_fail(&v, "email", "required", "email is required");
    else if (email != NULL && (s->email = api_email_normalize(&req->arena, email)) == NULL)
        validation_fail(&v, "email", "invalid", "email is not a valid address");
    read_password(body, s, &v, true);
    bool has_phone, has_province;
    api_read_profile(body, req, &v, true, &s->name, &has_phone, &s->phone, &has_province,
                     &s->province);
    json_decref(body);
    if (v.fields != NULL) {
        /* s lives in the request's arena: wipe before answering frees it. */
        forget_password(s);
        validation_respond(&v, req);
        return;
    }
    check_email_limit(s);
}

static void handle_login(http_request_t *req)
{
    json_t *body = api_body_json(req, false);
    if (body == NULL)
        return;
    signup_t *s = arena_calloc(&req->arena, 1, sizeof(*s));
    s->req = req;
    s->status = 200;
    s->is_login = true;
    validation_t v = {0};
    const char *email = NULL;
    if (!api_get_string(body, "email", false, &v, &email))
        validation_fail(&v, "email", "required", "email is required");
    read_password(body, s, &v, false);
    if (email != NULL) {
        /* A malformed email cannot match an account; it still costs a hash
         * and counts against its own limit, like any wrong login. */
        s->email = api_email_normalize(&req->arena, email);
        s->email_valid = s->email != NULL;
        if (s->email == NULL) {
            size_t len = strnlen(email, 254);
            s->email = arena_strndup(&req->arena, email, len);
        }
    }
    json_decref(body);
    if (v.fields != NULL) {
        /* s lives in the request's arena: wipe before answering frees it. */
        forget_password(s);
        validation_respond(&v, req);
        return;
    }
    check_email_limit(s);
}

/* ---- refresh and logout ------------------------------------------------ */

static void on_refreshed(bool ok, api_error_t err, const auth_pair_t *pair, void *user_data)
{
    http_request_t *req = user_data;
    if (!ok) {
        http_respond_error(
            req, err, err == API_ERR_UNAUTHORIZED ? "the refresh token is not valid" : NULL, NULL);
        return;
    }
    http_response_header(req, "Cache-Control", "no-store");
    http_respond_json(req, 200, pair_json(pair));
}

/* Reads the refresh_token member: NULL when absent (and then required says
 * whether that is a validation error, already recorded in v). */
static const char *read_refresh_token(json_t *body, validation_t *v, bool required)
{
    const char *token = NULL;
    if (!api_get_string(body, "refresh_token", false, v, &token)) {
        if (required)
            validation_fail(v, "refresh_token", "required", "refresh_token is required");
        return NULL;
    }
    if (token != NULL && (token[0] == '\0' || strlen(token) > 4096)) {
        validation_fail(v, "refresh_token", "invalid", "refresh_token is not valid");
        return NULL;
    }
    return token;
}

/* Reads a body {"refresh_token"?} into *token (an arena copy; NULL when
 * absent). False when the request was answered (bad JSON, bad member). */
static bool read_refresh_body(http_request_t *req, bool required, char **token)
{
    json_t *body = api_body_json(req, !required);
    if (body == NULL)
        return false;
    validation_t v = {0};
    const char *value = read_refresh_token(body, &v, required);
    *token = value ? arena_strndup(&req->arena, value, strlen(value)) : NULL;
    json_decref(body);
    return !validation_respond(&v, req);
}

static void handle_refresh(http_request_t *req)
{
    char *copy;
    if (!read_refresh_body(req, true, &copy))
        return;
    app_t *app = req->app;
    if (auth_refresh(app->auth, copy, user_agent(req), req->client_ip, on_refreshed, req) != 0)
        http_respond_error(req, API_ERR_UNAVAILABLE, NULL, NULL);
}

static void on_done_204(bool ok, api_error_t err, void *user_data)
{
    http_request_t *req = user_data;
    if (!ok) {
        http_respond_error(req, err, NULL, NULL);
        return;
    }
    http_respond_empty(req, 204);
}

/* Logout ends the session of the access token when it authenticates, else
 * the session of the refresh token in the body: a client whose access token
 * has just expired can still log out (the route's auth is soft). */
static void handle_logout(http_request_t *req)
{
    char *refresh_token;
    if (!read_refresh_body(req, false, &refresh_token))
        return;
    app_t *app = req->app;
    int rc;
    api_error_t auth_err = API_ERR_UNAUTHORIZED;
    bool token_failed = api_auth_failed(req, &auth_err);
    if (req->user_id != 0) {
        rc = auth_revoke(app->auth, req->user_id, api_auth_session_id(req), "logout", on_done_204,
                         req);
    } else if (refresh_token != NULL) {
        rc = auth_revoke_refresh(app->auth, refresh_token, on_done_204, req);
    } else {
        http_response_header(req, "WWW-Authenticate", "Bearer realm=\"rural24\"");
        http_respond_error(req, auth_err,
                           token_failed ? NULL
                                        : "send the access token or the refresh token of the "
                                          "session to end",
                           NULL);
        return;
    }
    if (rc != 0)
        http_respond_error(req, API_ERR_UNAVAILABLE, NULL, NULL);
}

static void handle_logout_all(http_request_t *req)
{
    app_t *app = req->app;
    if (auth_revoke_all(app->auth, req->user_id, on_done_204, req) != 0)
        http_respond_error(req, API_ERR_UNAVAILABLE, NULL, NULL);
}

static void on_sessions_listed(bool ok, api_error_t err, const char *json, size_t len,
                               void *user_data)
{
    http_request_t *req = user_data;
    if (!ok) {
        http_respond_error(req, err, NULL, NULL);
        return;
    }
    http_response_header(req, "Cache-Control", "no-store");
    http_respond(req, 200, "application/json; charset=utf-8", json, len);
}

static void handle_sessions(http_request_t *req)
{
    app_t *app = req->app;
    if (auth_list_sessions(app->auth, req->user_id, api_auth_session_id(req), on_sessions_listed,
                           req) != 0)
        http_respond_error(req, API_ERR_UNAVAILABLE, NULL, NULL);
}

static void handle_delete_session(http_request_t *req)
{
    app_t *app = req->app;
    if (!auth_has_sessions(app->auth)) {
        http_respond_error(req, API_ERR_NOT_SUPPORTED,
                           "sessions cannot be revoked with SESSION_STORE=stateless", NULL);
        return;
    }
    if (auth_revoke(app->auth, req->user_id, req->path_params[0], "deleted", on_done_204, req) != 0)
        http_respond_error(req, API_ERR_UNAVAILABLE, NULL, NULL);
}

/* ---- password change (docs/AUTH.md) ------------------------------------ */

/* A change across its asynchronous steps; lives in the request's arena, so
 * every step wipes the secrets before it answers (an answer frees the arena). */
typedef struct {
    http_request_t *req;
    char *current; /* wiped once handed to the check (which copies it) */
    size_t current_len;
    char *next; /* wiped once handed to the hash (which copies it) */
    size_t next_len;
    char *old_hash; /* what the current password matched */
    char key[48];   /* the attempts' rate-limit key, "password:<user id>" */
    size_t key_len;
} change_t;

static void change_forget(change_t *c)
{
    if (c->current != NULL)
        sodium_memzero(c->current, c->current_len);
    if (c->next != NULL)
        sodium_memzero(c->next, c->next_len);
}

static void on_change_pair(bool ok, api_error_t err, const auth_pair_t *pair, void *user_data)
{
    http_request_t *req = user_data;
    if (!ok) {
        http_respond_error(req, err, NULL, NULL);
        return;
    }
    http_response_header(req, "Cache-Control", "no-store");
    http_respond_json(req, 200, pair_json(pair));
}

/* Every session of the user has ended: this client gets a new one. */
static void start_changed_session(http_request_t *req)
{
    app_t *app = req->app;
    if (auth_start_session(app->auth, req->user_id, user_agent(req), req->client_ip, on_change_pair,
                           req) != 0)
        http_respond_error(req, API_ERR_UNAVAILABLE, NULL, NULL);
}

static void on_sessions_ended(bool ok, api_error_t err, void *user_data)
{
    http_request_t *req = user_data;
    if (!ok) {
        /* The new password is in place; the old sessions may live on. */
        log_warn("password changed, sessions not revoked", "user_id", json_integer(req->user_id),
                 NULL);
        http_respond_error(req, err, NULL, NULL);
        return;
    }
    start_changed_session(req);
}

static void on_password_set(db_result_t *res, void *user_data)
{
    http_request_t *req = user_data;
    if (api_db_failed(req, res))
        return;
    if (db_result_rows(res) != 1) {
        http_respond_error(req, API_ERR_CONFLICT, "the password was changed meanwhile", NULL);
        return;
    }
    app_t *app = req->app;
    /* Stateless tokens cannot be revoked: they run to their expiry. */
    if (!auth_has_sessions(app->auth)) {
        start_changed_session(req);
        return;
    }
    if (auth_revoke_all(app->auth, req->user_id, on_sessions_ended, req) != 0)
        http_respond_error(req, API_ERR_UNAVAILABLE, NULL, NULL);
}

static void on_new_password_hashed(const char *hash, void *user_data)
{
    change_t *c = user_data;
    http_request_t *req = c->req;
    if (hash == NULL) {
        http_respond_error(req, API_ERR_INTERNAL, NULL, NULL);
        return;
    }
    const char *params[] = {api_user_text(req), c->old_hash, hash};
    int rc = db_query(((app_t *)req->app)->db, &db_users_set_password, params, NULL, 3, DB_WRITE,
                      req->user_id, on_password_set, req);
    if (rc != 0)
        http_respond_error(req, db_error_api(rc), NULL, NULL);
}

static void on_current_checked(bool matches, void *user_data)
{
    change_t *c = user_data;
    http_request_t *req = c->req;
    app_t *app = req->app;
    if (!matches) {
        change_forget(c);
        json_t *fields = json_pack("{s:s}", "current_password", "incorrect");
        http_respond_error(req, API_ERR_VALIDATION_FAILED, "current_password is not correct",
                           fields);
        return;
    }
    /* Right: this person's attempts start afresh. */
    if (app->ratelimit != NULL)
        (void)ratelimit_apply(app->ratelimit, RATE_CLASS_AUTH_EMAIL, RATELIMIT_CLEAR, c->key,
                              c->key_len, NULL, NULL);
    int rc = auth_password_hash(app->loop, c->next, c->next_len, on_new_password_hashed, c);
    change_forget(c); /* the hash has its own copy */
    if (rc != 0)
        http_respond_error(req, API_ERR_UNAVAILABLE, NULL, NULL);
}

static void on_password_hash_row(db_result_t *res, void *user_data)
{
    change_t *c = user_data;
    http_request_t *req = c->req;
    if (db_result_error(res) != 0) {
        change_forget(c); /* before the answer, which frees c */
        api_db_failed(req, res);
        return;
    }
    const char *hash = db_result_rows(res) == 1 ? db_result_value(res, 0, 0, NULL) : NULL;
    if (hash == NULL) {
        /* The account is gone: the token outlived it. */
        change_forget(c);
        http_respond_error(req, API_ERR_UNAUTHORIZED, NULL, NULL);
        return;
    }
    c->old_hash = arena_strndup(&req->arena, hash, strlen(hash));
    app_t *app = req->app;
    int rc = auth_password_verify(app->loop, c->current, c->current_len, c->old_hash,
                                  on_current_checked, c);
    /* The check has its own copy; the new password waits for the hash. */
    sodium_memzero(c->current, c->current_len);
    if (rc != 0) {
        change_forget(c);
        http_respond_error(req, API_ERR_UNAVAILABLE, NULL, NULL);
    }
}

/* A member holding a password and its complaints (literals: a validation
 * keeps the first message by reference). min_message NULL: any length from
 * 1 will do. */
typedef struct {
    const char *member;
    const char *required_message;
    const char *min_message;
    const char *max_message;
} secret_rule_t;

static const secret_rule_t CURRENT_PASSWORD = {"current_password", "current_password is required",
                                               NULL,
                                               "current_password must have at most 128 characters"};
static const secret_rule_t NEW_PASSWORD = {"new_password", "new_password is required",
                                           "new_password must have at least 8 characters",
                                           "new_password must have at most 128 characters"};

/* Reads rule's member into *out (an arena copy) and checks its length. */
static void read_secret(json_t *body, http_request_t *req, const secret_rule_t *rule,
                        validation_t *v, char **out, size_t *out_len)
{
    const char *value = NULL;
    if (!api_get_string(body, rule->member, false, v, &value) || value == NULL) {
        /* After a "type" complaint this one is ignored (the first wins). */
        validation_fail(v, rule->member, "required", rule->required_message);
        return;
    }
    size_t chars = api_utf8_chars(value);
    if (chars == 0)
        validation_fail(v, rule->member, "required", rule->required_message);
    else if (rule->min_message != NULL && chars < PASSWORD_MIN_CHARS)
        validation_fail(v, rule->member, "min_length", rule->min_message);
    else if (chars > PASSWORD_MAX_CHARS)
        validation_fail(v, rule->member, "max_length", rule->max_message);
    *out_len = strlen(value);
    *out = arena_strndup(&req->arena, value, *out_len);
}

/* The attempt is counted: the hash it is checked against, from the primary
 * (a change right after another must see it). */
static void check_current(change_t *c)
{
    http_request_t *req = c->req;
    app_t *app = req->app;
    const char *params[] = {api_user_text(req)};
    int rc = db_query(app->db, &db_users_password_hash, params, NULL, 1, DB_WRITE, req->user_id,
                      on_password_hash_row, c);
    if (rc != 0) {
        change_forget(c);
        http_respond_error(req, db_error_api(rc), NULL, NULL);
    }
}

static void on_attempt_counted(const ratelimit_result_t *result, void *user_data)
{
    change_t *c = user_data;
    http_request_t *req = c->req;
    if (!result->allowed &&
        api_ratelimit_should_refuse(req, RATE_CLASS_AUTH_EMAIL, c->key, c->key_len)) {
        change_forget(c); /* before the answer, which frees c */
        api_ratelimit_refuse(req, result);
        return;
    }
    api_ratelimit_headers(req, result);
    check_current(c);
}

/* A well-formed body, then the attempt counts against RATE_LIMIT_AUTH_EMAIL
 * per user before its check: a check takes an Argon2 hash, and attempts
 * racing each other must not all pass a peek. A right one clears the count
 * (on_current_checked). */
static void handle_change_password(http_request_t *req)
{
    json_t *body = api_body_json(req, false);
    if (body == NULL)
        return;
    change_t *c = arena_calloc(&req->arena, 1, sizeof(*c));
    c->req = req;
    validation_t v = {0};
    read_secret(body, req, &CURRENT_PASSWORD, &v, &c->current, &c->current_len);
    read_secret(body, req, &NEW_PASSWORD, &v, &c->next, &c->next_len);
    json_decref(body);
    if (v.fields != NULL) {
        change_forget(c); /* before the answer, which frees c */
        validation_respond(&v, req);
        return;
    }
    c->key_len = (size_t)snprintf(c->key, sizeof(c->key), "password:%" PRId64, req->user_id);
    app_t *app = req->app;
    if (app->ratelimit == NULL ||
        ratelimit_apply(app->ratelimit, RATE_CLASS_AUTH_EMAIL, RATELIMIT_COUNT, c->key, c->key_len,
                        on_attempt_counted, c) != 0)
        check_current(c);
}

void api_auth_register(app_t *app)
{
    static const http_route_opts_t auth_class = {.body_kind = HTTP_BODY_JSON,
                                                 .rate_class = HTTP_RATE_AUTH,
                                                 .body_limit_bytes = HTTP_BODY_LIMIT_AUTH};
    static const http_route_opts_t public_json = {.body_kind = HTTP_BODY_JSON,
                                                  .body_limit_bytes = HTTP_BODY_LIMIT_AUTH};
    static const http_route_opts_t logout_json = {.body_kind = HTTP_BODY_JSON,
                                                  .auth = HTTP_AUTH_OPTIONAL,
                                                  .auth_soft = true,
                                                  .body_limit_bytes = HTTP_BODY_LIMIT_AUTH};
    static const http_route_opts_t required = {.auth = HTTP_AUTH_REQUIRED};
    app_route(app, HTTP_METHOD_POST, "/api/auth/register", handle_register, &auth_class);
    app_route(app, HTTP_METHOD_POST, "/api/auth/login", handle_login, &auth_class);
    app_route(app, HTTP_METHOD_POST, "/api/auth/refresh", handle_refresh, &public_json);
    app_route(app, HTTP_METHOD_POST, "/api/auth/logout", handle_logout, &logout_json);
    app_route(app, HTTP_METHOD_POST, "/api/auth/logout-all", handle_logout_all, &required);
    app_route(app, HTTP_METHOD_GET, "/api/auth/sessions", handle_sessions, &required);
    app_route(app, HTTP_METHOD_DELETE, "/api/auth/sessions/{id}", handle_delete_session, &required);
    /* The auth class: counted per address too (the middleware adds headers
     * only when it refuses; the per-user count's are the answer's). */
    static const http_route_opts_t password_json = {.body_kind = HTTP_BODY_JSON,
                                                    .auth = HTTP_AUTH_REQUIRED,
                                                    .rate_class = HTTP_RATE_AUTH,
                                                    .body_limit_bytes = HTTP_BODY_LIMIT_AUTH};
    app_route(app, HTTP_METHOD_POST, "/api/auth/password", handle_change_password, &password_json);
}
