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

static void on_timer(uv_timer_t *timer)
{
    flush(timer->data);
}

static void on_flushed(db_result_t *res, void *user_data)
{
    if (db_result_error(res) != 0)
        log_warn("view counts not written", "error",
                 json_string(db_error_name(db_result_error(res))), NULL);
    (void)user_data;
}

/* Hands the gathered counts to the database as two arrays. */
static void flush(app_t *app)
{
    ad_views_t *views = app->views;
    if (views == NULL || views->used == 0 || app->db == NULL)
        return;
    buf_t ids, counts;
    buf_init(&ids, (size_t)1 << 30);
    buf_init(&counts, (size_t)1 << 30);
    buf_append_str(&ids, "{");
    buf_append_str(&counts, "{");
    bool first = true;
    for (size_t i = 0; i < TABLE_SLOTS; i++) {
        if (views->slots[i].id == 0)
            continue;
        buf_printf(&ids, "%s%" PRId64, first ? "" : ",", views->slots[i].id);
        buf_printf(&counts, "%s%" PRId64, first ? "" : ",", views->slots[i].count);
        first = false;
    }
    buf_append(&ids, "}", 2);
    buf_append(&counts, "}", 2);
    memset(views->slots, 0, TABLE_SLOTS * sizeof(slot_t));
    views->used = 0;
    const char *params[] = {ids.data, counts.data};
    int rc = db_query(app->db, &db_q_views_add, params, NULL, 2, DB_WRITE, 0, on_flushed, NULL);
    if (rc != 0)
        log_warn("view counts not written", "error", json_string(db_error_name(rc)), NULL);
    buf_free(&ids);
    buf_free(&counts);
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

void api_views_count(app_t *app, int64_t ad_id)
{
    ad_views_t *views = app->views;
    if (views == NULL || ad_id <= 0)
        return;
    size_t i = (size_t)((uint64_t)ad_id * 0x9E3779B97F4A7C15ull >> 40) & (TABLE_SLOTS - 1);
    for (;;) {
        if (views->slots[i].id == ad_id) {
            views->slots[i].count++;
            return;
        }
        if (views->slots[i].id == 0)
            break;
        i = (i + 1) & (TABLE_SLOTS - 1);
    }
    if (views->used >= VIEWS_MAX_ADS) {
        /* Full: write what is held now; the table starts empty again. */
        flush(app);
        if (views->used == 0)
            api_views_count(app, ad_id);
        else
            views->dropped++;
        return;
    }
    views->slots[i].id = ad_id;
    views->slots[i].count = 1;
    views->used++;
}
