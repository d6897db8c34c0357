-- Extensions the schema relies on.
--   unaccent            accent-insensitive full-text search (immutable_unaccent)
--   pg_trgm             trigram similarity, for typo-tolerant lookups
--   pg_stat_statements  `rural24 doctor` lists the slowest statements from it;
--                       created only when the server preloads it
--                       (shared_preload_libraries) and we may create it.
-- unaccent and pg_trgm are trusted extensions: the database owner may create
-- them without being a superuser.
CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

DO $$
BEGIN
  IF coalesce(current_setting('shared_preload_libraries', true), '') ~ 'pg_stat_statements' THEN
    CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
  END IF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'pg_stat_statements not installed (needs a superuser): %', SQLERRM;
END
$$;
