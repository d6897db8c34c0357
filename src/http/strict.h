/* Strict HTTP/1.1 framing: the rules Debian's http-parser (built without its
 * strict mode) lets through, checked by the server itself in one place.
 *
 * Two kinds of check:
 *   - a byte scanner run over the raw input before http-parser sees it: the
 *     request line has exactly one space between its three parts; every line
 *     of the head ends in CRLF (a bare LF or a bare CR is refused); no header
 *     line starts with a space or a tab (obs-fold); a chunk-size line holds
 *     hex digits, then optional blanks only before a ';' extension, then CRLF
 *     ("5 " or "5x" are refused), and each chunk's data ends in CRLF; the
 *     trailer fields after the last chunk follow the head's line rules (the
 *     server then drops them, server.c);
 *   - the fields once the head is parsed: HTTP/1.1 needs exactly one Host,
 *     well-formed (host or [IP-literal], optional port); Host,
 *     Authorization, Content-Type and Origin may not be repeated.
 * Each broken rule is a 400 and the connection closes: a front proxy that
 * reads such a request differently would see another request (smuggling).
 * Internal to src/http. */
#ifndef RURAL24_HTTP_STRICT_H
#define RURAL24_HTTP_STRICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/request.h"

/* The scanner's state, one per connection. Zeroed is the start of a head. */
typedef struct {
    uint64_t chunk_left; /* data bytes of the current chunk still to skip */
    uint8_t state;
    uint8_t spaces;     /* in the request line */
    uint8_t hex_digits; /* in a chunk size */
    bool prev_space;
    bool line_bad; /* the request line broke the spacing rule: refused at the head's end */
} http_strict_t;

/* What went wrong, for the log line of the 400. */
typedef enum {
    HTTP_STRICT_OK = 0,
    HTTP_STRICT_REQUEST_LINE_SPACES,
    HTTP_STRICT_BARE_LF,
    HTTP_STRICT_BARE_CR,
    HTTP_STRICT_OBS_FOLD,
    HTTP_STRICT_CHUNK_SIZE,
    HTTP_STRICT_CHUNK_DATA_END,
    HTTP_STRICT_HOST_MISSING,
    HTTP_STRICT_HOST_REPEATED,
    HTTP_STRICT_HOST_MALFORMED,
    HTTP_STRICT_FIELD_REPEATED,
} http_strict_error_t;

/* Starts over at the beginning of a request head. */
void http__strict_begin_head(http_strict_t *s);

/* Starts checking a chunked body. The scanner expects first the LF that ends
 * the head (http-parser is paused just before it), then chunk-size lines. */
void http__strict_begin_chunked(http_strict_t *s);

/* Stops scanning until the next begin call (a Content-Length body). */
void http__strict_off(http_strict_t *s);

/* Scans data[0..len). Returns HTTP_STRICT_OK, or the rule broken with
 * *bad_at set to the offset of the offending byte. Scanning stops by itself
 * at the end of a head or of the last chunk's size line: what follows is not
 * its business until the next begin call. */
http_strict_error_t http__strict_scan(http_strict_t *s, const char *data, size_t len,
                                      size_t *bad_at);

/* The field rules over a parsed head (http_minor: 0 or 1 of HTTP/1.x). */
http_strict_error_t http__strict_fields(const http_request_t *req, unsigned http_minor);

/* A short name of the rule ("obs_fold"), for logs. */
const char *http__strict_error_name(http_strict_error_t err);

#endif
