// The read-only catalog rows of API.md (issue 8), once (they do not depend on
// the session store): the category tree, the exchange rate, every search
// parameter and every error API.md names for it, cursors, featured ads, the
// default page sizes, view counting and the search box's suggestions; on a
// small seeded database plus ads made through the API.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { eventually, freshDatabase, psql, rows, rural24, value } from '../lib/pg.mjs';
import { assertCleanExit, json, request } from '../lib/server.mjs';
import {
  CatalogClient,
  assertDetail,
  assertSummary,
  expectError,
  expectJson,
  promote,
  qs,
  startCatalogServer,
  uniqueWord,
} from '../lib/catalog.mjs';

let db;
let srv;
let c;
let seller;
let admin;

before(async () => {
  db = await freshDatabase('catalog_read');
  const r = await rural24(db, ['seed', '--users', '30', '--ads', '400', '--messages', '0', '--seed', '8']);
  assert.equal(r.code, 0, `seed: ${r.stderr}${r.stdout}`);
  // No ad may cross its expires_at while the tests run.
  await psql(db, `UPDATE ads SET expires_at = CASE WHEN expires_at < now() THEN now() - interval '90 minutes'
                                                 ELSE now() + interval '90 minutes' END
                  WHERE expires_at BETWEEN now() - interval '1 hour' AND now() + interval '1 hour'`);
  // More than 20 featured, active, unexpired ads (for the default limit).
  await psql(db, `UPDATE ads SET is_featured = true, featured_until = now() + interval '10 days'
                  WHERE id IN (SELECT id FROM ads WHERE status = 'active' AND expires_at > now() + interval '1 day'
                               ORDER BY id LIMIT 30)`);
  srv = await startCatalogServer({ store: 'db', databaseUrl: db });
  c = new CatalogClient(srv.port);
  seller = await c.newUser({ name: 'Vendedor Lector', province: 'Santa Fe' }, 'reader');
  admin = await c.newUser({}, 'readadmin');
  await promote(c, db, admin);
});

after(async () => {
  if (srv) assertCleanExit(await srv.stop());
});

describe('GET /api/categories', () => {
  it('the whole tree with inherited attributes, exactly as the categories table holds it; cacheable for an hour', async () => {
    const res = await c.categories();
    const body = expectJson(res, 200);
    assert.equal(res.headers['cache-control'], 'public, max-age=3600');
    assert.deepEqual(Object.keys(body), ['items']);
    const dbRows = JSON.parse(await value(db, `SELECT json_agg(json_build_object('id', id, 'parent_id', parent_id, 'slug', slug, 'name', name, 'attributes', attributes) ORDER BY id) FROM categories`));
    const byId = new Map(dbRows.map((r) => [r.id, r]));
    const inherited = (id) => {
      const chain = [];
      for (let x = byId.get(id); x; x = x.parent_id === null ? null : byId.get(x.parent_id)) chain.unshift(x);
      return chain.flatMap((x) => x.attributes);
    };
    const seen = new Set();
    const visit = (node, parentId, where) => {
      assert.deepEqual(Object.keys(node).sort(), ['attributes', 'children', 'id', 'name', 'parent_id', 'slug'], `${where}: keys`);
      const row = byId.get(node.id);
      assert.ok(row, `${where}: category ${node.id} exists`);
      assert.ok(!seen.has(node.id), `${where}: category ${node.id} appears once`);
      seen.add(node.id);
      assert.equal(node.parent_id, parentId, `${where}: parent_id`);
      assert.equal(node.slug, row.slug);
      assert.equal(node.name, row.name);
      const want = inherited(node.id);
      const key = (a) => a.key;
      assert.deepEqual([...node.attributes].sort((a, b) => key(a).localeCompare(key(b))), [...want].sort((a, b) => key(a).localeCompare(key(b))), `${where}: attributes are its own and its ancestors'`);
      for (const a of node.attributes) {
        assert.ok(['text', 'number', 'enum', 'bool'].includes(a.type), `${where}: attribute type ${a.type}`);
        if (a.type === 'enum') assert.ok(Array.isArray(a.options) && a.options.length > 0);
      }
      assert.ok(Array.isArray(node.children));
      for (const ch of node.children) visit(ch, node.id, `${where} > ${ch.slug}`);
    };
    for (const top of body.items) visit(top, null, top.slug);
    assert.equal(seen.size, dbRows.length, 'every category is in the tree');
    assert.deepEqual(body.items.map((i) => i.id), [1, 2, 3, 4, 5, 6, 7], '7 top-level categories, ids 1..7');
    for (const top of body.items) {
      for (const ch of top.children) {
        assert.equal(Math.floor(ch.id / 100), top.id, `child ${ch.id} of ${top.id} is numbered ${top.id}NN`);
      }
    }
    const tractores = body.items[0].children.find((ch) => ch.slug === 'tractores');
    assert.ok(tractores.attributes.some((a) => a.key === 'condition'), 'Tractores inherits "condition" from Maquinaria agrícola');
    assert.deepEqual(tractores.attributes.find((a) => a.key === 'hp'), { key: 'hp', label: 'Potencia', type: 'number', unit: 'hp' });

    const head = await request(srv.port, { method: 'HEAD', path: '/api/categories' });
    assert.equal(head.status, 200, 'HEAD works where GET does');
    assert.equal(head.body.length, 0);
  });
});

describe('GET /api/exchange-rate', () => {
  it('{"usd_ars","updated_at"} as the database holds it', async () => {
    const body = expectJson(await c.rate(), 200);
    assert.deepEqual(Object.keys(body).sort(), ['updated_at', 'usd_ars']);
    assert.equal(typeof body.usd_ars, 'number');
    assert.equal(body.usd_ars, Number(await value(db, 'SELECT usd_ars FROM exchange_rate')));
    assert.match(body.updated_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
  });
});

describe('GET /api/ads: parameters', () => {
  const BAD = [
    { sort: 'cheapest' },
    { sort: 'PRICE_ASC' },
    { currency: 'EUR' },
    { currency: 'usd' },
    { price_currency: 'EUR' },
    { price_unit: 'per_day' },
    { min_price: 'abc' },
    { max_price: '12abc' },
    { max_price: 'NaN' },
    { limit: '0' },
    { limit: '51' },
    { limit: 'abc' },
    { limit: '-1' },
    { limit: '1.5' },
    { category: 'no-existe' },
    { category: '99999' },
    { 'attr.brand': 'john deere' },
    { 'attr.year.min': '2010' },
    { category: 'tractores', 'attr.color': 'rojo' },
    { category: 'maquinaria-agricola', 'attr.brand': 'john deere' },
    { category: 'tractores', 'attr.brand.min': '5' },
    { category: 'tractores', 'attr.traction.max': '5' },
    { category: 'tractores', 'attr.year': 'abc' },
    { category: 'tractores', 'attr.year.min': 'abc' },
    { category: 'tractores', 'attr.hp.max': '1e' },
    { category: 'equinos', 'attr.tamed': 'maybe' },
    { category: 'equinos', 'attr.tamed': '1' },
    { category: 'equinos', 'attr.tamed.min': '1' },
    { category: 'tractores', 'attr.year.foo': '2' },
    {
      category: 'tractores',
      'attr.brand': 'john deere',
      'attr.model': '6110J',
      'attr.traction': 'doble',
      'attr.year.min': '2000',
      'attr.year.max': '2020',
      'attr.hours.min': '0',
      'attr.hours.max': '9000',
      'attr.hp.min': '50',
      'attr.hp.max': '300',
    },
  ];
  for (const params of BAD) {
    it(`${qs(params)} → 400 invalid_parameter`, async () => {
      expectError(await c.search(params), 400, 'invalid_parameter', qs(params));
    });
  }

  const GOOD = [
    {},
    { sort: 'recent' },
    { sort: 'price_asc', limit: '50' },
    { sort: 'price_desc', limit: '1' },
    { currency: 'ARS', min_price: '0', max_price: '1000000' },
    { currency: 'USD', price_currency: 'ARS', min_price: '1000.5' },
    { price_currency: 'USD', max_price: '50000' },
    { price_unit: 'per_head' },
    { province: 'Córdoba' },
    { category: 'tractores' },
    { category: '101' },
    { category: 'hacienda' },
    { q: 'tractor' },
    { q: '"john deere" -usado' },
    { category: 'tractores', 'attr.brand': 'john deere', 'attr.traction': 'doble', 'attr.year.min': '2000', 'attr.year.max': '2020', 'attr.hours.min': '0', 'attr.hours.max': '90000', 'attr.hp.min': '50', 'attr.hp.max': '300' },
    { category: 'equinos', 'attr.tamed': 'true' },
    { category: 'equinos', 'attr.tamed': 'false' },
    { category: 'maquinaria-agricola', 'attr.condition': 'usado' },
    { category: 'tractores', 'attr.condition': 'nuevo' },
  ];
  for (const params of GOOD) {
    it(`${qs(params) || '(no parameters)'} → 200 {"items":[summary...],"next_cursor"}`, async () => {
      const res = await c.search(params);
      const body = expectJson(res, 200, qs(params));
      assert.deepEqual(Object.keys(body).sort(), ['items', 'next_cursor']);
      const limit = Number(params.limit ?? 20);
      assert.ok(body.items.length <= limit);
      for (const s of body.items) assertSummary(s, { what: `item of ${qs(params)}` });
    });
  }

  it('limit defaults to 20', async () => {
    const body = expectJson(await c.search(), 200);
    assert.equal(body.items.length, 20);
    assert.equal(typeof body.next_cursor, 'string');
  });

  it('API.md\'s examples: "tractores" finds "Tractor John Deere", "agricola" finds "Agrícola", phrases, -word, attributes accent- and case-insensitive', async () => {
    const w = uniqueWord('ejemplo');
    const jd = await c.newAd(seller.access, { title: `Tractor John Deere ${w}`, description: 'Consultas por mensaje.' });
    const agri = await c.newAd(seller.access, { title: `Maquinaria Agrícola ${w}`, description: 'Consultas por mensaje.', category_id: 105, attributes: { implement_type: 'rastra', brand: 'Agrometal' } });
    const rev = await c.newAd(seller.access, { title: `Deere usado de John ${w}`, description: 'Consultas por mensaje.', category_id: 106, attributes: { brand: 'Deere' } });
    const deutz = await c.newAd(seller.access, { title: `Tractor Deutz ${w}`, description: 'Consultas por mensaje.', attributes: { brand: 'Deutz-Fahr', traction: 'simple' } });
    const horse = await c.newAd(seller.access, { title: `Caballo criollo ${w}`, description: 'Consultas por mensaje.', category_id: 204, price: 1500, currency: 'USD', attributes: { breed: 'Criollo', tamed: true, age_years: 7, coat: 'Alazán' } });
    const ids = async (params) => expectJson(await c.search({ ...params }), 200).items.map((i) => i.id).sort((a, b) => a - b);
    const sorted = (...xs) => xs.sort((a, b) => a - b);
    assert.deepEqual(await ids({ q: `tractores ${w}` }), sorted(jd.id, deutz.id), '"tractores" finds Tractor');
    assert.deepEqual(await ids({ q: `TRACTOR ${w.toUpperCase()}` }), sorted(jd.id, deutz.id), 'case-insensitive');
    assert.deepEqual(await ids({ q: `agricola ${w}` }), [agri.id], '"agricola" finds "Agrícola"');
    assert.deepEqual(await ids({ q: `"john deere" ${w}` }), [jd.id], 'a quoted phrase');
    assert.deepEqual(await ids({ q: `john deere ${w}` }), sorted(jd.id, rev.id), 'words are ANDed, in any order');
    assert.deepEqual(await ids({ q: `${w} -deutz` }), sorted(jd.id, agri.id, rev.id, horse.id), '-word excludes');
    assert.deepEqual(await ids({ q: w, category: 'tractores', 'attr.brand': 'JOHN DEERE' }), [jd.id], 'attr text, case-insensitive');
    assert.deepEqual(await ids({ q: w, category: 'equinos', 'attr.coat': 'alazan' }), [horse.id], 'attr text, accent-insensitive');
    assert.deepEqual(await ids({ q: w, category: 'equinos', 'attr.breed': 'CRIOLLO' }), [horse.id], 'attr enum, case-insensitive');
    assert.deepEqual(await ids({ q: w, category: 'equinos', 'attr.tamed': 'true' }), [horse.id], 'attr bool');
    assert.deepEqual(await ids({ q: w, category: 'equinos', 'attr.tamed': 'false' }), [], 'attr bool false');
    assert.deepEqual(await ids({ q: w, category: 'equinos', 'attr.age_years': '7' }), [horse.id], 'attr number equality');
    assert.deepEqual(await ids({ q: w, category: 'equinos', 'attr.age_years.min': '7', 'attr.age_years.max': '7' }), [horse.id], 'inclusive range');
    assert.deepEqual(await ids({ q: w, category: 'equinos', 'attr.age_years.min': '8' }), [], 'range excludes');
    assert.deepEqual(await ids({ q: w, category: 'maquinaria-agricola' }), sorted(jd.id, agri.id, rev.id, deutz.id), 'a parent category includes its children');
    assert.deepEqual(await ids({ q: w, category: '1' }), sorted(jd.id, agri.id, rev.id, deutz.id), 'category by id');
    assert.deepEqual(await ids({ q: w, price_currency: 'USD', min_price: '1500', max_price: '1500' }), [horse.id], 'price range in USD');
    assert.deepEqual(await ids({ q: w, currency: 'ARS' }), [], 'currency ARS');
  });
});

describe('cursors', () => {
  let page1;
  const base = { limit: '2', sort: 'recent' };
  before(async () => {
    page1 = expectJson(await c.search(base), 200);
    assert.equal(typeof page1.next_cursor, 'string');
  });

  it('the next page follows the first without overlap', async () => {
    const page2 = expectJson(await c.search({ ...base, cursor: page1.next_cursor }), 200);
    assert.equal(page2.items.length, 2);
    const ids1 = page1.items.map((i) => i.id);
    for (const i of page2.items) assert.ok(!ids1.includes(i.id));
  });

  it('any character of the cursor changed → 400 invalid_cursor', async () => {
    const cur = page1.next_cursor;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const accepted = [];
    for (let i = 0; i < cur.length; i++) {
      const at = alphabet.indexOf(cur[i]);
      const repl = at < 0 ? 'A' : alphabet[(at + 1) % alphabet.length];
      const tampered = cur.slice(0, i) + repl + cur.slice(i + 1);
      const res = await c.search({ ...base, cursor: tampered });
      if (res.status !== 400 || json(res).error?.code !== 'invalid_cursor') accepted.push(`position ${i}: ${res.status} ${res.body.toString().slice(0, 120)}`);
    }
    assert.deepEqual(accepted, [], `tampered cursors not refused (cursor ${cur})`);
  });

  it('truncated, extended, garbage or empty-looking cursors → 400 invalid_cursor', async () => {
    const cur = page1.next_cursor;
    for (const bad of [cur.slice(0, -1), cur.slice(0, -4), cur.slice(0, Math.floor(cur.length / 2)), `${cur}A`, `${cur}AAAA`, 'garbage', '!!!!', '%00', 'x'.repeat(2000), Buffer.from('{"id":1}').toString('base64url')]) {
      expectError(await c.search({ ...base, cursor: bad }), 400, 'invalid_cursor', `cursor ${bad.slice(0, 40)}`);
    }
  });

  it('a cursor used with another query or sort → 400 invalid_cursor', async () => {
    const cur = page1.next_cursor;
    for (const other of [{ sort: 'price_asc' }, { sort: 'price_desc' }, { province: 'Córdoba' }, { q: 'tractor' }, { category: 'tractores' }, { currency: 'USD' }]) {
      expectError(await c.search({ ...base, ...other, cursor: cur }), 400, 'invalid_cursor', JSON.stringify(other));
    }
    const tr = expectJson(await c.search({ category: 'tractores', limit: '1' }), 200);
    expectError(await c.search({ category: 'cosechadoras', limit: '1', cursor: tr.next_cursor }), 400, 'invalid_cursor', 'another category');
    const pa = expectJson(await c.search({ sort: 'price_asc', limit: '1' }), 200);
    expectError(await c.search({ sort: 'price_desc', limit: '1', cursor: pa.next_cursor }), 400, 'invalid_cursor', 'price_asc cursor with price_desc');
  });
});

describe('GET /api/ads/featured', () => {
  it('limit 1..50, default 20; newest first; only active, unexpired, featured_until in the future', async () => {
    const body = expectJson(await c.featured(), 200);
    assert.deepEqual(Object.keys(body), ['items']);
    assert.equal(body.items.length, 20, 'default limit 20');
    for (const s of body.items) assertSummary(s, { what: 'featured' });
    const want = (await rows(db, `SELECT id FROM ads WHERE status = 'active' AND expires_at > now() AND is_featured AND featured_until > now()
                                   ORDER BY created_at DESC, id DESC LIMIT 50`)).map((r) => Number(r[0]));
    assert.deepEqual(body.items.map((i) => i.id), want.slice(0, 20), 'the 20 newest featured ads');
    assert.deepEqual(expectJson(await c.featured({ limit: 50 }), 200).items.map((i) => i.id), want, 'limit 50');
    assert.deepEqual(expectJson(await c.featured({ limit: 1 }), 200).items.map((i) => i.id), want.slice(0, 1), 'limit 1');
    for (const limit of ['0', '51', 'abc', '-1', '2.5']) {
      expectError(await c.featured({ limit }), 400, 'invalid_parameter', `limit=${limit}`);
    }
  });
});

describe('default page sizes of my ads and a user\'s ads', () => {
  it('/api/me/ads and /api/users/{id}/ads answer 20 by default, then a cursor', async () => {
    const u = await c.newUser({}, 'many');
    const ids = [];
    for (let i = 0; i < 22; i++) ids.push((await c.newAd(u.access, { title: `Aviso número ${i} de muchos` })).id);
    ids.reverse();
    for (const [label, call] of [['me/ads', () => c.myAds(u.access)], ['users/ads', () => c.userAds(u.user.id)]]) {
      const first = expectJson(await call(), 200, label);
      assert.equal(first.items.length, 20, `${label}: 20 by default`);
      assert.deepEqual(first.items.map((i) => i.id), ids.slice(0, 20), `${label}: newest first`);
      assert.equal(typeof first.next_cursor, 'string', `${label}: a next_cursor`);
    }
    assert.deepEqual((await c.walk('/api/me/ads?limit=7', { token: u.access, limit: 7 })).ids, ids);
    assert.deepEqual((await c.walk(`/api/users/${u.user.id}/ads?limit=50`, { limit: 50 })).ids, ids);
  });
});

describe('views', () => {
  it('anonymous views are counted (in batches); the owner\'s are not', async () => {
    const owner = await c.newUser({}, 'views');
    const ad = await c.newAd(owner.access);
    for (let i = 0; i < 4; i++) assertDetail(expectJson(await c.ad(ad.id, owner.access), 200), { privileged: true });
    const N = 6;
    for (let i = 0; i < N; i++) assertDetail(expectJson(await c.ad(ad.id), 200), { what: 'anonymous detail' });
    // Polled as the owner, whose reads do not count.
    const views = await eventually(async () => {
      const v = expectJson(await c.ad(ad.id, owner.access), 200).views;
      return v >= N ? v : false;
    }, { timeoutMs: 30000, intervalMs: 250, what: `views to reach ${N}` }); // flush (3 s) + detail cache (10 s)
    assert.equal(views, N, 'exactly the anonymous views: the owner\'s 4 + polls are not counted');
    assert.equal(Number(await value(db, `SELECT views FROM ads WHERE id = ${ad.id}`)), N, 'stored');
  });
});

describe('GET /api/search/suggest', () => {
  const shape = (item) => {
    if (item.type === 'category') assert.deepEqual(Object.keys(item).sort(), ['name', 'slug', 'type']);
    else {
      assert.equal(item.type, 'query', `item type: ${JSON.stringify(item)}`);
      assert.deepEqual(Object.keys(item).sort(), ['text', 'type']);
      assert.equal(typeof item.text, 'string');
    }
  };
  const fold = (s) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  const suggest = async (q) => {
    const res = await c.suggest({ q });
    const body = expectJson(res, 200, `suggest ${q}`);
    assert.equal(res.headers['cache-control'], 'public, max-age=60', 'Cache-Control');
    assert.deepEqual(Object.keys(body), ['items']);
    assert.ok(body.items.length <= 8, `at most 8 items: ${body.items.length}`);
    body.items.forEach(shape);
    return body.items;
  };
  const texts = (items) => items.map((i) => (i.type === 'category' ? i.name : i.text));

  it('q of 2 to 100 characters; else 400 invalid_parameter', async () => {
    for (const q of [undefined, '', 'a', 'x'.repeat(101), 'ñ'.repeat(101)]) {
      expectError(await c.suggest(q === undefined ? {} : { q }), 400, 'invalid_parameter', `q=${q?.slice(0, 10)}`);
    }
    await suggest('ab');
    await suggest('x'.repeat(100));
    await suggest('ñ'.repeat(100));
  });

  it('"tractr" → "tractor"; "jhon deer" → "John Deere"; category items; accents and case ignored', async () => {
    const t = texts(await suggest('tractr'));
    assert.ok(t.some((x) => fold(x).includes('tractor')), `tractr: ${JSON.stringify(t)}`);
    const jd = texts(await suggest('jhon deer'));
    assert.ok(jd.some((x) => x.includes('John Deere')), `jhon deer: ${JSON.stringify(jd)}`);
    const jd2 = texts(await suggest('JOHNDEERE'));
    assert.ok(jd2.some((x) => fold(x).includes('john deere')), `JOHNDEERE: ${JSON.stringify(jd2)}`);
    const cat = await suggest('tractores');
    assert.ok(cat.some((i) => i.type === 'category' && i.slug === 'tractores' && i.name === 'Tractores'), `tractores: ${JSON.stringify(cat)}`);
    const hac = await suggest('HACIENDA');
    assert.ok(hac.some((i) => i.type === 'category' && i.slug === 'hacienda' && i.name === 'Hacienda'), `HACIENDA: ${JSON.stringify(hac)}`);
    const agri = texts(await suggest('agricola'));
    assert.ok(agri.some((x) => fold(x).includes('agricola')), `agricola: ${JSON.stringify(agri)}`);
  });
});
