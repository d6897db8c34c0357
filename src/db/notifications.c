/* The statements of saved searches and notifications; see notifications.h. */
#include "db/notifications.h"

const db_stmt_t db_q_saved_searches = {
    .name = "saved_searches",
    .sql = "SELECT coalesce(json_agg(" SAVED_SEARCH_JSON " ORDER BY s.id DESC), '[]')::text"
           " FROM saved_searches s WHERE s.user_id = $1::bigint",
    .param_count = 1,
};

const db_stmt_t db_q_saved_search_create = {
    .name = "saved_search_create",
    .sql = "SELECT CASE WHEN s.id IS NOT NULL THEN " SAVED_SEARCH_JSON "::text END"
           " FROM saved_search_create($1::bigint, $2::text, $3::jsonb, $4::int, $5::text,"
           "   $6::text, $7::text, $8::text, $9::numeric, $10::numeric, $11::boolean,"
           "   $12::jsonb, $13::jsonb, $14::int) s",
    .param_count = 14,
};

const db_stmt_t db_q_saved_search_delete = {
    .name = "saved_search_delete",
    .sql = "DELETE FROM saved_searches WHERE id = $1::bigint AND user_id = $2::bigint RETURNING id",
    .param_count = 2,
};

const db_stmt_t db_q_saved_search_seen = {
    .name = "saved_search_seen",
    .sql = "UPDATE saved_searches SET new_count = 0"
           " WHERE id = $1::bigint AND user_id = $2::bigint RETURNING id",
    .param_count = 2,
};

const db_stmt_t db_q_notifications_page = {
    .name = "notifications_page",
    .sql = "WITH page AS (SELECT n.*, row_number() OVER (ORDER BY n.id DESC) AS k"
           "  FROM (SELECT * FROM notifications n WHERE n.user_id = $1::bigint"
           "        AND ($2::bigint IS NULL OR n.id < $2::bigint)"
           "        ORDER BY n.id DESC LIMIT $3::int + 1) n)"
           " SELECT coalesce(json_agg(" NOTIFICATION_JSON " ORDER BY n.k)"
           "   FILTER (WHERE n.k <= $3::int), '[]')::text AS items,"
           " count(*) > $3::int AS has_more,"
           " max(n.id) FILTER (WHERE n.k = $3::int) AS next_id,"
           " (SELECT count(*) FROM notifications u WHERE u.user_id = $1::bigint"
           "  AND u.read_at IS NULL) AS unread_count"
           " FROM page n",
    .param_count = 3,
    .custom_plan = true,
};

/* read_at is never before created_at, whatever the clock does. */
const db_stmt_t db_q_notifications_read = {
    .name = "notifications_read",
    .sql = "UPDATE notifications SET read_at = greatest(now(), created_at)"
           " WHERE user_id = $1::bigint AND id <= $2::bigint AND read_at IS NULL",
    .param_count = 2,
};

const db_stmt_t db_q_notification_moderated = {
    .name = "notification_moderated",
    .sql = "SELECT n.user_id, " NOTIFICATION_JSON "::text FROM notifications n"
           " WHERE n.user_id = (SELECT a.user_id FROM ads a WHERE a.id = $1::bigint)"
           " AND n.event_key = 'ad_moderated:' || $2::bigint",
    .param_count = 2,
};
