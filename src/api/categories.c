/* The category tree in memory; see categories.h. */
#include "api/categories.h"
#include "api/app.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "db/catalog.h"
#include "http/response.h"
#include "store/cache.h"

#include <stdlib.h>
#include <string.h>

enum {
    CATEGORIES_TTL_MS = 3600 * 1000,   /* in the cache store */
    CATEGORIES_RELOAD_MS = 600 * 1000, /* how often the index is rebuilt */
    CATEGORIES_RETRY_MS = 3000,        /* until the first load */
    CATEGORIES_MAX = 1024,
};

struct category_index_s {
    int refs;
    json_t *list; /* the flat list as loaded: owns every string and attribute array */
    category_t *items;
    size_t count;
    char *tree_json;
    size_t tree_len;
};

category_index_t *category_index_ref(category_index_t *index)
{
    index->refs++;
    return index;
}

void category_index_unref(void *arg)
{
    category_index_t *index = arg;
    if (index == NULL || --index->refs > 0)
        return;
    json_decref(index->list);
    free(index->items);
    free(index->tree_json);
    free(index);
}

const category_t *category_by_id(const category_index_t *index, int64_t id)
{
    for (size_t i = 0; i < index->count; i++) {
        if (index->items[i].id == id)
            return &index->items[i];
    }
    return NULL;
}

const category_t *category_by_slug(const category_index_t *index, const char *slug)
{
    for (size_t i = 0; i < index->count; i++) {
        if (strcmp(index->items[i].slug, slug) == 0)
            return &index->items[i];
    }
    return NULL;
}

json_t *category_attribute(const category_t *c, const char *key)
{
    size_t i;
    json_t *attr;
    json_array_foreach(c->attributes, i, attr)
    {
        const char *k = json_string_value(json_object_get(attr, "key"));
        if (k != NULL && strcmp(k, key) == 0)
            return attr;
    }
    return NULL;
}

const char *category_index_tree_json(const category_index_t *index, size_t *len)
{
    *len = index->tree_len;
    return index->tree_json;
}

/* The nested tree of API.md from the flat list (parents come first). */
static char *build_tree(const category_index_t *index, size_t *len)
{
    json_t **nodes = xcalloc(index->count, sizeof(*nodes));
    json_t *roots = json_array();
    for (size_t i = 0; i < index->count; i++) {
        const category_t *c = &index->items[i];
        json_t *node = json_pack("{s:I, s:s, s:s, s:o, s:O, s:[]}", "id", (json_int_t)c->id, "slug",
                                 c->slug, "name", c->name, "parent_id",
                                 c->parent_id > 0 ? json_integer(c->parent_id) : json_null(),
                                 "attributes", c->attributes, "children");
        nodes[i] = node;
        json_t *parent = NULL;
        for (size_t j = 0; j < i && c->parent_id > 0; j++) {
            if (index->items[j].id == c->parent_id)
                parent = nodes[j];
        }
        json_array_append_new(parent != NULL ? json_object_get(parent, "children") : roots, node);
    }
    free(nodes);
    json_t *body = json_pack("{s:o}", "items", roots);
    char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(body);
    *len = text != NULL ? strlen(text) : 0;
    return text;
}

/* Builds an index from the flat list's JSON text; NULL when it is malformed. */
static category_index_t *index_build(const char *text, size_t len)
{
    json_t *list = json_loadb(text, len, 0, NULL);
    size_t n = json_is_array(list) ? json_array_size(list) : 0;
    if (n == 0 || n > CATEGORIES_MAX) {
        json_decref(list);
        return NULL;
    }
    category_index_t *index = xcalloc(1, sizeof(*index));
    index->refs = 1;
    index->list = list;
    index->items = xcalloc(n, sizeof(*index->items));
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(list, i);
        category_t *c = &index->items[index->count];
        c->id = (int32_t)json_integer_value(json_object_get(o, "id"));
        c->parent_id = (int32_t)json_integer_value(json_object_get(o, "parent_id"));
        c->slug = json_string_value(json_object_get(o, "slug"));
        c->name = json_string_value(json_object_get(o, "name"));
        c->attributes = json_object_get(o, "attributes");
        if (c->id <= 0 || c->slug == NULL || c->name == NULL || !json_is_array(c->attributes))
            continue;
        index->count++;
    }
    /* Subtrees: a category, then every category whose chain of parents
     * reaches it. */
    for (size_t i = 0; i < index->count; i++) {
        category_t *c = &index->items[i];
        for (size_t j = 0; j < index->count; j++) {
            int32_t walk = index->items[j].id;
            for (int depth = 0; walk > 0 && depth < 16; depth++) {
                if (walk == c->id) {
                    if (c->subtree_count < AD_SEARCH_MAX_CATEGORIES)
                        c->subtree[c->subtree_count++] = index->items[j].id;
                    break;
                }
                const category_t *up = category_by_id(index, walk);
                walk = up != NULL ? up->parent_id : 0;
            }
        }
    }
    index->tree_json = build_tree(index, &index->tree_len);
    if (index->tree_json == NULL) {
        category_index_unref(index);
        return NULL;
    }
    return index;
}

static void schedule(app_t *app, uint64_t ms);

static void on_categories_row(db_result_t *res, void *user_data)
{
    cache_load_t *load = user_data;
    size_t len = 0;
    const char *json = db_result_error(res) == 0 && db_result_rows(res) == 1
                           ? db_result_value(res, 0, 0, &len)
                           : NULL;
    if (json == NULL)
        cache_load_done(load, -1, NULL, 0);
    else
        cache_load_done(load, 0, json, len);
}

static void load_categories(cache_load_t *load, void *loader_data)
{
    app_t *app = loader_data;
    if (app->db == NULL || db_query(app->db, &db_q_categories, NULL, NULL, 0, DB_READ, 0,
                                    on_categories_row, load) != 0)
        cache_load_done(load, -1, NULL, 0);
}

static void on_categories(int status, char *value, size_t len, void *user_data)
{
    app_t *app = user_data;
    app->categories_loading = false;
    if (!app->categories_timer_open) {
        free(value); /* closed meanwhile */
        return;
    }
    category_index_t *index = status == 0 ? index_build(value, len) : NULL;
    free(value);
    if (index == NULL) {
        log_warn("categories not loaded; retrying", NULL);
        schedule(app, CATEGORIES_RETRY_MS);
        return;
    }
    category_index_unref(app->categories);
    app->categories = index;
    schedule(app, CATEGORIES_RELOAD_MS);
}

static void reload(app_t *app)
{
    if (app->categories_loading || app->cache == NULL)
        return;
    app->categories_loading = true;
    if (cache_fetch(app->cache, "categories", "tree", 4, CATEGORIES_TTL_MS, load_categories, app,
                    on_categories, app) != 0) {
        app->categories_loading = false;
        schedule(app, CATEGORIES_RETRY_MS);
    }
}

static void on_timer(uv_timer_t *timer)
{
    reload(container_of(timer, app_t, categories_timer));
}

static void schedule(app_t *app, uint64_t ms)
{
    if (app->categories_timer_open)
        uv_timer_start(&app->categories_timer, on_timer, ms, 0);
}

void api_categories_open(app_t *app)
{
    uv_timer_init(app->loop, &app->categories_timer);
    app->categories_timer_open = true;
    reload(app);
}

static void on_wait_timeout(uv_timer_t *timer)
{
    *(bool *)timer->data = true;
}

int api_categories_wait(app_t *app, uint64_t timeout_ms)
{
    bool timed_out = false;
    uv_timer_t timer;
    uv_timer_init(app->loop, &timer);
    timer.data = &timed_out;
    uv_timer_start(&timer, on_wait_timeout, timeout_ms, 0);
    while (!timed_out && app->categories == NULL)
        uv_run(app->loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&timer, NULL);
    /* Let the close complete while the timer is still in scope. */
    uv_run(app->loop, UV_RUN_NOWAIT);
    return app->categories != NULL ? 0 : -1;
}

void api_categories_close(app_t *app)
{
    if (app->categories_timer_open) {
        app->categories_timer_open = false;
        uv_close((uv_handle_t *)&app->categories_timer, NULL);
    }
    category_index_unref(app->categories);
    app->categories = NULL;
}

category_index_t *api_categories(app_t *app)
{
    return app->categories;
}

/* ---- GET /api/categories ------------------------------------------------ */

static void handle_categories(http_request_t *req)
{
    app_t *app = req->app;
    category_index_t *index = app->categories;
    if (index == NULL) {
        http_respond_error(req, API_ERR_UNAVAILABLE, "categories are not loaded yet", NULL);
        return;
    }
    http_response_header(req, "Cache-Control", "public, max-age=3600");
    http_respond_ref(req, 200, "application/json; charset=utf-8", index->tree_json, index->tree_len,
                     category_index_unref, category_index_ref(index));
}

void api_categories_register(app_t *app)
{
    app_route(app, HTTP_METHOD_GET, "/api/categories", handle_categories, NULL);
}
