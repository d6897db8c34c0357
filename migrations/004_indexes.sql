-- rural24:no-transaction
--
-- Every secondary index, built CONCURRENTLY so that applying this file to a
-- live database never blocks writes. CREATE INDEX CONCURRENTLY cannot run in a
-- transaction, hence the marker above: `rural24 migrate` runs the statements
-- one by one. Each is IF NOT EXISTS, so a run interrupted half-way can simply
-- run again; an index left invalid by a failed build is rebuilt by `rural24
-- migrate` (REINDEX INDEX CONCURRENTLY) after the migrations.
--
-- docs/DATABASE.md lists which query each index serves; `rural24 doctor
-- --explain` checks the plans.

-- The three production indexes of DESIGN.md, under their exact names.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_ads_search_category_date
  ON ads (status, category_id, created_at DESC) WHERE status = 'active';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_messages_user_conversations
  ON messages (sender_id, receiver_id, created_at DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_ads_featured
  ON ads (is_featured, featured_until, created_at DESC) WHERE is_featured = true;

-- Search of active ads: each filter and each keyset sort.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_ads_search_recent
  ON ads (created_at DESC, id DESC) WHERE status = 'active';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_ads_search_province_date
  ON ads (province, created_at DESC, id DESC) WHERE status = 'active';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_ads_search_category_province_date
  ON ads (category_id, province, created_at DESC, id DESC) WHERE status = 'active';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_ads_search_category_price
  ON ads (category_id, price_ars, id) WHERE status = 'active' AND price_ars IS NOT NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_ads_search_price
  ON ads (price_ars, id) WHERE status = 'active' AND price_ars IS NOT NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_ads_search_text
  ON ads USING gin (search_vector) WHERE status = 'active';

-- A user's own ads (any status), and their public list.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_ads_user_date
  ON ads (user_id, created_at DESC, id DESC);
-- The expiry job.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_ads_expiry
  ON ads (expires_at) WHERE status = 'active';

-- Messages: by sender and by receiver in id order (since an id; the
-- conversations list), unread counts, and the ad foreign key.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_messages_sender_id
  ON messages (sender_id, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_messages_receiver_id
  ON messages (receiver_id, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_messages_unread
  ON messages (receiver_id, sender_id) WHERE read_at IS NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_messages_ad
  ON messages (ad_id) WHERE ad_id IS NOT NULL;

-- Favorites by user (the primary key leads with user_id; this one gives the
-- order), and by ad for the foreign key.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_favorites_user_date
  ON favorites (user_id, created_at DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_favorites_ad
  ON favorites (ad_id);

-- Sessions by user (listing, logout-all), and the rotated token (reuse
-- detection).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_sessions_user
  ON sessions (user_id, created_at DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_sessions_previous_token
  ON sessions (previous_token_hash) WHERE previous_token_hash IS NOT NULL;

-- Images of an ad in order.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_ad_images_ad
  ON ad_images (ad_id, position, id);

-- Reports: the open queue, and the foreign keys.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_reports_open
  ON reports (created_at) WHERE status = 'open';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_reports_ad
  ON reports (ad_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_reports_reporter
  ON reports (reporter_id);

-- Category children.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_categories_parent
  ON categories (parent_id);
