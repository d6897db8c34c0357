// Redis for the integration tests: a real redis-server per test file (never a
// mock), in a temporary directory, on a free port of 127.0.0.1, without
// persistence. Tests kill it (a crash), restart it on the same port, or pause
// it, and talk to it directly with a minimal RESP client to check what the
// server stored.
//
// Every redis-server a test file starts is killed by its PID when that file's
// process exits, even after a failure.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, sleep } from './server.mjs';

/** The redis-server binary: $REDIS_SERVER, else /usr/bin/redis-server. */
export const redisServerBin = process.env.REDIS_SERVER || '/usr/bin/redis-server';

const live = new Set();

process.on('exit', () => {
  for (const r of live) {
    try {
      process.kill(r.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    fs.rmSync(r.dir, { recursive: true, force: true });
  }
});

function spawnServer(r) {
  const proc = spawn(
    redisServerBin,
    [
      '--port', String(r.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--dir', r.dir, '--logfile', path.join(r.dir, 'redis.log'), '--loglevel', 'warning',
      '--daemonize', 'no',
    ],
    { stdio: 'ignore' },
  );
  r.proc = proc;
  r.pid = proc.pid;
  r.exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return proc;
}

async function waitUntilAnswering(r, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await command(r.port, 'PING')) === 'PONG') return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) {
      const log = fs.existsSync(path.join(r.dir, 'redis.log'))
        ? fs.readFileSync(path.join(r.dir, 'redis.log'), 'utf8')
        : '';
      throw new Error(`redis-server on port ${r.port} did not answer within ${timeoutMs} ms\n${log}`);
    }
    await sleep(20);
  }
}

/**
 * Starts a redis-server and resolves once it answers PING. Returns
 * { port, url, pid, kill(), restart(), pause(), resume(), stop(), command(...) }.
 */
export async function startRedis() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rural24-redis-'));
  const r = { dir, port: 0, pid: 0, proc: null, exited: null };
  let lastErr;
  for (let attempt = 0; attempt < 5; attempt++) {
    r.port = await freePort();
    spawnServer(r);
    live.add(r);
    try {
      await waitUntilAnswering(r);
      break;
    } catch (err) {
      lastErr = err;
      try {
        process.kill(r.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      await r.exited;
      r.pid = 0;
    }
  }
  if (!r.pid) throw lastErr;

  const redis = {
    get port() {
      return r.port;
    },
    get pid() {
      return r.pid;
    },
    get url() {
      return `redis://127.0.0.1:${r.port}`;
    },
    /** SIGKILL, as in a crash; resolves once the process is gone. */
    async kill() {
      if (!r.pid) return;
      process.kill(r.pid, 'SIGKILL');
      await r.exited;
      r.pid = 0;
    },
    /** Starts it again on the same port (empty: no persistence). */
    async restart() {
      if (r.pid) throw new Error('redis-server is still running');
      const deadline = Date.now() + 5000;
      for (;;) {
        spawnServer(r);
        try {
          await waitUntilAnswering(r, 2000);
          return;
        } catch (err) {
          try {
            process.kill(r.pid, 'SIGKILL');
          } catch {
            /* gone */
          }
          await r.exited;
          r.pid = 0;
          if (Date.now() > deadline) throw err;
          await sleep(50);
        }
      }
    },
    /** SIGSTOP / SIGCONT: a Redis that stops answering without going away. */
    pause() {
      process.kill(r.pid, 'SIGSTOP');
    },
    resume() {
      process.kill(r.pid, 'SIGCONT');
    },
    /** Kills it and removes its directory. */
    async stop() {
      if (r.pid) {
        try {
          process.kill(r.pid, 'SIGCONT');
        } catch {
          /* gone */
        }
        await redis.kill();
      }
      live.delete(r);
      fs.rmSync(r.dir, { recursive: true, force: true });
    },
    /** One command; resolves with the decoded reply (see command()). */
    command: (...args) => command(r.port, ...args),
  };
  return redis;
}

// ---------------------------------------------------------------------------
// A minimal RESP client: one connection per command, enough for assertions.

function encode(args) {
  const parts = [`*${args.length}\r\n`];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
    parts.push(`$${b.length}\r\n`, b, '\r\n');
  }
  return Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));
}

/** Parses one reply at off; returns { value, end } or null when incomplete.
 *  Errors become Error objects; bulk strings are strings (utf8). */
function parseReply(buf, off) {
  const lineEnd = buf.indexOf('\r\n', off);
  if (lineEnd < 0) return null;
  const type = String.fromCharCode(buf[off]);
  const line = buf.subarray(off + 1, lineEnd).toString('utf8');
  const next = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new Error(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      if (buf.length < next + len + 2) return null;
      return { value: buf.subarray(next, next + len).toString('utf8'), end: next + len + 2 };
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      const items = [];
      let at = next;
      for (let i = 0; i < n; i++) {
        const item = parseReply(buf, at);
        if (!item) return null;
        items.push(item.value);
        at = item.end;
      }
      return { value: items, end: at };
    }
    default:
      throw new Error(`bad RESP type ${JSON.stringify(type)}`);
  }
}

/** Sends one command to 127.0.0.1:port and resolves with its reply (an Error
 *  reply rejects). */
export function command(port, ...args) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`redis command ${args[0]} timed out`));
    }, 3000);
    socket.on('connect', () => socket.write(encode(args)));
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      const reply = parseReply(data, 0);
      if (!reply) return;
      clearTimeout(timer);
      socket.destroy();
      if (reply.value instanceof Error) reject(reply.value);
      else resolve(reply.value);
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
