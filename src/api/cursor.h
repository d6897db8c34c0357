/* Opaque, signed page cursors (API.md: "next_cursor"; a tampered cursor is
 * 400 invalid_cursor).
 *
 * A cursor carries the keyset of the last item of a page (its sort value and
 * id, and for the price sorts whether the walk has reached the ads without a
 * price) and is bound to the query it came from: a cursor presented with other
 * filters or another sort is refused like a forged one, so a client cannot
 * splice one search's position into another. The text is
 * base64url(payload || HMAC-SHA256(key, payload)[0..16)); the key is derived
 * from JWT_SECRET, so every instance accepts every other instance's cursors. */
#ifndef RURAL24_API_CURSOR_H
#define RURAL24_API_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

enum {
    API_CURSOR_KEY_BYTES = 32,
    API_CURSOR_SORT_MAX = 64,
    API_CURSOR_MAX_CHARS = 256, /* longer text is not a cursor of ours */
};

typedef struct {
    unsigned char bytes[API_CURSOR_KEY_BYTES];
} api_cursor_key_t;

typedef struct {
    int phase;                          /* 0, or 1 past the priced ads of a price sort */
    char sort[API_CURSOR_SORT_MAX + 1]; /* the last item's sort value as text, or "" */
    int64_t id;                         /* the last item's id */
} api_cursor_t;

/* Derives the cursor key from a secret (JWT_SECRET) with its own context, so
 * the key signs nothing else. */
void api_cursor_key_derive(api_cursor_key_t *key, const char *secret);

/* Encodes c bound to binding (the canonical text of the query, any length)
 * into the arena. Never fails for a sort value within API_CURSOR_SORT_MAX
 * bytes; returns NULL otherwise. */
char *api_cursor_encode(arena_t *arena, const api_cursor_key_t *key, const char *binding,
                        const api_cursor_t *c);

/* Decodes text into c. 0, or -1 when it is not a cursor this key signed for
 * this binding (malformed, tampered, or from another query). */
int api_cursor_decode(const api_cursor_key_t *key, const char *binding, const char *text,
                      api_cursor_t *c);

#endif
