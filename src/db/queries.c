/* The hot statements and their plan expectations; see queries.h.
 *
 * The JSON shapes are API.md's: an ad summary is built by AD_SUMMARY from an
 * ads row "a" and a categories row "c"; a message by MESSAGE_JSON from "m". */
#include "db/queries.h"

#include <stddef.h>

/* API.md's ad summary from ads a and categories c. */
#define AD_SUMMARY                                                                                 \
    "json_build_object('id', a.id, 'title', a.title, 'price', a.price,"                            \
    " 'currency', a.currency, 'province', a.province, 'locality', a.locality,"                     \
    " 'category', json_build_object('id', c.id, 'slug', c.slug, 'name', c.name),"                  \
    " 'thumbnail_url', (SELECT '/api/images/' || i.id FROM ad_images i"                            \
    "                   WHERE i.ad_id = a.id ORDER BY i.position, i.id LIMIT 1),"                  \
    " 'is_featured', a.is_featured AND a.featured_until > now(),"                                  \
    " 'created_at', rfc3339(a.created_at))"

/* API.md's message from messages m. */
#define MESSAGE_JSON                                                                               \
    "json_build_object('id', m.id, 'sender_id', m.sender_id, 'receiver_id', m.receiver_id,"        \
    " 'ad_id', m.ad_id, 'body', m.body, 'created_at', rfc3339(m.created_at),"                      \
    " 'read_at', rfc3339(m.read_at))"

/* The columns a search subquery passes up. */
#define AD_PAGE_COLUMNS                                                                            \
    "a.id, a.created_at, a.price_ars, a.title, a.price, a.currency, a.province, a.locality,"       \
    " a.category_id, a.is_featured, a.featured_until"

/* The optional filters of every search, on ads a, with the parameter numbers
 * of province, min, max and currency. */
#define AD_FILTERS(province, min, max, currency)                                                   \
    " AND ($" province "::text IS NULL OR a.province = $" province "::text)"                       \
    " AND ($" min "::numeric IS NULL OR a.price_ars >= $" min "::numeric)"                         \
    " AND ($" max "::numeric IS NULL OR a.price_ars <= $" max "::numeric)"                         \
    " AND ($" currency "::text IS NULL OR a.currency = $" currency "::text)"

/* Turns the limit + 1 rows of "page" (with their row number n, in order) into
 * the one-row answer: items, has_more, next_sort, next_id. */
#define PAGE_RESULT(limit, sort_expr)                                                              \
    "SELECT coalesce(json_agg(" AD_SUMMARY " ORDER BY a.n) FILTER (WHERE a.n <= $" limit           \
    "::int), '[]')::text AS items,"                                                                \
    " count(*) > $" limit "::int AS has_more,"                                                     \
    " max((" sort_expr ")::text) FILTER (WHERE a.n = $" limit "::int) AS next_sort,"               \
    " max(a.id) FILTER (WHERE a.n = $" limit "::int) AS next_id"                                   \
    " FROM page a JOIN categories c ON c.id = a.category_id"

/* The category and its descendants. */
#define CATEGORY_TREE(param)                                                                       \
    "WITH RECURSIVE tree AS ("                                                                     \
    " SELECT id FROM categories WHERE id = $" param "::int"                                        \
    " UNION ALL SELECT c.id FROM categories c JOIN tree t ON c.parent_id = t.id)"

const db_stmt_t db_q_ads_search_category = {
    .name = "ads_search_category",
    .sql = CATEGORY_TREE(
        "1") ","
             " page AS ("
             "  SELECT p.*, row_number() OVER (ORDER BY p.created_at DESC, p.id DESC) AS n"
             "  FROM (SELECT x.* FROM tree CROSS JOIN LATERAL ("
             "          SELECT " AD_PAGE_COLUMNS " FROM ads a"
             "          WHERE a.status = 'active' AND a.category_id = tree.id" AD_FILTERS(
                 "2", "3", "4",
                 "5") "            AND ($6::timestamptz IS NULL"
                      "                 OR (a.created_at, a.id) < ($6::timestamptz, $7::bigint))"
                      "          ORDER BY a.created_at DESC, a.id DESC LIMIT $8::int + 1) x"
                      "        ORDER BY x.created_at DESC, x.id DESC LIMIT $8::int + 1) p)"
                      " " PAGE_RESULT("8", "a.created_at"),
    .param_count = 8,
    .custom_plan = true,
};

const db_stmt_t db_q_ads_search_recent = {
    .name = "ads_search_recent",
    .sql = "WITH page AS ("
           " SELECT p.*, row_number() OVER (ORDER BY p.created_at DESC, p.id DESC) AS n"
           " FROM (SELECT " AD_PAGE_COLUMNS " FROM ads a"
           "       WHERE a.status = 'active'" AD_FILTERS(
               "1", "2", "3",
               "4") "         AND ($5::timestamptz IS NULL"
                    "              OR (a.created_at, a.id) < ($5::timestamptz, $6::bigint))"
                    "       ORDER BY a.created_at DESC, a.id DESC LIMIT $7::int + 1) p)"
                    " " PAGE_RESULT("7", "a.created_at"),
    .param_count = 7,
    .custom_plan = true,
};

#define PRICE_SEARCH(direction, compare)                                                           \
    CATEGORY_TREE("1")                                                                             \
    ","                                                                                            \
    " page AS ("                                                                                   \
    "  SELECT p.*, row_number() OVER (ORDER BY p.price_ars " direction ", p.id " direction         \
    ") AS n"                                                                                       \
    "  FROM (SELECT x.* FROM tree CROSS JOIN LATERAL ("                                            \
    "          SELECT " AD_PAGE_COLUMNS " FROM ads a"                                              \
    "          WHERE a.status = 'active' AND a.category_id = tree.id"                              \
    "            AND a.price_ars IS NOT NULL" AD_FILTERS(                                          \
        "2", "3", "4", "5") "            AND ($6::numeric IS NULL"                                 \
                            "                 OR (a.price_ars, a.id) " compare                     \
                            " ($6::numeric, $7::bigint))"                                          \
                            "          ORDER BY a.price_ars " direction ", a.id " direction        \
                            " LIMIT $8::int + 1) x"                                                \
                            "        ORDER BY x.price_ars " direction ", x.id " direction          \
                            " LIMIT $8::int + 1) p)"                                               \
                            " " PAGE_RESULT("8", "a.price_ars")

const db_stmt_t db_q_ads_search_category_price_asc = {
    .name = "ads_search_category_price_asc",
    .sql = PRICE_SEARCH("ASC", ">"),
    .param_count = 8,
    .custom_plan = true,
};

const db_stmt_t db_q_ads_search_category_price_desc = {
    .name = "ads_search_category_price_desc",
    .sql = PRICE_SEARCH("DESC", "<"),
    .param_count = 8,
    .custom_plan = true,
};

const db_stmt_t db_q_ads_search_text = {
    .name = "ads_search_text",
    .sql = CATEGORY_TREE(
        "2") ","
             " page AS ("
             "  SELECT p.*, row_number() OVER (ORDER BY p.created_at DESC, p.id DESC) AS n"
             "  FROM (SELECT " AD_PAGE_COLUMNS " FROM ads a"
             "        WHERE a.status = 'active'"
             "          AND a.search_vector @@ websearch_to_tsquery('spanish', "
             "immutable_unaccent($1))"
             "          AND ($2::int IS NULL OR a.category_id IN (SELECT id FROM tree))" AD_FILTERS(
                 "3", "4", "5",
                 "6") "          AND ($7::timestamptz IS NULL"
                      "               OR (a.created_at, a.id) < ($7::timestamptz, $8::bigint))"
                      "        ORDER BY a.created_at DESC, a.id DESC LIMIT $9::int + 1) p)"
                      " " PAGE_RESULT("9", "a.created_at"),
    .param_count = 9,
    .custom_plan = true,
};

const db_stmt_t db_q_ads_featured = {
    .name = "ads_featured",
    .sql = "SELECT coalesce(json_agg(" AD_SUMMARY " ORDER BY a.created_at DESC, a.id DESC),"
           " '[]')::text AS items"
           " FROM (SELECT " AD_PAGE_COLUMNS " FROM ads a"
           "       WHERE a.is_featured = true AND a.featured_until > now()"
           "         AND a.status = 'active'"
           "       ORDER BY a.created_at DESC, a.id DESC LIMIT $1::int) a"
           " JOIN categories c ON c.id = a.category_id",
    .param_count = 1,
};

const db_stmt_t db_q_ad_detail = {
    .name = "ad_detail",
    .sql = "SELECT (" AD_SUMMARY "::jsonb || jsonb_build_object("
           "  'description', a.description, 'attributes', a.attributes,"
           "  'images', coalesce((SELECT jsonb_agg(jsonb_build_object('id', i.id,"
           "                        'url', '/api/images/' || i.id) ORDER BY i.position, i.id)"
           "                      FROM ad_images i WHERE i.ad_id = a.id), '[]'),"
           "  'status', a.status, 'views', a.views,"
           "  'user', jsonb_build_object('id', u.id, 'name', u.name, 'province', u.province,"
           "                             'member_since', rfc3339(u.created_at)),"
           "  'updated_at', rfc3339(a.updated_at),"
           "  'featured_until', rfc3339(a.featured_until)))::text AS detail"
           " FROM ads a JOIN users u ON u.id = a.user_id JOIN categories c ON c.id = a.category_id"
           " WHERE a.id = $1::bigint AND a.status <> 'deleted'"
           "   AND (a.status = 'active' OR a.user_id = $2::bigint)",
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

const db_stmt_t db_q_favorites = {
    .name = "favorites",
    .sql = "SELECT coalesce(json_agg(" AD_SUMMARY " ORDER BY f.created_at DESC, f.ad_id DESC),"
           " '[]')::text AS items"
           " FROM (SELECT * FROM favorites WHERE user_id = $1::bigint"
           "       ORDER BY created_at DESC, ad_id DESC LIMIT $2::int) f"
           " JOIN ads a ON a.id = f.ad_id AND a.status <> 'deleted'"
           " JOIN categories c ON c.id = a.category_id",
    .param_count = 2,
};

const db_stmt_t db_q_my_ads = {
    .name = "my_ads",
    .sql = "SELECT coalesce(json_agg((" AD_SUMMARY "::jsonb"
           "   || jsonb_build_object('status', a.status)) ORDER BY a.created_at DESC, a.id DESC),"
           " '[]')::text AS items"
           " FROM (SELECT * FROM ads WHERE user_id = $1::bigint AND status <> 'deleted'"
           "         AND ($2::text IS NULL OR status = $2::text)"
           "       ORDER BY created_at DESC, id DESC LIMIT $3::int) a"
           " JOIN categories c ON c.id = a.category_id",
    .param_count = 3,
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

/* A leaf category with many ads, and a parent (Maquinaria agrícola). */
#define SAMPLE_TRACTORES "(SELECT id::text FROM categories WHERE slug = 'tractores')"
#define SAMPLE_MAQUINARIA "(SELECT id::text FROM categories WHERE slug = 'maquinaria-agricola')"
/* The busiest pair of the latest conversation. */
#define SAMPLE_PAIR                                                                                \
    "FROM (SELECT sender_id, receiver_id, id FROM messages ORDER BY id DESC LIMIT 1) m"

static const char *const ix_category[] = {"idx_ads_search_category_date",
                                          "idx_ads_search_category_province_date", NULL};
static const char *const ix_category_province[] = {"idx_ads_search_category_province_date", NULL};
static const char *const ix_category_price[] = {"idx_ads_search_category_date",
                                                "idx_ads_search_category_price",
                                                "idx_ads_search_category_province_date", NULL};
static const char *const ix_price[] = {"idx_ads_search_category_price", NULL};
static const char *const ix_recent[] = {"idx_ads_search_recent", NULL};
static const char *const ix_province[] = {"idx_ads_search_province_date", NULL};
static const char *const ix_text[] = {"idx_ads_search_text", NULL};
static const char *const ix_featured[] = {"idx_ads_featured", NULL};
static const char *const ix_detail[] = {"ads_pkey", NULL};
static const char *const ix_conversations[] = {"idx_messages_user_conversations",
                                               "idx_messages_sender_id", NULL};
static const char *const ix_conversation[] = {"idx_messages_user_conversations", NULL};
static const char *const ix_since[] = {"idx_messages_sender_id", "idx_messages_receiver_id", NULL};
static const char *const ix_favorites[] = {"idx_favorites_user_date", "favorites_pkey", NULL};
static const char *const ix_my_ads[] = {"idx_ads_user_date", NULL};

const db_hot_query_t db_hot_queries[] = {
    {"search by category", &db_q_ads_search_category,
     "SELECT " SAMPLE_TRACTORES ", NULL, NULL, NULL, NULL, NULL, NULL, '20'", ix_category},
    {"search by parent category", &db_q_ads_search_category,
     "SELECT " SAMPLE_MAQUINARIA ", NULL, NULL, NULL, NULL, NULL, NULL, '20'", ix_category},
    {"search by category with a province", &db_q_ads_search_category,
     "SELECT " SAMPLE_TRACTORES ", 'Córdoba', NULL, NULL, NULL, NULL, NULL, '20'",
     ix_category_province},
    {"search by category with a price range", &db_q_ads_search_category,
     "SELECT " SAMPLE_TRACTORES ", NULL, '20000000', '60000000', NULL, NULL, NULL, '20'",
     ix_category_price},
    {"search by category, second page", &db_q_ads_search_category,
     "SELECT " SAMPLE_TRACTORES ", NULL, NULL, NULL, NULL,"
     " (now() - interval '10 days')::text, '9223372036854775807', '20'",
     ix_category},
    {"search by category sorted by price", &db_q_ads_search_category_price_asc,
     "SELECT " SAMPLE_TRACTORES ", NULL, NULL, NULL, NULL, NULL, NULL, '20'", ix_price},
    {"search of all ads", &db_q_ads_search_recent,
     "SELECT NULL, NULL, NULL, NULL, NULL, NULL, '20'", ix_recent},
    {"search of all ads in a province", &db_q_ads_search_recent,
     "SELECT 'La Pampa', NULL, NULL, NULL, NULL, NULL, '20'", ix_province},
    {"full-text search", &db_q_ads_search_text,
     "SELECT 'tractor john deere', NULL, NULL, NULL, NULL, NULL, NULL, NULL, '20'", ix_text},
    {"full-text search in a category", &db_q_ads_search_text,
     "SELECT 'vaquillonas angus', (SELECT id::text FROM categories WHERE slug = 'hacienda'),"
     " NULL, NULL, NULL, NULL, NULL, NULL, '20'",
     ix_text},
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
     "SELECT (SELECT user_id::text FROM favorites ORDER BY created_at DESC LIMIT 1), '50'",
     ix_favorites},
    {"a user's own ads", &db_q_my_ads,
     "SELECT (SELECT user_id::text FROM ads ORDER BY id DESC LIMIT 1), NULL, '50'", ix_my_ads},
};

const size_t db_hot_query_count = sizeof(db_hot_queries) / sizeof(db_hot_queries[0]);
