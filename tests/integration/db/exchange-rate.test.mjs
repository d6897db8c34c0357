// USD_ARS_RATE is the first exchange rate: written at start-up when the
// database has none, and never over a rate that exists (admins change it
// through the API; a restart must not undo that).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { eventually, freshDatabase, value } from '../lib/pg.mjs';
import { assertCleanExit, startServer } from '../lib/server.mjs';

describe('the first exchange rate', () => {
  it('comes from USD_ARS_RATE once, and a restart keeps the existing rate', async () => {
    const url = await freshDatabase('exchange_rate');
    assert.equal(await value(url, 'SELECT count(*) FROM exchange_rate'), '0');

    let server = await startServer({ env: { DATABASE_URL: url, USD_ARS_RATE: '1234.5' } });
    await eventually(async () => (await value(url, 'SELECT usd_ars::text FROM exchange_rate')) === '1234.5000', {
      what: 'the rate from USD_ARS_RATE',
    });
    assertCleanExit(await server.stop());

    server = await startServer({ env: { DATABASE_URL: url, USD_ARS_RATE: '999', LOG_LEVEL: 'debug' } });
    await server.waitForLog((l) => String(l.msg).startsWith('exchange rate already set'));
    assert.equal(await value(url, 'SELECT usd_ars::text FROM exchange_rate'), '1234.5000');
    assertCleanExit(await server.stop());
  });
});
