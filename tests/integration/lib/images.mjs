// Image fixtures and parsers for the photo tests (issue 10): images made by
// the `vips` command (Debian's libvips-tools) in a temporary directory, the
// metadata blocks a phone writes (EXIF with GPS and an orientation tag, XMP,
// a comment; PNG text chunks) spliced in by hand, decompression bombs
// written byte by byte, and parsers that read what the server sends back:
// JPEG markers, PNG chunks, WebP chunks, and each format's real dimensions.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

const run = promisify(execFile);

/** Runs `vips ARGS` where the last argument names the output file inside a
 *  fresh temporary directory ({dir} in args is replaced by it); returns the
 *  output's bytes. */
export async function vips(args, output) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rural24-img-'));
  try {
    const expanded = args.map((a) => a.replaceAll('{dir}', dir));
    await run('vips', expanded, { timeout: 120000 });
    return readFileSync(path.join(dir, output.split('[')[0]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Converts bytes of one format to another with `vips copy` (which keeps
 *  metadata: a JPEG's EXIF ends up in the WebP). outSpec may carry save
 *  options ("webp[Q=80]"). */
export async function convert(bytes, inExt, outSpec) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rural24-img-'));
  try {
    const input = path.join(dir, `in.${inExt}`);
    writeFileSync(input, bytes);
    const [ext, opts] = outSpec.split('[');
    const output = path.join(dir, `out.${ext}`);
    await run('vips', ['copy', input, opts ? `${output}[${opts}` : output], { timeout: 120000 });
    return readFileSync(output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A colour image of noise, width x height, as `format` (jpg, png, webp),
 *  with vips save options (e.g. "Q=80"). sigma sets how noisy (how large the
 *  file) it is. */
export async function noiseImage(width, height, format = 'jpg', { options = '', sigma = 30, blur = 0 } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rural24-img-'));
  try {
    const f = (n) => path.join(dir, n);
    for (const b of ['r', 'g', 'b']) {
      await run('vips', ['gaussnoise', f(`${b}.v`), String(width), String(height), '--mean', '128', '--sigma', String(sigma)]);
    }
    await run('vips', ['bandjoin', `${f('r.v')} ${f('g.v')} ${f('b.v')}`, f('rgb.v')]);
    // gaussnoise makes floats: 8-bit sRGB, or the savers flatten it.
    await run('vips', ['cast', f('rgb.v'), f('u.v'), 'uchar']);
    await run('vips', ['copy', f('u.v'), f('srgb.v'), '--interpretation', 'srgb']);
    let src = f('srgb.v');
    if (blur > 0) {
      await run('vips', ['gaussblur', src, f('blur.v'), String(blur)]);
      src = f('blur.v');
    }
    const out = f(`out.${format}`);
    await run('vips', ['copy', src, `${out}${options ? `[${options}]` : ''}`], { timeout: 120000 });
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
// JPEG

/** The segments of a JPEG up to its first scan: [{marker, offset, data}]. */
export function jpegSegments(buf) {
  assert.ok(buf[0] === 0xff && buf[1] === 0xd8, 'JPEG starts with SOI');
  const segs = [];
  let p = 2;
  while (p < buf.length) {
    assert.equal(buf[p], 0xff, `a marker at ${p}`);
    while (buf[p] === 0xff) p++;
    const marker = buf[p++];
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    const len = buf.readUInt16BE(p);
    segs.push({ marker, offset: p - 2, data: buf.subarray(p + 2, p + len) });
    if (marker === 0xda) break;
    p += len;
  }
  return segs;
}

/** The frame dimensions of a JPEG. */
export function jpegSize(buf) {
  const sof = jpegSegments(buf).find((s) => s.marker >= 0xc0 && s.marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(s.marker));
  assert.ok(sof, 'the JPEG has a frame header');
  return { width: sof.data.readUInt16BE(3), height: sof.data.readUInt16BE(1) };
}

/** An EXIF block (TIFF, little-endian) with the camera's make, an
 *  orientation tag and a GPS position (34°36'S 58°22'W). */
export function exifTiff({ orientation = 1, make = 'CampoCam Rural24 serial 8813' } = {}) {
  const makeBytes = Buffer.from(`${make}\0`, 'latin1');
  const ifd0 = 8;
  const ifd0Size = 2 + 3 * 12 + 4;
  const makeOff = ifd0 + ifd0Size;
  const gpsOff = makeOff + makeBytes.length + (makeBytes.length % 2);
  const gpsSize = 2 + 4 * 12 + 4;
  const latOff = gpsOff + gpsSize;
  const lonOff = latOff + 24;
  const t = Buffer.alloc(lonOff + 24);
  t.write('II', 0, 'latin1');
  t.writeUInt16LE(42, 2);
  t.writeUInt32LE(ifd0, 4);
  const entry = (at, tag, type, count, value) => {
    t.writeUInt16LE(tag, at);
    t.writeUInt16LE(type, at + 2);
    t.writeUInt32LE(count, at + 4);
    if (type === 3 && count === 1) t.writeUInt16LE(value, at + 8);
    else t.writeUInt32LE(value, at + 8);
  };
  t.writeUInt16LE(3, ifd0);
  entry(ifd0 + 2, 0x010f, 2, makeBytes.length, makeOff); // Make
  entry(ifd0 + 14, 0x0112, 3, 1, orientation); // Orientation
  entry(ifd0 + 26, 0x8825, 4, 1, gpsOff); // GPSInfo
  t.writeUInt32LE(0, ifd0 + 38);
  makeBytes.copy(t, makeOff);
  t.writeUInt16LE(4, gpsOff);
  const inline = (at, tag, text) => {
    t.writeUInt16LE(tag, at);
    t.writeUInt16LE(2, at + 2);
    t.writeUInt32LE(2, at + 4);
    t.write(`${text}\0`, at + 8, 'latin1');
  };
  inline(gpsOff + 2, 0x0001, 'S');
  entry(gpsOff + 14, 0x0002, 5, 3, latOff);
  inline(gpsOff + 26, 0x0003, 'W');
  entry(gpsOff + 38, 0x0004, 5, 3, lonOff);
  t.writeUInt32LE(0, gpsOff + 50);
  const rationals = (at, values) => values.forEach(([n, d], i) => {
    t.writeUInt32LE(n, at + 8 * i);
    t.writeUInt32LE(d, at + 8 * i + 4);
  });
  rationals(latOff, [[34, 1], [36, 1], [1234, 100]]);
  rationals(lonOff, [[58, 1], [22, 1], [5678, 100]]);
  return t;
}

function segment(marker, payload) {
  const head = Buffer.alloc(4);
  head[0] = 0xff;
  head[1] = marker;
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

export const XMP_NS = 'http://ns.adobe.com/xap/1.0/\0';
const XMP_PACKET =
  '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
  '<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="34,36.2S" exif:GPSLongitude="58,22.9W"/>' +
  '</rdf:RDF></x:xmpmeta>';

/** A JPEG with an EXIF block (orientation, GPS, camera make), an XMP packet
 *  with the GPS position and a comment, spliced in after its JFIF header. */
export function withPhoneMetadata(jpeg, { orientation = 1 } = {}) {
  const segs = jpegSegments(jpeg);
  const at = segs[0].marker === 0xe0 ? segs[0].offset + 4 + segs[0].data.length : 2;
  const blocks = [
    segment(0xe1, Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), exifTiff({ orientation })])),
    segment(0xe1, Buffer.from(XMP_NS + XMP_PACKET, 'latin1')),
    segment(0xfe, Buffer.from('Estancia La Esperanza, lote 7, -34.6037 -58.3816', 'latin1')),
  ];
  return Buffer.concat([jpeg.subarray(0, at), ...blocks, jpeg.subarray(at)]);
}

/** Overwrites a JPEG's frame dimensions (a header that lies). */
export function jpegWithSize(jpeg, width, height) {
  const out = Buffer.from(jpeg);
  const sof = jpegSegments(out).find((s) => s.marker === 0xc0 || s.marker === 0xc2);
  out.writeUInt16BE(height, sof.offset + 5);
  out.writeUInt16BE(width, sof.offset + 7);
  return out;
}

// ---------------------------------------------------------------------------
// PNG

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function pngChunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** The chunks of a PNG: [{type, data}]. */
export function pngChunks(buf) {
  assert.ok(buf.subarray(0, 8).equals(PNG_SIGNATURE), 'PNG signature');
  const chunks = [];
  for (let p = 8; p + 8 <= buf.length; ) {
    const len = buf.readUInt32BE(p);
    const type = buf.toString('latin1', p + 4, p + 8);
    chunks.push({ type, data: buf.subarray(p + 8, p + 8 + len) });
    p += 12 + len;
    if (type === 'IEND') break;
  }
  return chunks;
}

export function pngSize(buf) {
  const ihdr = pngChunks(buf)[0];
  assert.equal(ihdr.type, 'IHDR');
  return { width: ihdr.data.readUInt32BE(0), height: ihdr.data.readUInt32BE(4) };
}

/** A PNG with tEXt, zTXt and iTXt chunks (a GPS position, an author) and an
 *  eXIf chunk, spliced in after IHDR. */
export function withPngText(png) {
  const ihdrEnd = 8 + 12 + 13;
  const text = [
    pngChunk('tEXt', Buffer.from('Comment\0Estancia La Esperanza -34.6037 -58.3816', 'latin1')),
    pngChunk('zTXt', Buffer.concat([Buffer.from('Author\0\0', 'latin1'), zlib.deflateSync(Buffer.from('Juan Perez, tel 351 555 0101'))])),
    pngChunk('iTXt', Buffer.from('Description\0\0\0es\0\0Lote 7 del campo, GPS -34.6 -58.4', 'utf8')),
    pngChunk('eXIf', exifTiff({ orientation: 1 })),
  ];
  return Buffer.concat([png.subarray(0, ihdrEnd), ...text, png.subarray(ihdrEnd)]);
}

/** A PNG whose header declares width x height (8-bit RGB) with one tiny
 *  compressed row: a decompression bomb when the canvas is huge. */
export function pngBomb(width, height) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(Buffer.alloc(64 * 1024))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---------------------------------------------------------------------------
// WebP

/** The chunks of a WebP after RIFF/WEBP: [{type, data}]. */
export function webpChunks(buf) {
  assert.equal(buf.toString('latin1', 0, 4), 'RIFF');
  assert.equal(buf.toString('latin1', 8, 12), 'WEBP');
  const chunks = [];
  for (let p = 12; p + 8 <= buf.length; ) {
    const type = buf.toString('latin1', p, p + 4);
    const len = buf.readUInt32LE(p + 4);
    chunks.push({ type, data: buf.subarray(p + 8, p + 8 + len) });
    p += 8 + len + (len % 2);
  }
  return chunks;
}

export function webpSize(buf) {
  const first = webpChunks(buf)[0];
  const d = first.data;
  if (first.type === 'VP8 ') return { width: d.readUInt16LE(6) & 0x3fff, height: d.readUInt16LE(8) & 0x3fff };
  if (first.type === 'VP8L') {
    const bits = d.readUInt32LE(1);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  assert.equal(first.type, 'VP8X');
  return { width: d.readUIntLE(4, 3) + 1, height: d.readUIntLE(7, 3) + 1 };
}

/** A WebP whose VP8X header declares a width x height canvas, followed by a
 *  tiny real frame. */
export function webpBomb(width, height, frame) {
  const x = Buffer.alloc(10);
  x.writeUIntLE(width - 1, 4, 3);
  x.writeUIntLE(height - 1, 7, 3);
  const chunk = (type, data) => {
    const h = Buffer.alloc(8);
    h.write(type, 0, 'latin1');
    h.writeUInt32LE(data.length, 4);
    return Buffer.concat([h, data, data.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
  };
  const body = Buffer.concat([Buffer.from('WEBP', 'latin1'), chunk('VP8X', x), ...webpChunks(frame).map((c) => chunk(c.type, c.data))]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0, 'latin1');
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

// ---------------------------------------------------------------------------
// Any of the three

/** The real dimensions of served bytes, by their content type. */
export function imageSize(buf, contentType) {
  if (contentType === 'image/jpeg') return jpegSize(buf);
  if (contentType === 'image/png') return pngSize(buf);
  if (contentType === 'image/webp') return webpSize(buf);
  throw new Error(`unexpected content type ${contentType}`);
}

/** Fails unless served bytes carry no metadata block: JPEG only APP0 (JFIF)
 *  among APPn and no comment; PNG no text, EXIF, ICC or time chunk; WebP no
 *  EXIF, XMP or ICC chunk. Also no trace of the fixtures' strings. */
export function assertNoMetadata(buf, contentType, what) {
  if (contentType === 'image/jpeg') {
    for (const s of jpegSegments(buf)) {
      const isApp = s.marker >= 0xe1 && s.marker <= 0xef;
      assert.ok(!isApp && s.marker !== 0xfe, `${what}: a JPEG APP${s.marker - 0xe0}/COM segment (0x${s.marker.toString(16)}) was served`);
    }
  } else if (contentType === 'image/png') {
    const types = pngChunks(buf).map((c) => c.type);
    for (const t of ['tEXt', 'zTXt', 'iTXt', 'eXIf', 'iCCP', 'tIME']) assert.ok(!types.includes(t), `${what}: PNG chunk ${t} served (${types.join(',')})`);
  } else {
    const types = webpChunks(buf).map((c) => c.type);
    for (const t of ['EXIF', 'XMP ', 'ICCP']) assert.ok(!types.includes(t), `${what}: WebP chunk ${t} served (${types.join(',')})`);
  }
  const text = buf.toString('latin1');
  for (const needle of ['Exif\0', 'CampoCam', 'Estancia', 'GPSLatitude', 'ns.adobe.com', 'Juan Perez']) {
    assert.ok(!text.includes(needle), `${what}: the bytes still contain ${JSON.stringify(needle)}`);
  }
}

/** Peak and current resident memory of a process, in KiB (Linux). */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)[1]);
  return { hwm: field('VmHWM'), rss: field('VmRSS') };
}
