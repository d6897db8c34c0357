// GET /metrics (issue 13, API.md "Health and operations"): the Prometheus
// text exposition 0.0.4, checked by a strict parser written here, and the
// counters moving as requests, 404s, rate-limit refusals, database queries
// and WebSocket connections happen; METRICS_TOKEN enforced; never rate
// limited.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { AuthClient } from '../lib/auth.mjs';
import { startCatalogServer } from '../lib/catalog.mjs';
import { freshDatabase } from '../lib/pg.mjs';
import { assertCleanExit, request } from '../lib/server.mjs';
import { WsClient } from '../lib/ws.mjs';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Parses the text format strictly; returns Map(series key → value) and the
 *  families. Throws on anything the format does not allow. */
export function parseExposition(text) {
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  const families = new Map(); // name → {type, help}
  const series = new Map();
  let current = null;
  for (const [i, line] of text.split('\n').slice(0, -1).entries()) {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    if (line.startsWith('# HELP ')) {
      const [, name] = /^# HELP (\S+) (.+)$/.exec(line) ?? assert.fail(`bad HELP, ${where}`);
      assert.match(name, METRIC_NAME, where);
      assert.ok(!families.has(name), `family ${name} declared twice`);
      families.set(name, { help: true });
      current = name;
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [, name, type] = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line) ?? assert.fail(`bad TYPE, ${where}`);
      assert.equal(name, current, `TYPE follows its HELP, ${where}`);
      families.get(name).type = type;
      continue;
    }
    assert.ok(!line.startsWith('#'), `no other comments, ${where}`);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line) ?? assert.fail(`bad sample, ${where}`);
    const [, name, , labelText, valueText] = m;
    const fam = families.get(current);
    assert.ok(fam && fam.type, `a sample under a declared family, ${where}`);
    if (fam.type === 'histogram') assert.ok([`${current}_bucket`, `${current}_sum`, `${current}_count`].includes(name), `histogram sample name, ${where}`);
    else assert.equal(name, current, `sample of its family, ${where}`);
    if (fam.type === 'counter') assert.ok(current.endsWith('_total'), `counters end in _total: ${current}`);
    const labels = {};
    if (labelText !== undefined) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
      let pos = 0;
      while (pos < labelText.length) {
        re.lastIndex = pos;
        const lm = re.exec(labelText) ?? assert.fail(`bad labels, ${where}`);
        assert.match(lm[1], LABEL_NAME);
        assert.ok(!(lm[1] in labels), `label repeated, ${where}`);
        labels[lm[1]] = lm[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
        pos = re.lastIndex;
      }
    }
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
    assert.ok(!Number.isNaN(value) || valueText === 'NaN', `a number, ${where}`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    assert.ok(!series.has(key), `series repeated: ${key}`);
    series.set(key, { name, labels, value });
  }
  // Histograms: cumulative buckets ending at +Inf = _count.
  for (const [name, fam] of families) {
    if (fam.type !== 'histogram') continue;
    const byRoute = new Map();
    for (const s of series.values()) {
      if (s.name !== `${name}_bucket`) continue;
      const { le, ...rest } = s.labels;
      const k = JSON.stringify(rest);
      if (!byRoute.has(k)) byRoute.set(k, []);
      byRoute.get(k).push([le === '+Inf' ? Infinity : Number(le), s.value]);
    }
    for (const [k, buckets] of byRoute) {
      buckets.sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i][1] >= buckets[i - 1][1], `buckets cumulative for ${k}`);
      assert.equal(buckets.at(-1)[0], Infinity, `a +Inf bucket for ${k}`);
      const count = [...series.values()].find((s) => s.name === `${name}_count` && JSON.stringify(s.labels) === k);
      assert.ok(count, `a _count for ${k}`);
      assert.equal(buckets.at(-1)[1], count.value, `+Inf equals _count for ${k}`);
    }
  }
  return { families, series };
}

/** The value of one series (0 when absent). */
function valueOf(parsed, name, labels = {}) {
  for (const s of parsed.series.values()) {
    if (s.name !== name) continue;
    if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
  }
  return 0;
}

describe('GET /metrics', () => {
  let srv;
  let c;
  before(async () => {
    srv = await startCatalogServer({
      store: 'db',
      databaseUrl: await freshDatabase('obs_metrics'),
      extra: { METRICS_TOKEN: 'scrape-secret-123', RATE_LIMIT_READ: '5/60', MATCHER_INTERVAL_MS: '200' },
    });
    c = new AuthClient(srv.port);
  });
  after(async () => {
    if (srv) assertCleanExit(await srv.stop());
  });

  const scrape = async (token = 'scrape-secret-123') => {
    const res = await request(srv.port, { path: '/metrics', headers: token ? { Authorization: `Bearer ${token}` } : {} });
    return res;
  };
  const parsed = async () => {
    const res = await scrape();
    assert.equal(res.status, 200, res.body.toString());
    assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    return parseExposition(res.body.toString('utf8'));
  };

  it('METRICS_TOKEN: none or a wrong one is 401, the right one 200', async () => {
    const none = await scrape(null);
    assert.equal(none.status, 401);
    assert.equal(JSON.parse(none.body).error.code, 'unauthorized');
    assert.equal((await scrape('scrape-secret-12')).status, 401);
    assert.equal((await scrape('scrape-secret-1234')).status, 401);
    assert.equal((await scrape()).status, 200);
  });

  it('is never rate limited (RATE_LIMIT_READ=5/60 here)', async () => {
    for (let i = 0; i < 12; i++) assert.equal((await scrape()).status, 200, `scrape ${i + 1}`);
  });

  it('parses strictly and has the families an operator needs', async () => {
    const p = await parsed();
    for (const name of [
      'rural24_http_requests_total', 'rural24_http_request_duration_seconds', 'rural24_http_requests_in_flight',
      'rural24_http_connections_open', 'rural24_cache_hits_total', 'rural24_cache_misses_total', 'rural24_cache_evictions_total',
      'rural24_cache_entries', 'rural24_cache_bytes', 'rural24_cache_fallback', 'rural24_ratelimit_allowed_total',
      'rural24_ratelimit_refused_total', 'rural24_ratelimit_fallback', 'rural24_db_pool_size', 'rural24_db_pool_in_use',
      'rural24_db_pool_waiting', 'rural24_db_acquire_timeouts_total', 'rural24_db_errors_total', 'rural24_db_slow_queries_total',
      'rural24_ws_connections', 'rural24_chat_messages_total', 'process_resident_memory_bytes', 'process_cpu_seconds_total',
      'process_open_fds', 'rural24_uptime_seconds',
    ]) {
      assert.ok(p.families.has(name), `family ${name}`);
    }
    assert.ok(valueOf(p, 'process_resident_memory_bytes') > 1e6, 'RSS in bytes');
    assert.ok(valueOf(p, 'process_open_fds') > 3);
  });

  it('requests are counted by route template, method and status, with their latency', async () => {
    const before0 = await parsed();
    const health = (p) => valueOf(p, 'rural24_http_requests_total', { route: '/api/health', method: 'GET', status: '200' });
    const notFound = (p) => valueOf(p, 'rural24_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' });
    const adById = (p) => valueOf(p, 'rural24_http_requests_total', { route: '/api/ads/{id}', method: 'GET', status: '404' });
    const latencyCount = (p) => valueOf(p, 'rural24_http_request_duration_seconds_count', { route: '/api/health' });
    for (let i = 0; i < 7; i++) assert.equal((await request(srv.port, { path: '/api/health' })).status, 200);
    assert.equal((await request(srv.port, { path: '/api/nothing/here' })).status, 404);
    assert.equal((await request(srv.port, { path: '/api/ads/999999999' })).status, 404);
    const after0 = await parsed();
    assert.equal(health(after0) - health(before0), 7);
    assert.equal(notFound(after0) - notFound(before0), 1);
    assert.equal(adById(after0) - adById(before0), 1, 'labelled by the template, not the path');
    assert.equal(latencyCount(after0) - latencyCount(before0), 7);
  });

  it('the scheduled jobs report their runs and how long ago they ran', async () => {
    let p;
    for (let i = 0; i < 50; i++) {
      p = await parsed();
      if (valueOf(p, 'rural24_job_runs_total', { job: 'saved_search_matcher' }) >= 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(valueOf(p, 'rural24_job_runs_total', { job: 'saved_search_matcher' }) >= 2, 'the matcher ran (every 200 ms here)');
    assert.equal(valueOf(p, 'rural24_job_failures_total', { job: 'saved_search_matcher' }), 0);
    const age = valueOf(p, 'rural24_job_seconds_since_run', { job: 'saved_search_matcher' });
    assert.ok(age >= 0 && age < 5, `the matcher ran recently: ${age} s ago`);
  });

  it('rate-limit refusals, database queries and WebSocket connections move their series', async () => {
    const p0 = await parsed();
    // Read class 5/60 from this address: the sixth read is refused.
    let refused = 0;
    for (let i = 0; i < 7; i++) if ((await request(srv.port, { path: '/api/categories' })).status === 429) refused++;
    assert.ok(refused >= 1);
    const u = await c.newUser({}, 'metricsws');
    const ws = await WsClient.connect(srv.port, { token: u.access });
    await ws.next('hello');
    const p1 = await parsed();
    assert.ok(valueOf(p1, 'rural24_ratelimit_refused_total', { class: 'read' }) - valueOf(p0, 'rural24_ratelimit_refused_total', { class: 'read' }) >= refused);
    assert.ok(valueOf(p1, 'rural24_db_queries_total', { pool: 'primary' }) > valueOf(p0, 'rural24_db_queries_total', { pool: 'primary' }), 'the registration ran statements');
    assert.equal(valueOf(p1, 'rural24_ws_connections'), 1);
    ws.close(1000);
    await ws.closed();
    const p2 = await parsed();
    assert.equal(valueOf(p2, 'rural24_ws_connections'), 0);
  });
});

describe('GET /metrics: cache hits and database waits', () => {
  let srv;
  before(async () => {
    srv = await startCatalogServer({ store: 'db', databaseUrl: await freshDatabase('obs_metrics_db'), extra: { DB_POOL_SIZE: '1' } });
  });
  after(async () => {
    if (srv) assertCleanExit(await srv.stop());
  });
  const scrape = async () => parseExposition((await request(srv.port, { path: '/metrics' })).body.toString('utf8'));

  it('a search served twice is a cache hit', async () => {
    const p0 = await scrape();
    for (let i = 0; i < 3; i++) assert.equal((await request(srv.port, { path: '/api/ads?category=tractores' })).status, 200);
    const p1 = await scrape();
    assert.ok(valueOf(p1, 'rural24_cache_hits_total') - valueOf(p0, 'rural24_cache_hits_total') >= 2, 'the second and third searches hit');
    assert.ok(valueOf(p1, 'rural24_cache_misses_total') > valueOf(p0, 'rural24_cache_misses_total'), 'the first missed');
  });

  it('queries waiting for the one pooled connection show in rural24_db_pool_waiting', async () => {
    const sleeps = Array.from({ length: 3 }, () => request(srv.port, { path: '/api/_test/db/sleep?ms=800', timeoutMs: 10000 }));
    let waiting = 0;
    for (let i = 0; i < 20 && waiting < 1; i++) {
      await new Promise((r) => setTimeout(r, 50));
      waiting = valueOf(await scrape(), 'rural24_db_pool_waiting', { pool: 'primary' });
    }
    assert.ok(waiting >= 1, `queries waited for a connection (${waiting})`);
    for (const r of await Promise.all(sleeps)) assert.equal(r.status, 200);
    assert.equal(valueOf(await scrape(), 'rural24_db_pool_waiting', { pool: 'primary' }), 0, 'none left waiting');
  });
});
