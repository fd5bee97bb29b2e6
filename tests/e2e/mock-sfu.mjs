// mock-sfu.mjs - a stand-in for parleyd's media signaling, to test the
// browser client (web/parley.js) on its own: a node HTTP server speaking the
// same protocol (join, SSE events, publish/subscribe SDP, trickle PATCH,
// leave) whose WebRTC end is an extra Chromium page ("the SFU page") that
// answers publish offers, and forwards every received track to the other
// participants' subscribe PeerConnections. The mock checks what the client
// sends (content types, versions, sdpfrag bodies) and lists what it found
// wrong in `violations`.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join as pathJoin, normalize } from 'node:path';
import { WEB_ROOT } from './lib.mjs';

const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

// Runs in the SFU page.
const SFU_PAGE_SCRIPT = () => {
  const cfg = { bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' };
  const gathered = (pc) => (pc.iceGatheringState === 'complete' ? Promise.resolve()
    : new Promise((r) => {
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') r();
      });
    }));
  const sfu = {
    pubs: new Map(),   // pid -> pc
    subs: new Map(),   // pid -> {pc, tr: Map(key -> transceiver)}
    tracks: new Map(), // "pid/trackId" -> MediaStreamTrack
    async publish(pid, sdp, midToTrack) {
      let pc = sfu.pubs.get(pid);
      if (!pc) {
        pc = new RTCPeerConnection(cfg);
        sfu.pubs.set(pid, pc);
      }
      await pc.setRemoteDescription({ type: 'offer', sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      await gathered(pc);
      const added = [];
      const removed = [];
      for (const t of pc.getTransceivers()) {
        const info = midToTrack[t.mid];
        if (!info) continue;
        const key = `${pid}/${info.trackId}`;
        if (info.active && !sfu.tracks.has(key)) {
          // Chromium does not re-send a received audio track without an
          // audio device: forward a tone instead (video is forwarded as is).
          sfu.tracks.set(key, t.receiver.track.kind === 'audio' ? sfu.tone() : t.receiver.track);
          added.push({ mid: t.mid, ...info });
        } else if (!info.active && sfu.tracks.has(key)) {
          sfu.tracks.delete(key);
          removed.push({ mid: t.mid, ...info });
        }
      }
      return { sdp: pc.localDescription.sdp, added, removed };
    },
    /** A new offer for `pid` carrying exactly the tracks `keys`. */
    async subOffer(pid, keys) {
      let s = sfu.subs.get(pid);
      if (!s) {
        s = { pc: new RTCPeerConnection(cfg), tr: new Map() };
        sfu.subs.set(pid, s);
      }
      for (const [key, t] of s.tr) {
        if (!keys.includes(key)) {
          t.stop();
          s.tr.delete(key);
        }
      }
      for (const key of keys) {
        if (s.tr.has(key) || !sfu.tracks.has(key)) continue;
        s.tr.set(key, s.pc.addTransceiver(sfu.tracks.get(key), { direction: 'sendonly' }));
      }
      // (Chromium cannot offer max-bundle with every m-section stopped.)
      if (!s.tr.size) return null;
      await s.pc.setLocalDescription(await s.pc.createOffer());
      await gathered(s.pc);
      const mids = {};
      for (const [key, t] of s.tr) mids[t.mid] = key;
      return { sdp: s.pc.localDescription.sdp, mids };
    },
    async subAnswer(pid, sdp) {
      await sfu.subs.get(pid).pc.setRemoteDescription({ type: 'answer', sdp });
    },
    async candidates(pid, which, list, end) {
      const pc = which === 'publish' ? sfu.pubs.get(pid) : sfu.subs.get(pid)?.pc;
      if (!pc) return 'no pc';
      for (const c of list) await pc.addIceCandidate({ candidate: c.candidate, sdpMid: c.mid });
      if (end) await pc.addIceCandidate(null).catch(() => {});
      return 'ok';
    },
    tone() {
      sfu.ac ||= new AudioContext();
      const osc = sfu.ac.createOscillator();
      const dst = sfu.ac.createMediaStreamDestination();
      osc.connect(dst);
      osc.start();
      return dst.stream.getAudioTracks()[0];
    },
    close(pid) {
      sfu.pubs.get(pid)?.close();
      sfu.subs.get(pid)?.pc.close();
      sfu.pubs.delete(pid);
      sfu.subs.delete(pid);
      for (const k of [...sfu.tracks.keys()]) if (k.startsWith(`${pid}/`)) sfu.tracks.delete(k);
    },
  };
  window.sfu = sfu;
};

function sections(sdp) {
  const lines = sdp.split(/\r?\n/).filter(Boolean);
  const out = { head: [], media: [] };
  let cur = null;
  for (const l of lines) {
    if (l.startsWith('m=')) {
      cur = [l];
      out.media.push(cur);
    } else if (cur) cur.push(l);
    else out.head.push(l);
  }
  return out;
}
const midOf = (sec) => (sec.find((l) => l.startsWith('a=mid:')) || '').slice(6) || null;

/** The tracks of a publish offer: mid -> {trackId, kind, active}. */
function offerTracks(sdp) {
  const res = {};
  for (const sec of sections(sdp).media) {
    const mid = midOf(sec);
    const kind = sec[0].slice(2).split(' ')[0];
    const msid = sec.find((l) => l.startsWith('a=msid:'));
    const port = Number(sec[0].split(' ')[1]);
    const dir = ['sendonly', 'sendrecv', 'recvonly', 'inactive'].find((d) => sec.includes(`a=${d}`));
    if (mid == null || !msid) continue;
    res[mid] = { trackId: msid.slice(7).split(' ')[1], kind,
      active: port !== 0 && (dir === 'sendonly' || dir === 'sendrecv') };
  }
  return res;
}

/** Rewrites msid of each m-section with mid in `mids` to "<pid> <trackId>". */
function setMsids(sdp, mids) {
  const s = sections(sdp);
  const media = s.media.map((sec) => {
    const key = mids[midOf(sec)];
    let out = sec.filter((l) => !l.startsWith('a=msid:') && !/^a=ssrc:\d+ msid:/.test(l));
    if (key) {
      const [pid, tid] = key.split('/');
      out = [...out.slice(0, 1), ...out.slice(1), `a=msid:${pid} ${tid}`];
    }
    return out;
  });
  const head = s.head.filter((l) => !l.startsWith('a=msid-semantic'));
  head.push('a=msid-semantic: WMS *');
  return `${[...head, ...media.flat()].join('\r\n')}\r\n`;
}

export async function startMockSfu(browser) {
  const violations = [];
  const log = [];
  const patches = []; // {who, which, body} of every trickle PATCH
  const bad = (msg) => violations.push(msg);
  const participants = new Map(); // pid -> {participant, room, token, events[], nextId, streams:Set, sub:{version, busy, again}, tracks: Map, creds}
  const tokens = new Map(); // token -> {room, identity, name}
  let n = 0;
  let server;

  const sfuContext = await browser.newContext();
  const sfuPage = await sfuContext.newPage();

  const sendEvent = (p, event, data) => {
    const ev = { id: ++p.lastId, event, data: JSON.stringify(data) };
    p.events.push(ev);
    for (const res of p.streams) res.write(`id: ${ev.id}\nevent: ${ev.event}\ndata: ${ev.data}\n\n`);
  };
  const others = (p) => [...participants.values()].filter((q) => q.room === p.room && q !== p);

  const renegotiate = async (p) => {
    if (!participants.has(p.participant.id)) return;
    if (p.sub.busy) {
      p.sub.again = true;
      return;
    }
    p.sub.busy = true;
    p.sub.again = false;
    const keys = [];
    for (const q of others(p)) for (const tid of q.tracks.keys()) keys.push(`${q.participant.id}/${tid}`);
    const o = await sfuPage.evaluate(([pid, k]) => window.sfu.subOffer(pid, k), [p.participant.id, keys]);
    if (!o) {
      p.sub.busy = false;
      return;
    }
    p.sub.version++;
    p.sub.pending = p.sub.version;
    log.push(`offer ${p.participant.identity} v${p.sub.version} ${keys.join(',')}`);
    sendEvent(p, 'subscribe_offer', { sdp: setMsids(o.sdp, o.mids), version: p.sub.version });
  };

  const body = (req) => new Promise((res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => res(Buffer.concat(chunks).toString('utf8')));
  });
  const json = (res, status, obj) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(obj === undefined ? '' : JSON.stringify(obj));
  };
  const auth = (req) => tokens.get((req.headers.authorization || '').replace(/^Bearer /, '')) || null;

  const handle = async (req, res) => {
    const u = new URL(req.url, 'http://x');
    const path = u.pathname;
    const b = await body(req);
    let m;
    if (req.method === 'GET' && !path.startsWith('/v1/')) {
      if (path === '/__sfu.html') {
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end('<!doctype html><title>sfu</title>');
        return;
      }
      const rel = normalize(path === '/' ? '/index.html' : path);
      try {
        const data = await readFile(pathJoin(WEB_ROOT, rel));
        res.writeHead(200, { 'Content-Type': MIME[rel.slice(rel.lastIndexOf('.'))] || 'application/octet-stream' });
        res.end(data);
      } catch {
        json(res, 404, { error: { code: 'not_found', message: 'no such file' } });
      }
      return;
    }
    if (req.method === 'POST' && path === '/v1/dev/token') {
      const j = JSON.parse(b);
      const token = `mock-${++n}`;
      tokens.set(token, { room: j.room, identity: j.identity, name: j.name || '' });
      json(res, 200, { token });
      return;
    }
    if ((m = /^\/v1\/rooms\/([^/]+)\/participants$/.exec(path)) && req.method === 'POST') {
      const t = auth(req);
      if (!t || t.room !== m[1]) return json(res, 401, { error: { code: 'unauthorized', message: 'token' } });
      const pid = `PA_mock${String(++n).padStart(5, '0')}`;
      const participant = { id: pid, identity: t.identity, name: t.name, metadata: '', joined_at: 0,
        permissions: { can_publish: true, can_subscribe: true, can_publish_data: true } };
      const p = { participant, room: m[1], events: [], lastId: 0, streams: new Set(),
        sub: { version: 0, busy: false, again: false }, tracks: new Map(), token: req.headers.authorization.slice(7) };
      for (const q of others(p)) sendEvent(q, 'participant_joined', { participant });
      participants.set(pid, p);
      json(res, 201, {
        participant,
        room: { name: m[1], participants: [...participants.values()].filter((q) => q.room === m[1]).map((q) => q.participant) },
        events_url: `/v1/rooms/${m[1]}/participants/${pid}/events`,
        ice_servers: [],
      });
      // Existing tracks of the others: a first subscribe offer.
      if (others(p).some((q) => q.tracks.size)) {
        for (const q of others(p)) {
          for (const [tid, info] of q.tracks) sendEvent(p, 'track_published', { participant: q.participant, track: { id: tid, ...info } });
        }
        renegotiate(p).catch((e) => bad(`renegotiate: ${e.message}`));
      }
      return;
    }
    m = /^\/v1\/rooms\/([^/]+)\/participants\/([^/]+)(?:\/(events|publish|subscribe))?$/.exec(path);
    const p = m && participants.get(m[2]);
    if (!m || !p) return json(res, 404, { error: { code: 'participant_not_found', message: path } });
    if (m[3] === 'events' && req.method === 'GET') {
      if (u.searchParams.get('access_token') !== p.token) bad(`events: access_token is not the join token`);
      const last = Number(req.headers['last-event-id'] || u.searchParams.get('last_event_id') || 0);
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
      res.write('retry: 2000\n\n');
      for (const ev of p.events) if (ev.id > last) res.write(`id: ${ev.id}\nevent: ${ev.event}\ndata: ${ev.data}\n\n`);
      p.streams.add(res);
      req.on('close', () => p.streams.delete(res));
      return;
    }
    if (req.headers.authorization !== `Bearer ${p.token}`) bad(`${req.method} ${path}: not the participant's token`);
    if (!m[3] && req.method === 'DELETE') {
      participants.delete(p.participant.id);
      for (const res2 of p.streams) res2.end();
      await sfuPage.evaluate((pid) => window.sfu.close(pid), p.participant.id);
      for (const q of others(p)) {
        for (const tid of p.tracks.keys()) sendEvent(q, 'track_unpublished', { participant_id: p.participant.id, track_id: tid });
        sendEvent(q, 'participant_left', { participant: p.participant, reason: 'left' });
        if (p.tracks.size) renegotiate(q).catch((e) => bad(`renegotiate: ${e.message}`));
      }
      json(res, 204);
      return;
    }
    if (m[3] === 'publish' && req.method === 'POST') {
      if (req.headers['content-type'] !== 'application/sdp') bad(`publish POST content-type ${req.headers['content-type']}`);
      if (!b.startsWith('v=0')) bad('publish POST body is not an SDP offer');
      for (const sec of sections(b).media) {
        if (!sec.includes('a=sendonly') && !sec.includes('a=inactive')) bad(`publish offer m-section not sendonly: ${sec[0]}`);
      }
      const tracks = offerTracks(b);
      const r = await sfuPage.evaluate(([pid, sdp, mt]) => window.sfu.publish(pid, sdp, mt), [p.participant.id, b, tracks]);
      p.creds = { ...(p.creds || {}), publish: /a=ice-ufrag:(\S+)/.exec(b)?.[1] };
      res.writeHead(200, { 'Content-Type': 'application/sdp' });
      res.end(r.sdp);
      for (const t of r.added) {
        p.tracks.set(t.trackId, { kind: t.kind, mid: t.mid, muted: false });
        for (const q of others(p)) sendEvent(q, 'track_published', { participant: p.participant, track: { id: t.trackId, kind: t.kind, mid: t.mid, muted: false } });
      }
      for (const t of r.removed) {
        p.tracks.delete(t.trackId);
        for (const q of others(p)) sendEvent(q, 'track_unpublished', { participant_id: p.participant.id, track_id: t.trackId });
      }
      if (r.added.length || r.removed.length) {
        for (const q of others(p)) renegotiate(q).catch((e) => bad(`renegotiate: ${e.message}`));
      }
      return;
    }
    if (m[3] === 'subscribe' && req.method === 'POST') {
      if (req.headers['content-type'] !== 'application/sdp') bad(`subscribe POST content-type ${req.headers['content-type']}`);
      const v = Number(u.searchParams.get('version'));
      if (v !== p.sub.pending) {
        bad(`subscribe answer for version ${v}, latest offer ${p.sub.pending}`);
        return json(res, 409, { error: { code: 'stale_version', message: 'old version' } });
      }
      for (const sec of sections(b).media) {
        if (Number(sec[0].split(' ')[1]) !== 0 && !sec.includes('a=recvonly') && !sec.includes('a=inactive')) bad(`subscribe answer m-section not recvonly: ${sec.join(' | ')}`);
      }
      await sfuPage.evaluate(([pid, sdp]) => window.sfu.subAnswer(pid, sdp), [p.participant.id, b]);
      p.creds = { ...(p.creds || {}), subscribe: /a=ice-ufrag:(\S+)/.exec(b)?.[1] };
      p.sub.pending = null;
      p.sub.busy = false;
      json(res, 204);
      if (p.sub.again) renegotiate(p).catch((e) => bad(`renegotiate: ${e.message}`));
      return;
    }
    if ((m[3] === 'publish' || m[3] === 'subscribe') && req.method === 'PATCH') {
      const which = m[3];
      if (req.headers['content-type'] !== 'application/trickle-ice-sdpfrag') bad(`PATCH ${which} content-type ${req.headers['content-type']}`);
      const lines = b.split('\r\n');
      if (lines[lines.length - 1] !== '') bad(`PATCH ${which}: body does not end with CRLF`);
      const ls = lines.filter(Boolean);
      if (!ls[0]?.startsWith('a=ice-ufrag:') || !ls[1]?.startsWith('a=ice-pwd:')) bad(`PATCH ${which}: no ufrag/pwd first: ${b}`);
      const ufrag = ls[0]?.slice(12);
      if (p.creds?.[which] && ufrag !== p.creds[which]) bad(`PATCH ${which}: ufrag ${ufrag} is not the SDP's ${p.creds[which]}`);
      if (!p.creds?.[which]) bad(`PATCH ${which} before its SDP`);
      let mid = null;
      const cands = [];
      let end = false;
      for (const l of ls.slice(2)) {
        if (l.startsWith('m=')) mid = null;
        else if (l.startsWith('a=mid:')) mid = l.slice(6);
        else if (l.startsWith('a=candidate:')) {
          if (mid == null) bad(`PATCH ${which}: candidate before a=mid`);
          cands.push({ mid, candidate: l.slice(2) });
        } else if (l === 'a=end-of-candidates') end = true;
        else bad(`PATCH ${which}: unexpected line ${l}`);
      }
      log.push(`patch ${p.participant.identity} ${which} ${cands.length}${end ? ' end' : ''}`);
      patches.push({ who: p.participant.identity, which, body: b });
      const r = await sfuPage.evaluate(([pid, w, c, e]) => window.sfu.candidates(pid, w, c, e),
        [p.participant.id, which, cands, end]).catch((e) => `error ${e.message}`);
      if (r !== 'ok') bad(`PATCH ${which}: ${r}`);
      json(res, 204);
      return;
    }
    json(res, 405, { error: { code: 'method_not_allowed', message: `${req.method} ${path}` } });
  };

  server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      bad(`${req.method} ${req.url}: ${e.stack}`);
      if (!res.headersSent) json(res, 500, { error: { code: 'internal', message: e.message } });
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  const url = `http://127.0.0.1:${port}`;
  await sfuPage.goto(`${url}/__sfu.html`);
  await sfuPage.evaluate(SFU_PAGE_SCRIPT);
  return {
    url,
    port,
    violations,
    log,
    patches,
    participants,
    async stop() {
      for (const p of participants.values()) for (const r of p.streams) r.end();
      await sfuContext.close().catch(() => {});
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      return 0; // like startServer's stop(): the exit code
    },
  };
}
