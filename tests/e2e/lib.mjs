// lib.mjs - helpers for parley's end-to-end tests: start/stop parleyd in dev
// mode, launch headless Chromium (playwright-core, Debian's /usr/bin/chromium)
// with a fake camera and microphone, open the bundled web client, read
// getStats() of its PeerConnections, add packet loss with nftables.
//
// Run inside a network namespace with only loopback:
//   cd /work/main && tests/netns-run node --test tests/e2e/<file>.test.mjs
import { spawn, execFile, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join as pathJoin, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));

export const SOURCE_DIR = process.env.PARLEY_SOURCE_DIR || resolve(here, '..', '..');
export const PARLEYD = process.env.PARLEYD || pathJoin(SOURCE_DIR, 'build', 'parleyd');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const WEB_ROOT = pathJoin(SOURCE_DIR, 'web');

// Dev-mode API key and secret (config defaults dev.api_key / dev.api_secret).
export const DEV_KEY = 'devkey';
export const DEV_SECRET = 'secret';

// Generous limits: these wait for things to happen, they never judge speed.
export const T_SHORT = 20000;
export const T_MEDIA = 60000;

// ---------------------------------------------------------------------------
// ICE gathering on 127.0.0.1.
//
// libnice gathers nothing on loopback unless 127.0.0.1 is added explicitly:
// the server restricts gathering to the addresses of this key
// (config/config.c, [media] local_addrs). It is passed only when
// `parleyd --help` lists it (older builds do not have it).
export const ICE_LOCAL_ADDRS_KEY = 'media.local_addrs';
export const ICE_LOCAL_ADDRS_VALUE = '127.0.0.1';

let helpKeys;
/** The keys parleyd knows (from --help), cached. */
export function parleydKeys() {
  if (!helpKeys) {
    let out = '';
    try {
      out = execFileSync(PARLEYD, ['--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      out = `${e.stdout || ''}${e.stderr || ''}`;
    }
    helpKeys = new Set([...out.matchAll(/^\s+([a-z_]+\.[a-z_]+) =/gm)].map((m) => m[1]));
  }
  return helpKeys;
}

/** The name of the ICE local-address key of this parleyd, or null. */
export function iceLocalAddrsKey() {
  return parleydKeys().has(ICE_LOCAL_ADDRS_KEY) ? ICE_LOCAL_ADDRS_KEY : null;
}

// ---------------------------------------------------------------------------
// parleyd

const running = new Set(); // child processes still alive

process.on('exit', () => {
  for (const p of running) {
    try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
  }
});

/** The environment for a child: ours without any PARLEY_* configuration. */
function childEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('PARLEY_') && !k.startsWith('PARLEY_TEST_') && k !== 'PARLEY_SOURCE_DIR') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/**
 * Starts `parleyd --dev` on a free port of 127.0.0.1, serving web/, with ICE
 * restricted to 127.0.0.1 when the server has such a key. Resolves
 * {url, port, pid, log(), stop()}.
 */
export async function startServer({ args = [], port = 0, dataDir, logLevel = 'info' } = {}) {
  const ownDir = !dataDir;
  if (!dataDir) dataDir = await mkdtemp(pathJoin(tmpdir(), 'parley-e2e-'));
  const iceKey = iceLocalAddrsKey();
  const argv = ['--dev', '--http-port', String(port), '--http-bind', '127.0.0.1',
    '--data-dir', dataDir, '--log-level', logLevel, '--set', `http.web_root=${WEB_ROOT}`];
  if (iceKey) argv.push('--set', `${iceKey}=${ICE_LOCAL_ADDRS_VALUE}`);
  argv.push(...args);
  const proc = spawn(PARLEYD, argv, { env: childEnv(), cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  let log = '';
  let exitCode;
  const exited = new Promise((res) => {
    proc.on('exit', (code, signal) => {
      exitCode = code ?? signal;
      running.delete(proc);
      res(exitCode);
    });
  });
  proc.on('error', (e) => { log += `\n[spawn error] ${e.message}\n`; });
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stdout.on('data', (d) => { log += d; });
  const gotPort = await new Promise((res, rej) => {
    const timer = setTimeout(() => {
      try { process.kill(proc.pid, 'SIGKILL'); } catch { /* gone */ }
      rej(new Error(`parleyd did not start within 15 s; log:\n${log}`));
    }, 15000);
    proc.stderr.on('data', (d) => {
      log += d;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(log);
      if (m) {
        clearTimeout(timer);
        res(Number(m[1]));
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      rej(new Error(`parleyd exited (${code}) before listening; args ${argv.join(' ')}; log:\n${log}`));
    });
  });
  let stopping;
  return {
    url: `http://127.0.0.1:${gotPort}`,
    port: gotPort,
    pid: proc.pid,
    dataDir,
    iceKey,
    log: () => log,
    exited,
    /** SIGTERM by pid, SIGKILL after 15 s; resolves the exit code. */
    stop({ keepDir = false } = {}) {
      if (!stopping) {
        stopping = (async () => {
          if (exitCode === undefined) {
            try { process.kill(proc.pid, 'SIGTERM'); } catch { /* gone */ }
            const timer = setTimeout(() => {
              try { process.kill(proc.pid, 'SIGKILL'); } catch { /* gone */ }
            }, 15000);
            await exited;
            clearTimeout(timer);
          }
          if (ownDir && !keepDir) await rm(dataDir, { recursive: true, force: true });
          if (exitCode !== 0) {
            // a sanitizer report or an assertion is at the end of the log
            process.stderr.write(`parleyd (pid ${proc.pid}) exited with ${exitCode}; last lines of its log:\n` +
              `${log.split('\n').slice(-100).join('\n')}\n`);
          }
          return exitCode;
        })();
      }
      return stopping;
    },
  };
}

// ---------------------------------------------------------------------------
// HTTP API from node

/** One API call; returns {status, headers, text, json}. */
export async function api(url, method, path, { token, json, body, contentType } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  let b = body;
  if (json !== undefined) {
    b = JSON.stringify(json);
    headers['Content-Type'] = 'application/json';
  } else if (b !== undefined && contentType) {
    headers['Content-Type'] = contentType;
  }
  const res = await fetch(url + path, { method, headers, body: b });
  const text = await res.text();
  let j;
  try { j = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, text, json: j };
}

export async function devToken(url, room, identity, name) {
  const r = await api(url, 'POST', '/v1/dev/token', { json: name ? { room, identity, name } : { room, identity } });
  if (r.status !== 200) throw new Error(`dev token: ${r.status} ${r.text}`);
  return r.json.token;
}

/** An HS256 token signed with the dev key (e.g. an admin token). */
export function devJwt(claims, { key = DEV_KEY, secret = DEV_SECRET, ttl = 3600 } = {}) {
  const b64 = (x) => Buffer.from(JSON.stringify(x)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iss: key, nbf: now - 5, exp: now + ttl, ...claims })}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

export function adminToken() {
  return devJwt({ sub: 'e2e-admin', video: { roomCreate: true, roomList: true } });
}

/**
 * Does this server take media? Joins a throwaway participant and POSTs a
 * (deliberately useless) offer to .../publish: 404 (no route), 405 or 501
 * mean no. Resolves {supported, status, detail}.
 */
export async function probeMedia(url) {
  const room = `probe-${process.pid}-${Date.now()}`;
  const token = await devToken(url, room, 'probe');
  const j = await api(url, 'POST', `/v1/rooms/${room}/participants`, { token, json: {} });
  if (j.status !== 201) throw new Error(`probe join: ${j.status} ${j.text}`);
  const pid = j.json.participant.id;
  const r = await api(url, 'POST', `/v1/rooms/${room}/participants/${pid}/publish`, {
    token, body: 'v=0\r\n', contentType: 'application/sdp',
  });
  await api(url, 'DELETE', `/v1/rooms/${room}/participants/${pid}`, { token });
  await api(url, 'DELETE', `/v1/rooms/${room}`, { token: adminToken() });
  const no = r.status === 405 || r.status === 501 || (r.status === 404 && r.json?.error?.code === 'not_found');
  return { supported: !no, status: r.status, detail: r.text.slice(0, 300) };
}

/** The reason to skip media tests, or null when the server is ready for them. */
export async function mediaSkipReason(server) {
  const p = await probeMedia(server.url);
  if (!p.supported) {
    return `server has no media yet: POST .../publish answered ${p.status} ${p.detail.trim()}`;
  }
  return null;
}

// ---------------------------------------------------------------------------
// Chromium

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required',
  // Host candidates as IP addresses, not mDNS names (a page that has not
  // called getUserMedia would otherwise hide them; the server cannot resolve .local).
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--disable-renderer-backgrounding',
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
];

export async function launchBrowser({ args = [] } = {}) {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...args] });
}

/**
 * Opens the web client in a fresh browser context and joins `room` as
 * `identity` (?autojoin=1). Resolves {page, context, identity, pid, console,
 * close()} once the page has joined (not necessarily published).
 */
export async function openClient(browser, server, room, identity, { publish = true, name, setup } = {}) {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  if (setup) await setup(context); // e.g. routes, before the page loads
  const page = await context.newPage();
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(`[${identity} ${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`[${identity} pageerror] ${e.message}`));
  const q = new URLSearchParams({ room, identity, autojoin: '1' });
  if (!publish) q.set('publish', '0');
  if (name) q.set('name', name);
  await page.goto(`${server.url}/?${q}`);
  await page.waitForFunction(() => window.app && ['joined', 'error'].includes(window.app.state),
    null, { timeout: T_SHORT });
  const st = await page.evaluate(() => ({ state: window.app.state, error: window.app.error }));
  if (st.state !== 'joined') {
    throw new Error(`${identity} could not join: ${st.error}\n${consoleLines.join('\n')}`);
  }
  const pid = await page.evaluate(() => window.app.client.participantId);
  return {
    page, context, identity, pid, console: consoleLines,
    async leave() {
      await page.evaluate(() => window.app.leave());
    },
    async close() {
      await context.close().catch(() => {});
    },
  };
}

/** Waits until the client has published (or fails with its publish error). */
export async function waitPublished(c, timeout = T_MEDIA) {
  await c.page.waitForFunction(() => window.app.published || window.app.publishError,
    null, { timeout, polling: 200 });
  const r = await c.page.evaluate(() => ({ ok: window.app.published, err: window.app.publishError }));
  if (!r.ok) throw new Error(`${c.identity} could not publish: ${JSON.stringify(r.err)}`);
}

/** The events the page's client reported so far (see web/app.js). */
export function pageEvents(c) {
  return c.page.evaluate(() => window.app.events);
}

/**
 * Waits for `fn(arg)` (evaluated in the page) to be truthy; on timeout the
 * error says `what` and lists the page's events.
 */
export async function waitInPage(c, fn, arg, { timeout = T_MEDIA, what = 'condition' } = {}) {
  try {
    const h = await c.page.waitForFunction(fn, arg, { timeout, polling: 250 });
    return await h.jsonValue();
  } catch (e) {
    let evs = '';
    try { evs = JSON.stringify(await pageEvents(c)); } catch { /* page gone */ }
    throw new Error(`${c.identity}: timed out waiting for ${what}\nevents: ${evs}\n` +
      `console:\n${c.console.slice(-30).join('\n')}`, { cause: e });
  }
}

/**
 * getStats() of the page's PeerConnections, summarized:
 * {inbound: [{participantId, trackId, kind, mid, packetsReceived, packetsLost,
 *   framesDecoded, freezeCount, totalFreezesDuration, nackCount, pliCount, ...}],
 *  outbound: [{kind, mid, packetsSent, framesEncoded, nackCount, pliCount, ...}],
 *  byParticipant: {pid: {audio: inbound, video: inbound}},
 *  publishState, subscribeState, pairs: [{pc, local, remote}]}
 */
export async function stats(c) {
  return c.page.evaluate(async () => {
    const cl = window.app.client;
    const out = { inbound: [], outbound: [], byParticipant: {}, pairs: [],
      publishState: cl?.pcPublish?.connectionState ?? null,
      subscribeState: cl?.pcSubscribe?.connectionState ?? null };
    if (!cl) return out;
    const byMid = new Map(cl.remoteTracks().map((r) => [r.mid, r]));
    const pick = (s, keys) => Object.fromEntries(keys.filter((k) => s[k] !== undefined).map((k) => [k, s[k]]));
    const pairsOf = (name, rep) => {
      for (const s of rep.values()) {
        if (s.type !== 'candidate-pair' || !s.nominated || s.state !== 'succeeded') continue;
        const l = rep.get(s.localCandidateId);
        const r = rep.get(s.remoteCandidateId);
        out.pairs.push({ pc: name, local: l && `${l.address}:${l.port}`, remote: r && `${r.address}:${r.port}` });
      }
    };
    if (cl.pcSubscribe) {
      const rep = await cl.pcSubscribe.getStats();
      for (const s of rep.values()) {
        if (s.type !== 'inbound-rtp') continue;
        const r = byMid.get(s.mid);
        const e = {
          participantId: r ? r.participantId : null,
          trackId: r ? r.trackId : null,
          kind: s.kind,
          mid: s.mid,
          ...pick(s, ['packetsReceived', 'packetsLost', 'bytesReceived', 'jitter', 'nackCount',
            'pliCount', 'firCount', 'framesReceived', 'framesDecoded', 'framesDropped', 'keyFramesDecoded',
            'freezeCount', 'totalFreezesDuration', 'pauseCount', 'frameWidth', 'frameHeight',
            'concealedSamples', 'totalSamplesReceived', 'decoderImplementation', 'trackIdentifier']),
        };
        out.inbound.push(e);
        if (e.participantId) {
          const p = (out.byParticipant[e.participantId] ||= {});
          p[e.kind] = e;
        }
      }
      pairsOf('subscribe', rep);
    }
    if (cl.pcPublish) {
      const rep = await cl.pcPublish.getStats();
      for (const s of rep.values()) {
        if (s.type === 'outbound-rtp') {
          out.outbound.push({ kind: s.kind, mid: s.mid, ...pick(s, ['packetsSent', 'bytesSent',
            'framesEncoded', 'framesSent', 'nackCount', 'pliCount', 'firCount',
            'retransmittedPacketsSent', 'qualityLimitationReason', 'frameWidth', 'frameHeight']) });
        } else if (s.type === 'remote-inbound-rtp') {
          const o = out.outbound.find((x) => x.kind === s.kind && !x.remote);
          if (o) o.remote = pick(s, ['packetsLost', 'fractionLost', 'roundTripTime', 'jitter']);
        }
      }
      pairsOf('publish', rep);
    }
    return out;
  });
}

/** True when `st` shows audio packets and decoded video from every pid. */
export function receivingFrom(st, pids) {
  return pids.every((pid) => {
    const p = st.byParticipant[pid];
    return p && p.audio && p.audio.packetsReceived > 0 && p.video && p.video.framesDecoded > 0;
  });
}

/** Waits until the page receives audio and decodes video from every pid. */
export async function waitReceiving(c, pids, { timeout = T_MEDIA } = {}) {
  const until = Date.now() + timeout;
  let st;
  for (;;) {
    st = await stats(c);
    if (receivingFrom(st, pids)) return st;
    if (Date.now() > until) {
      throw new Error(`${c.identity}: no audio/video from ${pids.join(', ')} within ${timeout} ms; ` +
        `stats: ${JSON.stringify(st)}\nevents: ${JSON.stringify(await pageEvents(c))}\n` +
        `console:\n${c.console.slice(-30).join('\n')}`);
    }
    await sleep(500);
  }
}

/**
 * Waits until, for every pid, audio packetsReceived and video framesDecoded
 * have grown past those of `before` (by at least `minFrames` frames).
 * Resolves the later sample.
 */
export async function waitGrowing(c, pids, before, { timeout = T_MEDIA, minFrames = 1, minPackets = 1 } = {}) {
  const until = Date.now() + timeout;
  let st;
  for (;;) {
    st = await stats(c);
    const ok = pids.every((pid) => {
      const a = before.byParticipant[pid];
      const b = st.byParticipant[pid];
      return a && b && b.audio && b.video &&
        b.audio.packetsReceived >= a.audio.packetsReceived + minPackets &&
        b.video.framesDecoded >= a.video.framesDecoded + minFrames;
    });
    if (ok) return st;
    if (Date.now() > until) {
      throw new Error(`${c.identity}: media from ${pids.join(', ')} did not keep flowing; ` +
        `before ${JSON.stringify(before.byParticipant)} after ${JSON.stringify(st.byParticipant)}`);
    }
    await sleep(500);
  }
}

// ---------------------------------------------------------------------------
// Packet loss (nftables; the rules live in the test's network namespace)

function nft(args) {
  return new Promise((res, rej) => {
    execFile('nft', args, (err, stdout, stderr) => (err ? rej(new Error(`nft ${args.join(' ')}: ${stderr || err.message}`)) : res(stdout)));
  });
}

/**
 * Drops `percent`% of UDP packets in this network namespace: with
 * `ports` [min, max] (the server's media port range) those to or from these
 * ports, i.e. every hop publisher -> server and server -> subscriber;
 * without, every UDP packet on loopback. TCP, hence HTTP, is untouched.
 * Refuses to run outside tests/netns-run. Resolves {counts(), remove()}.
 */
export async function addUdpLoss(percent, { ports, table = `parley_e2e_${process.pid}` } = {}) {
  if (process.env.PARLEY_TEST_NETNS !== '1') throw new Error('addUdpLoss: run the test under tests/netns-run');
  const matches = ports
    ? [['udp', 'dport', `${ports[0]}-${ports[1]}`], ['udp', 'sport', `${ports[0]}-${ports[1]}`]]
    : [['meta', 'l4proto', 'udp']];
  await nft(['add', 'table', 'inet', table]);
  await nft(['add', 'chain', 'inet', table, 'c', '{ type filter hook input priority 0; }']);
  for (const m of matches) {
    const sample = percent >= 100 ? [] : ['numgen', 'random', 'mod', '100', '<', String(percent)];
    await nft(['add', 'rule', 'inet', table, 'c', ...m, ...sample, 'counter', 'drop']);
  }
  for (const m of matches) await nft(['add', 'rule', 'inet', table, 'c', ...m, 'counter']);
  return {
    /** {dropped, passed}: UDP packets the rules dropped and let through. */
    async counts() {
      const out = await nft(['list', 'table', 'inet', table]);
      const n = [...out.matchAll(/counter packets (\d+)/g)].map((x) => Number(x[1]));
      const sum = (l) => l.reduce((x, y) => x + y, 0);
      return { dropped: sum(n.slice(0, matches.length)), passed: sum(n.slice(matches.length)) };
    },
    async remove() {
      await nft(['delete', 'table', 'inet', table]).catch(() => {});
    },
  };
}

/**
 * A UDP port range for one server's media, below Linux's ephemeral ports
 * (so no browser socket is in it), random per call; [min, max].
 */
export function mediaPortRange(size = 100) {
  const start = 10000 + size * Math.floor(Math.random() * Math.floor(20000 / size));
  return [start, start + size - 1];
}

/** Arguments giving parleyd that media port range (when it has the keys). */
export function mediaPortArgs([min, max]) {
  const keys = parleydKeys();
  if (!keys.has('media.port_min') || !keys.has('media.port_max')) return null;
  return ['--set', `media.port_min=${min}`, '--set', `media.port_max=${max}`];
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
