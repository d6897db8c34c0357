/* The Redis client of redis.h: two hiredis connections, their reconnection,
 * the command timeout and the client's state.
 *
 * Each connection goes IDLE → (RESOLVING) → CONNECTING → READY. CONNECTING
 * covers the TCP connect and the handshake, pipelined at once: AUTH, SELECT,
 * CLIENT SETNAME, then PING on the command connection (its answer makes the
 * connection READY) or SUBSCRIBE to every channel on the pub/sub connection (the
 * last confirmation makes it READY). Any failure drops the hiredis context and
 * arms a retry timer with exponential backoff and jitter.
 *
 * Every command in flight is on its connection's FIFO list with a deadline.
 * Redis answers in order, so the head is the oldest: one repeating tick timer
 * checks the head's deadline, the connect deadline, and pings an idle command
 * connection so that a Redis that stopped answering is noticed without
 * traffic. A timed-out command drops both connections: a Redis that does not
 * answer one command will not answer the next either.
 *
 * hiredis runs the callbacks of every command still pending, with a NULL reply,
 * when a context is freed — by us (drop, close) or by itself (EOF, error). The
 * connection forgets its context before that happens, so callbacks that issue
 * new commands from there fail fast instead of queueing on a dying context. */
#include "redis/redis.h"
#include "redis/redis_internal.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/netaddr.h"
#include "core/xmalloc.h"

#include <hiredis/async.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

typedef struct conn_s conn_t;
typedef struct redis_cmd_s redis_cmd_t;

typedef enum { CONN_IDLE, CONN_RESOLVING, CONN_CONNECTING, CONN_READY } conn_phase_t;

struct redis_cmd_s {
    redis_cmd_t *next;
    redis_cmd_t *prev;
    conn_t *conn;
    redisAsyncContext *ac; /* the context it was sent on */
    redis_reply_cb cb;
    void *user_data;
    uint64_t deadline_ms;
    bool timed_out;
    bool internal; /* handshake or ping: not the caller's */
};

struct conn_s {
    redis_client_t *client;
    const char *role; /* "command" or "pubsub", for logs */
    bool is_pubsub;
    conn_phase_t phase;
    redisAsyncContext *ac; /* NULL unless CONNECTING or READY */
    uint64_t attempt_started_ms;
    uint32_t backoff_ms;
    uv_timer_t retry_timer;
    uv_getaddrinfo_t resolve_req;
    redis_cmd_t *head; /* oldest command in flight */
    redis_cmd_t *tail;
    size_t pending;
    size_t confirmed; /* pub/sub: channels confirmed on this context */
    size_t expected;  /* pub/sub: channels subscribed in its handshake */
    bool announced;   /* pub/sub: REDIS_EVENT_PUBSUB_UP was sent */
};

/* A subscribed channel. One per name for the life of its subscription and
 * of any UNSUBSCRIBE still unconfirmed: hiredis keeps our pointer as the
 * privdata of the channel's callback until it confirms, and a channel given
 * up and wanted again before that is the same object, revived. */
typedef struct channel_s {
    char *name;
    redis_message_cb cb; /* NULL while unwanted */
    void *user_data;
    bool wanted;
    uint32_t pending_unsubs;       /* UNSUBSCRIBEs sent, not yet confirmed */
    struct channel_s *bucket_next; /* the name table's chain */
    struct channel_s *prev, *next; /* every channel, for re-subscribing */
} channel_t;

/* Channels by name: chained buckets, doubled as they fill, so that thousands
 * of per-user channels come and go in constant time. */
typedef struct {
    channel_t **buckets;
    size_t bucket_count; /* a power of two, or 0 before the first */
    size_t count;        /* channels held (wanted or being given up) */
    size_t wanted;       /* of which wanted */
    channel_t *head;
} channel_table_t;

typedef struct {
    redis_event_cb cb;
    void *user_data;
} listener_t;

struct redis_client_s {
    uv_loop_t *loop;
    char *host;
    bool host_is_literal;
    int port;
    char *password; /* NULL when none */
    int db;
    char *name;           /* NULL when none */
    redis_options_t opts; /* timeouts and limits; its strings are not used */

    redis_state_t state;
    bool closing;
    bool failure_logged; /* one warning per outage */
    uint64_t down_since_ms;
    uint64_t last_reply_ms;

    conn_t cmd;
    conn_t sub;
    uv_timer_t tick_timer;
    int open_handles; /* handles whose close callback is still due */
    int active_resolves;

    channel_table_t channels;
    listener_t listeners[REDIS_MAX_LISTENERS];
    size_t listener_count;

    redis_client_stats_t stats;
    uint32_t rng;
};

static const char *const state_names[] = {"connecting", "up", "down", "closed"};

const char *redis_state_name(redis_state_t state)
{
    return state_names[state];
}

const char *redis_strerror(int status)
{
    switch (status) {
#define X(name, value, message)                                                                    \
    case value:                                                                                    \
        return message;
        REDIS_ERROR_MAP(X)
#undef X
    default:
        return "unknown error";
    }
}

void redis_options_init(redis_options_t *opts, const char *host, int port)
{
    memset(opts, 0, sizeof(*opts));
    opts->host = host;
    opts->port = port;
    opts->connect_timeout_ms = 1000;
    opts->command_timeout_ms = 500;
    opts->reconnect_min_ms = 50;
    opts->reconnect_max_ms = 2000;
    opts->ping_interval_ms = 1000;
    opts->max_pending = 10000;
}

/* ---- small helpers ---- */

static void cmd_list_append(conn_t *conn, redis_cmd_t *cmd)
{
    cmd->next = NULL;
    cmd->prev = conn->tail;
    if (conn->tail)
        conn->tail->next = cmd;
    else
        conn->head = cmd;
    conn->tail = cmd;
    conn->pending++;
}

static void cmd_list_remove(conn_t *conn, redis_cmd_t *cmd)
{
    if (cmd->prev)
        cmd->prev->next = cmd->next;
    else
        conn->head = cmd->next;
    if (cmd->next)
        cmd->next->prev = cmd->prev;
    else
        conn->tail = cmd->prev;
    conn->pending--;
}

static uint32_t next_random(redis_client_t *client)
{
    /* xorshift32: jitter only, no need for more. */
    uint32_t x = client->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    client->rng = x;
    return x;
}

static void notify(redis_client_t *client, redis_event_t event)
{
    for (size_t i = 0; i < client->listener_count; i++)
        client->listeners[i].cb(client, event, client->listeners[i].user_data);
}

/* Frees the client once nothing of it is left on the loop: every handle's
 * close callback has run and no name resolution is in flight. */
static void release(redis_client_t *client)
{
    if (client->open_handles > 0 || client->active_resolves > 0)
        return;
    free(client->host);
    free(client->password);
    free(client->name);
    channel_t *c = client->channels.head;
    while (c != NULL) {
        channel_t *next = c->next;
        free(c->name);
        free(c);
        c = next;
    }
    free(client->channels.buckets);
    free(client);
}

static void on_retry_timer_closed(uv_handle_t *handle)
{
    conn_t *conn = handle->data;
    conn->client->open_handles--;
    release(conn->client);
}

static void on_tick_timer_closed(uv_handle_t *handle)
{
    redis_client_t *client = handle->data;
    client->open_handles--;
    release(client);
}

/* ---- connection lifecycle ---- */

static void conn_connect(conn_t *conn);

static void on_retry(uv_timer_t *timer)
{
    conn_connect(timer->data);
}

static void schedule_retry(conn_t *conn)
{
    redis_client_t *client = conn->client;
    if (client->closing)
        return;
    uint32_t delay = conn->backoff_ms;
    delay += next_random(client) % (delay / 4 + 1);
    conn->backoff_ms = conn->backoff_ms * 2 > client->opts.reconnect_max_ms
                           ? client->opts.reconnect_max_ms
                           : conn->backoff_ms * 2;
    uv_timer_start(&conn->retry_timer, on_retry, delay, 0);
}

/* The command connection reached READY or lost it: the client's state. */
static void set_up(redis_client_t *client)
{
    uint64_t now = clock_now_ms();
    redis_state_t before = client->state;
    client->state = REDIS_STATE_UP;
    client->failure_logged = false;
    client->last_reply_ms = now;
    client->stats.connects++;
    if (before == REDIS_STATE_DOWN)
        log_info("redis reconnected", "client", json_string(client->name ? client->name : ""),
                 "down_ms", json_integer((json_int_t)(now - client->down_since_ms)), NULL);
    else
        log_info("redis connected", "client", json_string(client->name ? client->name : ""), "host",
                 json_string(client->host), "port", json_integer(client->port), NULL);
    notify(client, REDIS_EVENT_UP);
}

static void set_down(redis_client_t *client, const char *reason)
{
    client->state = REDIS_STATE_DOWN;
    client->down_since_ms = clock_now_ms();
    client->stats.disconnects++;
    client->failure_logged = true;
    log_warn("redis connection lost; reconnecting", "client",
             json_string(client->name ? client->name : ""), "reason", json_string(reason), NULL);
    notify(client, REDIS_EVENT_DOWN);
}

/* Forgets the context (hiredis is freeing it, or we are about to), updates the
 * state and arms the retry. */
static void conn_lost(conn_t *conn, const char *reason)
{
    redis_client_t *client = conn->client;
    bool was_ready = conn->phase == CONN_READY;
    bool was_announced = conn->announced;
    conn->ac = NULL;
    conn->phase = CONN_IDLE;
    conn->confirmed = 0;
    conn->announced = false;
    if (client->closing)
        return;
    if (!was_ready && !client->failure_logged && !conn->is_pubsub) {
        client->failure_logged = true;
        log_warn("cannot reach redis; retrying", "client",
                 json_string(client->name ? client->name : ""), "host", json_string(client->host),
                 "port", json_integer(client->port), "reason", json_string(reason), NULL);
    } else {
        log_debug("redis connection attempt failed", "role", json_string(conn->role), "reason",
                  json_string(reason), NULL);
    }
    schedule_retry(conn);
    if (conn->is_pubsub) {
        if (was_announced)
            notify(client, REDIS_EVENT_PUBSUB_DOWN);
    } else if (was_ready) {
        set_down(client, reason);
    }
}

/* Drops the connection on our initiative (timeout, handshake refused). */
static void conn_drop(conn_t *conn, const char *reason)
{
    redisAsyncContext *ac = conn->ac;
    conn_lost(conn, reason);
    if (ac)
        redisAsyncFree(ac); /* runs the pending callbacks with NULL replies */
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    conn_t *conn = ac->data;
    if (status == REDIS_OK || !conn || conn->ac != ac)
        return;
    /* hiredis frees the context right after this returns. */
    conn_lost(conn, ac->errstr[0] ? ac->errstr : "connect failed");
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    (void)status;
    conn_t *conn = ac->data;
    if (!conn || conn->ac != ac)
        return;
    conn_lost(conn, ac->errstr[0] ? ac->errstr : "connection closed");
}

/* ---- commands ---- */

static void finish_cmd(redis_cmd_t *cmd, int status, const redis_reply_t *reply)
{
    redis_client_t *client = cmd->conn->client;
    if (!cmd->internal && status != 0 && status != REDIS_E_REPLY) {
        client->stats.failures++;
        if (status == REDIS_E_TIMEOUT)
            client->stats.timeouts++;
    }
    if (cmd->cb)
        cmd->cb(status, reply, cmd->user_data);
    free(cmd);
}

static void on_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    redis_cmd_t *cmd = privdata;
    conn_t *conn = cmd->conn;
    redis_client_t *client = conn->client;
    redisReply *reply = r;
    cmd_list_remove(conn, cmd);

    int status;
    if (!reply) {
        status = client->closing  ? REDIS_E_CLOSED
                 : cmd->timed_out ? REDIS_E_TIMEOUT
                                  : REDIS_E_DISCONNECTED;
        /* hiredis itself is tearing the context down (EOF, error): say so
         * before the caller's callback can send anything. */
        if (conn->ac == ac)
            conn_lost(conn, ac->errstr[0] ? ac->errstr : "connection lost");
    } else {
        client->last_reply_ms = clock_now_ms();
        status = reply->type == REDIS_REPLY_ERROR ? REDIS_E_REPLY : 0;
    }
    finish_cmd(cmd, status, reply);
}

static redis_cmd_t *send_argv(conn_t *conn, int argc, const char *const *argv,
                              const size_t *argv_len, redis_reply_cb cb, void *user_data,
                              uint64_t timeout_ms, bool internal)
{
    redis_cmd_t *cmd = xcalloc(1, sizeof(*cmd));
    cmd->conn = conn;
    cmd->ac = conn->ac;
    cmd->cb = cb;
    cmd->user_data = user_data;
    cmd->deadline_ms = clock_now_ms() + timeout_ms;
    cmd->internal = internal;
    if (redisAsyncCommandArgv(conn->ac, on_reply, cmd, argc, (const char **)argv, argv_len) !=
        REDIS_OK) {
        free(cmd);
        return NULL;
    }
    cmd_list_append(conn, cmd);
    return cmd;
}

int redis_command_argv(redis_client_t *client, int argc, const char *const *argv,
                       const size_t *argv_len, redis_reply_cb cb, void *user_data)
{
    if (client->closing)
        return REDIS_E_CLOSED;
    if (argc < 1)
        return REDIS_E_INVALID;
    conn_t *conn = &client->cmd;
    if (conn->phase != CONN_READY || !conn->ac) {
        client->stats.rejected++;
        return REDIS_E_DOWN;
    }
    if (conn->pending >= client->opts.max_pending) {
        client->stats.rejected++;
        return REDIS_E_BUSY;
    }
    if (!send_argv(conn, argc, argv, argv_len, cb, user_data, client->opts.command_timeout_ms,
                   false)) {
        client->stats.rejected++;
        return REDIS_E_DOWN;
    }
    client->stats.commands++;
    return 0;
}

int redis_publish(redis_client_t *client, const char *channel, const void *message, size_t len,
                  redis_reply_cb cb, void *user_data)
{
    const char *argv[] = {"PUBLISH", channel, message};
    size_t lens[] = {7, strlen(channel), len};
    return redis_command_argv(client, 3, argv, lens, cb, user_data);
}

/* ---- handshake ---- */

typedef struct {
    conn_t *conn;
    redisAsyncContext *ac;
    bool last;
} handshake_step_t;

static void on_step_reply(int status, const redis_reply_t *reply, void *user_data)
{
    handshake_step_t *step = user_data;
    conn_t *conn = step->conn;
    bool current = conn->ac == step->ac && step->ac != NULL;
    bool last = step->last;
    free(step);
    if (!current)
        return; /* an old context being torn down */
    if (status == REDIS_E_REPLY) {
        char reason[160];
        snprintf(reason, sizeof(reason), "handshake refused: %.120s",
                 reply && reply->str ? reply->str : "error");
        conn_drop(conn, reason);
        return;
    }
    if (status != 0)
        return;
    if (last) {
        conn->phase = CONN_READY;
        conn->backoff_ms = conn->client->opts.reconnect_min_ms;
        set_up(conn->client);
    }
}

static void send_step(conn_t *conn, int argc, const char *const *argv, bool last)
{
    size_t lens[4];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    handshake_step_t *step = xmalloc(sizeof(*step));
    step->conn = conn;
    step->ac = conn->ac;
    step->last = last;
    if (!send_argv(conn, argc, argv, lens, on_step_reply, step,
                   conn->client->opts.connect_timeout_ms, true))
        free(step);
}

static void on_sub_message(redisAsyncContext *ac, void *r, void *privdata);

/* ---- the channel table ---- */

static uint64_t name_hash(const char *name)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

static channel_t *channel_find(const channel_table_t *t, const char *name)
{
    if (t->bucket_count == 0)
        return NULL;
    channel_t *c = t->buckets[name_hash(name) & (t->bucket_count - 1)];
    while (c != NULL && strcmp(c->name, name) != 0)
        c = c->bucket_next;
    return c;
}

static void channel_table_grow(channel_table_t *t)
{
    size_t count = t->bucket_count ? t->bucket_count * 2 : 64;
    channel_t **buckets = xcalloc(count, sizeof(*buckets));
    for (channel_t *c = t->head; c != NULL; c = c->next) {
        size_t i = name_hash(c->name) & (count - 1);
        c->bucket_next = buckets[i];
        buckets[i] = c;
    }
    free(t->buckets);
    t->buckets = buckets;
    t->bucket_count = count;
}

static channel_t *channel_add(channel_table_t *t, const char *name)
{
    if (t->count + 1 > t->bucket_count)
        channel_table_grow(t);
    channel_t *c = xcalloc(1, sizeof(*c));
    c->name = xstrdup(name);
    size_t i = name_hash(name) & (t->bucket_count - 1);
    c->bucket_next = t->buckets[i];
    t->buckets[i] = c;
    c->next = t->head;
    if (t->head != NULL)
        t->head->prev = c;
    t->head = c;
    t->count++;
    return c;
}

static void channel_remove(channel_table_t *t, channel_t *c)
{
    channel_t **link = &t->buckets[name_hash(c->name) & (t->bucket_count - 1)];
    while (*link != c)
        link = &(*link)->bucket_next;
    *link = c->bucket_next;
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        t->head = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    t->count--;
    free(c->name);
    free(c);
}

static void send_subscribe(conn_t *conn, channel_t *channel)
{
    const char *argv[] = {"SUBSCRIBE", channel->name};
    size_t lens[] = {9, strlen(channel->name)};
    /* Subscription callbacks live in hiredis's channel table, not in our
     * pending list: hiredis calls them once per message for as long as the
     * context lives, and once more with the UNSUBSCRIBE confirmation. */
    redisAsyncCommandArgv(conn->ac, on_sub_message, channel, 2, argv, lens);
}

static void send_unsubscribe(conn_t *conn, channel_t *channel)
{
    const char *argv[] = {"UNSUBSCRIBE", channel->name};
    size_t lens[] = {11, strlen(channel->name)};
    channel->pending_unsubs++;
    redisAsyncCommandArgv(conn->ac, NULL, NULL, 2, argv, lens);
}

static void send_handshake(conn_t *conn)
{
    redis_client_t *client = conn->client;
    char db_text[16];
    if (client->password) {
        const char *argv[] = {"AUTH", client->password};
        send_step(conn, 2, argv, false);
    }
    if (client->db != 0) {
        snprintf(db_text, sizeof(db_text), "%d", client->db);
        const char *argv[] = {"SELECT", db_text};
        send_step(conn, 2, argv, false);
    }
    if (client->name) {
        char name[96];
        snprintf(name, sizeof(name), "%s%s", client->name, conn->is_pubsub ? "-sub" : "");
        const char *argv[] = {"CLIENT", "SETNAME", name};
        send_step(conn, 3, argv, false);
    }
    if (!conn->is_pubsub) {
        const char *argv[] = {"PING"};
        send_step(conn, 1, argv, true);
        return;
    }
    /* A new context: what the old one was giving up is gone with it, and
     * every wanted channel is subscribed again. */
    channel_table_t *t = &client->channels;
    conn->expected = 0;
    channel_t *c = t->head;
    while (c != NULL) {
        channel_t *next = c->next;
        c->pending_unsubs = 0;
        if (!c->wanted) {
            channel_remove(t, c);
        } else {
            send_subscribe(conn, c);
            conn->expected++;
        }
        c = next;
    }
}

/* ---- pub/sub ---- */

static void on_sub_message(redisAsyncContext *ac, void *r, void *privdata)
{
    channel_t *channel = privdata;
    redisReply *reply = r;
    conn_t *conn = ac->data;
    if (!conn)
        return;
    if (!reply) {
        if (conn->ac == ac)
            conn_lost(conn, ac->errstr[0] ? ac->errstr : "connection lost");
        return;
    }
    if (conn->ac != ac || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3 ||
        reply->element[0]->type != REDIS_REPLY_STRING)
        return;
    const char *kind = reply->element[0]->str;
    redis_client_t *client = conn->client;
    if (strcmp(kind, "subscribe") == 0) {
        conn->confirmed++;
        if (conn->confirmed >= conn->expected && !conn->announced) {
            conn->phase = CONN_READY;
            conn->backoff_ms = client->opts.reconnect_min_ms;
            conn->announced = true;
            log_debug("redis pub/sub subscribed", "channels",
                      json_integer((json_int_t)client->channels.wanted), NULL);
            notify(client, REDIS_EVENT_PUBSUB_UP);
        }
    } else if (strcmp(kind, "unsubscribe") == 0) {
        if (channel->pending_unsubs > 0)
            channel->pending_unsubs--;
        if (!channel->wanted && channel->pending_unsubs == 0)
            channel_remove(&client->channels, channel);
        else if (channel->wanted && channel->pending_unsubs == 0)
            send_subscribe(conn, channel); /* wanted again meanwhile */
    } else if (strcmp(kind, "message") == 0 && reply->element[2]->type == REDIS_REPLY_STRING &&
               channel->cb) {
        channel->cb(channel->name, reply->element[2]->str, reply->element[2]->len,
                    channel->user_data);
    }
}

int redis_subscribe(redis_client_t *client, const char *channel, redis_message_cb cb,
                    void *user_data)
{
    channel_table_t *t = &client->channels;
    if (client->closing || cb == NULL || t->wanted >= REDIS_MAX_CHANNELS)
        return REDIS_E_INVALID;
    channel_t *c = channel_find(t, channel);
    if (c != NULL && c->wanted)
        return REDIS_E_INVALID; /* one subscriber per channel name */
    bool revived = c != NULL;
    if (c == NULL)
        c = channel_add(t, channel);
    c->cb = cb;
    c->user_data = user_data;
    c->wanted = true;
    t->wanted++;
    conn_t *conn = &client->sub;
    if (conn->phase == CONN_IDLE && !uv_is_active((uv_handle_t *)&conn->retry_timer))
        conn_connect(conn); /* the first channel: the connection starts now */
    else if (conn->ac && !(revived && c->pending_unsubs > 0))
        send_subscribe(conn, c); /* a live context: add this one to it */
    /* Otherwise the next connection attempt subscribes to every channel, or
     * the UNSUBSCRIBE confirmation of a revived channel subscribes it again. */
    return 0;
}

void redis_unsubscribe(redis_client_t *client, const char *channel, redis_message_cb cb,
                       void *user_data)
{
    channel_table_t *t = &client->channels;
    channel_t *c = channel_find(t, channel);
    if (c == NULL || !c->wanted || c->cb != cb || c->user_data != user_data)
        return;
    c->wanted = false;
    c->cb = NULL;
    c->user_data = NULL;
    t->wanted--;
    conn_t *conn = &client->sub;
    if (conn->ac != NULL && !client->closing)
        send_unsubscribe(conn, c); /* freed on its confirmation */
    else if (conn->ac == NULL)
        channel_remove(t, c); /* no context knows it */
}

size_t redis_client_channel_count(const redis_client_t *client)
{
    return client->channels.wanted;
}

bool redis_client_pubsub_ready(const redis_client_t *client)
{
    return client->sub.announced;
}

/* ---- connecting ---- */

static void start_tcp(conn_t *conn, const char *ip)
{
    redis_client_t *client = conn->client;
    redisAsyncContext *ac = redisAsyncConnect(ip, client->port);
    if (!ac) {
        conn_lost(conn, "out of memory");
        return;
    }
    if (ac->err) {
        char reason[128];
        snprintf(reason, sizeof(reason), "%s", ac->errstr);
        redisAsyncFree(ac);
        conn_lost(conn, reason);
        return;
    }
    if (redis__uv_attach(ac, client->loop) != 0) {
        redisAsyncFree(ac);
        conn_lost(conn, "cannot watch the socket");
        return;
    }
    ac->data = conn;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    redisEnableKeepAlive(&ac->c);
    conn->ac = ac;
    conn->phase = CONN_CONNECTING;
    conn->confirmed = 0;
    conn->announced = false;
    send_handshake(conn);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    conn_t *conn = container_of(req, conn_t, resolve_req);
    redis_client_t *client = conn->client;
    client->active_resolves--;
    if (client->closing) {
        uv_freeaddrinfo(res);
        release(client);
        return;
    }
    if (status != 0 || !res) {
        uv_freeaddrinfo(res);
        conn_lost(conn, status != 0 ? uv_strerror(status) : "no address");
        return;
    }
    char ip[64];
    int rc;
    if (res->ai_family == AF_INET6)
        rc = uv_ip6_name((const struct sockaddr_in6 *)res->ai_addr, ip, sizeof(ip));
    else
        rc = uv_ip4_name((const struct sockaddr_in *)res->ai_addr, ip, sizeof(ip));
    uv_freeaddrinfo(res);
    if (rc != 0) {
        conn_lost(conn, "cannot format the address");
        return;
    }
    start_tcp(conn, ip);
}

static void conn_connect(conn_t *conn)
{
    redis_client_t *client = conn->client;
    if (client->closing || conn->phase != CONN_IDLE)
        return;
    conn->attempt_started_ms = clock_now_ms();
    if (client->host_is_literal) {
        start_tcp(conn, client->host);
        return;
    }
    /* hiredis would call getaddrinfo() on the loop thread: resolve a name on
     * the thread pool first and connect to the address. */
    char port_text[16];
    snprintf(port_text, sizeof(port_text), "%d", client->port);
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    conn->phase = CONN_RESOLVING;
    int rc = uv_getaddrinfo(client->loop, &conn->resolve_req, on_resolved, client->host, port_text,
                            &hints);
    if (rc != 0) {
        conn_lost(conn, uv_strerror(rc));
        return;
    }
    client->active_resolves++;
}

/* ---- the tick: timeouts and pings ---- */

static void on_tick(uv_timer_t *timer)
{
    redis_client_t *client = timer->data;
    uint64_t now = clock_now_ms();
    conn_t *conns[] = {&client->cmd, &client->sub};
    for (size_t i = 0; i < 2; i++) {
        conn_t *conn = conns[i];
        if (conn->phase == CONN_CONNECTING &&
            now - conn->attempt_started_ms >= client->opts.connect_timeout_ms)
            conn_drop(conn, "connect timeout");
    }

    conn_t *cmd = &client->cmd;
    if (cmd->head && cmd->head->deadline_ms <= now && cmd->phase == CONN_READY) {
        size_t expired = 0;
        for (redis_cmd_t *c = cmd->head; c && c->deadline_ms <= now; c = c->next) {
            c->timed_out = true;
            expired++;
        }
        log_warn("redis command timed out; reconnecting", "client",
                 json_string(client->name ? client->name : ""), "timeout_ms",
                 json_integer(client->opts.command_timeout_ms), "expired",
                 json_integer((json_int_t)expired), NULL);
        conn_drop(cmd, "command timeout");
        /* The pub/sub connection goes to the same unresponsive server. */
        if (client->sub.ac)
            conn_drop(&client->sub, "command timeout on the command connection");
        return;
    }

    if (cmd->phase == CONN_READY && cmd->pending == 0 &&
        now - client->last_reply_ms >= client->opts.ping_interval_ms) {
        const char *argv[] = {"PING"};
        size_t lens[] = {4};
        if (send_argv(cmd, 1, argv, lens, NULL, NULL, client->opts.command_timeout_ms, true))
            client->last_reply_ms = now; /* do not ping again until this one is answered */
    }
}

/* ---- creation and closing ---- */

static void conn_init(redis_client_t *client, conn_t *conn, bool is_pubsub)
{
    conn->client = client;
    conn->is_pubsub = is_pubsub;
    conn->role = is_pubsub ? "pubsub" : "command";
    conn->phase = CONN_IDLE;
    conn->backoff_ms = client->opts.reconnect_min_ms;
    uv_timer_init(client->loop, &conn->retry_timer);
    conn->retry_timer.data = conn;
    client->open_handles++;
}

redis_client_t *redis_client_new(uv_loop_t *loop, const redis_options_t *opts)
{
    redis_client_t *client = xcalloc(1, sizeof(*client));
    client->loop = loop;
    client->opts = *opts;
    client->opts.host = NULL;
    client->opts.password = NULL;
    client->opts.name = NULL;
    if (client->opts.reconnect_min_ms == 0)
        client->opts.reconnect_min_ms = 1;
    if (client->opts.reconnect_max_ms < client->opts.reconnect_min_ms)
        client->opts.reconnect_max_ms = client->opts.reconnect_min_ms;
    if (client->opts.max_pending == 0)
        client->opts.max_pending = 1;
    client->host = xstrdup(opts->host ? opts->host : "127.0.0.1");
    netaddr_t parsed;
    client->host_is_literal = netaddr_parse(client->host, strlen(client->host), &parsed) == 0;
    client->port = opts->port;
    client->password = opts->password && opts->password[0] ? xstrdup(opts->password) : NULL;
    client->db = opts->db;
    client->name = opts->name && opts->name[0] ? xstrdup(opts->name) : NULL;
    client->state = REDIS_STATE_CONNECTING;
    if (getrandom(&client->rng, sizeof(client->rng), GRND_NONBLOCK) != sizeof(client->rng) ||
        client->rng == 0)
        client->rng = (uint32_t)clock_now_us() | 1u;

    conn_init(client, &client->cmd, false);
    conn_init(client, &client->sub, true);

    uv_timer_init(loop, &client->tick_timer);
    client->tick_timer.data = client;
    client->open_handles++;
    uint64_t tick_ms = client->opts.command_timeout_ms / 5;
    if (tick_ms < 10)
        tick_ms = 10;
    if (tick_ms > 100)
        tick_ms = 100;
    uv_timer_start(&client->tick_timer, on_tick, tick_ms, tick_ms);

    conn_connect(&client->cmd);
    return client;
}

void redis_client_close(redis_client_t *client)
{
    if (!client || client->closing)
        return;
    client->closing = true;
    client->state = REDIS_STATE_CLOSED;
    conn_t *conns[] = {&client->cmd, &client->sub};
    for (size_t i = 0; i < 2; i++) {
        conn_t *conn = conns[i];
        if (conn->phase == CONN_RESOLVING)
            uv_cancel((uv_req_t *)&conn->resolve_req);
        redisAsyncContext *ac = conn->ac;
        conn->ac = NULL;
        conn->phase = CONN_IDLE;
        if (ac)
            redisAsyncFree(ac);
        uv_close((uv_handle_t *)&conn->retry_timer, on_retry_timer_closed);
    }
    uv_close((uv_handle_t *)&client->tick_timer, on_tick_timer_closed);
}

redis_state_t redis_client_state(const redis_client_t *client)
{
    return client->state;
}

int redis_client_listen(redis_client_t *client, redis_event_cb cb, void *user_data)
{
    if (client->listener_count == REDIS_MAX_LISTENERS)
        return REDIS_E_INVALID;
    client->listeners[client->listener_count].cb = cb;
    client->listeners[client->listener_count].user_data = user_data;
    client->listener_count++;
    return 0;
}

void redis_client_unlisten(redis_client_t *client, redis_event_cb cb, void *user_data)
{
    for (size_t i = 0; i < client->listener_count; i++) {
        if (client->listeners[i].cb == cb && client->listeners[i].user_data == user_data) {
            memmove(&client->listeners[i], &client->listeners[i + 1],
                    (client->listener_count - i - 1) * sizeof(client->listeners[0]));
            client->listener_count--;
            return;
        }
    }
}

void redis_client_get_stats(const redis_client_t *client, redis_client_stats_t *out)
{
    *out = client->stats;
    out->pending = client->cmd.pending;
}

/* ---- scripts ---- */

void redis_script_init(redis_script_t *script, const char *source)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    script->source = source;
    if (EVP_Digest(source, strlen(source), digest, &digest_len, EVP_sha1(), NULL) != 1 ||
        digest_len != 20) {
        /* Without a SHA every run goes through NOSCRIPT and EVAL: slower, not
         * wrong. */
        memset(script->sha1_hex, '0', 40);
        script->sha1_hex[40] = '\0';
        return;
    }
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 20; i++) {
        script->sha1_hex[2 * i] = hex[digest[i] >> 4];
        script->sha1_hex[2 * i + 1] = hex[digest[i] & 15];
    }
    script->sha1_hex[40] = '\0';
}

typedef struct {
    redis_client_t *client;
    redis_script_t *script;
    redis_reply_cb cb;
    void *user_data;
    int argc; /* of argv below: command, sha/source, numkeys, keys, args */
    const char **argv;
    size_t *argv_len;
    char numkeys[16];
} eval_t;

static void eval_free(eval_t *ev)
{
    for (int i = 3; i < ev->argc; i++)
        free((void *)ev->argv[i]);
    free(ev->argv);
    free(ev->argv_len);
    free(ev);
}

static void on_eval_reply(int status, const redis_reply_t *reply, void *user_data)
{
    eval_t *ev = user_data;
    if (status == REDIS_E_REPLY && reply && reply->str && strncmp(reply->str, "NOSCRIPT", 8) == 0 &&
        strcmp(ev->argv[0], "EVALSHA") == 0) {
        /* Redis lost its script cache (restart, SCRIPT FLUSH): EVAL sends the
         * source, which also caches it again for the next EVALSHA. */
        ev->argv[0] = "EVAL";
        ev->argv_len[0] = 4;
        ev->argv[1] = ev->script->source;
        ev->argv_len[1] = strlen(ev->script->source);
        int rc =
            redis_command_argv(ev->client, ev->argc, ev->argv, ev->argv_len, on_eval_reply, ev);
        if (rc == 0)
            return;
        status = rc;
        reply = NULL;
    }
    if (ev->cb)
        ev->cb(status, reply, ev->user_data);
    eval_free(ev);
}

int redis_eval(redis_client_t *client, redis_script_t *script, int num_keys, int argc,
               const char *const *argv, const size_t *argv_len, redis_reply_cb cb, void *user_data)
{
    if (num_keys < 0 || num_keys > argc)
        return REDIS_E_INVALID;
    eval_t *ev = xcalloc(1, sizeof(*ev));
    ev->client = client;
    ev->script = script;
    ev->cb = cb;
    ev->user_data = user_data;
    ev->argc = argc + 3;
    ev->argv = xcalloc((size_t)ev->argc, sizeof(*ev->argv));
    ev->argv_len = xcalloc((size_t)ev->argc, sizeof(*ev->argv_len));
    snprintf(ev->numkeys, sizeof(ev->numkeys), "%d", num_keys);
    ev->argv[0] = "EVALSHA";
    ev->argv_len[0] = 7;
    ev->argv[1] = script->sha1_hex;
    ev->argv_len[1] = 40;
    ev->argv[2] = ev->numkeys;
    ev->argv_len[2] = strlen(ev->numkeys);
    for (int i = 0; i < argc; i++) {
        size_t len = argv_len ? argv_len[i] : strlen(argv[i]);
        char *copy = xmalloc(len + 1);
        memcpy(copy, argv[i], len);
        copy[len] = '\0';
        ev->argv[3 + i] = copy;
        ev->argv_len[3 + i] = len;
    }
    int rc = redis_command_argv(client, ev->argc, ev->argv, ev->argv_len, on_eval_reply, ev);
    if (rc != 0)
        eval_free(ev);
    return rc;
}
