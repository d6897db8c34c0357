// The admins' side of moderation (API.md "Moderation"; issue 10): the queue
// GET /api/admin/reports (grouping by ad, most reported first, keyset
// pagination, status=open|resolved, the bound on reports listed per ad, every
// error), POST /api/admin/ads/{id}/moderate (every error; dismiss, pause and
// delete with their effects on the ad and its reports), and what they leave
// in PostgreSQL: the audit rows of every admin action (moderation, feature,
// an admin's PATCH and DELETE of someone else's ad, the exchange rate) and
// the owner's ad_moderated notification.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { assertDetail, expectError, expectFields, expectJson, promote, startCatalogServer, uniqueWord } from '../lib/catalog.mjs';
import { ModerationClient, assertQueueItem, auditRows, notificationRows } from '../lib/moderation.mjs';
import { freshDatabase, psql, rows, value } from '../lib/pg.mjs';
import { assertCleanExit } from '../lib/server.mjs';

let db;
let srv;
let c;
let seller;
let seller2;
let admin;
let plain;
const reporters = [];

before(async () => {
  db = await freshDatabase('moderation_admin');
  srv = await startCatalogServer({ store: 'db', databaseUrl: db });
  c = new ModerationClient(srv.port);
  seller = await c.newUser({ name: 'Vendedora Moderada' }, 'modseller');
  seller2 = await c.newUser({ name: 'Segundo Vendedor' }, 'modseller2');
  plain = await c.newUser({ name: 'Usuario Común' }, 'modplain');
  admin = await c.newUser({ name: 'Admin Moderador' }, 'modadmin');
  await promote(c, db, admin);
  for (let i = 0; i < 4; i++) reporters.push(await c.newUser({ name: `Denunciante ${i}` }, `modrep${i}`));
});

after(async () => {
  if (srv) assertCleanExit(await srv.stop());
});

/** n reports on ad by reporters[0..n) (n <= 3, or more users than that). */
async function reportBy(ad, users, reasons = ['spam']) {
  const out = [];
  for (const [i, u] of users.entries()) out.push(await c.reportOk(u.access, ad.id, { reason: reasons[i % reasons.length], details: `detalle ${i}` }));
  return out;
}

// These run in order on one database: the queue holds exactly what earlier
// steps left in it.
describe('the queue and the decisions', () => {
  let a3; // three reports (under review)
  let b2; // two reports
  let c1; // one report
  let d2; // two reports, newer than b2
  const reportsOf = {};

  it('GET /api/admin/reports: 401 anonymous, 403 for a non-admin, 400 for a bad status', async () => {
    expectError(await c.queue(undefined), 401, 'unauthorized');
    expectError(await c.queue('garbage'), 401, 'unauthorized');
    expectError(await c.queue(plain.access), 403, 'forbidden');
    expectError(await c.queue(seller.access, { status: 'resolved' }), 403, 'forbidden');
    for (const status of ['closed', 'OPEN', '', 'dismissed', 'open,resolved']) {
      const body = expectError(await c.queue(admin.access, { status }), 400, 'invalid_parameter', `status=${status}`);
      assert.deepEqual(body.error.fields, { status: 'invalid' });
    }
    assert.deepEqual(expectJson(await c.queue(admin.access), 200), { items: [], next_cursor: null }, 'empty at first');
  });

  it('reports grouped by ad, the most reported first (ties: the newest ad first), reports newest first', async () => {
    a3 = await c.newAd(seller.access, { title: 'Campo en venta con papeles raros' });
    b2 = await c.newAd(seller.access, { title: 'Vaquillonas Angus preñadas' });
    c1 = await c.newAd(seller2.access, { title: 'Rollos de alfalfa primera' });
    d2 = await c.newAd(seller2.access, { title: 'Camioneta Hilux 4x4 2019' });
    reportsOf[a3.id] = await reportBy(a3, reporters.slice(0, 3), ['fraud', 'spam', 'other']);
    reportsOf[b2.id] = await reportBy(b2, reporters.slice(0, 2), ['offensive']);
    reportsOf[c1.id] = await reportBy(c1, reporters.slice(2, 3), ['wrong_category']);
    reportsOf[d2.id] = await reportBy(d2, reporters.slice(1, 3), ['spam']);

    const res = await c.queue(admin.access, { status: 'open' });
    const body = expectJson(res, 200);
    assert.match(res.headers['cache-control'] ?? '', /no-store/);
    assert.deepEqual(Object.keys(body).sort(), ['items', 'next_cursor']);
    assert.equal(body.next_cursor, null);
    for (const item of body.items) assertQueueItem(item);
    assert.deepEqual(body.items.map((i) => i.ad.id), [a3.id, d2.id, b2.id, c1.id]);
    assert.deepEqual(body.items.map((i) => i.report_count), [3, 2, 2, 1]);
    const first = body.items[0];
    assert.equal(first.ad.title, a3.title);
    assert.equal(first.ad.status, 'active');
    assert.equal(first.ad.under_review, true, 'three reporters hid it');
    assert.equal(body.items[1].ad.under_review, false);
    // Newest report first, with the reporter's id and name, reason and details.
    const want = [...reportsOf[a3.id]].reverse();
    assert.deepEqual(first.reports.map((r) => r.id), want.map((r) => r.id));
    assert.deepEqual(first.reports[0].reporter, { id: reporters[2].user.id, name: 'Denunciante 2' });
    assert.equal(first.reports[0].reason, 'other');
    assert.equal(first.reports[0].details, 'detalle 2');
    assert.equal(first.reports[2].created_at, reportsOf[a3.id][0].created_at);
    // No status means open.
    assert.deepEqual(expectJson(await c.queue(admin.access), 200), body);
    // Nothing resolved yet.
    assert.deepEqual(expectJson(await c.queue(admin.access, { status: 'resolved' }), 200), { items: [], next_cursor: null });
  });

  it('keyset pages (limit, signed cursor bound to the status); bad limit and cursor are 400', async () => {
    const ids = [];
    let cursor;
    const cursors = [];
    for (let n = 0; n < 10; n++) {
      const page = expectJson(await c.queue(admin.access, { limit: 1, cursor }), 200, `page ${n + 1}`);
      assert.ok(page.items.length <= 1);
      ids.push(...page.items.map((i) => i.ad.id));
      if (page.next_cursor === null) break;
      cursors.push(page.next_cursor);
      cursor = page.next_cursor;
    }
    assert.deepEqual(ids, [a3.id, d2.id, b2.id, c1.id], 'one ad per page, in order, each once');
    const two = await c.queueAll(admin.access, { limit: 2 });
    assert.deepEqual(two.map((i) => i.ad.id), ids);
    for (const limit of ['0', '51', 'x', '-2']) {
      expectError(await c.queue(admin.access, { limit }), 400, 'invalid_parameter', `limit=${limit}`);
    }
    expectError(await c.queue(admin.access, { cursor: 'nope' }), 400, 'invalid_cursor');
    expectError(await c.queue(admin.access, { cursor: `${cursors[0].slice(0, -1)}A` }), 400, 'invalid_cursor', 'tampered');
    expectError(await c.queue(admin.access, { status: 'resolved', cursor: cursors[0] }), 400, 'invalid_cursor', "an open queue's cursor on the resolved queue");
    // A search cursor is not a queue cursor.
    const search = expectJson(await c.search({ limit: 1 }), 200);
    expectError(await c.queue(admin.access, { cursor: search.next_cursor }), 400, 'invalid_cursor', 'a search cursor');
  });

  it('lists at most 20 reports per ad (the newest), with the full count', async () => {
    const ad = await c.newAd(seller2.access, { title: 'Aviso con muchas denuncias' });
    // 25 reporters straight into the database (through the API the third
    // report hides the ad and the fourth cannot see it).
    await psql(db, `
      WITH u AS (INSERT INTO users (email, password_hash, name)
                 SELECT 'masivo' || g || '@example.com', 'x', 'Masivo ' || g FROM generate_series(1, 25) g
                 RETURNING id, name)
      INSERT INTO reports (ad_id, reporter_id, reason, details, created_at)
      SELECT ${ad.id}, u.id, 'spam', u.name, now() - (30 - row_number() OVER (ORDER BY u.id)) * interval '1 minute' FROM u`);
    const items = await c.queueAll(admin.access);
    const item = items.find((i) => i.ad.id === ad.id);
    assertQueueItem(item);
    assert.equal(item.report_count, 25);
    assert.equal(item.reports.length, 20, 'bounded');
    assert.equal(item.reports[0].details, 'Masivo 25', 'the newest first');
    assert.equal(items[0].ad.id, ad.id, 'the most reported first');
    await psql(db, `DELETE FROM reports WHERE ad_id = ${ad.id}`);
  });

  it('POST /api/admin/ads/{id}/moderate: 401, 403, 404, 415, 413, 400 for every bad body', async () => {
    expectError(await c.moderate(undefined, b2.id, { action: 'dismiss' }), 401, 'unauthorized');
    expectError(await c.moderate(plain.access, b2.id, { action: 'dismiss' }), 403, 'forbidden');
    expectError(await c.moderate(seller.access, b2.id, { action: 'dismiss' }), 403, 'forbidden', 'the owner is no admin');
    for (const id of ['0', 'x', '99999999999', '9223372036854775808']) {
      expectError(await c.moderate(admin.access, id, { action: 'dismiss' }), 404, 'not_found', `id ${id}`);
    }
    const gone = await c.newAd(seller.access);
    assert.equal((await c.deleteAd(seller.access, gone.id)).status, 204);
    expectError(await c.moderate(admin.access, gone.id, { action: 'pause' }), 404, 'not_found', 'a deleted ad');
    expectError(await c.moderate(admin.access, b2.id, undefined, { raw: '{"action":"dismiss"}', contentType: 'text/plain' }), 415, 'unsupported_media_type');
    expectError(await c.moderate(admin.access, b2.id, { action: 'dismiss', note: 'x'.repeat(70 * 1024) }), 413, 'payload_too_large');
    for (const raw of ['', '{', '[1]', '"dismiss"']) {
      expectError(await c.moderate(admin.access, b2.id, undefined, { raw, contentType: 'application/json' }), 400, 'invalid_json', `body ${JSON.stringify(raw)}`);
    }
    const cases = [
      ['action missing', {}, { action: 'required' }],
      ['action unknown', { action: 'ban' }, { action: 'invalid' }],
      ['action a number', { action: 1 }, { action: 'type' }],
      ['note a number', { action: 'dismiss', note: 5 }, { note: 'type' }],
      ['note of 2001 characters', { action: 'dismiss', note: 'n'.repeat(2001) }, { note: 'max_length' }],
      ['an unknown member', { action: 'dismiss', reason: 'x' }, { reason: 'unknown' }],
    ];
    for (const [label, body, fields] of cases) expectFields(await c.moderate(admin.access, b2.id, body), fields, { what: label });
    assert.equal(await value(db, `SELECT count(*) FROM reports WHERE ad_id = ${b2.id} AND status = 'open'`), '2', 'nothing resolved');
    assert.equal(await value(db, 'SELECT count(*) FROM admin_actions'), '0', 'nothing audited');
  });

  it('dismiss: every open report dismissed, under_review cleared, the ad back in public; audit row and notification stored', async () => {
    const word = uniqueWord('desestimar');
    await c.patchOk(seller.access, a3.id, { title: `Campo en venta ${word}` });
    expectError(await c.ad(a3.id), 404, 'not_found', 'hidden before the decision');
    const t0 = Date.now();
    const res = await c.moderate(admin.access, a3.id, { action: 'dismiss', note: 'Revisado: los papeles están en regla.' });
    const body = expectJson(res, 200);
    assert.deepEqual(body, { ad_id: a3.id, action: 'dismiss', resolved_reports: 3 });
    // The ad is public again at once.
    const d = expectJson(await c.ad(a3.id), 200);
    assertDetail(d);
    assert.ok(expectJson(await c.search({ q: word }), 200).items.some((i) => i.id === a3.id), 'back in search');
    assert.equal(expectJson(await c.ad(a3.id, seller.access), 200).under_review, false);
    // Its reports: dismissed, by whom, when.
    const reps = await rows(db, `SELECT status, resolved_by, resolved_at IS NOT NULL FROM reports WHERE ad_id = ${a3.id}`);
    assert.deepEqual(reps, Array(3).fill(['dismissed', String(admin.user.id), 't']));
    // The audit row.
    const audit = await auditRows(db, `ad_id = ${a3.id}`);
    assert.equal(audit.length, 1);
    assert.equal(audit[0].admin_id, admin.user.id);
    assert.equal(audit[0].action, 'dismiss');
    assert.equal(audit[0].note, 'Revisado: los papeles están en regla.');
    assert.equal(audit[0].detail.resolved_reports, 3);
    assert.equal(audit[0].detail.owner_id, seller.user.id);
    assert.ok(Math.abs(Date.parse(audit[0].created_at) - t0) < 60000);
    // The owner's notification, as issue 12 will list it.
    const notes = await notificationRows(db, seller.user.id);
    assert.equal(notes.length, 1);
    assert.equal(notes[0].type, 'ad_moderated');
    assert.deepEqual(notes[0].data, { ad_id: a3.id, title: `Campo en venta ${word}`, action: 'dismiss', note: 'Revisado: los papeles están en regla.' });
    assert.equal(notes[0].read_at, null);
    assert.equal(notes[0].event_key, `ad_moderated:${audit[0].id}`);
    // The queues: a3 left the open one and is the resolved one's only ad.
    assert.deepEqual((await c.queueAll(admin.access)).map((i) => i.ad.id), [d2.id, b2.id, c1.id]);
    const resolved = await c.queueAll(admin.access, { status: 'resolved' });
    assert.deepEqual(resolved.map((i) => i.ad.id), [a3.id]);
    assert.equal(resolved[0].ad.under_review, false);
    assert.equal(resolved[0].report_count, 3);
    // The same users may report it again: a new round.
    await c.reportOk(reporters[0].access, a3.id, { reason: 'spam' });
    assert.deepEqual((await c.queueAll(admin.access)).map((i) => [i.ad.id, i.report_count]), [[d2.id, 2], [b2.id, 2], [c1.id, 1], [a3.id, 1]], "ties: the newer ad first");
  });

  it('pause: reports actioned, the ad paused (owner sees it, others 404); a null note', async () => {
    const res = expectJson(await c.moderate(admin.access, d2.id, { action: 'pause', note: null }), 200);
    assert.deepEqual(res, { ad_id: d2.id, action: 'pause', resolved_reports: 2 });
    expectError(await c.ad(d2.id), 404, 'not_found', 'others');
    const own = expectJson(await c.ad(d2.id, seller2.access), 200);
    assert.equal(own.status, 'paused');
    assert.equal(own.under_review, false);
    assert.deepEqual(await rows(db, `SELECT DISTINCT status FROM reports WHERE ad_id = ${d2.id}`), [['actioned']]);
    const audit = await auditRows(db, `ad_id = ${d2.id}`);
    assert.deepEqual(audit.map((a) => [a.action, a.note, a.detail.previous_status]), [['pause', null, 'active']]);
    const notes = await notificationRows(db, seller2.user.id);
    assert.deepEqual(notes.map((n) => n.data), [{ ad_id: d2.id, title: d2.title, action: 'pause', note: null }]);
  });

  it('delete: reports actioned, the ad deleted (404 for its owner too); the open queue leaves out ads their owners deleted', async () => {
    const res = expectJson(await c.moderate(admin.access, b2.id, { action: 'delete', note: 'Publicación engañosa.' }), 200);
    assert.deepEqual(res, { ad_id: b2.id, action: 'delete', resolved_reports: 2 });
    expectError(await c.ad(b2.id, seller.access), 404, 'not_found', 'owner');
    assert.equal(await value(db, `SELECT status FROM ads WHERE id = ${b2.id}`), 'deleted');
    expectError(await c.moderate(admin.access, b2.id, { action: 'dismiss' }), 404, 'not_found', 'deleted now');
    assert.deepEqual(await rows(db, `SELECT DISTINCT status FROM reports WHERE ad_id = ${b2.id}`), [['actioned']]);
    const notes = await notificationRows(db, seller.user.id);
    assert.deepEqual(notes.at(-1).data, { ad_id: b2.id, title: b2.title, action: 'delete', note: 'Publicación engañosa.' });
    // The resolved queue keeps the history, deleted ads included.
    const resolved = await c.queueAll(admin.access, { status: 'resolved' });
    assert.deepEqual(resolved.map((i) => [i.ad.id, i.ad.status, i.report_count]), [[a3.id, 'active', 3], [d2.id, 'paused', 2], [b2.id, 'deleted', 2]]);
    // An owner's own delete takes an ad with open reports out of the open queue.
    assert.equal((await c.deleteAd(seller2.access, c1.id)).status, 204);
    assert.deepEqual((await c.queueAll(admin.access)).map((i) => i.ad.id), [a3.id]);
  });

  it('moderating an ad without reports resolves none and still acts', async () => {
    const ad = await c.newAd(seller2.access);
    assert.deepEqual(await c.moderateOk(admin.access, ad.id, { action: 'pause' }), { ad_id: ad.id, action: 'pause', resolved_reports: 0 });
    assert.equal(await value(db, `SELECT status FROM ads WHERE id = ${ad.id}`), 'paused');
    assert.equal((await auditRows(db, `ad_id = ${ad.id}`)).length, 1);
  });
});

describe('the audit of the other admin actions', () => {
  it('feature, an admin\'s PATCH and DELETE of someone else\'s ad, and the exchange rate are recorded; owners\' own writes are not', async () => {
    const ad = await c.newAd(seller.access);
    expectJson(await c.feature(admin.access, ad.id, { days: 7 }), 200);
    await c.patchOk(admin.access, ad.id, { title: 'Título corregido por el admin', price: 1000 });
    await c.patchOk(seller.access, ad.id, { title: 'Título del dueño otra vez' });
    const before = await value(db, 'SELECT count(*) FROM admin_actions');
    expectJson(await c.putRate(admin.access, { usd_ars: 1100 }), 200);
    assert.equal((await c.deleteAd(admin.access, ad.id)).status, 204);
    const audit = await auditRows(db, `ad_id = ${ad.id}`);
    assert.deepEqual(audit.map((a) => a.action), ['feature', 'ad_update', 'ad_delete']);
    for (const a of audit) assert.equal(a.admin_id, admin.user.id);
    assert.equal(audit[0].detail.days, 7);
    assert.deepEqual(audit[1].detail.changes, { title: 'Título corregido por el admin', price: 1000 });
    assert.equal(audit[2].detail.owner_id, seller.user.id);
    const rate = await auditRows(db, "action = 'exchange_rate'");
    assert.equal(rate.length, 1);
    assert.equal(Number(rate[0].detail.usd_ars), 1100);
    assert.equal(rate[0].ad_id, null);
    assert.equal(Number(await value(db, 'SELECT count(*) FROM admin_actions')), Number(before) + 2, 'the rate and the delete');
    // An admin's writes on their own ad are an owner's, not audited.
    const mine = await c.newAd(admin.access);
    await c.patchOk(admin.access, mine.id, { title: 'Aviso propio del admin' });
    assert.equal((await c.deleteAd(admin.access, mine.id)).status, 204);
    assert.equal((await auditRows(db, `ad_id = ${mine.id}`)).length, 0);
    // A refused write leaves no audit row.
    expectError(await c.feature(admin.access, 99999999999, { days: 3 }), 404, 'not_found');
    expectError(await c.feature(plain.access, mine.id, { days: 3 }), 403, 'forbidden');
    assert.equal((await auditRows(db, 'ad_id = 99999999999')).length, 0);
  });
});
