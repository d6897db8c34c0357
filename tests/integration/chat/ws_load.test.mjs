// WebSocket load and memory (issue 11): a client that never reads is closed
// and the server's memory stays bounded; 10,000 concurrent connections on one
// instance each receive their message, and the resident memory an idle
// connection costs is reported.
//
// Both run the release test build (build/test-release/rural24: -O2 with the
// test routes): ASan's shadow memory and quarantine would measure the
// sanitizer, not the server. The tokens of the 10,000 connections are forged
// for SESSION_STORE=stateless (users inserted straight into the table: a
// fixture, not the subject). Every loop is bounded in count and time.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import { AuthClient, accessClaims, authEnv, expectJson, forgeJwt, waitReady } from '../lib/auth.mjs';
import { freshDatabase, psql, rows } from '../lib/pg.mjs';
import { assertCleanExit, repoRoot, sleep, startServer } from '../lib/server.mjs';
import { WsClient } from '../lib/ws.mjs';

const releaseBin = path.join(repoRoot, 'build', 'test-release', 'rural24');
const KiB = 1024;

/** Resident memory of a process now and at its peak, in KiB (Linux). */
function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)[1]);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** The TCP state (Linux /proc/net/tcp code) of the server's side of the
 *  connection from client port `clientPort` to `serverPort`, or null when
 *  there is none any more. 01 ESTABLISHED, 04 FIN_WAIT1, ... */
function serverSideState(serverPort, clientPort) {
  const hex = (p) => p.toString(16).toUpperCase().padStart(4, '0');
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4) continue;
    if (f[1].endsWith(`:${hex(serverPort)}`) && f[2].endsWith(`:${hex(clientPort)}`)) return f[3];
  }
  return null;
}

async function startRelease(t, tag, extra) {
  const db = await freshDatabase(tag);
  const srv = await startServer({
    bin: releaseBin,
    readyOn: 'port',
    env: authEnv({
      store: 'stateless',
      databaseUrl: db,
      extra: {
        LOG_LEVEL: 'warn',
        RATE_LIMIT_READ: '1000000/60',
        RATE_LIMIT_WRITE: '1000000/60',
        RATE_LIMIT_WS_MESSAGE: '1000000/60',
        ...extra,
      },
    }),
  });
  t.after(async () => assertCleanExit(await srv.stop()));
  await waitReady(srv);
  return { srv, db };
}

/** Runs fn over items with at most `width` at a time; resolves with the results. */
async function pool(items, width, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

describe('a client that never reads', () => {
  it('is closed while frames are pushed to it, and the server\'s memory stays bounded', async (t) => {
    const { srv } = await startRelease(t, 'ws_noread', {});
    const c = new AuthClient(srv.port);
    const reader = await c.newUser({ name: 'No Lee' }, 'wsnoread');
    const sender = await c.newUser({ name: 'Manda Mucho' }, 'wsflood');
    const stuck = await WsClient.connect(srv.port, { token: reader.access });
    await stuck.next('hello');
    const tx = await WsClient.connect(srv.port, { token: sender.access });
    await tx.next('hello');
    const clientPort = stuck.socket.localPort;
    assert.equal(serverSideState(srv.port, clientPort), '01', 'the server side is ESTABLISHED');
    stuck.socket.pause(); // never reads again (until the end of the test)

    const body = '🐄'.repeat(2000); // 8000 bytes: each push is ~8.3 KB
    const before = memoryOf(srv.pid);
    let peakRss = before.rss;
    const MAX = 4000; // 33 MB of frames, far past the socket buffers plus the 256 KiB queue
    const WINDOW = 16;
    let sent = 0;
    let acked = 0;
    let closedAfter = null;
    const started = Date.now();
    while (sent < MAX && Date.now() - started < 40000) {
      const batch = Math.min(WINDOW, MAX - sent);
      for (let i = 0; i < batch; i++) tx.sendJson({ type: 'message', to: reader.user.id, body, client_id: `f${sent + i}` });
      sent += batch;
      await tx.waitFor(() => tx.all('ack').length + tx.all('error').length >= batch, { what: `${sent} answers`, timeoutMs: 10000 });
      acked += tx.all('ack').length;
      tx.messages.length = 0; // keep the sender's own memory flat
      tx.taken = new Set();
      peakRss = Math.max(peakRss, memoryOf(srv.pid).rss);
      if (closedAfter === null && serverSideState(srv.port, clientPort) !== '01') closedAfter = sent;
      if (closedAfter !== null && sent >= closedAfter + 1000) break; // 8 MB pushed past the close
    }
    const after = memoryOf(srv.pid);
    const grewKiB = Math.max(peakRss, after.rss) - before.rss;
    console.log(`never-reading client: server side closed after ${closedAfter} pushes of ~8.3 KB; ` +
      `${sent} sent (${acked} acked) in ${Date.now() - started} ms; server VmRSS ${before.rss} KiB, peak ${peakRss} KiB ` +
      `(+${grewKiB} KiB), VmHWM ${before.hwm} → ${after.hwm} KiB`);
    assert.ok(closedAfter !== null, `the server closed the connection of a client that does not read (${sent} pushes)`);
    assert.equal(acked, sent, 'every send was stored and acked meanwhile');
    // What the server held for the stuck client is bounded by its queue
    // (256 KiB) plus a frame, whatever was pushed: the 8 MB pushed after the
    // close went nowhere. 6 MiB leaves room for the allocator and the
    // database results; an unbounded queue would have grown by over 8 MiB.
    assert.ok(grewKiB < 6 * KiB, `peak RSS grew by ${grewKiB} KiB while ${(sent * 8.3 / 1024).toFixed(0)} MB were pushed`);

    // Reading again: an ordered prefix of what was pushed, then the end
    // (a close 1008, or the connection cut after the linger).
    stuck.socket.resume();
    const { code } = await stuck.closed({ timeoutMs: 15000 });
    assert.ok(code === 1008 || code === null, `closed with 1008 or without a close frame, got ${code}`);
    const got = stuck.all('message');
    assert.ok(got.length > 0 && got.length < sent, `a prefix: ${got.length} of ${sent}`);
    const ids = got.map((f) => f.message.id);
    assert.deepEqual(ids, [...ids].sort((x, y) => x - y), 'in order');
    tx.close(1000);
    await tx.closed();
  });
});

describe('10,000 concurrent connections on one instance', () => {
  it('each gets its message; resident memory per idle connection is reported (and bounded)', async (t) => {
    const USERS = 200;
    const PER_USER = 50;
    const N = USERS * PER_USER;
    const { srv, db } = await startRelease(t, 'ws_10k', { MAX_CONNECTIONS: '20000', MAX_CONNECTIONS_PER_IP: '20000' });
    const c = new AuthClient(srv.port);
    const sender = await c.newUser({ name: 'Difusión' }, 'wsbroadcast');
    await psql(db, `INSERT INTO users (email, password_hash, name)
                    SELECT 'diezmil' || g || '@campo.example.com', 'x', 'Diez Mil ' || g FROM generate_series(1, ${USERS}) g`);
    const users = (await rows(db, `SELECT id FROM users WHERE email LIKE 'diezmil%' ORDER BY id`)).map((r) => Number(r[0]));
    assert.equal(users.length, USERS);
    const tokens = users.map((id) => forgeJwt(accessClaims({ sub: id, sid: 0 })));

    // Warm the paths (an upgrade, a push) before the baseline.
    const warm = await WsClient.connect(srv.port, { token: tokens[0] });
    await warm.next('hello');
    warm.close(1000);
    await warm.closed();
    await sleep(300);
    const base = memoryOf(srv.pid);

    const sockets = [];
    t.after(() => {
      for (const ws of sockets) ws.destroy();
    });
    const t0 = Date.now();
    const slots = Array.from({ length: N }, (_, i) => i);
    await pool(slots, 400, async (i) => {
      assert.ok(Date.now() - t0 < 45000, 'connecting took over 45 s');
      const ws = await WsClient.connect(srv.port, {
        token: tokens[i % USERS],
        localAddress: `127.0.0.${2 + (i % 4)}`,
        timeoutMs: 15000,
      });
      sockets.push(ws);
      ws.user = users[i % USERS];
      await ws.next('hello', { timeoutMs: 15000 });
    });
    const connectMs = Date.now() - t0;
    assert.equal(sockets.length, N);
    await sleep(500); // idle: every connection between frames
    const idle = memoryOf(srv.pid);
    const perConnBytes = ((idle.rss - base.rss) * KiB) / N;
    console.log(`10,000 WebSocket connections: opened in ${connectMs} ms; server VmRSS ${base.rss} → ${idle.rss} KiB ` +
      `(+${idle.rss - base.rss} KiB): ${(perConnBytes * 1000 / 1024 / 1024).toFixed(2)} MiB per 1,000 idle connections, ` +
      `${perConnBytes.toFixed(0)} bytes each (target ≤ 1.5 KB); VmHWM ${idle.hwm} KiB`);
    assert.ok(perConnBytes < 4 * KiB, `an idle connection costs ${perConnBytes.toFixed(0)} bytes of RSS (bound 4 KiB)`);

    // One message to each of the 200 users: every one of the 10,000 sockets gets it.
    const t1 = Date.now();
    const sent = await pool(users, 16, async (id) =>
      expectJson(await c.call('POST', '/api/messages', { token: sender.access, body: { to: id, body: `difusión para ${id}` } }), 201, `send to ${id}`),
    );
    const idFor = new Map(sent.map((m) => [m.receiver_id, m.id]));
    const deadline = Date.now() + 20000;
    const missing = () => sockets.filter((ws) => !ws.messages.some((f) => f.type === 'message' && f.message.id === idFor.get(ws.user)));
    while (missing().length > 0 && Date.now() < deadline) await sleep(100);
    const lost = missing();
    assert.equal(lost.length, 0, `${lost.length} sockets did not get their message`);
    for (const ws of sockets) assert.equal(ws.all('message').length, 1, 'exactly one message per socket');
    console.log(`10,000 WebSocket connections: ${USERS} messages × ${PER_USER} connections delivered in ${Date.now() - t1} ms; ` +
      `VmRSS after delivery ${memoryOf(srv.pid).rss} KiB`);
    const all = memoryOf(srv.pid);
    assert.ok(all.rss - base.rss < 64 * KiB, `RSS after the broadcast +${all.rss - base.rss} KiB (bound 64 MiB)`);
    for (const ws of sockets) ws.destroy();
  });
});
