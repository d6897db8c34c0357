/* The strict HTTP/1.1 rules of strict.h: a byte scanner over the head and
 * the chunk framing, and the checks of the parsed fields. It never allocates
 * and never looks back: each byte moves one small state machine, so it costs
 * next to nothing beside http-parser and keeps its state across reads. */
#include "http/strict.h"

#include <string.h>
#include <strings.h>

enum {
    S_START = 0,   /* before the request line (CRLFs may precede it) */
    S_START_LF,    /* after a CR before the request line */
    S_LINE,        /* inside the request line */
    S_LINE_LF,     /* after the request line's CR */
    S_FIELD_START, /* at the start of a header line */
    S_FIELD,       /* inside a header line */
    S_FIELD_LF,    /* after a header line's CR */
    S_END_LF,      /* after the CR of the empty line */
    S_HEAD_DONE,
    S_CHUNK_HEAD_LF, /* the head's last LF, left by the paused parser */
    S_CHUNK_SIZE_FIRST,
    S_CHUNK_SIZE,
    S_CHUNK_BWS, /* blanks after the size: only a ';' may follow */
    S_CHUNK_EXT,
    S_CHUNK_LF,
    S_CHUNK_DATA,
    S_CHUNK_DATA_CR,
    S_CHUNK_DATA_LF,
    S_OFF, /* the last chunk's size line, or a Content-Length body */
};

void http__strict_begin_head(http_strict_t *s)
{
    memset(s, 0, sizeof(*s));
    s->state = S_START;
}

void http__strict_begin_chunked(http_strict_t *s)
{
    memset(s, 0, sizeof(*s));
    s->state = S_CHUNK_HEAD_LF;
}

void http__strict_off(http_strict_t *s)
{
    s->state = S_OFF;
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

http_strict_error_t http__strict_scan(http_strict_t *s, const char *data, size_t len,
                                      size_t *bad_at)
{
    http_strict_error_t err = HTTP_STRICT_OK;
    size_t i = 0;
    for (; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        switch (s->state) {
        case S_START:
            if (c == '\r') {
                s->state = S_START_LF;
            } else if (c == '\n') {
                err = HTTP_STRICT_BARE_LF;
            } else if (c == ' ' || c == '\t') {
                err = HTTP_STRICT_REQUEST_LINE_SPACES;
            } else {
                s->state = S_LINE;
                s->spaces = 0;
                s->prev_space = false;
            }
            break;
        case S_START_LF:
            if (c != '\n')
                err = HTTP_STRICT_BARE_CR;
            else
                s->state = S_START;
            break;
        case S_LINE:
            /* A spacing fault is refused at the end of the head, so that the
             * 400 can carry the CORS headers its Origin asks for. */
            if (c == ' ') {
                if (s->prev_space || ++s->spaces > 2)
                    s->line_bad = true;
                s->prev_space = true;
            } else if (c == '\t') {
                s->line_bad = true;
            } else if (c == '\r') {
                if (s->prev_space || s->spaces != 2)
                    s->line_bad = true;
                s->state = S_LINE_LF;
            } else if (c == '\n') {
                err = HTTP_STRICT_BARE_LF;
            } else {
                s->prev_space = false;
            }
            break;
        case S_LINE_LF:
        case S_FIELD_LF:
            if (c != '\n')
                err = HTTP_STRICT_BARE_CR;
            else
                s->state = S_FIELD_START;
            break;
        case S_FIELD_START:
            if (c == '\r')
                s->state = S_END_LF;
            else if (c == '\n')
                err = HTTP_STRICT_BARE_LF;
            else if (c == ' ' || c == '\t')
                err = HTTP_STRICT_OBS_FOLD;
            else
                s->state = S_FIELD;
            break;
        case S_FIELD:
            if (c == '\r')
                s->state = S_FIELD_LF;
            else if (c == '\n')
                err = HTTP_STRICT_BARE_LF;
            break;
        case S_END_LF:
            if (c != '\n') {
                err = HTTP_STRICT_BARE_CR;
                break;
            }
            if (s->line_bad) {
                err = HTTP_STRICT_REQUEST_LINE_SPACES;
                break;
            }
            s->state = S_HEAD_DONE;
            *bad_at = i + 1;
            return HTTP_STRICT_OK;
        case S_HEAD_DONE:
        case S_OFF:
            *bad_at = i;
            return HTTP_STRICT_OK;
        case S_CHUNK_HEAD_LF:
            if (c != '\n')
                err = HTTP_STRICT_BARE_CR;
            else
                s->state = S_CHUNK_SIZE_FIRST;
            break;
        case S_CHUNK_SIZE_FIRST:
        case S_CHUNK_SIZE: {
            int v = hex_value(c);
            if (v >= 0) {
                /* 16 hex digits overflow 64 bits; http-parser refuses them
                 * too, as a chunk over any limit. */
                if (++s->hex_digits > 15) {
                    err = HTTP_STRICT_CHUNK_SIZE;
                    break;
                }
                s->chunk_left = s->chunk_left * 16 + (uint64_t)v;
                s->state = S_CHUNK_SIZE;
            } else if (s->state == S_CHUNK_SIZE_FIRST) {
                err = HTTP_STRICT_CHUNK_SIZE;
            } else if (c == ' ' || c == '\t') {
                s->state = S_CHUNK_BWS;
            } else if (c == ';') {
                s->state = S_CHUNK_EXT;
            } else if (c == '\r') {
                s->state = S_CHUNK_LF;
            } else if (c == '\n') {
                err = HTTP_STRICT_BARE_LF;
            } else {
                err = HTTP_STRICT_CHUNK_SIZE;
            }
            break;
        }
        case S_CHUNK_BWS:
            if (c == ';')
                s->state = S_CHUNK_EXT;
            else if (c != ' ' && c != '\t')
                err = HTTP_STRICT_CHUNK_SIZE;
            break;
        case S_CHUNK_EXT:
            if (c == '\r')
                s->state = S_CHUNK_LF;
            else if (c == '\n')
                err = HTTP_STRICT_BARE_LF;
            break;
        case S_CHUNK_LF:
            if (c != '\n') {
                err = HTTP_STRICT_BARE_CR;
            } else if (s->chunk_left == 0) {
                /* The last chunk: the trailer section follows, field lines
                 * under the head's rules, ended by an empty line. */
                s->state = S_FIELD_START;
            } else {
                s->state = S_CHUNK_DATA;
            }
            break;
        case S_CHUNK_DATA: {
            uint64_t avail = len - i;
            uint64_t skip = s->chunk_left < avail ? s->chunk_left : avail;
            s->chunk_left -= skip;
            i += (size_t)skip - 1;
            if (s->chunk_left == 0)
                s->state = S_CHUNK_DATA_CR;
            break;
        }
        case S_CHUNK_DATA_CR:
            if (c != '\r')
                err = HTTP_STRICT_CHUNK_DATA_END;
            else
                s->state = S_CHUNK_DATA_LF;
            break;
        case S_CHUNK_DATA_LF:
            if (c != '\n') {
                err = HTTP_STRICT_BARE_CR;
            } else {
                s->state = S_CHUNK_SIZE_FIRST;
                s->hex_digits = 0;
                s->chunk_left = 0;
            }
            break;
        default:
            break;
        }
        if (err != HTTP_STRICT_OK) {
            *bad_at = i;
            return err;
        }
    }
    *bad_at = i;
    return HTTP_STRICT_OK;
}

/* uri-host [ ":" port ] (RFC 9110 7.2): a reg-name (unreserved, sub-delims,
 * %HH), an IPv4 address (a reg-name by its characters) or an [IP-literal];
 * the port is digits. Empty is allowed (RFC 9112 3.2). */
static bool host_valid(const char *v)
{
    size_t len = strlen(v);
    size_t i = 0;
    if (len > 0 && v[0] == '[') {
        for (i = 1; i < len && v[i] != ']'; i++) {
            char c = v[i];
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                  c == ':' || c == '.' || c == 'v' || c == 'V'))
                return false;
        }
        if (i == len || i == 1)
            return false;
        i++;
    } else {
        for (; i < len && v[i] != ':'; i++) {
            unsigned char c = (unsigned char)v[i];
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      strchr("-._~!$&'()*+,;=", c) != NULL;
            if (c == '%') {
                ok = i + 2 < len && hex_value((unsigned char)v[i + 1]) >= 0 &&
                     hex_value((unsigned char)v[i + 2]) >= 0;
                i += 2;
            }
            if (!ok || c == '\0')
                return false;
        }
    }
    if (i == len)
        return true;
    if (v[i] != ':')
        return false;
    size_t digits = 0;
    for (i++; i < len; i++, digits++) {
        if (v[i] < '0' || v[i] > '9' || digits == 5)
            return false;
    }
    return true;
}

http_strict_error_t http__strict_fields(const http_request_t *req, unsigned http_minor)
{
    static const char *const singletons[] = {"Authorization", "Content-Type", "Origin"};
    size_t counts[3] = {0, 0, 0};
    size_t hosts = 0;
    const char *host = NULL;
    for (size_t i = 0; i < req->header_count; i++) {
        const char *name = req->headers[i].name;
        if (strcasecmp(name, "Host") == 0) {
            hosts++;
            host = req->headers[i].value;
            continue;
        }
        for (size_t k = 0; k < 3; k++) {
            if (strcasecmp(name, singletons[k]) == 0)
                counts[k]++;
        }
    }
    if (hosts > 1)
        return HTTP_STRICT_HOST_REPEATED;
    if (hosts == 0 && http_minor >= 1)
        return HTTP_STRICT_HOST_MISSING;
    if (host != NULL && !host_valid(host))
        return HTTP_STRICT_HOST_MALFORMED;
    for (size_t k = 0; k < 3; k++) {
        if (counts[k] > 1)
            return HTTP_STRICT_FIELD_REPEATED;
    }
    return HTTP_STRICT_OK;
}

const char *http__strict_error_name(http_strict_error_t err)
{
    switch (err) {
    case HTTP_STRICT_OK:
        return "ok";
    case HTTP_STRICT_REQUEST_LINE_SPACES:
        return "request_line_spaces";
    case HTTP_STRICT_BARE_LF:
        return "bare_lf";
    case HTTP_STRICT_BARE_CR:
        return "bare_cr";
    case HTTP_STRICT_OBS_FOLD:
        return "obs_fold";
    case HTTP_STRICT_CHUNK_SIZE:
        return "chunk_size";
    case HTTP_STRICT_CHUNK_DATA_END:
        return "chunk_data_end";
    case HTTP_STRICT_HOST_MISSING:
        return "host_missing";
    case HTTP_STRICT_HOST_REPEATED:
        return "host_repeated";
    case HTTP_STRICT_HOST_MALFORMED:
        return "host_malformed";
    case HTTP_STRICT_FIELD_REPEATED:
        return "field_repeated";
    }
    return "unknown";
}
