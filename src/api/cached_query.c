/* Cached public answers loaded with single flight; see cached_query.h. */
#include "api/cached_query.h"
#include "api/reply.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "db/result.h"
#include "http/response.h"
#include "store/cache.h"

#include <stdlib.h>
#include <string.h>

/* A load's status when render gave nothing (not a DB_E_* code). */
enum { LOAD_E_RENDER = -1000 };

/* The first caller's request and its query: the loader_data of its fetch,
 * valid until that request is answered (after the loader is called). */
typedef struct {
    http_request_t *req;
    api_cached_query_t query;
} caller_t;

/* One load in flight: owns everything its statement and render read. */
typedef struct {
    app_t *app;
    cache_load_t *flight;
    arena_t arena;
    char *(*render)(app_t *app, arena_t *arena, const char *render_arg, db_result_t *res,
                    size_t *len);
    const char *render_arg;
} load_t;

static void load_free(load_t *load)
{
    arena_free(&load->arena);
    free(load);
}

static void on_loaded(db_result_t *res, void *user_data)
{
    load_t *load = user_data;
    cache_load_t *flight = load->flight;
    int err = db_result_error(res);
    if (err != 0) {
        load_free(load);
        cache_load_done(flight, err, NULL, 0);
        return;
    }
    size_t len = 0;
    char *page = load->render(load->app, &load->arena, load->render_arg, res, &len);
    load_free(load);
    if (page == NULL) {
        log_error("cached query: the statement's row could not be rendered", NULL);
        cache_load_done(flight, LOAD_E_RENDER, NULL, 0);
        return;
    }
    cache_load_done(flight, 0, page, len);
    free(page);
}

static void run_load(cache_load_t *flight, void *loader_data)
{
    const caller_t *caller = loader_data;
    app_t *app = caller->req->app;
    if (app->db == NULL) {
        /* Shutting down: the database closed before a Redis read came back. */
        cache_load_done(flight, DB_E_UNAVAILABLE, NULL, 0);
        return;
    }
    load_t *load = xcalloc(1, sizeof(*load));
    load->app = app;
    load->flight = flight;
    load->render = caller->query.render;
    arena_init(&load->arena);

    api_load_statement_t st = {0};
    caller->query.build(caller->query.build_data, &load->arena, &st);
    const char **params = NULL;
    if (st.nparams > 0) {
        params = arena_alloc(&load->arena, (size_t)st.nparams * sizeof(*params));
        for (int i = 0; i < st.nparams; i++)
            params[i] = st.params[i] != NULL
                            ? arena_strndup(&load->arena, st.params[i], strlen(st.params[i]))
                            : NULL;
    }
    if (st.render_arg != NULL)
        load->render_arg = arena_strndup(&load->arena, st.render_arg, strlen(st.render_arg));

    /* On behalf of the first caller: a writer reading right after their own
     * write is routed to the primary (db.h's replica rule). */
    int rc = db_query(app->db, st.stmt, params, NULL, st.nparams, DB_READ, caller->req->user_id,
                      on_loaded, load);
    if (rc != 0) {
        load_free(load);
        cache_load_done(flight, rc, NULL, 0);
    }
}

static void on_fetched(int status, char *value, size_t len, void *user_data)
{
    http_request_t *req = user_data;
    if (status == 0) {
        http_respond_owned(req, 200, API_JSON_TYPE, value, len);
        return;
    }
    http_respond_error(req,
                       status == DB_E_CONSTRAINT ? API_ERR_VALIDATION_FAILED : db_error_api(status),
                       NULL, NULL);
}

void api_cached_query_answer(http_request_t *req, const api_cached_query_t *query)
{
    app_t *app = req->app;
    caller_t *caller = arena_alloc(&req->arena, sizeof(*caller));
    caller->req = req;
    caller->query = *query;
    if (cache_fetch(app->cache, query->ns, query->key, query->key_len, query->ttl_ms, run_load,
                    caller, on_fetched, req) != 0) {
        /* A namespace or key out of the store's bounds: a programming error. */
        log_error("cached query refused by the cache", "namespace", json_string(query->ns), NULL);
        http_respond_error(req, API_ERR_INTERNAL, NULL, NULL);
    }
}
