/* Entity tags for conditional requests (RFC 9110 section 8.8.3 and
 * 13.1.2): whether an If-None-Match header matches a representation's
 * ETag, so that the answer is 304 Not Modified instead of the bytes. */
#ifndef RURAL24_HTTP_ETAG_H
#define RURAL24_HTTP_ETAG_H

#include <stdbool.h>

/* True when if_none_match (the header's value, NULL when absent) matches
 * etag (a strong entity tag with its quotes: "\"abc\""): it is "*", or a
 * comma-separated list of entity tags one of which equals etag by the weak
 * comparison (W/ prefixes are ignored on both sides; the opaque tags must be
 * equal octet for octet). A malformed list matches nothing from the first
 * malformed element on (the request is then answered in full, never wrongly
 * with 304). */
bool http_etag_none_match(const char *if_none_match, const char *etag);

#endif
