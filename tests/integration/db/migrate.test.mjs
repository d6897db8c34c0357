// `rural24 migrate`: from an empty database, again (nothing happens), from
// several processes at once, a changed applied file refused, invalid indexes
// rebuilt (left by a failed CREATE INDEX CONCURRENTLY), statements that must
// run outside a transaction, and a failing migration that leaves nothing
// behind.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, after } from 'node:test';
import { repoRoot } from '../lib/server.mjs';
import { emptyDatabase, rural24, rows, value, psql } from '../lib/pg.mjs';

const migrationsDir = path.join(repoRoot, 'migrations');
const PRODUCTION_INDEXES = ['idx_ads_search_category_date', 'idx_messages_user_conversations', 'idx_ads_featured'];

const logLines = (stdout) =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return null;
      }
    })
    .filter(Boolean);

/** A scratch copy of the migrations directory, deleted after the file. */
const tmpDirs = [];
after(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});
function copyMigrations() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rural24-migrations-'));
  tmpDirs.push(dir);
  for (const f of fs.readdirSync(migrationsDir)) fs.copyFileSync(path.join(migrationsDir, f), path.join(dir, f));
  return dir;
}

const files = fs.readdirSync(migrationsDir).filter((f) => /^\d+_[A-Za-z0-9_]+\.sql$/.test(f)).sort();

describe('rural24 migrate', () => {
  it('migrates an empty database: every file recorded with its checksum, the schema and indexes in place', async () => {
    const url = await emptyDatabase('migrate_empty');
    const r = await rural24(url, ['migrate']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const applied = await rows(url, 'SELECT version, name, checksum FROM schema_migrations ORDER BY version');
    assert.deepEqual(applied.map((a) => a[1]), files);
    for (const [, , checksum] of applied) assert.match(checksum, /^[0-9a-f]{64}$/);
    const done = logLines(r.stdout).find((l) => l.msg === 'migrations up to date');
    assert.equal(done.applied_now, files.length);

    const tables = await rows(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
    for (const t of ['ad_images', 'ads', 'categories', 'exchange_rate', 'favorites', 'messages', 'reports', 'schema_migrations', 'sessions', 'users']) {
      assert.ok(tables.some((row) => row[0] === t), `table ${t}`);
    }
    for (const ix of PRODUCTION_INDEXES) {
      assert.equal(await value(url, `SELECT indisvalid FROM pg_index WHERE indexrelid = '${ix}'::regclass`), 't', ix);
    }
    // The production indexes have exactly the definitions of DESIGN.md.
    const defs = Object.fromEntries(await rows(url, `SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN ('${PRODUCTION_INDEXES.join("','")}')`));
    assert.match(defs.idx_ads_search_category_date, /ON public\.ads USING btree \(status, category_id, created_at DESC\) WHERE \(status = 'active'::text\)$/);
    assert.match(defs.idx_messages_user_conversations, /ON public\.messages USING btree \(sender_id, receiver_id, created_at DESC\)$/);
    assert.match(defs.idx_ads_featured, /ON public\.ads USING btree \(is_featured, featured_until, created_at DESC\) WHERE \(is_featured = true\)$/);
    // The category tree, in Spanish, with attributes.
    assert.equal(await value(url, 'SELECT count(*) FROM categories WHERE parent_id IS NULL'), '7');
    const tractores = JSON.parse(await value(url, "SELECT attributes FROM categories WHERE slug = 'tractores'"));
    assert.deepEqual(tractores.map((a) => a.key), ['brand', 'model', 'year', 'hours', 'hp', 'traction']);
    const bovinos = JSON.parse(await value(url, "SELECT attributes FROM categories WHERE slug = 'bovinos'"));
    assert.deepEqual(bovinos.find((a) => a.key === 'category').options, ['ternero', 'novillo', 'vaquillona', 'vaca', 'toro']);
    assert.equal(await value(url, "SELECT name FROM categories WHERE slug = 'maquinaria-agricola'"), 'Maquinaria agrícola');
  });

  it('a second run does nothing', async () => {
    const url = await emptyDatabase('migrate_twice');
    assert.equal((await rural24(url, ['migrate'])).code, 0);
    const before = await psql(url, 'SELECT version, applied_at FROM schema_migrations ORDER BY 1');
    const r = await rural24(url, ['migrate']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await psql(url, 'SELECT version, applied_at FROM schema_migrations ORDER BY 1'), before);
    const lines = logLines(r.stdout);
    assert.equal(lines.filter((l) => l.msg === 'migration applied').length, 0);
    assert.equal(lines.find((l) => l.msg === 'migrations up to date').applied_now, 0);
  });

  it('three processes at once: one applies, the others wait for the lock and find nothing to do', async () => {
    const url = await emptyDatabase('migrate_concurrent');
    const results = await Promise.all([1, 2, 3].map(() => rural24(url, ['migrate'])));
    for (const r of results) assert.equal(r.code, 0, r.stderr + r.stdout);
    const appliedCounts = results.map((r) => logLines(r.stdout).filter((l) => l.msg === 'migration applied').length);
    assert.equal(appliedCounts.reduce((a, b) => a + b, 0), files.length, `each file applied once: ${appliedCounts}`);
    assert.equal(await value(url, 'SELECT count(*) FROM schema_migrations'), String(files.length));
    assert.equal(await value(url, 'SELECT count(*) FROM categories'), await value(url, 'SELECT count(DISTINCT slug) FROM categories'));
  });

  it('refuses an applied file that changed, with a clear message, before applying anything', async () => {
    const dir = copyMigrations();
    const url = await emptyDatabase('migrate_changed');
    assert.equal((await rural24(url, ['migrate'], { MIGRATIONS_DIR: dir })).code, 0);
    fs.appendFileSync(path.join(dir, '002_schema.sql'), '\n-- an innocent-looking edit\n');
    fs.writeFileSync(path.join(dir, '900_later.sql'), 'CREATE TABLE later (id int);\n');
    const r = await rural24(url, ['migrate'], { MIGRATIONS_DIR: dir });
    assert.equal(r.code, 1);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line: ${r.stderr}`);
    assert.match(lines[0], /002_schema\.sql was changed after it was applied/);
    assert.equal(await value(url, "SELECT to_regclass('later') IS NULL"), 't', 'nothing applied');
  });

  it('rebuilds an index marked invalid', async () => {
    const url = await emptyDatabase('migrate_invalid');
    assert.equal((await rural24(url, ['migrate'])).code, 0);
    await psql(url, "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'idx_ads_featured'::regclass");
    const r = await rural24(url, ['migrate']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(logLines(r.stdout).some((l) => l.msg === 'rebuilding an invalid index' && l.index === 'idx_ads_featured'));
    assert.equal(await value(url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'idx_ads_featured'::regclass"), 't');
    assert.equal(await value(url, "SELECT count(*) FROM pg_index WHERE NOT indisvalid"), '0');
  });

  it('a failed CREATE INDEX CONCURRENTLY leaves an invalid index that the next run rebuilds', async () => {
    const dir = copyMigrations();
    const url = await emptyDatabase('migrate_failed_cic');
    assert.equal((await rural24(url, ['migrate'], { MIGRATIONS_DIR: dir })).code, 0);
    await psql(url, "INSERT INTO users (email, password_hash, name) VALUES ('a@x.test', 'h', 'Same'), ('b@x.test', 'h', 'Same')");
    // No marker: detected from the statement itself.
    fs.writeFileSync(
      path.join(dir, '900_unique_names.sql'),
      'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx_users_unique_name ON users (name);\n',
    );
    const failed = await rural24(url, ['migrate'], { MIGRATIONS_DIR: dir });
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /900_unique_names\.sql/);
    assert.equal(await value(url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'idx_users_unique_name'::regclass"), 'f');
    assert.equal(await value(url, 'SELECT count(*) FROM schema_migrations WHERE version = 900'), '0');

    await psql(url, "DELETE FROM users WHERE email = 'b@x.test'");
    const r = await rural24(url, ['migrate'], { MIGRATIONS_DIR: dir });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(await value(url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'idx_users_unique_name'::regclass"), 't');
    assert.equal(await value(url, 'SELECT count(*) FROM schema_migrations WHERE version = 900'), '1');
  });

  it('a failing transactional migration leaves nothing behind', async () => {
    const dir = copyMigrations();
    const url = await emptyDatabase('migrate_rollback');
    fs.writeFileSync(path.join(dir, '900_broken.sql'), 'CREATE TABLE half_done (id int);\nSELECT no_such_function();\n');
    const r = await rural24(url, ['migrate'], { MIGRATIONS_DIR: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /900_broken\.sql: .*no_such_function/);
    assert.equal(await value(url, "SELECT to_regclass('half_done') IS NULL"), 't');
    assert.equal(await value(url, 'SELECT count(*) FROM schema_migrations'), String(files.length), 'the others were applied');
  });

  it('rejects malformed file names and reports an unreachable database', async () => {
    const dir = copyMigrations();
    fs.writeFileSync(path.join(dir, 'add-things.sql'), 'SELECT 1;\n');
    const url = await emptyDatabase('migrate_badname');
    const r = await rural24(url, ['migrate'], { MIGRATIONS_DIR: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /add-things\.sql/);

    const down = await rural24('postgresql://postgres@127.0.0.1:1/none', ['migrate']);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /cannot connect to the database/);
  });

  it('finds the migrations next to the binary when run from another directory', async () => {
    const url = await emptyDatabase('migrate_cwd');
    const r = await rural24(url, ['migrate'], { MIGRATIONS_DIR: undefined }, { cwd: os.tmpdir() });
    assert.equal(r.code, 0, r.stderr);
    const done = logLines(r.stdout).find((l) => l.msg === 'migrations up to date');
    assert.equal(done.directory, migrationsDir);
  });
});
