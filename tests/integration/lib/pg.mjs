// PostgreSQL for the integration tests: the shared cluster that
// scripts/test-services starts for the whole run (RURAL24_TEST_PG_URL), fresh
// databases on it (one or more per test file, so files never see each other's
// data), and private clusters for tests that must stop, restart or replicate
// their own server.
//
// PostgreSQL refuses to run as root: when the tests run as root, initdb,
// pg_ctl and pg_basebackup run as the `postgres` system user (runuser), in
// directories that user owns. Every cluster listens on 127.0.0.1 only, and
// every cluster a test file starts is stopped and deleted when that file's
// process exits, even after a failure.

import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { baseEnv, binPath, freePort, sleep, sanitizerReports } from './server.mjs';

const execFileP = promisify(execFile);

/** The directory of the PostgreSQL 15 server binaries. */
export const pgBin = process.env.RURAL24_TEST_PG_BIN || '/usr/lib/postgresql/15/bin';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** The shared cluster's superuser URL; throws a clear error outside
 *  scripts/test-services. */
export function sharedUrl() {
  const url = process.env.RURAL24_TEST_PG_URL;
  if (!url) {
    throw new Error(
      'RURAL24_TEST_PG_URL is not set: run the database tests through scripts/test-services ' +
        '(make integration does), e.g. scripts/test-services node --test tests/integration/db/',
    );
  }
  return url;
}

/** The URL of another database on the same server as url. */
export function withDatabase(url, database) {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Runs SQL through psql and resolves with its output (unaligned, tuples
 *  only: one line per row, columns separated by |). Rejects on an error. */
export async function psql(url, sql, { timeoutMs = 60000 } = {}) {
  const { stdout } = await execFileP(
    path.join(pgBin, 'psql'),
    ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql],
    { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout.replace(/\n$/, '');
}

/** psql, returning the rows as arrays of column strings. */
export async function rows(url, sql) {
  const out = await psql(url, sql);
  return out === '' ? [] : out.split('\n').map((line) => line.split('|'));
}

/** One value (first column of the first row), or null without rows. */
export async function value(url, sql) {
  const r = await rows(url, sql);
  return r.length ? r[0][0] : null;
}

let dbCounter = 0;

/** A new, empty database on the shared cluster (named after `name`, the
 *  process and a counter); resolves with its URL. */
export async function emptyDatabase(name = 'test') {
  const base = sharedUrl();
  const db = `${name.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${process.pid}_${++dbCounter}`;
  await psql(base, `CREATE DATABASE ${db}`);
  return withDatabase(base, db);
}

/** Runs `rural24 <args>` with DATABASE_URL=url and the test environment
 *  (plus env; an undefined value removes a variable), in cwd (default: the
 *  current directory); resolves with {code, signal, stdout, stderr}, rejects
 *  when a sanitizer (ASan, UBSan, LSan) reported anything. Killed by its PID
 *  after timeoutMs. */
export function rural24(url, args, env = {}, { cwd, timeoutMs = 120000 } = {}) {
  const fullEnv = { ...baseEnv('3000'), DATABASE_URL: url, ...env };
  for (const [k, v] of Object.entries(fullEnv)) if (v === undefined) delete fullEnv[k];
  return new Promise((resolve, reject) => {
    const proc = spawn(binPath, args, { env: fullEnv, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stdout.on('data', (c) => (stdout += c));
    proc.stderr.on('data', (c) => (stderr += c));
    proc.on('error', (err) => (stderr += `\n[harness] spawn error: ${err.message}\n`));
    const timer = setTimeout(() => {
      try {
        process.kill(proc.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeoutMs);
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      const reports = sanitizerReports(stderr);
      if (reports.length) {
        reject(new Error(`rural24 ${args.join(' ')} reported ${reports.join(', ')}:\n${stderr.slice(-6000)}`));
        return;
      }
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A new database on the shared cluster, migrated with `rural24 migrate`;
 *  resolves with its URL. */
export async function freshDatabase(name = 'test') {
  const url = await emptyDatabase(name);
  const r = await rural24(url, ['migrate']);
  if (r.code !== 0) {
    throw new Error(`rural24 migrate failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
  }
  return url;
}

// ---------------------------------------------------------------------------
// Private clusters

const clusters = new Set();

process.on('exit', () => {
  // Last resort for clusters a failed test did not stop: immediate shutdown,
  // synchronously, then delete the directory.
  for (const c of clusters) c.killSync();
});

function asOwner(cmd, args) {
  return isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

async function run(cmd, args, { timeoutMs = 120000 } = {}) {
  const [c, a] = asOwner(cmd, args);
  try {
    return await execFileP(c, a, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    throw new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${err.stderr ?? ''}`);
  }
}

function makeDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  if (isRoot) execFileSync('chown', ['postgres:', dir]);
  return dir;
}

const BASE_CONFIG = [
  "listen_addresses = '127.0.0.1'",
  "shared_preload_libraries = 'pg_stat_statements'",
  'fsync = off',
  'synchronous_commit = off',
  'full_page_writes = off',
  'max_connections = 100',
  'wal_level = replica',
  'max_wal_senders = 5',
  'hot_standby = on',
  'log_min_messages = warning',
];

class Cluster {
  constructor(dir, port) {
    this.dir = dir;
    this.data = path.join(dir, 'data');
    this.log = path.join(dir, 'postgresql.log');
    this.port = port;
    this.running = false;
    clusters.add(this);
  }

  /** Superuser URL of a database on this cluster. */
  url(database = 'postgres') {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async start() {
    await run(path.join(pgBin, 'pg_ctl'), ['-D', this.data, '-l', this.log, '-w', '-t', '60', 'start']);
    this.running = true;
  }

  /** mode: 'fast' (clients are disconnected), 'immediate' (a crash). */
  async stop(mode = 'fast') {
    if (!this.running) return;
    await run(path.join(pgBin, 'pg_ctl'), ['-D', this.data, '-m', mode, '-w', '-t', '60', 'stop']);
    this.running = false;
  }

  async restart() {
    await this.stop();
    await this.start();
  }

  /** The server log so far (for failure messages). */
  logText() {
    try {
      return fs.readFileSync(this.log, 'utf8');
    } catch {
      return '';
    }
  }

  /** Stops (immediate) and deletes the cluster. */
  async destroy() {
    try {
      await this.stop('immediate');
    } catch {
      /* already down */
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
    clusters.delete(this);
  }

  killSync() {
    try {
      const [c, a] = asOwner(path.join(pgBin, 'pg_ctl'), ['-D', this.data, '-m', 'immediate', '-w', 'stop']);
      if (fs.existsSync(path.join(this.data, 'postmaster.pid'))) execFileSync(c, a, { stdio: 'ignore' });
    } catch {
      /* gone */
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  async appendConfig(lines) {
    const conf = path.join(this.data, 'postgresql.conf');
    fs.appendFileSync(conf, `\n# rural24 tests\n${lines.join('\n')}\n`);
  }

  /**
   * A streaming standby of this cluster (pg_basebackup -R), started on its
   * own port; resolves once it accepts connections in recovery.
   */
  async startStandby() {
    const dir = makeDir('rural24-standby-');
    const port = await freePort();
    const standby = new Cluster(dir, port);
    await run(path.join(pgBin, 'pg_basebackup'), [
      '-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres',
      '-D', standby.data, '-X', 'stream', '-R', '-c', 'fast',
    ]);
    await standby.appendConfig([`port = ${port}`, `unix_socket_directories = '${dir}'`]);
    await standby.start();
    const deadline = Date.now() + 30000;
    for (;;) {
      try {
        if ((await value(standby.url(), 'SELECT pg_is_in_recovery()')) === 't') return standby;
      } catch {
        /* not yet */
      }
      if (Date.now() > deadline) throw new Error(`standby did not start:\n${standby.logText()}`);
      await sleep(100);
    }
  }
}

/**
 * Starts a private PostgreSQL 15 cluster (initdb in a temporary directory,
 * the unix socket inside it, 127.0.0.1 on `port` or a free port, fsync off,
 * pg_stat_statements preloaded, trust authentication, replication allowed
 * from 127.0.0.1). With start: false it is only created (for a test that
 * wants the port first and the server later). Returns the Cluster: url(db),
 * port, start(), stop(mode), restart(), startStandby(), destroy().
 */
export async function startPostgres({ port, start = true } = {}) {
  const dir = makeDir('rural24-pg-');
  const cluster = new Cluster(dir, port ?? (await freePort()));
  fs.mkdirSync(cluster.data, { mode: 0o700 });
  if (isRoot) execFileSync('chown', ['postgres:', cluster.data]);
  await run(path.join(pgBin, 'initdb'), [
    '-D', cluster.data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8',
  ]);
  await cluster.appendConfig([...BASE_CONFIG, `port = ${cluster.port}`, `unix_socket_directories = '${dir}'`]);
  fs.appendFileSync(path.join(cluster.data, 'pg_hba.conf'), '\nhost replication all 127.0.0.1/32 trust\n');
  if (start) await cluster.start();
  return cluster;
}

/** Polls fn until it resolves truthy; rejects with `what` after timeoutMs. */
export async function eventually(fn, { timeoutMs = 10000, intervalMs = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    }
    await sleep(intervalMs);
  }
}
