/* Search parameters; see search.h. */
#include "api/search.h"
#include "api/app.h"
#include "api/validate.h"
#include "core/buf.h"
#include "core/utf8.h"
#include "core/xmalloc.h"
#include "db/result.h"
#include "api/reply.h"
#include "http/response.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    MAX_PARAMS = 64,
    MAX_ATTR_PARAMS = 8,
    Q_MAX_CHARS = 200,
    DEFAULT_LIMIT = 20,
    MAX_LIMIT = 50,
    LIST_MAX_LIMIT = 100, /* API_SEARCH_LIST: also its default */
};

typedef struct {
    const char *name;
    const char *value;
} param_t;

static bool fail(http_request_t *req, api_error_t err, const char *name, const char *what)
{
    char message[160];
    snprintf(message, sizeof(message), "%.40s: %s", name, what);
    json_t *fields = json_pack("{s:s}", name, "invalid");
    http_respond_error(req, err, message, fields);
    return false;
}

/* Splits the query string into decoded pairs; false (answered) when it has
 * more than MAX_PARAMS or an escape is malformed. */
static bool split_query(http_request_t *req, param_t *params, size_t *count)
{
    *count = 0;
    const char *q = req->query;
    if (q == NULL)
        return true;
    while (*q != '\0') {
        const char *amp = strchr(q, '&');
        size_t len = amp != NULL ? (size_t)(amp - q) : strlen(q);
        if (len > 0) {
            if (*count == MAX_PARAMS)
                return fail(req, API_ERR_INVALID_PARAMETER, "query", "too many parameters");
            const char *eq = memchr(q, '=', len);
            size_t name_len = eq != NULL ? (size_t)(eq - q) : len;
            size_t out_len;
            char *name = http_percent_decode(&req->arena, q, name_len, true, &out_len);
            char *value = eq != NULL ? http_percent_decode(&req->arena, eq + 1, len - name_len - 1,
                                                           true, &out_len)
                                     : arena_strndup(&req->arena, "", 0);
            if (name == NULL || value == NULL)
                return fail(req, API_ERR_INVALID_PARAMETER, "query", "malformed escape");
            params[*count].name = name;
            params[*count].value = value;
            (*count)++;
        }
        if (amp == NULL)
            break;
        q = amp + 1;
    }
    return true;
}

/* A non-negative decimal with at most max_decimals digits after the point. */
static bool decimal_ok(const char *s, int max_int_digits, int max_decimals, bool negative_ok)
{
    if (negative_ok && *s == '-')
        s++;
    int digits = 0;
    while (*s >= '0' && *s <= '9') {
        s++;
        digits++;
    }
    if (digits == 0 || digits > max_int_digits)
        return false;
    if (*s == '\0')
        return true;
    if (*s++ != '.')
        return false;
    int decimals = 0;
    while (*s >= '0' && *s <= '9') {
        s++;
        decimals++;
    }
    return *s == '\0' && decimals > 0 && decimals <= max_decimals;
}

static bool one_of(const char *s, const char *const *options)
{
    for (; *options != NULL; options++) {
        if (strcmp(s, *options) == 0)
            return true;
    }
    return false;
}

static const char *const CURRENCIES[] = {"ARS", "USD", NULL};
const char *const api_price_units[] = {"total",     "per_head", "per_kg", "per_ha",
                                       "per_month", "per_ton",  NULL};

/* Canonical text: name:length:value; for each set parameter, in a fixed order. */
static void canon(buf_t *b, const char *name, const char *value)
{
    if (value != NULL)
        buf_printf(b, "%s:%zu:%s;", name, strlen(value), value);
}

static int compare_params(const void *a, const void *b)
{
    return strcmp(((const param_t *)a)->name, ((const param_t *)b)->name);
}

typedef struct {
    const char *q, *category, *province, *currency, *min_price, *max_price, *price_currency, *sort,
        *limit, *cursor, *price_unit;
} known_t;

static const char **known_slot(known_t *k, const char *name)
{
#define SLOT(field)                                                                                \
    if (strcmp(name, #field) == 0)                                                                 \
        return &k->field;
    SLOT(q)
    SLOT(category)
    SLOT(province)
    SLOT(currency)
    SLOT(min_price)
    SLOT(max_price)
    SLOT(price_currency)
    SLOT(sort)
    SLOT(limit)
    SLOT(cursor)
    SLOT(price_unit)
#undef SLOT
    return NULL;
}

/* The attr. parameters: equality filters into a JSON object, ranges into
 * s->ranges. False (answered) on a bad one. */
static bool parse_attrs(http_request_t *req, const category_t *category, param_t *attrs,
                        size_t count, ad_search_t *s, buf_t *binding)
{
    if (count == 0)
        return true;
    if (category == NULL)
        return fail(req, API_ERR_INVALID_PARAMETER, attrs[0].name, "needs a category");
    if (count > MAX_ATTR_PARAMS)
        return fail(req, API_ERR_INVALID_PARAMETER, "attr", "at most 8 attribute filters");
    qsort(attrs, count, sizeof(*attrs), compare_params);
    json_t *equal = json_object();
    for (size_t i = 0; i < count; i++) {
        const char *name = attrs[i].name;
        const char *value = attrs[i].value;
        if (i > 0 && strcmp(name, attrs[i - 1].name) == 0) {
            json_decref(equal);
            return fail(req, API_ERR_INVALID_PARAMETER, name, "given twice");
        }
        char key[64];
        const char *rest = name + 5; /* after "attr." */
        const char *dot = strchr(rest, '.');
        size_t key_len = dot != NULL ? (size_t)(dot - rest) : strlen(rest);
        bool is_min = dot != NULL && strcmp(dot, ".min") == 0;
        bool is_max = dot != NULL && strcmp(dot, ".max") == 0;
        json_t *attr = NULL;
        if (key_len > 0 && key_len < sizeof(key) && (dot == NULL || is_min || is_max)) {
            memcpy(key, rest, key_len);
            key[key_len] = '\0';
            attr = category_attribute(category, key);
        }
        if (attr == NULL) {
            json_decref(equal);
            return fail(req, API_ERR_INVALID_PARAMETER, name, "not an attribute of this category");
        }
        const char *type = json_string_value(json_object_get(attr, "type"));
        type = type != NULL ? type : "";
        bool number = strcmp(type, "number") == 0;
        if (is_min || is_max) {
            if (!number || !decimal_ok(value, 15, 6, true)) {
                json_decref(equal);
                return fail(req, API_ERR_INVALID_PARAMETER, name, "must be a number");
            }
            ad_attr_range_t *r = NULL;
            for (size_t j = 0; j < s->range_count; j++) {
                if (strcmp(s->ranges[j].key, key) == 0)
                    r = &s->ranges[j];
            }
            if (r == NULL) {
                r = &s->ranges[s->range_count++];
                r->key = arena_strndup(&req->arena, key, key_len);
            }
            if (is_min)
                r->min = value;
            else
                r->max = value;
        } else if (number) {
            if (!decimal_ok(value, 15, 6, true)) {
                json_decref(equal);
                return fail(req, API_ERR_INVALID_PARAMETER, name, "must be a number");
            }
            json_object_set_new(equal, key, json_real(strtod(value, NULL)));
        } else if (strcmp(type, "bool") == 0) {
            if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0) {
                json_decref(equal);
                return fail(req, API_ERR_INVALID_PARAMETER, name, "must be true or false");
            }
            json_object_set_new(equal, key, json_boolean(value[0] == 't'));
        } else {
            if (value[0] == '\0' || api_utf8_chars(value) > 200) {
                json_decref(equal);
                return fail(req, API_ERR_INVALID_PARAMETER, name, "must be 1 to 200 characters");
            }
            json_object_set_new(equal, key, json_string(value));
        }
        canon(binding, name, value);
    }
    if (json_object_size(equal) > 0) {
        /* json_real prints 2015 as 2015.0, which jsonb containment compares
         * equal to 2015. */
        char *text = json_dumps(equal, JSON_COMPACT | JSON_SORT_KEYS);
        s->attr_equal = arena_strndup(&req->arena, text, strlen(text));
        free(text);
    }
    json_decref(equal);
    return true;
}

/* True when the parameter name is one a search of this kind reads. */
static bool wanted(api_search_kind_t kind, const known_t *k, const char **slot)
{
    switch (kind) {
    case API_SEARCH_FULL:
        return true;
    case API_SEARCH_SAVED:
        return slot != &k->sort && slot != &k->limit && slot != &k->cursor;
    case API_SEARCH_PAGE_ONLY:
    case API_SEARCH_LIST:
    default:
        return slot == &k->limit || slot == &k->cursor;
    }
}

/* The parameters, decoded, into out; see api_search_parse(). */
static bool parse_params(http_request_t *req, const category_index_t *index, api_search_kind_t kind,
                         const char *scope, param_t *params, size_t count, api_search_t *out)
{
    app_t *app = req->app;
    memset(out, 0, sizeof(*out));
    ad_search_t *s = &out->search;
    known_t k = {0};
    param_t attrs[MAX_PARAMS];
    size_t attr_count = 0;
    bool filters = kind == API_SEARCH_FULL || kind == API_SEARCH_SAVED;
    for (size_t i = 0; i < count; i++) {
        if (filters && strncmp(params[i].name, "attr.", 5) == 0) {
            attrs[attr_count++] = params[i];
            continue;
        }
        const char **slot = known_slot(&k, params[i].name);
        if (slot == NULL || !wanted(kind, &k, slot))
            continue;
        if (*slot != NULL)
            return fail(req, API_ERR_INVALID_PARAMETER, params[i].name, "given twice");
        *slot = params[i].value;
    }

    buf_t binding;
    buf_init(&binding, 64 * 1024);
    bool ok = false;
    const category_t *category = NULL;

    if (k.q != NULL) {
        size_t chars;
        char *q = api_trim(&req->arena, k.q, &chars);
        if (chars > Q_MAX_CHARS) {
            fail(req, API_ERR_INVALID_PARAMETER, "q", "at most 200 characters");
            goto done;
        }
        s->q = chars > 0 ? q : NULL;
    }
    if (k.category != NULL) {
        if (index == NULL) {
            http_respond_error(req, API_ERR_UNAVAILABLE, "categories are not loaded yet", NULL);
            goto done;
        }
        int64_t id;
        category = http_parse_id(k.category, strlen(k.category), &id) == 0
                       ? category_by_id(index, id)
                       : category_by_slug(index, k.category);
        if (category == NULL) {
            fail(req, API_ERR_INVALID_PARAMETER, "category", "no such category");
            goto done;
        }
        memcpy(s->category_ids, category->subtree,
               category->subtree_count * sizeof(category->subtree[0]));
        s->category_count = category->subtree_count;
        out->category_id = category->id;
    }
    if (k.province != NULL && !api_province_valid(k.province)) {
        fail(req, API_ERR_INVALID_PARAMETER, "province", "not an Argentine province");
        goto done;
    }
    s->province = k.province;
    if (k.currency != NULL && !one_of(k.currency, CURRENCIES)) {
        fail(req, API_ERR_INVALID_PARAMETER, "currency", "must be ARS or USD");
        goto done;
    }
    s->currency = k.currency;
    if (k.price_currency != NULL && !one_of(k.price_currency, CURRENCIES)) {
        fail(req, API_ERR_INVALID_PARAMETER, "price_currency", "must be ARS or USD");
        goto done;
    }
    const char *price_currency =
        k.price_currency != NULL ? k.price_currency : (k.currency != NULL ? k.currency : "ARS");
    s->price_in_usd = strcmp(price_currency, "USD") == 0;
    if (k.min_price != NULL && !decimal_ok(k.min_price, 13, 2, false)) {
        fail(req, API_ERR_INVALID_PARAMETER, "min_price", "must be a number");
        goto done;
    }
    if (k.max_price != NULL && !decimal_ok(k.max_price, 13, 2, false)) {
        fail(req, API_ERR_INVALID_PARAMETER, "max_price", "must be a number");
        goto done;
    }
    if (k.min_price != NULL && k.max_price != NULL &&
        strtod(k.min_price, NULL) > strtod(k.max_price, NULL)) {
        fail(req, API_ERR_INVALID_PARAMETER, "min_price", "is above max_price");
        goto done;
    }
    s->min_price = k.min_price;
    s->max_price = k.max_price;
    if (k.price_unit != NULL && !one_of(k.price_unit, api_price_units)) {
        fail(req, API_ERR_INVALID_PARAMETER, "price_unit", "not a price unit");
        goto done;
    }
    s->price_unit = k.price_unit;
    s->sort = AD_SORT_RECENT;
    if (k.sort != NULL) {
        if (strcmp(k.sort, "price_asc") == 0)
            s->sort = AD_SORT_PRICE_ASC;
        else if (strcmp(k.sort, "price_desc") == 0)
            s->sort = AD_SORT_PRICE_DESC;
        else if (strcmp(k.sort, "recent") != 0) {
            fail(req, API_ERR_INVALID_PARAMETER, "sort", "must be recent, price_asc or price_desc");
            goto done;
        }
    }
    int max_limit = kind == API_SEARCH_LIST ? LIST_MAX_LIMIT : MAX_LIMIT;
    s->limit = kind == API_SEARCH_LIST ? LIST_MAX_LIMIT : DEFAULT_LIMIT;
    if (k.limit != NULL) {
        char *end = NULL;
        errno = 0;
        long limit = strtol(k.limit, &end, 10);
        if (errno != 0 || end == k.limit || *end != '\0' || k.limit[0] == '+' ||
            k.limit[0] == '-' || limit < 1 || limit > max_limit) {
            fail(req, API_ERR_INVALID_PARAMETER, "limit",
                 kind == API_SEARCH_LIST ? "must be an integer from 1 to 100"
                                         : "must be an integer from 1 to 50");
            goto done;
        }
        s->limit = (int)limit;
    }

    buf_append_str(&binding, scope != NULL ? scope : "");
    canon(&binding, "q", s->q);
    if (category != NULL)
        buf_printf(&binding, "category:%d;", (int)category->id);
    canon(&binding, "province", s->province);
    canon(&binding, "currency", s->currency);
    canon(&binding, "price_unit", s->price_unit);
    canon(&binding, "min_price", s->min_price);
    canon(&binding, "max_price", s->max_price);
    if (s->min_price != NULL || s->max_price != NULL)
        canon(&binding, "price_currency", price_currency);
    if (!parse_attrs(req, category, attrs, attr_count, s, &binding))
        goto done;
    buf_printf(&binding, "sort:%s;", ad_search_sort_name(s->sort));
    buf_append(&binding, "", 1);
    out->binding = arena_strndup(&req->arena, binding.data, binding.len - 1);

    if (k.cursor != NULL) {
        api_cursor_t c;
        if (api_cursor_decode(&app->cursor_key, out->binding, k.cursor, &c) != 0 ||
            (s->sort == AD_SORT_RECENT && c.phase != 0)) {
            http_respond_error(req, API_ERR_INVALID_CURSOR, NULL, NULL);
            goto done;
        }
        s->after = true;
        s->after_phase = c.phase;
        s->after_sort = arena_strndup(&req->arena, c.sort, strlen(c.sort));
        s->after_id = c.id;
    }
    out->cache_key = arena_printf(&req->arena, "%slimit:%d;cursor:%s", out->binding, s->limit,
                                  k.cursor != NULL ? k.cursor : "");
    ok = true;
done:
    buf_free(&binding);
    return ok;
}

bool api_search_parse(http_request_t *req, const category_index_t *index, api_search_kind_t kind,
                      const char *scope, api_search_t *out)
{
    param_t params[MAX_PARAMS];
    size_t count;
    if (!split_query(req, params, &count))
        return false;
    return parse_params(req, index, kind, scope, params, count, out);
}

/* A JSON number as the shortest decimal text that reads back as the same
 * double ("60000.5", not "60000.500000000000"), in the arena. */
static const char *number_text(arena_t *arena, const json_t *value)
{
    if (json_is_integer(value))
        return arena_printf(arena, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
    double d = json_real_value(value);
    char text[40];
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(text, sizeof(text), "%.*g", precision, d);
        if (strtod(text, NULL) == d)
            break;
    }
    return arena_strndup(arena, text, strlen(text));
}

bool api_search_parse_object(http_request_t *req, const category_index_t *index, json_t *query,
                             api_search_t *out, json_t **canonical)
{
    *canonical = NULL;
    if (json_object_size(query) > MAX_PARAMS)
        return fail(req, API_ERR_INVALID_PARAMETER, "query", "too many parameters");
    param_t params[MAX_PARAMS];
    size_t count = 0;
    const char *name;
    json_t *value;
    json_object_foreach(query, name, value)
    {
        const char *text;
        if (json_is_string(value))
            text = json_string_value(value);
        else if (json_is_number(value))
            text = number_text(&req->arena, value);
        else if (json_is_boolean(value))
            text = json_is_true(value) ? "true" : "false";
        else
            return fail(req, API_ERR_INVALID_PARAMETER, name,
                        "must be a string, number or boolean");
        params[count].name = arena_strndup(&req->arena, name, strlen(name));
        params[count].value = arena_strndup(&req->arena, text, strlen(text));
        count++;
    }
    if (!parse_params(req, index, API_SEARCH_SAVED, "", params, count, out))
        return false;
    /* What is kept: the parameters a search reads, as text. */
    known_t k = {0};
    json_t *kept = json_object();
    for (size_t i = 0; i < count; i++) {
        const char **slot = known_slot(&k, params[i].name);
        bool attr = strncmp(params[i].name, "attr.", 5) == 0;
        if (attr || (slot != NULL && wanted(API_SEARCH_SAVED, &k, slot)))
            json_object_set_new(kept, params[i].name, json_string(params[i].value));
    }
    *canonical = kept;
    return true;
}

char *api_search_page_json(app_t *app, arena_t *arena, const char *binding, db_result_t *res,
                           size_t *len)
{
    size_t items_len = 0;
    const char *items = db_result_rows(res) == 1 ? db_result_value(res, 0, 0, &items_len) : NULL;
    if (items == NULL)
        return NULL;
    const char *has_more = db_result_value(res, 0, 1, NULL);
    const char *cursor = NULL;
    if (has_more != NULL && has_more[0] == 't') {
        const char *phase = db_result_value(res, 0, 2, NULL);
        const char *sort = db_result_value(res, 0, 3, NULL);
        int64_t id = 0;
        api_cursor_t c = {.phase = phase != NULL && phase[0] == '1' ? 1 : 0};
        if (sort == NULL || db_result_int64(res, 0, 4, &id) != 0 ||
            strlen(sort) > API_CURSOR_SORT_MAX)
            return NULL;
        memcpy(c.sort, sort, strlen(sort) + 1);
        c.id = id;
        cursor = api_cursor_encode(arena, &app->cursor_key, binding, &c);
        if (cursor == NULL)
            return NULL;
    }
    buf_t out;
    buf_init(&out, (size_t)1 << 40);
    buf_reserve(&out, items_len + 64 + (cursor != NULL ? strlen(cursor) : 0));
    buf_append_str(&out, "{\"items\":");
    buf_append(&out, items, items_len);
    if (cursor != NULL)
        buf_printf(&out, ",\"next_cursor\":\"%s\"}", cursor);
    else
        buf_append_str(&out, ",\"next_cursor\":null}");
    return buf_steal(&out, len);
}

void api_search_respond_private(db_result_t *res, void *user_data)
{
    api_private_page_t *p = user_data;
    http_request_t *req = p->req;
    if (api_db_failed(req, res))
        return;
    size_t len;
    char *page = api_search_page_json(req->app, &req->arena, p->page.binding, res, &len);
    if (page == NULL) {
        http_respond_error(req, API_ERR_INTERNAL, NULL, NULL);
        return;
    }
    http_response_header(req, "Cache-Control", "private, no-store");
    http_respond_owned(req, 200, "application/json; charset=utf-8", page, len);
}
