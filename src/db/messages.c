/* The chat's write statements; see messages.h. */
#include "db/messages.h"
#include "db/queries.h"

const db_stmt_t db_q_message_insert = {
    .name = "message_insert",
    .sql = "WITH r AS (SELECT id FROM users WHERE id = $2::bigint),"
           " a AS (SELECT id FROM ads WHERE id = $4::bigint AND status <> 'deleted'),"
           " m AS (INSERT INTO messages (sender_id, receiver_id, body, ad_id)"
           "       SELECT $1::bigint, r.id, $3::text, $4::bigint FROM r"
           "       WHERE $4::bigint IS NULL OR EXISTS (SELECT 1 FROM a)"
           "       RETURNING *)"
           " SELECT (SELECT " DB_MESSAGE_JSON "::text FROM m),"
           "  EXISTS (SELECT 1 FROM r), ($4::bigint IS NULL OR EXISTS (SELECT 1 FROM a))",
    .param_count = 4,
};

const db_stmt_t db_q_conversation_read = {
    .name = "conversation_read",
    /* greatest(): read_at >= created_at holds even if the clock steps back. */
    .sql = "WITH u AS (UPDATE messages SET read_at = greatest(now(), created_at)"
           "           WHERE receiver_id = $1::bigint AND sender_id = $2::bigint"
           "             AND read_at IS NULL RETURNING id)"
           " SELECT EXISTS (SELECT 1 FROM users WHERE id = $2::bigint), (SELECT max(id) FROM u)",
    .param_count = 2,
};

const db_stmt_t db_q_user_exists = {
    .name = "user_exists",
    .sql = "SELECT 1 FROM users WHERE id = $1::bigint",
    .param_count = 1,
};
