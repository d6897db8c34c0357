/* The database layer: asynchronous PostgreSQL on the server's libuv loop.
 *
 * A db_t holds a pool of DB_POOL_SIZE non-blocking libpq connections to
 * DATABASE_URL and, when DATABASE_REPLICA_URL is set, a second pool to the
 * replica. Every query is one statement declared once as a static db_stmt_t;
 * values are always bound parameters (never spliced into SQL). The caller says
 * whether the statement reads or writes and, when a user is behind the
 * request, which one; reads go to the replica unless that user wrote within
 * REPLICA_STICKY_S seconds or the replica is down.
 *
 *     static const db_stmt_t find_user = {
 *         .name = "users_by_id",
 *         .sql = "SELECT name FROM users WHERE id = $1",
 *         .param_count = 1,
 *     };
 *     const char *params[] = {id_text};
 *     int rc = db_query(app->db, &find_user, params, NULL, 1, DB_READ, req->user_id,
 *                       on_user, req);
 *     if (rc != 0)
 *         http_respond_error(req, db_error_api(rc), NULL, NULL);
 *
 * Pool behaviour (docs/DATABASE.md has the details):
 *   - A query runs on an idle connection at once; otherwise it waits in a FIFO
 *     queue of at most DB_WAIT_QUEUE_PER_CONN x DB_POOL_SIZE entries (at least
 *     DB_WAIT_QUEUE_MIN); past DB_ACQUIRE_TIMEOUT_MS its callback gets
 *     DB_E_UNAVAILABLE. A full queue refuses at once (db_query returns
 *     DB_E_BUSY).
 *   - Named statements are prepared per connection on first use; with
 *     DB_PREPARED_STATEMENTS=false (PgBouncer in transaction mode), and for
 *     statements marked custom_plan, they are sent unnamed instead.
 *   - Each connection runs SET statement_timeout = DB_STATEMENT_TIMEOUT_MS and
 *     TimeZone = 'UTC' when it connects. Statements slower than SLOW_QUERY_MS
 *     are logged with their name and duration, never their parameters.
 *   - A broken connection fails its query with DB_E_UNAVAILABLE and reconnects
 *     with backoff; while no connection is up, db_query returns DB_E_UNAVAILABLE
 *     at once and db_ready_state() says "down". The pool heals by itself.
 *   - Host names are resolved with uv_getaddrinfo (on the thread pool), so no
 *     DNS lookup blocks the loop. */
#ifndef RURAL24_DB_DB_H
#define RURAL24_DB_DB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/config.h"
#include "db/result.h"

enum {
    DB_WAIT_QUEUE_PER_CONN = 64,  /* wait-queue cap per pool connection... */
    DB_WAIT_QUEUE_MIN = 256,      /* ...but never below this */
    DB_CONNECT_TIMEOUT_MS = 5000, /* a connection attempt (DNS + TCP + auth + setup) */
    DB_MAX_PARAMS = 32,
};

/* A statement, declared once (static const) and shared by every connection.
 * name is the server-side prepared-statement name: unique in the program,
 * [a-z0-9_] (a second statement with a taken name is logged as an error and
 * runs unnamed); "" runs unnamed. The SQL uses $1..$param_count. */
typedef struct {
    const char *name;
    const char *sql;
    int param_count;
    /* Bit i set: parameter i+1 is sent in binary (e.g. bytea image bytes); its
     * length must be given. Others are text. */
    uint32_t binary_params;
    /* Columns come back in binary format (bytea image bytes) instead of text. */
    bool binary_result;
    /* Never prepare: send it unnamed so PostgreSQL plans it with the actual
     * values every time. For statements with optional filters
     * ("$2::text IS NULL OR province = $2"), whose generic plan would be poor. */
    bool custom_plan;
} db_stmt_t;

typedef enum {
    DB_READ,  /* read-only: may run on the replica */
    DB_WRITE, /* writes, or reads that must see the latest data: the primary */
} db_intent_t;

typedef struct db_s db_t;

/* Called exactly once per accepted query, from the loop, never from inside
 * db_query(). result is never NULL and is freed when the callback returns
 * (see result.h). */
typedef void (*db_result_cb)(db_result_t *result, void *user_data);

/* Called once db_close() has closed every handle and freed the db_t. */
typedef void (*db_closed_cb)(void *user_data);

/* Checks a DATABASE_URL-style connection string (a postgresql:// URL or
 * "key=value" pairs) with libpq's parser plus port and sslmode checks. 0, or
 * -1 with one line in err ("DATABASE_URL: invalid port number: \"x\"");
 * variable names the setting in that line. Does no I/O. */
int db_check_url(const char *variable, const char *url, char *err, size_t err_size);

/* Creates the pools from cfg (DATABASE_URL, DATABASE_REPLICA_URL, DB_POOL_SIZE,
 * DB_PREPARED_STATEMENTS, DB_ACQUIRE_TIMEOUT_MS, DB_STATEMENT_TIMEOUT_MS,
 * REPLICA_STICKY_S, SLOW_QUERY_MS) and starts connecting on loop; it does not
 * wait. 0 with *out set, or -1 with one line in err for a malformed URL (the
 * caller exits with status 2). cfg must outlive the db_t; the caller owns the
 * db_t and ends it with db_close(). An unreachable database is not an error
 * here: the pool keeps retrying and db_ready_state() says "down". */
int db_new(uv_loop_t *loop, const config_t *cfg, db_t **out, char *err, size_t err_size);

/* For start-up only, before the server listens: runs the loop until the
 * primary pool has a connection up, or its first attempts failed, or
 * timeout_ms passed, so that /api/ready is right from the first request. Only
 * the db's own handles (and whatever else is active) run meanwhile. 0 when up,
 * -1 otherwise (the pool keeps trying in the background). */
int db_wait_ready(db_t *db, uint64_t timeout_ms);

/* Runs stmt with nparams values. params[i] NULL is SQL NULL; lengths may be
 * NULL (text values are NUL-terminated) and is required for binary
 * parameters. The values are copied: they need not outlive the call.
 *
 * intent and user_id choose the pool: DB_WRITE always runs on the primary and,
 * with user_id > 0, sends that user's reads to the primary for the next
 * REPLICA_STICKY_S seconds; DB_READ runs on the replica when there is one, it
 * is up and the user is not sticky. user_id 0 means no user.
 *
 * Returns 0 when the query was accepted: cb then fires exactly once, later,
 * with the result (also on failure, and with DB_E_UNAVAILABLE if db_close()
 * comes first). Returns a negative db_error_t when it was refused, and cb
 * never fires: DB_E_UNAVAILABLE (the database is down or closing), DB_E_BUSY
 * (the wait queue is full) or DB_E_INVALID (nparams != stmt->param_count,
 * more than DB_MAX_PARAMS, a binary parameter without a length). */
int db_query(db_t *db, const db_stmt_t *stmt, const char *const *params, const int *lengths,
             int nparams, db_intent_t intent, int64_t user_id, db_result_cb cb, void *user_data);

/* Fails every waiting and running query with DB_E_UNAVAILABLE (their callbacks
 * run during this call), closes every connection and handle, and frees the db
 * once the loop has run their close callbacks; then on_closed(user_data) fires
 * (on_closed may be NULL). Call once, from the loop thread, before the loop
 * stops running; db must not be used afterwards. */
void db_close(db_t *db, db_closed_cb on_closed, void *user_data);

/* "ok" while the primary pool has at least one connection up, else "down". */
const char *db_ready_state(const db_t *db);

/* db_ready_state() in the shape of app_ready_check_fn (ctx is the db_t). */
const char *db_ready_check(void *ctx);

typedef struct {
    bool configured; /* false for the replica without DATABASE_REPLICA_URL */
    bool up;         /* at least one connection up */
    int size;        /* DB_POOL_SIZE */
    int open;        /* connections up (idle + in use) */
    int in_use;      /* running a statement */
    int idle;
    int connecting;
    int waiting;            /* queries in the wait queue */
    uint64_t queries_total; /* completed, successfully or not */
    uint64_t errors_total;  /* completed with an error */
    uint64_t slow_total;    /* slower than SLOW_QUERY_MS */
    uint64_t acquire_timeouts_total;
    uint64_t refused_total;  /* refused by db_query (down, queue full) */
    uint64_t connects_total; /* successful connections, first ones included */
    uint64_t connect_failures_total;
} db_pool_stats_t;

typedef struct {
    db_pool_stats_t primary;
    db_pool_stats_t replica;
    uint64_t replica_reads_total;  /* reads served by the replica */
    uint64_t sticky_reads_total;   /* reads sent to the primary after a write */
    uint64_t fallback_reads_total; /* reads sent to the primary: replica down */
} db_stats_t;

/* A snapshot of the counters, for /metrics, /api/admin/stats and the metrics
 * log line. */
void db_get_stats(const db_t *db, db_stats_t *out);

/* The same snapshot as a new JSON object (caller owns the reference):
 * {"primary":{...},"replica":{...}|null,"replica_reads":N,...}. */
json_t *db_stats_json(const db_t *db);

#endif
