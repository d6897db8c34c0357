/* One connection pool (the primary's or the replica's): DB_POOL_SIZE
 * connections, the stack of idle ones, and the FIFO of queries waiting for
 * one.
 *
 * A query runs at once on an idle connection, else waits in the queue (bounded;
 * see wait_queue.h) until a connection is released or its acquire deadline
 * passes; one timer, armed for the head's deadline, expires waiters.
 *
 * Reconnection: a connection that breaks reconnects at once, since most breaks
 * are one connection (an idle-session timeout) or a restart that is over by
 * then. A failed attempt makes the pool "down" when no connection is up: every
 * waiter fails, db_query refuses at once, and a single connection (the probe)
 * retries with capped exponential backoff while the others stay parked. The
 * probe's success brings the pool up and wakes the parked ones, so a database
 * that was down for an hour sees one attempt every two seconds per instance,
 * not DB_POOL_SIZE. */
#include "db/backoff.h"
#include "db/internal.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void on_wait_timer(uv_timer_t *timer);

static uint32_t next_random(db__pool_t *pool)
{
    /* xorshift32: jitter only needs to differ between instances. */
    uint32_t x = pool->random_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    pool->random_state = x;
    return x;
}

db__pool_t *db__pool_new(db_t *db, uv_loop_t *loop, const char *role, db__conninfo_t *conninfo,
                         const config_t *cfg)
{
    db__pool_t *pool = xcalloc(1, sizeof(*pool));
    pool->db = db;
    pool->loop = loop;
    pool->role = role;
    pool->conninfo = *conninfo;
    memset(conninfo, 0, sizeof(*conninfo)); /* the pool owns it now */
    pool->size = cfg->db_pool_size;
    pool->prepared_statements = cfg->db_prepared_statements;
    pool->acquire_timeout_ms = cfg->db_acquire_timeout_ms;
    pool->statement_timeout_ms = cfg->db_statement_timeout_ms;
    pool->slow_query_ms = cfg->slow_query_ms;
    pool->random_state = (uint32_t)(uv_hrtime() ^ ((uint64_t)getpid() << 16)) | 1u;

    size_t queue_max = (size_t)pool->size * DB_WAIT_QUEUE_PER_CONN;
    if (queue_max < DB_WAIT_QUEUE_MIN)
        queue_max = DB_WAIT_QUEUE_MIN;
    db_wait_queue_init(&pool->waiting, queue_max);
    uv_timer_init(loop, &pool->wait_timer);
    pool->wait_timer.data = pool;
    pool->handles_open++;

    pool->conns = xcalloc((size_t)pool->size, sizeof(*pool->conns));
    pool->idle = xcalloc((size_t)pool->size, sizeof(*pool->idle));
    for (int i = 0; i < pool->size; i++) {
        db__conn_init(&pool->conns[i], pool);
        /* Connect from the loop, not from here: db_new() does no I/O. */
        db__conn_schedule(&pool->conns[i], 0);
    }
    return pool;
}

bool db__pool_up(const db__pool_t *pool)
{
    return pool->live > 0 && !pool->closing;
}

/* --- waiters --- */

static void arm_wait_timer(db__pool_t *pool)
{
    if (pool->closing)
        return;
    if (db_wait_queue_count(&pool->waiting) == 0) {
        uv_timer_stop(&pool->wait_timer);
        return;
    }
    uint64_t now = clock_now_ms();
    uint64_t deadline = db_wait_queue_next_deadline(&pool->waiting);
    uv_timer_start(&pool->wait_timer, on_wait_timer, deadline > now ? deadline - now : 0, 0);
}

static void on_wait_timer(uv_timer_t *timer)
{
    db__pool_t *pool = timer->data;
    uint64_t now = clock_now_ms();
    db__query_t *q;
    while ((q = db_wait_queue_pop_expired(&pool->waiting, now)) != NULL) {
        pool->stats.acquire_timeouts_total++;
        db__pool_query_fail(pool, q, DB_E_UNAVAILABLE,
                            "timed out waiting for a free database connection");
        if (pool->closing)
            return;
    }
    arm_wait_timer(pool);
}

static void fail_waiters(db__pool_t *pool, const char *message)
{
    db__query_t *q;
    while ((q = db_wait_queue_pop(&pool->waiting)) != NULL)
        db__pool_query_fail(pool, q, DB_E_UNAVAILABLE, message);
    if (!pool->closing)
        uv_timer_stop(&pool->wait_timer);
}

int db__pool_submit(db__pool_t *pool, db__query_t *q)
{
    if (pool->closing || pool->down) {
        pool->stats.refused_total++;
        return DB_E_UNAVAILABLE;
    }
    q->pool = pool;
    q->deadline_ms = q->submitted_ms + (uint64_t)pool->acquire_timeout_ms;
    while (pool->idle_count > 0) {
        db__conn_t *c = pool->idle[--pool->idle_count];
        if (db__conn_send(c, q) == 0)
            return 0;
        /* That connection was dead (it is reconnecting now): try another. */
    }
    if (db_wait_queue_push(&pool->waiting, q, q->deadline_ms) != 0) {
        pool->stats.refused_total++;
        return DB_E_BUSY;
    }
    if (db_wait_queue_count(&pool->waiting) == 1)
        arm_wait_timer(pool);
    return 0;
}

/* --- connections coming and going --- */

static void remove_idle(db__pool_t *pool, db__conn_t *c)
{
    for (int i = 0; i < pool->idle_count; i++) {
        if (pool->idle[i] == c) {
            pool->idle[i] = pool->idle[--pool->idle_count];
            return;
        }
    }
}

void db__pool_release(db__pool_t *pool, db__conn_t *c)
{
    if (pool->closing)
        return;
    db__query_t *q = db_wait_queue_pop(&pool->waiting);
    if (q != NULL) {
        if (db__conn_send(c, q) == 0)
            return;
        /* c broke as we used it: the waiter keeps its place. */
        if (db_wait_queue_push_front(&pool->waiting, q, q->deadline_ms) != 0)
            db__pool_query_fail(pool, q, DB_E_UNAVAILABLE, "the database connection was lost");
        return;
    }
    pool->idle[pool->idle_count++] = c;
}

void db__pool_conn_up(db__pool_t *pool, db__conn_t *c)
{
    pool->live++;
    pool->stats.connects_total++;
    pool->failures = 0;
    if (pool->probe == c)
        pool->probe = NULL;
    if (pool->down) {
        pool->down = false;
        log_info("database reconnected", "pool", json_string(pool->role), NULL);
    } else if (!pool->ever_up) {
        log_info("database connected", "pool", json_string(pool->role), "pool_size",
                 json_integer(pool->size), NULL);
    }
    pool->ever_up = true;
    /* The database answers again: the parked connections may try now. */
    for (int i = 0; i < pool->size; i++) {
        if (pool->conns[i].state == DB__CONN_PARKED)
            db__conn_schedule(&pool->conns[i], 0);
    }
    db__pool_release(pool, c);
}

void db__pool_conn_lost(db__pool_t *pool, db__conn_t *c, bool was_live, const char *message)
{
    if (was_live) {
        pool->live--;
        remove_idle(pool, c);
        if (pool->live == 0)
            log_warn("database connection lost", "pool", json_string(pool->role), "error",
                     json_string(message), NULL);
        else
            log_debug("database connection lost", "pool", json_string(pool->role), "error",
                      json_string(message), NULL);
    }
    if (pool->closing)
        return;
    db__conn_schedule(c, 0);
}

void db__pool_conn_failed(db__pool_t *pool, db__conn_t *c, const char *message)
{
    pool->stats.connect_failures_total++;
    pool->failures++;
    if (pool->live == 0 && !pool->down) {
        pool->down = true;
        log_warn("database unavailable", "pool", json_string(pool->role), "error",
                 json_string(message), NULL);
        /* Nothing will serve the waiters before the probe succeeds. */
        fail_waiters(pool, "the database is unavailable");
    } else {
        log_debug("database connection attempt failed", "pool", json_string(pool->role), "error",
                  json_string(message), NULL);
    }
    if (pool->closing)
        return;
    if (pool->probe == NULL || pool->probe == c) {
        pool->probe = c;
        uint64_t delay = db_backoff_delay_ms(pool->failures - 1, DB_BACKOFF_BASE_MS,
                                             DB_BACKOFF_MAX_MS, next_random(pool));
        db__conn_schedule(c, delay);
    } else {
        c->state = DB__CONN_PARKED;
    }
}

/* --- results --- */

static void finish_query(db__pool_t *pool, db__query_t *q, db_result_t *res)
{
    pool->stats.queries_total++;
    if (res->error != 0)
        pool->stats.errors_total++;
    db__query_completed(pool->db, q, res);
    free(q);
}

void db__pool_query_done(db__pool_t *pool, db__query_t *q, PGresult *pg, bool connection_bad)
{
    db_result_t res;
    db__result_init(&res, q->stmt, pg, connection_bad);
    uint64_t now_us = clock_now_us();
    double duration_ms = (double)(now_us - q->started_us) / 1000.0;
    if (duration_ms > (double)pool->slow_query_ms) {
        pool->stats.slow_total++;
        /* Name and timings only: parameter values never reach the log. */
        log_warn("slow query", "statement", json_string(q->stmt->name != NULL ? q->stmt->name : ""),
                 "duration_ms", json_real((double)(int64_t)(duration_ms * 1000) / 1000.0),
                 "wait_ms", json_integer((json_int_t)(q->started_us / 1000 - q->submitted_ms)),
                 "pool", json_string(pool->role), "error", json_string(db_error_name(res.error)),
                 NULL);
    }
    finish_query(pool, q, &res);
    /* res.pg, not pg: the callback may have kept the result
     * (db_result_keep()), and then it is no longer ours to clear. */
    PQclear(res.pg);
}

void db__pool_query_fail(db__pool_t *pool, db__query_t *q, int error, const char *message)
{
    db_result_t res;
    db__result_init_error(&res, q->stmt, error, message);
    finish_query(pool, q, &res);
}

/* --- stats --- */

void db__pool_get_stats(const db__pool_t *pool, db_pool_stats_t *out)
{
    *out = pool->stats;
    out->configured = true;
    out->up = db__pool_up(pool);
    out->size = pool->size;
    out->open = pool->live;
    out->idle = pool->idle_count;
    out->in_use = pool->live - pool->idle_count;
    out->waiting = (int)db_wait_queue_count(&pool->waiting);
    out->connecting = 0;
    for (int i = 0; i < pool->size; i++) {
        db__conn_state_t st = pool->conns[i].state;
        if (st == DB__CONN_RESOLVING || st == DB__CONN_CONNECTING || st == DB__CONN_SETUP)
            out->connecting++;
    }
}

/* --- closing --- */

static void on_wait_timer_closed(uv_handle_t *handle)
{
    db__pool_handle_closed(handle->data);
}

void db__pool_close(db__pool_t *pool)
{
    if (pool->closing)
        return;
    pool->closing = true;
    fail_waiters(pool, "the server is shutting down");
    uv_close((uv_handle_t *)&pool->wait_timer, on_wait_timer_closed);
    pool->idle_count = 0;
    for (int i = 0; i < pool->size; i++) {
        db__query_t *q = db__conn_close(&pool->conns[i]);
        if (q != NULL)
            db__pool_query_fail(pool, q, DB_E_UNAVAILABLE, "the server is shutting down");
    }
}

void db__pool_handle_closed(db__pool_t *pool)
{
    pool->handles_open--;
    db__pool_maybe_free(pool);
}

void db__pool_maybe_free(db__pool_t *pool)
{
    if (!pool->closing || pool->handles_open > 0 || pool->resolves_pending > 0)
        return;
    db_t *db = pool->db;
    db_wait_queue_free(&pool->waiting);
    db__conninfo_free(&pool->conninfo);
    free(pool->conns);
    free(pool->idle);
    free(pool);
    db__closed_pool(db);
}
