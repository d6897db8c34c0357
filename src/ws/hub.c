/* The hub of hub.h. */
#include "ws/hub.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    TICK_MS = 1000,
    ORIGIN_HEX = 16, /* 64 random bits in hex: this instance in its publications */
    CHANNEL_MAX = 96,
};

/* A connected user: the head of its members' list. */
typedef struct hub_user_s {
    int64_t user_id;
    ws_member_t *members;
    size_t count;
    struct hub_user_s *bucket_next;
} hub_user_t;

struct ws_hub_s {
    uv_loop_t *loop;
    redis_client_t *redis; /* borrowed; NULL without Redis */
    uint64_t ping_interval_ms;
    char prefix[48];
    char origin[ORIGIN_HEX + 1];
    uv_timer_t timer;
    hub_user_t **buckets;
    size_t bucket_count; /* a power of two */
    ws_member_t *all;    /* every member */
    uint64_t next_member_id;
    ws_hub_stats_t stats;
};

/* ---- users by id ----------------------------------------------------------- */

static size_t bucket_of(const ws_hub_t *hub, int64_t user_id)
{
    uint64_t h = (uint64_t)user_id * 0x9E3779B97F4A7C15ULL;
    return (size_t)(h >> 32) & (hub->bucket_count - 1);
}

static hub_user_t *user_find(const ws_hub_t *hub, int64_t user_id)
{
    hub_user_t *u = hub->buckets[bucket_of(hub, user_id)];
    while (u != NULL && u->user_id != user_id)
        u = u->bucket_next;
    return u;
}

static void grow(ws_hub_t *hub)
{
    size_t old_count = hub->bucket_count;
    hub_user_t **old = hub->buckets;
    hub->bucket_count = old_count * 2;
    hub->buckets = xcalloc(hub->bucket_count, sizeof(*hub->buckets));
    for (size_t i = 0; i < old_count; i++) {
        hub_user_t *u = old[i];
        while (u != NULL) {
            hub_user_t *next = u->bucket_next;
            size_t b = bucket_of(hub, u->user_id);
            u->bucket_next = hub->buckets[b];
            hub->buckets[b] = u;
            u = next;
        }
    }
    free(old);
}

static void channel_name(const ws_hub_t *hub, int64_t user_id, char *out, size_t size)
{
    snprintf(out, size, "%s%" PRId64, hub->prefix, user_id);
}

/* ---- local delivery ----------------------------------------------------- */

/* Calls fn on each of user_id's members here. fn may close its member's
 * connection, which then leaves the list: the walk steps first, and stops
 * when the user's last connection is gone. */
static void each_member(ws_hub_t *hub, int64_t user_id,
                        void (*fn)(ws_hub_t *hub, ws_member_t *m, const void *arg), const void *arg)
{
    hub_user_t *u = user_find(hub, user_id);
    ws_member_t *m = u != NULL ? u->members : NULL;
    while (m != NULL) {
        ws_member_t *next = m->user_next;
        fn(hub, m, arg);
        if (next == NULL || user_find(hub, user_id) != u)
            return;
        m = next;
    }
}

typedef struct {
    const char *frame;
    size_t len;
    uint64_t except; /* a member not to send to (0: none) */
} delivery_t;

static void deliver_to(ws_hub_t *hub, ws_member_t *m, const void *arg)
{
    const delivery_t *d = arg;
    if (m->id != d->except && ws_conn_send_text(m->conn, d->frame, d->len) == 0)
        hub->stats.frames_sent++;
}

static void deliver_local(ws_hub_t *hub, int64_t user_id, const char *frame, size_t len,
                          uint64_t except)
{
    delivery_t d = {.frame = frame, .len = len, .except = except};
    each_member(hub, user_id, deliver_to, &d);
}

static void close_if_session(ws_hub_t *hub, ws_member_t *m, const void *arg)
{
    (void)hub;
    int64_t session_id = *(const int64_t *)arg;
    if (session_id == 0 || m->session_id == session_id)
        ws_conn_close(m->conn, WS_CLOSE_UNAUTHORIZED, "session revoked");
}

static void close_local(ws_hub_t *hub, int64_t user_id, int64_t session_id)
{
    each_member(hub, user_id, close_if_session, &session_id);
}

/* ---- other instances ---------------------------------------------------- */

/* A publication: "<origin> <except> <frame>", or "<origin> 0 !close <sid>". */
static void on_channel_message(const char *channel, const char *message, size_t len,
                               void *user_data)
{
    ws_hub_t *hub = user_data;
    size_t prefix_len = strlen(hub->prefix);
    if (strncmp(channel, hub->prefix, prefix_len) != 0)
        return;
    int64_t user_id = strtoll(channel + prefix_len, NULL, 10);
    if (len < ORIGIN_HEX + 1 || memcmp(message, hub->origin, ORIGIN_HEX) == 0)
        return; /* malformed, or our own: delivered here already */
    const char *p = message + ORIGIN_HEX + 1;
    const char *end = message + len;
    /* <except> names a member of the publishing instance's hub (member ids
     * are per hub): here it is nobody, and every connection of the user gets
     * the frame. */
    char *after = NULL;
    (void)strtoull(p, &after, 10);
    if (after == NULL || after >= end || *after != ' ')
        return;
    p = after + 1;
    if (p < end && *p == '!') {
        if ((size_t)(end - p) > 7 && strncmp(p, "!close ", 7) == 0)
            close_local(hub, user_id, strtoll(p + 7, NULL, 10));
        return;
    }
    hub->stats.received++;
    deliver_local(hub, user_id, p, (size_t)(end - p), 0);
}

static void publish(ws_hub_t *hub, int64_t user_id, const char *body, size_t len, uint64_t except)
{
    if (hub->redis == NULL || redis_client_state(hub->redis) != REDIS_STATE_UP)
        return;
    char channel[CHANNEL_MAX];
    channel_name(hub, user_id, channel, sizeof(channel));
    char head[ORIGIN_HEX + 24];
    int head_len = snprintf(head, sizeof(head), "%s %" PRIu64 " ", hub->origin, except);
    char *payload = xmalloc((size_t)head_len + len);
    memcpy(payload, head, (size_t)head_len);
    memcpy(payload + head_len, body, len);
    /* Published or not (Redis just went down), the frame reached this
     * instance; the others' clients catch up with since_id. */
    if (redis_publish(hub->redis, channel, payload, (size_t)head_len + len, NULL, NULL) == 0)
        hub->stats.published++;
    free(payload);
}

/* ---- the tick ------------------------------------------------------------ */

static void on_tick(uv_timer_t *timer)
{
    ws_hub_t *hub = timer->data;
    uint64_t now_ms = uv_now(hub->loop);
    int64_t wall_s = (int64_t)time(NULL);
    ws_member_t *m = hub->all;
    while (m != NULL) {
        ws_member_t *next = m->all_next;
        if (m->expires_at_s > 0 && wall_s >= m->expires_at_s) {
            m->expires_at_s = 0; /* closed once */
            hub->stats.expired++;
            ws_conn_close(m->conn, WS_CLOSE_UNAUTHORIZED, "token expired");
        } else if (m->next_ping_ms <= now_ms) {
            m->next_ping_ms = now_ms + hub->ping_interval_ms;
            if (!ws_conn_heartbeat(m->conn))
                hub->stats.dropped_pings++;
        }
        m = next;
    }
}

/* ---- the API ------------------------------------------------------------- */

ws_hub_t *ws_hub_new(uv_loop_t *loop, redis_client_t *redis, const ws_hub_options_t *opts)
{
    ws_hub_t *hub = xcalloc(1, sizeof(*hub));
    hub->loop = loop;
    hub->redis = redis;
    hub->ping_interval_ms = opts && opts->ping_interval_ms ? opts->ping_interval_ms : 30000;
    snprintf(hub->prefix, sizeof(hub->prefix), "%s",
             opts && opts->channel_prefix ? opts->channel_prefix : "rural24:ws:user:");
    unsigned char raw[ORIGIN_HEX / 2];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(hub->origin, sizeof(hub->origin), raw, sizeof(raw));
    hub->bucket_count = 256;
    hub->buckets = xcalloc(hub->bucket_count, sizeof(*hub->buckets));
    uv_timer_init(loop, &hub->timer);
    hub->timer.data = hub;
    uv_timer_start(&hub->timer, on_tick, TICK_MS, TICK_MS);
    uv_unref((uv_handle_t *)&hub->timer); /* the tick alone keeps no loop alive */
    return hub;
}

static void on_timer_closed(uv_handle_t *handle)
{
    ws_hub_t *hub = handle->data;
    for (size_t i = 0; i < hub->bucket_count; i++) {
        hub_user_t *u = hub->buckets[i];
        while (u != NULL) {
            hub_user_t *next = u->bucket_next;
            free(u);
            u = next;
        }
    }
    free(hub->buckets);
    free(hub);
}

void ws_hub_free(ws_hub_t *hub)
{
    if (hub == NULL)
        return;
    if (hub->redis != NULL) {
        for (size_t i = 0; i < hub->bucket_count; i++)
            for (hub_user_t *u = hub->buckets[i]; u != NULL; u = u->bucket_next) {
                char channel[CHANNEL_MAX];
                channel_name(hub, u->user_id, channel, sizeof(channel));
                redis_unsubscribe(hub->redis, channel, on_channel_message, hub);
            }
    }
    uv_close((uv_handle_t *)&hub->timer, on_timer_closed);
}

void ws_hub_join(ws_hub_t *hub, ws_member_t *m)
{
    m->id = ++hub->next_member_id;
    m->next_ping_ms = uv_now(hub->loop) + hub->ping_interval_ms;
    hub_user_t *u = user_find(hub, m->user_id);
    if (u == NULL) {
        hub->stats.users++;
        if (hub->stats.users > hub->bucket_count)
            grow(hub);
        u = xcalloc(1, sizeof(*u));
        u->user_id = m->user_id;
        size_t b = bucket_of(hub, m->user_id);
        u->bucket_next = hub->buckets[b];
        hub->buckets[b] = u;
        if (hub->redis != NULL) {
            char channel[CHANNEL_MAX];
            channel_name(hub, m->user_id, channel, sizeof(channel));
            if (redis_subscribe(hub->redis, channel, on_channel_message, hub) != 0)
                log_warn("ws: cannot subscribe a user's channel", "channel", json_string(channel),
                         NULL);
        }
    }
    m->user_prev = NULL;
    m->user_next = u->members;
    if (u->members != NULL)
        u->members->user_prev = m;
    u->members = m;
    u->count++;
    m->all_prev = NULL;
    m->all_next = hub->all;
    if (hub->all != NULL)
        hub->all->all_prev = m;
    hub->all = m;
    hub->stats.connections++;
}

void ws_hub_leave(ws_hub_t *hub, ws_member_t *m)
{
    hub_user_t *u = user_find(hub, m->user_id);
    if (u == NULL)
        return;
    if (m->user_prev != NULL)
        m->user_prev->user_next = m->user_next;
    else
        u->members = m->user_next;
    if (m->user_next != NULL)
        m->user_next->user_prev = m->user_prev;
    if (m->all_prev != NULL)
        m->all_prev->all_next = m->all_next;
    else
        hub->all = m->all_next;
    if (m->all_next != NULL)
        m->all_next->all_prev = m->all_prev;
    m->user_prev = m->user_next = m->all_prev = m->all_next = NULL;
    hub->stats.connections--;
    if (--u->count > 0)
        return;
    hub_user_t **link = &hub->buckets[bucket_of(hub, u->user_id)];
    while (*link != u)
        link = &(*link)->bucket_next;
    *link = u->bucket_next;
    if (hub->redis != NULL) {
        char channel[CHANNEL_MAX];
        channel_name(hub, u->user_id, channel, sizeof(channel));
        redis_unsubscribe(hub->redis, channel, on_channel_message, hub);
    }
    free(u);
    hub->stats.users--;
}

ws_member_t *ws_hub_find(ws_hub_t *hub, int64_t user_id, uint64_t member_id)
{
    hub_user_t *u = user_find(hub, user_id);
    for (ws_member_t *m = u != NULL ? u->members : NULL; m != NULL; m = m->user_next)
        if (m->id == member_id)
            return m;
    return NULL;
}

void ws_hub_send(ws_hub_t *hub, int64_t user_id, const char *frame, size_t len, uint64_t except)
{
    deliver_local(hub, user_id, frame, len, except);
    publish(hub, user_id, frame, len, except);
}

void ws_hub_close_sessions(ws_hub_t *hub, int64_t user_id, int64_t session_id)
{
    close_local(hub, user_id, session_id);
    char body[40];
    int n = snprintf(body, sizeof(body), "!close %" PRId64, session_id);
    publish(hub, user_id, body, (size_t)n, 0);
}

void ws_hub_get_stats(ws_hub_t *hub, ws_hub_stats_t *out)
{
    *out = hub->stats;
    out->contexts = 0;
    for (ws_member_t *m = hub->all; m != NULL; m = m->all_next)
        if (ws_conn_has_context(m->conn))
            out->contexts++;
}
