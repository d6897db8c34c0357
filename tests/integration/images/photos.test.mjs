// Photos (issue 10, API.md "Ads": images): every row of upload, delete and
// serving with every bad input, against the real binary, PostgreSQL and the
// cache. Fixtures are made by the `vips` command and spliced by hand
// (../lib/images.mjs); the served bytes are parsed to check what the server
// says of them: type, dimensions, orientation, and that no metadata block
// (EXIF GPS, XMP, comments, PNG text chunks) survived.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { freshDatabase, psql, value } from '../lib/pg.mjs';
import { assertCleanExit, request } from '../lib/server.mjs';
import { CatalogClient, expectError, expectFields, expectJson, promote, startCatalogServer, uniqueWord } from '../lib/catalog.mjs';
import {
  assertNoMetadata,
  imageSize,
  jpegSegments,
  jpegWithSize,
  noiseImage,
  pngBomb,
  pngChunk,
  pngChunks,
  PNG_SIGNATURE,
  convert,
  webpBomb,
  webpChunks,
  withPhoneMetadata,
  withPngText,
} from '../lib/images.mjs';

const IMAGE_KEYS = ['height', 'id', 'thumbnail_url', 'url', 'width'];
const CACHE_CONTROL = 'public, max-age=31536000, immutable';

let db;
let srv;
let c;
let seller;
let other;
let admin;
const fx = {};

function upload(token, adId, bytes, type) {
  return c.call('POST', `/api/ads/${adId}/images`, { token, raw: bytes, contentType: type, timeoutMs: 60000 });
}

/** Uploads and expects 201 with API.md's shape; returns the answer. */
async function uploadOk(token, adId, bytes, type, what = type) {
  const res = await upload(token, adId, bytes, type);
  const body = expectJson(res, 201, `upload ${what}`);
  assert.deepEqual(Object.keys(body).sort(), IMAGE_KEYS, `${what}: the answer's keys`);
  assert.ok(Number.isSafeInteger(body.id) && body.id > 0);
  assert.equal(body.url, `/api/images/${body.id}`);
  assert.equal(body.thumbnail_url, `/api/images/${body.id}/thumb`);
  assert.equal(res.headers.location, body.url, `${what}: Location`);
  return body;
}

/** GET that must answer 200 with the image's headers; returns the response. */
async function fetchImage(target, headers = {}) {
  const res = await c.call('GET', target, { headers });
  assert.equal(res.status, 200, `GET ${target}: ${res.status} ${res.body.toString('utf8', 0, 200)}`);
  assert.match(res.headers.etag, /^"[0-9a-f]{64}"$/, `${target}: a strong ETag of the sha256`);
  assert.equal(res.headers['cache-control'], CACHE_CONTROL);
  assert.equal(Number(res.headers['content-length']), res.body.length);
  return res;
}

before(async () => {
  db = await freshDatabase('images_photos');
  srv = await startCatalogServer({ store: 'db', databaseUrl: db });
  c = new CatalogClient(srv.port);
  seller = await c.newUser({}, 'photoseller');
  other = await c.newUser({}, 'photoother');
  admin = await c.newUser({}, 'photoadmin');
  await promote(c, db, admin);
  fx.jpeg = await noiseImage(600, 400, 'jpg', { options: 'Q=85' });
  fx.png = await noiseImage(300, 200, 'png');
  fx.webp = await noiseImage(500, 300, 'webp', { options: 'Q=80' });
  fx.wide = await noiseImage(3000, 1000, 'png', { sigma: 2 });
  fx.small = await noiseImage(64, 48, 'jpg');
});

after(async () => {
  if (srv) assertCleanExit(await srv.stop());
});

describe('POST /api/ads/{id}/images: accepted formats', () => {
  for (const [name, type] of [['jpeg', 'image/jpeg'], ['png', 'image/png'], ['webp', 'image/webp']]) {
    it(`${type}: 201, served in its own format with its declared size, a WebP thumbnail at most 400 px wide`, async () => {
      const ad = await c.newAd(seller.access);
      const img = await uploadOk(seller.access, ad.id, fx[name], type);
      const res = await fetchImage(img.url);
      assert.equal(res.headers['content-type'], type);
      assert.deepEqual(imageSize(res.body, type), { width: img.width, height: img.height }, 'declared = real dimensions');
      const src = imageSize(fx[name], type);
      assert.deepEqual({ width: img.width, height: img.height }, src, 'a small image keeps its size');
      const th = await fetchImage(img.thumbnail_url);
      assert.equal(th.headers['content-type'], 'image/webp');
      const ts = imageSize(th.body, 'image/webp');
      assert.ok(ts.width <= 400 && ts.width >= 1, `thumbnail width ${ts.width}`);
      assert.ok(Math.abs(ts.width / ts.height - img.width / img.height) < 0.02, 'the thumbnail keeps the aspect ratio');
      assert.notEqual(res.headers.etag, th.headers.etag);
    });
  }

  it('a 3000 x 1000 PNG is reduced to 2048 px on its long side', async () => {
    const ad = await c.newAd(seller.access);
    const img = await uploadOk(seller.access, ad.id, fx.wide, 'image/png', 'wide png');
    assert.deepEqual([img.width, img.height], [2048, 683]);
    const res = await fetchImage(img.url);
    assert.deepEqual(imageSize(res.body, 'image/png'), { width: 2048, height: 683 });
    assert.deepEqual(imageSize((await fetchImage(img.thumbnail_url)).body, 'image/webp'), { width: 400, height: 133 });
  });

  it('Content-Type parameters and case do not matter', async () => {
    const ad = await c.newAd(seller.access);
    await uploadOk(seller.access, ad.id, fx.small, 'Image/JPEG; charset=binary');
  });
});

describe('privacy: metadata stripped, orientation applied', () => {
  it('a JPEG with EXIF GPS, camera make, XMP and a comment comes back with none of them', async () => {
    const ad = await c.newAd(seller.access);
    const phone = withPhoneMetadata(fx.jpeg);
    assert.ok(jpegSegments(phone).some((s) => s.marker === 0xe1), 'the fixture carries EXIF');
    const img = await uploadOk(seller.access, ad.id, phone, 'image/jpeg', 'phone jpeg');
    assertNoMetadata((await fetchImage(img.url)).body, 'image/jpeg', 'served image');
    assertNoMetadata((await fetchImage(img.thumbnail_url)).body, 'image/webp', 'served thumbnail');
  });

  it('an orientation-6 JPEG of 600 x 400 comes back upright: 400 x 600, without the tag', async () => {
    const ad = await c.newAd(seller.access);
    const img = await uploadOk(seller.access, ad.id, withPhoneMetadata(fx.jpeg, { orientation: 6 }), 'image/jpeg', 'rotated');
    assert.deepEqual([img.width, img.height], [400, 600]);
    const res = await fetchImage(img.url);
    assert.deepEqual(imageSize(res.body, 'image/jpeg'), { width: 400, height: 600 });
    assertNoMetadata(res.body, 'image/jpeg', 'rotated');
    const th = imageSize((await fetchImage(img.thumbnail_url)).body, 'image/webp');
    assert.ok(th.height > th.width, `the thumbnail is upright too: ${th.width} x ${th.height}`);
  });

  it('orientation 8 and 3 turn the right way round too (dimensions)', async () => {
    const ad = await c.newAd(seller.access);
    const eight = await uploadOk(seller.access, ad.id, withPhoneMetadata(fx.jpeg, { orientation: 8 }), 'image/jpeg', 'orientation 8');
    assert.deepEqual([eight.width, eight.height], [400, 600]);
    const three = await uploadOk(seller.access, ad.id, withPhoneMetadata(fx.jpeg, { orientation: 3 }), 'image/jpeg', 'orientation 3');
    assert.deepEqual([three.width, three.height], [600, 400]);
  });

  it('a PNG with tEXt, zTXt, iTXt and eXIf chunks comes back without them', async () => {
    const ad = await c.newAd(seller.access);
    const texty = withPngText(fx.png);
    assert.ok(pngChunks(texty).some((ch) => ch.type === 'tEXt'));
    const img = await uploadOk(seller.access, ad.id, texty, 'image/png', 'png with text');
    const res = await fetchImage(img.url);
    assertNoMetadata(res.body, 'image/png', 'served png');
    assert.deepEqual(imageSize(res.body, 'image/png'), { width: 300, height: 200 });
  });

  it('a WebP carrying EXIF and XMP comes back without them', async () => {
    // vips keeps a JPEG's metadata when it writes a WebP: a WebP with EXIF.
    const withMeta = await convert(withPhoneMetadata(fx.jpeg), 'jpg', 'webp');
    const types = webpChunks(withMeta).map((ch) => ch.type);
    assert.ok(types.includes('EXIF') || types.includes('XMP '), `the fixture carries metadata: ${types}`);
    const ad = await c.newAd(seller.access);
    const img = await uploadOk(seller.access, ad.id, withMeta, 'image/webp', 'webp with exif');
    assertNoMetadata((await fetchImage(img.url)).body, 'image/webp', 'served webp');
  });
});

describe('POST /api/ads/{id}/images: refusals', () => {
  let ad;
  before(async () => {
    ad = await c.newAd(seller.access);
  });

  it('415 when Content-Type is missing, another type, or disagrees with the magic bytes', async () => {
    const gif = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1');
    const cases = [
      [fx.small, undefined, 'no Content-Type'],
      [fx.small, 'application/octet-stream', 'octet-stream'],
      [fx.small, 'image/jpg', 'image/jpg is not a type'],
      [gif, 'image/gif', 'a GIF'],
      [fx.small, 'image/png', 'JPEG bytes declared PNG'],
      [fx.png, 'image/webp', 'PNG bytes declared WebP'],
      [fx.webp, 'image/jpeg', 'WebP bytes declared JPEG'],
      [gif, 'image/jpeg', 'GIF bytes declared JPEG'],
      [Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'image/png', 'SVG declared PNG'],
    ];
    for (const [bytes, type, what] of cases) {
      expectError(await upload(seller.access, ad.id, bytes, type), 415, 'unsupported_media_type', what);
    }
  });

  it('400 validation_failed for an empty, truncated or corrupt image (fields.image says why)', async () => {
    const trunc = fx.jpeg.subarray(0, Math.floor(fx.jpeg.length * 0.6));
    const headerOnly = fx.jpeg.subarray(0, 40);
    const garbage = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(2000, 0x41)]);
    // A PNG whose image data fails its checksum.
    const chunks = pngChunks(fx.png);
    const badIdat = Buffer.concat([
      PNG_SIGNATURE,
      ...chunks.map((ch) => {
        const enc = pngChunk(ch.type, ch.data);
        if (ch.type === 'IDAT') enc[enc.length - 1] ^= 0xff;
        return enc;
      }),
    ]);
    const truncPng = fx.png.subarray(0, Math.floor(fx.png.length / 2));
    const truncWebp = fx.webp.subarray(0, Math.floor(fx.webp.length / 2));
    const cases = [
      [Buffer.alloc(0), 'image/jpeg', 'required', 'empty'],
      [trunc, 'image/jpeg', 'undecodable', 'truncated JPEG'],
      [headerOnly, 'image/jpeg', 'undecodable', 'JPEG header only'],
      [garbage, 'image/jpeg', 'undecodable', 'JPEG magic then garbage'],
      [badIdat, 'image/png', 'undecodable', 'PNG with a bad IDAT checksum'],
      [truncPng, 'image/png', 'undecodable', 'truncated PNG'],
      [truncWebp, 'image/webp', 'undecodable', 'truncated WebP'],
      [Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 ', 'latin1'), 'image/webp', 'undecodable', 'WebP without a frame'],
    ];
    for (const [bytes, type, reason, what] of cases) {
      expectFields(await upload(seller.access, ad.id, bytes, type), { image: reason }, { what });
    }
    assert.equal(Number(await value(db, `SELECT count(*) FROM ad_images WHERE ad_id = ${ad.id}`)), 0, 'nothing stored');
  });

  it('400 too_many_pixels for a header over 40 megapixels, whatever the file size (decompression bombs)', async () => {
    const cases = [
      [pngBomb(100000, 100000), 'image/png', 'PNG declaring 100000 x 100000'],
      [pngBomb(6400, 6400), 'image/png', 'PNG declaring 41 megapixels'],
      [jpegWithSize(fx.small, 65000, 65000), 'image/jpeg', 'JPEG declaring 65000 x 65000'],
      [webpBomb(16000, 16000, fx.webp), 'image/webp', 'WebP declaring a 16000 x 16000 canvas'],
    ];
    for (const [bytes, type, what] of cases) {
      assert.ok(bytes.length < 600 * 1024, `${what} is small (${bytes.length} bytes)`);
      expectFields(await upload(seller.access, ad.id, bytes, type), { image: 'too_many_pixels' }, { what });
    }
  });

  it('a JPEG with a broken Huffman table is refused', async () => {
    const broken = Buffer.from(fx.small);
    const dht = jpegSegments(broken).find((s) => s.marker === 0xc4);
    broken[dht.offset + 4] = 0x5f; // table class 5, id 15: no such table
    expectFields(await upload(seller.access, ad.id, broken, 'image/jpeg'), { image: 'undecodable' }, { what: 'bad DHT' });
  });

  it('413 payload_too_large over 5 MiB, answered before the body is read', async () => {
    const res = await request(srv.port, {
      method: 'POST',
      path: `/api/ads/${ad.id}/images`,
      headers: { Authorization: `Bearer ${seller.access}`, 'Content-Type': 'image/jpeg' },
      body: Buffer.concat([fx.small, Buffer.alloc(5 * 1024 * 1024 + 1 - fx.small.length)]),
      timeoutMs: 20000,
    }).catch((err) => err);
    assert.ok(!(res instanceof Error), `an answer: ${res}`);
    expectError(res, 413, 'payload_too_large');
  });

  it('401 without a token; 404 for an unknown or deleted ad; 403 for another user and for an admin (owner only)', async () => {
    expectError(await upload(undefined, ad.id, fx.small, 'image/jpeg'), 401, 'unauthorized');
    expectError(await upload(seller.access, 999999999, fx.small, 'image/jpeg'), 404, 'not_found', 'unknown ad');
    // A path no route matches has the 1 KiB limit of no route: an image
    // there is 413 before anything else, an empty body 404.
    expectError(await upload(seller.access, '0', Buffer.alloc(0), 'image/jpeg'), 404, 'not_found', 'id 0');
    expectError(await upload(other.access, ad.id, fx.small, 'image/jpeg'), 403, 'forbidden', 'another user');
    expectError(await upload(admin.access, ad.id, fx.small, 'image/jpeg'), 403, 'forbidden', 'an admin');
    const gone = await c.newAd(seller.access);
    assert.equal((await c.deleteAd(seller.access, gone.id)).status, 204);
    expectError(await upload(seller.access, gone.id, fx.small, 'image/jpeg'), 404, 'not_found', 'deleted ad');
    const paused = await c.newAd(seller.access);
    await c.patchOk(seller.access, paused.id, { status: 'paused' });
    expectError(await upload(other.access, paused.id, fx.small, 'image/jpeg'), 404, 'not_found', "another user's paused ad");
    await uploadOk(seller.access, paused.id, fx.small, 'image/jpeg', "the owner's paused ad");
  });

  it('the 11th image is 409 conflict; ten uploads racing for the last two slots store exactly two', async () => {
    const full = await c.newAd(seller.access);
    for (let i = 0; i < 10; i++) await uploadOk(seller.access, full.id, fx.small, 'image/jpeg', `image ${i + 1}`);
    expectError(await upload(seller.access, full.id, fx.small, 'image/jpeg'), 409, 'conflict', '11th');
    const racy = await c.newAd(seller.access);
    for (let i = 0; i < 8; i++) await uploadOk(seller.access, racy.id, fx.small, 'image/jpeg', `racy ${i + 1}`);
    const results = await Promise.all(Array.from({ length: 10 }, () => upload(seller.access, racy.id, fx.small, 'image/jpeg')));
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 201, 409, 409, 409, 409, 409, 409, 409, 409], `racing uploads: ${statuses}`);
    assert.equal(Number(await value(db, `SELECT count(*) FROM ad_images WHERE ad_id = ${racy.id}`)), 10);
    const detail = expectJson(await c.ad(racy.id), 200);
    assert.equal(detail.images.length, 10);
  });
});

describe('the ad shows its images', () => {
  it('detail images in upload order with their sizes; the summary thumbnail is the first one; caches follow every write', async () => {
    const word = uniqueWord('foto');
    const ad = await c.newAd(seller.access, { title: `Tractor ${word} con fotos` });
    // Fill the detail and search caches before the first image.
    assert.deepEqual(expectJson(await c.ad(ad.id), 200).images, []);
    assert.equal(expectJson(await c.search({ q: word }), 200).items[0].thumbnail_url, null);
    const a = await uploadOk(seller.access, ad.id, fx.jpeg, 'image/jpeg', 'first');
    const b = await uploadOk(seller.access, ad.id, fx.png, 'image/png', 'second');
    const d = await uploadOk(seller.access, ad.id, fx.webp, 'image/webp', 'third');
    const entry = (i) => ({ id: i.id, url: i.url, thumbnail_url: i.thumbnail_url, width: i.width, height: i.height });
    let detail = expectJson(await c.ad(ad.id), 200);
    assert.deepEqual(detail.images, [a, b, d].map(entry));
    assert.equal(detail.thumbnail_url, a.thumbnail_url);
    assert.equal(expectJson(await c.search({ q: word }), 200).items[0].thumbnail_url, a.thumbnail_url);
    // Deleting the first: the second becomes the thumbnail, order kept.
    assert.equal((await c.call('DELETE', `/api/ads/${ad.id}/images/${a.id}`, { token: seller.access })).status, 204);
    detail = expectJson(await c.ad(ad.id), 200);
    assert.deepEqual(detail.images.map((i) => i.id), [b.id, d.id]);
    assert.equal(expectJson(await c.search({ q: word }), 200).items[0].thumbnail_url, b.thumbnail_url);
    const e = await uploadOk(seller.access, ad.id, fx.small, 'image/jpeg', 'fourth');
    detail = expectJson(await c.ad(ad.id), 200);
    assert.deepEqual(detail.images.map((i) => i.id), [b.id, d.id, e.id], 'a new image goes last');
    const positions = await value(db, `SELECT string_agg(position::text, ',' ORDER BY position) FROM ad_images WHERE ad_id = ${ad.id}`);
    assert.equal(positions, '0,1,2', 'positions stay dense');
  });
});

describe('DELETE /api/ads/{id}/images/{imageId}', () => {
  it('owner 204; then 404; another ad\'s image 404; another user 403; anonymous 401', async () => {
    const ad = await c.newAd(seller.access);
    const otherAd = await c.newAd(seller.access);
    const img = await uploadOk(seller.access, ad.id, fx.small, 'image/jpeg');
    const del = (token, adId, imageId) => c.call('DELETE', `/api/ads/${adId}/images/${imageId}`, { token });
    expectError(await del(undefined, ad.id, img.id), 401, 'unauthorized');
    expectError(await del(other.access, ad.id, img.id), 403, 'forbidden');
    expectError(await del(admin.access, ad.id, img.id), 403, 'forbidden', 'admins may not (owner only)');
    expectError(await del(seller.access, otherAd.id, img.id), 404, 'not_found', "another ad's image");
    expectError(await del(seller.access, 999999999, img.id), 404, 'not_found', 'unknown ad');
    assert.equal((await del(seller.access, ad.id, img.id)).status, 204);
    expectError(await del(seller.access, ad.id, img.id), 404, 'not_found', 'again');
    expectError(await c.call('GET', img.url), 404, 'not_found', 'the image is gone');
    expectError(await c.call('GET', img.thumbnail_url), 404, 'not_found', 'its thumbnail too');
  });

  it('deleting the ad deletes its images at once: no orphan rows, 404 on their URLs', async () => {
    const ad = await c.newAd(seller.access);
    const imgs = [];
    for (let i = 0; i < 3; i++) imgs.push(await uploadOk(seller.access, ad.id, fx.small, 'image/jpeg'));
    assert.equal((await c.deleteAd(seller.access, ad.id)).status, 204);
    assert.equal(Number(await value(db, `SELECT count(*) FROM ad_images WHERE ad_id = ${ad.id}`)), 0);
    for (const img of imgs) expectError(await c.call('GET', img.url), 404, 'not_found');
    // An admin's deletion, and a status set by SQL, do the same.
    const ad2 = await c.newAd(seller.access);
    await uploadOk(seller.access, ad2.id, fx.small, 'image/jpeg');
    assert.equal((await c.deleteAd(admin.access, ad2.id)).status, 204);
    const ad3 = await c.newAd(seller.access);
    await uploadOk(seller.access, ad3.id, fx.small, 'image/jpeg');
    await psql(db, `UPDATE ads SET status = 'deleted' WHERE id = ${ad3.id}`);
    assert.equal(Number(await value(db, `SELECT count(*) FROM ad_images i JOIN ads a ON a.id = i.ad_id WHERE a.status = 'deleted'`)), 0);
  });
});

describe('GET /api/images/{id} and /thumb', () => {
  let img;
  before(async () => {
    const ad = await c.newAd(seller.access);
    img = await uploadOk(seller.access, ad.id, fx.jpeg, 'image/jpeg');
  });

  it('the ETag is the quoted sha256 of the served bytes', async () => {
    const { createHash } = await import('node:crypto');
    for (const target of [img.url, img.thumbnail_url]) {
      const res = await fetchImage(target);
      assert.equal(res.headers.etag, `"${createHash('sha256').update(res.body).digest('hex')}"`);
    }
  });

  it('304 on If-None-Match: exact, weak, in a list, "*"; 200 with the bytes otherwise', async () => {
    for (const target of [img.url, img.thumbnail_url]) {
      const full = await fetchImage(target);
      const etag = full.headers.etag;
      for (const inm of [etag, `W/${etag}`, `"abc", ${etag}`, `"x",W/${etag} , "y"`, '*', ` ${etag} `]) {
        const res = await c.call('GET', target, { headers: { 'If-None-Match': inm } });
        assert.equal(res.status, 304, `If-None-Match: ${inm}`);
        assert.equal(res.body.length, 0);
        assert.equal(res.headers.etag, etag, '304 carries the ETag');
        assert.equal(res.headers['cache-control'], CACHE_CONTROL);
      }
      for (const inm of ['"0000"', etag.slice(1, -1), `"${etag.slice(1, -2)}"`, `${etag.slice(0, -1)}`, 'W/', '""']) {
        const res = await fetchImage(target, { 'If-None-Match': inm });
        assert.ok(res.body.equals(full.body), `If-None-Match: ${inm} gets the bytes`);
      }
    }
  });

  it('HEAD answers the headers and Content-Length without the bytes', async () => {
    const full = await fetchImage(img.url);
    const res = await c.call('HEAD', img.url);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'image/jpeg');
    assert.equal(Number(res.headers['content-length']), full.body.length);
    assert.equal(res.headers.etag, full.headers.etag);
    assert.equal(res.body.length, 0);
    const h304 = await c.call('HEAD', img.url, { headers: { 'If-None-Match': full.headers.etag } });
    assert.equal(h304.status, 304);
  });

  it('404 for an unknown image, a malformed id; 405 for writes', async () => {
    expectError(await c.call('GET', '/api/images/999999999'), 404, 'not_found');
    expectError(await c.call('GET', '/api/images/999999999/thumb'), 404, 'not_found');
    expectError(await c.call('GET', '/api/images/abc'), 404, 'not_found');
    expectError(await c.call('GET', '/api/images/-1'), 404, 'not_found');
    expectError(await c.call('DELETE', img.url, { token: seller.access }), 405, 'method_not_allowed');
  });

  it('images of a paused ad are still served (public, immutable URLs); a deleted ad\'s are not', async () => {
    const ad = await c.newAd(seller.access);
    const i2 = await uploadOk(seller.access, ad.id, fx.small, 'image/jpeg');
    await c.patchOk(seller.access, ad.id, { status: 'paused' });
    await fetchImage(i2.url);
  });
});
