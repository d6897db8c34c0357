// View counts survive a database outage (src/api/views.c): the views of an
// ad served from the detail cache while PostgreSQL refuses connections are
// kept by the flushes the pool refuses, and written once it is back — not
// dropped with the batch.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { CatalogClient, expectJson, startCatalogServer } from '../lib/catalog.mjs';
import { eventually, freshDatabase, psql, sharedUrl, value } from '../lib/pg.mjs';
import { assertCleanExit } from '../lib/server.mjs';

describe('view counts and a database outage', () => {
  let db;
  let srv;
  let c;
  const dbName = () => new URL(db).pathname.slice(1);

  before(async () => {
    db = await freshDatabase('views_outage');
    srv = await startCatalogServer({ store: 'db', databaseUrl: db });
    c = new CatalogClient(srv.port);
  });
  after(async () => {
    await psql(sharedUrl(), `ALTER DATABASE ${dbName()} ALLOW_CONNECTIONS true`).catch(() => {});
    if (srv) assertCleanExit(await srv.stop());
  });

  it('views counted while the database is down are written once it is back', async () => {
    const owner = await c.newUser({}, 'viewsoutage');
    const ad = await c.newAd(owner.access);
    expectJson(await c.ad(ad.id), 200, 'first view: the detail is cached');

    // Down: no new connection, the open ones cut (how an outage looks to the pool).
    await psql(sharedUrl(), `ALTER DATABASE ${dbName()} ALLOW_CONNECTIONS false`);
    await psql(sharedUrl(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${dbName()}'`);
    await eventually(async () => (await c.call('GET', '/api/ready')).status === 503, { what: '/api/ready 503' });
    for (let i = 0; i < 5; i++) expectJson(await c.ad(ad.id), 200, `view ${i + 2} from the cache`);
    // At least one flush meets the outage and keeps its counts.
    await srv.waitForLog((l) => l.msg === 'view counts not written; kept for the next flush', { timeoutMs: 10000 });

    await psql(sharedUrl(), `ALTER DATABASE ${dbName()} ALLOW_CONNECTIONS true`);
    await eventually(async () => (await c.call('GET', '/api/ready')).status === 200, { what: '/api/ready 200' });
    const stored = await eventually(async () => {
      const v = Number(await value(db, `SELECT views FROM ads WHERE id = ${ad.id}`));
      return v >= 6 ? v : false;
    }, { timeoutMs: 15000, intervalMs: 250, what: 'the six views stored' });
    assert.equal(stored, 6, 'every view, none twice');
  });
});
