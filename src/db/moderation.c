/* The statements of favorites, reports and moderation; see moderation.h. */
#include "db/moderation.h"
#include "db/ad_sql.h"

/* An admin, by the user id in parameter n. */
#define VIEWER_IS_ADMIN(n)                                                                         \
    "EXISTS (SELECT 1 FROM users v WHERE v.id = $" n "::bigint AND v.role = 'admin')"

const db_stmt_t db_q_favorite_put = {
    .name = "favorite_put",
    .sql =
        "WITH ad AS (SELECT a.id FROM ads a WHERE a.id = $1::bigint AND a.status <> 'deleted'"
        "            AND (" AD_PUBLIC " OR a.user_id = $2::bigint OR " VIEWER_IS_ADMIN(
            "2") ")),"
                 " added AS (INSERT INTO favorites (user_id, ad_id) SELECT $2::bigint, id FROM ad"
                 "           ON CONFLICT (user_id, ad_id) DO NOTHING)"
                 " SELECT id FROM ad",
    .param_count = 2,
};

const db_stmt_t db_q_favorite_delete = {
    .name = "favorite_delete",
    .sql = "DELETE FROM favorites WHERE user_id = $1::bigint AND ad_id = $2::bigint",
    .param_count = 2,
};

const db_stmt_t db_q_report_ad = {
    .name = "report_ad",
    .sql = "SELECT o.outcome, o.hidden,"
           " CASE WHEN o.outcome = 'created' THEN json_build_object('id', o.report_id,"
           "   'ad_id', $1::bigint, 'reason', $3::text, 'details', $4::text,"
           "   'created_at', rfc3339(o.created_at))::text END AS report"
           " FROM report_ad($1::bigint, $2::bigint, $3::text, $4::text, $5::int) o",
    .param_count = 5,
};

const db_stmt_t db_q_moderate_ad = {
    .name = "moderate_ad",
    .sql = "SELECT json_build_object('ad_id', $1::bigint, 'action', $3::text,"
           " 'resolved_reports', o.resolved_reports)::text, o.action_id"
           " FROM moderate_ad($1::bigint, $2::bigint, $3::text, $4::text) o",
    .param_count = 4,
};

/* The admin queue for one kind of report (report_filter, on reports r) and
 * the ads it lists (ad_filter, on ads a). Groups are counted first, cut to
 * the page after the keyset, then each gets its summary and its newest
 * reports. */
#define ADMIN_REPORTS(report_filter, ad_filter)                                                    \
    "WITH groups AS (SELECT r.ad_id, count(*) AS n FROM reports r WHERE " report_filter            \
    "                GROUP BY r.ad_id),"                                                           \
    " page AS (SELECT g.ad_id, g.n, row_number() OVER (ORDER BY g.n DESC, g.ad_id DESC) AS k"      \
    "          FROM (SELECT g.* FROM groups g JOIN ads a ON a.id = g.ad_id WHERE " ad_filter       \
    "                  AND ($2::bigint IS NULL OR (g.n, g.ad_id) < ($2::bigint, $3::bigint))"      \
    "                ORDER BY g.n DESC, g.ad_id DESC LIMIT $1::int + 1) g)"                        \
    " SELECT coalesce(json_agg(json_build_object("                                                 \
    "   'ad', " AD_SUMMARY "::jsonb || jsonb_build_object('status', " AD_EFFECTIVE_STATUS ","      \
    "                                     'under_review', a.under_review),"                        \
    "   'report_count', p.n,"                                                                      \
    "   'reports', (SELECT coalesce(json_agg(json_build_object('id', r.id,"                        \
    "                 'reporter', json_build_object('id', u.id, 'name', u.name),"                  \
    "                 'reason', r.reason, 'details', r.details,"                                   \
    "                 'created_at', rfc3339(r.created_at))"                                        \
    "                 ORDER BY r.created_at DESC, r.id DESC), '[]')"                               \
    "               FROM (SELECT r.* FROM reports r WHERE r.ad_id = a.id AND " report_filter       \
    "                     ORDER BY r.created_at DESC, r.id DESC LIMIT $4::int) r"                  \
    "               JOIN users u ON u.id = r.reporter_id))"                                        \
    "   ORDER BY p.k) FILTER (WHERE p.k <= $1::int), '[]')::text AS items,"                        \
    " count(*) > $1::int AS has_more, 0 AS next_phase,"                                            \
    " max(p.n::text) FILTER (WHERE p.k = $1::int) AS next_sort,"                                   \
    " max(p.ad_id) FILTER (WHERE p.k = $1::int) AS next_id"                                        \
    " FROM page p JOIN ads a ON a.id = p.ad_id JOIN categories c ON c.id = a.category_id"

const db_stmt_t db_q_admin_reports_open = {
    .name = "admin_reports_open",
    .sql = ADMIN_REPORTS("r.status = 'open'", "a.status <> 'deleted'"),
    .param_count = 4,
    .custom_plan = true,
};

const db_stmt_t db_q_admin_reports_resolved = {
    .name = "admin_reports_resolved",
    .sql = ADMIN_REPORTS("r.status <> 'open'", "true"),
    .param_count = 4,
    .custom_plan = true,
};
