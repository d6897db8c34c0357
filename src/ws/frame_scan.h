/* Where client frames end, without keeping them: a few bytes of state over
 * the frame headers (RFC 6455 5.2) of what the connection receives. The
 * WebSocket connection (ws/conn.c) frees wslay's context only at a frame
 * boundary outside a fragmented message, which this tells. It does not
 * validate: wslay does, and closes on a bad frame. */
#ifndef RURAL24_WS_FRAME_SCAN_H
#define RURAL24_WS_FRAME_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t payload_left; /* of the current frame */
    uint8_t header[14];    /* the current frame's header so far */
    uint8_t header_len;
    bool fragmented; /* a data frame without FIN came, its final frame not yet */
} ws_frame_scan_t;

/* Follows len more bytes. */
void ws_frame_scan(ws_frame_scan_t *scan, const uint8_t *data, size_t len);

/* At a frame boundary and outside a fragmented message. */
bool ws_frame_scan_idle(const ws_frame_scan_t *scan);

#endif
