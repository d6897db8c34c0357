/* Messages between users (API.md "Messages"): send, the conversation list, a
 * conversation's pages, catch-up since an id, and read receipts.
 *
 * A message is stored first: the 201 means it is in PostgreSQL; then it is
 * pushed to both users' WebSocket connections on every instance (api/ws.h).
 * Decisions where API.md is silent are in docs/CHAT.md. */
#include "api/messages.h"
#include "api/app.h"
#include "api/reply.h"
#include "api/ws.h"
#include "obs/metrics.h"
#include "api/validate.h"
#include "db/messages.h"
#include "db/queries.h"
#include "http/response.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

enum {
    MESSAGE_MAX_CHARS = 2000,
    CONVERSATIONS_DEFAULT = 50,
    CONVERSATIONS_MAX = 100,
    PAGE_DEFAULT = 50,
    PAGE_MAX = 100,
    SINCE_MAX = 500,
};

/* ---- send ---------------------------------------------------------------- */

/* Reads a positive integer id member into *out (0 when absent or null and
 * optional), recording "required" or "type" otherwise. */
static void read_id(json_t *body, const char *key, bool required, validation_t *v, int64_t *out)
{
    json_t *value = json_object_get(body, key);
    *out = 0;
    if (value == NULL || json_is_null(value)) {
        if (required)
            validation_fail(v, key, "required", "a user id is required");
        return;
    }
    if (!json_is_integer(value) || json_integer_value(value) <= 0) {
        validation_fail(v, key, "type", "must be a positive integer id");
        return;
    }
    *out = json_integer_value(value);
}

void api_message_read(json_t *json, int64_t sender_id, arena_t *arena, api_message_draft_t *d,
                      validation_t *v)
{
    memset(d, 0, sizeof(*d));
    read_id(json, "to", true, v, &d->to);
    read_id(json, "ad_id", false, v, &d->ad_id);
    if (d->to != 0 && d->to == sender_id)
        validation_fail(v, "to", "invalid", "a message cannot be sent to oneself");
    const char *body = NULL;
    if (!api_get_string(json, "body", false, v, &body)) {
        validation_fail(v, "body", "required", "body is required");
        return;
    }
    if (body == NULL)
        return;
    size_t trimmed_chars = 0;
    (void)api_trim(arena, body, &trimmed_chars);
    if (trimmed_chars == 0)
        validation_fail(v, "body", "min_length", "body must not be empty");
    else if (api_utf8_chars(body) > MESSAGE_MAX_CHARS)
        validation_fail(v, "body", "max_length", "body must have at most 2000 characters");
    d->body = arena_strndup(arena, body, strlen(body));
}

int api_message_insert(app_t *app, int64_t sender_id, const api_message_draft_t *d, db_result_cb cb,
                       void *user_data)
{
    char sender[24], to[24], ad[24];
    snprintf(sender, sizeof(sender), "%" PRId64, sender_id);
    snprintf(to, sizeof(to), "%" PRId64, d->to);
    snprintf(ad, sizeof(ad), "%" PRId64, d->ad_id);
    const char *params[] = {sender, to, d->body, d->ad_id != 0 ? ad : NULL};
    return db_query(app->db, &db_q_message_insert, params, NULL, 4, DB_WRITE, sender_id, cb,
                    user_data);
}

api_message_outcome_t api_message_outcome(db_result_t *res, const char **json, size_t *len)
{
    bool receiver = false, ad = false;
    *json = NULL;
    *len = 0;
    if (db_result_error(res) != 0 || db_result_rows(res) != 1 ||
        db_result_bool(res, 0, 1, &receiver) != 0 || db_result_bool(res, 0, 2, &ad) != 0)
        return API_MESSAGE_FAILED;
    if (!receiver)
        return API_MESSAGE_NO_RECEIVER;
    if (!ad)
        return API_MESSAGE_NO_AD;
    *json = db_result_value(res, 0, 0, len);
    return *json != NULL ? API_MESSAGE_STORED : API_MESSAGE_FAILED;
}

/* What a REST send keeps across its insert. */
typedef struct {
    http_request_t *req;
    api_message_draft_t draft;
} rest_send_t;

static void on_message_stored(db_result_t *res, void *user_data)
{
    rest_send_t *send = user_data;
    http_request_t *req = send->req;
    if (api_db_failed(req, res))
        return;
    const char *json;
    size_t len;
    switch (api_message_outcome(res, &json, &len)) {
    case API_MESSAGE_STORED:
        break;
    case API_MESSAGE_NO_RECEIVER:
        http_respond_error(req, API_ERR_NOT_FOUND, "no such user", NULL);
        return;
    case API_MESSAGE_NO_AD: {
        json_t *fields = json_pack("{s:s}", "ad_id", "not_found");
        http_respond_error(req, API_ERR_VALIDATION_FAILED, "ad_id: no such ad", fields);
        return;
    }
    case API_MESSAGE_FAILED:
        http_respond_error(req, API_ERR_INTERNAL, NULL, NULL);
        return;
    }
    app_t *app = req->app;
    obs_count(app->metrics, OBS_CHAT_MESSAGES);
    /* Stored: now pushed to both users' open connections, everywhere. */
    api_ws_push_message(app, req->user_id, send->draft.to, json, len, 0);
    api_private_answer(req);
    http_respond(req, 201, API_JSON_TYPE, json, len);
}

static void handle_send(http_request_t *req)
{
    json_t *json = api_body_json(req, false);
    if (json == NULL)
        return;
    validation_t v = {0};
    rest_send_t *send = arena_calloc(&req->arena, 1, sizeof(*send));
    send->req = req;
    api_message_read(json, req->user_id, &req->arena, &send->draft, &v);
    json_decref(json);
    if (validation_respond(&v, req))
        return;
    int rc = api_message_insert(req->app, req->user_id, &send->draft, on_message_stored, send);
    if (rc != 0)
        http_respond_error(req, db_error_api(rc), NULL, NULL);
}

/* ---- reads --------------------------------------------------------------- */

static void on_conversations(db_result_t *res, void *user_data)
{
    api_respond_items(user_data, res, "private, no-store");
}

static void handle_conversations(http_request_t *req)
{
    int64_t limit;
    if (!api_query_int(req, "limit", 1, CONVERSATIONS_MAX, CONVERSATIONS_DEFAULT, &limit))
        return;
    api_query(req, &db_q_conversations, DB_READ, on_conversations, api_user_text(req),
              api_int_text(req, limit));
}

static void on_peer_checked(db_result_t *res, void *user_data)
{
    http_request_t *req = user_data;
    if (api_db_failed(req, res))
        return;
    if (db_result_rows(res) == 0) {
        http_respond_error(req, API_ERR_NOT_FOUND, "no such user", NULL);
        return;
    }
    api_private_answer(req);
    static const char empty[] = "{\"items\":[],\"next_cursor\":null}";
    http_respond(req, 200, API_JSON_TYPE, empty, sizeof(empty) - 1);
}

static void on_conversation_page(db_result_t *res, void *user_data)
{
    http_request_t *req = user_data;
    if (!api_one_row(req, res))
        return;
    const char *items = db_result_value(res, 0, 0, NULL);
    if (items != NULL && strcmp(items, "[]") != 0) {
        api_respond_id_page(req, res, NULL);
        return;
    }
    /* Nothing between the two: an unknown peer is 404, a known one an empty
     * page. */
    api_query(req, &db_q_user_exists, DB_READ, on_peer_checked, api_path_param(req, 0));
}

static void handle_conversation(http_request_t *req)
{
    int64_t peer = req->path_params[0];
    if (peer == req->user_id) {
        http_respond_error(req, API_ERR_NOT_FOUND, "no conversation with oneself", NULL);
        return;
    }
    int64_t before, limit;
    if (!api_query_int(req, "before", 1, INT64_MAX, 0, &before) ||
        !api_query_int(req, "limit", 1, PAGE_MAX, PAGE_DEFAULT, &limit))
        return;
    api_query(req, &db_q_conversation_messages, DB_READ, on_conversation_page, api_user_text(req),
              api_path_param(req, 0), before != 0 ? api_int_text(req, before) : NULL,
              api_int_text(req, limit));
}

static void on_since(db_result_t *res, void *user_data)
{
    http_request_t *req = user_data;
    if (api_one_row(req, res))
        api_respond_id_page(req, res, NULL);
}

static void handle_since(http_request_t *req)
{
    int64_t since, limit;
    if (!api_query_int(req, "since_id", 0, INT64_MAX, 0, &since) ||
        !api_query_int(req, "limit", 1, SINCE_MAX, SINCE_MAX, &limit))
        return;
    api_query(req, &db_q_messages_since, DB_READ, on_since, api_user_text(req),
              api_int_text(req, since), api_int_text(req, limit));
}

/* ---- read receipts ------------------------------------------------------- */

static void on_read(db_result_t *res, void *user_data)
{
    http_request_t *req = user_data;
    if (api_db_failed(req, res))
        return;
    bool peer_exists = false;
    if (db_result_rows(res) != 1 || db_result_bool(res, 0, 0, &peer_exists) != 0) {
        http_respond_error(req, API_ERR_INTERNAL, NULL, NULL);
        return;
    }
    if (!peer_exists) {
        http_respond_error(req, API_ERR_NOT_FOUND, "no such user", NULL);
        return;
    }
    int64_t up_to = 0;
    if (!db_result_is_null(res, 0, 1) && db_result_int64(res, 0, 1, &up_to) == 0)
        api_ws_push_read(req->app, req->user_id, req->path_params[0], up_to);
    http_respond_empty(req, 204);
}

static void handle_read(http_request_t *req)
{
    if (req->path_params[0] == req->user_id) {
        http_respond_error(req, API_ERR_NOT_FOUND, "no conversation with oneself", NULL);
        return;
    }
    api_query(req, &db_q_conversation_read, DB_WRITE, on_read, api_user_text(req),
              api_path_param(req, 0));
}

void api_messages_register(app_t *app)
{
    static const http_route_opts_t read = {.auth = HTTP_AUTH_REQUIRED};
    static const http_route_opts_t send = {.auth = HTTP_AUTH_REQUIRED,
                                           .body_kind = HTTP_BODY_JSON,
                                           .body_limit_bytes = HTTP_BODY_LIMIT_JSON,
                                           .rate_class = HTTP_RATE_MESSAGE};
    static const http_route_opts_t mark = {.auth = HTTP_AUTH_REQUIRED,
                                           .body_limit_bytes = HTTP_BODY_LIMIT_NONE};
    app_route(app, HTTP_METHOD_POST, "/api/messages", handle_send, &send);
    app_route(app, HTTP_METHOD_GET, "/api/messages", handle_since, &read);
    app_route(app, HTTP_METHOD_GET, "/api/conversations", handle_conversations, &read);
    app_route(app, HTTP_METHOD_GET, "/api/conversations/{peer}/messages", handle_conversation,
              &read);
    app_route(app, HTTP_METHOD_POST, "/api/conversations/{peer}/read", handle_read, &mark);
}
