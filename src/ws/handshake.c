/* The opening handshake of handshake.h. */
#include "ws/handshake.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>

static const char GUID[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* Whether a comma-separated header value lists token (case-insensitive). */
static bool lists_token(const char *value, const char *token)
{
    size_t token_len = strlen(token);
    const char *p = value;
    while (p != NULL && *p != '\0') {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *end = strchr(p, ',');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len == token_len && strncasecmp(p, token, len) == 0)
            return true;
        p = end;
    }
    return false;
}

bool ws_handshake_accept(const char *key, char accept[WS_ACCEPT_BYTES])
{
    unsigned char raw[18];
    size_t raw_len = 0;
    const char *end = NULL;
    size_t key_len = strlen(key);
    if (key_len != 24 ||
        sodium_base642bin(raw, sizeof(raw), key, key_len, NULL, &raw_len, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        raw_len != 16 || end != key + key_len)
        return false;
    char joined[24 + sizeof(GUID)];
    memcpy(joined, key, 24);
    memcpy(joined + 24, GUID, sizeof(GUID));
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    if (EVP_Digest(joined, 24 + sizeof(GUID) - 1, digest, &digest_len, EVP_sha1(), NULL) != 1 ||
        digest_len != 20)
        return false;
    sodium_bin2base64(accept, WS_ACCEPT_BYTES, digest, 20, sodium_base64_VARIANT_ORIGINAL);
    return true;
}

ws_handshake_error_t ws_handshake_check(const http_request_t *req, char accept[WS_ACCEPT_BYTES])
{
    const char *upgrade = http_request_header(req, "Upgrade");
    const char *connection = http_request_header(req, "Connection");
    if (req->method != HTTP_METHOD_GET || upgrade == NULL || connection == NULL ||
        !lists_token(upgrade, "websocket") || !lists_token(connection, "upgrade"))
        return WS_HANDSHAKE_NOT_UPGRADE;
    const char *version = http_request_header(req, "Sec-WebSocket-Version");
    if (version == NULL || strcmp(version, "13") != 0)
        return WS_HANDSHAKE_BAD_VERSION;
    const char *key = http_request_header(req, "Sec-WebSocket-Key");
    if (key == NULL || !ws_handshake_accept(key, accept))
        return WS_HANDSHAKE_BAD_KEY;
    return WS_HANDSHAKE_OK;
}

const char *ws_handshake_error_text(ws_handshake_error_t err)
{
    switch (err) {
    case WS_HANDSHAKE_OK:
        return "ok";
    case WS_HANDSHAKE_NOT_UPGRADE:
        return "a WebSocket upgrade needs Upgrade: websocket and Connection: Upgrade";
    case WS_HANDSHAKE_BAD_VERSION:
        return "only WebSocket version 13 is supported";
    case WS_HANDSHAKE_BAD_KEY:
        return "Sec-WebSocket-Key must be 16 bytes in base64";
    }
    return "bad WebSocket handshake";
}
