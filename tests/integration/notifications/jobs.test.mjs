// What the jobs store, on one instance (the jobs' periods cut to a few
// hundred ms): saved-search matches (the full filter, one notification per
// saved search per hour with count and the newest three ads, new_count until
// seen, renewals), price drops to favoriters (none for a rise or a change of
// currency), the expiry reminders at 7 and 1 days and ad_expired (time moved
// by setting expires_at in the database), and ad_moderated pushed live.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { adBody, expectJson, promote, uniqueWord } from '../lib/catalog.mjs';
import { MATCHER_MS, NotifyClient, assertNotification, setExpiry, startNotifyServer, storedCount } from '../lib/notifications.mjs';
import { freshDatabase, psql, value } from '../lib/pg.mjs';
import { assertCleanExit, sleep } from '../lib/server.mjs';
import { WsClient } from '../lib/ws.mjs';

/** Waits until the matcher has consumed every queued event of the kinds,
 *  then one period more (its notifications are committed with the
 *  consumption). */
async function drained(db, kinds = ['published', 'renewed', 'price_drop']) {
  for (let i = 0; i < 200; i++) {
    const left = Number(await value(db, `SELECT count(*) FROM ad_events WHERE kind IN (${kinds.map((k) => `'${k}'`).join(', ')})`));
    if (left === 0) return;
    await sleep(50);
  }
  throw new Error('ad_events not drained within 10 s');
}

describe('notification jobs, one instance', () => {
  let db;
  let srv;
  let c;
  let seller;
  let buyer;

  before(async () => {
    db = await freshDatabase('notify_jobs');
    srv = await startNotifyServer({ store: 'db', databaseUrl: db });
    c = new NotifyClient(srv.port);
    seller = await c.newUser({}, 'jobseller');
    buyer = await c.newUser({}, 'jobbuyer');
  });
  after(async () => {
    if (srv) assertCleanExit(await srv.stop());
  });

  it('a matching ad is notified within seconds; ten make one notification with count 10', async () => {
    const word = uniqueWord('match');
    const s = await c.saveOk(buyer.access, 'JD 2015+ bajo 60 mil USD en Córdoba', {
      q: word,
      category: 'tractores',
      province: 'Córdoba',
      max_price: 60000,
      price_currency: 'USD',
      'attr.brand': 'john deere',
      'attr.year.min': 2015,
    });
    const ws = await WsClient.connect(srv.port, { token: buyer.access });
    await ws.next('hello');
    const t0 = Date.now();
    const first = await c.newAd(seller.access, { title: `Tractor ${word} uno`, attributes: { brand: 'John Deere', year: 2016 } });
    const frame = await ws.next('notification', { timeoutMs: 8000 });
    const lag = Date.now() - t0;
    assert.ok(lag < MATCHER_MS * 10, `pushed within ${lag} ms`);
    assertNotification(frame.notification);
    assert.equal(frame.notification.type, 'saved_search_match');
    assert.equal(frame.notification.data.saved_search_id, s.id);
    assert.equal(frame.notification.data.name, s.name);
    assert.equal(frame.notification.data.count, 1);
    assert.equal(frame.notification.data.ads[0].id, first.id);
    const stored = (await c.allNotifications(buyer.access)).filter((n) => n.type === 'saved_search_match');
    assert.equal(stored.length, 1);
    assert.deepEqual(stored[0], frame.notification, 'the frame is the stored notification');

    // Nine more within the hour: still one notification, count 10, the
    // newest three ads first; each batch's update is pushed again (same id).
    const ids = [first.id];
    for (let i = 0; i < 9; i++) {
      ids.push((await c.newAd(seller.access, { title: `Tractor ${word} ${i}`, attributes: { brand: 'JOHN DEERE', year: 2018 } })).id);
    }
    await drained(db);
    const n = await c.waitNotification(buyer.access, (x) => x.type === 'saved_search_match' && x.data.count === 10, { what: 'count 10' });
    assert.equal(n.id, frame.notification.id);
    assert.deepEqual(
      n.data.ads.map((a) => a.id),
      ids.slice(-3).reverse(),
    );
    assert.equal(await storedCount(db, buyer.user.id, 'saved_search_match'), 1);
    const last = await ws.next('notification', { where: (f) => f.notification.data.count === 10, timeoutMs: 5000 });
    assert.equal(last.notification.id, n.id);
    ws.destroy();
    // new_count grew with every match, until seen.
    let listed = expectJson(await c.savedSearches(buyer.access), 200).items.find((i) => i.id === s.id);
    assert.equal(listed.new_count, 10);
    assert.equal((await c.seen(buyer.access, s.id)).status, 204);
    listed = expectJson(await c.savedSearches(buyer.access), 200).items.find((i) => i.id === s.id);
    assert.equal(listed.new_count, 0);

    // After the hour: the next match makes a new notification.
    await psql(db, `UPDATE saved_searches SET notification_until = now() - interval '1 second' WHERE id = ${s.id}`);
    await c.newAd(seller.access, { title: `Tractor ${word} otra hora`, attributes: { brand: 'John Deere', year: 2020 } });
    await drained(db);
    const again = await c.waitNotification(buyer.access, (x) => x.type === 'saved_search_match' && x.id !== n.id, { what: 'a new hour' });
    assert.equal(again.data.count, 1);
    assert.equal(await storedCount(db, buyer.user.id, 'saved_search_match'), 2);
  });

  it('ads that miss any filter, and one\'s own ads, match nothing', async () => {
    const word = uniqueWord('miss');
    const fan = await c.newUser({}, 'missfan');
    await c.saveOk(fan.access, 'filtro', {
      q: word,
      category: 'tractores',
      province: 'Córdoba',
      currency: 'USD',
      min_price: 10000,
      max_price: 60000,
      price_unit: 'total',
      'attr.brand': 'John Deere',
      'attr.year.min': 2015,
    });
    const misses = [
      { title: `Tractor ${word} otra provincia`, province: 'Chaco' },
      { title: `Tractor ${word} caro`, price: 90000 },
      { title: `Tractor ${word} barato`, price: 5000 },
      { title: `Tractor ${word} pesos`, currency: 'ARS', price: 30000000 },
      { title: `Tractor ${word} viejo`, attributes: { brand: 'John Deere', year: 2010 } },
      { title: `Tractor ${word} sin año`, attributes: { brand: 'John Deere' } },
      { title: `Tractor ${word} otra marca`, attributes: { brand: 'Fiat', year: 2020 } },
      { title: `Tractor ${word} por mes`, price_unit: 'per_month' },
      { title: `Cosechadora ${word}`, category_id: 102 },
      { title: 'Tractor sin la palabra' },
    ];
    for (const m of misses) await c.newAd(seller.access, { attributes: { brand: 'John Deere', year: 2016 }, ...m });
    // The fan's own matching ad.
    await c.newAd(fan.access, { title: `Tractor ${word} propio`, attributes: { brand: 'John Deere', year: 2016 } });
    // A paused ad is not public: no match. It is active between its POST and
    // its PATCH, so the matcher's lease is held meanwhile (as another
    // instance would hold it): a run in between would rightly notify it.
    // The wait lets a run claimed just before the hold finish.
    const hold = (expires) => psql(db, `UPDATE job_leases SET owner = 'test-hold', expires_at = ${expires} WHERE name = 'saved_search_matcher'`);
    await hold("now() + interval '1 hour'");
    await sleep(MATCHER_MS * 3);
    const paused = await c.newAd(seller.access, { title: `Tractor ${word} pausado`, attributes: { brand: 'John Deere', year: 2016 } });
    await c.patchOk(seller.access, paused.id, { status: 'paused' });
    await hold("'-infinity'");
    await drained(db);
    await sleep(MATCHER_MS * 2);
    assert.equal(await storedCount(db, fan.user.id, 'saved_search_match'), 0);
    // And the one that matches, to show the filter is alive.
    const hit = await c.newAd(seller.access, { title: `Tractor ${word} bueno`, attributes: { brand: 'John Deere', year: 2016 } });
    const n = await c.waitNotification(fan.access, (x) => x.type === 'saved_search_match');
    assert.deepEqual(n.data.ads.map((a) => a.id), [hit.id]);
  });

  it('the matcher agrees with GET /api/ads on what a saved search finds', async () => {
    const word = uniqueWord('oracle');
    const fan = await c.newUser({}, 'oraclefan');
    const queries = [
      { q: word },
      { q: word, category: 'maquinaria-agricola' },
      { q: word, province: 'Buenos Aires' },
      { q: word, currency: 'ARS' },
      { q: word, min_price: 20000, price_currency: 'USD' },
      { q: word, max_price: 25000000 },
      { q: word, category: 'tractores', 'attr.year.max': 2015 },
      { q: word, category: 'tractores', 'attr.traction': 'DOBLE' },
      { q: `${word} -cabina` },
      { q: word, price_unit: 'per_ha' },
    ];
    const saved = [];
    for (const [i, query] of queries.entries()) saved.push(await c.saveOk(fan.access, `o${i}`, query));
    const variants = [
      {},
      { province: 'Buenos Aires' },
      { currency: 'ARS', price: 20000000 },
      { price: 15000 },
      { price: null, currency: null },
      { attributes: { brand: 'Deutz', year: 2012, traction: 'doble' } },
      { category_id: 102, attributes: {} },
      { description: 'Sin cabina, impecable.' },
      { title: `Tractor ${word} con cabina` },
      { category_id: 301, price_unit: 'per_ha', attributes: { hectares: 100 } },
    ];
    const ads = [];
    for (const v of variants) ads.push(await c.newAd(seller.access, { title: `Tractor ${word}`, ...v }));
    await drained(db);
    await sleep(MATCHER_MS * 2);
    const notes = (await c.allNotifications(fan.access)).filter((n) => n.type === 'saved_search_match');
    for (const [i, query] of queries.entries()) {
      const params = Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)]));
      const found = expectJson(await c.search({ ...params, limit: 50 }), 200).items.map((a) => a.id).sort();
      const n = notes.find((x) => x.data.saved_search_id === saved[i].id);
      const count = n ? n.data.count : 0;
      assert.equal(count, found.length, `${JSON.stringify(query)}: search finds ${found}, matcher counted ${count}`);
      if (n) for (const a of n.data.ads) assert.ok(found.includes(a.id), `${JSON.stringify(query)}: ${a.id} found by the search`);
    }
  });

  it('a renewed ad matches again; an edit does not', async () => {
    const word = uniqueWord('renew');
    const fan = await c.newUser({}, 'renewfan');
    await c.saveOk(fan.access, 'renovadas', { q: word });
    const ad = await c.newAd(seller.access, { title: `Tractor ${word}` });
    await c.waitNotification(fan.access, (x) => x.type === 'saved_search_match' && x.data.count === 1);
    await c.patchOk(seller.access, ad.id, { title: `Tractor ${word} editado` });
    await psql(db, `UPDATE ads SET expires_at = now() - interval '1 minute', status = 'expired' WHERE id = ${ad.id}`);
    await c.patchOk(seller.access, ad.id, { status: 'active' });
    await c.waitNotification(fan.access, (x) => x.type === 'saved_search_match' && x.data.count === 2, { what: 'the renewal counted' });
    await drained(db);
    await sleep(MATCHER_MS * 2);
    const n = (await c.allNotifications(fan.access)).filter((x) => x.type === 'saved_search_match');
    assert.equal(n.length, 1);
    assert.equal(n[0].data.count, 2);
    assert.equal(n[0].data.ads.length, 1, 'the same ad is listed once');
  });

  it('price_drop to each favoriter, once per drop; none for a rise or a change of currency', async () => {
    const fans = [await c.newUser({}, 'pdfan1'), await c.newUser({}, 'pdfan2')];
    const ad = await c.newAd(seller.access, { price: 30000, currency: 'USD' });
    for (const f of fans) assert.equal((await c.favorite(f.access, ad.id)).status, 204);
    // The owner favoriting their own ad gets nothing.
    assert.equal((await c.favorite(seller.access, ad.id)).status, 204);
    const ws = await WsClient.connect(srv.port, { token: fans[0].access });
    await ws.next('hello');
    await c.patchOk(seller.access, ad.id, { price: 28000 });
    const frame = await ws.next('notification', { where: (f) => f.notification.type === 'price_drop', timeoutMs: 8000 });
    assertNotification(frame.notification);
    assert.equal(frame.notification.data.ad.id, ad.id);
    assert.equal(frame.notification.data.old_price, 30000);
    assert.equal(frame.notification.data.new_price, 28000);
    assert.equal(frame.notification.data.ad.price, 28000);
    ws.destroy();
    await c.waitNotification(fans[1].access, (x) => x.type === 'price_drop');
    // A rise, a change of currency (even to a lower number), and a title edit.
    await c.patchOk(seller.access, ad.id, { price: 29000 });
    await c.patchOk(seller.access, ad.id, { price: 20000000, currency: 'ARS' });
    await c.patchOk(seller.access, ad.id, { price: 15000, currency: 'USD' });
    await c.patchOk(seller.access, ad.id, { title: 'Tractor con precio nuevo' });
    // Two drops: two notifications each.
    await c.patchOk(seller.access, ad.id, { price: 14000 });
    await c.patchOk(seller.access, ad.id, { price: 13000 });
    await drained(db);
    await sleep(MATCHER_MS * 2);
    for (const f of fans) {
      const drops = (await c.allNotifications(f.access)).filter((x) => x.type === 'price_drop');
      assert.deepEqual(
        drops.map((d) => [d.data.old_price, d.data.new_price]),
        [
          [14000, 13000],
          [15000, 14000],
          [30000, 28000],
        ],
      );
    }
    assert.equal(await storedCount(db, seller.user.id, 'price_drop'), 0);
  });

  it('ad_expiring at 7 and 1 days, ad_expired at expiry: once each', async () => {
    const owner = await c.newUser({}, 'expowner');
    const ad = await c.newAd(owner.access, {});
    const ws = await WsClient.connect(srv.port, { token: owner.access });
    await ws.next('hello');
    await setExpiry(db, ad.id, '6 days 23 hours');
    const seven = await ws.next('notification', { where: (f) => f.notification.type === 'ad_expiring', timeoutMs: 8000 });
    assertNotification(seven.notification);
    assert.equal(seven.notification.data.ad.id, ad.id);
    const expiresAt = await value(db, `SELECT rfc3339(expires_at) FROM ads WHERE id = ${ad.id}`);
    assert.equal(seven.notification.data.expires_at, expiresAt);
    await setExpiry(db, ad.id, '23 hours');
    const one = await ws.next('notification', { where: (f) => f.notification.type === 'ad_expiring' && f.notification.id !== seven.notification.id, timeoutMs: 8000 });
    assert.equal(one.notification.data.ad.id, ad.id);
    await setExpiry(db, ad.id, '-1 minute');
    const expired = await ws.next('notification', { where: (f) => f.notification.type === 'ad_expired', timeoutMs: 8000 });
    assertNotification(expired.notification);
    assert.equal(expired.notification.data.ad.id, ad.id);
    assert.equal(await value(db, `SELECT status FROM ads WHERE id = ${ad.id}`), 'expired');
    ws.destroy();
    // Several periods later: still one of each.
    await sleep(1500);
    assert.equal(await storedCount(db, owner.user.id, 'ad_expiring'), 2);
    assert.equal(await storedCount(db, owner.user.id, 'ad_expired'), 1);
    // A paused ad gets no reminder (only active ads expire).
    const paused = await c.newAd(owner.access, {});
    await c.patchOk(owner.access, paused.id, { status: 'paused' });
    await setExpiry(db, paused.id, '3 days');
    // Renewed: a new expiry is a new event.
    await c.patchOk(owner.access, ad.id, { status: 'active' });
    await setExpiry(db, ad.id, '12 hours');
    await c.waitNotification(owner.access, (x) => x.type === 'ad_expiring' && x.data.expires_at !== expiresAt && x.id > one.notification.id);
    await sleep(1000);
    assert.equal(await storedCount(db, owner.user.id, 'ad_expiring'), 3);
  });

  it('ad_moderated is stored and pushed to the owner', async () => {
    const admin = await c.newUser({}, 'modadmin');
    await promote(c, db, admin);
    const owner = await c.newUser({}, 'modowner');
    const ad = await c.newAd(owner.access, adBody({ title: 'Tractor para moderar' }));
    const ws = await WsClient.connect(srv.port, { token: owner.access });
    await ws.next('hello');
    await c.moderateOk(admin.access, ad.id, { action: 'pause', note: 'Fotos engañosas' });
    const frame = await ws.next('notification', { where: (f) => f.notification.type === 'ad_moderated' });
    assertNotification(frame.notification);
    assert.deepEqual(frame.notification.data, { ad_id: ad.id, title: 'Tractor para moderar', action: 'pause', note: 'Fotos engañosas' });
    const listed = (await c.allNotifications(owner.access)).find((n) => n.type === 'ad_moderated');
    assert.deepEqual(listed, frame.notification);
    ws.destroy();
  });
});
