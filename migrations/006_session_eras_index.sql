-- rural24:no-transaction
--
-- One session per exchanged stateless refresh token (see 005).
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx_sessions_origin_token
  ON sessions (origin_token_id) WHERE origin_token_id IS NOT NULL;
