/* If-None-Match against one ETag (etag.h). The grammar, RFC 9110:
 *
 *     If-None-Match = "*" / #entity-tag
 *     entity-tag    = [ "W/" ] DQUOTE *etagc DQUOTE
 *     etagc         = %x21 / %x23-7E / obs-text
 *
 * with list elements separated by commas and optional white space, and
 * empty elements allowed. */
#include "http/etag.h"

#include <string.h>

static const char *skip_ows_commas(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == ',')
        p++;
    return p;
}

static const char *skip_ows(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

static bool is_etagc(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x7e) || c >= 0x80;
}

/* The opaque tag of tag (its quoted part, quotes included): start and
 * length, or false when tag is not an entity tag. *end is where it ends. */
static bool opaque_tag(const char *tag, const char **start, size_t *len, const char **end)
{
    const char *p = tag;
    if (p[0] == 'W' && p[1] == '/')
        p += 2;
    if (*p != '"')
        return false;
    const char *q = p + 1;
    while (is_etagc((unsigned char)*q))
        q++;
    if (*q != '"')
        return false;
    *start = p;
    *len = (size_t)(q + 1 - p);
    *end = q + 1;
    return true;
}

bool http_etag_none_match(const char *if_none_match, const char *etag)
{
    if (if_none_match == NULL || etag == NULL)
        return false;
    const char *mine, *mine_end;
    size_t mine_len;
    if (!opaque_tag(etag, &mine, &mine_len, &mine_end))
        return false;
    const char *p = skip_ows(if_none_match);
    if (*p == '*')
        return *skip_ows(p + 1) == '\0';
    for (p = skip_ows_commas(p); *p != '\0'; p = skip_ows_commas(p)) {
        const char *theirs, *end;
        size_t len;
        if (!opaque_tag(p, &theirs, &len, &end))
            return false;
        if (len == mine_len && memcmp(theirs, mine, len) == 0)
            return true;
        end = skip_ows(end);
        if (*end != ',' && *end != '\0')
            return false;
        p = end;
    }
    return false;
}
