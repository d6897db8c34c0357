/* The statements of the scheduled jobs; see jobs.h. */
#include "db/jobs.h"
#include "db/ad_sql.h"
#include "db/notifications.h"

/* A row per inserted notification n (user_id, JSON), or one row of NULLs,
 * with the count of what the run consumed. */
#define STORED_ROWS(consumed)                                                                      \
    " SELECT (SELECT count(*) FROM " consumed ") AS consumed, n.user_id,"                          \
    " " NOTIFICATION_JSON "::text AS notification"                                                 \
    " FROM (SELECT 1) one LEFT JOIN stored n ON true"

/* An expires_at as an integer of microseconds, for event keys. */
#define EPOCH_US(column) "(extract(epoch FROM " column ") * 1000000)::bigint"

const db_stmt_t db_q_job_claim = {
    .name = "job_claim",
    .sql = "INSERT INTO job_leases AS l (name, owner, expires_at, last_run_at, runs)"
           " VALUES ($1::text, $2::text, now() + $3::int * interval '1 millisecond',"
           "         CASE WHEN $5::boolean THEN now() ELSE '-infinity' END,"
           "         CASE WHEN $5::boolean THEN 1 ELSE 0 END)"
           " ON CONFLICT (name) DO UPDATE SET owner = excluded.owner,"
           "   expires_at = excluded.expires_at,"
           "   last_run_at = CASE WHEN $5::boolean AND l.last_run_at"
           "       <= now() - $4::int * interval '1 millisecond' THEN now() ELSE l.last_run_at END,"
           "   runs = l.runs + CASE WHEN $5::boolean AND l.last_run_at"
           "       <= now() - $4::int * interval '1 millisecond' THEN 1 ELSE 0 END"
           " WHERE l.owner = $2::text OR l.expires_at < now()"
           " RETURNING l.last_run_at = now() AS run",
    .param_count = 5,
};

const db_stmt_t db_q_job_release = {
    .name = "job_release",
    .sql = "UPDATE job_leases SET expires_at = '-infinity' WHERE owner = $1::text",
    .param_count = 1,
};

/* SKIP LOCKED: a sweep that overlaps another (a lease that changed hands
 * while a run was still going) takes other ads instead of waiting. */
const db_stmt_t db_q_job_expire_ads = {
    .name = "job_expire_ads",
    .sql = "WITH expired AS (UPDATE ads a SET status = 'expired' WHERE a.id IN ("
           "    SELECT x.id FROM ads x WHERE x.status = 'active' AND x.expires_at <= now()"
           "    ORDER BY x.expires_at LIMIT $1::int FOR UPDATE SKIP LOCKED)"
           "  AND a.status = 'active' AND a.expires_at <= now() RETURNING a.*),"
           " stored AS (INSERT INTO notifications (user_id, type, data, event_key)"
           "  SELECT a.user_id, 'ad_expired', jsonb_build_object('ad', " AD_SUMMARY "),"
           "   'ad_expired:' || a.id || ':' || " EPOCH_US(
               "a.expires_at") "  FROM expired a JOIN categories c ON c.id = a.category_id"
                               "  ON CONFLICT (user_id, event_key) WHERE event_key IS NOT NULL DO "
                               "NOTHING"
                               "  RETURNING *)" STORED_ROWS("expired"),
    .param_count = 1,
};

#define REMINDER_DAYS "(CASE WHEN a.expires_at <= now() + interval '1 day' THEN 1 ELSE 7 END)"
#define REMINDER_KEY                                                                               \
    "'ad_expiring:' || " REMINDER_DAYS " || ':' || a.id || ':' || " EPOCH_US("a.expires_at")

const db_stmt_t db_q_job_remind_expiring = {
    .name = "job_remind_expiring",
    .sql = "WITH due AS (SELECT a.* FROM ads a WHERE a.status = 'active'"
           "   AND a.expires_at > now() AND a.expires_at <= now() + interval '7 days'"
           "   AND NOT EXISTS (SELECT 1 FROM notifications x WHERE x.user_id = a.user_id"
           "                   AND x.event_key = " REMINDER_KEY ")"
           "   ORDER BY a.expires_at LIMIT $1::int),"
           " stored AS (INSERT INTO notifications (user_id, type, data, event_key)"
           "  SELECT a.user_id, 'ad_expiring', jsonb_build_object('ad', " AD_SUMMARY ","
           "   'expires_at', rfc3339(a.expires_at)), " REMINDER_KEY
           "  FROM due a JOIN categories c ON c.id = a.category_id ORDER BY a.expires_at, a.id"
           "  ON CONFLICT (user_id, event_key) WHERE event_key IS NOT NULL DO NOTHING"
           "  RETURNING *)" STORED_ROWS("due"),
    .param_count = 1,
};

/* The filter of a saved search s on an ad a, beyond the category, province
 * and currency the lookup matched: the same conditions ad_search.c writes
 * for GET /api/ads, read from columns instead of parameters. */
#define SAVED_SEARCH_FILTER                                                                        \
    " (s.q_query IS NULL OR a.search_vector @@ s.q_query)"                                         \
    " AND (s.price_unit IS NULL OR a.price_unit = s.price_unit)"                                   \
    " AND (s.min_price IS NULL OR a.price_ars >= s.min_price"                                      \
    "   * CASE WHEN s.price_in_usd THEN (SELECT usd_ars FROM exchange_rate WHERE id) ELSE 1 END)"  \
    " AND (s.max_price IS NULL OR a.price_ars <= s.max_price"                                      \
    "   * CASE WHEN s.price_in_usd THEN (SELECT usd_ars FROM exchange_rate WHERE id) ELSE 1 END)"  \
    " AND (s.attr_equal IS NULL OR"                                                                \
    "   ads_attributes_norm(a.attributes) @> ads_attributes_norm(s.attr_equal))"                   \
    " AND (s.attr_ranges IS NULL OR NOT EXISTS (SELECT 1"                                          \
    "   FROM jsonb_array_elements(s.attr_ranges) r WHERE"                                          \
    "   (r ->> 'min' IS NOT NULL AND (ads_attribute_number(a.attributes, r ->> 'key')"             \
    "     >= (r ->> 'min')::numeric) IS NOT TRUE)"                                                 \
    "   OR (r ->> 'max' IS NOT NULL AND (ads_attribute_number(a.attributes, r ->> 'key')"          \
    "     <= (r ->> 'max')::numeric) IS NOT TRUE)))"

/* Each ad's summary is built once (ad), the hits carry ids only, and only
 * the newest three of each saved search are looked up again. */
const db_stmt_t db_q_job_match_saved_searches = {
    .name = "job_match_saved_searches",
    .sql = "WITH ev AS (DELETE FROM ad_events e WHERE e.id IN ("
           "    SELECT x.id FROM ad_events x WHERE x.kind IN ('published', 'renewed')"
           "    ORDER BY x.kind, x.id LIMIT $1::int FOR UPDATE SKIP LOCKED) RETURNING e.ad_id),"
           " ad AS MATERIALIZED (SELECT a.*, " AD_SUMMARY "::jsonb AS summary"
           "  FROM (SELECT DISTINCT ad_id FROM ev) e"
           "  JOIN ads a ON a.id = e.ad_id AND " AD_PUBLIC
           "  JOIN categories c ON c.id = a.category_id),"
           " hits AS (SELECT s.id AS saved_search_id, a.id AS ad_id FROM ad a"
           "  JOIN saved_searches s ON s.category_key = ANY (category_keys(a.category_id))"
           "   AND s.province_key = ANY (ARRAY[a.province, ''])"
           "   AND s.currency_key = ANY (ARRAY[coalesce(a.currency, ''), ''])"
           "  WHERE s.user_id <> a.user_id AND " SAVED_SEARCH_FILTER "),"
           " grouped AS (SELECT jsonb_agg(jsonb_build_object('saved_search_id', g.saved_search_id,"
           "   'count', g.n, 'ads', (SELECT jsonb_agg(t.summary ORDER BY t.id DESC) FROM ad t"
           "                         WHERE t.id = ANY (g.top)))) AS hits"
           "  FROM (SELECT h.saved_search_id, count(*) AS n,"
           "        (array_agg(h.ad_id ORDER BY h.ad_id DESC))[1:3] AS top"
           "        FROM hits h GROUP BY h.saved_search_id) g),"
           " stored AS (SELECT * FROM saved_search_notify((SELECT hits FROM grouped)))" STORED_ROWS(
               "ev"),
    .param_count = 1,
};

const db_stmt_t db_q_job_price_drops = {
    .name = "job_price_drops",
    .sql = "WITH ev AS (DELETE FROM ad_events e WHERE e.id IN ("
           "    SELECT x.id FROM ad_events x WHERE x.kind = 'price_drop'"
           "    ORDER BY x.kind, x.id LIMIT $1::int FOR UPDATE SKIP LOCKED) RETURNING e.*),"
           " stored AS (INSERT INTO notifications (user_id, type, data, event_key)"
           "  SELECT f.user_id, 'price_drop', jsonb_build_object('ad', " AD_SUMMARY ","
           "   'old_price', e.old_price, 'new_price', e.new_price), 'price_drop:' || e.id"
           "  FROM ev e JOIN ads a ON a.id = e.ad_id AND " AD_PUBLIC
           "  JOIN categories c ON c.id = a.category_id"
           "  JOIN favorites f ON f.ad_id = a.id AND f.user_id <> a.user_id"
           /* Ids in the order of the drops: the list shows them so. */
           "  ORDER BY e.id, f.user_id"
           "  ON CONFLICT (user_id, event_key) WHERE event_key IS NOT NULL DO NOTHING"
           "  RETURNING *)" STORED_ROWS("ev"),
    .param_count = 1,
};
