#!/usr/bin/env node
// The WebSocket benchmark of scripts/bench ws (issue 11): against two
// instances sharing Redis,
//   1. idle memory: IDLE connections opened to instance 1 (from 127.0.0.2
//      upwards, at most 200 per address), each greeted; the instance's RSS
//      before and after, per 1,000 connections;
//   2. delivery: PAIRS pairs of users, A on instance 1 and B on instance 2; A
//      sends RATE messages a second in total over WebSocket for SECONDS; each
//      is timed from the send to its arrival on B's socket (the other
//      instance, through PostgreSQL and Redis): p50, p99, messages/s, lost.
// Tokens are minted here with JWT_SECRET (stateless mode), so no login spends
// a password hash. Every wait is bounded.
//
// Usage: bench-ws.mjs PORT1 PORT2 PID1 SECRET USER_IDS_FILE IDLE PAIRS RATE SECONDS
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { WsClient } from '../tests/integration/lib/ws.mjs';

const [port1, port2, pid1, secret, idsFile, idle, pairs, rate, seconds] = process.argv.slice(2);
const ids = readFileSync(idsFile, 'utf8').split('\n').filter(Boolean).map(Number);
const IDLE = Number(idle);
const PAIRS = Number(pairs);
const RATE = Number(rate);
const SECONDS = Number(seconds);

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

function rssKib(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)[1]);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const addressFor = (i) => `127.0.${Math.floor((2 + Math.floor(i / 200)) / 250)}.${((2 + Math.floor(i / 200)) % 250) + 2}`;

async function idlePhase() {
  await sleep(500);
  const before = rssKib(pid1);
  const conns = [];
  for (let i = 0; i < IDLE; i += 200) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(200, IDLE - i) }, (_, k) =>
        WsClient.connect(Number(port1), { token: token(ids[(i + k) % ids.length]), localAddress: addressFor(i + k), timeoutMs: 20000 }),
      ),
    );
    await Promise.all(batch.map((ws) => ws.next('hello', { timeoutMs: 20000 })));
    conns.push(...batch);
  }
  await sleep(1000);
  const after = rssKib(pid1);
  const per1000 = ((after - before) * 1000) / IDLE;
  console.log(`idle: ${IDLE} connections on instance 1: RSS ${before} -> ${after} KiB, ${per1000.toFixed(0)} KiB per 1,000 (${((per1000 * 1024) / 1000).toFixed(0)} bytes each; target <= 1.5 KB)`);
  for (const ws of conns) ws.destroy();
  await sleep(1000);
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function deliveryPhase() {
  const senders = [];
  const receivers = [];
  for (let i = 0; i < PAIRS; i++) {
    const a = ids[2 * i];
    const b = ids[2 * i + 1];
    const wa = await WsClient.connect(Number(port1), { token: token(a), localAddress: addressFor(i) });
    const wb = await WsClient.connect(Number(port2), { token: token(b), localAddress: addressFor(i) });
    await wa.next('hello');
    await wb.next('hello');
    senders.push({ ws: wa, to: b });
    receivers.push(wb);
  }
  const sentAt = new Map();
  const latencies = [];
  for (const wb of receivers) {
    // Arrivals are timed as they are parsed: a listener on the socket.
    wb.socket.on('data', () => {
      while (wb.messages.length > 0) {
        const m = wb.messages.shift();
        if (m.type !== 'message') continue;
        const t0 = sentAt.get(m.message.body);
        if (t0 !== undefined) {
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
          sentAt.delete(m.message.body);
        }
      }
    });
  }
  const total = RATE * SECONDS;
  const intervalMs = 1000 / RATE;
  const start = Date.now();
  let sent = 0;
  while (sent < total && Date.now() - start < (SECONDS + 5) * 1000) {
    const due = Math.floor((Date.now() - start) / intervalMs) + 1;
    while (sent < Math.min(due, total)) {
      const s = senders[sent % senders.length];
      const body = `bench ${sent} ${crypto.randomBytes(4).toString('hex')}`;
      sentAt.set(body, process.hrtime.bigint());
      s.ws.sendJson({ type: 'message', to: s.to, body, client_id: String(sent) });
      sent++;
    }
    await sleep(2);
  }
  const elapsed = (Date.now() - start) / 1000;
  // Wait (bounded) for the last deliveries.
  for (let i = 0; i < 50 && sentAt.size > 0; i++) await sleep(100);
  latencies.sort((x, y) => x - y);
  console.log(
    `delivery: ${PAIRS} pairs across two instances, ${sent} messages in ${elapsed.toFixed(1)} s (${(sent / elapsed).toFixed(0)}/s offered): ` +
      `delivered ${latencies.length}, lost ${sentAt.size}; latency p50 ${percentile(latencies, 50).toFixed(2)} ms, ` +
      `p99 ${percentile(latencies, 99).toFixed(2)} ms, max ${latencies.at(-1)?.toFixed(2)} ms (target p99 < 20 ms at 500/s)`,
  );
  for (const s of senders) s.ws.destroy();
  for (const wb of receivers) wb.destroy();
}

await idlePhase();
await deliveryPhase();
process.exit(0);
