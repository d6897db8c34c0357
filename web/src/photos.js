// Photos for an ad: shrunk in the browser before they leave the phone (a
// rural 3G connection should not push a 6 MB photo), then uploaded one by one
// with a progress bar each (XMLHttpRequest: fetch has no upload progress).
// API.md "Ads": POST /api/ads/{id}/images takes the raw image, at most 5 MiB.
import { accessToken, refresh } from './session.js';
import { t, ts } from './strings.js';

export const MAX_SIDE = 2048; // the server keeps at most this much anyway
export const MAX_BYTES = 5 * 1024 * 1024;
const QUALITIES = [0.85, 0.72, 0.6];

export class PhotoError extends Error {
  constructor(message, status = 0, code = '') {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * Decodes the file (turned upright by its orientation tag), draws it with its
 * long side at most MAX_SIDE on a white background (a transparent PNG does
 * not turn black), and encodes it as JPEG at ~0.85, lower when it would still
 * be over MAX_BYTES. Resolves with { blob, width, height }.
 */
export async function shrink(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    throw new PhotoError(ts.photoErrors.unreadable);
  }
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  try {
    for (const quality of QUALITIES) {
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality));
      if (!blob) break;
      if (blob.size <= MAX_BYTES) return { blob, width, height };
    }
  } finally {
    canvas.width = 0; // let the memory go now, not at the next collection
    canvas.height = 0;
  }
  throw new PhotoError(ts.photoErrors[413], 413);
}

function messageFor(status, code, retryAfter) {
  if (ts.photoErrors[status]) return ts.photoErrors[status];
  if (status === 0) return t.errors.offline;
  if (status === 401) return t.errors.session_ended;
  if (status === 429) return t.errors.rate_limited(retryAfter);
  if (status === 503) return t.errors.unavailable;
  if (status === 404) return t.errors.not_found;
  return t.errors.generic;
}

function post(adId, blob, token, onProgress, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new DOMException('aborted', 'AbortError'));
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/ads/${adId}/images`);
    xhr.setRequestHeader('Content-Type', blob.type || 'image/jpeg');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON: the status says enough */
      }
      if (xhr.status === 201) {
        onProgress(1);
        resolve(data);
        return;
      }
      const code = data?.error?.code ?? '';
      reject(new PhotoError(messageFor(xhr.status, code, xhr.getResponseHeader('Retry-After')), xhr.status, code));
    };
    xhr.onerror = () => reject(new PhotoError(t.errors.offline, 0, 'offline'));
    xhr.onabort = () => reject(new DOMException('aborted', 'AbortError'));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(blob);
  });
}

/** Uploads one shrunk photo; an expired access token is renewed once.
 *  Resolves with the API's image {id,url,thumbnail_url,width,height}. */
export async function upload(adId, blob, { onProgress = () => {}, signal } = {}) {
  let token;
  try {
    token = await accessToken();
  } catch (err) {
    throw new PhotoError(err.message || t.errors.session_ended, err.status ?? 401);
  }
  try {
    return await post(adId, blob, token, onProgress, signal);
  } catch (err) {
    if (err.code !== 'token_expired') throw err;
    await refresh();
    return post(adId, blob, await accessToken(), onProgress, signal);
  }
}
