#!/usr/bin/env node
// One phase of scripts/bench notify (issue 12): CONCURRENCY clients publish
// ads (POST /api/ads, closed loop) for SECONDS while a probe measures the
// matcher's lag: a watcher's saved search matches a probe ad published every
// 500 ms, and each probe is timed from its 201 to the notification frame
// naming it on the watcher's WebSocket (stored, then pushed: the lag a user
// sees). Prints one JSON line: publishes, rate (per second), p50/p99 of the
// publish latency (ms), probes, lag p50/p99/max (ms), probes lost.
//
// Tokens are minted here with JWT_SECRET (stateless mode). Every wait is
// bounded; only 127.0.0.1 is spoken to.
//
// Usage: bench-notify.mjs PORT SECRET USER_IDS_FILE CATEGORY_IDS_FILE SECONDS CONCURRENCY
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { WsClient } from '../tests/integration/lib/ws.mjs';

const [port, secret, idsFile, categoriesFile, seconds, concurrency] = process.argv.slice(2);
const ids = readFileSync(idsFile, 'utf8').split('\n').filter(Boolean).map(Number);
const categories = readFileSync(categoriesFile, 'utf8').split('\n').filter(Boolean).map(Number);
const SECONDS = Number(seconds);
const CONCURRENCY = Number(concurrency);
const PROVINCES = ['Buenos Aires', 'Córdoba', 'Santa Fe', 'Entre Ríos', 'La Pampa', 'Chaco', 'Salta', 'Mendoza'];
const WORDS = ['Tractor', 'Cosechadora', 'Sembradora', 'Vaquillonas', 'Campo', 'Camioneta', 'Rollos', 'Soja', 'John', 'Deere'];

const b64url = (buf) => Buffer.from(buf).toString('base64url');
function token(userId) {
  const now = Math.floor(Date.now() / 1000);
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(
    JSON.stringify({ sub: String(userId), sid: 0, iat: now, exp: now + 3600, iss: 'rural24', typ: 'access', jti: crypto.randomBytes(16).toString('hex') }),
  );
  const sig = crypto.createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY + 4 });
function call(method, path, tok, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      {
        host: '127.0.0.1',
        port: Number(port),
        method,
        path,
        agent,
        headers: { Authorization: `Bearer ${tok}`, ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}) },
        timeout: 10000,
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(payload);
  });
}

let n = 0;
const pick = (a) => a[Math.floor(Math.random() * a.length)];
function adBody(title) {
  n++;
  const usd = Math.random() < 0.4;
  return {
    title: title ?? `${pick(WORDS)} ${pick(WORDS)} ${n}`,
    description: 'Aviso de carga del benchmark de notificaciones.',
    price: usd ? 1000 + Math.floor(Math.random() * 90000) : 100000 + Math.floor(Math.random() * 90000000),
    currency: usd ? 'USD' : 'ARS',
    category_id: pick(categories),
    province: pick(PROVINCES),
    attributes: {},
  };
}

function percentile(values, p) {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const watcher = ids[ids.length - 1];
const publishers = ids.slice(0, -1);
const watcherToken = token(watcher);
const word = `probe${crypto.randomBytes(5).toString('hex').replace(/[0-9]/g, (d) => 'bcdfghjklm'[d])}`;
const saved = await call('POST', '/api/me/saved-searches', watcherToken, { name: 'probe', query: { q: word } });
if (saved.status !== 201) throw new Error(`saved search: ${saved.status} ${saved.body}`);
const savedId = JSON.parse(saved.body).id;
const ws = await WsClient.connect(Number(port), { token: watcherToken });
await ws.next('hello');

const latencies = [];
let errors = 0;
const deadline = Date.now() + SECONDS * 1000;
async function worker() {
  while (Date.now() < deadline) {
    const t0 = performance.now();
    const r = await call('POST', '/api/ads', token(pick(publishers)), adBody());
    if (r.status === 201) latencies.push(performance.now() - t0);
    else errors++;
  }
}
const probes = new Map(); // ad id -> time of its 201
async function prober() {
  while (Date.now() < deadline) {
    const r = await call('POST', '/api/ads', token(publishers[0]), adBody(`Tractor ${word} ${n}`));
    if (r.status === 201) probes.set(JSON.parse(r.body).id, performance.now());
    await sleep(500);
  }
}
const lags = new Map();
ws.socket.on('data', () => {
  for (const m of ws.messages.splice(0)) {
    if (m.type !== 'notification' || m.notification.type !== 'saved_search_match') continue;
    for (const a of m.notification.data.ads) {
      if (probes.has(a.id) && !lags.has(a.id)) lags.set(a.id, performance.now() - probes.get(a.id));
    }
  }
});
await Promise.all([...Array.from({ length: CONCURRENCY }, worker), prober()]);
for (let i = 0; i < 200 && lags.size < probes.size; i++) await sleep(50);
ws.destroy();
await call('DELETE', `/api/me/saved-searches/${savedId}`, watcherToken);
agent.destroy();
const lagValues = [...lags.values()];
console.log(
  JSON.stringify({
    publishes: latencies.length,
    errors,
    rate: Math.round(latencies.length / SECONDS),
    p50: Number(percentile(latencies, 50).toFixed(2)),
    p99: Number(percentile(latencies, 99).toFixed(2)),
    probes: probes.size,
    lag_p50: lagValues.length ? Math.round(percentile(lagValues, 50)) : null,
    lag_p99: lagValues.length ? Math.round(percentile(lagValues, 99)) : null,
    lag_max: lagValues.length ? Math.round(Math.max(...lagValues)) : null,
    lost: probes.size - lags.size,
  }),
);
