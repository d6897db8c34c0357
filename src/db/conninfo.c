/* Connection strings: checking DATABASE_URL / DATABASE_REPLICA_URL at
 * start-up, and turning them into libpq keyword/value arrays.
 *
 * libpq's own parser (PQconninfoParse) accepts both postgresql:// URLs and
 * "key=value" strings and rejects unknown options; values it only checks when
 * connecting (port, sslmode, target_session_attrs) are checked here too, so a
 * typo is one clear line and exit status 2 rather than a server that retries
 * forever.
 *
 * The DNS decision: PQconnectPoll resolves host names with a blocking
 * getaddrinfo(). When the string names exactly one host by name (not an IP
 * address, not a unix-socket directory, and without hostaddr), the pool
 * resolves it first with uv_getaddrinfo on the thread pool and passes the
 * addresses as hostaddr (see conn.c); host lists are left to libpq. */
#include "db/internal.h"
#include "core/xmalloc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void db__one_line(const char *message, char *out, size_t out_size)
{
    if (out_size == 0)
        return;
    size_t n = 0;
    bool blank = true; /* drop leading blanks */
    for (const char *p = message != NULL ? message : ""; *p != '\0' && n + 1 < out_size; p++) {
        char ch = *p;
        if (ch == '\n' || ch == '\r' || ch == '\t')
            ch = ' ';
        if (ch == ' ') {
            if (blank)
                continue;
            blank = true;
        } else {
            blank = false;
        }
        out[n++] = ch;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

/* Replaces every occurrence of secret in text by "***" (in place, text has
 * room for size bytes). */
static void redact(char *text, size_t size, const char *secret)
{
    size_t secret_len = strlen(secret);
    if (secret_len == 0)
        return;
    char *hit;
    while ((hit = strstr(text, secret)) != NULL) {
        char rest[1024];
        snprintf(rest, sizeof(rest), "%s", hit + secret_len);
        size_t prefix = (size_t)(hit - text);
        snprintf(text + prefix, size - prefix, "***%s", rest);
    }
}

/* The password of a postgresql://user:password@host URL, for redaction. */
static void url_password(const char *url, char *out, size_t out_size)
{
    out[0] = '\0';
    const char *rest = strstr(url, "://");
    if (rest == NULL)
        return;
    rest += 3;
    const char *at = strchr(rest, '@');
    const char *slash = strchr(rest, '/');
    if (at == NULL || (slash != NULL && slash < at))
        return;
    const char *colon = memchr(rest, ':', (size_t)(at - rest));
    if (colon == NULL)
        return;
    snprintf(out, out_size, "%.*s", (int)(at - colon - 1), colon + 1);
}

static bool one_of(const char *value, const char *const *allowed)
{
    for (; *allowed != NULL; allowed++) {
        if (strcmp(value, *allowed) == 0)
            return true;
    }
    return false;
}

/* Each comma-separated port is an integer from 1 to 65535 (empty entries
 * mean the default). */
static bool ports_valid(const char *ports)
{
    const char *p = ports;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        if (len > 0) {
            if (len > 5)
                return false;
            long value = 0;
            for (size_t i = 0; i < len; i++) {
                if (!isdigit((unsigned char)p[i]))
                    return false;
                value = value * 10 + (p[i] - '0');
            }
            if (value < 1 || value > 65535)
                return false;
        }
        if (end == NULL)
            return true;
        p = end + 1;
    }
}

static bool is_ip_address(const char *host)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static int check_option(const char *variable, const char *keyword, const char *value, char *err,
                        size_t err_size)
{
    static const char *const sslmodes[] = {"disable",   "allow",       "prefer", "require",
                                           "verify-ca", "verify-full", NULL};
    static const char *const session_attrs[] = {"any",     "read-write",     "read-only", "primary",
                                                "standby", "prefer-standby", NULL};
    if (strcmp(keyword, "port") == 0 && !ports_valid(value)) {
        snprintf(err, err_size, "%s: invalid port number \"%s\"", variable, value);
        return -1;
    }
    if (strcmp(keyword, "sslmode") == 0 && !one_of(value, sslmodes)) {
        snprintf(err, err_size, "%s: invalid sslmode \"%s\"", variable, value);
        return -1;
    }
    if (strcmp(keyword, "target_session_attrs") == 0 && !one_of(value, session_attrs)) {
        snprintf(err, err_size, "%s: invalid target_session_attrs \"%s\"", variable, value);
        return -1;
    }
    if (strcmp(keyword, "connect_timeout") == 0) {
        char *end = NULL;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno != 0 || end == value || *end != '\0' || v < 0) {
            snprintf(err, err_size, "%s: invalid connect_timeout \"%s\"", variable, value);
            return -1;
        }
    }
    return 0;
}

int db__conninfo_parse(const char *variable, const char *url, db__conninfo_t *out, char *err,
                       size_t err_size)
{
    memset(out, 0, sizeof(*out));
    char *parse_error = NULL;
    PQconninfoOption *options = PQconninfoParse(url, &parse_error);
    if (options == NULL) {
        char line[512];
        db__one_line(parse_error != NULL ? parse_error : "out of memory", line, sizeof(line));
        if (parse_error != NULL)
            PQfreemem(parse_error);
        char password[256];
        url_password(url, password, sizeof(password));
        redact(line, sizeof(line), password);
        snprintf(err, err_size, "%s: %s", variable, line);
        return -1;
    }

    int count = 0;
    for (PQconninfoOption *o = options; o->keyword != NULL; o++) {
        if (o->val != NULL)
            count++;
    }
    out->keywords = xcalloc((size_t)count + 1, sizeof(char *));
    out->values = xcalloc((size_t)count + 1, sizeof(char *));
    const char *host = NULL, *hostaddr = NULL;
    int rc = 0;
    for (PQconninfoOption *o = options; o->keyword != NULL; o++) {
        if (o->val == NULL)
            continue;
        if (rc == 0 && check_option(variable, o->keyword, o->val, err, err_size) != 0)
            rc = -1;
        out->keywords[out->count] = xstrdup(o->keyword);
        out->values[out->count] = xstrdup(o->val);
        if (strcmp(o->keyword, "host") == 0)
            host = out->values[out->count];
        else if (strcmp(o->keyword, "hostaddr") == 0)
            hostaddr = out->values[out->count];
        out->count++;
    }
    PQconninfoFree(options);
    if (rc != 0) {
        db__conninfo_free(out);
        return -1;
    }
    if (host != NULL && hostaddr == NULL && host[0] != '\0' && host[0] != '/' && host[0] != '@' &&
        strchr(host, ',') == NULL && !is_ip_address(host))
        out->resolve_host = xstrdup(host);
    return 0;
}

void db__conninfo_free(db__conninfo_t *ci)
{
    for (int i = 0; i < ci->count; i++) {
        free(ci->keywords[i]);
        free(ci->values[i]);
    }
    free(ci->keywords);
    free(ci->values);
    free(ci->resolve_host);
    memset(ci, 0, sizeof(*ci));
}

void db__conninfo_fill(const db__conninfo_t *ci, const char *host, const char *hostaddr,
                       const char **keywords, const char **values)
{
    int n = 0;
    bool has_gssencmode = false;
    for (int i = 0; i < ci->count; i++) {
        if ((host != NULL && strcmp(ci->keywords[i], "host") == 0) ||
            (hostaddr != NULL && strcmp(ci->keywords[i], "hostaddr") == 0))
            continue;
        if (strcmp(ci->keywords[i], "gssencmode") == 0)
            has_gssencmode = true;
        keywords[n] = ci->keywords[i];
        values[n] = ci->values[i];
        n++;
    }
    if (host != NULL) {
        keywords[n] = "host";
        values[n++] = host;
    }
    if (hostaddr != NULL) {
        keywords[n] = "hostaddr";
        values[n++] = hostaddr;
    }
    /* GSSAPI negotiation may consult a Kerberos credential cache (blocking
     * work) before every connection; it is off unless the string asks. */
    if (!has_gssencmode) {
        keywords[n] = "gssencmode";
        values[n++] = "disable";
    }
    keywords[n] = "fallback_application_name";
    values[n++] = "rural24";
    keywords[n] = NULL;
    values[n] = NULL;
}

int db_check_url(const char *variable, const char *url, char *err, size_t err_size)
{
    db__conninfo_t ci;
    if (db__conninfo_parse(variable, url, &ci, err, err_size) != 0)
        return -1;
    db__conninfo_free(&ci);
    return 0;
}
