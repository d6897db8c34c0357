/* The static web app (API.md "The web app"; docs/WEB.md).
 *
 * At start-up, before the loop runs, web_load() reads WEB_DIR (web/dist by
 * default, relative to the working directory) into one sorted table: each
 * file's bytes, its precompressed .br and .gz siblings, a strong ETag per
 * representation (sha256), its MIME type and whether its name carries a
 * content hash. From then on the files are never looked at again: requests
 * are answered from the table by reference (http_respond_ref() with no
 * release, since the table lives as long as the process), so a path can
 * only ever name a key of the table and no spelling of ".." reaches the
 * disk. Traversal attempts are still refused explicitly (400) rather than
 * falling through to the app's HTML, so that they are visible in the logs.
 *
 * Two routes: GET /assets/\* answers a file or 404 (a stale fingerprinted
 * name must not turn into HTML), and the catch-all GET /\* answers a file
 * of the table when the path names one, else the app's index.html (the app
 * routes in the browser), except for a missing name with a static file's
 * extension (404). /api, /ws and /metrics are reserved: their unmatched
 * paths stay JSON 404s. */
#include "api/web.h"
#include "api/app.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "http/etag.h"
#include "http/response.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define HOME_LINK_FILE "preload-home.txt"

static const char CACHE_IMMUTABLE[] = "public, max-age=31536000, immutable";
static const char CACHE_REVALIDATE[] = "no-cache";
static const char CSP_HEAD[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data: blob:; connect-src 'self'";
static const char CSP_TAIL[] = "; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/* ---- names ------------------------------------------------------------- */

static const struct {
    const char *ext;
    const char *mime;
} mime_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".webp", "image/webp"},
    {".jpg", "image/jpeg"},
    {".ico", "image/x-icon"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".webmanifest", "application/manifest+json"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
};

static const char *extension(const char *name)
{
    const char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    const char *dot = strrchr(base, '.');
    return dot != NULL && dot != base ? dot : NULL;
}

const char *web_mime_type(const char *name)
{
    const char *ext = extension(name);
    if (ext != NULL) {
        for (size_t i = 0; i < sizeof(mime_types) / sizeof(mime_types[0]); i++) {
            if (strcasecmp(ext, mime_types[i].ext) == 0)
                return mime_types[i].mime;
        }
    }
    return "application/octet-stream";
}

/* A missing path with one of these extensions is a missing file, not a
 * route of the app: HTML in its place would only confuse the browser. */
static bool names_a_file(const char *path)
{
    const char *ext = extension(path);
    return ext != NULL && (strcmp(web_mime_type(path), "application/octet-stream") != 0 ||
                           strcmp(ext, ".br") == 0 || strcmp(ext, ".gz") == 0);
}

bool web_name_is_fingerprinted(const char *name)
{
    const char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    const char *first = strchr(base, '.');
    const char *last = strrchr(base, '.');
    if (first == NULL || first == last)
        return false;
    const char *part = first + 1;
    while (part <= last) {
        const char *end = strchr(part, '.');
        size_t len = (size_t)(end - part);
        size_t hex = 0;
        while (hex < len &&
               ((part[hex] >= '0' && part[hex] <= '9') || (part[hex] >= 'a' && part[hex] <= 'f')))
            hex++;
        if (hex == len && len >= 8 && len <= 64)
            return true;
        part = end + 1;
    }
    return false;
}

static bool name_allowed(const char *name)
{
    if (name[0] == '\0' || name[0] == '.')
        return false;
    for (const char *p = name; *p != '\0'; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* ---- traversal --------------------------------------------------------- */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One round of percent-decoding in place; malformed escapes stay as they
 * are. Returns the new length and whether anything changed. */
static size_t decode_round(char *s, size_t len, bool *changed)
{
    size_t out = 0;
    *changed = false;
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < len && (hi = hex_value(s[i + 1])) >= 0 &&
            (lo = hex_value(s[i + 2])) >= 0) {
            s[out++] = (char)(hi * 16 + lo);
            i += 2;
            *changed = true;
        } else {
            s[out++] = s[i];
        }
    }
    return out;
}

static bool escapes_now(const char *s, size_t len)
{
    size_t seg_start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && (s[i] == '\\' || s[i] == '\0'))
            return true;
        if (i == len || s[i] == '/') {
            size_t seg_len = i - seg_start;
            if ((seg_len == 1 && s[seg_start] == '.') ||
                (seg_len == 2 && s[seg_start] == '.' && s[seg_start + 1] == '.'))
                return true;
            seg_start = i + 1;
        }
    }
    return false;
}

bool web_path_escapes(const char *path)
{
    enum { DECODE_ROUNDS = 4 };
    size_t len = strlen(path);
    char *copy = xstrndup(path, len);
    bool escapes = escapes_now(copy, len);
    for (int round = 0; round < DECODE_ROUNDS && !escapes; round++) {
        bool changed;
        len = decode_round(copy, len, &changed);
        if (!changed)
            break;
        escapes = escapes_now(copy, len);
    }
    free(copy);
    return escapes;
}

/* ---- Accept-Encoding --------------------------------------------------- */

/* A qvalue in thousandths ("1", "0.5", "0.125"), or -1 when malformed. */
static int parse_q(const char *s, size_t len)
{
    if (len == 0 || len > 5 || (s[0] != '0' && s[0] != '1'))
        return -1;
    int value = (s[0] - '0') * 1000;
    if (len == 1)
        return value;
    if (s[1] != '.')
        return -1;
    int scale = 100;
    for (size_t i = 2; i < len; i++, scale /= 10) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        value += (s[i] - '0') * scale;
    }
    return value <= 1000 ? value : -1;
}

static size_t trim(const char **s, size_t len)
{
    while (len > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        len--;
    }
    while (len > 0 && ((*s)[len - 1] == ' ' || (*s)[len - 1] == '\t'))
        len--;
    return len;
}

static bool token_is(const char *s, size_t len, const char *token)
{
    return strlen(token) == len && strncasecmp(s, token, len) == 0;
}

web_coding_t web_pick_coding(const char *accept_encoding, const web_file_t *file)
{
    if (accept_encoding == NULL)
        return WEB_IDENTITY;
    /* q in thousandths per coding as listed; -1 when not listed. */
    int q_br = -1, q_gzip = -1, q_identity = -1, q_star = -1;
    const char *p = accept_encoding;
    while (*p != '\0') {
        const char *end = strchr(p, ',');
        size_t element_len = end ? (size_t)(end - p) : strlen(p);
        const char *semi = memchr(p, ';', element_len);
        const char *name = p;
        size_t name_len = trim(&name, semi ? (size_t)(semi - p) : element_len);
        int q = 1000;
        if (semi != NULL) {
            const char *param = semi + 1;
            size_t param_len = trim(&param, element_len - (size_t)(semi + 1 - p));
            if (param_len >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
                const char *value = param + 2;
                q = parse_q(value, trim(&value, param_len - 2));
            }
        }
        if (q >= 0) {
            if (token_is(name, name_len, "br"))
                q_br = q;
            else if (token_is(name, name_len, "gzip") || token_is(name, name_len, "x-gzip"))
                q_gzip = q;
            else if (token_is(name, name_len, "identity"))
                q_identity = q;
            else if (token_is(name, name_len, "*"))
                q_star = q;
        }
        p = end ? end + 1 : p + element_len;
    }
    /* Unlisted codings take "*"'s q; without "*", only the identity stays
     * acceptable. */
    int q_of[WEB_CODING_COUNT] = {
        [WEB_IDENTITY] = q_identity >= 0 ? q_identity : (q_star >= 0 ? q_star : 1),
        [WEB_GZIP] = q_gzip >= 0 ? q_gzip : (q_star >= 0 ? q_star : 0),
        [WEB_BR] = q_br >= 0 ? q_br : (q_star >= 0 ? q_star : 0),
    };
    web_coding_t best = WEB_IDENTITY;
    int best_q = 0;
    static const web_coding_t preference[] = {WEB_BR, WEB_GZIP, WEB_IDENTITY};
    for (size_t i = 0; i < sizeof(preference) / sizeof(preference[0]); i++) {
        web_coding_t c = preference[i];
        if (file->variants[c].bytes == NULL && c != WEB_IDENTITY)
            continue;
        if (q_of[c] > best_q) {
            best = c;
            best_q = q_of[c];
        }
    }
    /* Nothing acceptable: the identity all the same (RFC 9110 12.5.3 lets
     * the server ignore the header rather than answer 406). */
    return best;
}

/* ---- loading ----------------------------------------------------------- */

typedef struct {
    web_t *web;
    char *err;
    size_t err_size;
    size_t capacity;
} loader_t;

__attribute__((format(printf, 2, 3))) static int load_fail(loader_t *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->err, l->err_size, fmt, ap);
    va_end(ap);
    return -1;
}

static int read_all(loader_t *l, const char *path, const char *key)
{
    web_t *web = l->web;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return load_fail(l, "WEB_DIR: cannot read %s", path);
    }
    if (web->count == WEB_MAX_FILES) {
        close(fd);
        return load_fail(l, "WEB_DIR: more than %d files (at %s)", WEB_MAX_FILES, key);
    }
    if ((uint64_t)st.st_size > (uint64_t)(WEB_MAX_BYTES - web->total_bytes)) {
        close(fd);
        return load_fail(l, "WEB_DIR: the files exceed %d MiB together (at %s)",
                         WEB_MAX_BYTES >> 20, key);
    }
    size_t len = (size_t)st.st_size;
    unsigned char *bytes = xmalloc(len > 0 ? len : 1);
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, bytes + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (got != len) {
        free(bytes);
        return load_fail(l, "WEB_DIR: short read on %s", path);
    }
    if (web->count == l->capacity) {
        l->capacity = l->capacity ? l->capacity * 2 : 32;
        web->files = xrealloc(web->files, l->capacity * sizeof(web_file_t));
    }
    web_file_t *f = &web->files[web->count++];
    memset(f, 0, sizeof(*f));
    f->key = xstrdup(key);
    f->variants[WEB_IDENTITY].bytes = bytes;
    f->variants[WEB_IDENTITY].len = len;
    web->total_bytes += len;
    return 0;
}

/* Walks dir (absolute) whose key prefix is rel ("" at the root). */
static int walk(loader_t *l, const char *dir, const char *rel, int depth)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return load_fail(l, "WEB_DIR: cannot open %s", dir);
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (!name_allowed(e->d_name)) {
            log_warn("web: file skipped (hidden, or a name outside [A-Za-z0-9._-])", "dir",
                     json_string(dir), "name", json_string(e->d_name), NULL);
            continue;
        }
        char path[PATH_MAX], key[PATH_MAX];
        if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path) ||
            snprintf(key, sizeof(key), "%s%s%s", rel, rel[0] ? "/" : "", e->d_name) >=
                (int)sizeof(key))
            continue;
        struct stat st;
        if (lstat(path, &st) != 0)
            continue;
        if (S_ISLNK(st.st_mode)) {
            /* Followed only to a regular file inside the folder; a link to a
             * directory is never followed (no loops, no second walk). */
            char target[PATH_MAX];
            size_t root_len = strlen(l->web->root);
            if (realpath(path, target) == NULL || strncmp(target, l->web->root, root_len) != 0 ||
                target[root_len] != '/' || stat(target, &st) != 0 || !S_ISREG(st.st_mode)) {
                log_warn("web: symbolic link not followed (it leaves WEB_DIR or is not a file)",
                         "path", json_string(path), NULL);
                continue;
            }
            rc = read_all(l, target, key);
        } else if (S_ISDIR(st.st_mode)) {
            if (depth + 1 > WEB_MAX_DEPTH) {
                log_warn("web: directory too deep, skipped", "path", json_string(path), NULL);
                continue;
            }
            rc = walk(l, path, key, depth + 1);
        } else if (S_ISREG(st.st_mode)) {
            rc = read_all(l, path, key);
        }
    }
    closedir(d);
    return rc;
}

static int compare_keys(const void *a, const void *b)
{
    return strcmp(((const web_file_t *)a)->key, ((const web_file_t *)b)->key);
}

const web_file_t *web_find(const web_t *web, const char *key)
{
    if (web->count == 0)
        return NULL;
    web_file_t probe = {.key = (char *)key};
    return bsearch(&probe, web->files, web->count, sizeof(web_file_t), compare_keys);
}

static void set_etag(web_variant_t *v)
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, v->bytes, v->len);
    v->etag[0] = '"';
    sodium_bin2hex(v->etag + 1, sizeof(v->etag) - 2, digest, sizeof(digest));
    v->etag[65] = '"';
    v->etag[66] = '\0';
}

/* Moves "x.br" and "x.gz" into x's variants; those without an x are dropped
 * (served alone they would say nothing of their coding). Two passes: the
 * table must stay sorted and whole while the bases are looked up. */
static void attach_variants(web_t *web)
{
    for (size_t i = 0; i < web->count; i++) {
        web_file_t *f = &web->files[i];
        size_t len = strlen(f->key);
        web_coding_t coding = WEB_IDENTITY;
        if (len > 3 && strcmp(f->key + len - 3, ".br") == 0)
            coding = WEB_BR;
        else if (len > 3 && strcmp(f->key + len - 3, ".gz") == 0)
            coding = WEB_GZIP;
        if (coding == WEB_IDENTITY)
            continue;
        char *base_key = xstrndup(f->key, len - 3);
        web_file_t *base = (web_file_t *)web_find(web, base_key);
        free(base_key);
        if (base != NULL && base->variants[coding].bytes == NULL) {
            base->variants[coding] = f->variants[WEB_IDENTITY];
        } else {
            web->total_bytes -= f->variants[WEB_IDENTITY].len;
            free(f->variants[WEB_IDENTITY].bytes);
        }
        f->variants[WEB_IDENTITY].bytes = NULL; /* moved or freed: the entry goes */
    }
    size_t kept = 0;
    for (size_t i = 0; i < web->count; i++) {
        if (web->files[i].variants[WEB_IDENTITY].bytes == NULL)
            free(web->files[i].key);
        else
            web->files[kept++] = web->files[i];
    }
    web->count = kept;
}

/* The home page's Link header from its file: one line of printable ASCII
 * (what a header value may hold), else NULL and a warning. */
static char *home_link(const web_file_t *f)
{
    if (f == NULL)
        return NULL;
    const unsigned char *bytes = f->variants[WEB_IDENTITY].bytes;
    size_t len = f->variants[WEB_IDENTITY].len;
    while (len > 0 && (bytes[len - 1] == '\n' || bytes[len - 1] == '\r'))
        len--;
    bool fit = len > 0 && len <= WEB_MAX_LINK_BYTES;
    for (size_t i = 0; fit && i < len; i++)
        fit = bytes[i] >= 0x20 && bytes[i] < 0x7f;
    if (!fit) {
        log_warn("web: " HOME_LINK_FILE " is not one line of printable ASCII; no preload", NULL);
        return NULL;
    }
    return xstrndup((const char *)bytes, len);
}

int web_load(web_t *web, const char *dir, char *err, size_t err_size)
{
    memset(web, 0, sizeof(*web));
    if (dir == NULL || dir[0] == '\0')
        return 0;
    struct stat st;
    if (realpath(dir, web->root) == NULL || stat(web->root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        log_warn("web: WEB_DIR not found; the web app is not served (run `make web`)", "web_dir",
                 json_string(dir), NULL);
        web->root[0] = '\0';
        return 0;
    }
    loader_t l = {.web = web, .err = err, .err_size = err_size};
    if (walk(&l, web->root, "", 0) != 0)
        return -1;
    /* Sorted first, so that the variants find their base by bsearch; the
     * variants leave holes that attach_variants() closes in order. */
    qsort(web->files, web->count, sizeof(web_file_t), compare_keys);
    attach_variants(web);
    for (size_t i = 0; i < web->count; i++) {
        web_file_t *f = &web->files[i];
        f->mime = web_mime_type(f->key);
        f->html = strncmp(f->mime, "text/html", 9) == 0;
        f->immutable = !f->html && web_name_is_fingerprinted(f->key);
        for (int c = 0; c < WEB_CODING_COUNT; c++) {
            if (f->variants[c].bytes != NULL)
                set_etag(&f->variants[c]);
        }
    }
    web->index = web_find(web, "index.html");
    web->home_link = home_link(web_find(web, HOME_LINK_FILE));
    web->loaded = true;
    log_info("web: app loaded", "web_dir", json_string(web->root), "files",
             json_integer((json_int_t)web->count), "bytes",
             json_integer((json_int_t)web->total_bytes), NULL);
    if (web->index == NULL)
        log_warn("web: WEB_DIR has no index.html; app paths answer 404", NULL);
    return 0;
}

void web_free(web_t *web)
{
    for (size_t i = 0; i < web->count; i++) {
        free(web->files[i].key);
        for (int c = 0; c < WEB_CODING_COUNT; c++)
            free(web->files[i].variants[c].bytes);
    }
    free(web->files);
    free(web->home_link);
    memset(web, 0, sizeof(*web));
}

/* ---- serving ----------------------------------------------------------- */

/* A Host header fit to go into a header of ours: a host name or an address
 * with an optional port, nothing else. */
static bool host_is_safe(const char *host)
{
    size_t len = host ? strlen(host) : 0;
    if (len == 0 || len > 255)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = host[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
            return false;
    }
    return true;
}

/* The CSP of an HTML answer. connect-src names the WebSocket's origin
 * explicitly (older browsers do not count ws: as 'self'): FRONTEND_URL's
 * when set (the public origin), else the Host the page was asked from. */
static const char *content_security_policy(http_request_t *req)
{
    const config_t *cfg = ((app_t *)req->app)->config;
    const char *front = cfg->frontend_url;
    if (strncmp(front, "https://", 8) == 0)
        return arena_printf(&req->arena, "%s wss://%s%s", CSP_HEAD, front + 8, CSP_TAIL);
    if (strncmp(front, "http://", 7) == 0)
        return arena_printf(&req->arena, "%s ws://%s%s", CSP_HEAD, front + 7, CSP_TAIL);
    const char *host = http_request_header(req, "Host");
    if (host_is_safe(host))
        return arena_printf(&req->arena, "%s ws://%s wss://%s%s", CSP_HEAD, host, host, CSP_TAIL);
    return arena_printf(&req->arena, "%s%s", CSP_HEAD, CSP_TAIL);
}

static void send_file(http_request_t *req, const web_file_t *f)
{
    bool has_variants = f->variants[WEB_GZIP].bytes != NULL || f->variants[WEB_BR].bytes != NULL;
    web_coding_t coding = has_variants
                              ? web_pick_coding(http_request_header(req, "Accept-Encoding"), f)
                              : WEB_IDENTITY;
    const web_variant_t *v = &f->variants[coding];
    http_response_header(req, "ETag", v->etag);
    http_response_header(req, "Cache-Control", f->immutable ? CACHE_IMMUTABLE : CACHE_REVALIDATE);
    if (has_variants)
        http_response_header(req, "Vary", "Accept-Encoding");
    if (http_etag_none_match(http_request_header(req, "If-None-Match"), v->etag)) {
        http_respond_empty(req, 304);
        return;
    }
    if (coding != WEB_IDENTITY)
        http_response_header(req, "Content-Encoding", coding == WEB_BR ? "br" : "gzip");
    if (f->html)
        http_response_header(req, "Content-Security-Policy", content_security_policy(req));
    /* The table lives as long as the process: nothing to release. */
    http_respond_ref(req, 200, f->mime, v->bytes, v->len, NULL, NULL);
}

static web_t *web_of(http_request_t *req)
{
    return ((app_t *)req->app)->web;
}

static bool refuse_escape(http_request_t *req, const char *rest)
{
    if (!web_path_escapes(rest))
        return false;
    http_respond_error(req, API_ERR_BAD_REQUEST, "the path leaves the web app's folder", NULL);
    return true;
}

/* GET /assets/\*: a file of assets/ or 404. */
static void handle_asset(http_request_t *req)
{
    web_t *web = web_of(req);
    const char *rest = req->path_rest ? req->path_rest : "";
    if (refuse_escape(req, rest))
        return;
    const char *key = arena_printf(&req->arena, "assets/%s", rest);
    const web_file_t *f = web->loaded ? web_find(web, key) : NULL;
    if (f == NULL) {
        http_respond_error(req, API_ERR_NOT_FOUND, "no such asset", NULL);
        return;
    }
    send_file(req, f);
}

/* GET /\*: a file of the table, else the app's HTML. */
static void handle_page(http_request_t *req)
{
    web_t *web = web_of(req);
    const char *rest = req->path_rest ? req->path_rest : "";
    if (refuse_escape(req, rest))
        return;
    if (!web->loaded) {
        http_respond_error(req, API_ERR_NOT_FOUND,
                           "the web app is not installed on this server (WEB_DIR; `make web`)",
                           NULL);
        return;
    }
    const web_file_t *f = rest[0] != '\0' ? web_find(web, rest) : NULL;
    if (f == NULL && (rest[0] == '\0' || !names_a_file(rest)))
        f = web->index;
    if (f == NULL) {
        http_respond_error(req, API_ERR_NOT_FOUND, NULL, NULL);
        return;
    }
    /* The home page: its first API answers start with its scripts instead
     * of after them (a round trip less on a slow link; docs/WEB.md). Only
     * for "/": another page of the app would fetch answers it never uses. */
    if (rest[0] == '\0' && f == web->index && web->home_link != NULL)
        http_response_header(req, "Link", web->home_link);
    send_file(req, f);
}

/* ---- wiring ------------------------------------------------------------ */

int api_web_open(app_t *app, char *err, size_t err_size)
{
    app->web = xcalloc(1, sizeof(web_t));
    if (web_load(app->web, app->config->web_dir, err, err_size) != 0) {
        web_free(app->web);
        free(app->web);
        app->web = NULL;
        return -1;
    }
    return 0;
}

void api_web_free(app_t *app)
{
    if (app->web == NULL)
        return;
    web_free(app->web);
    free(app->web);
    app->web = NULL;
}

void api_web_register(app_t *app)
{
    /* Not rate limited, anonymous: a page load fetches a handful of files,
     * and they come from memory. */
    static const http_route_opts_t opts = {.rate_class = HTTP_RATE_NONE, .auth = HTTP_AUTH_NONE};
    app_route(app, HTTP_METHOD_GET, "/assets/*", handle_asset, &opts);
    app_route(app, HTTP_METHOD_GET, "/*", handle_page, &opts);
    /* The API's own paths: a miss there is the API's 404, never a page. */
    static const char *const reserved[] = {"/api", "/ws", "/metrics"};
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        if (http_router_reserve(app->router, reserved[i]) != 0)
            abort(); /* a programming error: the table above is fixed */
    }
}
