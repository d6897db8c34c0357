// Reports (API.md "Ads": POST /api/ads/{id}/report; "Moderation"; issue 10):
// every bad input and error code, one open report per user and ad (409, and
// the partial unique index that guarantees it), reporting one's own ad
// (403), and the auto-hide: at the REPORTS_AUTO_HIDE-th distinct reporter
// (3), never at a repeat by the same user, also when the reports arrive at
// once; a hidden ad leaves search, featured, its seller's public listing and
// count, favorites lists and the public detail at once, while its owner and
// admins still see it with "under_review": true.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { expectError, expectFields, expectJson, promote, startCatalogServer, uniqueWord, assertDetail } from '../lib/catalog.mjs';
import { ModerationClient, REASONS } from '../lib/moderation.mjs';
import { freshDatabase, psql, value } from '../lib/pg.mjs';
import { assertCleanExit } from '../lib/server.mjs';

let db;
let srv;
let c;
let seller;
let admin;
const reporters = [];

before(async () => {
  db = await freshDatabase('moderation_reports');
  srv = await startCatalogServer({ store: 'db', databaseUrl: db });
  c = new ModerationClient(srv.port);
  seller = await c.newUser({ name: 'Vendedor Denunciado' }, 'repseller');
  admin = await c.newUser({ name: 'Admin Denuncias' }, 'repadmin');
  await promote(c, db, admin);
  for (let i = 0; i < 5; i++) reporters.push(await c.newUser({ name: `Denunciante ${i}` }, `reporter${i}`));
});

after(async () => {
  if (srv) assertCleanExit(await srv.stop());
});

describe('POST /api/ads/{id}/report', () => {
  it('201 with the report {id, ad_id, reason, details, created_at}, stored open', async () => {
    const ad = await c.newAd(seller.access);
    const res = await c.report(reporters[0].access, ad.id, { reason: 'fraud', details: '  Pide una seña por adelantado.  ' });
    const r = expectJson(res, 201);
    assert.deepEqual(Object.keys(r).sort(), ['ad_id', 'created_at', 'details', 'id', 'reason']);
    assert.equal(r.ad_id, ad.id);
    assert.equal(r.reason, 'fraud');
    assert.equal(r.details, '  Pide una seña por adelantado.  ', 'details are kept as written');
    const row = await psql(db, `SELECT ad_id, reporter_id, reason, status, resolved_at IS NULL FROM reports WHERE id = ${r.id}`);
    assert.equal(row, `${ad.id}|${reporters[0].user.id}|fraud|open|t`);
    // Every reason (each on its own ad: three reports would hide one);
    // details optional and nullable.
    for (const [i, reason] of REASONS.entries()) {
      const other = await c.newAd(seller.access);
      await c.reportOk(reporters[1].access, other.id, i % 2 ? { reason, details: null } : { reason });
    }
    // Details of exactly 2000 characters (code points) are accepted.
    const u = await c.newUser({}, 'details2000');
    await c.reportOk(u.access, ad.id, { reason: 'other', details: '\u{1F69C}'.repeat(2000) });
  });

  it('401 without a valid token', async () => {
    const ad = await c.newAd(seller.access);
    for (const token of [undefined, 'garbage', `${reporters[0].access}x`]) {
      expectError(await c.report(token, ad.id, { reason: 'spam' }), 401, 'unauthorized', `token ${token}`);
    }
    assert.equal(await value(db, `SELECT count(*) FROM reports WHERE ad_id = ${ad.id}`), '0');
  });

  it('400 validation_failed naming each bad field', async () => {
    const ad = await c.newAd(seller.access);
    const u = reporters[1].access;
    const cases = [
      ['reason missing', {}, { reason: 'required' }],
      ['reason null', { reason: null }, { reason: 'required' }],
      ['reason a number', { reason: 3 }, { reason: 'type' }],
      ['reason unknown', { reason: 'scam' }, { reason: 'invalid' }],
      ['reason in capitals', { reason: 'SPAM' }, { reason: 'invalid' }],
      ['details a number', { reason: 'spam', details: 5 }, { details: 'type' }],
      ['details an object', { reason: 'spam', details: {} }, { details: 'type' }],
      ['details of 2001 characters', { reason: 'spam', details: 'x'.repeat(2001) }, { details: 'max_length' }],
      ['an unknown member', { reason: 'spam', evidence: 'x' }, { evidence: 'unknown' }],
      ['every field bad', { reason: 1, details: [], extra: true }, { reason: 'type', details: 'type', extra: 'unknown' }],
    ];
    for (const [label, body, fields] of cases) expectFields(await c.report(u, ad.id, body), fields, { what: label });
    // Strings with NUL or invalid UTF-8.
    expectError(await c.report(u, ad.id, undefined, { raw: '{"reason":"spam","details":"a\\u0000b"}', contentType: 'application/json' }), 400, 'validation_failed', 'NUL');
    expectError(await c.report(u, ad.id, undefined, { raw: Buffer.from([0x7b, 0x22, 0x72, 0x65, 0x61, 0x73, 0x6f, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), contentType: 'application/json' }), 400, 'validation_failed', 'invalid UTF-8');
    assert.equal(await value(db, `SELECT count(*) FROM reports WHERE ad_id = ${ad.id}`), '0', 'nothing stored');
  });

  it('400 invalid_json, 415 without application/json, 413 over 64 KiB', async () => {
    const ad = await c.newAd(seller.access);
    const u = reporters[1].access;
    for (const raw of ['', '{', '[]', '"spam"', 'null', '{"reason":"spam","reason":"fraud"}']) {
      expectError(await c.report(u, ad.id, undefined, { raw, contentType: 'application/json' }), 400, 'invalid_json', `body ${JSON.stringify(raw)}`);
    }
    expectError(await c.report(u, ad.id, undefined, { raw: '{"reason":"spam"}', contentType: 'text/plain' }), 415, 'unsupported_media_type', 'text/plain');
    expectError(await c.report(u, ad.id, undefined, { raw: '{"reason":"spam"}' }), 415, 'unsupported_media_type', 'no Content-Type');
    expectError(await c.report(u, ad.id, { reason: 'spam', details: 'x'.repeat(70 * 1024) }), 413, 'payload_too_large', '70 KiB');
    assert.equal(await value(db, `SELECT count(*) FROM reports WHERE ad_id = ${ad.id}`), '0');
  });

  it('404 for a bad path id, an unknown ad, and an ad that is not public (paused, sold, expired, deleted)', async () => {
    const u = reporters[2].access;
    for (const id of ['0', 'abc', '9223372036854775808', '99999999999']) {
      expectError(await c.report(u, id, { reason: 'spam' }), 404, 'not_found', `id ${id}`);
    }
    const paused = await c.newAd(seller.access);
    await c.patchOk(seller.access, paused.id, { status: 'paused' });
    const sold = await c.newAd(seller.access);
    await c.patchOk(seller.access, sold.id, { status: 'sold' });
    const expired = await c.newAd(seller.access);
    await psql(db, `UPDATE ads SET expires_at = now() - interval '1 minute' WHERE id = ${expired.id}`);
    const deleted = await c.newAd(seller.access);
    assert.equal((await c.deleteAd(seller.access, deleted.id)).status, 204);
    for (const ad of [paused, sold, expired, deleted]) {
      expectError(await c.report(u, ad.id, { reason: 'spam' }), 404, 'not_found', `ad ${ad.id}`);
      expectError(await c.report(admin.access, ad.id, { reason: 'spam' }), 404, 'not_found', `admin, ad ${ad.id}`);
    }
    assert.equal(await value(db, `SELECT count(*) FROM reports WHERE ad_id IN (${paused.id}, ${sold.id}, ${expired.id}, ${deleted.id})`), '0');
  });

  it('403 for one\'s own ad', async () => {
    const ad = await c.newAd(seller.access);
    expectError(await c.report(seller.access, ad.id, { reason: 'spam' }), 403, 'forbidden', 'own ad');
    assert.equal(await value(db, `SELECT count(*) FROM reports WHERE ad_id = ${ad.id}`), '0');
  });

  it('one open report per user and ad: a repeat is 409 conflict (any reason), others may report', async () => {
    const ad = await c.newAd(seller.access);
    await c.reportOk(reporters[0].access, ad.id, { reason: 'spam' });
    expectError(await c.report(reporters[0].access, ad.id, { reason: 'spam' }), 409, 'conflict', 'repeat');
    expectError(await c.report(reporters[0].access, ad.id, { reason: 'fraud', details: 'otra vez' }), 409, 'conflict', 'repeat, other reason');
    await c.reportOk(reporters[1].access, ad.id, { reason: 'offensive' });
    assert.equal(await value(db, `SELECT count(*) FROM reports WHERE ad_id = ${ad.id}`), '2');
    // The database itself refuses a second open report (the partial unique index).
    const idx = await psql(db, "SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_reports_open_once'");
    assert.match(idx, /UNIQUE INDEX .* ON public\.reports .*\(ad_id, reporter_id\) WHERE \(status = 'open'::text\)/);
    await assert.rejects(
      psql(db, `INSERT INTO reports (ad_id, reporter_id, reason) VALUES (${ad.id}, ${reporters[0].user.id}, 'other')`),
      /idx_reports_open_once/,
    );
    // Once resolved, the same user may report again (a new round).
    await c.moderateOk(admin.access, ad.id, { action: 'dismiss' });
    await c.reportOk(reporters[0].access, ad.id, { reason: 'spam' });
  });
});

/** Where a hidden ad must not be, and the owner's and admin's view of it. */
async function whereIs(ad, word, token) {
  const search = expectJson(await c.search({ q: word }), 200).items.some((i) => i.id === ad.id);
  const featured = expectJson(await c.featured({ limit: 50 }), 200).items.some((i) => i.id === ad.id);
  const listing = expectJson(await c.userAds(seller.user.id, { limit: 50 }), 200).items.some((i) => i.id === ad.id);
  const favorites = expectJson(await c.favorites(token), 200).items.some((i) => i.id === ad.id);
  const detail = (await c.ad(ad.id)).status;
  return { search, featured, listing, favorites, detail };
}

const VISIBLE = { search: true, featured: true, listing: true, favorites: true, detail: 200 };
const HIDDEN = { search: false, featured: false, listing: false, favorites: false, detail: 404 };

describe('auto-hide at REPORTS_AUTO_HIDE (3) distinct reporters', () => {
  it('two reports hide nothing; the third distinct reporter hides the ad everywhere at once, in the same transaction', async () => {
    const word = uniqueWord('ocultar');
    const ad = await c.newAd(seller.access, { title: `Tractor ${word} sospechoso` });
    expectJson(await c.feature(admin.access, ad.id, { days: 3 }), 200);
    const fan = await c.newUser({}, 'fan');
    assert.equal((await c.favorite(fan.access, ad.id)).status, 204);
    const count = async () => expectJson(await c.userProfile(seller.user.id), 200).active_ads;
    const activeBefore = await count();
    // Fill every cache with the ad (twice: the second read is a hit).
    await whereIs(ad, word, fan.access);
    assert.deepEqual(await whereIs(ad, word, fan.access), VISIBLE);

    await c.reportOk(reporters[0].access, ad.id, { reason: 'fraud' });
    expectError(await c.report(reporters[0].access, ad.id, { reason: 'spam' }), 409, 'conflict', 'the same user again');
    await c.reportOk(reporters[1].access, ad.id, { reason: 'fraud' });
    assert.equal(await value(db, `SELECT under_review FROM ads WHERE id = ${ad.id}`), 'f', 'two distinct reporters');
    assert.deepEqual(await whereIs(ad, word, fan.access), VISIBLE);

    await c.reportOk(reporters[2].access, ad.id, { reason: 'spam' });
    assert.equal(await value(db, `SELECT under_review FROM ads WHERE id = ${ad.id}`), 't');
    assert.deepEqual(await whereIs(ad, word, fan.access), HIDDEN, 'right after the third 201');
    assert.equal(await count(), activeBefore - 1, 'active_ads no longer counts it');
    // A fourth user cannot see it, so cannot report it.
    expectError(await c.report(reporters[3].access, ad.id, { reason: 'spam' }), 404, 'not_found', 'fourth reporter');
    expectError(await c.favorite(reporters[3].access, ad.id), 404, 'not_found', 'favorite while under review');

    // Its owner and admins still see it, flagged; its status is unchanged.
    for (const [who, token] of [['owner', seller.access], ['admin', admin.access]]) {
      const d = expectJson(await c.ad(ad.id, token), 200, who);
      assertDetail(d, { privileged: true, what: who });
      assert.equal(d.under_review, true, `${who} sees under_review`);
      assert.equal(d.status, 'active', `${who}: status stays active`);
    }
    assert.ok(expectJson(await c.myAds(seller.access), 200).items.some((i) => i.id === ad.id), "in the owner's own list");
    // The owner may still edit it; it stays hidden.
    const patched = await c.patchOk(seller.access, ad.id, { title: `Tractor ${word} corregido` });
    assert.equal(patched.under_review, true);
    assert.deepEqual(await whereIs(ad, word, fan.access), HIDDEN, 'still hidden after the owner edits it');
  });

  it('the owner always gets under_review (false on a public ad); others never get the key', async () => {
    const ad = await c.newAd(seller.access);
    assert.equal(ad.under_review, false, 'the created detail tells the owner');
    for (let i = 0; i < 2; i++) {
      // The second read of each comes from the cache.
      assert.equal(expectJson(await c.ad(ad.id, seller.access), 200).under_review, false, `owner read ${i}`);
      assertDetail(expectJson(await c.ad(ad.id), 200), { what: `anonymous read ${i}` });
      assertDetail(expectJson(await c.ad(ad.id, reporters[4].access), 200), { what: `another user's read ${i}` });
    }
  });

  it('three reports at once from three users hide the ad (the count is read under the ad\'s lock)', async () => {
    for (let round = 0; round < 3; round++) {
      const ad = await c.newAd(seller.access);
      const users = await Promise.all([0, 1, 2, 3].map((i) => c.newUser({}, `race${round}${i}`)));
      // Four at once: three are needed, and whichever three commit first hide it.
      const results = await Promise.all(users.map((u) => c.report(u.access, ad.id, { reason: 'spam' })));
      const statuses = results.map((r) => r.status).sort();
      assert.ok(statuses.filter((s) => s === 201).length >= 3, `round ${round}: ${statuses}`);
      for (const s of statuses) assert.ok(s === 201 || s === 404, `round ${round}: ${statuses}`);
      assert.equal(await value(db, `SELECT under_review FROM ads WHERE id = ${ad.id}`), 't', `round ${round}`);
      expectError(await c.ad(ad.id), 404, 'not_found');
    }
  });
});

describe('REPORTS_AUTO_HIDE is read from the environment', () => {
  it('with REPORTS_AUTO_HIDE=1 the first report hides the ad', async (t) => {
    const one = await startCatalogServer({ store: 'db', databaseUrl: db, extra: { REPORTS_AUTO_HIDE: '1' } });
    t.after(async () => assertCleanExit(await one.stop()));
    const c1 = new ModerationClient(one.port);
    const ad = await c1.newAd(seller.access);
    expectJson(await c1.ad(ad.id), 200);
    await c1.reportOk(reporters[0].access, ad.id, { reason: 'offensive' });
    expectError(await c1.ad(ad.id), 404, 'not_found', 'hidden after one report');
  });
});
