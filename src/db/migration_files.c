/* Finding and loading migration files: the directory, the NNN_name.sql
 * files in version order, their SHA-256 checksums and whether each must run
 * outside a transaction. See migrate.h. */
#include "db/migrate.h"
#include "db/sql_split.h"
#include "core/xmalloc.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uv.h>

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int db_migrations_dir(const char *dir_override, char *out, size_t out_size, char *err,
                      size_t err_size)
{
    if (dir_override != NULL && dir_override[0] != '\0') {
        if (!is_dir(dir_override)) {
            snprintf(err, err_size, "MIGRATIONS_DIR: \"%s\" is not a directory", dir_override);
            return -1;
        }
        snprintf(out, out_size, "%s", dir_override);
        return 0;
    }
    char exe[PATH_MAX];
    size_t exe_len = sizeof(exe);
    if (uv_exepath(exe, &exe_len) == 0) {
        char *slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            static const char *const relative[] = {"/../migrations", "/../../migrations",
                                                   "/../share/rural24/migrations"};
            for (size_t i = 0; i < sizeof(relative) / sizeof(relative[0]); i++) {
                char candidate[PATH_MAX + 64];
                snprintf(candidate, sizeof(candidate), "%s%s", exe, relative[i]);
                char resolved[PATH_MAX];
                if (realpath(candidate, resolved) != NULL && is_dir(resolved)) {
                    snprintf(out, out_size, "%s", resolved);
                    return 0;
                }
            }
        }
    }
    if (is_dir("migrations")) {
        char resolved[PATH_MAX];
        snprintf(out, out_size, "%s", realpath("migrations", resolved) ? resolved : "migrations");
        return 0;
    }
    snprintf(err, err_size,
             "no migrations directory found next to the binary or in the current directory; "
             "set MIGRATIONS_DIR");
    return -1;
}

/* "NNN_name.sql": the version, or -1 when the name does not have that form. */
static long parse_file_name(const char *name)
{
    size_t len = strlen(name);
    if (len < 6 || strcmp(name + len - 4, ".sql") != 0)
        return -1;
    size_t i = 0;
    long version = 0;
    while (name[i] >= '0' && name[i] <= '9') {
        if (version > 100000000)
            return -1;
        version = version * 10 + (name[i] - '0');
        i++;
    }
    if (i == 0 || name[i] != '_' || i + 1 >= len - 4)
        return -1;
    for (size_t j = i + 1; j < len - 4; j++) {
        char c = name[j];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return -1;
    }
    return version;
}

static int read_file(const char *path, char **out, size_t *len, char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, err_size, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    size_t capacity = 8192, n = 0;
    char *data = xmalloc(capacity);
    for (;;) {
        if (n + 4096 + 1 > capacity) {
            capacity *= 2;
            data = xrealloc(data, capacity);
        }
        size_t got = fread(data + n, 1, capacity - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    bool failed = ferror(f) != 0;
    fclose(f);
    if (failed) {
        free(data);
        snprintf(err, err_size, "cannot read %s", path);
        return -1;
    }
    data[n] = '\0';
    *out = data;
    *len = n;
    return 0;
}

static void sha256_hex(const char *data, size_t len, char out[DB_MIGRATION_CHECKSUM_HEX + 1])
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    if (EVP_Digest(data, len, digest, &digest_len, EVP_sha256(), NULL) != 1 || digest_len != 32)
        abort(); /* SHA-256 of memory cannot fail short of a broken libcrypto */
    static const char hex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < digest_len; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[2 * digest_len] = '\0';
}

static bool needs_no_transaction(const char *sql, size_t len)
{
    const char *eol = memchr(sql, '\n', len);
    size_t first_line = eol != NULL ? (size_t)(eol - sql) : len;
    if (first_line >= 2 && sql[0] == '-' && sql[1] == '-') {
        char line[256];
        snprintf(line, sizeof(line), "%.*s", (int)(first_line < 255 ? first_line : 255), sql);
        if (strstr(line, DB_MIGRATION_NO_TRANSACTION_MARKER) != NULL)
            return true;
    }
    db_sql_span_t *spans;
    size_t count;
    if (db_sql_split(sql, len, &spans, &count) != 0)
        return false; /* a broken file: PostgreSQL will say what is wrong */
    bool found = false;
    for (size_t i = 0; i < count && !found; i++)
        found = db_sql_needs_no_transaction(sql + spans[i].offset, spans[i].length);
    free(spans);
    return found;
}

static int compare_versions(const void *a, const void *b)
{
    const db_migration_t *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

void db_migrations_free(db_migration_t *migrations, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(migrations[i].sql);
    free(migrations);
}

int db_migrations_load(const char *dir, db_migration_t **out, size_t *count, char *err,
                       size_t err_size)
{
    *out = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (d == NULL) {
        snprintf(err, err_size, "cannot open the migrations directory %s: %s", dir,
                 strerror(errno));
        return -1;
    }
    size_t capacity = 16, n = 0;
    db_migration_t *list = xcalloc(capacity, sizeof(*list));
    int rc = 0;
    struct dirent *entry;
    while ((entry = readdir(d)) != NULL) {
        const char *name = entry->d_name;
        size_t name_len = strlen(name);
        if (name[0] == '.' || name_len < 4 || strcmp(name + name_len - 4, ".sql") != 0)
            continue;
        long version = parse_file_name(name);
        if (version < 0 || name_len >= DB_MIGRATION_NAME_MAX) {
            snprintf(err, err_size,
                     "migration file name \"%s\" is not NNN_name.sql (digits, an underscore, "
                     "then letters, digits and underscores)",
                     name);
            rc = -1;
            break;
        }
        if (n == capacity) {
            capacity *= 2;
            list = xrealloc(list, capacity * sizeof(*list));
            memset(list + n, 0, (capacity - n) * sizeof(*list));
        }
        db_migration_t *m = &list[n];
        m->version = version;
        memcpy(m->file_name, name, name_len + 1); /* name_len < DB_MIGRATION_NAME_MAX */
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (read_file(path, &m->sql, &m->sql_len, err, err_size) != 0) {
            rc = -1;
            break;
        }
        n++;
        sha256_hex(m->sql, m->sql_len, m->checksum);
        m->no_transaction = needs_no_transaction(m->sql, m->sql_len);
    }
    closedir(d);
    if (rc == 0) {
        qsort(list, n, sizeof(*list), compare_versions);
        for (size_t i = 1; i < n; i++) {
            if (list[i].version == list[i - 1].version) {
                snprintf(err, err_size, "two migrations have version %ld: %s and %s",
                         list[i].version, list[i - 1].file_name, list[i].file_name);
                rc = -1;
                break;
            }
        }
    }
    if (rc != 0) {
        db_migrations_free(list, n);
        return -1;
    }
    *out = list;
    *count = n;
    return 0;
}
