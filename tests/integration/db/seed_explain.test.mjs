// The seed and the hot queries' plans: `rural24 seed` makes 10,000 users,
// 100,000 ads and 200,000 messages in under a minute, deterministically; on
// that data, after ANALYZE, every hot query of src/db/queries.c (the SQL the
// API runs) walks its index and scans neither ads nor messages sequentially;
// the queries answer API.md's shapes through the pool; `rural24 doctor` is
// clean, and fails when a required index is missing or invalid.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, it, before, after } from 'node:test';
import { startServerFor, request, json } from '../lib/server.mjs';
import { freshDatabase, rural24, value, psql, pgBin } from '../lib/pg.mjs';

let url;
let seedSeconds;
let sleeper; // a long query for the doctor to find, started before the seed
before(async () => {
  url = await freshDatabase('seed_explain');
  sleeper = spawn(path.join(pgBin, 'psql'), ['-X', '-q', '-d', url, '-c', "SET application_name = 'long_one'; SELECT pg_sleep(300)"], { stdio: 'ignore' });
  const started = Date.now();
  const r = await rural24(url, ['seed', '--users', '10000', '--ads', '100000', '--messages', '200000', '--seed', '1'], {}, { timeoutMs: 90000 });
  seedSeconds = (Date.now() - started) / 1000;
  assert.equal(r.code, 0, r.stderr + r.stdout);
});

after(async () => {
  if (url) await psql(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'long_one'").catch(() => {});
  if (sleeper && sleeper.exitCode === null) {
    try {
      process.kill(sleeper.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
});

// What each hot query must use, as the issue lists them (label → indexes, any of).
const EXPECTED = {
  'featured ads': ['idx_ads_featured'],
  'ad detail': ['ads_pkey'],
  "a user's conversations": ['idx_messages_user_conversations', 'idx_messages_sender_id'],
  "a conversation's messages": ['idx_messages_user_conversations'],
  'messages since an id': ['idx_messages_sender_id'],
};

function planNodes(node, out = []) {
  if (!node || typeof node !== 'object') return out;
  if (node['Node Type']) out.push(node);
  for (const child of node.Plans ?? []) planNodes(child, out);
  return out;
}

describe('seed', () => {
  it('10,000 users, 100,000 ads and 200,000 messages in under a minute', async () => {
    assert.ok(seedSeconds < 60, `seeded in ${seedSeconds} s`);
    assert.equal(await value(url, 'SELECT count(*) FROM ads'), '100000');
    assert.equal(await value(url, 'SELECT count(*) FROM messages'), '200000');
    assert.equal(await value(url, 'SELECT count(*) FROM users'), '10002', '+ admin and demo');
  });

  it('is realistic: every leaf category, the agricultural core first, ~5% featured, some not active', async () => {
    const [leaves, used] = (await psql(url, "SELECT (SELECT count(*) FROM categories c WHERE NOT EXISTS (SELECT 1 FROM categories k WHERE k.parent_id = c.id)), (SELECT count(DISTINCT category_id) FROM ads)")).split('|');
    assert.equal(used, leaves);
    const top = (await psql(url, 'SELECT province FROM ads GROUP BY 1 ORDER BY count(*) DESC LIMIT 3')).split('\n');
    assert.deepEqual(top, ['Buenos Aires', 'Córdoba', 'Santa Fe']);
    const featured = Number(await value(url, 'SELECT count(*) FROM ads WHERE is_featured AND featured_until > now()'));
    assert.ok(featured > 3500 && featured < 6500, `featured ${featured}`);
    for (const status of ['paused', 'sold', 'expired']) {
      assert.ok(Number(await value(url, `SELECT count(*) FROM ads WHERE status = '${status}'`)) > 1000, status);
    }
    // Titles fit their category, attributes use the category's keys.
    const tractor = await psql(url, "SELECT title || '|' || attributes::text FROM ads WHERE category_id = 101 LIMIT 1");
    assert.match(tractor, /tractor|HP|impecable/i);
    const badKeys = await value(url, `
      SELECT count(*) FROM ads a JOIN categories c ON c.id = a.category_id
      LEFT JOIN categories p ON p.id = c.parent_id,
      LATERAL jsonb_object_keys(a.attributes) k
      WHERE k NOT IN (SELECT x->>'key' FROM jsonb_array_elements(c.attributes || coalesce(p.attributes, '[]')) x)`);
    assert.equal(badKeys, '0', 'every attribute key is one its category allows');
    // Prices: USD and ARS, some "a consultar", never a currency without a price.
    assert.equal(await value(url, 'SELECT count(*) FROM ads WHERE price IS NULL AND currency IS NOT NULL'), '0');
    assert.ok(Number(await value(url, "SELECT count(*) FROM ads WHERE currency = 'USD'")) > 10000);
    // Conversations are between a buyer and the ad's seller.
    assert.equal(await value(url, 'SELECT count(*) FROM messages m JOIN ads a ON a.id = m.ad_id WHERE a.user_id NOT IN (m.sender_id, m.receiver_id)'), '0');
  });

  it('is deterministic for a given seed', async () => {
    const digest = async (seed) => {
      const db = await freshDatabase(`seed_det_${seed}`);
      const r = await rural24(db, ['seed', '--users', '50', '--ads', '300', '--messages', '400', '--seed', String(seed)]);
      assert.equal(r.code, 0, r.stderr);
      return value(db, `SELECT md5(string_agg(u.email || a.title || coalesce(a.price::text, '') || a.attributes::text, ',' ORDER BY a.id))
                        || (SELECT md5(string_agg(body || sender_id, ',' ORDER BY id)) FROM messages)
                        FROM ads a JOIN users u ON u.id = a.user_id`);
    };
    const [a, b, c] = await Promise.all([digest(5), digest(5), digest(6)]);
    assert.equal(a, b);
    assert.notEqual(a, c);
  });
});

describe('plans of the hot queries on 100,000 ads', () => {
  it('each uses its index and never scans ads or messages sequentially', async () => {
    const r = await rural24(url, ['doctor', '--explain', '--json']);
    const results = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const byLabel = Object.fromEntries(results.map((q) => [q.query, q]));
    for (const [label, indexes] of Object.entries(EXPECTED)) {
      const q = byLabel[label];
      assert.ok(q, `doctor explained "${label}"`);
      const nodes = planNodes(q.plan[0].Plan).concat(...(q.plan[0].Plans ?? []).map((p) => planNodes(p)));
      const seq = nodes.filter((n) => n['Node Type'] === 'Seq Scan' && ['ads', 'messages'].includes(n['Relation Name']));
      assert.deepEqual(seq.map((n) => n['Relation Name']), [], `${label}: no sequential scan on ads or messages`);
      const used = nodes.map((n) => n['Index Name']).filter(Boolean);
      assert.ok(indexes.some((ix) => used.includes(ix)), `${label}: uses one of ${indexes}, used ${used}`);
    }
    for (const q of results) assert.equal(q.ok, true, `${q.query}: ${JSON.stringify(q.indexes)} ${JSON.stringify(q.seq_scans)}`);
    assert.equal(r.code, 0, r.stderr);
  });

  it('each answers through the pool with the shapes of API.md', async (t) => {
    const srv = await startServerFor(t, { env: { DATABASE_URL: url, DB_POOL_SIZE: '2' } });
    const hot = [];
    for (let n = 1; ; n++) {
      const res = await request(srv.port, { path: `/api/_test/db/hot/${n}`, timeoutMs: 15000 });
      if (res.status === 404) break;
      assert.equal(res.status, 200, `hot query ${n}: ${res.body}`);
      hot.push(json(res));
    }
    assert.ok(hot.length >= 8);
    const by = Object.fromEntries(hot.map((h) => [h.label, h.row]));
    const summaryKeys = ['id', 'title', 'price', 'currency', 'price_unit', 'province', 'locality', 'category', 'thumbnail_url', 'is_featured', 'created_at'];
    // The search through the API: a category page, newest first, a parent
    // spanning its children, a province filter.
    const page = async (q) => {
      const res = await request(srv.port, { path: `/api/ads?${q}`, timeoutMs: 15000 });
      assert.equal(res.status, 200, `${q}: ${res.body}`);
      return json(res);
    };
    const search = await page('category=tractores');
    assert.equal(search.items.length, 20);
    assert.equal(typeof search.next_cursor, 'string');
    for (const item of search.items) {
      assert.deepEqual(Object.keys(item).sort(), [...summaryKeys].sort());
      assert.equal(item.category.slug, 'tractores');
      assert.match(item.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    const dates = search.items.map((i) => i.created_at);
    assert.deepEqual(dates, [...dates].sort().reverse(), 'newest first');
    const parent = (await page('category=maquinaria-agricola')).items;
    assert.ok(new Set(parent.map((i) => i.category.slug)).size > 1, 'a parent category spans its children');
    for (const i of (await page('category=tractores&province=C%C3%B3rdoba')).items) assert.equal(i.province, 'Córdoba');
    for (const i of by['featured ads'].items) assert.equal(i.is_featured, true);
    const detail = by['ad detail'].detail;
    for (const k of ['description', 'attributes', 'images', 'status', 'views', 'user', 'updated_at', 'featured_until']) assert.ok(k in detail, k);
    assert.deepEqual(Object.keys(detail.user).sort(), ['id', 'member_since', 'name', 'province']);
    const conv = by["a user's conversations"].items;
    assert.ok(conv.length > 0);
    assert.deepEqual(Object.keys(conv[0]).sort(), ['ad', 'last_message', 'peer', 'unread_count']);
    const since = by['messages since an id'].items;
    assert.deepEqual(since.map((m) => m.id), [...since.map((m) => m.id)].sort((a, b) => a - b), 'oldest first');
  });
});

// The search statement is built per request for the filters it has
// (src/db/ad_search.c); each shape of API.md's parameters, EXPLAINed through
// the test build's /api/_test/db/search-plan (the same parser, builder and
// parameters as GET /api/ads), walks an index and never scans ads.
const SEARCH_SHAPES = {
  'category=tractores': ['idx_ads_search_category_recent', 'idx_ads_search_category_date', 'idx_ads_search_recent'],
  'category=maquinaria-agricola': ['idx_ads_search_category_recent', 'idx_ads_search_category_date'],
  'category=tractores&province=C%C3%B3rdoba': ['idx_ads_search_category_province_date'],
  'category=tractores&min_price=20000&max_price=60000&price_currency=USD': ['idx_ads_search_category_price', 'idx_ads_search_category_recent'],
  'min_price=30000000&max_price=40000000': ['idx_ads_search_price', 'idx_ads_search_recent'],
  'category=tractores&sort=price_asc': ['idx_ads_search_category_price'],
  'category=maquinaria-agricola&sort=price_desc': ['idx_ads_search_category_price'],
  'sort=price_desc': ['idx_ads_search_price'],
  'sort=price_asc&currency=USD': ['idx_ads_search_price'],
  'province=La%20Pampa': ['idx_ads_search_province_date'],
  '': ['idx_ads_search_recent'],
  'q=tractor%20john%20deere': ['idx_ads_search_text'],
  // A common word: the planner may walk the newest ads and test the words.
  'q=vaquillonas&category=hacienda': ['idx_ads_search_text', 'idx_ads_search_recent'],
  'q=%22john%20deere%22%20-usado&sort=price_asc': ['idx_ads_search_text', 'idx_ads_search_price'],
  'category=tractores&attr.brand=john%20deere': ['idx_ads_search_attributes', 'idx_ads_search_category_recent'],
  'category=tractores&attr.brand=john%20deere&attr.year.min=2015&attr.hp.max=200': ['idx_ads_search_attributes', 'idx_ads_search_category_recent'],
  'category=bovinos&attr.breed=hereford&price_unit=per_head': ['idx_ads_search_attributes', 'idx_ads_search_category_recent'],
  'category=campos&price_unit=per_ha&currency=USD&sort=price_asc': ['idx_ads_search_category_price'],
};

describe('plans of the search statements on 100,000 ads', () => {
  it('every shape of API.md\'s parameters walks an index and never scans ads', async (t) => {
    const srv = await startServerFor(t, { env: { DATABASE_URL: url, DB_POOL_SIZE: '2', RATE_LIMIT_READ: '100000/60' } });
    for (const [query, indexes] of Object.entries(SEARCH_SHAPES)) {
      const res = await request(srv.port, { path: `/api/_test/db/search-plan?${query}`, timeoutMs: 15000 });
      assert.equal(res.status, 200, `${query}: ${res.body}`);
      const { plan } = json(res);
      const nodes = planNodes(plan[0].Plan);
      const seq = nodes.filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'ads');
      assert.deepEqual(seq, [], `${query}: no sequential scan on ads`);
      const used = nodes.map((n) => n['Index Name']).filter(Boolean);
      assert.ok(indexes.some((ix) => used.includes(ix)), `${query}: uses one of ${indexes}, used ${used}`);
    }
  });
});

describe('rural24 doctor', () => {
  it('is clean on a migrated, seeded database and lists the slowest statements', async () => {
    const r = await rural24(url, ['doctor']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /required indexes present and valid/);
    assert.match(r.stdout, /Slowest statements/);
    assert.match(r.stdout, /connections in use/);
    // The query started before the seed has run for more than 5 s: a warning.
    assert.match(r.stdout, /WARNING pid \d+, [\d.]+ s, active .*pg_sleep\(300\)/);
    assert.match(r.stdout, /No problems found/);
  });

  it('fails on a missing or invalid index, and says how to fix an invalid one', async () => {
    const db = await freshDatabase('doctor_broken');
    await psql(db, 'DROP INDEX idx_ads_featured');
    await psql(db, "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'idx_messages_user_conversations'::regclass");
    const r = await rural24(db, ['doctor']);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /PROBLEM +index idx_ads_featured is missing/);
    assert.match(r.stdout, /PROBLEM +index idx_messages_user_conversations is INVALID.*rural24 migrate/);
  });

  it('ends with the capacity verdict: the stage and the connection arithmetic', async () => {
    const maxConn = Number(await value(url, 'SHOW max_connections'));
    const pool = Math.ceil((maxConn * 0.9) / 3);
    const r = await rural24(url, ['doctor'], { DOCTOR_INSTANCES: '3', DB_POOL_SIZE: String(pool) });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /== Capacity/);
    assert.match(r.stdout, /stage 1 by the configuration/);
    const needed = 3 * pool;
    assert.match(r.stdout, new RegExp(`3 instance\\(s\\) x DB_POOL_SIZE=${pool} = ${needed} of max_connections=${maxConn} \\((warning|critical)\\)`));
    assert.match(r.stdout, /advice: .*DB_POOL_SIZE/);
  });

  it('hints at enabling pg_stat_statements when it is missing', async () => {
    const db = await freshDatabase('doctor_nopss');
    await psql(db, 'DROP EXTENSION IF EXISTS pg_stat_statements');
    const r = await rural24(db, ['doctor']);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /pg_stat_statements is not installed.*shared_preload_libraries/);
  });
});
