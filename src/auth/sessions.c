/* The session manager (sessions.h). The refresh decision — rotate, replay
 * within the grace window, or treat as reuse — lives in decide_refresh(); the
 * rest is plumbing between the token code and the session store. */
#include "auth/sessions.h"
#include "auth/refresh.h"
#include "auth/token.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct auth_s {
    uv_loop_t *loop;
    const config_t *cfg;
    session_store_t *store; /* NULL in stateless mode */
    unsigned char refresh_key[32];
    auth_revoked_fn on_revoked; /* auth_on_revoke() */
    void *on_revoked_data;
};

void auth_on_revoke(auth_t *auth, auth_revoked_fn fn, void *user_data)
{
    auth->on_revoked = fn;
    auth->on_revoked_data = user_data;
}

/* Tells the listener that user_id's session_id (0: every session) ended. */
static void announce_revoked(auth_t *auth, int64_t user_id, int64_t session_id)
{
    if (auth->on_revoked != NULL)
        auth->on_revoked(user_id, session_id, auth->on_revoked_data);
}

typedef struct {
    auth_t *auth;
    void *user_data;
    union {
        auth_pair_cb pair;
        auth_identity_cb identity;
        auth_done_cb done;
        auth_list_cb list;
    } cb;
    auth_refresh_t presented; /* the refresh token being exchanged */
    auth_refresh_t next;
    int64_t user_id;
    int64_t session_id;
    int retries;
    char origin_token_id[33]; /* a stateless refresh token being exchanged */
    char *user_agent;         /* copies kept across the era check */
    char *ip;
} op_t;

static op_t *op_new(auth_t *auth, void *user_data)
{
    op_t *op = xcalloc(1, sizeof(*op));
    op->auth = auth;
    op->user_data = user_data;
    return op;
}

static void op_free(op_t *op)
{
    free(op->user_agent);
    free(op->ip);
    sodium_memzero(op, sizeof(*op));
    free(op);
}

/* The precise wall clock, not time(NULL): that one is the kernel's coarse
 * clock, up to a tick behind, so just after a second begins it could still
 * say the previous one while PostgreSQL's clock (a rotation's iat) says the
 * new one, and a pair would claim 901 s of life for a 900 s token. */
static int64_t now_s(void)
{
    return clock_wall_ms() / 1000;
}

auth_t *auth_new(uv_loop_t *loop, const config_t *cfg, db_t *db, redis_client_t *redis)
{
    auth_t *auth = xcalloc(1, sizeof(*auth));
    auth->loop = loop;
    auth->cfg = cfg;
    if (cfg->session_store != SESSION_STATELESS && db != NULL)
        auth->store = session_store_new(
            loop, db, cfg->session_store == SESSION_REDIS ? redis : NULL, cfg->refresh_token_ttl_s);
    auth_refresh_key(cfg->jwt_secret, auth->refresh_key);
    return auth;
}

void auth_close(auth_t *auth)
{
    if (auth != NULL)
        session_store_close(auth->store);
}

void auth_free(auth_t *auth)
{
    if (auth == NULL)
        return;
    session_store_free(auth->store);
    sodium_memzero(auth->refresh_key, sizeof(auth->refresh_key));
    free(auth);
}

bool auth_has_sessions(const auth_t *auth)
{
    return auth->store != NULL;
}

/* ---- issuing ----------------------------------------------------------- */

/* Signs an access token. With a token id seed, the token is a pure function
 * of (user, session, iat, seed): the grace window relies on that to hand out
 * the same pair twice. */
static char *sign_access(auth_t *auth, int64_t user_id, int64_t session_id, int64_t iat,
                         const unsigned char *jti_seed)
{
    auth_claims_t claims = {
        .user_id = user_id,
        .session_id = session_id,
        .issued_at_s = iat,
        .expires_at_s = iat + auth->cfg->access_token_ttl_s,
        .type = AUTH_TOKEN_ACCESS,
    };
    if (jti_seed != NULL) {
        unsigned char jti[16];
        crypto_generichash(jti, sizeof(jti), jti_seed, AUTH_REFRESH_SECRET_BYTES, auth->refresh_key,
                           sizeof(auth->refresh_key));
        sodium_bin2hex(claims.token_id, sizeof(claims.token_id), jti, sizeof(jti));
    }
    char *token = NULL;
    if (auth_token_sign(auth->cfg->jwt_secret, &claims, &token) != 0)
        return NULL;
    return token;
}

/* Calls back with a pair for a rotating refresh token at generation rt. */
static void deliver_session_pair(op_t *op, const auth_refresh_t *rt, int64_t iat)
{
    auth_t *auth = op->auth;
    char refresh[AUTH_REFRESH_TOKEN_MAX];
    auth_refresh_format(rt, refresh);
    char *access = sign_access(auth, op->user_id, rt->session_id, iat, rt->secret);
    if (access == NULL) {
        op->cb.pair(false, API_ERR_INTERNAL, NULL, op->user_data);
        return;
    }
    int64_t ttl = auth->cfg->access_token_ttl_s;
    int64_t left = iat + ttl - now_s();
    if (left > ttl)
        left = ttl; /* iat a moment ahead of this clock: never more than a token's life */
    auth_pair_t pair = {
        .user_id = op->user_id,
        .session_id = rt->session_id,
        .access_token = access,
        .refresh_token = refresh,
        .expires_in_s = left > 0 ? (int)left : 1,
    };
    op->cb.pair(true, API_ERR_INTERNAL, &pair, op->user_data);
    free(access);
    sodium_memzero(refresh, sizeof(refresh));
}

static void deliver_stateless_pair(auth_t *auth, int64_t user_id, auth_pair_cb cb, void *user_data)
{
    int64_t iat = now_s();
    char *access = sign_access(auth, user_id, 0, iat, NULL);
    auth_claims_t claims = {
        .user_id = user_id,
        .issued_at_s = iat,
        .expires_at_s = iat + auth->cfg->refresh_token_ttl_s,
        .type = AUTH_TOKEN_REFRESH,
    };
    char *refresh = NULL;
    if (access == NULL || auth_token_sign(auth->cfg->jwt_secret, &claims, &refresh) != 0) {
        free(access);
        cb(false, API_ERR_INTERNAL, NULL, user_data);
        return;
    }
    auth_pair_t pair = {
        .user_id = user_id,
        .access_token = access,
        .refresh_token = refresh,
        .expires_in_s = auth->cfg->access_token_ttl_s,
    };
    cb(true, API_ERR_INTERNAL, &pair, user_data);
    free(access);
    free(refresh);
}

static void on_session_created(int err, int64_t session_id, void *user_data)
{
    op_t *op = user_data;
    if (err == DB_E_CONSTRAINT && op->origin_token_id[0] != '\0') {
        /* This stateless refresh token was exchanged already. */
        op->cb.pair(false, API_ERR_UNAUTHORIZED, NULL, op->user_data);
        op_free(op);
        return;
    }
    if (err != 0) {
        log_error("session not created", "error", json_string(db_error_name(err)), NULL);
        op->cb.pair(false, db_error_api(err), NULL, op->user_data);
        op_free(op);
        return;
    }
    op->next.session_id = session_id;
    deliver_session_pair(op, &op->next, now_s());
    op_free(op);
}

/* Creates the session row for op (user_id, origin_token_id set). */
static int create_session(op_t *op, const char *user_agent, const char *ip)
{
    auth_t *auth = op->auth;
    auth_refresh_new(&op->next);
    unsigned char hash[AUTH_REFRESH_HASH_BYTES];
    auth_refresh_hash(&op->next, hash);
    int rc = session_create(auth->store, op->user_id, hash, auth->cfg->refresh_token_ttl_s,
                            user_agent, ip, op->origin_token_id[0] ? op->origin_token_id : NULL,
                            on_session_created, op);
    return rc != 0 ? -1 : 0;
}

int auth_start_session(auth_t *auth, int64_t user_id, const char *user_agent, const char *ip,
                       auth_pair_cb cb, void *user_data)
{
    if (auth->store == NULL) {
        deliver_stateless_pair(auth, user_id, cb, user_data);
        return 0;
    }
    op_t *op = op_new(auth, user_data);
    op->cb.pair = cb;
    op->user_id = user_id;
    if (create_session(op, user_agent, ip) != 0) {
        op_free(op);
        return -1;
    }
    return 0;
}

/* A stateless refresh token presented once sessions are on: if no logout-all
 * came after it, it is exchanged (once) for a session of its own. */
static void on_exchange_era(int err, bool live, void *user_data)
{
    op_t *op = user_data;
    if (err != 0 || !live) {
        op->cb.pair(false, err != 0 ? db_error_api(err) : API_ERR_TOKEN_REVOKED, NULL,
                    op->user_data);
        op_free(op);
        return;
    }
    if (create_session(op, op->user_agent, op->ip) != 0) {
        op->cb.pair(false, API_ERR_UNAVAILABLE, NULL, op->user_data);
        op_free(op);
    }
}

/* ---- refreshing -------------------------------------------------------- */

static void decide_refresh(op_t *op, const session_record_t *rec);
static void on_refresh_record(int err, const session_record_t *rec, void *user_data);

static void on_reuse_revoked(int err, int64_t count, void *user_data)
{
    op_t *op = user_data;
    (void)count;
    if (err != 0) {
        op->cb.pair(false, db_error_api(err), NULL, op->user_data);
    } else {
        log_warn("refresh token reuse: login revoked", "session_id", json_integer(op->session_id),
                 "user_id", json_integer(op->user_id), NULL);
        announce_revoked(op->auth, op->user_id, op->session_id);
        op->cb.pair(false, API_ERR_TOKEN_REVOKED, NULL, op->user_data);
    }
    op_free(op);
}

static void treat_as_reuse(op_t *op)
{
    if (session_revoke(op->auth->store, op->session_id, op->user_id, "reuse", on_reuse_revoked,
                       op) != 0) {
        op->cb.pair(false, API_ERR_UNAVAILABLE, NULL, op->user_data);
        op_free(op);
    }
}

static void on_rotated(int err, bool rotated, int64_t rotated_at_s, void *user_data)
{
    op_t *op = user_data;
    if (err != 0) {
        op->cb.pair(false, db_error_api(err), NULL, op->user_data);
        op_free(op);
        return;
    }
    if (rotated) {
        deliver_session_pair(op, &op->next, rotated_at_s);
        op_free(op);
        return;
    }
    /* Another refresh of the same token won the race (two tabs): read the row
     * again, and the grace rule answers with the pair it made. */
    if (++op->retries > 2 ||
        session_get(op->auth->store, op->session_id, on_refresh_record, op) != 0) {
        op->cb.pair(false, API_ERR_UNAVAILABLE, NULL, op->user_data);
        op_free(op);
    }
}

static void decide_refresh(op_t *op, const session_record_t *rec)
{
    auth_t *auth = op->auth;
    const auth_refresh_t *p = &op->presented;
    if (rec == NULL) {
        op->cb.pair(false, API_ERR_UNAUTHORIZED, NULL, op->user_data);
        op_free(op);
        return;
    }
    op->user_id = rec->user_id;
    if (rec->revoked || rec->expired) {
        op->cb.pair(false, rec->revoked ? API_ERR_TOKEN_REVOKED : API_ERR_TOKEN_EXPIRED, NULL,
                    op->user_data);
        op_free(op);
        return;
    }
    unsigned char hash[AUTH_REFRESH_HASH_BYTES];
    auth_refresh_hash(p, hash);

    if (p->generation == rec->generation && sodium_memcmp(hash, rec->hash, sizeof(hash)) == 0) {
        /* The current token: rotate (compare-and-set on the generation). */
        auth_refresh_next(auth->refresh_key, p, &op->next);
        unsigned char next_hash[AUTH_REFRESH_HASH_BYTES];
        auth_refresh_hash(&op->next, next_hash);
        if (session_rotate(auth->store, rec->id, rec->user_id, rec->generation, next_hash,
                           on_rotated, op) != 0) {
            op->cb.pair(false, API_ERR_UNAVAILABLE, NULL, op->user_data);
            op_free(op);
        }
        return;
    }
    if (p->generation + 1 == rec->generation && rec->has_previous &&
        sodium_memcmp(hash, rec->previous_hash, sizeof(hash)) == 0) {
        /* The token just rotated away. Within the grace window it yields the
         * very pair the rotation made; after it, presenting it is reuse. */
        auth_refresh_next(auth->refresh_key, p, &op->next);
        unsigned char next_hash[AUTH_REFRESH_HASH_BYTES];
        auth_refresh_hash(&op->next, next_hash);
        bool in_grace = rec->rotated_age_ms <= (int64_t)auth->cfg->refresh_grace_s * 1000;
        if (in_grace && sodium_memcmp(next_hash, rec->hash, sizeof(next_hash)) == 0) {
            deliver_session_pair(op, &op->next, rec->rotated_at_s);
            op_free(op);
            return;
        }
        treat_as_reuse(op);
        return;
    }
    if (p->generation < rec->generation &&
        auth_refresh_leads_to(auth->refresh_key, p, rec->generation, rec->hash)) {
        /* A genuine token of an older generation: stolen or replayed. */
        treat_as_reuse(op);
        return;
    }
    op->cb.pair(false, API_ERR_UNAUTHORIZED, NULL, op->user_data);
    op_free(op);
}

static void on_refresh_record(int err, const session_record_t *rec, void *user_data)
{
    op_t *op = user_data;
    if (err != 0) {
        op->cb.pair(false, db_error_api(err), NULL, op->user_data);
        op_free(op);
        return;
    }
    decide_refresh(op, rec);
}

int auth_refresh(auth_t *auth, const char *refresh_token, const char *user_agent, const char *ip,
                 auth_pair_cb cb, void *user_data)
{
    if (strncmp(refresh_token, "rt1.", 4) == 0) {
        op_t *op = op_new(auth, user_data);
        op->cb.pair = cb;
        if (auth->store == NULL || auth_refresh_parse(refresh_token, &op->presented) != 0) {
            /* Stateless mode cannot check a session token: that login ended
             * with the rollback. */
            op_free(op);
            cb(false, API_ERR_UNAUTHORIZED, NULL, user_data);
            return 0;
        }
        op->session_id = op->presented.session_id;
        if (session_get(auth->store, op->session_id, on_refresh_record, op) != 0) {
            op_free(op);
            return -1;
        }
        return 0;
    }
    auth_claims_t claims;
    int v = auth_token_verify(auth->cfg->jwt_secret, refresh_token, AUTH_TOKEN_REFRESH, now_s(),
                              &claims);
    if (v != AUTH_TOKEN_OK) {
        cb(false, v == AUTH_TOKEN_EXPIRED ? API_ERR_TOKEN_EXPIRED : API_ERR_UNAUTHORIZED, NULL,
           user_data);
        return 0;
    }
    /* A stateless refresh token: a new stateless pair, or, once sessions are
     * on, a session of its own (the stage change logs nobody out). */
    if (auth->store == NULL) {
        deliver_stateless_pair(auth, claims.user_id, cb, user_data);
        return 0;
    }
    op_t *op = op_new(auth, user_data);
    op->cb.pair = cb;
    op->user_id = claims.user_id;
    snprintf(op->origin_token_id, sizeof(op->origin_token_id), "%s", claims.token_id);
    op->user_agent = user_agent ? xstrndup(user_agent, strnlen(user_agent, 512)) : NULL;
    op->ip = ip ? xstrdup(ip) : NULL;
    if (session_check_era(auth->store, claims.user_id, claims.issued_at_s, on_exchange_era, op) !=
        0) {
        op_free(op);
        return -1;
    }
    return 0;
}

/* ---- authenticating ---------------------------------------------------- */

static void on_session_checked(int err, bool live, void *user_data)
{
    op_t *op = user_data;
    if (err != 0) {
        op->cb.identity(false, db_error_api(err), NULL, op->user_data);
    } else if (!live) {
        op->cb.identity(false, API_ERR_TOKEN_REVOKED, NULL, op->user_data);
    } else {
        if (op->session_id != 0)
            session_touch(op->auth->store, op->session_id);
        auth_identity_t id = {.user_id = op->user_id, .session_id = op->session_id};
        op->cb.identity(true, API_ERR_INTERNAL, &id, op->user_data);
    }
    op_free(op);
}

int auth_authenticate(auth_t *auth, const char *access_token, auth_identity_cb cb, void *user_data)
{
    auth_claims_t claims;
    int v =
        auth_token_verify(auth->cfg->jwt_secret, access_token, AUTH_TOKEN_ACCESS, now_s(), &claims);
    if (v != AUTH_TOKEN_OK) {
        cb(false, v == AUTH_TOKEN_EXPIRED ? API_ERR_TOKEN_EXPIRED : API_ERR_UNAUTHORIZED, NULL,
           user_data);
        return 0;
    }
    if (auth->store == NULL) {
        auth_identity_t id = {.user_id = claims.user_id, .session_id = claims.session_id};
        cb(true, API_ERR_INTERNAL, &id, user_data);
        return 0;
    }
    op_t *op = op_new(auth, user_data);
    op->cb.identity = cb;
    op->user_id = claims.user_id;
    op->session_id = claims.session_id;
    /* A stateless token (sid 0) has no row: it is good unless a logout-all
     * came after it was issued. */
    int rc = claims.session_id == 0 ? session_check_era(auth->store, claims.user_id,
                                                        claims.issued_at_s, on_session_checked, op)
                                    : session_check(auth->store, claims.session_id, claims.user_id,
                                                    on_session_checked, op);
    if (rc != 0) {
        op_free(op);
        return -1;
    }
    return 0;
}

/* ---- revoking and listing ---------------------------------------------- */

static void on_revoked(int err, int64_t count, void *user_data)
{
    op_t *op = user_data;
    if (err != 0)
        op->cb.done(false, db_error_api(err), op->user_data);
    else if (count == 0 && op->session_id != 0)
        op->cb.done(false, API_ERR_NOT_FOUND, op->user_data);
    else {
        announce_revoked(op->auth, op->user_id, op->session_id);
        op->cb.done(true, API_ERR_INTERNAL, op->user_data);
    }
    op_free(op);
}

int auth_revoke(auth_t *auth, int64_t user_id, int64_t session_id, const char *reason,
                auth_done_cb cb, void *user_data)
{
    if (auth->store == NULL || session_id == 0) {
        cb(true, API_ERR_INTERNAL, user_data);
        return 0;
    }
    op_t *op = op_new(auth, user_data);
    op->cb.done = cb;
    op->session_id = session_id;
    op->user_id = user_id;
    if (session_revoke(auth->store, session_id, user_id, reason, on_revoked, op) != 0) {
        op_free(op);
        return -1;
    }
    return 0;
}

int auth_revoke_all(auth_t *auth, int64_t user_id, auth_done_cb cb, void *user_data)
{
    if (auth->store == NULL) {
        cb(false, API_ERR_NOT_SUPPORTED, user_data);
        return 0;
    }
    op_t *op = op_new(auth, user_data);
    op->cb.done = cb;
    op->user_id = user_id; /* session_id 0: every session */
    if (session_revoke_all(auth->store, user_id, "logout_all", on_revoked, op) != 0) {
        op_free(op);
        return -1;
    }
    return 0;
}

static void on_logout_revoked(int err, int64_t count, void *user_data)
{
    op_t *op = user_data;
    (void)count;
    if (err != 0) {
        op->cb.done(false, db_error_api(err), op->user_data);
    } else {
        announce_revoked(op->auth, op->user_id, op->session_id);
        op->cb.done(true, API_ERR_INTERNAL, op->user_data);
    }
    op_free(op);
}

static void on_logout_record(int err, const session_record_t *rec, void *user_data)
{
    op_t *op = user_data;
    if (err != 0) {
        op->cb.done(false, db_error_api(err), op->user_data);
        op_free(op);
        return;
    }
    /* Only a genuine token of this session may end it. */
    bool genuine =
        rec != NULL && !rec->revoked &&
        auth_refresh_leads_to(op->auth->refresh_key, &op->presented, rec->generation, rec->hash);
    if (!genuine) {
        op->cb.done(true, API_ERR_INTERNAL, op->user_data);
        op_free(op);
        return;
    }
    op->user_id = rec->user_id;
    op->session_id = rec->id;
    if (session_revoke(op->auth->store, rec->id, rec->user_id, "logout", on_logout_revoked, op) !=
        0) {
        op->cb.done(false, API_ERR_UNAVAILABLE, op->user_data);
        op_free(op);
    }
}

int auth_revoke_refresh(auth_t *auth, const char *refresh_token, auth_done_cb cb, void *user_data)
{
    op_t *op = op_new(auth, user_data);
    op->cb.done = cb;
    if (auth->store == NULL || auth_refresh_parse(refresh_token, &op->presented) != 0) {
        op_free(op);
        cb(true, API_ERR_INTERNAL, user_data);
        return 0;
    }
    if (session_get(auth->store, op->presented.session_id, on_logout_record, op) != 0) {
        op_free(op);
        return -1;
    }
    return 0;
}

static void on_listed(int err, const char *json, size_t len, void *user_data)
{
    op_t *op = user_data;
    if (err != 0)
        op->cb.list(false, db_error_api(err), NULL, 0, op->user_data);
    else
        op->cb.list(true, API_ERR_INTERNAL, json, len, op->user_data);
    op_free(op);
}

int auth_list_sessions(auth_t *auth, int64_t user_id, int64_t current_session_id, auth_list_cb cb,
                       void *user_data)
{
    if (auth->store == NULL) {
        cb(false, API_ERR_NOT_SUPPORTED, NULL, 0, user_data);
        return 0;
    }
    op_t *op = op_new(auth, user_data);
    op->cb.list = cb;
    if (session_list(auth->store, user_id, current_session_id, on_listed, op) != 0) {
        op_free(op);
        return -1;
    }
    return 0;
}
