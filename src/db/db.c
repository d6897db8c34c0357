/* The db_t: a primary pool, an optional replica pool, and the routing between
 * them (db.h).
 *
 * Routing: writes go to the primary. Reads go to the replica when there is
 * one, it has a connection up, and the reading user did not write within
 * REPLICA_STICKY_S seconds (sticky.h keeps who wrote; a write marks its user
 * when it is sent and again when it completes, so the window starts no
 * earlier than the write became visible on the primary). Anything else reads
 * from the primary: a replica that is down costs nothing but its load. */
#include "db/internal.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"

#include <stdlib.h>
#include <string.h>

enum { STICKY_MAX_SLOTS = 1 << 16 };

struct db_s {
    uv_loop_t *loop;
    db__pool_t *primary;
    db__pool_t *replica; /* NULL without DATABASE_REPLICA_URL */
    db_sticky_t sticky;
    uint64_t sticky_ms;

    uint64_t replica_reads_total;
    uint64_t sticky_reads_total;
    uint64_t fallback_reads_total;

    /* Every named statement seen, to catch two sharing a name. */
    struct {
        const db_stmt_t *stmt;
        bool ok;
    } * statements;
    size_t statement_count;
    size_t statement_capacity;

    bool closing;
    int pools_open;
    db_closed_cb on_closed;
    void *on_closed_data;
};

int db_new(uv_loop_t *loop, const config_t *cfg, db_t **out, char *err, size_t err_size)
{
    db__conninfo_t primary_ci, replica_ci;
    memset(&replica_ci, 0, sizeof(replica_ci));
    if (db__conninfo_parse("DATABASE_URL", cfg->database_url, &primary_ci, err, err_size) != 0)
        return -1;
    bool has_replica = cfg->database_replica_url[0] != '\0';
    if (has_replica && db__conninfo_parse("DATABASE_REPLICA_URL", cfg->database_replica_url,
                                          &replica_ci, err, err_size) != 0) {
        db__conninfo_free(&primary_ci);
        return -1;
    }
    db_t *db = xcalloc(1, sizeof(*db));
    db->loop = loop;
    db->sticky_ms = (uint64_t)cfg->replica_sticky_s * 1000u;
    db_sticky_init(&db->sticky, STICKY_MAX_SLOTS);
    db->primary = db__pool_new(db, loop, "primary", &primary_ci, cfg);
    db->pools_open = 1;
    if (has_replica) {
        db->replica = db__pool_new(db, loop, "replica", &replica_ci, cfg);
        db->pools_open++;
    }
    *out = db;
    return 0;
}

static void on_wait_ready_timeout(uv_timer_t *timer)
{
    *(bool *)timer->data = true;
}

int db_wait_ready(db_t *db, uint64_t timeout_ms)
{
    bool timed_out = false;
    uv_timer_t timer;
    uv_timer_init(db->loop, &timer);
    timer.data = &timed_out;
    uv_timer_start(&timer, on_wait_ready_timeout, timeout_ms, 0);
    while (!timed_out && !db__pool_up(db->primary) && !db->primary->down)
        uv_run(db->loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&timer, NULL);
    /* Let the close complete while the timer is still in scope. */
    uv_run(db->loop, UV_RUN_NOWAIT);
    return db__pool_up(db->primary) ? 0 : -1;
}

static void mark_sticky(db_t *db, int64_t user_id)
{
    if (db->replica == NULL || user_id <= 0 || db->sticky_ms == 0)
        return;
    uint64_t now = clock_now_ms();
    db_sticky_mark(&db->sticky, user_id, now, now + db->sticky_ms);
}

/* Picks the pool for a query and counts why. */
static db__pool_t *route(db_t *db, db_intent_t intent, int64_t user_id)
{
    if (intent == DB_WRITE || db->replica == NULL)
        return db->primary;
    if (db_sticky_active(&db->sticky, user_id, clock_now_ms())) {
        db->sticky_reads_total++;
        return db->primary;
    }
    if (!db__pool_up(db->replica)) {
        db->fallback_reads_total++;
        return db->primary;
    }
    db->replica_reads_total++;
    return db->replica;
}

int db_query(db_t *db, const db_stmt_t *stmt, const char *const *params, const int *lengths,
             int nparams, db_intent_t intent, int64_t user_id, db_result_cb cb, void *user_data)
{
    if (stmt == NULL || stmt->sql == NULL || cb == NULL || nparams != stmt->param_count ||
        nparams < 0 || nparams > DB_MAX_PARAMS || (nparams > 0 && params == NULL))
        return DB_E_INVALID;
    if (db->closing)
        return DB_E_UNAVAILABLE;

    /* One allocation: the query, its three arrays, then the values. */
    size_t data_bytes = 0;
    for (int i = 0; i < nparams; i++) {
        bool binary = (stmt->binary_params >> i) & 1u;
        if (binary && params[i] != NULL && (lengths == NULL || lengths[i] < 0))
            return DB_E_INVALID;
        if (params[i] != NULL)
            data_bytes += (binary ? (size_t)lengths[i] : strlen(params[i])) + 1;
    }
    size_t n = (size_t)nparams;
    size_t header = sizeof(db__query_t) + n * (sizeof(char *) + 2 * sizeof(int));
    db__query_t *q = xmalloc(header + data_bytes);
    memset(q, 0, sizeof(*q));
    q->values = (const char **)(void *)(q + 1);
    q->lengths = (int *)(void *)(q->values + n);
    q->formats = q->lengths + n;
    char *data = (char *)(q->formats + n);
    for (int i = 0; i < nparams; i++) {
        bool binary = (stmt->binary_params >> i) & 1u;
        q->formats[i] = binary ? 1 : 0;
        if (params[i] == NULL) {
            q->values[i] = NULL;
            q->lengths[i] = 0;
            continue;
        }
        size_t len = binary ? (size_t)lengths[i] : strlen(params[i]);
        memcpy(data, params[i], len);
        data[len] = '\0';
        q->values[i] = data;
        q->lengths[i] = (int)len;
        data += len + 1;
    }
    q->stmt = stmt;
    q->cb = cb;
    q->user_data = user_data;
    q->db = db;
    q->intent = intent;
    q->user_id = user_id;
    q->nparams = nparams;
    q->submitted_ms = clock_now_ms();

    db__pool_t *pool = route(db, intent, user_id);
    int rc = db__pool_submit(pool, q);
    if (rc == DB_E_UNAVAILABLE && pool == db->replica)
        rc = db__pool_submit(db->primary, q); /* the replica just went down */
    if (rc != 0) {
        free(q);
        return rc;
    }
    if (intent == DB_WRITE)
        mark_sticky(db, user_id);
    return 0;
}

void db__query_completed(db_t *db, db__query_t *q, const db_result_t *res)
{
    if (q->intent == DB_WRITE && !db->closing)
        mark_sticky(db, q->user_id);
    q->cb((db_result_t *)res, q->user_data);
}

bool db__statement_name_ok(db_t *db, const db_stmt_t *stmt)
{
    for (size_t i = 0; i < db->statement_count; i++) {
        if (db->statements[i].stmt == stmt)
            return db->statements[i].ok;
    }
    bool ok = true;
    for (size_t i = 0; i < db->statement_count && ok; i++) {
        if (strcmp(db->statements[i].stmt->name, stmt->name) == 0) {
            ok = false;
            log_error("two statements share a name: the second runs unnamed", "statement",
                      json_string(stmt->name), NULL);
        }
    }
    if (db->statement_count == db->statement_capacity) {
        db->statement_capacity = db->statement_capacity == 0 ? 32 : db->statement_capacity * 2;
        db->statements = xrealloc(db->statements, db->statement_capacity * sizeof(*db->statements));
    }
    db->statements[db->statement_count].stmt = stmt;
    db->statements[db->statement_count].ok = ok;
    db->statement_count++;
    return ok;
}

const char *db_ready_state(const db_t *db)
{
    return db__pool_up(db->primary) ? "ok" : "down";
}

const char *db_ready_check(void *ctx)
{
    return db_ready_state(ctx);
}

void db_get_stats(const db_t *db, db_stats_t *out)
{
    memset(out, 0, sizeof(*out));
    db__pool_get_stats(db->primary, &out->primary);
    if (db->replica != NULL)
        db__pool_get_stats(db->replica, &out->replica);
    out->replica_reads_total = db->replica_reads_total;
    out->sticky_reads_total = db->sticky_reads_total;
    out->fallback_reads_total = db->fallback_reads_total;
}

static json_t *pool_json(const db_pool_stats_t *s)
{
    return json_pack(
        "{s:b, s:i, s:i, s:i, s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "up", s->up,
        "size", s->size, "open", s->open, "in_use", s->in_use, "idle", s->idle, "connecting",
        s->connecting, "waiting", s->waiting, "queries", (json_int_t)s->queries_total, "errors",
        (json_int_t)s->errors_total, "slow", (json_int_t)s->slow_total, "acquire_timeouts",
        (json_int_t)s->acquire_timeouts_total, "refused", (json_int_t)s->refused_total, "connects",
        (json_int_t)s->connects_total, "connect_failures", (json_int_t)s->connect_failures_total);
}

json_t *db_stats_json(const db_t *db)
{
    db_stats_t s;
    db_get_stats(db, &s);
    return json_pack("{s:o, s:o, s:I, s:I, s:I}", "primary", pool_json(&s.primary), "replica",
                     s.replica.configured ? pool_json(&s.replica) : json_null(), "replica_reads",
                     (json_int_t)s.replica_reads_total, "sticky_reads",
                     (json_int_t)s.sticky_reads_total, "fallback_reads",
                     (json_int_t)s.fallback_reads_total);
}

void db_close(db_t *db, db_closed_cb on_closed, void *user_data)
{
    if (db->closing)
        return;
    db->closing = true;
    db->on_closed = on_closed;
    db->on_closed_data = user_data;
    /* Hold a reference while closing, so a pool that frees itself during
     * this call cannot free the db under us. */
    db->pools_open++;
    db__pool_close(db->primary);
    if (db->replica != NULL)
        db__pool_close(db->replica);
    db__closed_pool(db);
}

void db__closed_pool(db_t *db)
{
    if (--db->pools_open > 0)
        return;
    db_closed_cb on_closed = db->on_closed;
    void *data = db->on_closed_data;
    db_sticky_free(&db->sticky);
    free(db->statements);
    free(db);
    if (on_closed != NULL)
        on_closed(data);
}
