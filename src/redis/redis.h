/* An asynchronous Redis client on the server's libuv loop (hiredis underneath).
 *
 * A client holds two connections to one Redis server: one for commands and one
 * for pub/sub (a subscribed connection can run nothing else). Both connect by
 * themselves, send AUTH and SELECT from the configuration, and reconnect with
 * exponential backoff after any failure; the pub/sub connection subscribes again
 * to every channel it was given.
 *
 * Nothing waits on Redis without bound:
 *   - while the command connection is not up, commands fail at once with
 *     REDIS_E_DOWN (no queue builds up during an outage);
 *   - at most max_pending commands are in flight; more fail with REDIS_E_BUSY;
 *   - a command without a reply after command_timeout_ms fails with
 *     REDIS_E_TIMEOUT, and the connection is dropped and remade (a Redis that
 *     stops answering is treated like one that went away).
 *
 * Callers above the store layer never see this header: handlers go through
 * store/. Everything runs on the loop thread. */
#ifndef RURAL24_REDIS_REDIS_H
#define RURAL24_REDIS_REDIS_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* X(enum name, value, message) — the client's errors, from one table. */
#define REDIS_ERROR_MAP(X)                                                                         \
    X(DOWN, -1, "redis is not connected")                                                          \
    X(BUSY, -2, "too many redis commands in flight")                                               \
    X(TIMEOUT, -3, "redis command timed out")                                                      \
    X(DISCONNECTED, -4, "redis connection lost before the reply")                                  \
    X(CLOSED, -5, "redis client closed")                                                           \
    X(REPLY, -6, "redis answered with an error")                                                   \
    X(INVALID, -7, "invalid redis request")

enum {
#define X(name, value, message) REDIS_E_##name = (value),
    REDIS_ERROR_MAP(X)
#undef X
};

/* The message for one of the REDIS_E_* codes ("unknown error" otherwise). */
const char *redis_strerror(int status);

/* A reply as hiredis parsed it: read type, str/len, integer, element/elements.
 * It belongs to the client and is valid only during the callback. */
typedef redisReply redis_reply_t;

typedef enum {
    REDIS_STATE_CONNECTING, /* never been up yet */
    REDIS_STATE_UP,         /* the command connection is ready */
    REDIS_STATE_DOWN,       /* was up, lost; reconnecting */
    REDIS_STATE_CLOSED,
} redis_state_t;

/* "connecting", "up", "down", "closed". */
const char *redis_state_name(redis_state_t state);

typedef struct redis_client_s redis_client_t;

typedef struct {
    const char *host; /* an address or a name (resolved off the loop) */
    int port;
    const char *password;        /* NULL or "" for none */
    int db;                      /* SELECTed when not 0 */
    const char *name;            /* CLIENT SETNAME, and the "client" field of log lines */
    uint32_t connect_timeout_ms; /* connect + handshake; default 1000 */
    uint32_t command_timeout_ms; /* default 500 */
    uint32_t reconnect_min_ms;   /* first retry delay; default 50 */
    uint32_t reconnect_max_ms;   /* backoff ceiling; default 2000 */
    uint32_t ping_interval_ms;   /* an idle command connection is pinged; default 1000 */
    size_t max_pending;          /* commands in flight; default 10000 */
} redis_options_t;

/* Fills opts with the defaults above for host:port (no password, db 0). */
void redis_options_init(redis_options_t *opts, const char *host, int port);

/* Creates a client and starts connecting at once. Strings in opts are copied.
 * The caller owns the client and ends it with redis_client_close(). Never NULL. */
redis_client_t *redis_client_new(uv_loop_t *loop, const redis_options_t *opts);

/* Closes both connections. Every command still in flight gets its callback
 * with REDIS_E_CLOSED before this returns; no state callback fires. The memory
 * is released once the loop has run the handles' close callbacks, so the owner
 * keeps running the loop until it is empty. Close the stores that use the
 * client first (they stop listening and wait for their commands in flight,
 * which this then completes). NULL is ignored. */
void redis_client_close(redis_client_t *client);

redis_state_t redis_client_state(const redis_client_t *client);

/* True while the pub/sub connection is subscribed to every channel given to
 * redis_subscribe(). While false, published messages may be missed. */
bool redis_client_pubsub_ready(const redis_client_t *client);

typedef struct {
    uint64_t commands;    /* accepted by redis_command_argv() and friends */
    uint64_t failures;    /* accepted, then completed with an error other than REDIS_E_REPLY */
    uint64_t timeouts;    /* of which REDIS_E_TIMEOUT */
    uint64_t rejected;    /* refused at once: REDIS_E_DOWN or REDIS_E_BUSY */
    uint64_t connects;    /* command connections made ready, the first included */
    uint64_t disconnects; /* ready command connections lost */
    size_t pending;       /* in flight now */
} redis_client_stats_t;

/* Copies the client's counters into out. */
void redis_client_get_stats(const redis_client_t *client, redis_client_stats_t *out);

typedef enum {
    REDIS_EVENT_UP,          /* the command connection became ready */
    REDIS_EVENT_DOWN,        /* the command connection was lost */
    REDIS_EVENT_PUBSUB_UP,   /* every channel is subscribed (again) */
    REDIS_EVENT_PUBSUB_DOWN, /* the pub/sub connection was lost: messages may be missed */
} redis_event_t;

/* Called on the loop thread when the client's state changes. */
typedef void (*redis_event_cb)(redis_client_t *client, redis_event_t event, void *user_data);

/* REDIS_MAX_CHANNELS bounds the subscriptions of one client (per-user chat
 * channels: one per user connected to the instance). */
enum { REDIS_MAX_LISTENERS = 8, REDIS_MAX_CHANNELS = 1 << 20 };

/* Adds a state listener. 0, or REDIS_E_INVALID when REDIS_MAX_LISTENERS are
 * taken. */
int redis_client_listen(redis_client_t *client, redis_event_cb cb, void *user_data);

/* Removes the listener added with the same cb and user_data, if any. */
void redis_client_unlisten(redis_client_t *client, redis_event_cb cb, void *user_data);

/* Completion of one command. status is 0 with the reply, REDIS_E_REPLY with the
 * error reply (reply->str says what), or another REDIS_E_* code with reply NULL.
 * The reply is valid only during the callback. */
typedef void (*redis_reply_cb)(int status, const redis_reply_t *reply, void *user_data);

/* Sends one command given as binary-safe arguments (copied at once); argv_len
 * may be NULL when every argument is a NUL-terminated string. Returns 0
 * and then cb fires exactly once, never before this returns; or returns
 * REDIS_E_DOWN, REDIS_E_BUSY or REDIS_E_CLOSED and cb never fires. cb may be
 * NULL when the caller does not care about the answer. */
int redis_command_argv(redis_client_t *client, int argc, const char *const *argv,
                       const size_t *argv_len, redis_reply_cb cb, void *user_data);

/* A message that arrived on a subscribed channel. message is binary-safe and
 * valid only during the callback. */
typedef void (*redis_message_cb)(const char *channel, const char *message, size_t len,
                                 void *user_data);

/* Subscribes to channel (copied) until redis_unsubscribe(), subscribing
 * again after every reconnection (then REDIS_EVENT_PUBSUB_UP fires). One
 * subscriber per channel name. 0, or REDIS_E_INVALID when the name is
 * subscribed already, cb is NULL or REDIS_MAX_CHANNELS are taken. */
int redis_subscribe(redis_client_t *client, const char *channel, redis_message_cb cb,
                    void *user_data);

/* Stops delivering channel's messages to cb/user_data at once and sends
 * UNSUBSCRIBE: the instance stops receiving what it no longer needs. The
 * channel may be subscribed again right away. */
void redis_unsubscribe(redis_client_t *client, const char *channel, redis_message_cb cb,
                       void *user_data);

/* Channels subscribed now (wanted ones). */
size_t redis_client_channel_count(const redis_client_t *client);

/* PUBLISH on the command connection; same contract as redis_command_argv(). */
int redis_publish(redis_client_t *client, const char *channel, const void *message, size_t len,
                  redis_reply_cb cb, void *user_data);

/* A Lua script run by SHA1 (EVALSHA), its source sent again (EVAL) when Redis
 * answers NOSCRIPT (after a restart or SCRIPT FLUSH). Define one per script, for
 * the life of the program, with redis_script_init(). */
typedef struct {
    const char *source; /* borrowed; a string literal */
    char sha1_hex[41];
} redis_script_t;

/* Computes the script's SHA1. source must outlive the script. */
void redis_script_init(redis_script_t *script, const char *source);

/* Runs script with num_keys keys followed by the other arguments: argv[0 ..
 * num_keys) are KEYS, the rest ARGV. Arguments are copied; argv_len may be NULL
 * as for redis_command_argv(). One round trip, two
 * after a NOSCRIPT. Same contract as redis_command_argv(). */
int redis_eval(redis_client_t *client, redis_script_t *script, int num_keys, int argc,
               const char *const *argv, const size_t *argv_len, redis_reply_cb cb, void *user_data);

#endif
