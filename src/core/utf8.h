/* UTF-8 checks shared by the layers that meet client text: strict decoding
 * (no overlong forms, no surrogates, nothing past U+10FFFF). */
#ifndef RURAL24_CORE_UTF8_H
#define RURAL24_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length (1 to 4) of the valid UTF-8 sequence at s, which has avail > 0
 * bytes; 0 when it is not valid. */
size_t utf8_sequence(const unsigned char *s, size_t avail);

/* True when s[0..len) is valid UTF-8 without NUL. */
bool utf8_valid_no_nul(const char *s, size_t len);

/* Copies at most max_bytes of s into out (which holds max_bytes + 1), each
 * invalid byte replaced by '?', cut at a character boundary; NUL-terminated.
 * Returns the length written. */
size_t utf8_sanitize(const char *s, char *out, size_t max_bytes);

#endif
