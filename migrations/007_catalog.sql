-- The catalog (issue 8): what an ad's price is for, typed attribute filters,
-- and the terms the search box completes from.

-- API.md price_unit: what the price is for. Adding a column with a constant
-- default rewrites nothing (PostgreSQL 11+).
ALTER TABLE ads ADD COLUMN price_unit text NOT NULL DEFAULT 'total';
ALTER TABLE ads ADD CONSTRAINT ads_price_unit_check
  CHECK (price_unit IN ('total', 'per_head', 'per_kg', 'per_ha', 'per_month', 'per_ton'));

-- The attributes as the attr.KEY filters compare them: every string value
-- lower-cased and without accents ("John Deere" and "john deere" are equal),
-- other values as they are. An ad matches the equality filters of a search
-- when ads_attributes_norm(attributes) @> {"brand":"john deere","year":2015},
-- which a GIN index over this expression answers (008).
CREATE FUNCTION ads_attributes_norm(attrs jsonb) RETURNS jsonb
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN (SELECT coalesce(jsonb_object_agg(e.key,
                   CASE WHEN jsonb_typeof(e.value) = 'string'
                        THEN to_jsonb(lower(public.immutable_unaccent(e.value #>> '{}')))
                        ELSE e.value END), '{}'::jsonb)
          FROM jsonb_each(attrs) AS e);

-- A number attribute as numeric, NULL when the ad holds another type under
-- that key (ranges on attr.KEY.min/max never fail on a stray value).
CREATE FUNCTION ads_attribute_number(attrs jsonb, key text) RETURNS numeric
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN CASE WHEN jsonb_typeof(attrs -> key) = 'number' THEN (attrs ->> key)::numeric END;

-- What the search box completes from (GET /api/search/suggest): category
-- names, attribute values (a brand and model together as one phrase: "John
-- Deere 6130"), and the words of active ads' titles. norm is the term
-- lower-cased and without accents, matched by trigrams (pg_trgm), so typos and
-- spacing are tolerated. weight orders equally good matches: how many active
-- ads carry the term. Refreshed by the server every SUGGEST_REFRESH_S seconds
-- (REFRESH MATERIALIZED VIEW CONCURRENTLY, under an advisory lock so that one
-- instance does it).
CREATE MATERIALIZED VIEW suggest_terms AS
WITH active AS (
  SELECT title, attributes FROM ads WHERE status = 'active' AND expires_at > now()
), terms AS (
  SELECT 'category'::text AS kind, c.name AS term, c.slug, 1000000::bigint AS weight
  FROM categories c
  UNION ALL
  SELECT 'query', btrim(a.attributes ->> 'brand') || ' ' || btrim(a.attributes ->> 'model'), NULL, 1
  FROM active a
  WHERE jsonb_typeof(a.attributes -> 'brand') = 'string'
    AND jsonb_typeof(a.attributes -> 'model') = 'string'
  UNION ALL
  SELECT 'query', btrim(e.value #>> '{}'), NULL, 1
  FROM active a CROSS JOIN LATERAL jsonb_each(a.attributes) AS e
  WHERE jsonb_typeof(e.value) = 'string'
  UNION ALL
  SELECT 'query', w, NULL, 1
  FROM active a CROSS JOIN LATERAL regexp_split_to_table(a.title, '[^[:alnum:]]+') AS w
  WHERE char_length(w) >= 3
)
SELECT kind, lower(immutable_unaccent(term)) AS norm,
       -- The spelling most ads use ("John Deere" rather than "JOHN DEERE").
       mode() WITHIN GROUP (ORDER BY term) AS term,
       min(slug) AS slug, sum(weight)::bigint AS weight
FROM terms
WHERE char_length(term) BETWEEN 2 AND 100
GROUP BY kind, lower(immutable_unaccent(term));

-- Periodic work that must run once per period however many instances run
-- (DESIGN.md): an instance claims a period by moving last_run_at forward in
-- the same statement that does the work, so two instances never both do it.
CREATE TABLE job_runs (
  name        text PRIMARY KEY,
  last_run_at timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO job_runs (name) VALUES ('suggest_refresh'), ('ads_expire');

-- Refreshes suggest_terms when no instance has done so in the last period_s
-- seconds: the claim and the refresh commit together. true when it ran.
CREATE FUNCTION suggest_refresh(period_s integer) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  UPDATE job_runs SET last_run_at = now()
  WHERE name = 'suggest_refresh' AND last_run_at <= now() - period_s * interval '1 second';
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  REFRESH MATERIALIZED VIEW CONCURRENTLY suggest_terms;
  RETURN true;
END
$$;
