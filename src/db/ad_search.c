/* The search statement builder; see ad_search.h.
 *
 * Only trusted text is spliced into the SQL: category ids and the limit
 * (integers the API parsed) and attribute keys (checked against the category
 * tree, [a-z][a-z0-9_]*); every value a client chose is a parameter. */
#include "db/ad_search.h"
#include "core/buf.h"
#include "db/ad_sql.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char *ad_search_sort_name(ad_sort_t sort)
{
    switch (sort) {
    case AD_SORT_PRICE_ASC:
        return "price_asc";
    case AD_SORT_PRICE_DESC:
        return "price_desc";
    case AD_SORT_RECENT:
    default:
        return "recent";
    }
}

typedef struct {
    const char *values[DB_MAX_PARAMS];
    int count;
} params_t;

/* Adds a parameter and returns its number ($n). */
static int param(params_t *p, const char *value)
{
    p->values[p->count] = value;
    return ++p->count;
}

/* The filters every branch shares (after "WHERE a.status = 'active'"). */
static void append_filters(buf_t *sql, const ad_search_t *s, params_t *p)
{
    /* Ads under review are few (an admin decides on each), so this filter
     * costs a page walk next to nothing and leaves every plan as it was. */
    buf_append_str(sql, " AND a.expires_at > now() AND NOT a.under_review");
    if (s->user_id > 0)
        buf_printf(sql, " AND a.user_id = %" PRId64, s->user_id);
    if (s->q != NULL)
        buf_printf(sql,
                   " AND a.search_vector @@ websearch_to_tsquery('spanish',"
                   " immutable_unaccent($%d::text))",
                   param(p, s->q));
    if (s->province != NULL)
        buf_printf(sql, " AND a.province = $%d::text", param(p, s->province));
    if (s->currency != NULL)
        buf_printf(sql, " AND a.currency = $%d::text", param(p, s->currency));
    if (s->price_unit != NULL)
        buf_printf(sql, " AND a.price_unit = $%d::text", param(p, s->price_unit));
    const char *rate = s->price_in_usd ? " * (SELECT usd_ars FROM exchange_rate WHERE id)" : "";
    if (s->min_price != NULL)
        buf_printf(sql, " AND a.price_ars >= $%d::numeric%s", param(p, s->min_price), rate);
    if (s->max_price != NULL)
        buf_printf(sql, " AND a.price_ars <= $%d::numeric%s", param(p, s->max_price), rate);
    if (s->attr_equal != NULL)
        buf_printf(sql, " AND ads_attributes_norm(a.attributes) @> ads_attributes_norm($%d::jsonb)",
                   param(p, s->attr_equal));
    for (size_t i = 0; i < s->range_count; i++) {
        const ad_attr_range_t *r = &s->ranges[i];
        if (r->min != NULL)
            buf_printf(sql, " AND ads_attribute_number(a.attributes, '%s') >= $%d::numeric", r->key,
                       param(p, r->min));
        if (r->max != NULL)
            buf_printf(sql, " AND ads_attribute_number(a.attributes, '%s') <= $%d::numeric", r->key,
                       param(p, r->max));
    }
}

typedef enum { PHASE_RECENT, PHASE_PRICED, PHASE_UNPRICED } phase_t;

static const char *phase_order(const ad_search_t *s, phase_t phase)
{
    if (phase == PHASE_PRICED)
        return s->sort == AD_SORT_PRICE_ASC ? "price_ars ASC, id ASC" : "price_ars DESC, id DESC";
    return "created_at DESC, id DESC";
}

/* One branch: the ads of one category (or of all, category_id < 0) in the
 * phase's order, limit + 1 of them, after the keyset when there is one. */
static void append_branch(buf_t *sql, const ad_search_t *s, phase_t phase, int32_t category_id,
                          const char *filters, const char *keyset)
{
    buf_append_str(sql, "(SELECT " AD_PAGE_COLUMNS " FROM ads a WHERE a.status = 'active'");
    if (category_id >= 0)
        buf_printf(sql, " AND a.category_id = %d", (int)category_id);
    buf_append_str(sql, filters);
    if (phase == PHASE_PRICED)
        buf_append_str(sql, " AND a.price_ars IS NOT NULL");
    else if (phase == PHASE_UNPRICED)
        buf_append_str(sql, " AND a.price_ars IS NULL");
    buf_append_str(sql, keyset);
    /* Qualified column names keep the index order visible to the planner. */
    if (phase == PHASE_PRICED)
        buf_append_str(sql, s->sort == AD_SORT_PRICE_ASC ? " ORDER BY a.price_ars ASC, a.id ASC"
                                                         : " ORDER BY a.price_ars DESC, a.id DESC");
    else
        buf_append_str(sql, " ORDER BY a.created_at DESC, a.id DESC");
    buf_printf(sql, " LIMIT %d)", s->limit + 1);
}

/* The branches of a phase merged into one ordered, limited set. */
static void append_phase(buf_t *sql, const ad_search_t *s, phase_t phase, const char *filters,
                         const char *keyset, const char *extra_where)
{
    buf_append_str(sql, "SELECT * FROM (");
    /* A full-text search is one branch: the GIN index answers the words,
     * and the category is a filter on what it found. */
    if (s->category_count == 0 || s->q != NULL) {
        append_branch(sql, s, phase, -1, filters, keyset);
    } else {
        for (size_t i = 0; i < s->category_count; i++) {
            if (i > 0)
                buf_append_str(sql, " UNION ALL ");
            append_branch(sql, s, phase, s->category_ids[i], filters, keyset);
        }
    }
    buf_printf(sql, ") u%s ORDER BY %s LIMIT %d", extra_where, phase_order(s, phase), s->limit + 1);
}

void ad_search_build(const ad_search_t *s, arena_t *arena, db_stmt_t **stmt_out,
                     const char ***params_out, int *nparams_out)
{
    params_t p = {.count = 0};
    buf_t filters;
    buf_init(&filters, 64 * 1024);
    append_filters(&filters, s, &p);
    if (s->q != NULL && s->category_count > 0) {
        buf_append_str(&filters, " AND a.category_id IN (");
        for (size_t i = 0; i < s->category_count; i++)
            buf_printf(&filters, "%s%d", i > 0 ? ", " : "", (int)s->category_ids[i]);
        buf_append_str(&filters, ")");
    }
    buf_append(&filters, "", 1);

    /* The keyset of the page before, per phase. */
    char keyset_recent[128] = "", keyset_priced[128] = "";
    if (s->after) {
        int sort_n = param(&p, s->after_sort);
        int id_n = param(&p, arena_printf(arena, "%" PRId64, s->after_id));
        if (s->sort == AD_SORT_RECENT || s->after_phase == 1)
            snprintf(keyset_recent, sizeof(keyset_recent),
                     " AND (a.created_at, a.id) < ($%d::timestamptz, $%d::bigint)", sort_n, id_n);
        else
            snprintf(keyset_priced, sizeof(keyset_priced),
                     " AND (a.price_ars, a.id) %s ($%d::numeric, $%d::bigint)",
                     s->sort == AD_SORT_PRICE_ASC ? ">" : "<", sort_n, id_n);
    }

    buf_t sql;
    buf_init(&sql, 1024 * 1024);
    if (s->sort == AD_SORT_RECENT) {
        buf_append_str(&sql, "WITH page AS (SELECT 0 AS ph, p.*,"
                             " row_number() OVER (ORDER BY p.created_at DESC, p.id DESC) AS n"
                             " FROM (");
        append_phase(&sql, s, PHASE_RECENT, filters.data, keyset_recent, "");
        buf_append_str(&sql, ") p)");
    } else {
        bool priced = !(s->after && s->after_phase == 1);
        buf_append_str(&sql, "WITH priced AS (");
        if (priced)
            append_phase(&sql, s, PHASE_PRICED, filters.data, keyset_priced, "");
        else
            buf_append_str(&sql, "SELECT " AD_PAGE_COLUMNS " FROM ads a WHERE false");
        buf_append_str(&sql, "), unpriced AS (");
        /* Only when the priced ads did not fill the page (a one-time filter:
         * the branches do not run otherwise). */
        char only_if[96];
        snprintf(only_if, sizeof(only_if), " WHERE (SELECT count(*) FROM priced) <= %d", s->limit);
        append_phase(&sql, s, PHASE_UNPRICED, filters.data, keyset_recent, only_if);
        buf_printf(&sql,
                   "), page AS (SELECT p.*, row_number() OVER (ORDER BY p.ph, p.price_ars %s, %s)"
                   " AS n FROM (SELECT 0 AS ph, * FROM priced UNION ALL"
                   " SELECT 1 AS ph, * FROM unpriced) p)",
                   s->sort == AD_SORT_PRICE_ASC ? "ASC" : "DESC",
                   s->sort == AD_SORT_PRICE_ASC
                       ? "CASE WHEN p.ph = 0 THEN p.id END ASC, p.created_at DESC, p.id DESC"
                       : "CASE WHEN p.ph = 1 THEN p.created_at END DESC, p.id DESC");
    }
    buf_printf(&sql,
               " SELECT coalesce(json_agg(" AD_SUMMARY " ORDER BY a.n) FILTER (WHERE a.n <= %d),"
               " '[]')::text AS items,"
               " count(*) > %d AS has_more,"
               " max(a.ph) FILTER (WHERE a.n = %d) AS next_phase,"
               " max(CASE WHEN a.ph = 0 AND %s THEN a.price_ars::text ELSE a.created_at::text END)"
               " FILTER (WHERE a.n = %d) AS next_sort,"
               " max(a.id) FILTER (WHERE a.n = %d) AS next_id"
               " FROM page a JOIN categories c ON c.id = a.category_id",
               s->limit, s->limit, s->limit, s->sort == AD_SORT_RECENT ? "false" : "true", s->limit,
               s->limit);

    db_stmt_t *stmt = arena_calloc(arena, 1, sizeof(*stmt));
    stmt->name = "";
    stmt->sql = arena_strndup(arena, sql.data, sql.len);
    stmt->param_count = p.count;
    stmt->custom_plan = true;
    const char **values = arena_calloc(arena, (size_t)(p.count > 0 ? p.count : 1), sizeof(*values));
    for (int i = 0; i < p.count; i++)
        values[i] = p.values[i];
    buf_free(&sql);
    buf_free(&filters);
    *stmt_out = stmt;
    *params_out = values;
    *nparams_out = p.count;
}
