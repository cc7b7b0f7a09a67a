// dosim's Workers runtime, written in JavaScript on a few host functions (globalThis.__host).
// It runs once per engine (one engine per silo and version), before the Worker's own modules.
(() => {
  'use strict';
  const host = globalThis.__host;
  delete globalThis.__host;

  const notSimulated = (what, instead) => {
    throw new Error(`${what} is not simulated by dosim${instead ? `: ${instead}` : ''}.`);
  };

  // --- text and bytes -------------------------------------------------------------------------
  const utf8Encode = (text) => {
    text = String(text);
    const out = [];
    for (let i = 0; i < text.length; i++) {
      let c = text.charCodeAt(i);
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
        const d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d < 0xe000) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); i++; } else { c = 0xfffd; }
      } else if (c >= 0xd800 && c < 0xe000) { c = 0xfffd; }
      if (c < 0x80) out.push(c);
      else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return new Uint8Array(out);
  };
  const utf8Decode = (bytes) => {
    let out = '';
    for (let i = 0; i < bytes.length;) {
      const b = bytes[i];
      let c, n;
      if (b < 0x80) { c = b; n = 1; }
      else if (b >= 0xc2 && b < 0xe0) { c = b & 31; n = 2; }
      else if (b >= 0xe0 && b < 0xf0) { c = b & 15; n = 3; }
      else if (b >= 0xf0 && b < 0xf5) { c = b & 7; n = 4; }
      else { out += '\ufffd'; i++; continue; }
      if (i + n > bytes.length) { out += '\ufffd'; break; }
      let ok = true;
      for (let k = 1; k < n; k++) { const x = bytes[i + k]; if ((x & 0xc0) !== 0x80) { ok = false; break; } c = (c << 6) | (x & 63); }
      if (!ok || (n === 3 && c < 0x800) || (n === 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c < 0xe000)) { out += '\ufffd'; i++; continue; }
      out += String.fromCodePoint(c);
      i += n;
    }
    return out;
  };
  const latin1ToBytes = (s) => { const b = new Uint8Array(s.length); for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 255; return b; };
  const bytesToLatin1 = (b) => { let s = ''; for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode.apply(null, b.subarray(i, i + 8192)); return s; };
  const toBytes = (v) => {
    if (v instanceof Uint8Array) return v;
    if (v instanceof ArrayBuffer) return new Uint8Array(v);
    if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    return null;
  };

  class TextEncoder {
    get encoding() { return 'utf-8'; }
    encode(text = '') { return utf8Encode(text); }
  }
  class TextDecoder {
    constructor(label = 'utf-8') {
      if (!/^utf-?8$/i.test(String(label))) notSimulated(`TextDecoder for '${label}'`, 'only utf-8 is');
      this._pending = null;
    }
    get encoding() { return 'utf-8'; }
    // With { stream: true }, a character cut between two chunks is kept for the next call.
    decode(input, options = {}) {
      let b = input === undefined ? new Uint8Array(0) : toBytes(input);
      if (!b) throw new TypeError('TextDecoder.decode takes an ArrayBuffer or a view of one.');
      if (this._pending) { const joined = new Uint8Array(this._pending.length + b.length); joined.set(this._pending); joined.set(b, this._pending.length); b = joined; this._pending = null; }
      if (options?.stream) {
        let i = b.length - 1;
        while (i >= 0 && i > b.length - 4 && (b[i] & 0xc0) === 0x80) i--;
        if (i >= 0 && b[i] >= 0xc0) {
          const need = b[i] >= 0xf0 ? 4 : b[i] >= 0xe0 ? 3 : 2;
          if (need > b.length - i) { this._pending = b.slice(i); b = b.subarray(0, i); }
        }
      }
      return utf8Decode(b);
    }
  }

  const b64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const btoa = (s) => {
    s = String(s);
    let out = '';
    for (let i = 0; i < s.length; i += 3) {
      const a = s.charCodeAt(i), b = s.charCodeAt(i + 1), c = s.charCodeAt(i + 2);
      if (a > 255 || b > 255 || c > 255) throw new DOMException('btoa: the string has characters outside Latin1.', 'InvalidCharacterError');
      const n = (a << 16) | ((b || 0) << 8) | (c || 0);
      out += b64[n >> 18] + b64[(n >> 12) & 63] + (i + 1 < s.length ? b64[(n >> 6) & 63] : '=') + (i + 2 < s.length ? b64[n & 63] : '=');
    }
    return out;
  };
  const atob = (s) => {
    s = String(s).replace(/[\t\n\f\r ]/g, '');
    if (s.length % 4 === 0) s = s.replace(/==?$/, '');
    if (s.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(s)) throw new DOMException('atob: the string is not valid base64.', 'InvalidCharacterError');
    let out = '', bits = 0, acc = 0;
    for (const ch of s) { acc = (acc << 6) | b64.indexOf(ch); bits += 6; if (bits >= 8) { bits -= 8; out += String.fromCharCode((acc >> bits) & 255); } }
    return out;
  };

  class DOMException extends Error {
    constructor(message = '', name = 'Error') { super(message); this.name = name; }
  }

  // --- Headers, URL -----------------------------------------------------------------------------
  // Fields the host reads and writes (PreludeObjects.cs builds and reads these objects without
  // running their code): Body's _body (null, a string, a Uint8Array or a ReadableStream) and _used; Request's _url,
  // _method, _headers and _pairs; Response's _status, _statusText, _headers, _pairs and _webSocket;
  // Headers' _map (lower-cased name → list of values). What the host makes has only _body, _url,
  // _method, _status and _pairs (its headers, until the code reads them): the getters read a missing
  // field as its default. Change them here and there together.
  // Names already checked, lower-cased: most Workers use a handful of header names, again and again.
  const headerNames = new Map();
  const headerName = (name) => {
    name = String(name);
    const known = headerNames.get(name);
    if (known !== undefined) return known;
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) throw new TypeError(`Invalid header name '${name}'.`);
    const lower = name.toLowerCase();
    if (headerNames.size < 1000) headerNames.set(name, lower);
    return lower;
  };
  // Values too: a regular expression test costs more than the map lookup, and values repeat.
  const headerValues = new Map();
  const headerValue = (value) => {
    const known = headerValues.get(value);
    if (known !== undefined) return known;
    const v = String(value).trim();
    if (/[\0\r\n]|[^\u0000-\u00ff]/.test(v)) throw new TypeError(`Invalid header value: '${v}' (no NUL, CR, LF or characters above U+00FF).`);
    if (typeof value === 'string' && value.length <= 256 && headerValues.size < 1000) headerValues.set(value, v);
    return v;
  };
  class Headers {
    constructor(init) {
      this._map = new Map();
      if (init instanceof Headers) { init._map.forEach((v, k) => { this._map.set(k, v.slice()); }); }
      else if (Array.isArray(init) || (init && typeof init[Symbol.iterator] === 'function')) { for (const pair of init) { const [k, v] = pair; this.append(k, v); } }
      else if (init && typeof init === 'object') { for (const k of Object.keys(init)) this.append(k, init[k]); }
    }
    append(name, value) { const k = headerName(name); const list = this._map.get(k); const v = headerValue(value); if (list) list.push(v); else this._map.set(k, [v]); }
    set(name, value) { this._map.set(headerName(name), [headerValue(value)]); }
    get(name) { const list = this._map.get(headerName(name)); return list ? list.join(', ') : null; }
    getSetCookie() { return [...(this._map.get('set-cookie') ?? [])]; }
    has(name) { return this._map.has(headerName(name)); }
    delete(name) { this._map.delete(headerName(name)); }
    forEach(fn, thisArg) { for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this); }
    // Indexed loops and forEach: Jint runs the iterator protocol (for…of, spread) far slower.
    _pairs() {
      const keys = [];
      this._map.forEach((_, k) => { keys.push(k); });
      if (keys.length > 1) keys.sort();
      const out = [];
      for (let i = 0; i < keys.length; i++) { const k = keys[i]; const list = this._map.get(k); if (k === 'set-cookie') { for (let j = 0; j < list.length; j++) out.push([k, list[j]]); } else out.push([k, list.length === 1 ? list[0] : list.join(', ')]); }
      return out;
    }
    *entries() { yield* this._pairs(); }
    *keys() { for (const [k] of this.entries()) yield k; }
    *values() { for (const [, v] of this.entries()) yield v; }
    [Symbol.iterator]() { return this.entries(); }
  }

  class URLSearchParams {
    constructor(init = '', onChange = null) {
      this._list = [];
      if (typeof init === 'string') this._parse(init);
      else if (init instanceof URLSearchParams) this._list = init._list.map(p => [...p]);
      else if (Array.isArray(init) || (init && typeof init[Symbol.iterator] === 'function')) { for (const [k, v] of init) this._list.push([String(k), String(v)]); }
      else if (init && typeof init === 'object') { for (const k of Object.keys(init)) this._list.push([k, String(init[k])]); }
      this._onChange = onChange;
    }
    _parse(s) {
      this._list = [];
      s = s.startsWith('?') ? s.slice(1) : s;
      for (const part of s.split('&')) {
        if (!part) continue;
        const i = part.indexOf('=');
        const dec = (x) => { try { return decodeURIComponent(x.replace(/\+/g, ' ')); } catch { return x; } };
        this._list.push(i < 0 ? [dec(part), ''] : [dec(part.slice(0, i)), dec(part.slice(i + 1))]);
      }
    }
    _reset(s) { this._parse(s); }
    _changed() { if (this._onChange) this._onChange(this.toString()); }
    get size() { return this._list.length; }
    append(k, v) { this._list.push([String(k), String(v)]); this._changed(); }
    delete(k) { this._list = this._list.filter(p => p[0] !== String(k)); this._changed(); }
    get(k) { const p = this._list.find(p => p[0] === String(k)); return p ? p[1] : null; }
    getAll(k) { return this._list.filter(p => p[0] === String(k)).map(p => p[1]); }
    has(k) { return this._list.some(p => p[0] === String(k)); }
    set(k, v) { k = String(k); const i = this._list.findIndex(p => p[0] === k); if (i < 0) this._list.push([k, String(v)]); else { this._list[i][1] = String(v); this._list = this._list.filter((p, j) => j <= i || p[0] !== k); } this._changed(); }
    sort() { this._list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)); this._changed(); }
    forEach(fn, thisArg) { for (const [k, v] of this._list) fn.call(thisArg, v, k, this); }
    *entries() { for (const p of this._list) yield [...p]; }
    *keys() { for (const p of this._list) yield p[0]; }
    *values() { for (const p of this._list) yield p[1]; }
    [Symbol.iterator]() { return this.entries(); }
    toString() {
      const enc = (x) => encodeURIComponent(x).replace(/%20/g, '+').replace(/[!'()~]/g, c => '%' + c.charCodeAt(0).toString(16).toUpperCase());
      return this._list.map(([k, v]) => enc(k) + '=' + enc(v)).join('&');
    }
  }

  class URL {
    constructor(url, base) {
      this._parts = host.parseUrl(String(url), base === undefined ? null : String(base));
      // Made when the code first asks for searchParams: most URLs a Worker parses never need it.
      this._params = null;
    }
    static canParse(url, base) { try { new URL(url, base); return true; } catch { return false; } }
    _compose(change) {
      const p = { ...this._parts, ...change };
      const auth = p.username ? p.username + (p.password ? ':' + p.password : '') + '@' : '';
      return `${p.protocol}//${auth}${p.hostname}${p.port ? ':' + p.port : ''}${p.pathname}${p.search}${p.hash}`;
    }
    _set(change) { this._parts = host.parseUrl(this._compose(change), null); if (this._params !== null) this._params._reset(this._parts.search); }
    get href() { return this._parts.href; }
    set href(v) { this._parts = host.parseUrl(String(v), null); if (this._params !== null) this._params._reset(this._parts.search); }
    get origin() { return `${this._parts.protocol}//${this.host}`; }
    get protocol() { return this._parts.protocol; }
    set protocol(v) { v = String(v); this._set({ protocol: v.endsWith(':') ? v : v + ':' }); }
    get username() { return this._parts.username; }
    set username(v) { this._set({ username: encodeURIComponent(String(v)) }); }
    get password() { return this._parts.password; }
    set password(v) { this._set({ password: encodeURIComponent(String(v)) }); }
    get host() { return this._parts.hostname + (this._parts.port ? ':' + this._parts.port : ''); }
    set host(v) { const [h, p] = String(v).split(':'); this._set({ hostname: h, port: p ?? '' }); }
    get hostname() { return this._parts.hostname; }
    set hostname(v) { this._set({ hostname: String(v) }); }
    get port() { return this._parts.port; }
    set port(v) { this._set({ port: String(v) }); }
    get pathname() { return this._parts.pathname; }
    set pathname(v) { v = String(v); this._set({ pathname: v.startsWith('/') ? v : '/' + v }); }
    get search() { return this._parts.search; }
    set search(v) { v = String(v); this._set({ search: v === '' || v === '?' ? '' : (v.startsWith('?') ? v : '?' + v) }); }
    get searchParams() {
      if (this._params === null) this._params = new URLSearchParams(this._parts.search, (s) => { this._parts = host.parseUrl(this._compose({ search: s ? '?' + s : '' }), null); });
      return this._params;
    }
    get hash() { return this._parts.hash; }
    set hash(v) { v = String(v); this._set({ hash: v === '' || v === '#' ? '' : (v.startsWith('#') ? v : '#' + v) }); }
    toString() { return this.href; }
    toJSON() { return this.href; }
  }

  // --- streams ----------------------------------------------------------------------------------
  // ReadableStream, WritableStream and TransformStream as the Streams standard has them (default
  // readers and writers; no BYOB reader), with queues in JavaScript and every step a promise
  // reaction, so they run in the turn of whatever feeds them. A body is sent whole: a response
  // whose body is a stream is sent once its stream closes (dosim does not stream to the client).
  const deferred = () => { let resolve, reject; const promise = new Promise((a, b) => { resolve = a; reject = b; }); promise.catch(() => {}); return { promise, resolve, reject }; };
  const sizeOf = (strategy) => (typeof strategy?.size === 'function' ? strategy.size : () => 1);

  class ReadableStreamDefaultController {
    constructor(stream) { this._stream = stream; }
    get desiredSize() { const s = this._stream; return s._state === 'errored' ? null : s._state === 'closed' ? 0 : s._hwm - s._queued; }
    enqueue(chunk) { this._stream._enqueue(chunk); }
    close() { this._stream._requestClose(); }
    error(reason) { this._stream._error(reason); }
  }
  class ReadableStream {
    constructor(source = {}, strategy = {}) {
      source = source ?? {};
      if (source.type !== undefined && source.type !== 'bytes') throw new RangeError(`A ReadableStream's type is 'bytes' or not given (got '${source.type}').`);
      this._source = source;
      this._state = 'readable';
      this._queue = [];
      this._queued = 0;
      this._size = sizeOf(strategy);
      this._hwm = strategy.highWaterMark ?? (source.type === 'bytes' ? 0 : 1);
      this._reads = [];
      this._reader = null;
      this._disturbed = false;
      this._closing = false;
      this._started = false;
      this._pulling = false;
      this._pullAgain = false;
      this._controller = new ReadableStreamDefaultController(this);
      Promise.resolve(source.start ? source.start(this._controller) : undefined).then(() => { this._started = true; this._pull(); }, (e) => this._error(e));
    }
    static from(iterable) {
      const iterator = iterable?.[Symbol.asyncIterator]?.() ?? iterable?.[Symbol.iterator]?.();
      if (!iterator) throw new TypeError('ReadableStream.from() takes an iterable or an async iterable.');
      return new ReadableStream({
        async pull(c) { const { value, done } = await iterator.next(); if (done) c.close(); else c.enqueue(value); },
        async cancel(reason) { await iterator.return?.(reason); },
      }, { highWaterMark: 0 });
    }
    get locked() { return this._reader !== null; }
    _enqueue(chunk) {
      if (this._state !== 'readable' || this._closing) throw new TypeError('Cannot enqueue a chunk into a readable stream that is closed or has been requested to be closed');
      const read = this._reads.shift();
      if (read) read.resolve({ value: chunk, done: false });
      else { this._queue.push(chunk); this._queued += this._size(chunk); }
      this._pull();
    }
    _requestClose() {
      if (this._state !== 'readable' || this._closing) throw new TypeError('Cannot close a readable stream that is closed or has been requested to be closed');
      this._closing = true;
      if (this._queue.length === 0) this._close();
    }
    _close() {
      this._state = 'closed';
      for (const read of this._reads.splice(0)) read.resolve({ value: undefined, done: true });
      this._reader?._closed.resolve();
    }
    _error(reason) {
      if (this._state !== 'readable') return;
      this._state = 'errored';
      this._reason = reason;
      this._queue = [];
      this._queued = 0;
      for (const read of this._reads.splice(0)) read.reject(reason);
      this._reader?._closed.reject(reason);
    }
    _pull() {
      if (!this._started || this._state !== 'readable' || this._closing || typeof this._source.pull !== 'function') return;
      if (this._reads.length === 0 && this._queued >= this._hwm) return;
      if (this._pulling) { this._pullAgain = true; return; }
      this._pulling = true;
      Promise.resolve().then(() => this._source.pull(this._controller)).then(() => {
        this._pulling = false;
        if (this._pullAgain) { this._pullAgain = false; this._pull(); }
      }, (e) => this._error(e));
    }
    _read() {
      this._disturbed = true;
      if (this._queue.length > 0) {
        const value = this._queue.shift();
        this._queued -= this._size(value);
        if (this._closing && this._queue.length === 0) this._close(); else this._pull();
        return Promise.resolve({ value, done: false });
      }
      if (this._state === 'closed') return Promise.resolve({ value: undefined, done: true });
      if (this._state === 'errored') return Promise.reject(this._reason);
      const read = deferred();
      this._reads.push(read);
      this._pull();
      return read.promise;
    }
    _cancel(reason) {
      this._disturbed = true;
      if (this._state === 'closed') return Promise.resolve();
      if (this._state === 'errored') return Promise.reject(this._reason);
      this._queue = [];
      this._queued = 0;
      this._close();
      return Promise.resolve(this._source.cancel ? this._source.cancel(reason) : undefined).then(() => undefined);
    }
    getReader(options) {
      if (options?.mode === 'byob') notSimulated('A BYOB reader (getReader({ mode: "byob" }))', 'use getReader()');
      return new ReadableStreamDefaultReader(this);
    }
    cancel(reason) { return this.locked ? Promise.reject(new TypeError('This ReadableStream is currently locked to a reader.')) : this._cancel(reason); }
    tee() {
      const reader = this.getReader();
      const branches = [];
      const canceled = [false, false];
      const reasons = [];
      const cancelled = deferred();
      let reading = false;
      const pull = () => {
        if (reading) return Promise.resolve();
        reading = true;
        return reader.read().then(({ value, done }) => {
          reading = false;
          branches.forEach((c, i) => { if (!canceled[i]) { if (done) c.close(); else c.enqueue(value); } });
        }, (e) => { branches.forEach((c) => c.error(e)); });
      };
      const branch = (i) => new ReadableStream({
        start: (c) => { branches[i] = c; },
        pull,
        cancel: (reason) => {
          canceled[i] = true;
          reasons[i] = reason;
          if (canceled[1 - i]) cancelled.resolve(reader.cancel(reasons));
          return cancelled.promise;
        },
      }, { highWaterMark: 0 });
      return [branch(0), branch(1)];
    }
    pipeTo(destination, options = {}) {
      if (!(destination instanceof WritableStream)) return Promise.reject(new TypeError('pipeTo() takes a WritableStream.'));
      if (this.locked || destination.locked) return Promise.reject(new TypeError('Cannot pipe a locked stream.'));
      const reader = this.getReader();
      const writer = destination.getWriter();
      const release = () => { reader.releaseLock(); writer.releaseLock(); };
      const step = () => reader.read().then(({ value, done }) => {
        if (done) return options.preventClose ? undefined : writer.close();
        return writer.write(value).then(step);
      });
      return step().then(
        () => { release(); },
        (e) => {
          const sourceFailed = this._state === 'errored';
          const settle = sourceFailed
            ? (options.preventAbort ? Promise.resolve() : writer.abort(e))
            : (options.preventCancel ? Promise.resolve() : reader.cancel(e));
          return settle.catch(() => {}).then(() => { release(); throw e; });
        });
    }
    pipeThrough(transform, options = {}) {
      const { writable, readable } = transform ?? {};
      if (!(writable instanceof WritableStream) || !(readable instanceof ReadableStream)) throw new TypeError('pipeThrough() takes a { writable, readable } pair, such as a TransformStream.');
      this.pipeTo(writable, options).catch(() => {});
      return readable;
    }
    async *values(options = {}) {
      const reader = this.getReader();
      let finished = false;
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) { finished = true; return; }
          yield value;
        }
      } finally {
        if (!finished && !options.preventCancel) await reader.cancel();
        reader.releaseLock();
      }
    }
    [Symbol.asyncIterator](options) { return this.values(options); }
  }
  class ReadableStreamDefaultReader {
    constructor(stream) {
      if (!(stream instanceof ReadableStream)) throw new TypeError('A ReadableStreamDefaultReader reads a ReadableStream.');
      if (stream.locked) throw new TypeError('This ReadableStream is currently locked to a reader.');
      this._stream = stream;
      this._closed = deferred();
      stream._reader = this;
      if (stream._state === 'closed') this._closed.resolve();
      if (stream._state === 'errored') this._closed.reject(stream._reason);
    }
    get closed() { return this._closed.promise; }
    read() { return this._stream ? this._stream._read() : Promise.reject(new TypeError('This reader has been released: get a new one with getReader().')); }
    cancel(reason) { return this._stream ? this._stream._cancel(reason) : Promise.reject(new TypeError('This reader has been released.')); }
    releaseLock() {
      const stream = this._stream;
      if (!stream) return;
      const released = new TypeError('The reader was released while a read was pending.');
      for (const read of stream._reads.splice(0)) read.reject(released);
      if (stream._state === 'readable') { this._closed = deferred(); this._closed.reject(released); }
      stream._reader = null;
      this._stream = null;
    }
  }

  class WritableStreamDefaultController {
    constructor(stream) { this._stream = stream; this._abort = new AbortController(); }
    get signal() { return this._abort.signal; }
    error(reason) { this._stream._error(reason); }
  }
  class WritableStream {
    constructor(sink = {}, strategy = {}) {
      this._sink = sink ?? {};
      this._state = 'writable';
      this._writer = null;
      this._queue = [];
      this._busy = false;
      this._hwm = strategy.highWaterMark ?? 1;
      this._controller = new WritableStreamDefaultController(this);
      this._closed = deferred();
      this._started = Promise.resolve(this._sink.start ? this._sink.start(this._controller) : undefined).catch((e) => this._error(e));
    }
    get locked() { return this._writer !== null; }
    getWriter() { return new WritableStreamDefaultWriter(this); }
    abort(reason) { return this.locked ? Promise.reject(new TypeError('This WritableStream is currently locked to a writer.')) : this._abortWith(reason); }
    close() { return this.locked ? Promise.reject(new TypeError('This WritableStream is currently locked to a writer.')) : this._enqueue({ close: true }); }
    _enqueue(op) {
      if (this._state === 'errored') return Promise.reject(this._reason);
      if (this._state !== 'writable') return Promise.reject(new TypeError('This WritableStream is closed or closing.'));
      if (op.close) this._state = 'closing';
      const done = deferred();
      this._queue.push({ ...op, done });
      this._next();
      return done.promise;
    }
    _next() {
      if (this._busy || this._queue.length === 0) return;
      this._busy = true;
      const op = this._queue.shift();
      this._started
        .then(() => {
          if (this._state === 'errored') throw this._reason;
          return op.close ? (this._sink.close ? this._sink.close() : undefined) : (this._sink.write ? this._sink.write(op.chunk, this._controller) : undefined);
        })
        .then(() => {
          this._busy = false;
          op.done.resolve();
          if (op.close) { this._state = 'closed'; this._closed.resolve(); }
          this._next();
        }, (e) => {
          this._busy = false;
          op.done.reject(e);
          this._error(e);
        });
    }
    _error(reason) {
      if (this._state === 'errored' || this._state === 'closed') return;
      this._state = 'errored';
      this._reason = reason;
      for (const op of this._queue.splice(0)) op.done.reject(reason);
      this._closed.reject(reason);
    }
    _abortWith(reason) {
      if (this._state === 'closed' || this._state === 'errored') return Promise.resolve();
      this._controller._abort.abort(reason);
      this._error(reason);
      return Promise.resolve(this._sink.abort ? this._sink.abort(reason) : undefined).then(() => undefined);
    }
  }
  class WritableStreamDefaultWriter {
    constructor(stream) {
      if (!(stream instanceof WritableStream)) throw new TypeError('A WritableStreamDefaultWriter writes to a WritableStream.');
      if (stream.locked) throw new TypeError('This WritableStream is currently locked to a writer.');
      this._stream = stream;
      stream._writer = this;
    }
    get closed() { return this._stream ? this._stream._closed.promise : Promise.reject(new TypeError('This writer has been released.')); }
    get ready() { return Promise.resolve(); }
    get desiredSize() { const s = this._stream; return !s || s._state === 'errored' ? null : s._state === 'closed' ? 0 : s._hwm - s._queue.length; }
    write(chunk) { return this._stream ? this._stream._enqueue({ chunk }) : Promise.reject(new TypeError('This writer has been released: get a new one with getWriter().')); }
    close() { return this._stream ? this._stream._enqueue({ close: true }) : Promise.reject(new TypeError('This writer has been released.')); }
    abort(reason) { return this._stream ? this._stream._abortWith(reason) : Promise.reject(new TypeError('This writer has been released.')); }
    releaseLock() { if (this._stream) { this._stream._writer = null; this._stream = null; } }
  }

  // A writable side whose chunks go through transform() into a readable side. What is written is
  // queued on the readable side until read (no backpressure between the two).
  class TransformStream {
    constructor(transformer = {}, writableStrategy = {}, readableStrategy = {}) {
      transformer = transformer ?? {};
      let readable;
      const controller = {
        get desiredSize() { return readable.desiredSize; },
        enqueue: (chunk) => readable.enqueue(chunk),
        error: (reason) => { readable.error(reason); this.writable._error(reason); },
        terminate: () => { try { readable.close(); } catch { /* already closed */ } this.writable._error(new TypeError('The TransformStream was terminated.')); },
      };
      this.readable = new ReadableStream({
        start: (c) => { readable = c; },
        cancel: (reason) => { this.writable._error(reason); return transformer.cancel ? transformer.cancel(reason) : undefined; },
      }, readableStrategy);
      const started = Promise.resolve(transformer.start ? transformer.start(controller) : undefined);
      this.writable = new WritableStream({
        start: () => started,
        write: (chunk) => (transformer.transform ? transformer.transform(chunk, controller) : controller.enqueue(chunk)),
        close: () => Promise.resolve(transformer.flush ? transformer.flush(controller) : undefined).then(() => { try { readable.close(); } catch { /* terminated */ } }),
        abort: (reason) => { readable.error(reason); return transformer.cancel ? transformer.cancel(reason) : undefined; },
      }, writableStrategy);
    }
  }
  // The platform's own identity transform (bytes only, as there).
  class IdentityTransformStream extends TransformStream {
    constructor() { super({ transform: (chunk, c) => { const bytes = toBytes(chunk); if (!bytes) throw new TypeError('This TransformStream is being used as a byte stream, but received an object of non-ArrayBuffer/ArrayBufferView type on its writable side.'); c.enqueue(bytes); } }); }
  }
  class TextEncoderStream extends TransformStream {
    constructor() { super({ transform: (chunk, c) => { const bytes = utf8Encode(String(chunk)); if (bytes.length) c.enqueue(bytes); } }); }
    get encoding() { return 'utf-8'; }
  }
  class TextDecoderStream extends TransformStream {
    constructor(label = 'utf-8') {
      const decoder = new TextDecoder(label);
      super({
        transform: (chunk, c) => { const text = decoder.decode(chunk, { stream: true }); if (text) c.enqueue(text); },
        flush: (c) => { const text = decoder.decode(); if (text) c.enqueue(text); },
      });
    }
    get encoding() { return 'utf-8'; }
  }

  // A stream's bytes, whole: what a body made of a stream sends, and what text() and the rest read.
  const collect = async (stream) => {
    const reader = stream.getReader();
    const parts = [];
    let length = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const bytes = typeof value === 'string' ? null : toBytes(value);
      if (!bytes) throw new TypeError('This ReadableStream did not return bytes: a body stream gives Uint8Array chunks (pipe text through a TextEncoderStream).');
      parts.push(bytes);
      length += bytes.length;
    }
    reader.releaseLock();
    const all = new Uint8Array(length);
    let at = 0;
    for (const part of parts) { all.set(part, at); at += part.length; }
    return all;
  };
  const bytesStream = (bytes) => new ReadableStream({ type: 'bytes', start: (c) => { if (bytes.length) c.enqueue(bytes); c.close(); } });

  // Blob: bytes in memory, as workerd holds them; a socket's binary messages arrive as one when
  // binaryType is "blob" (the default from websocket_standard_binary_type).
  const joinBytes = (parts) => {
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) { all.set(part, at); at += part.length; }
    return all;
  };
  const blobOf = (bytes, type) => { const b = Object.create(Blob.prototype); b._bytes = bytes; b._type = type; return b; };
  class Blob {
    constructor(parts = [], options = {}) {
      const bytes = [];
      for (const part of parts) bytes.push(part instanceof Blob ? part._bytes : typeof part === 'string' ? utf8Encode(part) : toBytes(part) ?? utf8Encode(String(part)));
      this._bytes = joinBytes(bytes);
      this._type = options?.type === undefined ? '' : String(options.type).toLowerCase();
    }
    get size() { return this._bytes.length; }
    get type() { return this._type; }
    get [Symbol.toStringTag]() { return 'Blob'; }
    async arrayBuffer() { return this._bytes.slice().buffer; }
    async bytes() { return this._bytes.slice(); }
    async text() { return utf8Decode(this._bytes); }
    stream() { return bytesStream(this._bytes.slice()); }
    slice(start = 0, end = this._bytes.length, type = '') {
      const at = (i) => (i < 0 ? Math.max(this._bytes.length + i, 0) : Math.min(i, this._bytes.length));
      return blobOf(this._bytes.slice(at(Math.trunc(start)), Math.max(at(Math.trunc(start)), at(Math.trunc(end)))), String(type).toLowerCase());
    }
  }

  // --- Request, Response ------------------------------------------------------------------------
  const bodyOf = (body) => {
    if (body === undefined || body === null) return null;
    if (typeof body === 'string') return body;
    if (body instanceof Blob) return body._bytes.slice();
    const bytes = toBytes(body);
    if (bytes) return new Uint8Array(bytes);
    if (body instanceof URLSearchParams) return body.toString();
    if (body instanceof ReadableStream) {
      if (body.locked || body._disturbed) throw new TypeError('This ReadableStream is disturbed (has already been read from), and cannot be used as a body.');
      return body;
    }
    if (body instanceof FormData) notSimulated('FormData bodies', 'pass a string, an ArrayBuffer or a Uint8Array');
    return String(body);
  };
  // _body is null, a string, a Uint8Array or a ReadableStream: reading .body turns the first two
  // kinds into a stream of their bytes, which is then the body.
  class Body {
    constructor(body) { this._body = bodyOf(body); this._used = false; }
    get body() {
      const b = this._body;
      if (b === null || b === undefined || b instanceof ReadableStream) return b ?? null;
      if (this._used) { this._body = bytesStream(new Uint8Array(0)); this._body._disturbed = true; return this._body; }
      return (this._body = bytesStream(typeof b === 'string' ? utf8Encode(b) : new Uint8Array(b)));
    }
    get bodyUsed() { return this._used === true || (this._body instanceof ReadableStream && this._body._disturbed); }
    // The body to copy (clone, a request made from another): a stream is teed, one branch kept.
    _raw() {
      if (!(this._body instanceof ReadableStream)) return this._body;
      if (this.bodyUsed || this._body.locked) throw new TypeError('Body has already been used. Use tee() first if you need to read it twice.');
      const [kept, copy] = this._body.tee();
      this._body = kept;
      return copy;
    }
    _take() {
      if (this.bodyUsed || (this._body instanceof ReadableStream && this._body.locked)) throw new TypeError('Body has already been used. Use tee() first if you need to read it twice.');
      this._used = true;
      return this._body;
    }
    async text() { const b = this._take(); return b === null ? '' : typeof b === 'string' ? b : utf8Decode(b instanceof ReadableStream ? await collect(b) : b); }
    async json() { return JSON.parse(await this.text()); }
    async bytes() { const b = this._take(); return b === null ? new Uint8Array(0) : typeof b === 'string' ? utf8Encode(b) : b instanceof ReadableStream ? collect(b) : new Uint8Array(b); }
    async arrayBuffer() { return (await this.bytes()).buffer; }
    async formData() { notSimulated('Body.formData()', 'read text() and parse it'); }
    async blob() { return blobOf(await this.bytes(), (this.headers?.get('content-type') ?? '').toLowerCase()); }
  }
  class FormData { constructor() { notSimulated('FormData'); } }

  const methods = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'];
  class Request extends Body {
    constructor(input, init = {}) {
      const from = input instanceof Request ? input : null;
      super(init.body !== undefined ? init.body : from ? from._raw() : null);
      this._url = new URL(from ? from.url : String(input)).href;
      const m = String(init.method ?? (from ? from.method : 'GET'));
      this._method = methods.includes(m.toUpperCase()) ? m.toUpperCase() : m;
      this._headers = new Headers(init.headers ?? (from ? from.headers : undefined));
      this._cf = init.cf ?? from?.cf;
      if ((this._method === 'GET' || this._method === 'HEAD') && this._body !== null) throw new TypeError('Request with GET/HEAD method cannot have body.');
    }
    get url() { return this._url; }
    get method() { return this._method; }
    get headers() { if (this._headers === undefined && this._pairs != null) { this._headers = host.headers(this._pairs); this._pairs = null; } return this._headers; }
    get cf() { return this._cf; }
    get redirect() { return 'follow'; }
    get signal() { return undefined; }
    clone() { return new Request(this); }
  }
  class Response extends Body {
    constructor(body = null, init = {}) {
      super(body);
      const status = init.status ?? 200;
      const webSocket = init.webSocket ?? null;
      // workerd's checks and words: a status in 200-599, or 101 with a WebSocket and only then.
      if (webSocket === null && !(Number.isInteger(status) && status >= 200 && status <= 599)) throw new RangeError('Responses may only be constructed with status codes in the range 200 to 599, inclusive.');
      if (webSocket !== null && status !== 101) throw new RangeError('Responses with a WebSocket must have status code 101.');
      this._status = status;
      this._statusText = init.statusText ?? '';
      this._headers = new Headers(init.headers);
      this._webSocket = responseSocket(webSocket);
      if (this._body !== null && (status === 101 || status === 204 || status === 205 || status === 304)) throw new TypeError('Response with null body status (101, 204, 205, or 304) cannot have a body.');
      if (typeof body === 'string' && !this._headers.has('content-type')) this._headers.set('content-type', 'text/plain;charset=UTF-8');
      if (body instanceof Blob && body.type !== '' && !this._headers.has('content-type')) this._headers.set('content-type', body.type);
    }
    // The host answers Response.json(data) and Response.json(data, { status }) itself; the rest is here.
    static json(data, init = {}) {
      const headers = new Headers(init.headers);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      return new Response(JSON.stringify(data), { status: init.status, statusText: init.statusText, headers });
    }
    static redirect(url, status = 302) {
      if (![301, 302, 303, 307, 308].includes(status)) throw new RangeError(`A redirect status is one of 301, 302, 303, 307, 308 (got ${status}).`);
      return new Response(null, { status, headers: { location: new URL(url).href } });
    }
    static error() { notSimulated('Response.error()'); }
    get status() { return this._status; }
    get statusText() { return this._statusText ?? ''; }
    get ok() { return this._status >= 200 && this._status < 300; }
    get headers() { if (this._headers === undefined && this._pairs != null) { this._headers = host.headers(this._pairs); this._pairs = null; } return this._headers; }
    get redirected() { return false; }
    get type() { return 'default'; }
    get url() { return ''; }
    get webSocket() { return this._webSocket ?? null; }
    clone() { return new Response(this._raw(), { status: this._status, statusText: this.statusText, headers: this.headers }); }
  }

  // What crosses to the host when it does not read the object itself: plain objects with the body
  // as text or as Latin1 bytes.
  const wireRequest = (request) => {
    const raw = request._raw();
    return { url: request.url, method: request.method, headers: request._headers === undefined ? request._pairs : request.headers._pairs(), text: typeof raw === 'string' ? raw : null, bytes: raw !== null && typeof raw !== 'string' ? bytesToLatin1(raw) : null };
  };
  const toRequest = (input, init) => (input instanceof Request && init === undefined ? input : new Request(input, init));
  // A request sent on to an object or a Worker crosses whole: a stream body is read to its end first.
  const whole = async (request) => (request._body instanceof ReadableStream
    ? new Request(request, { body: await collect(request._take()) })
    : request);

  // --- WebSockets -------------------------------------------------------------------------------
  // A WebSocketPair's two ends share one host handle (the server end's socket): the end put in a
  // Response is the client's, the other the server's. A server end is accepted with accept() (the
  // standard API: events go to its listeners) or ctx.acceptWebSocket() (hibernation: events go to
  // the object's webSocketMessage/Close/Error). An end that came back in a subrequest's Response is
  // 'remote': it can only be passed on.
  class Event {
    constructor(type) { this.type = String(type); }
  }
  class MessageEvent extends Event {
    constructor(type, init = {}) { super(type); this.data = init.data; }
  }
  class CloseEvent extends Event {
    constructor(type, init = {}) { super(type); this.code = init.code ?? 0; this.reason = init.reason ?? ''; this.wasClean = init.wasClean ?? false; }
  }
  class ErrorEvent extends Event {
    constructor(type, init = {}) { super(type); this.error = init.error; this.message = init.message ?? String(init.error?.message ?? init.error ?? ''); }
  }
  const socketOf = (h, state) => {
    const ws = Object.create(WebSocket.prototype);
    ws._h = h; ws._state = state; ws._listeners = new Map(); ws._queued = null;
    return ws;
  };
  const dispatchSocket = (ws, event) => {
    const on = ws['on' + event.type];
    if (typeof on === 'function') on.call(ws, event);
    for (const fn of (ws._listeners.get(event.type) ?? []).slice()) {
      if (typeof fn === 'function') fn.call(ws, event); else if (fn && typeof fn.handleEvent === 'function') fn.handleEvent(event);
    }
  };
  const remoteEnd = () => notSimulated('Using the client end of a WebSocket that another object or Worker returned (a Worker that relays frames)', 'return its Response as it is, so the client connects to the object');
  const closeCodeOk = (c) => c >= 1000 && c < 5000 && c !== 1004 && c !== 1005 && c !== 1006 && c !== 1015;
  class WebSocket {
    constructor() { notSimulated('new WebSocket(url) (an outbound WebSocket client)', 'accept clients with a WebSocketPair'); }
    static get CONNECTING() { return 0; }
    static get OPEN() { return 1; }
    static get CLOSING() { return 2; }
    static get CLOSED() { return 3; }
    static get READY_STATE_CONNECTING() { return 0; }
    static get READY_STATE_OPEN() { return 1; }
    static get READY_STATE_CLOSING() { return 2; }
    static get READY_STATE_CLOSED() { return 3; }
    get readyState() { return this._state === 'remote' ? 1 : host.wsState(this._h); }
    // Binary messages to listeners: a Blob or an ArrayBuffer (the hibernation handlers always get an ArrayBuffer).
    get binaryType() { return this._binaryType ?? (host.flag('websocket_standard_binary_type') ? 'blob' : 'arraybuffer'); }
    set binaryType(value) { if (value === 'blob' || value === 'arraybuffer') this._binaryType = value; }
    get url() { return null; }
    get protocol() { return null; }
    get extensions() { return null; }
    accept() {
      if (this._state === 'remote') remoteEnd();
      if (this._state === 'released') throw new TypeError("Can't accept() WebSocket that was already used in a response.");
      if (this._state === 'hibernatable') throw new TypeError("Can't accept() WebSocket after enabling hibernation.");
      if (this._state === 'accepted') return;
      this._state = 'accepted';
      host.wsAccept(this._h, this);
      const queued = this._queued;
      this._queued = null;
      if (queued) Promise.resolve().then(() => { for (const e of queued) dispatchSocket(this, e); });
    }
    send(message) {
      if (this._state === 'remote') remoteEnd();
      if (this._state !== 'accepted' && this._state !== 'hibernatable') throw new TypeError('You must call one of accept() or state.acceptWebSocket() on this WebSocket before sending messages.');
      if (typeof message === 'string') { host.wsSend(this._h, message, true); return; }
      const bytes = toBytes(message);
      if (bytes) host.wsSend(this._h, bytesToLatin1(bytes), false); else host.wsSend(this._h, String(message), true);
    }
    close(code, reason) {
      if (this._state === 'remote') remoteEnd();
      if (code !== undefined) {
        code = Math.trunc(Number(code));
        if (!closeCodeOk(code)) throw new DOMException(`Invalid WebSocket close code: ${code}.`, 'InvalidAccessError');
      }
      if (reason !== undefined && host.flag('websocket_close_reason_byte_limit') && utf8Encode(String(reason)).length > 123) throw new DOMException('WebSocket close reason must not be longer than 123 bytes when UTF-8 encoded.', 'SyntaxError');
      if (reason !== undefined && code === undefined) throw new DOMException('If you specify a WebSocket close reason, you must also specify a code.', 'InvalidAccessError');
      host.wsClose(this._h, code ?? null, reason === undefined ? null : String(reason));
    }
    addEventListener(type, listener) {
      if (!listener) return;
      const list = this._listeners.get(type) ?? [];
      if (!list.includes(listener)) list.push(listener);
      this._listeners.set(type, list);
    }
    removeEventListener(type, listener) {
      const list = this._listeners.get(type);
      if (list) this._listeners.set(type, list.filter((l) => l !== listener));
    }
    dispatchEvent(event) { dispatchSocket(this, event); return true; }
    serializeAttachment(value) { if (this._state === 'remote') remoteEnd(); host.wsAttach(this._h, value); }
    deserializeAttachment() { if (this._state === 'remote') remoteEnd(); return host.wsAttachment(this._h); }
  }
  class WebSocketPair {
    constructor() {
      const h = host.wsPair();
      this[0] = socketOf(h, 'awaiting');
      this[1] = socketOf(h, 'awaiting');
      this[0]._other = this[1];
      this[1]._other = this[0];
    }
  }
  // The end a Response carries: the client's, released from the code.
  const responseSocket = (ws) => {
    if (ws === null || ws === undefined) return null;
    if (!(ws instanceof WebSocket)) throw new TypeError("Failed to construct 'Response': Failed to read the 'webSocket' property from 'ResponseInit': The provided value is not of type 'WebSocket'.");
    if (ws._state === 'accepted') throw new TypeError("Can't return WebSocket in a Response after calling accept().");
    if (ws._state === 'hibernatable') throw new TypeError("Can't return WebSocket in a Response after calling acceptWebSocket().");
    if (ws._state === 'released') throw new TypeError("Can't return WebSocket that was already used in a response.");
    if (ws._state !== 'remote') {
      ws._state = 'released';
      // The other end is the server's: its events wait in it until it is accepted.
      if (ws._other) host.wsServerEnd(ws._h, ws._other);
    }
    return ws;
  };
  class WebSocketRequestResponsePair {
    constructor(request, response) { this._request = String(request); this._response = String(response); }
    get request() { return this._request; }
    get response() { return this._response; }
  }
  // One batch of a socket's events, in order: [kind, data, binary, code, reason, wasClean] each. A
  // hibernatable socket's go to the object's handlers (their promises awaited together); a
  // standard socket's to its listeners, or wait for accept(). An indexed loop, and one handler's
  // promise returned as it is: this runs for every frame, and the engine's iterators,
  // destructuring and Promise.all cost more than the handler of an echo.
  const socketEvents = (instance, ctx, h, ws, frames) => {
    const results = [];
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i];
      const kind = frame[0], data = frame[1], binary = frame[2], code = frame[3], reason = frame[4], wasClean = frame[5];
      const value = binary ? latin1ToBytes(data).buffer : data;
      if (instance) {
        const socket = ctx._socketFor(h);
        const handler = kind === 'message' ? instance.webSocketMessage : kind === 'close' ? instance.webSocketClose : instance.webSocketError;
        if (typeof handler !== 'function') continue;
        results.push(kind === 'message' ? handler.call(instance, socket, value) : kind === 'close' ? handler.call(instance, socket, code, reason, wasClean) : handler.call(instance, socket, new Error(data)));
        continue;
      }
      const event = kind === 'message' ? new MessageEvent('message', { data: binary && ws.binaryType === 'blob' ? new Blob([value]) : value })
        : kind === 'close' ? new CloseEvent('close', { code, reason, wasClean })
        : new ErrorEvent('error', { error: new Error(data) });
      if (ws._state === 'accepted') dispatchSocket(ws, event); else (ws._queued ??= []).push(event);
    }
    if (results.length === 0) return undefined;
    return results.length === 1 ? oneResult(results[0]) : Promise.all(results);
  };
  // A lone handler's promise (or nothing) as it is; any other value through Promise.all, as a batch's.
  const oneResult = (result) => (result === undefined || result instanceof Promise ? result : Promise.all([result]));

  // --- timers, crypto, clone, console ------------------------------------------------------------
  // Timers run on the simulated clock (virtual with --clock virtual); clearing one cancels the host's timer.
  let nextTimer = 0;
  const timers = new Map();
  const delayOf = (ms) => Math.min(2147483647, Math.max(0, Number(ms) || 0));
  const setTimeout = (fn, ms = 0, ...args) => {
    if (typeof fn !== 'function') notSimulated('setTimeout with a string of code', 'pass a function');
    const id = ++nextTimer;
    timers.set(id, true);
    // As the platform: a delay beyond 2^31 - 1 ms (or not a number) is clamped, never an error.
    host.timer(delayOf(ms), id).then((fired) => { if (fired && timers.delete(id)) fn(...args); });
    return id;
  };
  const setInterval = (fn, ms = 0, ...args) => {
    if (typeof fn !== 'function') notSimulated('setInterval with a string of code', 'pass a function');
    const id = ++nextTimer;
    timers.set(id, true);
    const tick = () => host.timer(delayOf(ms), id).then((fired) => { if (fired && timers.has(id)) { tick(); fn(...args); } });
    tick();
    return id;
  };
  const clearTimeout = (id) => { if (timers.delete(id)) host.clearTimer(id); };

  const crypto = {
    randomUUID: () => host.uuid(),
    getRandomValues: (array) => {
      if (!ArrayBuffer.isView(array) || array instanceof Float32Array || array instanceof Float64Array) throw new TypeError('getRandomValues takes an integer typed array.');
      if (array.byteLength > 65536) throw new DOMException('getRandomValues: at most 65,536 bytes at a time.', 'QuotaExceededError');
      const bytes = latin1ToBytes(host.randomBytes(array.byteLength));
      new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(bytes);
      return array;
    },
    subtle: null, // below

  };

  // crypto.subtle: digests, and HMAC with raw keys (what Durable Object code signs tokens with);
  // the rest of Web Crypto is refused by name.
  const hashName = (algorithm) => {
    const name = typeof algorithm === 'string' ? algorithm : algorithm?.name;
    const upper = String(name).toUpperCase();
    if (!['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'].includes(upper)) throw new DOMException(`Unrecognized or unsupported hash: ${name}.`, 'NotSupportedError');
    return upper;
  };
  const bytesOf = (data, what) => { const b = toBytes(data); if (!b) throw new TypeError(`${what} must be an ArrayBuffer or an ArrayBufferView.`); return b; };
  const bufferOf = (latin1) => latin1ToBytes(latin1).buffer;
  class CryptoKey {
    get type() { return 'secret'; }
    get extractable() { return this._extractable; }
    get algorithm() { return { name: 'HMAC', hash: { name: this._hash }, length: this._raw.length * 8 }; }
    get usages() { return this._usages.slice(); }
  }
  const isHmac = (algorithm) => String(typeof algorithm === 'string' ? algorithm : algorithm?.name).toUpperCase() === 'HMAC';
  const subtle = {
    async digest(algorithm, data) { return bufferOf(host.digest(hashName(algorithm), bytesToLatin1(bytesOf(data, 'The data')))); },
    async importKey(format, keyData, algorithm, extractable, usages) {
      if (format !== 'raw' || !isHmac(algorithm)) notSimulated(`crypto.subtle.importKey('${format}', …, ${JSON.stringify(algorithm?.name ?? algorithm)})`, "dosim imports raw HMAC keys");
      const key = new CryptoKey();
      key._raw = new Uint8Array(bytesOf(keyData, 'The key data'));
      key._hash = hashName(algorithm.hash);
      key._extractable = Boolean(extractable);
      key._usages = [...(usages ?? [])];
      return key;
    },
    async sign(algorithm, key, data) {
      if (!isHmac(algorithm) || !(key instanceof CryptoKey)) notSimulated('crypto.subtle.sign with anything but an HMAC key from importKey');
      if (!key._usages.includes('sign')) throw new DOMException("The key's usages do not include 'sign'.", 'InvalidAccessError');
      return bufferOf(host.hmac(key._hash, bytesToLatin1(key._raw), bytesToLatin1(bytesOf(data, 'The data'))));
    },
    async verify(algorithm, key, signature, data) {
      if (!isHmac(algorithm) || !(key instanceof CryptoKey)) notSimulated('crypto.subtle.verify with anything but an HMAC key from importKey');
      if (!key._usages.includes('verify')) throw new DOMException("The key's usages do not include 'verify'.", 'InvalidAccessError');
      const expected = latin1ToBytes(host.hmac(key._hash, bytesToLatin1(key._raw), bytesToLatin1(bytesOf(data, 'The data'))));
      const given = bytesOf(signature, 'The signature');
      let diff = expected.length ^ given.length;
      for (let i = 0; i < expected.length; i++) diff |= expected[i] ^ (given[i] ?? 0);
      return diff === 0;
    },
  };
  for (const name of ['encrypt', 'decrypt', 'generateKey', 'deriveKey', 'deriveBits', 'exportKey', 'wrapKey', 'unwrapKey']) {
    subtle[name] = async () => notSimulated(`crypto.subtle.${name}`, 'dosim simulates digest, and importKey/sign/verify with raw HMAC keys');
  }
  crypto.subtle = subtle;

  // AbortController and AbortSignal, as the platform has them (no fetch to abort: they signal code).
  class AbortSignal {
    constructor() { this._aborted = false; this._reason = undefined; this._listeners = []; this.onabort = null; }
    get aborted() { return this._aborted; }
    get reason() { return this._reason; }
    throwIfAborted() { if (this._aborted) throw this._reason; }
    addEventListener(type, listener) { if (type === 'abort' && typeof listener === 'function') this._listeners.push(listener); }
    removeEventListener(type, listener) { if (type === 'abort') this._listeners = this._listeners.filter((l) => l !== listener); }
    _abort(reason) {
      if (this._aborted) return;
      this._aborted = true;
      this._reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
      const event = { type: 'abort', target: this };
      if (typeof this.onabort === 'function') this.onabort(event);
      for (const listener of this._listeners.slice()) listener(event);
    }
    static abort(reason) { const signal = new AbortSignal(); signal._abort(reason); return signal; }
    static timeout(ms) { const signal = new AbortSignal(); setTimeout(() => signal._abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms); return signal; }
    static any(signals) {
      const signal = new AbortSignal();
      for (const s of signals) { if (s.aborted) { signal._abort(s.reason); return signal; } }
      for (const s of signals) s.addEventListener('abort', () => signal._abort(s.reason));
      return signal;
    }
  }
  class AbortController {
    constructor() { this._signal = new AbortSignal(); }
    get signal() { return this._signal; }
    abort(reason) { this._signal._abort(reason); }
  }

  const structuredClone = (value) => {
    const seen = new Map();
    const clone = (v) => {
      if (v === null || typeof v !== 'object') {
        if (typeof v === 'function' || typeof v === 'symbol') throw new DOMException(`${String(v)} could not be cloned.`, 'DataCloneError');
        return v;
      }
      if (seen.has(v)) return seen.get(v);
      let out;
      if (v instanceof Date) out = new Date(v.getTime());
      else if (v instanceof RegExp) out = new RegExp(v.source, v.flags);
      else if (v instanceof ArrayBuffer) out = v.slice(0);
      else if (ArrayBuffer.isView(v)) out = new v.constructor(v);
      else if (v instanceof Map) { out = new Map(); seen.set(v, out); for (const [k, x] of v) out.set(clone(k), clone(x)); return out; }
      else if (v instanceof Set) { out = new Set(); seen.set(v, out); for (const x of v) out.add(clone(x)); return out; }
      else if (v instanceof Error) { out = new Error(v.message); out.name = v.name; }
      else if (Array.isArray(v)) { out = []; seen.set(v, out); v.forEach((x, i) => { out[i] = clone(x); }); return out; }
      else { out = {}; seen.set(v, out); for (const k of Object.keys(v)) out[k] = clone(v[k]); return out; }
      seen.set(v, out);
      return out;
    };
    return clone(value);
  };

  const format = (args) => args.map(a => {
    if (typeof a === 'string') return a;
    if (a instanceof Error) return a.stack || `${a.name}: ${a.message}`;
    try { return JSON.stringify(a) ?? String(a); } catch { return String(a); }
  }).join(' ');
  const console = {};
  for (const level of ['log', 'info', 'debug', 'warn', 'error', 'trace']) console[level] = (...args) => host.log(level, args.length === 1 && typeof args[0] === 'string' ? args[0] : format(args));

  // --- what is not simulated ---------------------------------------------------------------------
  const fetch = async (input, init) => {
    const request = toRequest(input, init);
    notSimulated(`Outbound fetch (to ${request.url})`, 'call other Workers through a service binding and Durable Objects through their stubs');
  };
  const refuse = (name, instead) => new Proxy(function () {}, {
    get: (_, p) => (p === Symbol.toPrimitive || p === 'toString' ? () => `[${name}: not simulated]` : notSimulated(name, instead)),
    apply: () => notSimulated(name, instead),
    construct: () => notSimulated(name, instead),
  });

  // --- env, storage and stubs ------------------------------------------------------------------
  class DurableObjectId {
    constructor(hex, name) { this._hex = hex; this.name = name ?? undefined; }
    toString() { return this._hex; }
    equals(other) { return String(other) === this._hex; }
  }
  const idObject = (hex, name) => new DurableObjectId(hex, name);
  // A stub's fetch() is on its prototype; any other property is a JS RPC member, which the host
  // answers (JavaScriptBindings: the prototype's own prototype).
  class DurableObjectStub {
    constructor(className, id) { this._class = className; this.id = id; this.name = id.name; }
    async fetch(input, init) {
      if (!(this instanceof DurableObjectStub)) throw new TypeError('Illegal invocation: call fetch() on the stub (stub.fetch(request)), not detached from it.');
      return host.fetchObject(this._class, String(this.id), this.id.name ?? null, await whole(toRequest(input, init)));
    }
  }
  const stubFor = (className, id) => new DurableObjectStub(className, id);
  const namespace = (className) => Object.freeze({
    idFromName: (name) => idObject(host.idFromName(className, String(name)), String(name)),
    idFromString: (hex) => { hex = String(hex); if (!/^[0-9a-f]{64}$/.test(hex)) throw new TypeError(`Invalid Durable Object ID: '${hex}' is not 64 lowercase hex digits.`); return idObject(hex, null); },
    newUniqueId: () => idObject(host.newUniqueId(), null),
    get: (id) => stubFor(className, id),
    getByName: (name) => stubFor(className, idObject(host.idFromName(className, String(name)), String(name))),
    jurisdiction: () => notSimulated('Durable Object jurisdictions'),
  });
  const makeEnv = (spec) => {
    const env = {};
    for (const [k, v] of Object.entries(spec.vars)) env[k] = spec.json.includes(k) ? JSON.parse(v) : v;
    for (const [k, v] of Object.entries(spec.secrets)) env[k] = v;
    // The host answers the common calls of a namespace itself, and the prelude's own functions the rest.
    for (const [k, cls] of Object.entries(spec.durableObjects)) env[k] = host.namespace(cls, namespace(cls));
    for (const [k, worker] of Object.entries(spec.services)) {
      // fetch() reaches the entrypoint's fetch handler; any other property is a JS RPC member of it
      // (called: a method call; awaited: a property read). 'then' and symbols are not, so the
      // binding is not a thenable.
      const entrypoint = spec.entrypoints[k] ?? null;
      const fetch = async (input, init) => host.fetchService(worker, entrypoint, await whole(toRequest(input, init)));
      const member = (name) => {
        const call = (...args) => host.callService(worker, entrypoint, name, args);
        call.then = (ok, err) => host.callService(worker, entrypoint, name, null).then(ok, err);
        return call;
      };
      env[k] = new Proxy({}, {
        get: (_, p) => {
          if (p === 'fetch') return fetch;
          if (p === 'connect') return () => notSimulated(`TCP sockets over service bindings (${k}.connect())`, `use ${k}.fetch()`);
          if (p === 'then' || typeof p === 'symbol') return undefined;
          return member(p);
        },
      });
    }
    // The assets binding: the version's own assets, with its not-found handling (a 404 without one).
    if (spec.assets) env[spec.assets] = Object.freeze({ fetch: async (input, init) => host.fetchAssets(await whole(toRequest(input, init))) });
    if (spec.versionMetadata) env[spec.versionMetadata] = Object.freeze({ ...spec.version });
    return Object.freeze(env);
  };

  const checkKey = (key) => { if (typeof key !== 'string' || key.length === 0) throw new TypeError('A storage key is a non-empty string.'); if (key.length > 682 && utf8Encode(key).length > 2048) throw new RangeError('Keys cannot be larger than 2048 bytes.'); return key; };
  const encodeValue = (key, value) => {
    if (value === undefined) throw new TypeError(`The value for '${key}' is undefined: storage.delete() removes a key.`);
    const json = JSON.stringify(value);
    if (json === undefined) throw new DOMException(`The value for '${key}' could not be stored (dosim stores values as JSON).`, 'DataCloneError');
    if (json.length > 43690 && utf8Encode(json).length > 131072) throw new RangeError(`Values cannot be larger than 131072 bytes (the value for '${key}').`);
    return json;
  };
  // Methods on prototypes, state in two fields: 100,000 objects share one copy of the code.
  const decode = (json) => (json === undefined || json === null ? undefined : JSON.parse(json));
  // list() of both KV APIs: the [key, value] pairs the options select, in key order.
  const listed = (store, options) => {
    const { prefix = null, start = null, startAfter = null, end = null, limit = null, reverse = false } = options;
    if (limit !== null && (!Number.isInteger(limit) || limit < 1)) throw new TypeError('list({ limit }) takes a positive whole number.');
    let entries = store.readAll().filter(([k]) => (prefix === null || k.startsWith(prefix)) && (start === null || k >= start) && (startAfter === null || k > startAfter) && (end === null || k < end));
    entries.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    if (reverse) entries.reverse();
    if (limit !== null) entries = entries.slice(0, limit);
    return entries.map(([k, v]) => [k, decode(v)]);
  };
  class DurableObjectStorage {
    constructor(store) { this._store = store; }
    async get(keys) {
      const store = this._store;
      if (Array.isArray(keys)) { const out = new Map(); for (const k of keys) { const v = store.read(checkKey(k)); if (v !== undefined && v !== null) out.set(k, decode(v)); } return out; }
      return decode(store.read(checkKey(keys)));
    }
    async put(keyOrEntries, value) {
      if (typeof keyOrEntries === 'object' && keyOrEntries !== null) return this._store.write(Object.entries(keyOrEntries).map(([k, v]) => [checkKey(k), encodeValue(k, v)]));
      return this._store.write([[checkKey(keyOrEntries), encodeValue(keyOrEntries, value)]]);
    }
    async delete(keys) {
      const list = Array.isArray(keys) ? keys : [keys];
      const present = list.filter(k => { const v = this._store.read(checkKey(k)); return v !== undefined && v !== null; });
      this._store.write(present.map(k => [k, null]));
      return Array.isArray(keys) ? present.length : present.length === 1;
    }
    async list(options = {}) { return new Map(listed(this._store, options)); }
    async deleteAll() { this._store.write(this._store.readAll().map(([k]) => [k, null])); }
    async transaction(fn) { return fn(this); }
    async sync() {}
    // A SQLite-backed object's (new_sqlite_classes) APIs; a key-value-backed one gets the platform's errors.
    get sql() {
      if (!this._store.sqlBacked()) throw new Error('This Durable Object is not backed by SQLite storage, so the SQL API is not available. SQL can be enabled on a new Durable Object class by using the `new_sqlite_classes` instead of `new_classes` under `[[migrations]]` in your wrangler.toml, but an already-deployed class cannot be converted to SQLite (except by deleting the existing data).');
      return this._sql ??= new SqlStorage(this._store);
    }
    get kv() {
      if (!this._store.sqlBacked()) throw new Error('The storage.kv (synchronous KV) API is only available for SQLite-backed Durable Objects, but this object\'s namespace is not declared to use SQLite. You can use the older, asyncronous interface via methods of `storage` itself (e.g. `storage.get()`). SQLite can be enabled on a new Durable Object class by using the `new_sqlite_classes` instead of `new_classes` under `migrations` in your wrangler.jsonc or wrangler.toml, but an already-deployed class cannot be converted to SQLite (except by deleting the existing data).');
      return this._kv ??= new SyncKvStorage(this._store);
    }
    transactionSync(fn) {
      if (!this._store.sqlBacked()) throw new Error('Durable Object is not backed by SQL.');
      if (typeof fn !== 'function') throw new TypeError('transactionSync() takes a function.');
      this._store.sqlBegin();
      let result;
      try { result = fn(); } catch (e) { this._store.sqlRollback(); throw e; }
      this._store.sqlRelease();
      return result;
    }
    getCurrentBookmark() { notSimulated('Point-in-time recovery (storage.getCurrentBookmark)'); }
    getBookmarkForTime() { notSimulated('Point-in-time recovery (storage.getBookmarkForTime)'); }
    onNextSessionRestoreBookmark() { notSimulated('Point-in-time recovery (storage.onNextSessionRestoreBookmark)'); }
    // One alarm per object, on the simulated clock; alarm({ retryCount, isRetry }) runs when it is due.
    async getAlarm() { return this._store.getAlarm(); }
    async setAlarm(time) {
      // As workerd's binding: a Date or a number, nothing converted to one.
      if (!(time instanceof Date) && typeof time !== 'number') throw new TypeError("Failed to execute 'setAlarm' on 'DurableObjectStorage': parameter 1 is not of type 'date'.");
      const ms = time instanceof Date ? time.getTime() : time;
      if (!(ms > 0)) throw new TypeError('setAlarm() cannot be called with an alarm time <= 0');
      // As workerd: a time already passed is due now.
      this._store.setAlarm(Math.max(Math.floor(ms), Date.now()));
    }
    async deleteAlarm() { this._store.setAlarm(null); }
  }

  // ctx.storage.sql: statements run when exec() is called; the cursor reads the rows they gave.
  class SqlStorageCursor {
    constructor(result) { this._columns = result.columns; this._rows = result.rows; this._at = 0; this.rowsRead = result.rowsRead; this.rowsWritten = result.rowsWritten; }
    get columnNames() { return this._columns.slice(); }
    _object(row) { const o = {}; for (let c = 0; c < this._columns.length; c++) o[this._columns[c]] = row[c]; return o; }
    next() { return this._at < this._rows.length ? { done: false, value: this._object(this._rows[this._at++]) } : { done: true, value: undefined }; }
    toArray() { const out = []; while (this._at < this._rows.length) out.push(this._object(this._rows[this._at++])); return out; }
    one() {
      const rest = this.toArray();
      if (rest.length === 0) throw new Error('Expected exactly one result from SQL query, but got no results.');
      if (rest.length > 1) throw new Error('Expected exactly one result from SQL query, but got multiple results.');
      return rest[0];
    }
    raw() {
      const cursor = this;
      return {
        next: () => (cursor._at < cursor._rows.length ? { done: false, value: cursor._rows[cursor._at++].slice() } : { done: true, value: undefined }),
        toArray: () => { const out = []; while (cursor._at < cursor._rows.length) out.push(cursor._rows[cursor._at++].slice()); return out; },
        columnNames: cursor._columns.slice(),
        [Symbol.iterator]() { return this; },
      };
    }
    [Symbol.iterator]() { return this; }
  }
  class SqlStorage {
    constructor(store) { this._store = store; }
    exec(query, ...bindings) {
      if (typeof query !== 'string') throw new TypeError('sql.exec() takes the SQL as a string, then its bindings.');
      return new SqlStorageCursor(this._store.sqlExec(query, bindings));
    }
    get databaseSize() { return this._store.sqlSize(); }
    prepare() { notSimulated('sql.prepare() (experimental on the platform)', 'use sql.exec()'); }
    ingest() { notSimulated('sql.ingest() (experimental on the platform)', 'use sql.exec()'); }
  }
  // ctx.storage.kv: the key-value API, synchronous, on the same table (_cf_KV) as the async one.
  class SyncKvStorage {
    constructor(store) { this._store = store; }
    get(key) { return decode(this._store.read(checkKey(key))); }
    put(key, value) { this._store.write([[checkKey(key), encodeValue(key, value)]]); }
    delete(key) { const present = this._store.read(checkKey(key)); if (present === undefined || present === null) return false; this._store.write([[key, null]]); return true; }
    list(options = {}) { return listed(this._store, options)[Symbol.iterator](); }
  }
  class DurableObjectState {
    constructor(hex, name, store) { this.id = idObject(hex, name); this.storage = new DurableObjectStorage(store); this._sockets = new Map(); }
    // Runs fn at once; until its promise settles, no other event enters the object.
    blockConcurrencyWhile(fn) {
      let done;
      try { done = Promise.resolve(fn()); } catch (e) { done = Promise.reject(e); }
      this.storage._store.block(done);
      return done;
    }
    waitUntil(p) { Promise.resolve(p).catch(e => console.error('waitUntil:', e)); }
    // The hibernation API: the host keeps the sockets, their tags and attachments through a
    // hibernation; this instance's WebSocket objects are made for them as the code asks.
    acceptWebSocket(ws, tags) {
      if (!(ws instanceof WebSocket)) throw new TypeError("Failed to execute 'acceptWebSocket': parameter 1 is not of type 'WebSocket'.");
      if (ws._state === 'accepted') throw new Error('Cannot call `acceptWebSocket()` if the WebSocket was already accepted via `accept()`');
      if (ws._state !== 'awaiting') throw new Error('Cannot call `acceptWebSocket()` on this WebSocket because its pair has already been accepted or used in a Response.');
      const distinct = [];
      for (const tag of tags ?? []) {
        const t = String(tag);
        if (distinct.length >= 10) throw new Error('a Hibernatable WebSocket cannot have more than 10 tags');
        if (t.length > 256) throw new Error(`"${t}" is longer than the max tag length (256 characters).`);
        if (!distinct.includes(t)) distinct.push(t);
      }
      host.wsHibernate(ws._h, distinct);
      ws._state = 'hibernatable';
      this._sockets.set(ws._h, ws);
    }
    getWebSockets(tag) { return host.wsList(tag === undefined || tag === null ? null : String(tag)).map((h) => this._socketFor(h)); }
    getTags(ws) { if (!(ws instanceof WebSocket) || ws._state !== 'hibernatable') throw new Error('only hibernatable websockets can have tags.'); return host.wsTags(ws._h); }
    setWebSocketAutoResponse(pair) {
      if (pair === undefined || pair === null) { host.wsAutoResponse(null, null); return; }
      if (!(pair instanceof WebSocketRequestResponsePair)) throw new TypeError("Failed to execute 'setWebSocketAutoResponse': parameter 1 is not of type 'WebSocketRequestResponsePair'.");
      const [req, res] = [utf8Encode(pair.request).length, utf8Encode(pair.response).length];
      if (req > 2048) throw new RangeError(`Request cannot be larger than 2048 bytes. A request of size ${req} was provided.`);
      if (res > 2048) throw new RangeError(`Response cannot be larger than 2048 bytes. A response of size ${res} was provided.`);
      host.wsAutoResponse(pair.request, pair.response);
    }
    getWebSocketAutoResponse() { const pair = host.wsAutoResponseGet(); return pair ? new WebSocketRequestResponsePair(pair[0], pair[1]) : null; }
    getWebSocketAutoResponseTimestamp(ws) { const ms = ws instanceof WebSocket && ws._state === 'hibernatable' ? host.wsAutoResponseAt(ws._h) : null; return ms === null ? null : new Date(ms); }
    setHibernatableWebSocketEventTimeout(ms) {
      const t = ms === undefined || ms === null ? 0 : Math.trunc(Number(ms));
      if (t > 604800000) throw new Error('Event timeout should not exceed 604800000 ms.');
      host.wsEventTimeout(t === 0 ? null : t);
    }
    getHibernatableWebSocketEventTimeout() { return host.wsEventTimeoutGet(); }
    // The WebSocket object this instance uses for one of the object's sockets.
    _socketFor(h) {
      let ws = this._sockets.get(h);
      if (!ws) { ws = socketOf(h, 'hibernatable'); this._sockets.set(h, ws); }
      return ws;
    }
    abort() { notSimulated('ctx.abort()'); }
  }
  const makeState = (hex, name, store) => new DurableObjectState(hex, name, store);
  class ExecutionContext {
    waitUntil(p) { Promise.resolve(p).catch(e => console.error('waitUntil:', e)); }
    passThroughOnException() {}
  }

  class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }
  class WorkerEntrypoint { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }
  // Passing one over RPC (by reference, as a stub) is refused by the host's structured clone.
  class RpcTarget {}

  Object.assign(globalThis, {
    Headers, Request, Response, URL, URLSearchParams, TextEncoder, TextDecoder, DOMException, FormData, Blob, atob, btoa,
    crypto, structuredClone, AbortController, AbortSignal, setTimeout, clearTimeout, setInterval, clearInterval: clearTimeout, console, fetch,
    queueMicrotask: (fn) => { Promise.resolve().then(fn); },
    WebAssembly: refuse('WebAssembly'), caches: refuse('The Cache API (caches)'),
    ReadableStream, ReadableStreamDefaultReader, WritableStream, WritableStreamDefaultWriter, TransformStream, IdentityTransformStream, TextEncoderStream, TextDecoderStream,
    FixedLengthStream: refuse('FixedLengthStream', 'use a TransformStream'), ReadableStreamBYOBReader: refuse('ReadableStreamBYOBReader', 'use getReader()'),
    WebSocket, WebSocketPair, WebSocketRequestResponsePair, Event, MessageEvent, CloseEvent, ErrorEvent, EventSource: refuse('EventSource'), XMLHttpRequest: refuse('XMLHttpRequest', 'there is no outbound network'),
    navigator: Object.freeze({ userAgent: 'Cloudflare-Workers' }),
  });

  // What the host uses (never user code: it is gone from globalThis once the modules load).
  globalThis.__dosim = {
    cloudflareWorkers: { DurableObject, WorkerEntrypoint, RpcTarget },
    makeEnv, makeState,
    Request, Response, Headers, DurableObjectStorage, DurableObjectId, DurableObjectStub, ExecutionContext, console, wireRequest,
    SqlStorage, SqlStorageCursor, socketEvents, socketOf,
    // A handler's response whose body is a stream, once the stream has closed: a promise of the
    // same response with the bytes as its body; undefined for any other value.
    wholeResponse: (r) => (r instanceof Response && r._body instanceof ReadableStream
      ? collect(r._take()).then((bytes) => new Response(bytes, { status: r.status, statusText: r.statusText, headers: r.headers }))
      : undefined),
    response: (r) => {
      if (!(r instanceof Response)) throw new TypeError(`The handler returned ${r === undefined ? 'undefined' : typeof r === 'object' ? (r?.constructor?.name ?? 'an object') : typeof r}, not a Response.`);
      const raw = r._raw();
      return { status: r.status, headers: r.headers._pairs(), text: typeof raw === 'string' ? raw : null, bytes: raw !== null && typeof raw !== 'string' ? bytesToLatin1(raw) : null, webSocket: r._webSocket ? r._webSocket._h : null };
    },
  };
})();
