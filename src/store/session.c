/* Session store: the sessions table through the db pool, plus, in redis mode,
 * a Redis key per live session for the per-request check (see session.h).
 *
 * Each operation allocates one op_t holding the caller's callback and what the
 * later steps need; the last step calls back and frees it. */
#include "store/session.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    TOUCH_SLOTS = 4096,        /* remembered last_used_at writes (direct-mapped) */
    TOUCH_INTERVAL_MS = 60000, /* at most one write a minute per session */
    UNSENT_MAX = 4096,         /* tombstones kept for a replay (the newest) */
    UNSENT_RETRY_MS = 1000,    /* replay while Redis is up but refused them */
};

#define SESSION_KEY_PREFIX "rural24:session:"

typedef struct {
    int64_t session_id;
    uint64_t written_ms;
} touch_slot_t;

struct session_store_s {
    uv_loop_t *loop;
    db_t *db;
    redis_client_t *redis; /* NULL in db mode */
    int max_session_s;     /* tombstone lifetime */
    bool listening;        /* to the client's REDIS_EVENT_UP, until session_store_close() */
    /* Sessions revoked whose tombstone write failed, written again when the
     * client reconnects and every UNSENT_RETRY_MS while it is up: a ring of
     * the newest UNSENT_MAX (allocated on first use). A tombstone matters
     * only while the session's last access token lives (ACCESS_TOKEN_TTL_S
     * and the skew; the refresh path reads the table), so the oldest go
     * first. */
    int64_t *unsent;
    size_t unsent_start;
    size_t unsent_count;
    bool unsent_dropped; /* overwritten since the last replay (logged once) */
    uv_timer_t retry;    /* the replay while up; stopped when the ring empties */
    touch_slot_t touched[TOUCH_SLOTS];
};

typedef struct {
    session_store_t *store;
    void *user_data;
    union {
        session_created_cb created;
        session_get_cb get;
        session_rotated_cb rotated;
        session_check_cb check;
        session_revoked_cb revoked;
        session_list_cb list;
    } cb;
    int64_t session_id;
    int64_t user_id;
    int64_t ttl_ms;
} op_t;

static void on_redis_event(redis_client_t *client, redis_event_t event, void *user_data);

static op_t *op_new(session_store_t *store, void *user_data)
{
    op_t *op = xcalloc(1, sizeof(*op));
    op->store = store;
    op->user_data = user_data;
    return op;
}

session_store_t *session_store_new(uv_loop_t *loop, db_t *db, redis_client_t *redis,
                                   int max_session_s)
{
    session_store_t *store = xcalloc(1, sizeof(*store));
    store->max_session_s = max_session_s;
    store->loop = loop;
    store->db = db;
    store->redis = redis;
    if (redis != NULL) {
        if (redis_client_listen(redis, on_redis_event, store) == 0) {
            store->listening = true;
            uv_timer_init(loop, &store->retry);
            store->retry.data = store;
            uv_unref((uv_handle_t *)&store->retry); /* never what keeps the loop alive */
        } else {
            log_error("session store cannot hear redis reconnect; failed tombstones are not "
                      "written again",
                      NULL);
        }
    }
    return store;
}

void session_store_close(session_store_t *store)
{
    if (store == NULL || !store->listening)
        return;
    redis_client_unlisten(store->redis, on_redis_event, store);
    uv_close((uv_handle_t *)&store->retry, NULL); /* freed with the store, after the loop */
    store->listening = false;
}

void session_store_free(session_store_t *store)
{
    if (store == NULL)
        return;
    free(store->unsent);
    free(store);
}

const char *session_store_name(const session_store_t *store)
{
    return store->redis != NULL ? "redis" : "db";
}

static void hex(const unsigned char bin[SESSION_HASH_BYTES], char out[SESSION_HASH_BYTES * 2 + 1])
{
    sodium_bin2hex(out, SESSION_HASH_BYTES * 2 + 1, bin, SESSION_HASH_BYTES);
}

static int unhex(const char *text, unsigned char out[SESSION_HASH_BYTES])
{
    size_t len = 0;
    if (text == NULL ||
        sodium_hex2bin(out, SESSION_HASH_BYTES, text, strlen(text), NULL, &len, NULL) != 0 ||
        len != SESSION_HASH_BYTES)
        return -1;
    return 0;
}

static void session_key(int64_t session_id, char *out, size_t out_size)
{
    snprintf(out, out_size, SESSION_KEY_PREFIX "%lld", (long long)session_id);
}

/* ---- Redis side: the live-session keys --------------------------------- */

/* Writes the key of a live session; best effort (a failure only costs a
 * table lookup on the next check). only_if_absent: the write-back of a check,
 * which must not overwrite a tombstone. */
static void redis_remember(session_store_t *store, int64_t session_id, int64_t user_id,
                           int64_t ttl_ms, bool only_if_absent)
{
    if (store->redis == NULL || ttl_ms <= 0)
        return;
    char key[64], value[24], ttl[24];
    session_key(session_id, key, sizeof(key));
    snprintf(value, sizeof(value), "%lld", (long long)user_id);
    snprintf(ttl, sizeof(ttl), "%lld", (long long)ttl_ms);
    const char *argv[] = {"SET", key, value, "PX", ttl, "NX"};
    (void)redis_command_argv(store->redis, only_if_absent ? 6 : 5, argv, NULL, NULL, NULL);
}

/* A revocation's tombstone writes in flight: the revocation is answered only
 * once Redis has them all, so that the caller's next request, on any
 * instance, cannot reach Redis before the tombstones do. */
typedef struct {
    op_t *op; /* answered and freed by the last reply */
    int64_t count;
    size_t pending;
    size_t failed;    /* writes refused or lost */
    size_t kept;      /* of those, kept for a replay */
    int first_status; /* the first failure's redis status */
} forget_t;

/* One tombstone write: of a revocation (forget), or of the replay (NULL). */
typedef struct {
    session_store_t *store;
    forget_t *forget;
    int64_t session_id;
} tombstone_t;

static void forget_done(forget_t *forget)
{
    op_t *op = forget->op;
    /* The table already says revoked, but until the key is overwritten the
     * instances that reach Redis accept the session: say it loudly, once,
     * and whether the writes will be tried again (not at shutdown). */
    if (forget->failed > 0)
        log_error(forget->kept == forget->failed
                      ? "revoked sessions' keys not overwritten in redis; to be written again"
                      : "revoked sessions' keys not overwritten in redis; not all will be retried",
                  "user_id", json_integer(op->user_id), "failed",
                  json_integer((json_int_t)forget->failed), "retried",
                  json_integer((json_int_t)forget->kept), "revoked", json_integer(forget->count),
                  "error", json_string(redis_strerror(forget->first_status)), NULL);
    op->cb.revoked(0, forget->count, op->user_data);
    free(op);
    free(forget);
}

static void on_retry(uv_timer_t *timer);

/* Keeps a session whose tombstone did not land for the replay; false when
 * nobody will replay it (closing, or no listener). A full ring drops its
 * oldest. */
static bool keep_unsent(session_store_t *store, int64_t session_id)
{
    if (!store->listening)
        return false;
    if (store->unsent == NULL)
        store->unsent = xcalloc(UNSENT_MAX, sizeof(*store->unsent));
    if (store->unsent_count == UNSENT_MAX) {
        if (!store->unsent_dropped)
            log_error("too many revoked sessions' keys waiting for redis; the oldest are dropped",
                      "kept", json_integer(UNSENT_MAX), NULL);
        store->unsent_dropped = true;
        store->unsent[store->unsent_start] = session_id;
        store->unsent_start = (store->unsent_start + 1) % UNSENT_MAX;
    } else {
        store->unsent[(store->unsent_start + store->unsent_count++) % UNSENT_MAX] = session_id;
    }
    /* Refusals with the connection up (a full queue, an error reply such as
     * OOM) bring no reconnection: retry on a timer too. */
    if (!uv_is_active((uv_handle_t *)&store->retry))
        uv_timer_start(&store->retry, on_retry, UNSENT_RETRY_MS, UNSENT_RETRY_MS);
    return true;
}

static void on_tombstone(int status, const redis_reply_t *reply, void *user_data)
{
    (void)reply;
    tombstone_t *t = user_data;
    bool kept = status != 0 && keep_unsent(t->store, t->session_id);
    forget_t *forget = t->forget;
    free(t);
    if (forget == NULL)
        return;
    if (status != 0 && forget->failed++ == 0)
        forget->first_status = status;
    if (kept)
        forget->kept++;
    if (--forget->pending == 0)
        forget_done(forget);
}

/* Overwrites session_id's key with a tombstone ("0", kept as long as a
 * session can live): a plain DEL could be undone by a check that read the
 * table just before the revocation and writes its key back just after.
 * on_tombstone() hears the outcome, at once when the client refuses. */
static void write_tombstone(session_store_t *store, forget_t *forget, int64_t session_id)
{
    char key[64], ttl[24];
    session_key(session_id, key, sizeof(key));
    snprintf(ttl, sizeof(ttl), "%lld", (long long)store->max_session_s * 1000);
    const char *argv[] = {"SET", key, "0", "PX", ttl};
    tombstone_t *t = xmalloc(sizeof(*t));
    *t = (tombstone_t){.store = store, .forget = forget, .session_id = session_id};
    if (forget != NULL)
        forget->pending++;
    int rc = redis_command_argv(store->redis, 5, argv, NULL, on_tombstone, t);
    if (rc != 0)
        on_tombstone(rc, NULL, t);
}

/* Writes the tombstones of the sessions res lists (their ids, column 0) and
 * answers op (how many were revoked) once every write has a reply; at once
 * in db mode. */
static void redis_forget(op_t *op, db_result_t *res)
{
    forget_t *forget = xcalloc(1, sizeof(*forget));
    forget->op = op;
    forget->count = db_result_rows(res);
    forget->pending = 1; /* held by this loop, so a synchronous refusal cannot finish it early */
    for (int64_t i = 0; op->store->redis != NULL && i < forget->count; i++) {
        int64_t id = 0;
        if (db_result_int64(res, (int)i, 0, &id) == 0) {
            write_tombstone(op->store, forget, id);
        } else if (forget->failed++ == 0) { /* not an id: no key to overwrite */
            forget->first_status = REDIS_E_INVALID;
        }
    }
    if (--forget->pending == 0)
        forget_done(forget);
}

/* Writes the kept tombstones again, oldest first (those failing once more
 * are kept again). */
static void replay_unsent(session_store_t *store)
{
    size_t count = store->unsent_count;
    int64_t *ids = xmalloc(count * sizeof(*ids));
    for (size_t i = 0; i < count; i++)
        ids[i] = store->unsent[(store->unsent_start + i) % UNSENT_MAX];
    store->unsent_start = 0;
    store->unsent_count = 0;
    store->unsent_dropped = false;
    for (size_t i = 0; i < count; i++)
        write_tombstone(store, NULL, ids[i]);
    free(ids);
}

/* The client is (back) up: before any check of ours reads a key, the
 * tombstones that failed are written again. */
static void on_redis_event(redis_client_t *client, redis_event_t event, void *user_data)
{
    (void)client;
    session_store_t *store = user_data;
    if (event != REDIS_EVENT_UP || store->unsent_count == 0)
        return;
    log_info("writing revoked sessions' keys that failed earlier", "count",
             json_integer((json_int_t)store->unsent_count), NULL);
    replay_unsent(store);
}

static void on_retry(uv_timer_t *timer)
{
    session_store_t *store = timer->data;
    if (store->unsent_count == 0) {
        uv_timer_stop(timer);
        return;
    }
    /* While down, the reconnection's event replays them. */
    if (redis_client_state(store->redis) == REDIS_STATE_UP)
        replay_unsent(store);
}

/* ---- create ------------------------------------------------------------ */

static const db_stmt_t stmt_create = {
    .name = "session_create",
    .sql = "INSERT INTO sessions (user_id, refresh_token_hash, expires_at, user_agent, ip, "
           "origin_token_id) "
           "VALUES ($1, decode($2, 'hex'), now() + make_interval(secs => $3::int), "
           "left($4, 512), $5::inet, $6) RETURNING id",
    .param_count = 6,
};

static void on_created(db_result_t *res, void *user_data)
{
    op_t *op = user_data;
    int err = db_result_error(res);
    int64_t id = 0;
    if (err == 0 && db_result_int64(res, 0, 0, &id) != 0)
        err = DB_E_QUERY;
    if (err == 0)
        redis_remember(op->store, id, op->user_id, op->ttl_ms, false);
    op->cb.created(err, id, op->user_data);
    free(op);
}

int session_create(session_store_t *store, int64_t user_id,
                   const unsigned char hash[SESSION_HASH_BYTES], int ttl_s, const char *user_agent,
                   const char *ip, const char *origin_token_id, session_created_cb cb,
                   void *user_data)
{
    char uid[24], hash_hex[SESSION_HASH_BYTES * 2 + 1], ttl[16];
    snprintf(uid, sizeof(uid), "%lld", (long long)user_id);
    hex(hash, hash_hex);
    snprintf(ttl, sizeof(ttl), "%d", ttl_s);
    const char *params[] = {uid, hash_hex, ttl, user_agent, ip, origin_token_id};
    op_t *op = op_new(store, user_data);
    op->cb.created = cb;
    op->user_id = user_id;
    op->ttl_ms = (int64_t)ttl_s * 1000;
    int rc = db_query(store->db, &stmt_create, params, NULL, 6, DB_WRITE, user_id, on_created, op);
    if (rc != 0)
        free(op);
    return rc;
}

/* ---- get --------------------------------------------------------------- */

static const db_stmt_t stmt_get = {
    .name = "session_get",
    .sql = "SELECT user_id, generation, encode(refresh_token_hash, 'hex'), "
           "encode(previous_token_hash, 'hex'), "
           "coalesce(floor(extract(epoch FROM rotated_at))::bigint, 0), "
           "coalesce(floor(extract(epoch FROM clock_timestamp() - rotated_at) * 1000)::bigint, 0), "
           "revoked_at IS NOT NULL, expires_at <= now() "
           "FROM sessions WHERE id = $1",
    .param_count = 1,
};

static void on_get(db_result_t *res, void *user_data)
{
    op_t *op = user_data;
    int err = db_result_error(res);
    session_record_t rec;
    memset(&rec, 0, sizeof(rec));
    const session_record_t *out = NULL;
    if (err == 0 && db_result_rows(res) == 1) {
        int64_t generation;
        rec.id = op->session_id;
        if (db_result_int64(res, 0, 0, &rec.user_id) != 0 ||
            db_result_int64(res, 0, 1, &generation) != 0 || generation < 0 ||
            unhex(db_result_value(res, 0, 2, NULL), rec.hash) != 0 ||
            db_result_int64(res, 0, 4, &rec.rotated_at_s) != 0 ||
            db_result_int64(res, 0, 5, &rec.rotated_age_ms) != 0 ||
            db_result_bool(res, 0, 6, &rec.revoked) != 0 ||
            db_result_bool(res, 0, 7, &rec.expired) != 0) {
            err = DB_E_QUERY;
        } else {
            rec.generation = (uint32_t)generation;
            rec.has_previous = !db_result_is_null(res, 0, 3) &&
                               unhex(db_result_value(res, 0, 3, NULL), rec.previous_hash) == 0;
            out = &rec;
        }
    }
    op->cb.get(err, err == 0 ? out : NULL, op->user_data);
    free(op);
}

int session_get(session_store_t *store, int64_t session_id, session_get_cb cb, void *user_data)
{
    char sid[24];
    snprintf(sid, sizeof(sid), "%lld", (long long)session_id);
    const char *params[] = {sid};
    op_t *op = op_new(store, user_data);
    op->cb.get = cb;
    op->session_id = session_id;
    /* A refresh must see the latest rotation: the primary. */
    int rc = db_query(store->db, &stmt_get, params, NULL, 1, DB_WRITE, 0, on_get, op);
    if (rc != 0)
        free(op);
    return rc;
}

/* ---- rotate ------------------------------------------------------------ */

static const db_stmt_t stmt_rotate = {
    .name = "session_rotate",
    .sql = "UPDATE sessions SET previous_token_hash = refresh_token_hash, "
           "refresh_token_hash = decode($3, 'hex'), generation = generation + 1, "
           "rotated_at = now(), last_used_at = now() "
           "WHERE id = $1 AND generation = $2 AND revoked_at IS NULL AND expires_at > now() "
           "RETURNING floor(extract(epoch FROM rotated_at))::bigint",
    .param_count = 3,
};

static void on_rotated(db_result_t *res, void *user_data)
{
    op_t *op = user_data;
    int err = db_result_error(res);
    int64_t rotated_at = 0;
    bool rotated =
        err == 0 && db_result_rows(res) == 1 && db_result_int64(res, 0, 0, &rotated_at) == 0;
    op->cb.rotated(err, rotated, rotated_at, op->user_data);
    free(op);
}

int session_rotate(session_store_t *store, int64_t session_id, int64_t user_id, uint32_t generation,
                   const unsigned char new_hash[SESSION_HASH_BYTES], session_rotated_cb cb,
                   void *user_data)
{
    char sid[24], gen[16], hash_hex[SESSION_HASH_BYTES * 2 + 1];
    snprintf(sid, sizeof(sid), "%lld", (long long)session_id);
    snprintf(gen, sizeof(gen), "%u", (unsigned)generation);
    hex(new_hash, hash_hex);
    const char *params[] = {sid, gen, hash_hex};
    op_t *op = op_new(store, user_data);
    op->cb.rotated = cb;
    int rc = db_query(store->db, &stmt_rotate, params, NULL, 3, DB_WRITE, user_id, on_rotated, op);
    if (rc != 0)
        free(op);
    return rc;
}

/* ---- check ------------------------------------------------------------- */

static const db_stmt_t stmt_check = {
    .name = "session_check",
    .sql = "SELECT floor(extract(epoch FROM expires_at - now()) * 1000)::bigint FROM sessions "
           "WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now()",
    .param_count = 2,
};

static void on_checked_table(db_result_t *res, void *user_data)
{
    op_t *op = user_data;
    int err = db_result_error(res);
    int64_t ttl_ms = 0;
    bool live = err == 0 && db_result_rows(res) == 1 && db_result_int64(res, 0, 0, &ttl_ms) == 0;
    if (live)
        redis_remember(op->store, op->session_id, op->user_id, ttl_ms, true);
    op->cb.check(err, live, op->user_data);
    free(op);
}

/* Asks the table whether op's session is live; on_checked_table answers.
 * Returns db_query's refusal (then nothing will call back). */
static int query_table(op_t *op)
{
    char sid[24], uid[24];
    snprintf(sid, sizeof(sid), "%lld", (long long)op->session_id);
    snprintf(uid, sizeof(uid), "%lld", (long long)op->user_id);
    const char *params[] = {sid, uid};
    /* Revocation must be seen at once: never the replica. */
    return db_query(op->store->db, &stmt_check, params, NULL, 2, DB_WRITE, 0, on_checked_table, op);
}

static void on_checked_redis(int status, const redis_reply_t *reply, void *user_data)
{
    op_t *op = user_data;
    if (status == 0 && reply->type == REDIS_REPLY_STRING) {
        char expected[24];
        int n = snprintf(expected, sizeof(expected), "%lld", (long long)op->user_id);
        bool live = reply->len == (size_t)n && memcmp(reply->str, expected, (size_t)n) == 0;
        op->cb.check(0, live, op->user_data);
        free(op);
        return;
    }
    /* Missing key or Redis trouble: the table decides. */
    int rc = query_table(op);
    if (rc != 0) {
        op->cb.check(rc, false, op->user_data);
        free(op);
    }
}

int session_check(session_store_t *store, int64_t session_id, int64_t user_id, session_check_cb cb,
                  void *user_data)
{
    op_t *op = op_new(store, user_data);
    op->cb.check = cb;
    op->session_id = session_id;
    op->user_id = user_id;
    if (store->redis != NULL && redis_client_state(store->redis) == REDIS_STATE_UP) {
        char key[64];
        session_key(session_id, key, sizeof(key));
        const char *argv[] = {"GET", key};
        if (redis_command_argv(store->redis, 2, argv, NULL, on_checked_redis, op) == 0)
            return 0;
    }
    int rc = query_table(op);
    if (rc != 0)
        free(op);
    return rc;
}

/* ---- stateless tokens' era --------------------------------------------- */

static const db_stmt_t stmt_check_era = {
    .name = "session_check_era",
    .sql = "SELECT 1 FROM users WHERE id = $1 AND (sessions_revoked_before IS NULL OR "
           "to_timestamp($2::bigint) > sessions_revoked_before)",
    .param_count = 2,
};

static void on_era_checked(db_result_t *res, void *user_data)
{
    op_t *op = user_data;
    int err = db_result_error(res);
    op->cb.check(err, err == 0 && db_result_rows(res) == 1, op->user_data);
    free(op);
}

int session_check_era(session_store_t *store, int64_t user_id, int64_t issued_at_s,
                      session_check_cb cb, void *user_data)
{
    char uid[24], iat[24];
    snprintf(uid, sizeof(uid), "%lld", (long long)user_id);
    snprintf(iat, sizeof(iat), "%lld", (long long)issued_at_s);
    const char *params[] = {uid, iat};
    op_t *op = op_new(store, user_data);
    op->cb.check = cb;
    int rc = db_query(store->db, &stmt_check_era, params, NULL, 2, DB_WRITE, 0, on_era_checked, op);
    if (rc != 0)
        free(op);
    return rc;
}

/* ---- revoke ------------------------------------------------------------ */

static const db_stmt_t stmt_revoke = {
    .name = "session_revoke",
    .sql = "UPDATE sessions SET revoked_at = now(), revoked_reason = $3 "
           "WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now() "
           "RETURNING id",
    .param_count = 3,
};

static const db_stmt_t stmt_revoke_all = {
    .name = "session_revoke_all",
    .sql = "WITH era AS (UPDATE users SET sessions_revoked_before = now() WHERE id = $1) "
           "UPDATE sessions SET revoked_at = now(), revoked_reason = $2 "
           "WHERE user_id = $1 AND revoked_at IS NULL RETURNING id",
    .param_count = 2,
};

static void on_revoked(db_result_t *res, void *user_data)
{
    op_t *op = user_data;
    int err = db_result_error(res);
    if (err != 0) {
        op->cb.revoked(err, 0, op->user_data);
        free(op);
        return;
    }
    redis_forget(op, res);
}

int session_revoke(session_store_t *store, int64_t session_id, int64_t user_id, const char *reason,
                   session_revoked_cb cb, void *user_data)
{
    char sid[24], uid[24];
    snprintf(sid, sizeof(sid), "%lld", (long long)session_id);
    snprintf(uid, sizeof(uid), "%lld", (long long)user_id);
    const char *params[] = {sid, uid, reason};
    op_t *op = op_new(store, user_data);
    op->cb.revoked = cb;
    op->user_id = user_id;
    int rc = db_query(store->db, &stmt_revoke, params, NULL, 3, DB_WRITE, user_id, on_revoked, op);
    if (rc != 0)
        free(op);
    return rc;
}

int session_revoke_all(session_store_t *store, int64_t user_id, const char *reason,
                       session_revoked_cb cb, void *user_data)
{
    char uid[24];
    snprintf(uid, sizeof(uid), "%lld", (long long)user_id);
    const char *params[] = {uid, reason};
    op_t *op = op_new(store, user_data);
    op->cb.revoked = cb;
    op->user_id = user_id;
    int rc =
        db_query(store->db, &stmt_revoke_all, params, NULL, 2, DB_WRITE, user_id, on_revoked, op);
    if (rc != 0)
        free(op);
    return rc;
}

/* ---- list -------------------------------------------------------------- */

static const db_stmt_t stmt_list = {
    .name = "session_list",
    .sql = "SELECT json_build_object('items', coalesce(json_agg(json_build_object("
           "'id', id, 'created_at', rfc3339(created_at), 'last_used_at', rfc3339(last_used_at), "
           "'user_agent', user_agent, 'ip', host(ip), 'current', id = $2) "
           "ORDER BY last_used_at DESC, id DESC), '[]'::json)) "
           "FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()",
    .param_count = 2,
};

static void on_listed(db_result_t *res, void *user_data)
{
    op_t *op = user_data;
    int err = db_result_error(res);
    size_t len = 0;
    const char *json = err == 0 ? db_result_value(res, 0, 0, &len) : NULL;
    if (err == 0 && json == NULL)
        err = DB_E_QUERY;
    op->cb.list(err, json, len, op->user_data);
    free(op);
}

int session_list(session_store_t *store, int64_t user_id, int64_t current_session_id,
                 session_list_cb cb, void *user_data)
{
    char uid[24], sid[24];
    snprintf(uid, sizeof(uid), "%lld", (long long)user_id);
    snprintf(sid, sizeof(sid), "%lld", (long long)current_session_id);
    const char *params[] = {uid, sid};
    op_t *op = op_new(store, user_data);
    op->cb.list = cb;
    int rc = db_query(store->db, &stmt_list, params, NULL, 2, DB_WRITE, user_id, on_listed, op);
    if (rc != 0)
        free(op);
    return rc;
}

/* ---- touch ------------------------------------------------------------- */

static const db_stmt_t stmt_touch = {
    .name = "session_touch",
    .sql = "UPDATE sessions SET last_used_at = now() WHERE id = $1 AND revoked_at IS NULL",
    .param_count = 1,
};

static void on_touched(db_result_t *res, void *user_data)
{
    (void)user_data;
    int err = db_result_error(res);
    if (err != 0)
        log_warn("session last_used_at not written", "error", json_string(db_error_name(err)),
                 NULL);
}

void session_touch(session_store_t *store, int64_t session_id)
{
    uint64_t now = clock_now_ms();
    touch_slot_t *slot = &store->touched[(uint64_t)session_id % TOUCH_SLOTS];
    if (slot->session_id == session_id && now - slot->written_ms < TOUCH_INTERVAL_MS)
        return;
    slot->session_id = session_id;
    slot->written_ms = now;
    char sid[24];
    snprintf(sid, sizeof(sid), "%lld", (long long)session_id);
    const char *params[] = {sid};
    int rc = db_query(store->db, &stmt_touch, params, NULL, 1, DB_WRITE, 0, on_touched, NULL);
    if (rc != 0)
        log_warn("session last_used_at not written", "error", json_string(db_error_name(rc)), NULL);
}
