/* The catalog's statements; see catalog.h. */
#include "db/catalog.h"
#include "db/ad_sql.h"

const db_stmt_t db_q_categories = {
    .name = "categories",
    .sql = "WITH RECURSIVE tree AS ("
           "  SELECT c.id, c.parent_id, c.slug, c.name, c.position, c.attributes AS attrs,"
           "         ARRAY[c.position, c.id] AS path"
           "  FROM categories c WHERE c.parent_id IS NULL"
           "  UNION ALL"
           "  SELECT c.id, c.parent_id, c.slug, c.name, c.position, t.attrs || c.attributes,"
           "         t.path || ARRAY[c.position, c.id]"
           "  FROM categories c JOIN tree t ON c.parent_id = t.id)"
           " SELECT coalesce(json_agg(json_build_object('id', id, 'parent_id', parent_id,"
           "   'slug', slug, 'name', name, 'position', position, 'attributes', attrs)"
           "   ORDER BY path), '[]')::text FROM tree",
    .param_count = 0,
};

#define RATE_JSON                                                                                  \
    "json_build_object('usd_ars', r.usd_ars, 'updated_at', rfc3339(r.updated_at))::text"

const db_stmt_t db_q_exchange_rate_get = {
    .name = "exchange_rate_get",
    .sql = "SELECT " RATE_JSON " FROM exchange_rate r WHERE r.id",
    .param_count = 0,
};

/* The rate and its audit row in one statement (a CTE runs once). */
const db_stmt_t db_q_exchange_rate_set = {
    .name = "exchange_rate_set",
    .sql = "WITH r AS (SELECT * FROM set_exchange_rate($1::numeric)),"
           " audit AS (INSERT INTO admin_actions (admin_id, action, detail)"
           "           SELECT $2::bigint, 'exchange_rate', jsonb_build_object('usd_ars', r.usd_ars)"
           "           FROM r)"
           " SELECT " RATE_JSON " FROM r",
    .param_count = 2,
};

const db_stmt_t db_q_ad_insert = {
    .name = "ad_insert",
    .sql = "INSERT INTO ads (user_id, category_id, title, description, price, currency,"
           "                 price_unit, province, locality, attributes, expires_at)"
           " VALUES ($1::bigint, $2::int, $3::text, coalesce($4::text, ''), $5::numeric,"
           "         $6::text, $7::text, $8::text, $9::text, $10::jsonb,"
           "         now() + $11::int * interval '1 day')"
           " RETURNING id",
    .param_count = 11,
};

const db_stmt_t db_q_ad_for_write = {
    .name = "ad_for_write",
    .sql = "SELECT a.user_id, " AD_PUBLIC " AS public,"
           " a.category_id, a.attributes::text, a.price, a.currency,"
           " EXISTS (SELECT 1 FROM users v WHERE v.id = $2::bigint AND v.role = 'admin')"
           "   AS actor_is_admin"
           " FROM ads a WHERE a.id = $1::bigint AND a.status <> 'deleted'",
    .param_count = 2,
};

const db_stmt_t db_q_ad_delete = {
    .name = "ad_delete",
    .sql = "UPDATE ads SET status = 'deleted' WHERE id = $1::bigint AND status <> 'deleted'",
    .param_count = 1,
};

const db_stmt_t db_q_ad_delete_by_admin = {
    .name = "ad_delete_by_admin",
    .sql =
        "WITH d AS (UPDATE ads SET status = 'deleted' WHERE id = $1::bigint"
        "           AND status <> 'deleted' RETURNING id, user_id, status),"
        " audit AS (INSERT INTO admin_actions (admin_id, action, ad_id, detail)"
        "           SELECT $2::bigint, 'ad_delete', d.id, jsonb_build_object('owner_id', d.user_id)"
        "           FROM d)"
        " SELECT id FROM d",
    .param_count = 2,
};

const db_stmt_t db_q_ad_feature = {
    .name = "ad_feature",
    .sql = "WITH f AS (UPDATE ads SET is_featured = true,"
           "             featured_until = now() + $2::int * interval '1 day'"
           "           WHERE id = $1::bigint AND status <> 'deleted' RETURNING id, featured_until),"
           " audit AS (INSERT INTO admin_actions (admin_id, action, ad_id, detail)"
           "           SELECT $3::bigint, 'feature', f.id, jsonb_build_object('days', $2::int,"
           "                  'featured_until', rfc3339(f.featured_until)) FROM f)"
           " SELECT id FROM f",
    .param_count = 3,
};

const db_stmt_t db_q_user_profile = {
    .name = "user_profile",
    .sql = "SELECT json_build_object('id', u.id, 'name', u.name, 'province', u.province,"
           " 'member_since', rfc3339(u.created_at),"
           " 'active_ads', (SELECT count(*) FROM ads a WHERE a.user_id = u.id AND " AD_PUBLIC
           "))::text"
           " FROM users u WHERE u.id = $1::bigint",
    .param_count = 1,
};

/* Ranked: a term that starts with what was typed first, then one with at
 * least as many words (so "jhon deer" finds "John Deere" before "Deere"),
 * then by trigram similarity, categories before other terms, then how many
 * ads carry it. */
const db_stmt_t db_q_suggest = {
    .name = "suggest",
    .sql =
        "WITH q AS (SELECT lower(immutable_unaccent($1::text)) AS q,"
        "                  array_length(regexp_split_to_array(btrim(lower($1::text)), '\\s+'), 1)"
        "                    AS words)"
        " SELECT coalesce(json_agg(CASE WHEN t.kind = 'category'"
        "   THEN json_build_object('type', 'category', 'slug', t.slug, 'name', t.term)"
        "   ELSE json_build_object('type', 'query', 'text', t.term) END ORDER BY t.rank),"
        "   '[]')::text"
        " FROM (SELECT s.kind, s.term, s.slug, row_number() OVER (ORDER BY"
        "         starts_with(s.norm, q.q) DESC,"
        "         array_length(regexp_split_to_array(s.norm, '\\s+'), 1) >= q.words DESC,"
        "         greatest(word_similarity(q.q, s.norm), similarity(q.q, s.norm)) DESC,"
        "         s.kind = 'category' DESC, s.weight DESC, s.norm) AS rank"
        "       FROM suggest_terms s, q WHERE q.q <% s.norm OR s.norm % q.q"
        "       ORDER BY rank LIMIT 8) t",
    .param_count = 1,
};

const db_stmt_t db_q_views_add = {
    .name = "views_add",
    .sql = "UPDATE ads SET views = ads.views + v.n"
           " FROM unnest($1::bigint[], $2::bigint[]) AS v(id, n) WHERE ads.id = v.id",
    .param_count = 2,
};

const db_stmt_t db_q_suggest_refresh = {
    .name = "suggest_refresh",
    .sql = "SELECT suggest_refresh($1::int)",
    .param_count = 1,
};
