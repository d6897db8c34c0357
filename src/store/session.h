/* The session store of the db and redis session modes (SESSION_STORE).
 *
 * The sessions table is the truth in both modes: rows are created, rotated and
 * revoked there. In redis mode the store also keeps one key per live session,
 * "rural24:session:<id>" = user id with the session's TTL, so that the check
 * made on every authenticated request costs one Redis round trip; a
 * revocation updates the table first, then overwrites the key with a
 * tombstone ("0") that lives as long as a session can, and calls back only
 * once Redis has answered that write, so the caller's next request, on any
 * instance, meets it. A tombstone that could not be written (this instance
 * lost Redis, a timeout, an error reply) is logged and written again when
 * the client reconnects or, while it is up, every second (the newest 4,096
 * kept); until then instances that reach Redis accept the session.
 * A key that is missing (Redis restarted, sessions made while Redis was off)
 * makes the check ask the table once and write the key back with NX, so it
 * can never overwrite a tombstone written by a revocation that raced it;
 * turning Redis on or off logs nobody out. While Redis is down, checks go to
 * the table.
 *
 * Every operation is asynchronous: it returns 0 and calls back exactly once,
 * later, or returns a negative error and never calls back. In callbacks, err
 * is 0 or a negative db_error_t (DB_E_UNAVAILABLE and friends). */
#ifndef RURAL24_STORE_SESSION_H
#define RURAL24_STORE_SESSION_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "db/db.h"
#include "redis/redis.h"

enum { SESSION_HASH_BYTES = 32 };

typedef struct session_store_s session_store_t;

/* A session row as the refresh logic needs it. */
typedef struct {
    int64_t id;
    int64_t user_id;
    uint32_t generation;
    unsigned char hash[SESSION_HASH_BYTES];          /* of the current refresh secret */
    unsigned char previous_hash[SESSION_HASH_BYTES]; /* valid when has_previous */
    bool has_previous;
    int64_t rotated_at_s;   /* when the current generation was made (0: never) */
    int64_t rotated_age_ms; /* how long ago, by the database's clock */
    bool revoked;
    bool expired;
} session_record_t;

/* Creates the store. redis may be NULL (db mode); both are borrowed and must
 * outlive the store. max_session_s is the longest a session lives
 * (REFRESH_TOKEN_TTL_S), how long tombstones are kept. Never NULL; free with
 * session_store_free(). */
session_store_t *session_store_new(uv_loop_t *loop, db_t *db, redis_client_t *redis,
                                   int max_session_s);

/* Stops listening to the Redis client (before it closes): tombstones that
 * failed are no longer kept for a replay. The store still works. */
void session_store_close(session_store_t *store);
void session_store_free(session_store_t *store);

/* The mode's name: "db" or "redis". */
const char *session_store_name(const session_store_t *store);

typedef void (*session_created_cb)(int err, int64_t session_id, void *user_data);

/* Inserts a session for user_id whose current refresh secret hashes to hash,
 * living ttl_s seconds. user_agent and ip may be NULL. origin_token_id, when
 * not NULL, is the id of the stateless refresh token this session replaces:
 * at most one session per such token (a second one fails with
 * DB_E_CONSTRAINT). */
int session_create(session_store_t *store, int64_t user_id,
                   const unsigned char hash[SESSION_HASH_BYTES], int ttl_s, const char *user_agent,
                   const char *ip, const char *origin_token_id, session_created_cb cb,
                   void *user_data);

typedef void (*session_get_cb)(int err, const session_record_t *record, void *user_data);

/* Reads a session (from the table). record is NULL when there is no such row;
 * it is valid only during the callback. */
int session_get(session_store_t *store, int64_t session_id, session_get_cb cb, void *user_data);

/* rotated: whether the row was still at `generation` (and live) and now holds
 * new_hash at generation + 1; rotated_at_s is the new rotation time. */
typedef void (*session_rotated_cb)(int err, bool rotated, int64_t rotated_at_s, void *user_data);

/* Compare-and-set rotation: generation -> generation + 1. */
int session_rotate(session_store_t *store, int64_t session_id, int64_t user_id, uint32_t generation,
                   const unsigned char new_hash[SESSION_HASH_BYTES], session_rotated_cb cb,
                   void *user_data);

typedef void (*session_check_cb)(int err, bool live, void *user_data);

/* Whether session_id is live and belongs to user_id: the per-request check. */
int session_check(session_store_t *store, int64_t session_id, int64_t user_id, session_check_cb cb,
                  void *user_data);

typedef void (*session_revoked_cb)(int err, int64_t revoked_count, void *user_data);

/* Revokes one live session of user_id (revoked_count 0 when there was none)
 * with reason ("logout", "deleted", "reuse", ...). */
int session_revoke(session_store_t *store, int64_t session_id, int64_t user_id, const char *reason,
                   session_revoked_cb cb, void *user_data);

/* Whether a token of user_id without a session (a stateless one, issued at
 * issued_at_s) is still good: the user exists and no logout-all came after
 * the token was issued. */
int session_check_era(session_store_t *store, int64_t user_id, int64_t issued_at_s,
                      session_check_cb cb, void *user_data);

/* Revokes every live session of user_id, and every stateless token issued
 * before now (users.sessions_revoked_before). */
int session_revoke_all(session_store_t *store, int64_t user_id, const char *reason,
                       session_revoked_cb cb, void *user_data);

/* list_json: {"items":[...]} as API.md's GET /api/auth/sessions, built by
 * PostgreSQL (len bytes; valid during the callback). */
typedef void (*session_list_cb)(int err, const char *list_json, size_t len, void *user_data);

int session_list(session_store_t *store, int64_t user_id, int64_t current_session_id,
                 session_list_cb cb, void *user_data);

/* Records that session_id was used now; writes last_used_at at most once a
 * minute per session (a bounded per-instance table remembers the last write).
 * Fire and forget: a failure is logged, never reported. */
void session_touch(session_store_t *store, int64_t session_id);

#endif
