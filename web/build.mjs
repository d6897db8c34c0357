// Builds the web app into web/dist (docs/WEB.md):
//
//   dist/index.html                      no-cache, names the fingerprinted files
//   dist/assets/app.<hash>.js            one ES module bundle (esbuild, minified)
//   dist/assets/app.<hash>.css           one stylesheet (esbuild, minified)
//   dist/assets/favicon.<hash>.svg
//   dist/preload-home.txt                the Link header of the home page's HTML
//                                        (the API answers it asks first, from
//                                        src/home-preload.json; the server reads it)
//   dist/robots.txt ...                  web/public copied as is
//   <file>.br, <file>.gz                 beside every compressible file, when smaller
//
// <hash> is the first 16 hex digits of the sha256 of the file's bytes, the
// form the server recognises as a fingerprint (immutable caching). The build
// is deterministic: the same sources give the same bytes and names. It ends
// by printing the first page's weight (HTML + JS + CSS + icon as a browser
// accepting br receives them) and fails above FIRST_PAGE_LIMIT.
//
// Usage: node web/build.mjs [--out DIR]

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.join(here, 'src');
const publicDir = path.join(here, 'public');
const outArg = process.argv.indexOf('--out');
const out = outArg > 0 ? path.resolve(process.argv[outArg + 1]) : path.join(here, 'dist');

const FIRST_PAGE_LIMIT = 100 * 1000; // API.md: under 100 KB compressed
const COMPRESSIBLE = /\.(html|js|css|svg|json|txt|webmanifest|map)$/;

const hash = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 16);

/** Bundles one entry point in memory; returns its bytes. */
async function bundle(entry) {
  const result = await esbuild.build({
    entryPoints: [path.join(src, entry)],
    bundle: true,
    minify: true,
    format: entry.endsWith('.js') ? 'esm' : undefined,
    target: 'es2020',
    charset: 'utf8',
    legalComments: 'none',
    write: false,
    outdir: out,
    logLevel: 'warning',
  });
  if (result.outputFiles.length !== 1) throw new Error(`${entry}: expected one output file`);
  return Buffer.from(result.outputFiles[0].contents);
}

/** Writes bytes to dist/name and returns name. */
function emit(name, bytes) {
  const file = path.join(out, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, bytes);
  return name;
}

/** assets/<base>.<hash><ext> */
function fingerprinted(base, ext, bytes) {
  return emit(`assets/${base}.${hash(bytes)}${ext}`, bytes);
}

/** Writes .br and .gz beside name when they are smaller; returns the sizes. */
function precompress(name) {
  const bytes = fs.readFileSync(path.join(out, name));
  const sizes = { identity: bytes.length, br: bytes.length, gzip: bytes.length };
  if (!COMPRESSIBLE.test(name)) return sizes;
  const br = zlib.brotliCompressSync(bytes, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  });
  const gz = zlib.gzipSync(bytes, { level: 9 });
  if (br.length < bytes.length) {
    emit(`${name}.br`, br);
    sizes.br = br.length;
  }
  if (gz.length < bytes.length) {
    emit(`${name}.gz`, gz);
    sizes.gzip = gz.length;
  }
  sizes.br = Math.min(sizes.br, sizes.gzip);
  return sizes;
}

function listFiles(dir, rel = '') {
  const files = [];
  for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const name = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...listFiles(dir, name));
    else if (entry.isFile()) files.push(name);
  }
  return files.sort();
}

async function main() {
  const started = Date.now();
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });

  const js = fingerprinted('app', '.js', await bundle('app.js'));
  const css = fingerprinted('app', '.css', await bundle('styles.css'));
  const icon = fingerprinted('favicon', '.svg', fs.readFileSync(path.join(src, 'favicon.svg')));

  // The page: the fingerprinted names put in, the indentation taken out.
  const template = fs.readFileSync(path.join(src, 'index.html'), 'utf8');
  const html = template
    .replace('%APP_JS%', `/${js}`)
    .replace('%APP_CSS%', `/${css}`)
    .replace('%FAVICON%', `/${icon}`)
    .replace(/\n\s+/g, '\n');
  if (/%[A-Z_]+%/.test(html)) throw new Error('index.html: a placeholder was left unfilled');
  if (/<script(?![^>]*\bsrc=)[^>]*>/i.test(html)) throw new Error('index.html: inline script (the CSP forbids it)');
  if (/<style\b|\sstyle=/i.test(html)) throw new Error('index.html: inline style (the CSP forbids it)');
  emit('index.html', html);

  // The home page's first API answers, preloaded from the server's Link
  // header on "/" only (other pages would not use them). crossorigin: fetch()
  // asks in cors mode with same-origin credentials, and a preload is reused
  // only by a request of the same mode.
  const homeRequests = JSON.parse(fs.readFileSync(path.join(src, 'home-preload.json'), 'utf8'));
  const link = Object.values(homeRequests)
    .map((url) => {
      if (!/^\/api\/[\x21-\x7e]*$/.test(url) || /[<>,;]/.test(url)) throw new Error(`home-preload.json: ${url} is not an API path fit for a Link header`);
      return `<${url}>; rel=preload; as=fetch; crossorigin`;
    })
    .join(', ');
  emit('preload-home.txt', `${link}\n`);

  if (fs.existsSync(publicDir)) {
    for (const name of listFiles(publicDir)) emit(name, fs.readFileSync(path.join(publicDir, name)));
  }

  const sizes = {};
  for (const name of listFiles(out)) sizes[name] = precompress(name);

  const firstPage = ['index.html', js, css, icon];
  const row = (name) =>
    `  ${name.padEnd(40)} ${String(sizes[name].identity).padStart(8)} B  br ${String(sizes[name].br).padStart(7)} B  gzip ${String(
      sizes[name].gzip,
    ).padStart(7)} B`;
  console.log(`web: built ${out} in ${Date.now() - started} ms`);
  for (const name of Object.keys(sizes)) console.log(row(name));
  const weight = firstPage.reduce((sum, name) => sum + sizes[name].br, 0);
  const weightGzip = firstPage.reduce((sum, name) => sum + sizes[name].gzip, 0);
  console.log(
    `web: first page (HTML, JS, CSS, icon) ${weight} B with br, ${weightGzip} B with gzip ` +
      `(limit ${FIRST_PAGE_LIMIT} B)`,
  );
  if (weightGzip > FIRST_PAGE_LIMIT) {
    console.error('web: the first page is over its budget');
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(`web: build failed: ${err.message}`);
  process.exit(1);
});
