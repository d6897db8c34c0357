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
