/* GET /ws and the frames of API.md "Real time"; see ws.h. Decisions where
 * API.md is silent are in docs/CHAT.md ("Real time"). */
#include "api/ws.h"

#include "api/app.h"
#include "api/messages.h"
#include "auth/sessions.h"
#include "auth/token.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "http/response.h"
#include "obs/metrics.h"
#include "store/ratelimit.h"
#include "ws/handshake.h"
#include "ws/hub.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum {
    CLIENT_ID_MAX_CHARS = 100,
    TYPING_EVERY_MS = 1000, /* a connection's typing frames past one a second are dropped */
    SENDS_WAITING_MAX = 32, /* message frames of one connection waiting for their turn */
};

typedef struct send_op_s send_op_t;

/* One WebSocket connection of a user. */
typedef struct {
    ws_member_t member; /* the hub's view: user, session, expiry */
    app_t *app;
    uint64_t last_typing_ms;
    /* Message frames are stored one at a time, in the order they came, so
     * that back-to-back sends keep their order (ids, acks, pushes): the one
     * under way (sending) and those waiting behind it. */
    send_op_t *waiting_head;
    send_op_t *waiting_tail;
    uint8_t waiting_count;
    bool sending;
    bool auth_pending; /* an auth frame's token is being checked: one at a time */
    bool *closed_flag; /* while greeting: set when on_closed frees this client */
} ws_client_t;

/* ---- frames out ----------------------------------------------------------- */

/* Sends json (stolen) to one connection. */
static void send_json(ws_member_t *m, json_t *json)
{
    char *text = json_dumps(json, JSON_COMPACT);
    json_decref(json);
    if (text == NULL)
        return;
    (void)ws_conn_send_text(m->conn, text, strlen(text));
    free(text);
}

/* {"type":"error","code","message"} plus, for a send, its client_id and the
 * fields that failed (both may be NULL; fields is stolen). */
static void send_error(ws_member_t *m, api_error_t err, const char *message, const char *client_id,
                       json_t *fields)
{
    json_t *frame = json_pack("{s:s, s:s, s:s}", "type", "error", "code", api_error_code(err),
                              "message", message != NULL ? message : api_error_message(err));
    if (client_id != NULL)
        json_object_set_new(frame, "client_id", json_string(client_id));
    if (fields != NULL)
        json_object_set_new(frame, "fields", fields);
    send_json(m, frame);
}

/* "{"type":"<type>","<key>":<raw JSON>}" in a malloc'd buffer. */
static char *wrap(const char *type, const char *key, const char *raw, size_t raw_len,
                  size_t *out_len)
{
    size_t len = strlen(type) + strlen(key) + raw_len + 20;
    char *out = xmalloc(len + 1);
    int n = snprintf(out, len + 1, "{\"type\":\"%s\",\"%s\":%.*s}", type, key, (int)raw_len, raw);
    *out_len = n > 0 ? (size_t)n : 0;
    return out;
}

void api_ws_push_message(app_t *app, int64_t sender_id, int64_t receiver_id,
                         const char *message_json, size_t len, uint64_t except)
{
    if (app->hub == NULL)
        return;
    size_t frame_len;
    char *frame = wrap("message", "message", message_json, len, &frame_len);
    ws_hub_send(app->hub, receiver_id, frame, frame_len, 0);
    ws_hub_send(app->hub, sender_id, frame, frame_len, except);
    free(frame);
}

void api_ws_push_read(app_t *app, int64_t reader_id, int64_t peer_id, int64_t up_to)
{
    if (app->hub == NULL)
        return;
    char frame[96];
    int n = snprintf(frame, sizeof(frame),
                     "{\"type\":\"read\",\"peer_id\":%" PRId64 ",\"up_to\":%" PRId64 "}", reader_id,
                     up_to);
    ws_hub_send(app->hub, peer_id, frame, (size_t)n, 0);
}

void api_ws_push_notification(app_t *app, int64_t user_id, const char *notification_json,
                              size_t len)
{
    if (app->hub == NULL)
        return;
    size_t frame_len;
    char *frame = wrap("notification", "notification", notification_json, len, &frame_len);
    ws_hub_send(app->hub, user_id, frame, frame_len, 0);
    free(frame);
}

/* ---- a send over the socket ------------------------------------------------ */

/* What a message frame keeps across the rate limiter and the insert: the
 * connection may be gone by then, so it is found again by id. */
struct send_op_s {
    app_t *app;
    int64_t user_id;
    uint64_t member_id;
    char *client_id; /* NULL when the frame had none */
    arena_t arena;   /* the draft's body */
    api_message_draft_t draft;
    send_op_t *next; /* in its connection's waiting list */
};

static void send_op_free(send_op_t *op)
{
    arena_free(&op->arena);
    free(op->client_id);
    free(op);
}

static ws_member_t *member_of(const send_op_t *op)
{
    return op->app->hub != NULL ? ws_hub_find(op->app->hub, op->user_id, op->member_id) : NULL;
}

static void start_next_send(ws_client_t *c);

/* op's send is answered (ack or error): frees it and starts the next send of
 * its connection, if the connection is still there. */
static void send_op_done(send_op_t *op)
{
    ws_member_t *m = member_of(op);
    send_op_free(op);
    if (m == NULL)
        return;
    ws_client_t *c = container_of(m, ws_client_t, member);
    c->sending = false;
    start_next_send(c);
}

static void on_frame_stored(db_result_t *res, void *user_data)
{
    send_op_t *op = user_data;
    ws_member_t *m = member_of(op);
    const char *json;
    size_t len;
    api_message_outcome_t outcome = api_message_outcome(res, &json, &len);
    if (outcome == API_MESSAGE_STORED) {
        obs_count(op->app->metrics, OBS_CHAT_MESSAGES);
        /* Stored: the ack to this connection, the message to every other
         * connection of both users. */
        if (m != NULL) {
            json_t *client_id = op->client_id ? json_string(op->client_id) : json_null();
            char *id_text = json_dumps(client_id, JSON_ENCODE_ANY);
            json_decref(client_id);
            size_t frame_len = len + strlen(id_text) + 48;
            char *frame = xmalloc(frame_len + 1);
            int n = snprintf(frame, frame_len + 1,
                             "{\"type\":\"ack\",\"client_id\":%s,\"message\":%.*s}", id_text,
                             (int)len, json);
            free(id_text);
            (void)ws_conn_send_text(m->conn, frame, (size_t)n);
            free(frame);
        }
        api_ws_push_message(op->app, op->user_id, op->draft.to, json, len, op->member_id);
    } else if (m != NULL) {
        switch (outcome) {
        case API_MESSAGE_NO_RECEIVER:
            send_error(m, API_ERR_NOT_FOUND, "no such user", op->client_id, NULL);
            break;
        case API_MESSAGE_NO_AD:
            send_error(m, API_ERR_VALIDATION_FAILED, "ad_id: no such ad", op->client_id,
                       json_pack("{s:s}", "ad_id", "not_found"));
            break;
        default: {
            int err = db_result_error(res);
            send_error(m, err != 0 ? db_error_api(err) : API_ERR_INTERNAL, NULL, op->client_id,
                       NULL);
            break;
        }
        }
    }
    send_op_done(op);
}

static void store_frame(send_op_t *op)
{
    int rc = api_message_insert(op->app, op->user_id, &op->draft, on_frame_stored, op);
    if (rc == 0)
        return;
    ws_member_t *m = member_of(op);
    if (m != NULL)
        send_error(m, db_error_api(rc), NULL, op->client_id, NULL);
    send_op_done(op);
}

static void on_send_limited(const ratelimit_result_t *result, void *user_data)
{
    send_op_t *op = user_data;
    if (result->allowed || op->app->config->rate_limit_dry_run) {
        store_frame(op);
        return;
    }
    ws_member_t *m = member_of(op);
    if (m != NULL) {
        char message[96];
        snprintf(message, sizeof(message), "too many messages; retry in %" PRIu32 " s",
                 result->retry_after_s);
        send_error(m, API_ERR_RATE_LIMITED, message, op->client_id, NULL);
    }
    send_op_done(op);
}

/* Starts the first waiting send of c unless one is under way. */
static void start_next_send(ws_client_t *c)
{
    send_op_t *op = c->waiting_head;
    if (c->sending || op == NULL)
        return;
    c->waiting_head = op->next;
    if (c->waiting_head == NULL)
        c->waiting_tail = NULL;
    c->waiting_count--;
    op->next = NULL;
    c->sending = true;
    /* The same budget as POST /api/messages: the ws_message class, by user.
     * Callbacks may run from inside ratelimit_check() and store_frame(). */
    char key[32];
    int key_len = snprintf(key, sizeof(key), "u:%" PRId64, op->user_id);
    if (c->app->ratelimit == NULL || ratelimit_check(c->app->ratelimit, RATE_CLASS_WS_MESSAGE, key,
                                                     (size_t)key_len, on_send_limited, op) != 0)
        store_frame(op);
}

static void handle_message_frame(ws_client_t *c, json_t *frame)
{
    ws_member_t *m = &c->member;
    json_t *client_id = json_object_get(frame, "client_id");
    const char *id = NULL;
    if (client_id != NULL && !json_is_null(client_id)) {
        if (!json_is_string(client_id) ||
            api_utf8_chars(json_string_value(client_id)) > CLIENT_ID_MAX_CHARS) {
            send_error(m, API_ERR_VALIDATION_FAILED,
                       "client_id: a string of at most 100 characters", NULL,
                       json_pack("{s:s}", "client_id", "invalid"));
            return;
        }
        id = json_string_value(client_id);
    }
    send_op_t *op = xcalloc(1, sizeof(*op));
    op->app = c->app;
    op->user_id = m->user_id;
    op->member_id = m->id;
    op->client_id = id != NULL ? xstrdup(id) : NULL;
    arena_init(&op->arena);
    validation_t v = {0};
    api_message_read(frame, m->user_id, &op->arena, &op->draft, &v);
    if (v.fields != NULL) {
        send_error(m, API_ERR_VALIDATION_FAILED, v.first_message, op->client_id, v.fields);
        send_op_free(op);
        return;
    }
    if (c->waiting_count >= SENDS_WAITING_MAX) {
        send_error(m, API_ERR_RATE_LIMITED, "too many sends waiting for their ack", op->client_id,
                   NULL);
        send_op_free(op);
        return;
    }
    if (c->waiting_tail != NULL)
        c->waiting_tail->next = op;
    else
        c->waiting_head = op;
    c->waiting_tail = op;
    c->waiting_count++;
    start_next_send(c);
}

/* ---- the other frames ----------------------------------------------------- */

static void handle_typing_frame(ws_client_t *c, json_t *frame)
{
    ws_member_t *m = &c->member;
    json_t *to = json_object_get(frame, "to");
    if (!json_is_integer(to) || json_integer_value(to) <= 0 ||
        json_integer_value(to) == m->user_id) {
        send_error(m, API_ERR_VALIDATION_FAILED, "to: another user's id", NULL,
                   json_pack("{s:s}", "to", "invalid"));
        return;
    }
    /* Typing is not stored; a client sending it on every key press is
     * thinned to one a second. */
    uint64_t now = uv_now(c->app->loop);
    if (c->last_typing_ms != 0 && now - c->last_typing_ms < TYPING_EVERY_MS)
        return;
    c->last_typing_ms = now;
    char out[64];
    int n = snprintf(out, sizeof(out), "{\"type\":\"typing\",\"from\":%" PRId64 "}", m->user_id);
    ws_hub_send(c->app->hub, json_integer_value(to), out, (size_t)n, 0);
}

/* What an auth frame keeps across the session manager. */
typedef struct {
    app_t *app;
    int64_t user_id;
    uint64_t member_id;
    char *token;
} auth_op_t;

static int64_t token_expiry(const app_t *app, const char *token)
{
    auth_claims_t claims;
    if (auth_token_verify(app->config->jwt_secret, token, AUTH_TOKEN_ACCESS, (int64_t)time(NULL),
                          &claims) != AUTH_TOKEN_OK)
        return 0;
    return claims.expires_at_s;
}

static void on_frame_auth(bool ok, api_error_t err, const auth_identity_t *identity,
                          void *user_data)
{
    auth_op_t *op = user_data;
    ws_member_t *m =
        op->app->hub != NULL ? ws_hub_find(op->app->hub, op->user_id, op->member_id) : NULL;
    if (m != NULL) {
        container_of(m, ws_client_t, member)->auth_pending = false;
        if (!ok) {
            send_error(m, err, "the token was not accepted; the connection keeps the old one", NULL,
                       NULL);
        } else if (identity->user_id != m->user_id) {
            send_error(m, API_ERR_FORBIDDEN, "the token is another user's", NULL, NULL);
        } else {
            /* The connection now lives on the new token's authority. */
            m->session_id = identity->session_id;
            m->expires_at_s = identity->session_id == 0 ? token_expiry(op->app, op->token) : 0;
        }
    }
    free(op->token);
    free(op);
}

static void handle_auth_frame(ws_client_t *c, json_t *frame)
{
    const char *token = json_string_value(json_object_get(frame, "access_token"));
    if (token == NULL || strlen(token) > AUTH_TOKEN_MAX_BYTES) {
        send_error(&c->member, API_ERR_VALIDATION_FAILED, "access_token: a token is required", NULL,
                   json_pack("{s:s}", "access_token", "required"));
        return;
    }
    if (c->auth_pending) {
        /* Each check costs a session lookup: a client cannot queue them. */
        send_error(&c->member, API_ERR_RATE_LIMITED, "an auth frame is already being checked", NULL,
                   NULL);
        return;
    }
    auth_op_t *op = xcalloc(1, sizeof(*op));
    op->app = c->app;
    op->user_id = c->member.user_id;
    op->member_id = c->member.id;
    op->token = xstrdup(token);
    c->auth_pending = true;
    if (auth_authenticate(c->app->auth, op->token, on_frame_auth, op) != 0) {
        c->auth_pending = false;
        send_error(&c->member, API_ERR_UNAVAILABLE, NULL, NULL, NULL);
        free(op->token);
        free(op);
    }
}

static void on_text(ws_conn_t *conn, const char *text, size_t len, void *user_data)
{
    (void)conn;
    ws_client_t *c = user_data;
    json_error_t err;
    json_t *frame = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (frame == NULL || !json_is_object(frame)) {
        json_decref(frame);
        send_error(&c->member, API_ERR_INVALID_JSON, "a frame is one JSON object", NULL, NULL);
        return;
    }
    const char *type = json_string_value(json_object_get(frame, "type"));
    if (type == NULL) {
        send_error(&c->member, API_ERR_BAD_REQUEST, "a frame needs a \"type\"", NULL, NULL);
    } else if (strcmp(type, "message") == 0) {
        handle_message_frame(c, frame);
    } else if (strcmp(type, "typing") == 0) {
        handle_typing_frame(c, frame);
    } else if (strcmp(type, "ping") == 0) {
        static const char pong[] = "{\"type\":\"pong\"}";
        (void)ws_conn_send_text(c->member.conn, pong, sizeof(pong) - 1);
    } else if (strcmp(type, "auth") == 0) {
        handle_auth_frame(c, frame);
    } else {
        send_error(&c->member, API_ERR_BAD_REQUEST, "unknown frame type", NULL, NULL);
    }
    json_decref(frame);
}

static void on_closed(ws_conn_t *conn, void *user_data)
{
    (void)conn;
    ws_client_t *c = user_data;
    if (c->closed_flag != NULL)
        *c->closed_flag = true;
    if (c->app->hub != NULL)
        ws_hub_leave(c->app->hub, &c->member);
    /* The send under way, if any, finds its connection gone and ends alone. */
    while (c->waiting_head != NULL) {
        send_op_t *next = c->waiting_head->next;
        send_op_free(c->waiting_head);
        c->waiting_head = next;
    }
    free(c);
}

static void on_shutdown(ws_conn_t *conn, void *user_data)
{
    (void)user_data;
    ws_conn_close(conn, WS_CLOSE_GOING_AWAY, "server shutting down");
}

static const ws_conn_handler_t client_handler = {
    .on_text = on_text,
    .on_closed = on_closed,
    .on_shutdown = on_shutdown,
};

/* ---- the upgrade ------------------------------------------------------------ */

typedef struct {
    http_request_t *req;
    char *token;
} upgrade_t;

static void refuse_unauthorized(http_request_t *req, api_error_t err)
{
    http_response_header(req, "WWW-Authenticate", "Bearer realm=\"rural24\"");
    http_respond_error(req, err, NULL, NULL);
}

static void on_upgrade_auth(bool ok, api_error_t err, const auth_identity_t *identity,
                            void *user_data)
{
    upgrade_t *u = user_data;
    http_request_t *req = u->req;
    app_t *app = req->app;
    if (!ok) {
        refuse_unauthorized(req, err);
        return;
    }
    char accept[WS_ACCEPT_BYTES];
    ws_handshake_error_t bad = ws_handshake_check(req, accept);
    if (bad != WS_HANDSHAKE_OK) {
        if (bad == WS_HANDSHAKE_BAD_VERSION)
            http_response_header(req, "Sec-WebSocket-Version", "13");
        http_respond_error(req, API_ERR_BAD_REQUEST, ws_handshake_error_text(bad), NULL);
        return;
    }
    if (app->hub == NULL || app->draining) {
        http_respond_error(req, API_ERR_UNAVAILABLE, "shutting down", NULL);
        return;
    }
    ws_client_t *c = xcalloc(1, sizeof(*c));
    c->app = app;
    c->member.user_id = identity->user_id;
    c->member.session_id = identity->session_id;
    /* Stateless tokens carry their own end; sessions end by revocation. */
    c->member.expires_at_s = identity->session_id == 0 ? token_expiry(app, u->token) : 0;
    int64_t user_id = identity->user_id;
    c->member.conn = ws_conn_accept(req, accept, &client_handler, c); /* req is freed */
    if (c->member.conn == NULL) {
        free(c);
        return;
    }
    ws_hub_join(app->hub, &c->member);
    char hello[64];
    int n = snprintf(hello, sizeof(hello), "{\"type\":\"hello\",\"user_id\":%" PRId64 "}", user_id);
    /* Writing the hello is where a client that left during the token check
     * (a phone losing its network) is found gone: the connection closes
     * inside the call, and on_closed frees c and the connection with it. */
    ws_conn_t *conn = c->member.conn;
    bool closed = false;
    c->closed_flag = &closed;
    (void)ws_conn_send_text(conn, hello, (size_t)n);
    if (closed)
        return;
    c->closed_flag = NULL;
    ws_conn_start(conn);
}

static void handle_ws(http_request_t *req)
{
    app_t *app = req->app;
    const char *frontend = app->config->frontend_url;
    const char *origin = http_request_header(req, "Origin");
    if (frontend[0] != '\0' && origin != NULL && strcmp(origin, frontend) != 0) {
        http_respond_error(req, API_ERR_FORBIDDEN, "this origin may not open a WebSocket", NULL);
        return;
    }
    const char *token = http_request_query(req, "access_token");
    if (token == NULL) {
        const char *authorization = http_request_header(req, "Authorization");
        if (authorization != NULL && strncasecmp(authorization, "Bearer ", 7) == 0)
            token = authorization + 7;
    }
    if (token == NULL || token[0] == '\0' || strlen(token) > AUTH_TOKEN_MAX_BYTES) {
        refuse_unauthorized(req, API_ERR_UNAUTHORIZED);
        return;
    }
    upgrade_t *u = arena_calloc(&req->arena, 1, sizeof(*u));
    u->req = req;
    u->token = arena_strndup(&req->arena, token, strlen(token));
    if (auth_authenticate(app->auth, u->token, on_upgrade_auth, u) != 0)
        http_respond_error(req, API_ERR_UNAVAILABLE, NULL, NULL);
}

/* ---- life ------------------------------------------------------------------ */

static void on_revoked(int64_t user_id, int64_t session_id, void *user_data)
{
    app_t *app = user_data;
    if (app->hub != NULL)
        ws_hub_close_sessions(app->hub, user_id, session_id);
}

void api_ws_open(app_t *app)
{
    ws_hub_options_t opts = {
        .ping_interval_ms = (uint64_t)app->config->ws_ping_interval_ms,
    };
    app->hub = ws_hub_new(app->loop, app->redis, &opts);
    auth_on_revoke(app->auth, on_revoked, app);
}

void api_ws_close(app_t *app)
{
    if (app->auth != NULL)
        auth_on_revoke(app->auth, NULL, NULL);
    ws_hub_free(app->hub);
    app->hub = NULL;
}

void api_ws_register(app_t *app)
{
    /* Authenticated by the handler itself: the token may come in the query
     * (browsers cannot set headers on a WebSocket). */
    static const http_route_opts_t opts = {.auth = HTTP_AUTH_NONE};
    app_route(app, HTTP_METHOD_GET, "/ws", handle_ws, &opts);
}
