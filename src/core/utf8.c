/* Strict UTF-8 decoding (RFC 3629). */
#include "core/utf8.h"

#include <stdint.h>
#include <string.h>

size_t utf8_sequence(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    for (size_t k = 1; k < n; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

bool utf8_valid_no_nul(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        if (p[i] == 0)
            return false;
        size_t n = utf8_sequence(p + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

size_t utf8_sanitize(const char *s, char *out, size_t max_bytes)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t avail = strlen(s);
    size_t o = 0;
    while (avail > 0) {
        size_t n = utf8_sequence(p, avail);
        if (n == 0) {
            if (o + 1 > max_bytes)
                break;
            out[o++] = '?';
            p++;
            avail--;
            continue;
        }
        if (o + n > max_bytes)
            break;
        memcpy(out + o, p, n);
        o += n;
        p += n;
        avail -= n;
    }
    out[o] = '\0';
    return o;
}
