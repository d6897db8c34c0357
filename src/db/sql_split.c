/* A small lexer over SQL text: just enough to find statement boundaries and
 * a statement's leading keywords; see sql_split.h. */
#include "db/sql_split.h"
#include "core/xmalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

/* If sql[i] starts a dollar-quote opener ($$ or $tag$), returns the opener's
 * length, else 0. $1 (a parameter) is not an opener. */
static size_t dollar_tag(const char *sql, size_t len, size_t i)
{
    if (sql[i] != '$' || (i > 0 && ident_char(sql[i - 1])))
        return 0;
    size_t j = i + 1;
    if (j < len && (isdigit((unsigned char)sql[j])))
        return 0;
    while (j < len && ident_char(sql[j]) && sql[j] != '$')
        j++;
    if (j < len && sql[j] == '$')
        return j - i + 1;
    return 0;
}

/* Skips one lexical element starting at sql[i] that is not plain code: a
 * quote, comment or dollar quote. Returns the index just past it; i itself
 * when sql[i] starts none; (size_t)-1 when it is not terminated. *is_comment
 * says whether it was a comment. */
static size_t skip_special(const char *sql, size_t len, size_t i, bool *is_comment)
{
    *is_comment = false;
    char c = sql[i];
    if (c == '-' && i + 1 < len && sql[i + 1] == '-') {
        *is_comment = true;
        while (i < len && sql[i] != '\n')
            i++;
        return i;
    }
    if (c == '/' && i + 1 < len && sql[i + 1] == '*') {
        *is_comment = true;
        int depth = 0;
        while (i < len) {
            if (sql[i] == '/' && i + 1 < len && sql[i + 1] == '*') {
                depth++;
                i += 2;
            } else if (sql[i] == '*' && i + 1 < len && sql[i + 1] == '/') {
                depth--;
                i += 2;
                if (depth == 0)
                    return i;
            } else {
                i++;
            }
        }
        return (size_t)-1;
    }
    if (c == '\'' || c == '"') {
        /* E'...' strings take backslash escapes. */
        bool backslash = c == '\'' && i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
                         (i < 2 || !ident_char(sql[i - 2]));
        i++;
        while (i < len) {
            if (backslash && sql[i] == '\\') {
                i += 2;
                continue;
            }
            if (sql[i] == c) {
                if (i + 1 < len && sql[i + 1] == c) { /* doubled: an escaped quote */
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            i++;
        }
        return (size_t)-1;
    }
    size_t tag_len = dollar_tag(sql, len, i);
    if (tag_len > 0) {
        const char *tag = sql + i;
        for (size_t j = i + tag_len; j + tag_len <= len; j++) {
            if (sql[j] == '$' && memcmp(sql + j, tag, tag_len) == 0)
                return j + tag_len;
        }
        return (size_t)-1;
    }
    return i;
}

int db_sql_split(const char *sql, size_t len, db_sql_span_t **out, size_t *count)
{
    size_t capacity = 8, n = 0;
    db_sql_span_t *spans = xmalloc(capacity * sizeof(*spans));
    size_t start = 0;      /* first non-blank, non-comment char of the statement */
    bool has_code = false; /* the statement holds more than blanks and comments */
    size_t last_code = 0;  /* index just past its last code character */
    size_t i = 0;
    while (i <= len) {
        if (i == len || sql[i] == ';') {
            if (has_code) {
                if (n == capacity) {
                    capacity *= 2;
                    spans = xrealloc(spans, capacity * sizeof(*spans));
                }
                spans[n].offset = start;
                spans[n].length = last_code - start;
                n++;
            }
            has_code = false;
            i++;
            continue;
        }
        bool is_comment;
        size_t next = skip_special(sql, len, i, &is_comment);
        if (next == (size_t)-1) {
            free(spans);
            *out = NULL;
            *count = 0;
            return DB_SQL_E_UNTERMINATED;
        }
        if (next == i) {
            next = i + 1;
            if (isspace((unsigned char)sql[i]))
                is_comment = true; /* blanks count like comments */
        }
        if (!is_comment) {
            if (!has_code)
                start = i;
            has_code = true;
            last_code = next;
        }
        i = next;
    }
    *out = spans;
    *count = n;
    return 0;
}

/* Reads the next keyword of sql from *pos, skipping blanks and comments. */
static bool next_word(const char *sql, size_t len, size_t *pos, char *word, size_t word_size)
{
    size_t i = *pos;
    for (;;) {
        while (i < len && isspace((unsigned char)sql[i]))
            i++;
        if (i >= len)
            return false;
        bool is_comment;
        size_t next = skip_special(sql, len, i, &is_comment);
        if (next == (size_t)-1)
            return false;
        if (next != i && is_comment) {
            i = next;
            continue;
        }
        break;
    }
    size_t n = 0;
    while (i < len && ident_char(sql[i])) {
        if (n + 1 < word_size)
            word[n++] = sql[i];
        i++;
    }
    word[n] = '\0';
    if (n == 0)
        i++; /* a symbol: step over it */
    *pos = i;
    return true;
}

bool db_sql_needs_no_transaction(const char *sql, size_t len)
{
    char w[6][32];
    size_t pos = 0;
    int n = 0;
    while (n < 6 && next_word(sql, len, &pos, w[n], sizeof(w[n])))
        n++;
    if (n == 0)
        return false;
    if (strcasecmp(w[0], "VACUUM") == 0)
        return true;
    if (n >= 2 && strcasecmp(w[0], "ALTER") == 0 && strcasecmp(w[1], "SYSTEM") == 0)
        return true;
    if (n >= 2 && (strcasecmp(w[0], "CREATE") == 0 || strcasecmp(w[0], "DROP") == 0) &&
        strcasecmp(w[1], "DATABASE") == 0)
        return true;
    if (strcasecmp(w[0], "REINDEX") == 0) {
        /* REINDEX [(options)] {INDEX|TABLE|...} CONCURRENTLY name */
        for (int k = 1; k < n; k++) {
            if (strcasecmp(w[k], "CONCURRENTLY") == 0)
                return true;
        }
        return false;
    }
    if (n >= 3 && strcasecmp(w[0], "CREATE") == 0) {
        int k = 1;
        if (strcasecmp(w[k], "UNIQUE") == 0)
            k++;
        return k + 1 < n && strcasecmp(w[k], "INDEX") == 0 &&
               strcasecmp(w[k + 1], "CONCURRENTLY") == 0;
    }
    if (n >= 3 && strcasecmp(w[0], "DROP") == 0)
        return strcasecmp(w[1], "INDEX") == 0 && strcasecmp(w[2], "CONCURRENTLY") == 0;
    return false;
}

bool db_sql_created_index(const char *sql, size_t len, char *out, size_t out_size)
{
    char w[8][64];
    size_t pos = 0;
    int n = 0;
    while (n < 8 && next_word(sql, len, &pos, w[n], sizeof(w[n])))
        n++;
    int k = 0;
    if (k >= n || strcasecmp(w[k++], "CREATE") != 0)
        return false;
    if (k < n && strcasecmp(w[k], "UNIQUE") == 0)
        k++;
    if (k >= n || strcasecmp(w[k++], "INDEX") != 0)
        return false;
    if (k < n && strcasecmp(w[k], "CONCURRENTLY") == 0)
        k++;
    if (k + 2 < n && strcasecmp(w[k], "IF") == 0 && strcasecmp(w[k + 1], "NOT") == 0 &&
        strcasecmp(w[k + 2], "EXISTS") == 0)
        k += 3;
    if (k >= n || w[k][0] == '\0' || strcasecmp(w[k], "ON") == 0)
        return false; /* an unnamed index */
    size_t i = 0;
    for (; w[k][i] != '\0' && i + 1 < out_size; i++)
        out[i] = (char)tolower((unsigned char)w[k][i]);
    out[i] = '\0';
    return true;
}
