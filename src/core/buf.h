/* Growable byte buffer with a cap fixed at creation (curl's curlx_dyn_init).
 *
 * Everything a client can make grow is a buf_t with a cap: going over it is an
 * error the caller turns into an HTTP or WebSocket error, never an abort. The
 * data is always NUL-terminated for convenience (the NUL is not counted). */
#ifndef RURAL24_CORE_BUF_H
#define RURAL24_CORE_BUF_H

#include <stddef.h>

typedef struct {
    char *data; /* owned; NULL until the first append */
    size_t len;
    size_t capacity;
    size_t max_bytes; /* appends that would pass this fail with BUF_E_TOOBIG */
} buf_t;

enum { BUF_E_TOOBIG = -7 };

void buf_init(buf_t *buf, size_t max_bytes);

/* 0, or BUF_E_TOOBIG (the buffer is left as it was). */
int buf_append(buf_t *buf, const void *data, size_t len);
int buf_append_str(buf_t *buf, const char *s);
int buf_printf(buf_t *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Makes room for extra more bytes without changing the contents. 0 or
 * BUF_E_TOOBIG. */
int buf_reserve(buf_t *buf, size_t extra);

/* Drops the first n bytes, keeping the rest. */
void buf_consume(buf_t *buf, size_t n);

/* Empties the buffer, keeping its memory. */
void buf_clear(buf_t *buf);

/* Releases the memory; the buffer is empty and reusable afterwards. */
void buf_free(buf_t *buf);

/* Hands the data to the caller, who frees it with free(); the buffer is left
 * empty. *len_out receives the length. May return NULL for an empty buffer. */
char *buf_steal(buf_t *buf, size_t *len_out);

#endif
