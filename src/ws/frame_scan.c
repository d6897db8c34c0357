/* The frame-boundary scanner of frame_scan.h. */
#include "ws/frame_scan.h"

#include <string.h>

/* The header's full length once its first two bytes are known. */
static uint8_t header_size(const uint8_t *header)
{
    uint8_t len7 = header[1] & 0x7f;
    uint8_t size = 2;
    if (len7 == 126)
        size += 2;
    else if (len7 == 127)
        size += 8;
    if (header[1] & 0x80)
        size += 4; /* the mask key */
    return size;
}

static uint64_t payload_length(const uint8_t *header)
{
    uint8_t len7 = header[1] & 0x7f;
    if (len7 < 126)
        return len7;
    uint64_t len = 0;
    int bytes = len7 == 126 ? 2 : 8;
    for (int i = 0; i < bytes; i++)
        len = (len << 8) | header[2 + i];
    return len;
}

void ws_frame_scan(ws_frame_scan_t *scan, const uint8_t *data, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (scan->payload_left > 0) {
            size_t avail = len - i;
            size_t skip = scan->payload_left < avail ? (size_t)scan->payload_left : avail;
            scan->payload_left -= skip;
            i += skip;
            continue;
        }
        scan->header[scan->header_len++] = data[i++];
        if (scan->header_len < 2 || scan->header_len < header_size(scan->header))
            continue;
        /* A whole header: the frame's payload follows. */
        uint8_t fin = scan->header[0] & 0x80;
        uint8_t opcode = scan->header[0] & 0x0f;
        if (opcode == 0x1 || opcode == 0x2)
            scan->fragmented = !fin;
        else if (opcode == 0x0 && fin)
            scan->fragmented = false;
        scan->payload_left = payload_length(scan->header);
        scan->header_len = 0;
    }
}

bool ws_frame_scan_idle(const ws_frame_scan_t *scan)
{
    return scan->payload_left == 0 && scan->header_len == 0 && !scan->fragmented;
}
