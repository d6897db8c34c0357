/* The hub: every WebSocket connection of this instance by user id (a user may
 * have several tabs and phones), and delivery to a user's connections on
 * every instance.
 *
 * Delivery. ws_hub_send() writes a frame to the user's connections here at
 * once and, with Redis, publishes it on the user's channel
 * ("rural24:ws:user:<id>") for the other instances. An instance subscribes to
 * a user's channel while it holds a connection of that user and unsubscribes
 * when the last one leaves, so it receives only what its own users need. A
 * publication carries its origin instance, which ignores its own. Without
 * Redis (or while it is down) delivery is within the instance; clients catch
 * up with GET /api/messages?since_id= after a reconnect.
 *
 * Closing. ws_hub_close_sessions() closes with 4401 the connections of a
 * revoked session (or of all a user's sessions), here and, through the same
 * channel, on every instance.
 *
 * Time. One timer ticks every second for all connections: a connection's ping
 * is due every ping interval (two unanswered pings drop it, ws/conn.h) and a
 * connection whose token expired without a fresh `auth` frame is closed with
 * 4401 (stateless mode: no revocation event will come). */
#ifndef RURAL24_WS_HUB_H
#define RURAL24_WS_HUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "redis/redis.h"
#include "ws/conn.h"

typedef struct ws_hub_s ws_hub_t;

/* A connection as the hub knows it; its owner embeds it and fills the
 * fields before ws_hub_join(). */
typedef struct ws_member_s {
    ws_conn_t *conn;
    int64_t user_id;
    int64_t session_id;    /* 0: stateless */
    int64_t expires_at_s;  /* wall clock; the token's exp */
    uint64_t id;           /* set by ws_hub_join(): unique in this process */
    uint64_t next_ping_ms; /* loop time */
    struct ws_member_s *user_prev, *user_next;
    struct ws_member_s *all_prev, *all_next;
} ws_member_t;

typedef struct {
    uint64_t ping_interval_ms;  /* WS_PING_INTERVAL_MS: 30000 */
    const char *channel_prefix; /* default "rural24:ws:user:" */
} ws_hub_options_t;

/* Creates the hub on loop; redis (borrowed, may be NULL) carries frames to
 * other instances. Never NULL; free with ws_hub_free(). */
ws_hub_t *ws_hub_new(uv_loop_t *loop, redis_client_t *redis, const ws_hub_options_t *opts);

/* Stops the timer and forgets every member (their connections stay with the
 * server, which drains them); the hub's memory goes once the loop has closed
 * the timer. */
void ws_hub_free(ws_hub_t *hub);

/* Adds m (user_id, session_id, expires_at_s, conn set). */
void ws_hub_join(ws_hub_t *hub, ws_member_t *m);

/* Removes m (from its conn's on_closed). */
void ws_hub_leave(ws_hub_t *hub, ws_member_t *m);

/* The member with this id among user_id's, or NULL (it left). */
ws_member_t *ws_hub_find(ws_hub_t *hub, int64_t user_id, uint64_t member_id);

/* Sends a text frame to every connection of user_id on every instance,
 * except the member with id except (0: none). */
void ws_hub_send(ws_hub_t *hub, int64_t user_id, const char *frame, size_t len, uint64_t except);

/* Closes with 4401 user_id's connections of session_id (0: of every
 * session), on every instance. */
void ws_hub_close_sessions(ws_hub_t *hub, int64_t user_id, int64_t session_id);

typedef struct {
    uint64_t connections;   /* open now */
    uint64_t users;         /* distinct users connected now */
    uint64_t frames_sent;   /* delivered to local connections */
    uint64_t published;     /* frames handed to Redis */
    uint64_t received;      /* frames from other instances delivered here */
    uint64_t dropped_pings; /* connections dropped for two missed pongs */
    uint64_t expired;       /* connections closed at token expiry */
    uint64_t contexts;      /* connections holding a wslay context now */
} ws_hub_stats_t;

void ws_hub_get_stats(ws_hub_t *hub, ws_hub_stats_t *out);

#endif
