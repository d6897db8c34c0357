/* The WebSocket pieces that need no socket: the handshake's accept value
 * (RFC 6455's own example) and the frame-boundary scanner, fed whole and one
 * byte at a time. */
#include <criterion/criterion.h>
#include <string.h>

#include "unit/core/leak_check.h"
#include "ws/frame_scan.h"
#include "ws/handshake.h"

TestSuite(ws, .fini = unit_check_no_leaks);

Test(ws, accept_value_of_the_rfc_example)
{
    char accept[WS_ACCEPT_BYTES];
    cr_assert(ws_handshake_accept("dGhlIHNhbXBsZSBub25jZQ==", accept));
    cr_expect_str_eq(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    cr_expect_not(ws_handshake_accept("dGhlIHNhbXBsZSBub25jZQ=", accept), "23 characters");
    cr_expect_not(ws_handshake_accept("dGhlIHNhbXBsZSBub25jZQ!!", accept), "not base64");
    cr_expect_not(ws_handshake_accept("dGhlIHNhbXBsZSBub25jZQo=", accept) &&
                      strcmp(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == 0,
                  "another key, another value");
}

/* A masked client frame with a payload of len bytes. */
static size_t frame(uint8_t *out, uint8_t first, uint64_t len)
{
    size_t n = 0;
    out[n++] = first;
    if (len < 126) {
        out[n++] = (uint8_t)(0x80 | len);
    } else if (len < 65536) {
        out[n++] = 0x80 | 126;
        out[n++] = (uint8_t)(len >> 8);
        out[n++] = (uint8_t)len;
    } else {
        out[n++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            out[n++] = (uint8_t)(len >> (8 * i));
    }
    memcpy(out + n, "\x01\x02\x03\x04", 4);
    n += 4;
    memset(out + n, 'x', (size_t)len);
    return n + (size_t)len;
}

/* Scans data whole and byte by byte; both must end idle or both not. */
static bool idle_after(const uint8_t *data, size_t len)
{
    ws_frame_scan_t whole = {0}, split = {0};
    ws_frame_scan(&whole, data, len);
    for (size_t i = 0; i < len; i++)
        ws_frame_scan(&split, data + i, 1);
    cr_assert_eq(ws_frame_scan_idle(&whole), ws_frame_scan_idle(&split));
    return ws_frame_scan_idle(&whole);
}

Test(ws, frame_boundaries_of_every_length_form)
{
    static uint8_t buf[3 * 70000];
    uint64_t lengths[] = {0, 1, 125, 126, 65535, 65536, 69999};
    for (size_t k = 0; k < sizeof(lengths) / sizeof(lengths[0]); k++) {
        size_t n = frame(buf, 0x81, lengths[k]);
        cr_expect(idle_after(buf, n), "a whole text frame of %llu bytes",
                  (unsigned long long)lengths[k]);
        if (n > 1)
            cr_expect_not(idle_after(buf, n - 1), "all but its last byte");
    }
    /* Two frames back to back, cut anywhere inside the second. */
    size_t a = frame(buf, 0x81, 300);
    size_t b = frame(buf + a, 0x89, 4); /* a ping */
    cr_expect(idle_after(buf, a + b));
    for (size_t cut = a + 1; cut < a + b; cut++)
        cr_expect_not(idle_after(buf, cut), "cut at %zu", cut);
}

Test(ws, a_fragmented_message_is_not_idle_until_its_final_frame)
{
    static uint8_t buf[1024];
    size_t n = frame(buf, 0x01, 10); /* text, no FIN */
    cr_expect_not(idle_after(buf, n), "after the first fragment");
    n += frame(buf + n, 0x89, 0); /* a ping between fragments */
    cr_expect_not(idle_after(buf, n), "a control frame does not end it");
    n += frame(buf + n, 0x00, 10); /* continuation, no FIN */
    cr_expect_not(idle_after(buf, n));
    n += frame(buf + n, 0x80, 10); /* continuation, FIN */
    cr_expect(idle_after(buf, n), "after the final fragment");
}
