/* Internals shared by the files of the db layer (libuv's uv__ rule): the
 * query in flight, one connection, one pool. Nothing outside src/db includes
 * this file.
 *
 *   db.c      the db_t: routing between the primary and replica pools,
 *             read-your-writes stickiness, stats, close.
 *   pool.c    one pool: idle connections, the wait queue and its timer,
 *             reconnection policy (backoff, one probe while down), up/down.
 *   conn.c    one non-blocking libpq connection on a uv_poll_t: connect,
 *             session setup, prepare on first use, send, flush, read results.
 *   conninfo.c  parsing and checking connection strings; the DNS decision.
 *   result.c  db_result_t accessors and error classification. */
#ifndef RURAL24_DB_INTERNAL_H
#define RURAL24_DB_INTERNAL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "db/db.h"
#include "db/sticky.h"
#include "db/wait_queue.h"

typedef struct db__pool_s db__pool_t;
typedef struct db__conn_s db__conn_t;

struct db_result_s {
    PGresult *pg;           /* NULL when no server result exists */
    int error;              /* 0 or a db_error_t */
    const char *message;    /* never NULL */
    const char *sqlstate;   /* never NULL */
    const char *constraint; /* never NULL */
    const db_stmt_t *stmt;
};

/* One accepted query, from db_query() to its callback. One allocation holds
 * the struct, the parameter arrays and copies of the values. */
typedef struct {
    const db_stmt_t *stmt;
    db_result_cb cb;
    void *user_data;
    db_t *db;
    db__pool_t *pool;
    db_intent_t intent;
    int64_t user_id;
    int nparams;
    const char **values;
    int *lengths;
    int *formats;
    uint64_t submitted_ms; /* monotonic (clock_now_ms) */
    uint64_t deadline_ms;  /* submitted_ms + DB_ACQUIRE_TIMEOUT_MS */
    uint64_t started_us;   /* when it was sent on a connection */
} db__query_t;

typedef enum {
    DB__CONN_PARKED,     /* no connection; waits for the probe to succeed */
    DB__CONN_BACKOFF,    /* no connection; its timer starts the next attempt */
    DB__CONN_RESOLVING,  /* uv_getaddrinfo in flight */
    DB__CONN_CONNECTING, /* PQconnectPoll in progress */
    DB__CONN_SETUP,      /* running the session's SET statements */
    DB__CONN_IDLE,       /* up, on the pool's idle list */
    DB__CONN_PREPARING,  /* up, preparing the query's statement */
    DB__CONN_EXECUTING,  /* up, running the query */
    DB__CONN_CLOSED,     /* db_close() */
} db__conn_state_t;

struct db__conn_s {
    db__pool_t *pool;
    db__conn_state_t state;
    PGconn *pg;
    uv_poll_t *poll; /* one per socket (libpq may change sockets while
                        connecting); freed in its close callback */
    int poll_fd;
    int poll_events;
    bool flushing;    /* PQflush left data to send */
    uv_timer_t timer; /* backoff before a retry, or the connect timeout */
    uv_getaddrinfo_t resolve_req;
    bool resolving;
    db__query_t *query;         /* the query on this connection, if any */
    PGresult *result;           /* the result being collected */
    const db_stmt_t **prepared; /* statements prepared on this session */
    size_t prepared_count;
    size_t prepared_capacity;
};

/* A parsed connection string: libpq keywords and values (owned), plus the
 * host name that must be resolved off the loop before connecting, if any. */
typedef struct {
    char **keywords;
    char **values;
    int count;
    char *resolve_host; /* NULL: connect directly (IP, unix socket, hostaddr) */
} db__conninfo_t;

struct db__pool_s {
    db_t *db;
    uv_loop_t *loop;
    const char *role; /* "primary" or "replica", for logs */
    db__conninfo_t conninfo;

    int size;
    db__conn_t *conns; /* size entries */
    db__conn_t **idle; /* stack of idle connections */
    int idle_count;
    db_wait_queue_t waiting;
    uv_timer_t wait_timer;

    int live; /* connections up: idle, preparing or executing */
    bool ever_up;
    bool down;             /* no connection up and the last attempt failed */
    unsigned failures;     /* consecutive failed connection attempts */
    db__conn_t *probe;     /* the one connection retrying while down */
    uint32_t random_state; /* xorshift32, for backoff jitter */

    bool prepared_statements;
    int acquire_timeout_ms;
    int statement_timeout_ms;
    int slow_query_ms;

    bool closing;
    int handles_open;     /* timers and polls not yet closed */
    int resolves_pending; /* uv_getaddrinfo requests not yet called back */

    db_pool_stats_t stats; /* counters; gauges are filled on demand */
};

/* --- conninfo.c --- */

enum { DB__CONNINFO_EXTRA = 6 }; /* entries db__conninfo_fill() may add */

/* Parses and checks url (see db_check_url). 0, or -1 with err set. */
int db__conninfo_parse(const char *variable, const char *url, db__conninfo_t *out, char *err,
                       size_t err_size);
void db__conninfo_free(db__conninfo_t *ci);

/* Fills keywords/values (each with room for DB__CONNINFO_EXTRA + ci->count
 * entries) for
 * PQconnectStartParams, NULL-terminated. host and hostaddr, when not NULL,
 * replace the string's own. */
void db__conninfo_fill(const db__conninfo_t *ci, const char *host, const char *hostaddr,
                       const char **keywords, const char **values);

/* Copies a libpq message into out as one line: newlines and tabs become
 * spaces, runs of blanks collapse, trailing blanks go. */
void db__one_line(const char *message, char *out, size_t out_size);

/* blocking.c, for the command-line tools only (never on the server's loop):
 * a blocking connection whose notices go to the debug log, or NULL with
 * "cannot connect to the database: ..." in err; the caller PQfinish()es it. */
PGconn *db__connect_blocking(const char *url, char *err, size_t err_size);

/* Runs a one-row, one-boolean-column query: 1 true, 0 false, -1 with
 * "<what>: <server message>" in err. */
int db__exec_bool(PGconn *pg, const char *sql, const char *what, char *err, size_t err_size);

/* --- result.c --- */

/* Fills res from a server result (pg may be NULL) and classifies it;
 * connection_bad says the connection broke. */
void db__result_init(db_result_t *res, const db_stmt_t *stmt, PGresult *pg, bool connection_bad);

/* A result with no server part: error with message (static storage). */
void db__result_init_error(db_result_t *res, const db_stmt_t *stmt, int error, const char *message);

/* True for PGRES_COMMAND_OK / TUPLES_OK / EMPTY_QUERY. */
bool db__pgresult_ok(const PGresult *pg);

/* --- conn.c --- */

/* Initializes c (its timer handle counts in pool->handles_open). */
void db__conn_init(db__conn_t *c, db__pool_t *pool);

/* Starts a connection attempt after delay_ms (0: on the next loop turn). */
void db__conn_schedule(db__conn_t *c, uint64_t delay_ms);

/* Sends q on the idle connection c. 0: q is attached and its result will come
 * through db__pool_query_done(). -1: the connection turned out broken; it was
 * torn down (and will reconnect), q is not attached and still the caller's. */
int db__conn_send(db__conn_t *c, db__query_t *q);

/* Closes c for good (db_close): tears the connection down, closes its handles
 * and returns the query it was running (the caller fails it), or NULL. */
db__query_t *db__conn_close(db__conn_t *c);

/* --- pool.c --- */

db__pool_t *db__pool_new(db_t *db, uv_loop_t *loop, const char *role, db__conninfo_t *conninfo,
                         const config_t *cfg);

/* 0 when q was started or queued; DB_E_UNAVAILABLE (down, closing) or
 * DB_E_BUSY (queue full) when refused, q still the caller's. Never calls a
 * callback. */
int db__pool_submit(db__pool_t *pool, db__query_t *q);

/* True while at least one connection is up. */
bool db__pool_up(const db__pool_t *pool);

void db__pool_get_stats(const db__pool_t *pool, db_pool_stats_t *out);

/* Starts closing; db__closed_pool() is called once its memory is freed. */
void db__pool_close(db__pool_t *pool);

/* Called by conn.c: */
void db__pool_conn_up(db__pool_t *pool, db__conn_t *c); /* set up and usable */
void db__pool_release(db__pool_t *pool, db__conn_t *c); /* idle again */
void db__pool_conn_lost(db__pool_t *pool, db__conn_t *c, bool was_live, const char *message);
void db__pool_conn_failed(db__pool_t *pool, db__conn_t *c, const char *message);
void db__pool_handle_closed(db__pool_t *pool); /* one handle fewer */
void db__pool_maybe_free(db__pool_t *pool);    /* frees a closed pool with nothing pending */
/* Delivers q's result: stats, slow log, callback; then frees q and clears pg. */
void db__pool_query_done(db__pool_t *pool, db__query_t *q, PGresult *pg, bool connection_bad);
/* Fails q with error/message without a server result; frees q. */
void db__pool_query_fail(db__pool_t *pool, db__query_t *q, int error, const char *message);

/* --- db.c --- */

/* Called by pool.c once per completed query, before the callback. */
void db__query_completed(db_t *db, db__query_t *q, const db_result_t *res);

/* Called by pool.c when a closing pool has freed itself. */
void db__closed_pool(db_t *db);

/* False when another statement already uses stmt's name (a programming
 * error, logged once): stmt then runs unnamed rather than as the other's
 * prepared statement. Remembers every statement it sees. */
bool db__statement_name_ok(db_t *db, const db_stmt_t *stmt);

#endif
