/* Time: a monotonic clock for durations and deadlines, and wall-clock time as
 * RFC 3339 UTC strings for logs and API timestamps. */
#ifndef RURAL24_CORE_CLOCK_H
#define RURAL24_CORE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic milliseconds / microseconds since an arbitrary point. */
uint64_t clock_now_ms(void);
uint64_t clock_now_us(void);

/* Wall-clock milliseconds since the Unix epoch. */
int64_t clock_wall_ms(void);

/* Writes e.g. "2026-11-27T23:14:17.123Z" (24 bytes + NUL) into out, which must
 * hold at least CLOCK_RFC3339_BYTES. */
enum { CLOCK_RFC3339_BYTES = 32 };
void clock_format_rfc3339_ms(int64_t wall_ms, char *out, size_t out_size);

#endif
