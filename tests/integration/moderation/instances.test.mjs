// Auto-hide and reappearance across two instances sharing one Redis (issue
// 10: "Auto-hide at the third distinct reporter, and reappearance after
// dismiss, across two instances"). Instance 1 serves the ad's search page,
// the featured list, its seller's public listing and its detail from the
// cache; the reports and the admin's dismiss go through instance 2. With
// CACHE_TYPE=redis instance 1 shows each change as soon as instance 2 has
// answered; with CACHE_TYPE=hybrid (memory in front of Redis) its memory
// copies are dropped through Redis pub/sub, within a second (asserted within
// 1.5 s, as the catalog's cache test does).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { expectJson, promote, startCatalogServer, uniqueWord } from '../lib/catalog.mjs';
import { ModerationClient } from '../lib/moderation.mjs';
import { freshDatabase } from '../lib/pg.mjs';
import { startRedis } from '../lib/redis.mjs';
import { assertCleanExit, json, request, sleep } from '../lib/server.mjs';

/** What instance `client` shows of ad: in search (by its word), featured,
 *  its seller's listing, the favorites of `fan`, and the detail's status. */
async function whereIs(client, ad, word, sellerId, fan) {
  const search = expectJson(await client.search({ q: word }), 200).items.some((i) => i.id === ad.id);
  const featured = expectJson(await client.featured({ limit: 50 }), 200).items.some((i) => i.id === ad.id);
  const listing = expectJson(await client.userAds(sellerId, { limit: 50 }), 200).items.some((i) => i.id === ad.id);
  const favorites = expectJson(await client.favorites(fan.access), 200).items.some((i) => i.id === ad.id);
  const detail = (await client.ad(ad.id)).status;
  return { search, featured, listing, favorites, detail };
}

const VISIBLE = Object.freeze({ search: true, featured: true, listing: true, favorites: true, detail: 200 });
const HIDDEN = Object.freeze({ search: false, featured: false, listing: false, favorites: false, detail: 404 });

for (const cacheType of ['redis', 'hybrid']) {
  describe(`two instances, CACHE_TYPE=${cacheType}, one Redis`, () => {
    let db;
    let redis;
    let one;
    let two;
    let c1;
    let c2;
    let seller;
    let admin;
    let fan;
    const reporters = [];

    before(async () => {
      db = await freshDatabase(`moderation_two_${cacheType}`);
      redis = await startRedis();
      const opts = { store: 'db', databaseUrl: db, redisUrl: redis.url, extra: { CACHE_TYPE: cacheType, REDIS_ENABLED: 'true' } };
      [one, two] = await Promise.all([startCatalogServer(opts), startCatalogServer(opts)]);
      c1 = new ModerationClient(one.port);
      c2 = new ModerationClient(two.port);
      for (const s of [one, two]) {
        for (let i = 0; ; i++) {
          const stores = json(await request(s.port, { path: '/api/_test/stores' }));
          if (stores.redis.state === 'up' && (cacheType !== 'hybrid' || stores.redis.pubsub)) break;
          assert.ok(i < 100, 'redis up (and pub/sub for hybrid) within 5 s');
          await sleep(50);
        }
      }
      seller = await c2.newUser({ name: 'Vendedora Dos Instancias' }, `twoseller${cacheType}`);
      admin = await c2.newUser({}, `twoadmin${cacheType}`);
      await promote(c2, db, admin);
      fan = await c1.newUser({}, `twofan${cacheType}`);
      for (let i = 0; i < 3; i++) reporters.push(await c2.newUser({}, `tworep${cacheType}${i}`));
    });

    after(async () => {
      const results = await Promise.all([one?.stop(), two?.stop()]);
      await redis?.stop();
      for (const r of results) if (r) assertCleanExit(r);
    });

    /** Waits until instance 1 shows `want` (at once for redis; within 1.5 s
     *  for hybrid); returns how long it took. */
    async function expectOnOne(ad, word, want, what) {
      const t0 = Date.now();
      for (;;) {
        const got = await whereIs(c1, ad, word, seller.user.id, fan);
        if (JSON.stringify(got) === JSON.stringify(want)) return Date.now() - t0;
        if (cacheType === 'redis' || Date.now() - t0 > 1500) assert.deepEqual(got, want, `${what} (after ${Date.now() - t0} ms)`);
        await sleep(25);
      }
    }

    it('hidden on instance 1 once the third report through instance 2 has answered; back after dismiss through instance 2', async (t) => {
      const word = uniqueWord(`dos${cacheType}`);
      const ad = await c2.newAd(seller.access, { title: `Tractor ${word} denunciado` });
      expectJson(await c2.feature(admin.access, ad.id, { days: 5 }), 200);
      assert.equal((await c1.favorite(fan.access, ad.id)).status, 204);
      // Instance 1 caches every view of the ad (the second read is a hit).
      await whereIs(c1, ad, word, seller.user.id, fan);
      assert.deepEqual(await whereIs(c1, ad, word, seller.user.id, fan), VISIBLE);

      await c2.reportOk(reporters[0].access, ad.id, { reason: 'fraud' });
      await c2.reportOk(reporters[1].access, ad.id, { reason: 'fraud' });
      assert.deepEqual(await whereIs(c1, ad, word, seller.user.id, fan), VISIBLE, 'two reports hide nothing');
      await c2.reportOk(reporters[2].access, ad.id, { reason: 'spam' });
      const hideLag = await expectOnOne(ad, word, HIDDEN, 'instance 1 after the third report');
      // The owner and the admin still see it on instance 1.
      assert.equal(expectJson(await c1.ad(ad.id, seller.access), 200).under_review, true);
      assert.equal(expectJson(await c1.ad(ad.id, admin.access), 200).under_review, true);
      // Stays hidden (nothing stale comes back).
      await sleep(200);
      assert.deepEqual(await whereIs(c1, ad, word, seller.user.id, fan), HIDDEN);

      assert.deepEqual(await c2.moderateOk(admin.access, ad.id, { action: 'dismiss', note: 'Sin fundamento.' }), {
        ad_id: ad.id,
        action: 'dismiss',
        resolved_reports: 3,
      });
      const showLag = await expectOnOne(ad, word, VISIBLE, 'instance 1 after the dismiss');
      assert.equal(expectJson(await c1.ad(ad.id, seller.access), 200).under_review, false);
      t.diagnostic(`${cacheType}: hidden on instance 1 after ${hideLag} ms, shown again after ${showLag} ms`);
    });

    it('pause and delete through instance 2 take the ad out of instance 1\'s cached pages', async () => {
      for (const action of ['pause', 'delete']) {
        const word = uniqueWord(`mod${action}${cacheType}`);
        const ad = await c2.newAd(seller.access, { title: `Sembradora ${word}` });
        expectJson(await c2.feature(admin.access, ad.id, { days: 5 }), 200);
        assert.equal((await c1.favorite(fan.access, ad.id)).status, 204);
        await whereIs(c1, ad, word, seller.user.id, fan);
        assert.deepEqual(await whereIs(c1, ad, word, seller.user.id, fan), VISIBLE);
        await c2.moderateOk(admin.access, ad.id, { action });
        await expectOnOne(ad, word, HIDDEN, `instance 1 after ${action}`);
      }
    });
  });
}
