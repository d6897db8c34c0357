// Three instances on one PostgreSQL and one Redis (issue 12 "Jobs that run
// once, however many instances there are" and "Live delivery"): a saved
// search made on instance 1 and an ad published on instance 2 reach the
// owner's socket on instance 1; every job's effect happens once (one
// notification per event, one push per notification, one run per period);
// and when the instance holding a job is killed, another takes the job over
// within one period.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { expectJson, uniqueWord } from '../lib/catalog.mjs';
import { EXPIRY_MS, MATCHER_MS, NotifyClient, leases, setExpiry, startNotifyServer, storedCount } from '../lib/notifications.mjs';
import { freshDatabase, value } from '../lib/pg.mjs';
import { startRedis } from '../lib/redis.mjs';
import { assertCleanExit, json, request, sleep } from '../lib/server.mjs';
import { WsClient } from '../lib/ws.mjs';

/** A WebSocket of `token` on server s, once its user's channel is
 *  subscribed (pushes from other instances reach it). */
async function listen(s, token) {
  const ws = await WsClient.connect(s.port, { token });
  await ws.next('hello');
  for (let i = 0; ; i++) {
    const stores = json(await request(s.port, { path: '/api/_test/stores' }));
    if (stores.redis.pubsub) return ws;
    assert.ok(i < 100, 'subscribed within 5 s');
    await sleep(50);
  }
}

const JOBS = ['ad_reminders', 'ads_expire', 'price_drops', 'saved_search_matcher', 'suggest_refresh'];
const PERIOD = { ad_reminders: EXPIRY_MS, ads_expire: EXPIRY_MS, price_drops: MATCHER_MS, saved_search_matcher: MATCHER_MS };

describe('three instances, one PostgreSQL, one Redis', () => {
  let db;
  let redis;
  const servers = [];
  const clients = [];
  let seller;
  const killed = new Set();

  before(async () => {
    db = await freshDatabase('notify_instances');
    redis = await startRedis();
    const opts = { store: 'db', databaseUrl: db, redisUrl: redis.url, extra: { CACHE_TYPE: 'redis', REDIS_ENABLED: 'true' } };
    servers.push(...(await Promise.all([startNotifyServer(opts), startNotifyServer(opts), startNotifyServer(opts)])));
    for (const s of servers) {
      clients.push(new NotifyClient(s.port));
      for (let i = 0; ; i++) {
        const stores = json(await request(s.port, { path: '/api/_test/stores' }));
        if (stores.redis.state === 'up') break;
        assert.ok(i < 100, 'redis up within 5 s');
        await sleep(50);
      }
    }
    seller = await clients[1].newUser({}, 'instseller');
  });

  after(async () => {
    const results = await Promise.all(servers.map((s) => s.stop()));
    await redis?.stop();
    results.forEach((r, i) => {
      if (!killed.has(i)) assertCleanExit(r);
    });
  });

  it('saved search on instance 1, ad published on instance 2: the socket on instance 1 gets the notification', async () => {
    const [c1, c2] = clients;
    const buyer = await c1.newUser({}, 'instbuyer');
    const word = uniqueWord('inst');
    const s = await c1.saveOk(buyer.access, 'de otra instancia', { q: word, category: 'tractores' });
    const ws = await listen(servers[0], buyer.access);
    const ad = await c2.newAd(seller.access, { title: `Tractor ${word}` });
    const frame = await ws.next('notification', { timeoutMs: 8000 });
    assert.equal(frame.notification.type, 'saved_search_match');
    assert.equal(frame.notification.data.saved_search_id, s.id);
    assert.deepEqual(frame.notification.data.ads.map((a) => a.id), [ad.id]);
    ws.destroy();
  });

  it('each job\'s effect happens once: one notification per event, one push each, one run per period', async () => {
    const word = uniqueWord('once');
    const buyers = [];
    for (let i = 0; i < 3; i++) buyers.push(await clients[i].newUser({}, `oncebuyer${i}`));
    const saved = [];
    for (const [i, b] of buyers.entries()) saved.push(await clients[i].saveOk(b.access, `once ${i}`, { q: word }));
    // Each buyer listens on a different instance.
    const sockets = [];
    for (const [i, b] of buyers.entries()) {
      sockets.push(await listen(servers[i], b.access));
    }
    // The runs are counted between these two reads of the leases, so the
    // window they bound is from before the first to after the second.
    const t0 = Date.now();
    const before0 = await leases(db);
    // Ads published through every instance; a price drop; an expiry.
    const ads = [];
    for (let i = 0; i < 6; i++) ads.push(await clients[i % 3].newAd(seller.access, { title: `Tractor ${word} ${i}`, price: 30000 }));
    for (const b of buyers) assert.equal((await clients[0].favorite(b.access, ads[0].id)).status, 204);
    await clients[2].patchOk(seller.access, ads[0].id, { price: 25000 });
    await setExpiry(db, ads[5].id, '6 days 12 hours');
    await sleep(EXPIRY_MS * 3);
    await setExpiry(db, ads[5].id, '-1 minute');
    // Several periods of every job.
    await sleep(Math.max(MATCHER_MS, EXPIRY_MS) * 5);
    for (const [i, b] of buyers.entries()) {
      const uid = b.user.id;
      assert.equal(await storedCount(db, uid, 'saved_search_match'), 1, `buyer ${i}: one saved_search_match`);
      const n = (await clients[i].allNotifications(b.access)).find((x) => x.type === 'saved_search_match');
      assert.equal(n.data.count, 6, `buyer ${i}: count 6`);
      assert.equal(n.data.saved_search_id, saved[i].id);
      assert.equal(await storedCount(db, uid, 'price_drop'), 1, `buyer ${i}: one price_drop`);
      // Pushes: every frame of a notification is of its one id, and the
      // price drop came once.
      const frames = sockets[i].messages.filter((m) => m.type === 'notification');
      const drops = frames.filter((f) => f.notification.type === 'price_drop');
      assert.equal(drops.length, 1, `buyer ${i}: one price_drop frame`);
      const matchIds = new Set(frames.filter((f) => f.notification.type === 'saved_search_match').map((f) => f.notification.id));
      assert.deepEqual([...matchIds], [n.id]);
      const counts = frames.filter((f) => f.notification.type === 'saved_search_match').map((f) => f.notification.data.count);
      assert.deepEqual(counts, [...counts].sort((a, b2) => a - b2), 'counts only grow');
      assert.equal(new Set(counts).size, counts.length, `buyer ${i}: no frame pushed twice (${counts})`);
    }
    assert.equal(await storedCount(db, seller.user.id, 'ad_expiring'), 1);
    assert.equal(await storedCount(db, seller.user.id, 'ad_expired'), 1);
    assert.equal(await value(db, `SELECT status FROM ads WHERE id = ${ads[5].id}`), 'expired');
    for (const ws of sockets) ws.destroy();
    // One run per period across the three instances, one holder each.
    const after0 = await leases(db);
    const elapsed = Date.now() - t0;
    for (const [job, period] of Object.entries(PERIOD)) {
      const runs = after0[job].runs - before0[job].runs;
      const most = Math.ceil(elapsed / period) + 1;
      assert.ok(runs >= 1 && runs <= most, `${job}: ${runs} runs in ${elapsed} ms (period ${period}, at most ${most})`);
      assert.ok(servers.some((s) => s.pid === after0[job].pid), `${job} held by one of the instances`);
    }
    assert.deepEqual(Object.keys(after0).sort(), JOBS);
  });

  it('killing the instance holding a job: another takes it over within one period', async () => {
    const held = await leases(db);
    const victim = servers.findIndex((s) => s.pid === held.saved_search_matcher.pid);
    assert.ok(victim >= 0, 'the matcher is held by one of the instances');
    const jobsOfVictim = Object.keys(PERIOD).filter((j) => held[j].pid === servers[victim].pid);
    const survivor = clients[(victim + 1) % 3];
    const buyer = await survivor.newUser({}, 'takeover');
    const word = uniqueWord('takeover');
    await survivor.saveOk(buyer.access, 'tras la caída', { q: word });

    const tKill = Date.now();
    killed.add(victim);
    servers[victim].signal('SIGKILL');
    // Each of its jobs has another holder within one period.
    const takenAt = {};
    for (let i = 0; Object.keys(takenAt).length < jobsOfVictim.length; i++) {
      assert.ok(i < 400, `jobs taken over: ${JSON.stringify(takenAt)} of ${jobsOfVictim}`);
      const now = await leases(db);
      for (const j of jobsOfVictim) {
        if (takenAt[j] === undefined && now[j].pid !== servers[victim].pid && now[j].live) takenAt[j] = Date.now() - tKill;
      }
      await sleep(10);
    }
    for (const j of jobsOfVictim) {
      // Polling through psql adds a few tens of ms to what is measured.
      assert.ok(takenAt[j] <= PERIOD[j] + 150, `${j} taken over after ${takenAt[j]} ms (period ${PERIOD[j]} ms)`);
    }
    // The matcher works again: an ad published now is notified.
    const ad = await survivor.newAd(seller.access, { title: `Tractor ${word}` });
    const n = await survivor.waitNotification(buyer.access, (x) => x.type === 'saved_search_match', { timeoutMs: 5000 });
    assert.deepEqual(n.data.ads.map((a) => a.id), [ad.id]);
    const now = await leases(db);
    for (const j of Object.keys(PERIOD)) assert.notEqual(now[j].pid, servers[victim].pid, `${j} no longer held by the dead instance`);
    await servers[victim].stop();
  });

  it('a clean shutdown lets the leases lapse at once', async () => {
    const alive = servers.map((s, i) => i).filter((i) => !killed.has(i));
    const held = await leases(db);
    const holder = alive.find((i) => Object.values(held).some((l) => l.pid === servers[i].pid));
    if (holder === undefined) return; // every job is on the other one already
    const r = await servers[holder].stop();
    assertCleanExit(r);
    killed.add(holder); // stopped (cleanly checked here)
    const now = await leases(db);
    for (const [job, l] of Object.entries(now)) {
      if (l.pid === servers[holder].pid) assert.equal(l.live, false, `${job}: lease released at shutdown`);
    }
    const other = alive.find((i) => i !== holder);
    assert.ok(expectJson(await clients[other].categories(), 200));
  });
});
