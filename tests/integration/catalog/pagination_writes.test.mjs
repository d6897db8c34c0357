// Keyset pagination under writes (issue 8): walking every page of a search
// while another task publishes new ads and changes others returns no id
// twice and skips no ad that existed, unchanged, when the walk began.
//
// Between every two pages the writer makes two writes (interleaved, so that
// every page of the walk is read after writes, deterministically). It
// publishes ads and pauses/resumes its own ads in every sort; in
// the "recent" walk it also changes prices. (Under price sorts a price change
// legitimately moves an ad across the walk's position — keyset pagination has
// no snapshot — so price changes are exercised where they cannot move an ad.)

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { freshDatabase, psql, rows, rural24 } from '../lib/pg.mjs';
import { assertCleanExit } from '../lib/server.mjs';
import { CatalogClient, adBody, expectJson, prng, startCatalogServer } from '../lib/catalog.mjs';

let db;
let srv;
let c;
let writer;
const writerAds = [];

before(async () => {
  db = await freshDatabase('catalog_pagination');
  const r = await rural24(db, ['seed', '--users', '40', '--ads', '700', '--messages', '0', '--seed', '11']);
  assert.equal(r.code, 0, `seed: ${r.stderr}${r.stdout}`);
  await psql(db, `UPDATE ads SET expires_at = CASE WHEN expires_at < now() THEN now() - interval '90 minutes'
                                                 ELSE now() + interval '90 minutes' END
                  WHERE expires_at BETWEEN now() - interval '1 hour' AND now() + interval '1 hour'`);
  srv = await startCatalogServer({ store: 'db', databaseUrl: db });
  c = new CatalogClient(srv.port);
  writer = await c.newUser({}, 'writer');
  const rnd = prng(7);
  for (let i = 0; i < 40; i++) {
    const ad = await c.newAd(writer.access, {
      title: `Aviso del escritor ${i}`,
      price: rnd.chance(0.2) ? null : 1000 + rnd.int(100000000),
      currency: rnd.chance(0.5) ? 'ARS' : 'USD',
    });
    writerAds.push(ad.id);
  }
});

after(async () => {
  if (srv) assertCleanExit(await srv.stop());
});

/** The writer: step() makes one write; finish() resumes what it paused. */
function makeWriter({ priceChanges }) {
  const rnd = prng(99);
  const touched = new Set();
  const inserted = new Set();
  const paused = new Set();
  let count = 0;
  return {
    touched,
    inserted,
    get count() {
      return count;
    },
    async step() {
      const kind = rnd.int(priceChanges ? 3 : 2);
      const id = rnd.pick(writerAds);
      if (kind === 0) {
        const ad = await c.newAd(writer.access, { title: `Aviso nuevo durante el recorrido ${count}`, price: 1000 + rnd.int(100000000), currency: 'ARS' });
        inserted.add(ad.id);
      } else if (kind === 1) {
        touched.add(id);
        const status = paused.has(id) ? 'active' : 'paused';
        expectJson(await c.patchAd(writer.access, id, { status }), 200, `writer ${status}`);
        if (status === 'paused') paused.add(id);
        else paused.delete(id);
      } else {
        touched.add(id);
        expectJson(await c.patchAd(writer.access, id, { price: 1000 + rnd.int(100000000), currency: rnd.chance(0.5) ? 'ARS' : 'USD' }), 200, 'writer price');
      }
      count++;
    },
    async finish() {
      for (const id of paused) expectJson(await c.patchAd(writer.access, id, { status: 'active' }), 200, 'writer resumes');
      paused.clear();
    },
  };
}

describe('pagination under writes', () => {
  for (const [sort, priceChanges] of [['recent', true], ['price_asc', false], ['price_desc', false]]) {
    it(`sort=${sort}: no duplicate, no unchanged ad skipped${priceChanges ? ' (inserts, pauses and price changes)' : ' (inserts and pauses)'}`, async () => {
      const before = new Set((await rows(db, "SELECT id FROM ads WHERE status = 'active' AND expires_at > now()")).map((r) => Number(r[0])));
      assert.ok(before.size > 300, `enough ads to walk: ${before.size}`);
      const w = makeWriter({ priceChanges });
      let walked;
      try {
        const ids = [];
        let cursor = null;
        for (let n = 0; n < 500; n++) {
          const page = expectJson(await c.search({ sort, limit: '10', ...(cursor ? { cursor } : {}) }), 200, `page ${n + 1}`);
          ids.push(...page.items.map((i) => i.id));
          if (page.next_cursor === null) break;
          cursor = page.next_cursor;
          await w.step();
          await w.step();
        }
        walked = ids;
      } finally {
        await w.finish();
      }
      assert.ok(w.count >= 20, `the writer wrote during the walk (${w.count} writes)`);
      const dup = walked.filter((id, k) => walked.indexOf(id) !== k);
      assert.deepEqual(dup, [], `no id twice (${walked.length} walked)`);
      const seen = new Set(walked);
      const skipped = [...before].filter((id) => !w.touched.has(id) && !seen.has(id));
      assert.deepEqual(skipped, [], `every ad that existed and was not changed appears (${before.size} before, ${w.touched.size} changed, ${w.inserted.size} inserted)`);
    });
  }
});
