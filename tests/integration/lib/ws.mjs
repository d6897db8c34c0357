// A WebSocket client for the tests, written against RFC 6455 over a raw
// socket (Node 20 has no WebSocket client, and the tests need frames no
// well-behaved library sends: oversized, fragmented, invalid UTF-8, unmasked,
// a client that never answers pings or never reads).
//
//   const ws = await WsClient.connect(port, { token });      // 101 or throws
//   const hello = await ws.next('hello');                    // the next frame of that type
//   ws.sendJson({ type: 'ping' });
//   ws.sendFrame({ opcode: 1, payload, fin, mask });          // anything at all
//   const { code } = await ws.closed();                       // the close frame's code
//
// Every wait is bounded (timeoutMs). Text frames are parsed as JSON into
// ws.messages; control frames are recorded in ws.controls.

import crypto from 'node:crypto';
import net from 'node:net';

export const OP = Object.freeze({ CONT: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 });

/** Encodes one frame (client frames are masked unless mask is false). */
export function encodeFrame({ opcode = OP.TEXT, payload = Buffer.alloc(0), fin = true, mask = true, rsv = 0 }) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const len = data.length;
  let header;
  if (len < 126) {
    header = Buffer.alloc(2);
    header[1] = len;
  } else if (len < 65536) {
    header = Buffer.alloc(4);
    header[1] = 126;
    header.writeUInt16BE(len, 2);
  } else {
    header = Buffer.alloc(10);
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(len), 2);
  }
  header[0] = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
  if (!mask) return Buffer.concat([header, data]);
  header[1] |= 0x80;
  const key = crypto.randomBytes(4);
  const masked = Buffer.alloc(len);
  for (let i = 0; i < len; i++) masked[i] = data[i] ^ key[i & 3];
  return Buffer.concat([header, key, masked]);
}

/** The upgrade request's bytes. */
export function upgradeRequest({ path = '/ws', token, headers = {}, key = crypto.randomBytes(16).toString('base64') } = {}) {
  const target = token !== undefined ? `${path}?access_token=${encodeURIComponent(token)}` : path;
  const h = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': key,
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  let text = `GET ${target} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(h)) if (v !== null && v !== undefined) text += `${k}: ${v}\r\n`;
  return { bytes: Buffer.from(`${text}\r\n`, 'latin1'), key };
}

/** The Sec-WebSocket-Accept for a key. */
export function acceptFor(key) {
  return crypto.createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
}

export class WsClient {
  /** Opens a connection and upgrades it. Resolves with the client once the
   *  101 arrived; rejects with an Error carrying .status and .response (the
   *  raw answer) otherwise. */
  static connect(port, { token, headers, path, timeoutMs = 5000, localAddress, after } = {}) {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1', localAddress });
      socket.setNoDelay(true);
      const { bytes, key } = upgradeRequest({ path, token, headers });
      let buf = Buffer.alloc(0);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no upgrade answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const onData = (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        const lines = head.split('\r\n');
        const status = Number(lines[0].split(' ')[1]);
        const resHeaders = {};
        for (const line of lines.slice(1)) {
          const i = line.indexOf(':');
          resHeaders[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
        }
        if (status !== 101) {
          // Collect the rest of the answer (Content-Length) for the error.
          const len = Number(resHeaders['content-length'] ?? 0);
          if (buf.length < end + 4 + len) return;
          clearTimeout(timer);
          socket.removeListener('data', onData);
          socket.destroy();
          const err = new Error(`upgrade refused: ${status}`);
          err.status = status;
          err.headers = resHeaders;
          err.body = buf.subarray(end + 4, end + 4 + len).toString('utf8');
          reject(err);
          return;
        }
        clearTimeout(timer);
        socket.removeListener('data', onData);
        const ws = new WsClient(socket, resHeaders, key);
        ws.feed(buf.subarray(end + 4));
        resolve(ws);
      };
      socket.on('data', onData);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once('connect', () => {
        socket.write(bytes);
        if (after) socket.write(after);
      });
    });
  }

  constructor(socket, headers, key) {
    this.socket = socket;
    this.headers = headers;
    this.key = key;
    this.buf = Buffer.alloc(0);
    this.messages = []; // parsed text frames, in order
    this.texts = []; // raw text payloads
    this.controls = []; // {opcode, payload}
    this.closeFrame = null; // {code, reason}
    this.ended = false;
    this.autoPong = true;
    this.waiters = new Set();
    this.fragments = null;
    socket.on('data', (chunk) => this.feed(chunk));
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  feed(chunk) {
    if (chunk.length) this.buf = Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.buf.length < 2) break;
      const b0 = this.buf[0];
      const b1 = this.buf[1];
      let len = b1 & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) break;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) break;
        len = Number(this.buf.readBigUInt64BE(2));
        off = 10;
      }
      if (b1 & 0x80) throw new Error('the server masked a frame');
      if (this.buf.length < off + len) break;
      const payload = this.buf.subarray(off, off + len);
      this.buf = this.buf.subarray(off + len);
      this.onFrame(b0 & 0x0f, (b0 & 0x80) !== 0, Buffer.from(payload));
    }
    this.wake();
  }

  onFrame(opcode, fin, payload) {
    if (opcode === OP.CLOSE) {
      this.closeFrame = {
        code: payload.length >= 2 ? payload.readUInt16BE(0) : null,
        reason: payload.subarray(2).toString('utf8'),
      };
      return;
    }
    if (opcode === OP.PING || opcode === OP.PONG) {
      this.controls.push({ opcode, payload });
      if (opcode === OP.PING && this.autoPong && !this.ended) this.sendFrame({ opcode: OP.PONG, payload });
      return;
    }
    if (opcode !== OP.CONT) this.fragments = { opcode, parts: [] };
    this.fragments.parts.push(payload);
    if (!fin) return;
    const whole = Buffer.concat(this.fragments.parts);
    this.fragments = null;
    const text = whole.toString('utf8');
    this.texts.push(text);
    try {
      this.messages.push(JSON.parse(text));
    } catch {
      this.messages.push({ type: '(not json)', text });
    }
  }

  wake() {
    for (const w of [...this.waiters]) w();
  }

  /** Waits (bounded) until pred() is truthy; returns its value. */
  waitFor(pred, { timeoutMs = 5000, what = 'condition' } = {}) {
    return new Promise((resolve, reject) => {
      const check = () => {
        let v;
        try {
          v = pred();
        } catch (err) {
          cleanup();
          reject(err);
          return;
        }
        if (v) {
          cleanup();
          resolve(v);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; frames: ${JSON.stringify(this.messages).slice(0, 800)}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** The next not-yet-taken frame of this type (or matching pred). */
  next(type, { timeoutMs = 5000, where = () => true } = {}) {
    this.taken ??= new Set();
    return this.waitFor(
      () => {
        for (let i = 0; i < this.messages.length; i++) {
          const m = this.messages[i];
          if (!this.taken.has(i) && m.type === type && where(m)) {
            this.taken.add(i);
            return m;
          }
        }
        return null;
      },
      { timeoutMs, what: `a "${type}" frame` },
    );
  }

  /** Frames of a type received so far. */
  all(type) {
    return this.messages.filter((m) => m.type === type);
  }

  sendFrame(frame) {
    if (!this.socket.destroyed) this.socket.write(encodeFrame(frame));
  }

  sendText(text) {
    this.sendFrame({ opcode: OP.TEXT, payload: Buffer.from(text, 'utf8') });
  }

  sendJson(obj) {
    this.sendText(JSON.stringify(obj));
  }

  /** Sends a close frame (code, reason). */
  close(code = 1000, reason = '') {
    const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
    payload.writeUInt16BE(code, 0);
    payload.write(reason, 2);
    this.sendFrame({ opcode: OP.CLOSE, payload });
  }

  /** Resolves with {code, reason} of the server's close frame (null code
   *  when the TCP connection ended without one) once the socket ended. */
  async closed({ timeoutMs = 5000 } = {}) {
    await this.waitFor(() => this.ended, { timeoutMs, what: 'the connection to end' });
    return this.closeFrame ?? { code: null, reason: '' };
  }

  destroy() {
    this.socket.destroy();
  }
}
