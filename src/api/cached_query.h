/* A public answer (the same bytes for everyone: a search page, the featured
 * list) kept in the cache for a few seconds and loaded by one statement
 * through cache_fetch(): concurrent misses of one key run the statement once
 * and share its page, and a page just past its TTL is answered at once while
 * one refresh runs (docs/STORES.md "Single flight and stale-while-revalidate").
 *
 * A load may outlive the request that started it (a stale page goes out while
 * the refresh runs), so it owns a copy of what it needs: the statement is
 * built into the load's own arena, and the parameters and render's argument
 * are copied there. */
#ifndef RURAL24_API_CACHED_QUERY_H
#define RURAL24_API_CACHED_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "api/app.h"
#include "core/arena.h"
#include "db/db.h"
#include "http/request.h"

/* What a load runs: a statement (static, or built into the load's arena),
 * its text parameters (NULL is SQL NULL; copied), and a string for render
 * (NULL or copied). */
typedef struct {
    const db_stmt_t *stmt;
    const char *const *params;
    int nparams;
    const char *render_arg;
} api_load_statement_t;

typedef struct {
    const char *ns;  /* the cache namespace, bumped by the writes that change it */
    const char *key; /* at most CACHE_MAX_KEY_BYTES (hash longer keys) */
    size_t key_len;
    uint64_t ttl_ms;
    /* Fills out for build_data, building into arena (the load's). Called only
     * when a load runs, and always before the request that started it is
     * answered, so build_data may live in that request. */
    void (*build)(const void *build_data, arena_t *arena, api_load_statement_t *out);
    const void *build_data;
    /* The answer's bytes from the statement's result: a malloc'd buffer of
     * *len bytes the caller takes, or NULL (the waiters get 500). arena is
     * the load's, for scratch. */
    char *(*render)(app_t *app, arena_t *arena, const char *render_arg, db_result_t *res,
                    size_t *len);
} api_cached_query_t;

/* Answers req with 200 and the cached or loaded bytes (application/json), or
 * with the error a failed load met (503 when the database refused). *query is
 * copied (the key too); build_data must live as long as req. */
void api_cached_query_answer(http_request_t *req, const api_cached_query_t *query);

#endif
