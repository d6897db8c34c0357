#!/usr/bin/env node
// The first render of the home page on emulated mobile links (issue 14):
// scripts/bench web3g runs this under scripts/test-services (a throwaway
// PostgreSQL). It starts the release server serving the built app (web/dist)
// on a fresh database with 8 featured ads, each with a photo (the e2e
// harness's startApp, newAdmin, feature), opens the home page in Debian's
// chromium at phone size (360×740) with the DevTools protocol's
// Network.emulateNetworkConditions at DevTools' presets, and prints for each
// profile, cold (a fresh browser context: empty cache, no open connection)
// and warm (a second visit in the same context), the median and max over N
// runs of:
//   - FCP: first-contentful-paint (Paint Timing);
//   - featured: the first card of "Avisos destacados"
//     (section[aria-labelledby=h-featured] ul.cards > li) in the DOM, from
//     navigation start (a MutationObserver injected before the page's scripts);
//   - DCL: domContentLoadedEventEnd (Navigation Timing);
//   - bytes: what crossed the emulated link until the featured cards showed
//     (Network.loadingFinished's encodedDataLength: headers and bodies), and
//     in all once the network was idle (the thumbnails included);
// and, as the link's floor, the time to fetch the same number of bytes as
// one raw file over the same emulated link (one request from a blank page of
// a node server on 127.0.0.1), and featured / floor.
//
// DevTools' presets (front_end/core/sdk/NetworkManager.ts since June 2024,
// crbug.com/342406608; bytes/s and ms as the protocol takes them):
//   "3G" (called "Slow 3G" before): 500 kbit/s × 0.8 = 400 kbit/s down and up, latency 400 × 5 = 2000 ms
//   "Slow 4G" (called "Fast 3G" before; Lighthouse's mobile throttling): 1.6 Mbit/s × 0.9 down,
//       750 kbit/s × 0.9 up, latency 150 × 3.75 = 562.5 ms
//   "Fast 4G": 9 Mbit/s × 0.9 down, 1.5 Mbit/s × 0.9 up, latency 60 × 2.75 = 165 ms
// Chromium applies the latency once per request (not per round trip) and
// shapes the bytes of each; the CPU is not slowed.
//
// Environment: BENCH_WEB_RUNS (5), BENCH_WEB_PROFILES (3g,slow4g,fast4g).
// Bounded: every wait has a timeout (60 s a visit), the runs are counted, and
// only 127.0.0.1 is spoken to.

import http from 'node:http';
import { performance } from 'node:perf_hooks';

import { feature, launchBrowser, newAd, newAdmin, startApp, PHONE } from '../tests/e2e/lib/browser.mjs';
import { encodePng } from '../tests/e2e/lib/png.mjs';

const PROFILES = {
  '3g': { name: '3G (ex "Slow 3G")', latency: 400 * 5, downloadThroughput: ((500 * 1000) / 8) * 0.8, uploadThroughput: ((500 * 1000) / 8) * 0.8 },
  slow4g: { name: 'Slow 4G (ex "Fast 3G")', latency: 150 * 3.75, downloadThroughput: ((1.6 * 1000 * 1000) / 8) * 0.9, uploadThroughput: ((750 * 1000) / 8) * 0.9 },
  fast4g: { name: 'Fast 4G', latency: 60 * 2.75, downloadThroughput: ((9 * 1000 * 1000) / 8) * 0.9, uploadThroughput: ((1.5 * 1000 * 1000) / 8) * 0.9 },
};
const RUNS = Math.max(1, Math.min(20, Number(process.env.BENCH_WEB_RUNS || 5)));
const WANTED = (process.env.BENCH_WEB_PROFILES || '3g,slow4g,fast4g').split(',').filter((p) => PROFILES[p]);
const VISIT_MS = 60000;
const FEATURED = 'section[aria-labelledby="h-featured"] ul.cards > li';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const max = (xs) => Math.max(...xs);

/** A photo a phone could send: 800×600 with some texture (the server keeps
 *  it as JPEG and makes the WebP thumbnail the cards show). */
function photo(seed) {
  return encodePng(800, 600, (x, y) => {
    const n = (x * 7919 + y * 104729 + seed * 31337) % 251;
    return [(x / 4 + seed * 40 + n / 8) & 255, (y / 3 + n / 6) & 255, (90 + ((x + y) % 64) + n / 10) & 255];
  });
}

async function seed(app) {
  const admin = await newAdmin(app);
  const seller = await app.client.newUser({ name: 'Estancia La Aurora', province: 'Buenos Aires' }, 'bench');
  const titles = [
    'Tractor John Deere 6110J 2015 doble tracción',
    'Cosechadora Claas Lexion 570 con cabezal',
    'Sembradora Agrometal MX 33 de grano grueso',
    '40 vaquillonas Aberdeen Angus preñadas',
    'Campo mixto 350 ha en Pehuajó',
    'Pulverizadora Pla MAP 3 autopropulsada',
    'Rollos de alfalfa de primer corte',
    'Camioneta Toyota Hilux 4x4 2019',
  ];
  for (const [i, title] of titles.entries()) {
    const ad = await newAd(app, seller.access, { title });
    const res = await fetch(`${app.url}/api/ads/${ad.id}/images`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${seller.access}`, 'Content-Type': 'image/png' },
      body: photo(i),
      signal: AbortSignal.timeout(30000),
    });
    if (res.status !== 201) throw new Error(`photo of ad ${ad.id}: ${res.status} ${await res.text()}`);
    await feature(app, admin.access, ad.id);
  }
}

/** A node server on 127.0.0.1 for the floor: a blank page and /raw?n=BYTES
 *  (incompressible bytes, no content coding, not cached). */
function rawServer() {
  const blob = Buffer.alloc(4 * 1024 * 1024);
  for (let i = 0; i < blob.length; i++) blob[i] = (i * 2654435761) >>> 24;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/raw') {
      const n = Math.min(blob.length, Number(url.searchParams.get('n')) || 0);
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': n, 'Cache-Control': 'no-store' });
      res.end(blob.subarray(0, n));
    } else {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><title>floor</title>');
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function throttle(cdp, p) {
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: p.latency,
    downloadThroughput: p.downloadThroughput,
    uploadThroughput: p.uploadThroughput,
  });
}

/** One visit of the home page in page (throttled by cdp); resolves with the figures. */
async function visit(page, cdp, url) {
  let bytes = 0;
  let bytesAtFeatured = null;
  const onFinished = (e) => {
    bytes += e.encodedDataLength;
  };
  cdp.on('Network.loadingFinished', onFinished);
  try {
    await page.goto(url, { waitUntil: 'commit', timeout: VISIT_MS });
    await page.waitForFunction(() => window.__featuredAt !== undefined, null, { timeout: VISIT_MS, polling: 50 });
    bytesAtFeatured = bytes;
    await page.waitForLoadState('networkidle', { timeout: VISIT_MS });
    const t = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const fcp = performance.getEntriesByName('first-contentful-paint')[0];
      return { fcp: fcp ? fcp.startTime : NaN, dcl: nav.domContentLoadedEventEnd, featured: window.__featuredAt, cards: document.querySelectorAll('section[aria-labelledby="h-featured"] ul.cards > li').length };
    });
    if (t.cards !== 8) throw new Error(`${t.cards} featured cards, not 8`);
    return { ...t, bytesAtFeatured, bytes };
  } finally {
    cdp.off('Network.loadingFinished', onFinished);
  }
}

/** The floor: `bytes` fetched as one raw file over the same emulated link. */
async function floor(browser, raw, p, bytes) {
  const { name, ...options } = PHONE;
  const ctx = await browser.newContext(options);
  try {
    const page = await ctx.newPage();
    await page.goto(`http://127.0.0.1:${raw.address().port}/`, { timeout: VISIT_MS });
    const cdp = await ctx.newCDPSession(page);
    await throttle(cdp, p);
    return await page.evaluate(async (n) => {
      const t0 = performance.now();
      const r = await fetch(`/raw?n=${n}`, { cache: 'no-store' });
      await r.arrayBuffer();
      return performance.now() - t0;
    }, Math.round(bytes));
  } finally {
    await ctx.close();
  }
}

const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
const kb = (b) => `${(b / 1024).toFixed(1)} KiB`;

async function main() {
  const started = performance.now();
  const app = await startApp();
  const browser = await launchBrowser();
  const raw = await rawServer();
  try {
    await seed(app);
    console.log(`bench web3g: ${RUNS} runs per profile, phone 360×740, home page with 8 featured ads (a photo each), release server + web/dist`);
    for (const key of WANTED) {
      const p = PROFILES[key];
      const cold = [];
      const warm = [];
      for (let i = 0; i < RUNS; i++) {
        const { name, ...options } = PHONE;
        const ctx = await browser.newContext({ ...options, locale: 'es-AR' });
        try {
          await ctx.addInitScript((sel) => {
            const check = () => {
              if (window.__featuredAt === undefined && document.querySelector(sel)) window.__featuredAt = performance.now();
            };
            new MutationObserver(check).observe(document, { childList: true, subtree: true });
          }, FEATURED);
          const page = await ctx.newPage();
          const cdp = await ctx.newCDPSession(page);
          await throttle(cdp, p);
          cold.push(await visit(page, cdp, `${app.url}/`));
          warm.push(await visit(page, cdp, `${app.url}/`));
        } finally {
          await ctx.close();
        }
      }
      const floorMs = await floor(browser, raw, p, median(cold.map((r) => r.bytesAtFeatured)));
      const theory = p.latency + (median(cold.map((r) => r.bytesAtFeatured)) / p.downloadThroughput) * 1000;
      console.log(`\n${p.name}: latency ${p.latency} ms, down ${((p.downloadThroughput * 8) / 1000).toFixed(0)} kbit/s, up ${((p.uploadThroughput * 8) / 1000).toFixed(0)} kbit/s`);
      for (const [label, rs] of [['cold', cold], ['warm', warm]]) {
        const line = (what, xs, f) => `${what} ${f(median(xs))} (max ${f(max(xs))})`;
        console.log(
          `  ${label}: ${line('FCP', rs.map((r) => r.fcp), fmt)}, ${line('featured', rs.map((r) => r.featured), fmt)}, ` +
            `${line('DCL', rs.map((r) => r.dcl), fmt)}, ${line('bytes to featured', rs.map((r) => r.bytesAtFeatured), kb)}, ` +
            `${line('bytes in all', rs.map((r) => r.bytes), kb)}`,
        );
      }
      const featuredCold = median(cold.map((r) => r.featured));
      console.log(
        `  floor: the cold bytes to featured (${kb(median(cold.map((r) => r.bytesAtFeatured)))}) as one raw file: ${fmt(floorMs)} ` +
          `(latency + bytes / rate = ${fmt(theory)}); featured cold / floor = ${(featuredCold / floorMs).toFixed(2)}`,
      );
    }
    console.log(`\nbench web3g: ${((performance.now() - started) / 1000).toFixed(0)} s in all`);
  } finally {
    raw.close();
    await browser.close();
    await app.stop();
  }
}

const deadline = setTimeout(() => {
  console.error('bench web3g: over 15 minutes, stopping');
  process.exit(1);
}, 15 * 60 * 1000);
deadline.unref();
main().catch((err) => {
  console.error(`bench web3g: ${err.stack || err}`);
  process.exitCode = 1;
});
