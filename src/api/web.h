/* The web app's files (API.md "The web app"; docs/WEB.md): WEB_DIR read once
 * at start-up into a table in memory, and the pure rules that serving them
 * follows. The handlers (GET /assets/\* and the catch-all GET /\*) live in
 * web.c and answer only from the table, so no request ever reaches the disk.
 *
 * Exposed for the unit tests; the rest of the program goes through
 * api_web_open(), api_web_register() and api_web_free() (app.h). */
#ifndef RURAL24_API_WEB_H
#define RURAL24_API_WEB_H

#include <stdbool.h>
#include <stddef.h>

enum {
    WEB_MAX_BYTES = 16 * 1024 * 1024, /* all files and their .br/.gz together */
    WEB_MAX_FILES = 1024,
    WEB_MAX_LINK_BYTES = 2048, /* preload-home.txt */
    WEB_MAX_DEPTH = 8,         /* directory levels under WEB_DIR */
};

/* The representations of a file, by content coding. */
typedef enum { WEB_IDENTITY = 0, WEB_GZIP, WEB_BR, WEB_CODING_COUNT } web_coding_t;

typedef struct {
    unsigned char *bytes; /* NULL when this coding was not built */
    size_t len;
    char etag[67]; /* "\"<sha256 hex>\"": strong, one per representation */
} web_variant_t;

typedef struct {
    char *key;        /* "assets/app.0123abcd.js": relative, '/'-separated */
    const char *mime; /* Content-Type */
    bool html;
    bool immutable; /* a content hash in the name: cached for a year */
    web_variant_t variants[WEB_CODING_COUNT];
} web_file_t;

typedef struct web_s {
    web_file_t *files; /* sorted by key */
    size_t count;
    size_t total_bytes;
    const web_file_t *index; /* index.html, or NULL */
    /* The Link header of the home page's HTML (preload-home.txt, written by
     * the build: the API answers the home page asks first), or NULL. */
    char *home_link;
    bool loaded;     /* false: no WEB_DIR folder */
    char root[4096]; /* WEB_DIR resolved (realpath) */
} web_t;

/* Reads dir into web: every regular file whose path is made of
 * [A-Za-z0-9._-] names not starting with '.', at most WEB_MAX_DEPTH deep;
 * a symbolic link only when realpath() keeps it inside dir and it names a
 * regular file; "x.br" and "x.gz" become x's variants. preload-home.txt,
 * when it is one line of printable ASCII (at most WEB_MAX_LINK_BYTES),
 * becomes home_link. A missing dir (or an
 * empty dir argument) is not an error: web->loaded stays false. Returns 0,
 * or -1 with one line in err when the files exceed WEB_MAX_BYTES or
 * WEB_MAX_FILES or one cannot be read; web_free() is safe either way.
 * Blocking I/O: call before the loop runs. */
int web_load(web_t *web, const char *dir, char *err, size_t err_size);
void web_free(web_t *web);

/* The file with this key, or NULL. */
const web_file_t *web_find(const web_t *web, const char *key);

/* Whether a requested path (as sent, percent-encoded) tries to leave the
 * folder: a "." or ".." segment, a backslash or a NUL, in the raw path or
 * after up to four rounds of percent-decoding (double encoding). */
bool web_path_escapes(const char *path);

/* The coding to send given an Accept-Encoding value (NULL when absent: the
 * identity) and the variants available: the highest q above 0, br before
 * gzip before identity on equal q (RFC 9110 12.5.3, "*" and identity
 * included). */
web_coding_t web_pick_coding(const char *accept_encoding, const web_file_t *file);

/* Whether a file name carries a content hash: a dot-separated part between
 * the first and the last of 8 to 64 lowercase hex digits
 * ("app.0123abcd.js"). */
bool web_name_is_fingerprinted(const char *name);

/* The Content-Type for a file name, by its extension. */
const char *web_mime_type(const char *name);

#endif
