/* Router: a list of compiled templates matched segment by segment.
 *
 * The API has a few dozen routes, so a linear scan over pre-split templates is
 * fast enough (a few hundred nanoseconds) and keeps the rule for literal vs.
 * parameter segments obvious: among the templates that match a path, the one
 * with a literal segment at the first position where they differ wins.
 *
 * Prefix routes ("/assets/\*", "/\*") are a second tier, looked at only when no
 * template matches the path at all: they compare the path as a string (so
 * they reach any depth), the longest prefix wins, and a prefix never reaches
 * into a reserved prefix ("/api") longer than itself. That is how the web app
 * takes every path but the API's without the API's 404s turning into pages. */
#include "http/router.h"
#include "core/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_SEGMENTS = 12, MAX_RESERVED = 8 };

typedef struct {
    http_route_t route;
    size_t segment_count;
    char *segments[MAX_SEGMENTS]; /* NULL entry: a {param} segment */
    size_t segment_lens[MAX_SEGMENTS];
    /* A prefix route: the template without its "/\*" ("" for "/\*"); NULL for a
     * full template. */
    char *prefix;
    size_t prefix_len;
} compiled_route_t;

struct http_router_s {
    compiled_route_t *routes;
    size_t count;
    size_t capacity;
    char *reserved[MAX_RESERVED];
    size_t reserved_count;
};

static const char *const method_names[HTTP_METHOD_COUNT] = {
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER",
};

const char *http_method_name(http_method_t method)
{
    return method < HTTP_METHOD_COUNT ? method_names[method] : "OTHER";
}

http_router_t *http_router_new(void)
{
    return xcalloc(1, sizeof(http_router_t));
}

void http_router_free(http_router_t *router)
{
    if (router == NULL)
        return;
    for (size_t i = 0; i < router->count; i++) {
        free(router->routes[i].route.template_path);
        for (size_t s = 0; s < router->routes[i].segment_count; s++)
            free(router->routes[i].segments[s]);
        free(router->routes[i].prefix);
    }
    for (size_t i = 0; i < router->reserved_count; i++)
        free(router->reserved[i]);
    free(router->routes);
    free(router);
}

int http_parse_id(const char *text, size_t len, int64_t *out)
{
    if (len == 0 || len > 19 || text[0] == '0')
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(text[i] - '0');
    }
    if (v > (uint64_t)INT64_MAX)
        return -1;
    *out = (int64_t)v;
    return 0;
}

/* Splits "/a/b/c" into segments; the root "/" has none. -1 if there are too
 * many segments. A trailing slash makes an empty last segment, so "/api/ads/"
 * is not "/api/ads". */
static int split_path(const char *path, size_t len, const char **segs, size_t *seg_lens,
                      size_t *count)
{
    *count = 0;
    if (len == 0 || path[0] != '/')
        return -1;
    if (len == 1)
        return 0;
    size_t i = 1;
    for (;;) {
        size_t start = i;
        while (i < len && path[i] != '/')
            i++;
        if (*count == MAX_SEGMENTS)
            return -1;
        segs[*count] = path + start;
        seg_lens[*count] = i - start;
        (*count)++;
        if (i >= len)
            return 0;
        i++; /* skip '/' */
    }
}

static compiled_route_t *append_route(http_router_t *router, http_method_t method,
                                      const char *template_path, http_handler_fn handler,
                                      const http_route_opts_t *opts)
{
    if (router->count == router->capacity) {
        router->capacity = router->capacity ? router->capacity * 2 : 32;
        router->routes = xrealloc(router->routes, router->capacity * sizeof(compiled_route_t));
    }
    compiled_route_t *c = &router->routes[router->count];
    memset(c, 0, sizeof(*c));
    c->route.method = method;
    c->route.index = router->count;
    c->route.template_path = xstrdup(template_path);
    c->route.handler = handler;
    if (opts != NULL)
        c->route.opts = *opts;
    if (c->route.opts.body_limit_bytes == 0) {
        switch (c->route.opts.body_kind) {
        case HTTP_BODY_JSON:
            c->route.opts.body_limit_bytes = HTTP_BODY_LIMIT_JSON;
            break;
        case HTTP_BODY_RAW:
            c->route.opts.body_limit_bytes = HTTP_BODY_LIMIT_IMAGE;
            break;
        case HTTP_BODY_NONE:
        default:
            c->route.opts.body_limit_bytes = HTTP_BODY_LIMIT_NONE;
            break;
        }
    }
    router->count++;
    return c;
}

/* "/assets/\*" and "/\*": a prefix of literal segments, then "*". The prefix is
 * kept as a string; "*" anywhere else, or next to other characters, is
 * malformed. */
static int add_prefix_route(http_router_t *router, http_method_t method, const char *template_path,
                            http_handler_fn handler, const http_route_opts_t *opts)
{
    size_t len = strlen(template_path);
    size_t prefix_len = len - 2;
    if (template_path[0] != '/' || memchr(template_path, '*', prefix_len) != NULL ||
        memchr(template_path, '{', prefix_len) != NULL ||
        (prefix_len > 0 && template_path[prefix_len - 1] == '/'))
        return -1;
    for (size_t i = 0; i < router->count; i++) {
        const compiled_route_t *other = &router->routes[i];
        if (other->prefix != NULL && other->route.method == method &&
            other->prefix_len == prefix_len &&
            memcmp(other->prefix, template_path, prefix_len) == 0)
            return -1;
    }
    compiled_route_t *c = append_route(router, method, template_path, handler, opts);
    c->prefix = xstrndup(template_path, prefix_len);
    c->prefix_len = prefix_len;
    return 0;
}

int http_router_add(http_router_t *router, http_method_t method, const char *template_path,
                    http_handler_fn handler, const http_route_opts_t *opts)
{
    size_t template_len = strlen(template_path);
    if (template_len >= 2 && strcmp(template_path + template_len - 2, "/*") == 0)
        return add_prefix_route(router, method, template_path, handler, opts);
    if (strchr(template_path, '*') != NULL)
        return -1;
    const char *segs[MAX_SEGMENTS];
    size_t lens[MAX_SEGMENTS];
    size_t count;
    if (split_path(template_path, template_len, segs, lens, &count) != 0)
        return -1;
    /* Two templates that differ only in parameter names are the same route:
     * the second could never be reached. */
    for (size_t i = 0; i < router->count; i++) {
        const compiled_route_t *other = &router->routes[i];
        if (other->prefix != NULL || other->route.method != method || other->segment_count != count)
            continue;
        bool same = true;
        for (size_t s = 0; s < count && same; s++) {
            bool is_param = lens[s] >= 2 && segs[s][0] == '{' && segs[s][lens[s] - 1] == '}';
            if (is_param || other->segments[s] == NULL)
                same = is_param && other->segments[s] == NULL;
            else
                same = other->segment_lens[s] == lens[s] &&
                       memcmp(other->segments[s], segs[s], lens[s]) == 0;
        }
        if (same)
            return -1;
    }
    size_t params = 0;
    for (size_t i = 0; i < count; i++) {
        if (lens[i] >= 2 && segs[i][0] == '{' && segs[i][lens[i] - 1] == '}' &&
            ++params > HTTP_MAX_PATH_PARAMS)
            return -1;
    }
    compiled_route_t *c = append_route(router, method, template_path, handler, opts);
    for (size_t i = 0; i < count; i++) {
        bool is_param = lens[i] >= 2 && segs[i][0] == '{' && segs[i][lens[i] - 1] == '}';
        if (is_param) {
            c->segments[i] = NULL;
        } else {
            c->segments[i] = xstrndup(segs[i], lens[i]);
        }
        c->segment_lens[i] = lens[i];
    }
    c->segment_count = count;
    return 0;
}

int http_router_reserve(http_router_t *router, const char *prefix)
{
    size_t len = strlen(prefix);
    if (router->reserved_count == MAX_RESERVED || len < 2 || prefix[0] != '/' ||
        prefix[len - 1] == '/')
        return -1;
    router->reserved[router->reserved_count++] = xstrdup(prefix);
    return 0;
}

/* Matches one template against split segments. Returns a specificity score
 * (a bit per literal segment, first segments weigh most) or -1. */
static int64_t match_template(const compiled_route_t *c, const char **segs, const size_t *lens,
                              size_t count, int64_t *params, size_t *param_count)
{
    if (c->segment_count != count)
        return -1;
    int64_t score = 0;
    *param_count = 0;
    for (size_t i = 0; i < count; i++) {
        score <<= 1;
        if (c->segments[i] == NULL) {
            int64_t id;
            if (http_parse_id(segs[i], lens[i], &id) != 0)
                return -1;
            params[(*param_count)++] = id;
        } else {
            if (c->segment_lens[i] != lens[i] || memcmp(c->segments[i], segs[i], lens[i]) != 0)
                return -1;
            score |= 1;
        }
    }
    return score;
}

/* Whether path[0..path_len) is prefix itself or lies under it ("/api" holds
 * "/api" and "/api/x", not "/apix"). The root prefix "" holds every path. */
static bool under_prefix(const char *path, size_t path_len, const char *prefix, size_t prefix_len)
{
    return path_len >= prefix_len && memcmp(path, prefix, prefix_len) == 0 &&
           (path_len == prefix_len || path[prefix_len] == '/');
}

/* Whether a prefix route may answer path: not when the path lies under a
 * reserved prefix that the route's own prefix does not. */
static bool prefix_may_answer(const http_router_t *router, const compiled_route_t *c,
                              const char *path, size_t path_len)
{
    for (size_t i = 0; i < router->reserved_count; i++) {
        const char *r = router->reserved[i];
        size_t r_len = strlen(r);
        if (under_prefix(path, path_len, r, r_len) &&
            !under_prefix(c->prefix, c->prefix_len, r, r_len))
            return false;
    }
    return true;
}

/* The Allow header of a 405 from the methods that would have matched. */
static void format_allow(bool allowed[HTTP_METHOD_COUNT], http_route_match_t *out)
{
    out->result = HTTP_ROUTE_METHOD_NOT_ALLOWED;
    if (allowed[HTTP_METHOD_GET])
        allowed[HTTP_METHOD_HEAD] = true;
    allowed[HTTP_METHOD_OPTIONS] = true;
    size_t used = 0;
    for (int m = 0; m < HTTP_METHOD_OTHER; m++) {
        if (!allowed[m])
            continue;
        int n = snprintf(out->allow + used, sizeof(out->allow) - used, "%s%s", used ? ", " : "",
                         method_names[m]);
        if (n < 0 || (size_t)n >= sizeof(out->allow) - used)
            break;
        used += (size_t)n;
    }
}

/* The second tier: the longest prefix route holding the path, by method. */
static void match_prefix(const http_router_t *router, http_method_t wanted, const char *path,
                         size_t path_len, http_route_match_t *out)
{
    if (path_len == 0 || path[0] != '/')
        return;
    const compiled_route_t *best = NULL;
    for (size_t i = 0; i < router->count; i++) {
        const compiled_route_t *c = &router->routes[i];
        if (c->prefix == NULL || !under_prefix(path, path_len, c->prefix, c->prefix_len) ||
            !prefix_may_answer(router, c, path, path_len))
            continue;
        if (best == NULL || c->prefix_len > best->prefix_len)
            best = c;
    }
    if (best == NULL)
        return;
    bool allowed[HTTP_METHOD_COUNT] = {false};
    for (size_t i = 0; i < router->count; i++) {
        const compiled_route_t *c = &router->routes[i];
        if (c->prefix == NULL || c->prefix_len != best->prefix_len ||
            memcmp(c->prefix, best->prefix, best->prefix_len) != 0)
            continue;
        allowed[c->route.method] = true;
        if (c->route.method == wanted) {
            out->result = HTTP_ROUTE_FOUND;
            out->route = &c->route;
            /* Past the prefix and its '/': "" for the prefix itself. */
            out->prefix = true;
            out->rest_offset = path_len > c->prefix_len ? c->prefix_len + 1 : path_len;
            return;
        }
    }
    format_allow(allowed, out);
}

void http_router_match(const http_router_t *router, http_method_t method, const char *path,
                       size_t path_len, http_route_match_t *out)
{
    memset(out, 0, sizeof(*out));
    out->result = HTTP_ROUTE_NOT_FOUND;
    http_method_t wanted = method == HTTP_METHOD_HEAD ? HTTP_METHOD_GET : method;
    const char *segs[MAX_SEGMENTS];
    size_t lens[MAX_SEGMENTS];
    size_t count;
    if (split_path(path, path_len, segs, lens, &count) != 0) {
        /* Deeper than any template: only a prefix can hold it. */
        match_prefix(router, wanted, path, path_len, out);
        return;
    }

    /* First pass: the best template for this path regardless of method;
     * second: among templates equal to it, the one for this method. Methods
     * of equally specific templates make the Allow header. */
    int64_t best_score = -1;
    int64_t params[HTTP_MAX_PATH_PARAMS];
    size_t param_count;
    for (size_t i = 0; i < router->count; i++) {
        if (router->routes[i].prefix != NULL)
            continue;
        int64_t score = match_template(&router->routes[i], segs, lens, count, params, &param_count);
        if (score > best_score)
            best_score = score;
    }
    if (best_score < 0) {
        match_prefix(router, wanted, path, path_len, out);
        return;
    }

    bool allowed[HTTP_METHOD_COUNT] = {false};
    for (size_t i = 0; i < router->count; i++) {
        const compiled_route_t *c = &router->routes[i];
        if (c->prefix != NULL)
            continue;
        int64_t score = match_template(c, segs, lens, count, params, &param_count);
        if (score != best_score)
            continue;
        allowed[c->route.method] = true;
        if (c->route.method == wanted && out->result != HTTP_ROUTE_FOUND) {
            out->result = HTTP_ROUTE_FOUND;
            out->route = &c->route;
            memcpy(out->params, params, sizeof(params));
            out->param_count = param_count;
        }
    }
    if (out->result == HTTP_ROUTE_FOUND)
        return;
    format_allow(allowed, out);
}

size_t http_router_count(const http_router_t *router)
{
    return router->count;
}

const http_route_t *http_router_route(const http_router_t *router, size_t i)
{
    return i < router->count ? &router->routes[i].route : NULL;
}
