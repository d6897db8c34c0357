/* The WebSocket opening handshake (RFC 6455 4.2): what makes a GET an
 * acceptable upgrade, and the Sec-WebSocket-Accept answer. */
#ifndef RURAL24_WS_HANDSHAKE_H
#define RURAL24_WS_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>

#include "http/request.h"

typedef enum {
    WS_HANDSHAKE_OK = 0,
    WS_HANDSHAKE_NOT_UPGRADE, /* no "Upgrade: websocket" with "Connection: upgrade" */
    WS_HANDSHAKE_BAD_VERSION, /* Sec-WebSocket-Version is not 13 */
    WS_HANDSHAKE_BAD_KEY,     /* Sec-WebSocket-Key is not 16 bytes in base64 */
} ws_handshake_error_t;

enum { WS_ACCEPT_BYTES = 29 }; /* base64 of a SHA-1: 28 characters and a NUL */

/* Checks req's upgrade headers; on WS_HANDSHAKE_OK writes the
 * Sec-WebSocket-Accept value into accept (WS_ACCEPT_BYTES). */
ws_handshake_error_t ws_handshake_check(const http_request_t *req, char accept[WS_ACCEPT_BYTES]);

/* The accept value of a client key: base64(SHA-1(key + the RFC's GUID)).
 * false when key is not 16 bytes in base64. */
bool ws_handshake_accept(const char *key, char accept[WS_ACCEPT_BYTES]);

/* A text for the 400 answer. */
const char *ws_handshake_error_text(ws_handshake_error_t err);

#endif
