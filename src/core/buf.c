/* Capped growable buffer. Growth doubles, but never past max_bytes + 1 (room
 * for the terminating NUL). */
#include "core/buf.h"
#include "core/xmalloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(buf_t *buf, size_t max_bytes)
{
    buf->data = NULL;
    buf->len = 0;
    buf->capacity = 0;
    buf->max_bytes = max_bytes;
}

static int reserve(buf_t *buf, size_t extra)
{
    if (extra > buf->max_bytes || buf->len > buf->max_bytes - extra)
        return BUF_E_TOOBIG;
    size_t need = buf->len + extra + 1;
    if (need <= buf->capacity)
        return 0;
    size_t cap = buf->capacity ? buf->capacity : 256;
    while (cap < need)
        cap *= 2;
    /* max_bytes + 1 leaves room for the NUL; SIZE_MAX means unbounded. */
    if (buf->max_bytes < SIZE_MAX && cap > buf->max_bytes + 1)
        cap = buf->max_bytes + 1;
    buf->data = xrealloc(buf->data, cap);
    buf->capacity = cap;
    return 0;
}

int buf_append(buf_t *buf, const void *data, size_t len)
{
    int rc = reserve(buf, len);
    if (rc != 0)
        return rc;
    if (len > 0)
        memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
    return 0;
}

int buf_append_str(buf_t *buf, const char *s)
{
    return buf_append(buf, s, strlen(s));
}

int buf_reserve(buf_t *buf, size_t extra)
{
    return reserve(buf, extra);
}

int buf_printf(buf_t *buf, const char *fmt, ...)
{
    /* One pass when the text fits in the room left, the usual case. */
    size_t room = buf->capacity > buf->len ? buf->capacity - buf->len : 0;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(room ? buf->data + buf->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0)
        return BUF_E_TOOBIG;
    if ((size_t)n < room) {
        if (buf->len + (size_t)n > buf->max_bytes) {
            buf->data[buf->len] = '\0';
            return BUF_E_TOOBIG;
        }
        buf->len += (size_t)n;
        return 0;
    }
    int rc = reserve(buf, (size_t)n);
    if (rc != 0) {
        /* The attempt above may have written into the spare room. */
        if (buf->data != NULL)
            buf->data[buf->len] = '\0';
        return rc;
    }
    va_start(ap, fmt);
    vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf->len += (size_t)n;
    return 0;
}

void buf_consume(buf_t *buf, size_t n)
{
    if (n >= buf->len) {
        buf_clear(buf);
        return;
    }
    memmove(buf->data, buf->data + n, buf->len - n);
    buf->len -= n;
    buf->data[buf->len] = '\0';
}

void buf_clear(buf_t *buf)
{
    buf->len = 0;
    if (buf->data != NULL)
        buf->data[0] = '\0';
}

void buf_free(buf_t *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = 0;
    buf->capacity = 0;
}

char *buf_steal(buf_t *buf, size_t *len_out)
{
    char *data = buf->data;
    *len_out = buf->len;
    buf->data = NULL;
    buf->len = 0;
    buf->capacity = 0;
    return data;
}
