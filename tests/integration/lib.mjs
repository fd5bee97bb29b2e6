// lib.mjs - helpers for parley's integration tests: start/stop parleyd,
// call the HTTP API, read event streams (SSE), mint access tokens.
import { spawn, execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join as pathJoin, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AccessToken } from 'livekit-server-sdk';

const here = dirname(fileURLToPath(import.meta.url));

export const SOURCE_DIR = process.env.PARLEY_SOURCE_DIR || resolve(here, '..', '..');
export const PARLEYD = process.env.PARLEYD || '/work/main/build/parleyd';

export const API_KEY = 'APIkey1';
export const API_SECRET = 'it-secret-0123456789abcdefghijklmnopqrstuv';
export const OTHER_KEY = 'APIkey2';
export const OTHER_SECRET = 'it-other-secret-ZYXWVUTSRQPONMLKJIHGFEDCBA98';

/** Flags that put a server in production mode with the test key. */
export function keyArgs(keys = [[API_KEY, API_SECRET]]) {
  return ['--set', `auth.keys=${keys.map(([k, s]) => `${k}:${s}`).join(';')}`];
}

/** The environment for a child: ours without any PARLEY_* configuration. */
export function childEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('PARLEY_') && !k.startsWith('PARLEY_TEST_') && k !== 'PARLEY_SOURCE_DIR')
      continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

export async function makeTempDir(prefix = 'parley-it-') {
  return mkdtemp(pathJoin(tmpdir(), prefix));
}

export async function removeDir(dir) {
  if (dir) await rm(dir, { recursive: true, force: true });
}

const running = new Set();

// Last resort: never leave a server behind if a test file dies.
process.on('exit', () => {
  for (const p of running) {
    try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
  }
});

/** Runs parleyd to completion (CLI uses); resolves {code, stdout, stderr}. */
export function runParleyd(args, { env = {}, timeoutMs = 10000, cwd } = {}) {
  return new Promise((res) => {
    execFile(PARLEYD, args, { env: childEnv(env), timeout: timeoutMs, cwd: cwd || tmpdir() },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        res({ code, signal: err?.signal ?? null, stdout, stderr });
      });
  });
}

/**
 * Starts parleyd on a free port of 127.0.0.1 and waits until it listens.
 * Returns {url, port, pid, proc, dataDir, log(), stop()}.
 */
export async function startServer({ args = [], env = {}, dataDir } = {}) {
  const ownDir = !dataDir;
  if (!dataDir) dataDir = await makeTempDir();
  const argv = ['--http-port', '0', '--http-bind', '127.0.0.1', '--data-dir', dataDir,
    '--log-level', 'info', ...args];
  const proc = spawn(PARLEYD, argv, {
    env: childEnv(env), cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(proc);
  let log = '';
  let exitCode;
  let exitSignal;
  const exited = new Promise((res) => {
    proc.on('exit', (code, signal) => {
      exitCode = code;
      exitSignal = signal;
      running.delete(proc);
      res(code);
    });
  });
  proc.on('error', (e) => { log += `\n[spawn error] ${e.message}\n`; });
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stdout.on('data', (d) => { log += d; });

  const port = await new Promise((res, rej) => {
    let done = false;
    const finish = (fn, v) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      fn(v);
    };
    const timer = setTimeout(() => {
      try { process.kill(proc.pid, 'SIGKILL'); } catch { /* gone */ }
      finish(rej, new Error(`parleyd did not start within 10 s; log:\n${log}`));
    }, 10000);
    proc.stderr.on('data', (d) => {
      log += d;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(log);
      if (m) finish(res, Number(m[1]));
    });
    exited.then((code) => finish(rej, new Error(
      `parleyd exited (code ${code}, signal ${exitSignal}) before listening; log:\n${log}`)));
  }).catch(async (e) => {
    if (ownDir) await removeDir(dataDir);
    throw e;
  });

  let stopping;
  const server = {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: proc.pid,
    proc,
    dataDir,
    log: () => log,
    exited,
    /** SIGTERM, wait (SIGKILL after 10 s); resolves the exit code. */
    stop({ keepDir = false } = {}) {
      if (!stopping) {
        stopping = (async () => {
          if (exitCode === undefined && exitSignal === undefined) {
            try { process.kill(proc.pid, 'SIGTERM'); } catch { /* gone */ }
            const timer = setTimeout(() => {
              try { process.kill(proc.pid, 'SIGKILL'); } catch { /* gone */ }
            }, 10000);
            await exited;
            clearTimeout(timer);
          }
          if (ownDir && !keepDir) await removeDir(dataDir);
          return exitCode;
        })();
      }
      return stopping;
    },
  };
  return server;
}

function hasHeader(h, name) {
  return Object.keys(h).some((k) => k.toLowerCase() === name.toLowerCase());
}

/**
 * One API call. `body` is sent as JSON; `rawBody` as given (a string gets
 * Content-Type application/json unless headers say otherwise; a header
 * value of null removes it). Returns {status, headers, json, text}.
 */
export async function api(url, method, path, { token, body, headers = {}, rawBody } = {}) {
  const h = {};
  let dropCt = false;
  for (const [k, v] of Object.entries(headers)) {
    if (v === null) {
      if (k.toLowerCase() === 'content-type') dropCt = true;
    } else {
      h[k] = v;
    }
  }
  if (token) h.Authorization = `Bearer ${token}`;
  let b;
  if (rawBody !== undefined) b = rawBody;
  else if (body !== undefined) b = JSON.stringify(body);
  if (typeof b === 'string') {
    if (dropCt) b = new TextEncoder().encode(b); // fetch adds no type for bytes
    else if (!hasHeader(h, 'content-type')) h['Content-Type'] = 'application/json';
  }
  const init = { method, headers: h };
  if (b !== undefined) init.body = b;
  if (b instanceof ReadableStream) init.duplex = 'half';
  const res = await fetch(url + path, init);
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: res.status, headers: res.headers, json, text };
}

/** Parses one SSE block into an item (event, comment list, or other fields). */
function parseBlock(block) {
  const ev = { id: undefined, event: 'message', data: undefined, comments: [], fields: 0 };
  const data = [];
  for (const line of block.split('\n')) {
    if (line === '') continue;
    if (line.startsWith(':')) {
      ev.comments.push(line.slice(1).trim());
      continue;
    }
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    let value = i < 0 ? '' : line.slice(i + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    ev.fields++;
    if (field === 'id') ev.id = value;
    else if (field === 'event') ev.event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'retry') ev.retry = Number(value);
  }
  if (data.length) ev.data = data.join('\n');
  return ev;
}

/**
 * Opens a participant's event stream. Returns an object with status,
 * headers and, for a 200, next(timeoutMs) -> the next event
 * {id (number), event, data, json} or null once the stream has ended,
 * nextComment(timeoutMs), events (all so far), comments, ended (promise),
 * close(). For other statuses, json is the error body.
 */
export async function openEvents(url, path, token, { lastEventId, query, headers = {} } = {}) {
  const ac = new AbortController();
  const h = { Accept: 'text/event-stream', ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (lastEventId !== undefined) h['Last-Event-ID'] = String(lastEventId);
  const full = url + path + (query ? `?${new URLSearchParams(query)}` : '');
  const res = await fetch(full, { headers: h, signal: ac.signal });
  const s = {
    status: res.status,
    headers: res.headers,
    contentType: res.headers.get('content-type'),
    events: [],
    comments: [],
    retry: undefined,
    done: false,
  };
  if (res.status !== 200) {
    const text = await res.text();
    try { s.json = JSON.parse(text); } catch { s.text = text; }
    s.done = true;
    s.ended = Promise.resolve();
    s.close = () => {};
    return s;
  }

  const queue = [];        // events not yet taken by next()
  const cqueue = [];       // comments not yet taken by nextComment()
  const waiters = [];      // {kind, resolve, timer}
  const wake = () => {
    for (let i = 0; i < waiters.length;) {
      const w = waiters[i];
      const q = w.kind === 'event' ? queue : cqueue;
      if (q.length || s.done) {
        waiters.splice(i, 1);
        clearTimeout(w.timer);
        w.resolve(q.length ? q.shift() : null);
      } else {
        i++;
      }
    }
  };

  const pump = (async () => {
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = parseBlock(block);
          for (const c of ev.comments) {
            s.comments.push(c);
            cqueue.push(c);
          }
          if (ev.retry !== undefined) s.retry = ev.retry;
          if (ev.data !== undefined) {
            const item = {
              id: ev.id === undefined ? undefined : Number(ev.id),
              event: ev.event,
              data: ev.data,
            };
            try { item.json = JSON.parse(ev.data); } catch { /* not JSON */ }
            s.events.push(item);
            queue.push(item);
          }
        }
        wake();
      }
    } catch {
      // aborted by close(), or the connection went away
    } finally {
      s.done = true;
      wake();
    }
  })();

  const waitFor = (kind, timeoutMs) => new Promise((resolveP, reject) => {
    const w = { kind, resolve: resolveP };
    w.timer = setTimeout(() => {
      const i = waiters.indexOf(w);
      if (i >= 0) waiters.splice(i, 1);
      reject(new Error(`no ${kind} on ${path} within ${timeoutMs} ms; got so far: ` +
        JSON.stringify(s.events.map((e) => [e.id, e.event]))));
    }, timeoutMs);
    waiters.push(w);
    wake();
  });

  s.next = (timeoutMs = 5000) => waitFor('event', timeoutMs);
  s.nextComment = (timeoutMs = 5000) => waitFor('comment', timeoutMs);
  /** Next event of type `type`, skipping others; null if the stream ends. */
  s.nextOf = async (type, timeoutMs = 5000) => {
    for (;;) {
      const ev = await s.next(timeoutMs);
      if (!ev || ev.event === type) return ev;
    }
  };
  s.ended = pump;
  s.close = async () => {
    ac.abort();
    await pump;
  };
  return s;
}

/** An access token minted with livekit-server-sdk. */
export async function mintToken({
  identity, name, metadata, ttl = '1h', key = API_KEY, secret = API_SECRET, ...grant
} = {}) {
  const at = new AccessToken(key, secret, { identity, name, metadata, ttl });
  at.addGrant(grant);
  return at.toJwt();
}

/** A server-side token: create, list (and so admin of every room). */
export function adminToken(opts = {}) {
  return mintToken({ roomCreate: true, roomList: true, ...opts });
}

/** A participant token: join `room` as `identity`. */
export function joinToken(room, identity, opts = {}) {
  return mintToken({ identity, room, roomJoin: true, ...opts });
}

function b64url(x) {
  return Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');
}

/** A hand-made HS256 JWT (for tokens the SDK will not make). */
export function craftToken(payload, secret = API_SECRET, header = { alg: 'HS256', typ: 'JWT' }) {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const sig = createHmac('sha256', secret).update(input).digest('base64url');
  return `${input}.${sig}`;
}

export function nowSec() {
  return Math.floor(Date.now() / 1000);
}

/**
 * Joins `room` as `identity` with a fresh token. Returns the join response
 * body plus {status, token, pid, json}.
 */
export async function join(url, room, identity, { token, grants = {}, expect = 201 } = {}) {
  const tok = token || await joinToken(room, identity, grants);
  const r = await api(url, 'POST', `/v1/rooms/${room}/participants`, { token: tok });
  if (expect && r.status !== expect) {
    throw new Error(`join ${room} as ${identity}: expected ${expect}, got ${r.status} ${r.text}`);
  }
  return { status: r.status, json: r.json, token: tok, pid: r.json?.participant?.id,
    eventsUrl: r.json?.events_url };
}

/** Joins and opens the participant's event stream at once. */
export async function joinWithEvents(url, room, identity, opts = {}) {
  const j = await join(url, room, identity, opts);
  const events = await openEvents(url, j.eventsUrl, j.token);
  if (events.status !== 200)
    throw new Error(`events for ${identity}: ${events.status} ${JSON.stringify(events.json)}`);
  return { ...j, events };
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls fn() until it returns a truthy value; throws after timeoutMs. */
export async function waitUntil(fn, { timeoutMs = 10000, intervalMs = 100, what = 'condition' } = {}) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Checks the error body shape; returns the error object. */
export function errorOf(r) {
  const e = r.json?.error;
  if (!e || typeof e.code !== 'string' || typeof e.message !== 'string' || !e.message)
    throw new Error(`not an error body (status ${r.status}): ${r.text}`);
  if (Object.keys(r.json).length !== 1 || Object.keys(e).sort().join() !== 'code,message')
    throw new Error(`unexpected error body shape: ${r.text}`);
  return e;
}
