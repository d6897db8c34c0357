/* The hot statements and their plan expectations; see queries.h.
 *
 * The JSON shapes are API.md's: an ad summary is built by AD_SUMMARY from an
 * ads row "a" and a categories row "c"; a message by MESSAGE_JSON from "m". */
#include "db/queries.h"
#include "db/ad_sql.h"

#include <stddef.h>

#define MESSAGE_JSON DB_MESSAGE_JSON

const db_stmt_t db_q_ads_featured = {
    .name = "ads_featured",
    .sql = "SELECT coalesce(json_agg(" AD_SUMMARY " ORDER BY a.created_at DESC, a.id DESC),"
           " '[]')::text AS items"
           " FROM (SELECT " AD_PAGE_COLUMNS " FROM ads a"
           "       WHERE a.is_featured = true AND a.featured_until > now() AND " AD_PUBLIC
           "       ORDER BY a.created_at DESC, a.id DESC LIMIT $1::int) a"
           " JOIN categories c ON c.id = a.category_id",
    .param_count = 1,
};

const db_stmt_t db_q_ad_detail = {
    .name = "ad_detail",
    .sql =
        "SELECT (" AD_SUMMARY "::jsonb || jsonb_build_object("
        "  'description', a.description, 'attributes', a.attributes,"
        "  'images', coalesce((SELECT jsonb_agg(jsonb_build_object('id', i.id,"
        "                        'url', '/api/images/' || i.id,"
        "                        'thumbnail_url', '/api/images/' || i.id || '/thumb',"
        "                        'width', i.width, 'height', i.height) ORDER BY i.position, i.id)"
        "                      FROM ad_images i WHERE i.ad_id = a.id), '[]'),"
        "  'status', " AD_EFFECTIVE_STATUS ", 'views', a.views,"
        "  'user', jsonb_build_object('id', u.id, 'name', u.name, 'province', u.province,"
        "                             'member_since', rfc3339(u.created_at)),"
        "  'updated_at', rfc3339(a.updated_at),"
        "  'featured_until', rfc3339(a.featured_until),"
        "  'expires_at', rfc3339(a.expires_at))"
        "  || CASE WHEN a.under_review THEN jsonb_build_object('under_review', true)"
        "          ELSE '{}' END)::text AS detail,"
        " a.user_id, " AD_PUBLIC " AS public, a.under_review"
        " FROM ads a JOIN users u ON u.id = a.user_id JOIN categories c ON c.id = a.category_id"
        " WHERE a.id = $1::bigint AND a.status <> 'deleted'"
        "   AND (" AD_PUBLIC " OR a.user_id = $2::bigint"
        "        OR EXISTS (SELECT 1 FROM users v WHERE v.id = $2::bigint AND v.role = 'admin'))",
    .param_count = 2,
};

const db_stmt_t db_q_conversations = {
    .name = "conversations",
    .sql = "WITH mine AS ("
           "  SELECT m.receiver_id AS peer_id, m.* FROM messages m WHERE m.sender_id = $1::bigint"
           "  UNION ALL"
           "  SELECT m.sender_id AS peer_id, m.* FROM messages m WHERE m.receiver_id = $1::bigint"
           "), last AS ("
           "  SELECT DISTINCT ON (peer_id) * FROM mine ORDER BY peer_id, created_at DESC, id DESC"
           ")"
           " SELECT coalesce(json_agg(json_build_object("
           "   'peer', json_build_object('id', u.id, 'name', u.name),"
           "   'ad', CASE WHEN ad.id IS NULL THEN NULL"
           "              ELSE json_build_object('id', ad.id, 'title', ad.title) END,"
           "   'last_message', " MESSAGE_JSON ","
           "   'unread_count', (SELECT count(*) FROM messages x WHERE x.receiver_id = $1::bigint"
           "                     AND x.sender_id = m.peer_id AND x.read_at IS NULL))"
           "   ORDER BY m.created_at DESC, m.id DESC), '[]')::text AS items"
           " FROM (SELECT * FROM last ORDER BY created_at DESC, id DESC LIMIT $2::int) m"
           " JOIN users u ON u.id = m.peer_id LEFT JOIN ads ad ON ad.id = m.ad_id",
    .param_count = 2,
};

/* One direction of a conversation, newest first, before the cursor. */
#define CONVERSATION_SIDE(from, to)                                                                \
    "(SELECT m.* FROM messages m WHERE m.sender_id = $" from "::bigint"                            \
    "  AND m.receiver_id = $" to "::bigint"                                                        \
    "  AND ($3::bigint IS NULL OR (m.created_at <= (SELECT created_at FROM b)"                     \
    "       AND (m.created_at, m.id) < ((SELECT created_at FROM b), $3::bigint)))"                 \
    " ORDER BY m.created_at DESC, m.id DESC LIMIT $4::int + 1)"

const db_stmt_t db_q_conversation_messages = {
    .name = "conversation_messages",
    .sql = "WITH b AS (SELECT created_at FROM messages WHERE id = $3::bigint),"
           " page AS ("
           "  SELECT p.*, row_number() OVER (ORDER BY p.created_at DESC, p.id DESC) AS n"
           "  FROM (SELECT * FROM (" CONVERSATION_SIDE("1", "2") " UNION ALL " CONVERSATION_SIDE(
               "2", "1") ") s"
                         "        ORDER BY s.created_at DESC, s.id DESC LIMIT $4::int + 1) p)"
                         " SELECT coalesce(json_agg(" MESSAGE_JSON
                         " ORDER BY m.n) FILTER (WHERE m.n <= $4::int),"
                         "  '[]')::text AS items,"
                         " count(*) > $4::int AS has_more,"
                         " max(m.id) FILTER (WHERE m.n = $4::int) AS next_id"
                         " FROM page m",
    .param_count = 4,
    .custom_plan = true,
};

const db_stmt_t db_q_messages_since = {
    .name = "messages_since",
    .sql = "WITH page AS ("
           "  SELECT p.*, row_number() OVER (ORDER BY p.id) AS n FROM ("
           "   SELECT * FROM ("
           "    (SELECT m.* FROM messages m WHERE m.sender_id = $1::bigint AND m.id > $2::bigint"
           "     ORDER BY m.id LIMIT $3::int + 1)"
           "    UNION ALL"
           "    (SELECT m.* FROM messages m WHERE m.receiver_id = $1::bigint"
           "     AND m.id > $2::bigint ORDER BY m.id LIMIT $3::int + 1)) s"
           "   ORDER BY s.id LIMIT $3::int + 1) p)"
           " SELECT coalesce(json_agg(" MESSAGE_JSON " ORDER BY m.n) FILTER (WHERE m.n <= $3::int),"
           "  '[]')::text AS items,"
           " count(*) > $3::int AS has_more,"
           " max(m.id) FILTER (WHERE m.n = $3::int) AS next_id"
           " FROM page m",
    .param_count = 3,
};

/* The favorites walked newest first, only public ones kept, limit + 1 of
 * them; then numbered and summarised. */
const db_stmt_t db_q_favorites = {
    .name = "favorites",
    .sql = "WITH page AS ("
           "  SELECT a.*, row_number() OVER (ORDER BY a.favorited_at DESC, a.id DESC) AS n"
           "  FROM (SELECT a.*, f.created_at AS favorited_at"
           "        FROM favorites f JOIN ads a ON a.id = f.ad_id"
           "        WHERE f.user_id = $1::bigint AND " AD_PUBLIC
           "          AND ($3::timestamptz IS NULL"
           "               OR (f.created_at, f.ad_id) < ($3::timestamptz, $4::bigint))"
           "        ORDER BY f.created_at DESC, f.ad_id DESC LIMIT $2::int + 1) a)"
           " SELECT coalesce(json_agg(" AD_SUMMARY " ORDER BY a.n)"
           "   FILTER (WHERE a.n <= $2::int), '[]')::text AS items,"
           " count(*) > $2::int AS has_more, 0 AS next_phase,"
           " max(a.favorited_at::text) FILTER (WHERE a.n = $2::int) AS next_sort,"
           " max(a.id) FILTER (WHERE a.n = $2::int) AS next_id"
           " FROM page a JOIN categories c ON c.id = a.category_id",
    .param_count = 4,
    .custom_plan = true,
};

const db_stmt_t db_q_my_ads = {
    .name = "my_ads",
    .sql = "WITH page AS ("
           "  SELECT a.*, " AD_EFFECTIVE_STATUS " AS effective_status,"
           "   row_number() OVER (ORDER BY a.created_at DESC, a.id DESC) AS n"
           "  FROM (SELECT * FROM ads a WHERE a.user_id = $1::bigint AND a.status <> 'deleted'"
           "          AND ($2::text IS NULL OR " AD_EFFECTIVE_STATUS " = $2::text)"
           "          AND ($4::timestamptz IS NULL"
           "               OR (a.created_at, a.id) < ($4::timestamptz, $5::bigint))"
           "        ORDER BY a.created_at DESC, a.id DESC LIMIT $3::int + 1) a)"
           " SELECT coalesce(json_agg(" AD_SUMMARY "::jsonb"
           "   || jsonb_build_object('status', a.effective_status) ORDER BY a.n)"
           "   FILTER (WHERE a.n <= $3::int), '[]')::text AS items,"
           " count(*) > $3::int AS has_more, 0 AS next_phase,"
           " max(a.created_at::text) FILTER (WHERE a.n = $3::int) AS next_sort,"
           " max(a.id) FILTER (WHERE a.n = $3::int) AS next_id"
           " FROM page a JOIN categories c ON c.id = a.category_id",
    .param_count = 5,
    .custom_plan = true,
};

const db_stmt_t db_q_sessions_of_user = {
    .name = "sessions_of_user",
    .sql = "SELECT coalesce(json_agg(json_build_object('id', s.id,"
           "   'created_at', rfc3339(s.created_at), 'last_used_at', rfc3339(s.last_used_at),"
           "   'user_agent', s.user_agent, 'ip', host(s.ip))"
           "   ORDER BY s.created_at DESC, s.id DESC), '[]')::text AS items"
           " FROM sessions s WHERE s.user_id = $1::bigint AND s.revoked_at IS NULL"
           "   AND s.expires_at > now()",
    .param_count = 1,
};

const db_stmt_t db_q_exchange_rate_init = {
    .name = "exchange_rate_init",
    .sql = "SELECT usd_ars FROM set_exchange_rate($1::numeric)"
           " WHERE NOT EXISTS (SELECT 1 FROM exchange_rate)",
    .param_count = 1,
};

/* --- what doctor --explain checks --- */

/* The busiest pair of the latest conversation. */
#define SAMPLE_PAIR                                                                                \
    "FROM (SELECT sender_id, receiver_id, id FROM messages ORDER BY id DESC LIMIT 1) m"

static const char *const ix_featured[] = {"idx_ads_featured", NULL};
static const char *const ix_detail[] = {"ads_pkey", NULL};
static const char *const ix_conversations[] = {"idx_messages_user_conversations",
                                               "idx_messages_sender_id", NULL};
static const char *const ix_conversation[] = {"idx_messages_user_conversations", NULL};
static const char *const ix_since[] = {"idx_messages_sender_id", "idx_messages_receiver_id", NULL};
static const char *const ix_favorites[] = {"idx_favorites_user_date", "favorites_pkey", NULL};
static const char *const ix_my_ads[] = {"idx_ads_user_date", NULL};

const db_hot_query_t db_hot_queries[] = {
    {"featured ads", &db_q_ads_featured, "SELECT '20'", ix_featured},
    {"ad detail", &db_q_ad_detail,
     "SELECT (SELECT max(id) FROM ads WHERE status = 'active')::text, '0'", ix_detail},
    {"a user's conversations", &db_q_conversations, "SELECT m.sender_id::text, '50' " SAMPLE_PAIR,
     ix_conversations},
    {"a conversation's messages", &db_q_conversation_messages,
     "SELECT m.sender_id::text, m.receiver_id::text, NULL, '50' " SAMPLE_PAIR, ix_conversation},
    {"a conversation's messages, next page", &db_q_conversation_messages,
     "SELECT m.sender_id::text, m.receiver_id::text, m.id::text, '50' " SAMPLE_PAIR,
     ix_conversation},
    {"messages since an id", &db_q_messages_since,
     "SELECT m.sender_id::text, (m.id - 100000)::text, '500' " SAMPLE_PAIR, ix_since},
    {"a user's favorites", &db_q_favorites,
     "SELECT (SELECT user_id::text FROM favorites ORDER BY created_at DESC LIMIT 1), '50', NULL,"
     " NULL",
     ix_favorites},
    {"a user's own ads", &db_q_my_ads,
     "SELECT (SELECT user_id::text FROM ads ORDER BY id DESC LIMIT 1), NULL, '50', NULL, NULL",
     ix_my_ads},
};

const size_t db_hot_query_count = sizeof(db_hot_queries) / sizeof(db_hot_queries[0]);
