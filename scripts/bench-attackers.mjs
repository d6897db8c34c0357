#!/usr/bin/env node
// Holds hostile connections against a server for scripts/bench frontdoor:
// SLOW connections each sending a 16 KiB body to POST /api/auth/login at
// RATE bytes/s (above HTTP_BODY_MIN_RATE, so the server must keep them), and
// SILENT connections that connect and send nothing (closed by the server
// after HTTP_HEADER_TIMEOUT_MS; reopened here at once). Connections come from
// 127.0.0.2 upwards, at most PER_ADDRESS per address, so that
// MAX_CONNECTIONS_PER_IP does not turn them away and wrk's 127.0.0.1 is not
// affected by that cap.
//
// Usage: bench-attackers.mjs PORT SLOW SILENT SECONDS [RATE] [PER_ADDRESS]
// Prints "held slow=N silent=M" once all are open, then every 5 s; exits
// after SECONDS (bounded) or on SIGTERM, closing everything.
import net from 'node:net';

const [port, slowCount, silentCount, seconds, rate = 800, perAddress = 200] = process.argv
  .slice(2)
  .map(Number);
if (!port || !(seconds > 0)) {
  console.error('usage: bench-attackers.mjs PORT SLOW SILENT SECONDS [RATE] [PER_ADDRESS]');
  process.exit(2);
}

const BODY_BYTES = 16384;
const TICK_MS = 250;
let opened = 0;
let stopping = false;
const live = { slow: new Set(), silent: new Set() };
const reopenedAfterClose = { slow: 0, silent: 0 };

function addressFor(index) {
  const n = 2 + Math.floor(index / perAddress);
  return `127.0.${Math.floor(n / 250)}.${(n % 250) + 2}`;
}

function open(kind, index) {
  if (stopping) return;
  const socket = net.connect({ port, host: '127.0.0.1', localAddress: addressFor(index) });
  opened++;
  live[kind].add(socket);
  socket.on('error', () => {});
  socket.on('data', () => {}); // answers (400 or 408) are read and dropped
  socket.on('close', () => {
    live[kind].delete(socket);
    clearInterval(socket.dripTimer);
    if (!stopping) {
      reopenedAfterClose[kind]++;
      setTimeout(() => open(kind, index), 50);
    }
  });
  if (kind === 'slow') {
    socket.on('connect', () => {
      socket.write(
        'POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
          `Content-Length: ${BODY_BYTES}\r\n\r\n`,
      );
      let sent = 0;
      const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
      socket.dripTimer = setInterval(() => {
        const n = Math.min(perTick, BODY_BYTES - sent);
        if (n <= 0) {
          clearInterval(socket.dripTimer);
          return;
        }
        socket.write('x'.repeat(n)); // not JSON: the answer is 400, no password hash
        sent += n;
      }, TICK_MS);
    });
  }
}

// Opened in batches so the accept queue is not the thing measured.
let index = 0;
async function openAll() {
  const plan = [
    ['slow', slowCount],
    ['silent', silentCount],
  ];
  for (const [kind, count] of plan) {
    for (let i = 0; i < count; i += 250) {
      for (let k = i; k < Math.min(count, i + 250); k++) open(kind, index++);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function report() {
  console.log(
    `held slow=${live.slow.size} silent=${live.silent.size} reopened slow=${reopenedAfterClose.slow} silent=${reopenedAfterClose.silent}`,
  );
}

function stop() {
  stopping = true;
  for (const set of Object.values(live)) for (const s of set) s.destroy();
  process.exit(0);
}

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setTimeout(stop, seconds * 1000);
await openAll();
report();
setInterval(report, 5000);
