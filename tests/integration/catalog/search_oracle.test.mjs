// Search correctness on a seeded database (issue 8): for 300 random
// combinations of q, category, province, currency, price_unit, price ranges
// in either currency, attribute filters, sorts and limits, the API's whole
// result set, walking every page until next_cursor is null, equals what a
// plainly written SQL query returns (a WHERE per parameter, ORDER BY the
// documented order, no keyset), in the same order.
//
// The combinations come from a deterministic PRNG; the seed is printed with
// every failure (set CATALOG_ORACLE_SEED to replay another one).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { freshDatabase, psql, rural24, value } from '../lib/pg.mjs';
import { assertCleanExit } from '../lib/server.mjs';
import { CatalogClient, PRICE_UNITS, psqlStdin, assertSummary, prng, qs, startCatalogServer, stripAccents } from '../lib/catalog.mjs';

const SEED = Number(process.env.CATALOG_ORACLE_SEED ?? 20240817);
const COMBINATIONS = 300;

let db;
let srv;
let c;
let rate;
let ads; // every ad of the seed: {id,title,category_id,attributes,price,currency,price_ars,province,status}
let categories; // id -> {id, slug, parent_id, attrs: [{key,type,options}] (inherited)}

before(async () => {
  db = await freshDatabase('catalog_oracle');
  const r = await rural24(db, ['seed', '--users', '300', '--ads', '3000', '--messages', '0', '--seed', '3']);
  assert.equal(r.code, 0, `seed: ${r.stderr}${r.stdout}`);
  // No ad may cross its expires_at while the test runs: move those within an
  // hour of now an hour and a half away (before the server starts).
  await psql(db, `UPDATE ads SET expires_at = CASE WHEN expires_at < now() THEN now() - interval '90 minutes'
                                                 ELSE now() + interval '90 minutes' END
                  WHERE expires_at BETWEEN now() - interval '1 hour' AND now() + interval '1 hour'`);
  srv = await startCatalogServer({ store: 'stateless', databaseUrl: db });
  c = new CatalogClient(srv.port);
  rate = Number(await value(db, 'SELECT usd_ars FROM exchange_rate'));
  ads = JSON.parse(await value(db, `SELECT json_agg(json_build_object('id', id, 'title', title, 'category_id', category_id,
      'attributes', attributes, 'price', price, 'currency', currency, 'price_ars', price_ars, 'province', province,
      'status', status) ORDER BY id) FROM ads`));
  const cats = JSON.parse(await value(db, `SELECT json_agg(json_build_object('id', id, 'slug', slug, 'parent_id', parent_id, 'attributes', attributes)) FROM categories`));
  const byId = new Map(cats.map((x) => [x.id, x]));
  categories = new Map();
  for (const x of cats) {
    const attrs = [];
    for (let y = x; y; y = y.parent_id === null ? null : byId.get(y.parent_id)) attrs.push(...y.attributes);
    const children = cats.filter((k) => k.parent_id === x.id).map((k) => k.id);
    categories.set(x.id, { id: x.id, slug: x.slug, parent_id: x.parent_id, attrs, children });
  }
});

after(async () => {
  if (srv) assertCleanExit(await srv.stop());
});

// ---------------------------------------------------------------------------
// Random combinations

const lit = (s) => `'${String(s).replace(/'/g, "''")}'`;
const WORD_RE = /^[\p{L}]{4,}$/u;

function titleWords(title) {
  return title.split(/[\s,.;:()/|"-]+/).filter((w) => WORD_RE.test(w));
}

function variant(rnd, w) {
  switch (rnd.int(5)) {
    case 0:
      return stripAccents(w);
    case 1:
      return w.toUpperCase();
    case 2:
      return /[aeiou]$/i.test(w) ? `${w}s` : `${w}es`; // plural
    case 3:
      return w.toLowerCase();
    default:
      return w;
  }
}

function makeQ(rnd, ad) {
  const words = titleWords(ad.title);
  if (words.length === 0) return 'tractor';
  const kind = rnd.int(6);
  if (kind === 0 && words.length >= 2) {
    const raw = ad.title.split(/\s+/);
    const i = rnd.int(Math.max(1, raw.length - 1));
    const phrase = raw.slice(i, i + 2).join(' ').replace(/"/g, '');
    return `"${stripAccents(phrase).toLowerCase()}"`;
  }
  if (kind === 1 && words.length >= 2) return `${variant(rnd, words[0])} ${variant(rnd, words[words.length - 1])}`;
  if (kind === 2) {
    const otherWords = titleWords(rnd.pick(ads).title);
    const other = otherWords.length ? rnd.pick(otherWords) : 'usado';
    return `${variant(rnd, rnd.pick(words))} -${stripAccents(other).toLowerCase()}`;
  }
  return variant(rnd, rnd.pick(words));
}

const round2 = (x) => Math.round(x * 100) / 100;

function makeCombination(rnd) {
  const p = {};
  // Most filters are drawn from one active ad, so that most combinations
  // find something; some from any ad, so that some find nothing.
  const active = ads.filter((x) => x.status === 'active');
  const ref0 = rnd.pick(active);
  const from = (prob) => (rnd.chance(prob) ? ref0 : rnd.pick(ads));
  const sqlWhere = ["a.status = 'active'", 'a.expires_at > now()'];
  let cat = null;
  if (rnd.chance(0.45)) {
    const q = makeQ(rnd, from(0.75));
    p.q = q;
    sqlWhere.push(`a.search_vector @@ websearch_to_tsquery('spanish', immutable_unaccent(${lit(q)}))`);
  }
  if (rnd.chance(0.6)) {
    const leaf = categories.get(from(0.75).category_id);
    cat = leaf.parent_id !== null && rnd.chance(0.35) ? categories.get(leaf.parent_id) : leaf;
    p.category = rnd.chance(0.5) ? cat.slug : String(cat.id);
    sqlWhere.push(`a.category_id IN (WITH RECURSIVE t AS (SELECT id FROM categories WHERE id = ${cat.id}
                     UNION ALL SELECT k.id FROM categories k JOIN t ON k.parent_id = t.id) SELECT id FROM t)`);
  }
  if (rnd.chance(0.25)) {
    const prov = from(0.8).province;
    p.province = prov;
    sqlWhere.push(`a.province = ${lit(prov)}`);
  }
  if (rnd.chance(0.2)) {
    const cur = from(0.7).currency;
    p.currency = cur ?? rnd.pick(['ARS', 'USD']);
    sqlWhere.push(`a.currency = ${lit(p.currency)}`);
  }
  if (rnd.chance(0.15)) {
    p.price_unit = rnd.pick(PRICE_UNITS);
    sqlWhere.push(`a.price_unit = ${lit(p.price_unit)}`);
  }
  if (rnd.chance(0.35)) {
    const priced = ads.filter((x) => x.price !== null && (!cat || x.category_id === cat.id || cat.children.includes(x.category_id)));
    const pool = priced.length ? priced : ads.filter((x) => x.price !== null);
    const ref = ref0.price !== null && rnd.chance(0.7) ? ref0 : rnd.pick(pool);
    const pc = rnd.pick(['ARS', 'USD', undefined]);
    if (pc) p.price_currency = pc;
    const unit = pc ?? p.currency ?? 'ARS';
    let v = unit === 'ARS' ? Number(ref.price_ars) : round2(Number(ref.price_ars) / rate);
    if (ref.currency === unit && rnd.chance(0.5)) v = Number(ref.price);
    const bound = (x) => (rnd.chance(0.5) ? String(Math.round(x)) : x.toFixed(2));
    const which = rnd.int(4);
    const toArs = (b) => (unit === 'USD' ? `(${b}::numeric * (SELECT usd_ars FROM exchange_rate))` : `${b}::numeric`);
    if (which === 0 || which === 2) {
      p.min_price = which === 2 ? String(v) : bound(v * (0.3 + 0.7 * rnd.next()));
      sqlWhere.push(`a.price_ars IS NOT NULL AND a.price_ars >= ${toArs(p.min_price)}`);
    }
    if (which === 1 || which === 2) {
      p.max_price = which === 2 ? String(v) : bound(v * (1 + 2 * rnd.next()));
      sqlWhere.push(`a.price_ars IS NOT NULL AND a.price_ars <= ${toArs(p.max_price)}`);
    }
    if (which === 3) {
      p.min_price = bound(v * 0.5);
      p.max_price = bound(v * 1.5);
      sqlWhere.push(`a.price_ars IS NOT NULL AND a.price_ars BETWEEN ${toArs(p.min_price)} AND ${toArs(p.max_price)}`);
    }
  }
  if (cat && cat.attrs.length && rnd.chance(0.6)) {
    const inCat = ads.filter((x) => x.category_id === cat.id || cat.children.includes(x.category_id));
    const n = 1 + rnd.int(Math.min(3, cat.attrs.length));
    const used = new Set();
    for (let i = 0; i < n; i++) {
      const a = rnd.pick(cat.attrs);
      if (used.has(a.key)) continue;
      used.add(a.key);
      const ref = inCat.includes(ref0) && rnd.chance(0.7) ? ref0 : inCat.length ? rnd.pick(inCat) : null;
      const have = ref && ref.attributes[a.key] !== undefined ? ref.attributes[a.key] : undefined;
      const col = `a.attributes -> ${lit(a.key)}`;
      if (a.type === 'text' || a.type === 'enum') {
        let v = typeof have === 'string' ? have : a.options ? rnd.pick(a.options) : 'John Deere';
        if (rnd.chance(0.3)) v = stripAccents(v);
        if (rnd.chance(0.3)) v = v.toUpperCase();
        p[`attr.${a.key}`] = v;
        sqlWhere.push(`lower(immutable_unaccent(a.attributes ->> ${lit(a.key)})) = lower(immutable_unaccent(${lit(v)}))`);
      } else if (a.type === 'bool') {
        const v = typeof have === 'boolean' ? have : rnd.chance(0.5);
        p[`attr.${a.key}`] = String(v);
        sqlWhere.push(`${col} = '${v}'::jsonb`);
      } else {
        const num = (x) => `CASE WHEN jsonb_typeof(${col}) = 'number' THEN (${col})::text::numeric ${x} ELSE false END`;
        const v = typeof have === 'number' ? have : 10 * rnd.int(100);
        const mode = rnd.int(4);
        if (mode === 0) {
          p[`attr.${a.key}`] = String(v);
          sqlWhere.push(num(`= ${v}`));
        }
        if (mode === 1 || mode === 3) {
          const lo = mode === 3 ? v : Math.floor(v * (0.5 + 0.5 * rnd.next()));
          p[`attr.${a.key}.min`] = String(lo);
          sqlWhere.push(num(`>= ${lo}`));
        }
        if (mode === 2 || mode === 3) {
          const hi = mode === 3 ? v : Math.ceil(v * (1 + rnd.next()));
          p[`attr.${a.key}.max`] = String(hi);
          sqlWhere.push(num(`<= ${hi}`));
        }
      }
    }
  }
  const sort = rnd.pick(['recent', 'price_asc', 'price_desc', undefined]);
  if (sort) p.sort = sort;
  let orderBy;
  if (!sort || sort === 'recent') orderBy = 'a.created_at DESC, a.id DESC';
  else if (sort === 'price_asc') {
    orderBy = `a.price_ars IS NULL, a.price_ars ASC, CASE WHEN a.price_ars IS NULL THEN a.created_at END DESC,
               CASE WHEN a.price_ars IS NULL THEN -a.id ELSE a.id END ASC`;
  } else {
    orderBy = `a.price_ars IS NULL, a.price_ars DESC, CASE WHEN a.price_ars IS NULL THEN a.created_at END DESC, a.id DESC`;
  }
  const sql = `SELECT coalesce(string_agg(s.id::text, ',' ORDER BY s.rn), '') FROM (
                 SELECT a.id, row_number() OVER (ORDER BY ${orderBy}) AS rn FROM ads a
                 WHERE ${sqlWhere.join('\n AND ')}) s`;
  return { params: p, sql };
}

// ---------------------------------------------------------------------------

describe(`search against plain SQL, ${COMBINATIONS} combinations (seed ${SEED})`, () => {
  it('every page walked equals the SQL result, in order', async () => {
    const rnd = prng(SEED);
    const combos = Array.from({ length: COMBINATIONS }, () => makeCombination(rnd));
    // One psql call answers every combination: row i is "i|id,id,...".
    const union = combos.map((x, i) => `SELECT ${i} AS i, (${x.sql}) AS ids`).join('\nUNION ALL\n');
    const out = await psqlStdin(db, `SELECT i, ids FROM (${union}) u ORDER BY i;`);
    const expected = out.split('\n').map((line) => {
      const [, ids] = line.split('|');
      return ids === '' ? [] : ids.split(',').map(Number);
    });
    assert.equal(expected.length, COMBINATIONS);

    const failures = [];
    let totalPages = 0;
    let nonEmpty = 0;
    const run = async (i) => {
      const { params } = combos[i];
      const want = expected[i];
      if (want.length) nonEmpty++;
      // At most ~12 pages per combination: a random limit when the result is small.
      const minLimit = Math.min(50, Math.max(1, Math.ceil(want.length / 12)));
      const lr = prng(SEED * 1000 + i); // per combination: the same whatever the scheduling
      const limit = lr.chance(0.5) ? 50 : minLimit + lr.int(51 - minLimit);
      const target = `/api/ads${qs({ ...params, limit: String(limit) })}`;
      try {
        const got = await c.walk(target, { limit, maxPages: 200 });
        totalPages += got.pages.length;
        if (got.items.length) assertSummary(got.items[0], { what: `first item of ${target}` });
        if (JSON.stringify(got.ids) !== JSON.stringify(want)) {
          const at = got.ids.findIndex((id, k) => id !== want[k]);
          const dup = got.ids.filter((id, k) => got.ids.indexOf(id) !== k);
          const missing = want.filter((id) => !got.ids.includes(id));
          const extra = got.ids.filter((id) => !want.includes(id));
          failures.push(
            `#${i} GET ${target}\n   API ${got.ids.length} ids, SQL ${want.length}; first difference at ${at < 0 ? want.length : at}; ` +
              `missing ${JSON.stringify(missing.slice(0, 10))}; extra ${JSON.stringify(extra.slice(0, 10))}; duplicates ${JSON.stringify(dup.slice(0, 10))}\n` +
              `   API head ${JSON.stringify(got.ids.slice(Math.max(0, at - 2), at + 5))} SQL head ${JSON.stringify(want.slice(Math.max(0, at - 2), at + 5))}`,
          );
        }
      } catch (err) {
        failures.push(`#${i} GET ${target}\n   ${err.message.split('\n').slice(0, 3).join(' ')}`);
      }
    };
    let next = 0;
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        while (next < combos.length) await run(next++);
      }),
    );
    assert.ok(nonEmpty >= COMBINATIONS / 3, `the combinations mostly find something (${nonEmpty} of ${COMBINATIONS} non-empty): the generator is off`);
    assert.deepEqual(
      failures.slice(0, 15),
      [],
      `${failures.length} of ${COMBINATIONS} combinations differ from the SQL (PRNG seed ${SEED}, ${totalPages} pages walked; CATALOG_ORACLE_SEED=${SEED} replays):\n${failures.slice(0, 15).join('\n')}`,
    );
  });
});
