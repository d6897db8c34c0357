/* View counting; see views.h. An open-addressing table of (ad id, count),
 * swapped out whole at each flush. */
#include "api/views.h"
#include "api/app.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "db/catalog.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum { TABLE_SLOTS = VIEWS_MAX_ADS * 2 }; /* a power of two, at most half full */

typedef struct {
    int64_t id; /* 0: empty */
    int64_t count;
} slot_t;

typedef struct ad_views_s {
    uv_timer_t timer;
    slot_t *slots;
    size_t used;
    uint64_t dropped;
} ad_views_t;

static void flush(app_t *app);
static void add(app_t *app, int64_t ad_id, int64_t count);

static void on_timer(uv_timer_t *timer)
{
    flush(timer->data);
}

/* A batch being written: its pairs are kept until the statement is done,
 * so that a failed write puts them back for the next flush. */
typedef struct {
    app_t *app;
    size_t count;
    slot_t pairs[];
} batch_t;

/* Puts a batch that was not written back into the table (the views counted
 * meanwhile add up with it); nothing when the table is gone (shut down). */
static void restore(batch_t *batch)
{
    app_t *app = batch->app;
    if (app->views == NULL)
        return;
    for (size_t i = 0; i < batch->count; i++)
        add(app, batch->pairs[i].id, batch->pairs[i].count);
}

static void on_flushed(db_result_t *res, void *user_data)
{
    batch_t *batch = user_data;
    int err = db_result_error(res);
    if (err == DB_E_UNAVAILABLE || err == DB_E_BUSY || err == DB_E_TIMEOUT) {
        /* The database went away (or took too long): the next flush tries
         * again. A connection lost after the statement committed counts
         * these views twice; an outage drops none. */
        log_warn("view counts not written; kept for the next flush", "error",
                 json_string(db_error_name(err)), NULL);
        restore(batch);
    } else if (err != 0) {
        /* Anything else would fail again: the batch is dropped. */
        log_warn("view counts not written", "error", json_string(db_error_name(err)), NULL);
    }
    free(batch);
}

/* Hands the gathered counts to the database as two arrays. */
static void flush(app_t *app)
{
    ad_views_t *views = app->views;
    if (views == NULL || views->used == 0 || app->db == NULL)
        return;
    batch_t *batch = xmalloc(sizeof(*batch) + views->used * sizeof(slot_t));
    batch->app = app;
    batch->count = 0;
    buf_t ids, counts;
    buf_init(&ids, (size_t)1 << 30);
    buf_init(&counts, (size_t)1 << 30);
    buf_append_str(&ids, "{");
    buf_append_str(&counts, "{");
    for (size_t i = 0; i < TABLE_SLOTS; i++) {
        if (views->slots[i].id == 0)
            continue;
        const char *sep = batch->count == 0 ? "" : ",";
        buf_printf(&ids, "%s%" PRId64, sep, views->slots[i].id);
        buf_printf(&counts, "%s%" PRId64, sep, views->slots[i].count);
        batch->pairs[batch->count++] = views->slots[i];
    }
    buf_append(&ids, "}", 2);
    buf_append(&counts, "}", 2);
    const char *params[] = {ids.data, counts.data};
    int rc = db_query(app->db, &db_q_views_add, params, NULL, 2, DB_WRITE, 0, on_flushed, batch);
    buf_free(&ids);
    buf_free(&counts);
    if (rc != 0) {
        /* Refused (the database is down or the pool's queue is full): the
         * counts stay in the table for the next flush. */
        log_warn("view counts not written; kept for the next flush", "error",
                 json_string(db_error_name(rc)), NULL);
        free(batch);
        return;
    }
    memset(views->slots, 0, TABLE_SLOTS * sizeof(slot_t));
    views->used = 0;
}

void api_views_open(app_t *app)
{
    ad_views_t *views = xcalloc(1, sizeof(*views));
    views->slots = xcalloc(TABLE_SLOTS, sizeof(slot_t));
    uv_timer_init(app->loop, &views->timer);
    views->timer.data = app;
    app->views = views;
    uv_timer_start(&views->timer, on_timer, VIEWS_FLUSH_MS, VIEWS_FLUSH_MS);
}

static void on_timer_closed(uv_handle_t *handle)
{
    ad_views_t *views = container_of((uv_timer_t *)handle, ad_views_t, timer);
    free(views->slots);
    free(views);
}

void api_views_close(app_t *app)
{
    if (app->views == NULL)
        return;
    flush(app);
    uv_close((uv_handle_t *)&app->views->timer, on_timer_closed);
    app->views = NULL;
}

/* Adds count views of ad_id; when the table is full, flushes first (the
 * table starts empty again once the flush is accepted), else drops them. */
static void add(app_t *app, int64_t ad_id, int64_t count)
{
    ad_views_t *views = app->views;
    size_t i = (size_t)((uint64_t)ad_id * 0x9E3779B97F4A7C15ull >> 40) & (TABLE_SLOTS - 1);
    for (;;) {
        if (views->slots[i].id == ad_id) {
            views->slots[i].count += count;
            return;
        }
        if (views->slots[i].id == 0)
            break;
        i = (i + 1) & (TABLE_SLOTS - 1);
    }
    if (views->used >= VIEWS_MAX_ADS) {
        flush(app);
        if (views->used == 0)
            add(app, ad_id, count);
        else
            views->dropped += (uint64_t)count;
        return;
    }
    views->slots[i].id = ad_id;
    views->slots[i].count = count;
    views->used++;
}

void api_views_count(app_t *app, int64_t ad_id)
{
    if (app->views == NULL || ad_id <= 0)
        return;
    add(app, ad_id, 1);
}
