/* The session manager: issues token pairs, refreshes them, authenticates
 * requests and revokes sessions, in the mode SESSION_STORE names.
 *
 *   stateless  no server state. The refresh token is itself a signed JWT
 *              (typ "refresh"); a refresh returns a new pair and the old
 *              refresh token stays valid until it expires. Revocation is not
 *              possible (the API answers 501).
 *   db, redis  a session row per login (store/session.h). Refresh tokens are
 *              opaque and rotate (auth/refresh.h); within REFRESH_GRACE_S the
 *              just-rotated token yields the same new pair again, after that
 *              presenting it is reuse and revokes the login. Every
 *              authenticated request checks that its session is live.
 *
 * Crossing modes logs nobody out: in db/redis mode a still-valid stateless
 * refresh token is exchanged for a new session, and stateless access tokens
 * (sid 0) are accepted until they expire (at most ACCESS_TOKEN_TTL_S).
 *
 * Every call with a callback returns 0 and calls back exactly once, later (or
 * at once for pure work), or returns -1 and never calls back (the caller
 * answers 503). Callbacks report ok, or the API error to answer. */
#ifndef RURAL24_AUTH_SESSIONS_H
#define RURAL24_AUTH_SESSIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core/config.h"
#include "core/errors.h"
#include "db/db.h"
#include "redis/redis.h"
#include "store/session.h"

typedef struct auth_s auth_t;

/* Creates the manager for cfg->session_store (after the REDIS_ENABLED rule).
 * db is required for db/redis modes; redis for redis mode (else NULL). All
 * borrowed. Never NULL; free with auth_free(). */
auth_t *auth_new(uv_loop_t *loop, const config_t *cfg, db_t *db, redis_client_t *redis);
/* Lets go of the Redis client (before it closes): see session_store_close(). */
void auth_close(auth_t *auth);
void auth_free(auth_t *auth);

/* False in stateless mode: revocation, listing and deletion are 501. */
bool auth_has_sessions(const auth_t *auth);

typedef struct {
    int64_t user_id;
    int64_t session_id; /* 0 in stateless mode */
    char *access_token; /* owned by the pair's producer; valid during the callback */
    char *refresh_token;
    int expires_in_s; /* of the access token */
} auth_pair_t;

/* pair is NULL when !ok; err says what to answer then. */
typedef void (*auth_pair_cb)(bool ok, api_error_t err, const auth_pair_t *pair, void *user_data);

/* Starts a session for user_id (login, register) and issues its first pair.
 * user_agent and ip may be NULL. */
int auth_start_session(auth_t *auth, int64_t user_id, const char *user_agent, const char *ip,
                       auth_pair_cb cb, void *user_data);

/* Exchanges a refresh token for a new pair (see the file comment). */
int auth_refresh(auth_t *auth, const char *refresh_token, const char *user_agent, const char *ip,
                 auth_pair_cb cb, void *user_data);

typedef struct {
    int64_t user_id;
    int64_t session_id;
} auth_identity_t;

typedef void (*auth_identity_cb)(bool ok, api_error_t err, const auth_identity_t *identity,
                                 void *user_data);

/* Authenticates an access token: signature, algorithm, issuer, expiry
 * (token_expired) and, with sessions, that its session is live
 * (token_revoked). Records the session's use (last_used_at, at most once a
 * minute). */
int auth_authenticate(auth_t *auth, const char *access_token, auth_identity_cb cb, void *user_data);

typedef void (*auth_done_cb)(bool ok, api_error_t err, void *user_data);

/* Told of every revocation this instance makes (logout, logout-all, a
 * session deleted, refresh-token reuse): session_id 0 means every session of
 * the user. The WebSocket hub closes the connections they held. */
typedef void (*auth_revoked_fn)(int64_t user_id, int64_t session_id, void *user_data);

/* Sets the one revocation listener (NULL: none). */
void auth_on_revoke(auth_t *auth, auth_revoked_fn fn, void *user_data);

/* Revokes session_id of user_id. NOT_FOUND when it is not a live session of
 * that user. Stateless: ok, nothing to do. */
int auth_revoke(auth_t *auth, int64_t user_id, int64_t session_id, const char *reason,
                auth_done_cb cb, void *user_data);

/* Revokes every session of user_id. */
int auth_revoke_all(auth_t *auth, int64_t user_id, auth_done_cb cb, void *user_data);

/* Revokes the session a refresh token belongs to, if it is genuine (logout
 * with only a refresh token). ok also when it was not. */
int auth_revoke_refresh(auth_t *auth, const char *refresh_token, auth_done_cb cb, void *user_data);

/* Lists the live sessions of user_id ({"items":[...]}, valid during cb). */
typedef void (*auth_list_cb)(bool ok, api_error_t err, const char *json, size_t len,
                             void *user_data);
int auth_list_sessions(auth_t *auth, int64_t user_id, int64_t current_session_id, auth_list_cb cb,
                       void *user_data);

#endif
