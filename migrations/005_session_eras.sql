-- Logout-all must also end what no session row records: stateless access and
-- refresh tokens issued before a stage change (SESSION_STORE=stateless → db or
-- redis). users.sessions_revoked_before marks the instant of the last
-- logout-all; a stateless token issued before it is refused. A stateless
-- refresh token is exchanged for a session at most once: the session keeps the
-- token's id (jti), unique (index in 006).
ALTER TABLE users ADD COLUMN sessions_revoked_before timestamptz;
ALTER TABLE sessions ADD COLUMN origin_token_id text;
ALTER TABLE sessions ADD CONSTRAINT sessions_origin_token_id_check
  CHECK (char_length(origin_token_id) <= 64);
