-- rural24:no-transaction
--
-- Indexes of the catalog (007): attribute equality filters, and the
-- suggestion terms (a unique key, which REFRESH ... CONCURRENTLY needs, and
-- trigrams for typo-tolerant completion).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_ads_search_attributes
  ON ads USING gin (ads_attributes_norm(attributes) jsonb_path_ops) WHERE status = 'active';
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx_suggest_terms_key
  ON suggest_terms (kind, norm);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_suggest_terms_trgm
  ON suggest_terms USING gin (norm gin_trgm_ops);
-- A category's ads newest first with the id as tie-break, so a keyset page
-- walks exactly its rows (idx_ads_search_category_date orders by date only).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_ads_search_category_recent
  ON ads (category_id, created_at DESC, id DESC) WHERE status = 'active';
-- The tail of the price sorts: ads without a price, newest first, in a
-- category and in all.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_ads_search_unpriced_category
  ON ads (category_id, created_at DESC, id DESC) WHERE status = 'active' AND price_ars IS NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_ads_search_unpriced
  ON ads (created_at DESC, id DESC) WHERE status = 'active' AND price_ars IS NULL;
