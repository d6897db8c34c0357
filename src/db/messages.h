/* The chat's write statements (the reads are hot queries: db/queries.h).
 * Messages come back as API.md's message JSON, built by PostgreSQL. */
#ifndef RURAL24_DB_MESSAGES_H
#define RURAL24_DB_MESSAGES_H

#include "db/db.h"

/* Stores a message: $1 sender id, $2 receiver id, $3 body, $4 ad id or NULL.
 * One row: message (the JSON, NULL when nothing was stored), receiver_exists,
 * ad_exists (true when $4 is NULL). Nothing is stored unless both exist (an
 * ad that is deleted does not). */
extern const db_stmt_t db_q_message_insert;

/* Marks what $2 (the peer) sent to $1 as read. One row: peer_exists, up_to
 * (the highest id marked now, NULL when none was unread).
 * idx_messages_unread. */
extern const db_stmt_t db_q_conversation_read;

/* Whether user $1 exists (a conversation's peer). One row or none. */
extern const db_stmt_t db_q_user_exists;

#endif
