// The black-box test harness: starts the real rural24 binary on a free port
// with a chosen environment and talks to it over real TCP sockets, byte for
// byte, as a client would.
//
// Every server a test file starts must be stopped by that file (an `after`
// hook); stop() resolves with the exit result and assertCleanExit() fails the
// test when the process did not exit 0 or a sanitizer (ASan, UBSan, LSan)
// reported anything. As a last resort, servers still running when the test
// process exits are killed by their PID.
//
// Database and Redis harnesses (later issues) build on startServer({env}).

import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The repository root (three levels up from tests/integration/lib). */
export const repoRoot = path.resolve(here, '..', '..', '..');

/** The binary under test: $RURAL24_BIN (the ASan build under `make
 *  integration`), else build/rural24. */
export const binPath = process.env.RURAL24_BIN
  ? path.resolve(process.env.RURAL24_BIN)
  : path.join(repoRoot, 'build', 'rural24');

/** The headers API.md puts on every response. */
export const SECURITY_HEADERS = Object.freeze({
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'referrer-policy': 'strict-origin-when-cross-origin',
});

/** What a valid X-Request-Id looks like (echoed or generated). */
export const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;

const SANITIZER_PATTERNS = ['ERROR: AddressSanitizer', 'runtime error:', 'LeakSanitizer'];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export { sleep };

// ---------------------------------------------------------------------------
// Processes

/** Servers started by this test process and not yet exited. */
const live = new Set();

process.on('exit', () => {
  // A test that crashed before its `after` hook ran must not leave a server
  // behind. Only our own children, by PID.
  for (const proc of live) {
    try {
      process.kill(proc.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

/** Picks a free TCP port on 127.0.0.1 (listen on 0, read it, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** The environment every test process gets, before the test's own values. */
export function baseEnv(port) {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    APP_ENV: 'test',
    LOG_LEVEL: 'info',
    PORT: String(port),
    HOST: '127.0.0.1',
    ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0',
    UBSAN_OPTIONS: 'print_stacktrace=1',
    // The web app is served only where a test asks for it (WEB_DIR), so a
    // web/dist built in the repository changes no other test's answers: a
    // folder that does not exist means no app (docs/WEB.md).
    WEB_DIR: '/nonexistent/rural24-web-app',
  };
}

/** The sanitizer reports found in a process's stderr (empty when clean). */
export function sanitizerReports(stderr) {
  return SANITIZER_PATTERNS.filter((p) => stderr.includes(p));
}

/** Fails when stderr holds an ASan, UBSan or LSan report. */
export function assertNoSanitizerReport(stderr, what = 'process') {
  const found = sanitizerReports(stderr);
  assert.deepEqual(found, [], `${what} reported sanitizer errors:\n${tail(stderr, 8000)}`);
}

/** Fails unless the server exited on its own with status 0 and no sanitizer
 *  report. result is what stop() / exited resolve with. */
export function assertCleanExit(result) {
  assertNoSanitizerReport(result.stderr ?? '', 'server');
  assert.equal(
    result.code,
    0,
    `server exited with code ${result.code} signal ${result.signal}\n` +
      `stderr:\n${tail(result.stderr ?? '', 4000)}\nstdout (tail):\n${tail(result.stdout ?? '', 2000)}`,
  );
}

function tail(text, n) {
  return text.length > n ? `...${text.slice(-n)}` : text;
}

function parseLogLine(line) {
  try {
    const v = JSON.parse(line);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

/**
 * Starts the server and resolves once it logged {"msg":"server listening"}
 * (or, with readyOn: 'port', once the port accepts connections — for a
 * LOG_LEVEL that hides info lines). Rejects after 10 s with the output so far.
 *
 * Returns { port, url, proc, pid, logs(), stdout(), stderr(), waitForLog(),
 * signal(), stop(), exited }. bin: another binary (the release build, for
 * memory measurements that ASan would distort).
 */
/** A migrated database shared by the servers of this test process that name
 *  none, so that readiness (which includes the database) is real; created on
 *  first use on the cluster scripts/test-services started. */
let defaultDatabase = null;
async function defaultDatabaseUrl() {
  if (!process.env.RURAL24_TEST_PG_URL) return undefined;
  if (defaultDatabase === null) {
    defaultDatabase = import('./pg.mjs').then((pg) => pg.freshDatabase('http'));
  }
  return defaultDatabase;
}

export async function startServer({ env = {}, args = [], readyOn = 'log', timeoutMs = 10000, bin = binPath } = {}) {
  const port = env.PORT !== undefined ? Number(env.PORT) : await freePort();
  const fullEnv = { ...baseEnv(port), ...env };
  if (fullEnv.DATABASE_URL === undefined && (args.length === 0 || args[0] === 'serve')) {
    const url = await defaultDatabaseUrl();
    if (url !== undefined) fullEnv.DATABASE_URL = url;
  }
  const proc = spawn(bin, args, { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);

  let stdoutText = '';
  let stderrText = '';
  let partial = '';
  const logLines = [];
  const logWaiters = new Set();

  const checkWaiters = () => {
    for (const w of logWaiters) w.check();
  };

  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk) => {
    stdoutText += chunk;
    partial += chunk;
    let nl;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      const obj = parseLogLine(line);
      if (obj) logLines.push(obj);
    }
    checkWaiters();
  });
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (chunk) => {
    stderrText += chunk;
  });

  let exitResult = null;
  const exited = new Promise((resolve) => {
    proc.on('error', (err) => {
      // spawn failure (binary missing): 'close' still follows.
      stderrText += `\n[harness] spawn error: ${err.message}\n`;
    });
    proc.on('close', (code, signal) => {
      live.delete(proc);
      if (partial) {
        const obj = parseLogLine(partial);
        if (obj) logLines.push(obj);
        partial = '';
      }
      exitResult = { code, signal, stdout: stdoutText, stderr: stderrText };
      const reports = sanitizerReports(stderrText);
      if (reports.length) {
        process.stderr.write(
          `[harness] server pid ${proc.pid} exited with sanitizer reports (${reports.join(', ')}):\n` +
            `${tail(stderrText, 8000)}\n`,
        );
      }
      checkWaiters();
      resolve(exitResult);
    });
  });

  const server = {
    port,
    host: '127.0.0.1',
    url: `http://127.0.0.1:${port}`,
    proc,
    pid: proc.pid,
    exited,
    get exitResult() {
      return exitResult;
    },
    /** The JSON log lines so far, parsed. */
    logs: () => logLines.slice(),
    stdout: () => stdoutText,
    stderr: () => stderrText,
    /** Resolves with the first log line (from index `from`) matching pred;
     *  rejects after timeoutMs or when the server exits first. */
    waitForLog(pred, { timeoutMs: waitMs = 3000, from = 0 } = {}) {
      return new Promise((resolve, reject) => {
        const w = {
          check() {
            for (let i = from; i < logLines.length; i++) {
              if (pred(logLines[i])) {
                done();
                resolve(logLines[i]);
                return;
              }
            }
            if (exitResult) {
              done();
              reject(new Error(`server exited before the expected log line\n${tail(stdoutText, 3000)}`));
            }
          },
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${waitMs} ms waiting for a log line\n${tail(stdoutText, 3000)}`));
        }, waitMs);
        const done = () => {
          clearTimeout(timer);
          logWaiters.delete(w);
        };
        logWaiters.add(w);
        w.check();
      });
    },
    /** Sends a signal to this server's PID (no waiting). */
    signal(sig = 'SIGTERM') {
      if (exitResult) return false;
      try {
        process.kill(proc.pid, sig);
        return true;
      } catch {
        return false;
      }
    },
    /** Sends `signal` and resolves with {code, signal, stdout, stderr} once
     *  the process is gone; SIGKILL after 15 s. Safe to call twice. */
    async stop(sig = 'SIGTERM') {
      if (exitResult) return exitResult;
      server.signal(sig);
      const killer = setTimeout(() => {
        if (!exitResult) {
          try {
            process.kill(proc.pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      }, 15000);
      const res = await exited;
      clearTimeout(killer);
      return res;
    },
  };

  // Wait for readiness.
  try {
    if (readyOn === 'port') {
      await waitForPort(port, timeoutMs, () => exitResult);
    } else {
      await server.waitForLog((l) => l.msg === 'server listening', { timeoutMs });
    }
  } catch (err) {
    if (!exitResult) {
      try {
        process.kill(proc.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    const res = await exited;
    throw new Error(
      `server did not start (${err.message.split('\n')[0]}); exit code ${res.code} signal ${res.signal}\n` +
        `binary: ${binPath}\nstdout:\n${tail(res.stdout, 4000)}\nstderr:\n${tail(res.stderr, 4000)}`,
    );
  }
  return server;
}

async function waitForPort(port, timeoutMs, exitedFn) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exitedFn()) throw new Error('server exited');
    const ok = await new Promise((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`port ${port} not accepting after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/**
 * Runs the binary to completion (for --help, --version and configuration
 * errors) and resolves with {code, signal, stdout, stderr, timedOut}. A process
 * still running after timeoutMs (a server that should have refused to start)
 * is killed by its PID.
 */
export async function runProcess(env = {}, args = [], { timeoutMs = 10000 } = {}) {
  const port = env.PORT !== undefined ? env.PORT : String(await freePort());
  const fullEnv = { ...baseEnv(port), ...env };
  for (const [k, v] of Object.entries(fullEnv)) if (v === undefined) delete fullEnv[k];
  return new Promise((resolve) => {
    const proc = spawn(binPath, args, { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(proc);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stdout.on('data', (c) => (stdout += c));
    proc.stderr.on('data', (c) => (stderr += c));
    proc.on('error', (err) => (stderr += `\n[harness] spawn error: ${err.message}\n`));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(proc.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeoutMs);
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(proc);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

// ---------------------------------------------------------------------------
// HTTP/1.1 responses

function findHeaderEnd(buf, from) {
  return buf.indexOf('\r\n\r\n', from, 'latin1');
}

/**
 * Parses as many complete HTTP/1.1 responses as `buffer` holds.
 *
 * opts.head: indexes (0-based, counting final responses only) of the requests
 * that were HEAD, whose responses carry no body whatever their headers say.
 * opts.eof: the connection is closed, so a response without Content-Length or
 * chunked framing ends at the end of the buffer.
 *
 * Returns an array of {status, reason, version, headers (lower-cased names;
 * repeated headers joined with ", "), headerList ([name, value] as sent),
 * body (Buffer), raw (Buffer), informational (1xx)}; the array's `consumed`
 * property is the number of bytes those responses took. Throws on bytes that
 * are not an HTTP response.
 */
export function parseResponses(buffer, { head = [], eof = false } = {}) {
  const heads = new Set(head);
  const out = [];
  let off = 0;
  let finalIndex = 0;
  while (off < buffer.length) {
    const hdrEnd = findHeaderEnd(buffer, off);
    if (hdrEnd < 0) {
      const start = buffer.subarray(off, off + 5).toString('latin1');
      if (!'HTTP/'.startsWith(start)) {
        throw new Error(`not an HTTP response at byte ${off}: ${JSON.stringify(preview(buffer.subarray(off)))}`);
      }
      break;
    }
    const lines = buffer.subarray(off, hdrEnd).toString('latin1').split('\r\n');
    const m = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(lines[0]);
    if (!m) throw new Error(`malformed status line at byte ${off}: ${JSON.stringify(lines[0])}`);
    const status = Number(m[2]);
    const headers = {};
    const headerList = [];
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error(`malformed header line: ${JSON.stringify(line)}`);
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      headerList.push([name, value]);
      const key = name.toLowerCase();
      headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
    }
    const informational = status >= 100 && status < 200;
    const isHead = !informational && heads.has(finalIndex);
    const bodyStart = hdrEnd + 4;
    let body;
    let end;
    const te = (headers['transfer-encoding'] ?? '').toLowerCase();
    if (informational || status === 204 || status === 304 || isHead) {
      body = Buffer.alloc(0);
      end = bodyStart;
    } else if (te.split(',').map((s) => s.trim()).includes('chunked')) {
      const r = decodeChunked(buffer, bodyStart);
      if (!r) break;
      body = r.body;
      end = r.end;
    } else if (headers['content-length'] !== undefined) {
      if (!/^\d+$/.test(headers['content-length'])) {
        throw new Error(`bad or repeated Content-Length: ${JSON.stringify(headers['content-length'])}`);
      }
      const len = Number(headers['content-length']);
      if (buffer.length < bodyStart + len) break;
      body = buffer.subarray(bodyStart, bodyStart + len);
      end = bodyStart + len;
    } else {
      if (!eof) break;
      body = buffer.subarray(bodyStart);
      end = buffer.length;
    }
    out.push({
      status,
      reason: m[3] ?? '',
      version: m[1],
      headers,
      headerList,
      body: Buffer.from(body),
      raw: Buffer.from(buffer.subarray(off, end)),
      informational,
    });
    if (!informational) finalIndex++;
    off = end;
  }
  out.consumed = off;
  return out;
}

function decodeChunked(buffer, start) {
  const parts = [];
  let off = start;
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', off, 'latin1');
    if (lineEnd < 0) return null;
    const sizeText = buffer.subarray(off, lineEnd).toString('latin1').split(';')[0].trim();
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw new Error(`bad chunk size ${JSON.stringify(sizeText)}`);
    const size = parseInt(sizeText, 16);
    off = lineEnd + 2;
    if (size === 0) {
      // Trailers until an empty line.
      for (;;) {
        const e = buffer.indexOf('\r\n', off, 'latin1');
        if (e < 0) return null;
        const empty = e === off;
        off = e + 2;
        if (empty) return { body: Buffer.concat(parts), end: off };
      }
    }
    if (buffer.length < off + size + 2) return null;
    parts.push(buffer.subarray(off, off + size));
    off += size + 2;
  }
}

function preview(buf, n = 300) {
  const s = buf.subarray(0, n).toString('latin1');
  return buf.length > n ? `${s}...(${buf.length} bytes)` : s;
}

/** The parsed JSON body of a response (fails the test when it is not JSON). */
export function json(res) {
  try {
    return JSON.parse(res.body.toString('utf8'));
  } catch (err) {
    assert.fail(`response ${res.status} body is not JSON: ${JSON.stringify(preview(res.body))}`);
  }
}

// ---------------------------------------------------------------------------
// Requests

/**
 * Builds request bytes. headers: an object or an array of [name, value]
 * pairs (for order and repeats). A Host header is added unless given; a
 * Content-Length is added for a body unless a Content-Length or
 * Transfer-Encoding header is given.
 */
export function buildRequest({ method = 'GET', path: target = '/', headers = {}, body, version = '1.1', host = '127.0.0.1' } = {}) {
  const list = Array.isArray(headers) ? headers.slice() : Object.entries(headers);
  const has = (n) => list.some(([k]) => k.toLowerCase() === n);
  if (!has('host') && version === '1.1') list.unshift(['Host', host]);
  const bodyBuf = body === undefined ? null : Buffer.isBuffer(body) ? body : Buffer.from(String(body));
  if (bodyBuf && !has('content-length') && !has('transfer-encoding')) list.push(['Content-Length', String(bodyBuf.length)]);
  const headText = `${method} ${target} HTTP/${version}\r\n${list.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return bodyBuf ? Buffer.concat([Buffer.from(headText, 'latin1'), bodyBuf]) : Buffer.from(headText, 'latin1');
}

/**
 * One client connection that collects every byte the server sends.
 * connect() resolves once TCP is up (rejects on ECONNREFUSED etc.).
 */
export class RawClient {
  static connect(port, { host = '127.0.0.1', timeoutMs = 5000 } = {}) {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeListener('error', onError);
        resolve(new RawClient(socket));
      });
      const onError = (err) => {
        clearTimeout(timer);
        reject(err);
      };
      socket.once('error', onError);
    });
  }

  constructor(socket) {
    this.socket = socket;
    this.chunks = [];
    this.length = 0;
    this._data = null;
    this.offset = 0; // bytes already handed out by responses()
    this.closed = false;
    this.closedAt = null;
    this.error = null;
    this.interim = [];
    this.waiters = new Set();
    socket.on('data', (d) => {
      this.chunks.push(d);
      this.length += d.length;
      this._data = null;
      this._notify();
    });
    socket.on('error', (err) => {
      // ECONNRESET / EPIPE: the server closed; keep what arrived.
      this.error = err;
    });
    socket.on('close', () => {
      this.closed = true;
      this.closedAt = Date.now();
      this._notify();
    });
  }

  /** Everything received so far. */
  get data() {
    if (!this._data) this._data = Buffer.concat(this.chunks, this.length);
    return this._data;
  }

  _notify() {
    for (const w of this.waiters) w();
  }

  /** Writes bytes; resolves with null or the write error (never rejects). */
  write(bytes) {
    return new Promise((resolve) => {
      if (this.socket.destroyed || this.socket.writableEnded) {
        resolve(new Error('socket already closed'));
        return;
      }
      this.socket.write(bytes, (err) => resolve(err ?? null));
    });
  }

  /** Waits until fn() returns a truthy value (checked on every event), or
   *  rejects after timeoutMs, or when the connection closes first. */
  waitFor(fn, { timeoutMs = 5000, what = 'condition' } = {}) {
    return new Promise((resolve, reject) => {
      let timer;
      const check = () => {
        let v;
        try {
          v = fn();
        } catch (err) {
          finish();
          reject(err);
          return;
        }
        if (v) {
          finish();
          resolve(v);
        } else if (this.closed) {
          finish();
          reject(new Error(`connection closed while waiting for ${what}; received: ${JSON.stringify(preview(this.data, 2000))}`));
        }
      };
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received: ${JSON.stringify(preview(this.data, 2000))}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** The final responses parsed from the unread bytes, without consuming. */
  peek({ head = [] } = {}) {
    const all = parseResponses(this.data.subarray(this.offset), { head, eof: this.closed });
    return all;
  }

  /**
   * Waits for n final (non-1xx) responses past what was already read and
   * consumes them. head: indexes within this batch of HEAD requests. 1xx
   * responses are skipped and collected in this.interim (or returned in order
   * with interim: true).
   */
  async responses(n, { head = [], timeoutMs = 5000, interim = false } = {}) {
    const parsed = await this.waitFor(
      () => {
        const all = parseResponses(this.data.subarray(this.offset), { head, eof: this.closed });
        let finals = 0;
        for (let i = 0; i < all.length; i++) {
          if (!all[i].informational) finals++;
          if (finals === n) return all.slice(0, i + 1);
        }
        return null;
      },
      { timeoutMs, what: `${n} response(s)` },
    );
    this.offset += parsed.reduce((s, r) => s + r.raw.length, 0);
    for (const r of parsed) if (r.informational) this.interim.push(r);
    return interim ? parsed : parsed.filter((r) => !r.informational);
  }

  /** One final response. */
  async response(opts = {}) {
    const [r] = await this.responses(1, opts);
    return r;
  }

  /** Resolves when the server has closed the connection; rejects after
   *  timeoutMs. */
  waitClosed({ timeoutMs = 5000 } = {}) {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        resolve(this);
        return;
      }
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`connection still open after ${timeoutMs} ms; received: ${JSON.stringify(preview(this.data, 2000))}`));
      }, timeoutMs);
      const check = () => {
        if (this.closed) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve(this);
        }
      };
      this.waiters.add(check);
    });
  }

  /** Closes our side at once. */
  destroy() {
    this.socket.destroy();
  }
}

/**
 * Opens a connection, writes `bytes` in one write, and collects the answer
 * until `expect` final responses have arrived (then closes), or, without
 * `expect`, until the server closes; untilClose: true waits for the close even
 * after `expect` responses. Never rejects on a timeout: resolves with
 * {responses, interim, data, closed, timedOut, error}.
 */
export async function rawRequest(port, bytes, { timeoutMs = 5000, expect, head = [], untilClose = false } = {}) {
  const c = await RawClient.connect(port, { timeoutMs });
  await c.write(bytes);
  let timedOut = false;
  try {
    await c.waitFor(
      () => {
        if (c.closed) return true;
        if (expect === undefined) return false;
        const all = parseResponses(c.data, { head, eof: false });
        const finals = all.filter((r) => !r.informational).length;
        return finals >= expect && !untilClose;
      },
      { timeoutMs, what: 'the answer' },
    );
  } catch (err) {
    if (!/timed out/.test(err.message)) throw err;
    timedOut = true;
  }
  const closed = c.closed;
  c.destroy();
  const all = parseResponses(c.data, { head, eof: closed });
  return {
    responses: all.filter((r) => !r.informational),
    interim: all.filter((r) => r.informational),
    data: c.data,
    closed,
    timedOut,
    error: c.error,
  };
}

/**
 * One request on a fresh connection (Connection: close unless the headers say
 * otherwise); resolves with the final response, whose `closed` property says
 * whether the server closed the connection afterwards. Rejects when no
 * complete response arrives.
 */
export async function request(port, { method = 'GET', path: target = '/', headers = {}, body, timeoutMs = 5000 } = {}) {
  const list = Array.isArray(headers) ? headers.slice() : Object.entries(headers);
  if (!list.some(([k]) => k.toLowerCase() === 'connection')) list.push(['Connection', 'close']);
  const bytes = buildRequest({ method, path: target, headers: list, body });
  const r = await rawRequest(port, bytes, { timeoutMs, expect: 1, head: method === 'HEAD' ? [0] : [] });
  if (r.responses.length === 0) {
    throw new Error(
      `no response to ${method} ${target} (closed=${r.closed} timedOut=${r.timedOut} error=${r.error?.code}); ` +
        `received: ${JSON.stringify(preview(r.data, 2000))}`,
    );
  }
  const res = r.responses[0];
  res.closed = r.closed;
  res.interim = r.interim;
  return res;
}

// ---------------------------------------------------------------------------
// Assertions shared by the test files

/** The four security headers of API.md, with their exact values. */
export function assertSecurityHeaders(res, what = `${res.status} response`) {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    assert.equal(res.headers[name], value, `${what}: header ${name}`);
  }
}

/** A single, valid X-Request-Id; returns it. */
export function assertRequestId(res, what = `${res.status} response`) {
  const ids = res.headerList.filter(([k]) => k.toLowerCase() === 'x-request-id');
  assert.equal(ids.length, 1, `${what}: exactly one X-Request-Id header, got ${JSON.stringify(ids)}`);
  assert.match(ids[0][1], REQUEST_ID_RE, `${what}: X-Request-Id format`);
  return ids[0][1];
}

/** API.md's error shape with the given code (any string code when null). */
export function assertErrorShape(res, code, what = `${res.status} response`) {
  assert.match(res.headers['content-type'] ?? '', /^application\/json\b/i, `${what}: Content-Type`);
  const body = json(res);
  assert.equal(typeof body, 'object', `${what}: body is an object`);
  assert.ok(body.error && typeof body.error === 'object', `${what}: body has an "error" object: ${res.body}`);
  if (code === null || code === undefined) {
    assert.equal(typeof body.error.code, 'string', `${what}: error.code is a string`);
    assert.ok(body.error.code.length > 0, `${what}: error.code is not empty`);
  } else {
    assert.equal(body.error.code, code, `${what}: error.code`);
  }
  assert.equal(typeof body.error.message, 'string', `${what}: error.message is a string`);
  assert.ok(body.error.message.length > 0, `${what}: error.message is not empty`);
  return body;
}

/** The headers whose names start with Access-Control-. */
export function corsHeaders(res) {
  return Object.fromEntries(Object.entries(res.headers).filter(([k]) => k.startsWith('access-control-')));
}

// ---------------------------------------------------------------------------
// Fixtures

/**
 * For a describe() block: starts one server before its tests and stops it
 * after them, failing the block on an unclean exit. Returns an object whose
 * `server` property is set once started.
 */
export function serverFixture(opts = {}) {
  const fx = { server: null };
  before(async () => {
    fx.server = await startServer(opts);
  });
  after(async () => {
    if (fx.server) assertCleanExit(await fx.server.stop());
  });
  return fx;
}

/** Starts a server for one test; the test fails unless it exits cleanly when
 *  stopped at the test's end (or earlier by the test itself). */
export async function startServerFor(t, opts = {}) {
  const server = await startServer(opts);
  t.after(async () => {
    assertCleanExit(await server.stop());
  });
  return server;
}
