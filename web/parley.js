// parley.js - browser client for parley (an SFU): join a room, follow its
// events (Server-Sent Events), publish local tracks on one PeerConnection
// and receive everyone else's on another. An ES module with no dependencies.
//
//   import { Parley } from '/parley.js';
//   const c = await Parley.join({ room: 'standup', token, on: {
//     participant_joined: ({ participant }) => ...,
//     track: ({ participantId, track, stream }) => ...,
//   } });
//   await c.publish(await navigator.mediaDevices.getUserMedia({ audio: true, video: true }));
//   ...
//   await c.leave();
//
// Signaling (see docs/API.md):
// - join: POST /v1/rooms/{room}/participants -> participant, events_url, ice_servers
// - events: EventSource(events_url?access_token=...), reconnecting with Last-Event-ID
// - mute: PATCH .../{pid}/tracks/{track} {"muted": bool}
// - publish PC: the client offers, POST .../publish (application/sdp) -> answer
//   (asked for as JSON: {sdp, tracks}, so the client knows its tracks' ids)
// - subscribe PC: the server offers (event subscribe_offer {sdp, version}), the
//   client answers with POST .../subscribe?version=N (application/sdp) -> 204
// - trickle ICE: PATCH .../publish or .../subscribe with an
//   application/trickle-ice-sdpfrag body (RFC 8840); the server sends all its
//   candidates in its SDP
// - ICE restart when a connection drops: publish PC, a new offer with new
//   credentials (pc.restartIce()); subscribe PC, POST .../subscribe/restart
//   and the server's next subscribe_offer carries its new credentials
// - leave: DELETE /v1/rooms/{room}/participants/{pid}

/** An error from the server (HTTP status + API error code) or from the client itself. */
export class ParleyError extends Error {
  constructor(message, { status = 0, code = 'client_error', cause } = {}) {
    super(message, cause ? { cause } : undefined);
    this.name = 'ParleyError';
    this.status = status;
    this.code = code;
  }
}

// Server events the client understands; on(type) with another name listens
// for that SSE event too (raw: the handler gets its parsed data).
const KNOWN_SSE = [
  'participant_joined', 'participant_left', 'room_updated', 'room_ended',
  'disconnected', 'events_lost', 'subscribe_offer', 'track_published', 'track_unpublished',
  'track_muted',
];

// Events the client emits itself (besides the SSE ones above).
const CLIENT_EVENTS = new Set([
  'track', 'track_removed', 'error', 'connection_state', 'reconnecting', 'reconnected',
  'event', 'state', 'publish_negotiated', 'subscribe_negotiated', 'ice_restart',
]);

// A connection that stays 'disconnected' this long, or 'failed', gets an
// ICE restart; one that is not back this long after a restart gets another.
const RESTART_AFTER_MS = 2000;
const RESTART_RETRY_MS = 6000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A participant object's published tracks: Map(track id -> track object). */
const tracksOf = (p) => new Map(((p && p.tracks) || []).map((t) => [t.id, t]));

/** Splits an SDP into its session part and its media sections (lines, no CRLF). */
export function parseSdp(sdp) {
  const lines = sdp.split(/\r?\n/).filter((l) => l.length);
  const session = [];
  const media = [];
  let cur = null;
  for (const l of lines) {
    if (l.startsWith('m=')) {
      const [kind, port] = l.slice(2).split(' ');
      cur = { kind, port: Number(port), lines: [l], mid: null, msid: null, direction: 'sendrecv' };
      media.push(cur);
    } else if (cur) {
      cur.lines.push(l);
    } else {
      session.push(l);
    }
  }
  const attr = (ls, name) => {
    const p = `a=${name}:`;
    const l = ls.find((x) => x.startsWith(p));
    return l ? l.slice(p.length).trim() : null;
  };
  let sessionDir = null;
  for (const d of ['sendrecv', 'sendonly', 'recvonly', 'inactive']) {
    if (session.includes(`a=${d}`)) sessionDir = d;
  }
  for (const m of media) {
    m.mid = attr(m.lines, 'mid');
    // a=msid:<stream> <track>, else the older a=ssrc:<n> msid:<stream> <track>
    let msid = attr(m.lines, 'msid');
    if (!msid) {
      const l = m.lines.find((x) => /^a=ssrc:\d+ msid:/.test(x));
      if (l) msid = l.slice(l.indexOf(' msid:') + 6).trim();
    }
    if (msid) {
      const [streamId, trackId] = msid.split(/\s+/);
      m.msid = { streamId, trackId: trackId || null };
    }
    // Port 0 rejects a section, unless it is bundle-only (RFC 8843).
    m.rejected = m.port === 0 && !m.lines.includes('a=bundle-only');
    m.direction = sessionDir || 'sendrecv';
    for (const d of ['sendrecv', 'sendonly', 'recvonly', 'inactive']) {
      if (m.lines.includes(`a=${d}`)) m.direction = d;
    }
    m.iceUfrag = attr(m.lines, 'ice-ufrag') || attr(session, 'ice-ufrag');
    m.icePwd = attr(m.lines, 'ice-pwd') || attr(session, 'ice-pwd');
  }
  return { session, media, iceUfrag: attr(session, 'ice-ufrag'), icePwd: attr(session, 'ice-pwd') };
}

/** The m= line of section `mid` of `pc`'s local description, port set to 9. */
function localMline(pc, mid) {
  const desc = pc.localDescription;
  const m = desc && parseSdp(desc.sdp).media.find((x) => x.mid === mid);
  if (!m) return null;
  const f = m.lines[0].split(' ');
  f[1] = '9';
  return f.join(' ');
}

/** Local ICE credentials of `pc` for media section `mid` (or the first one). */
function localIceCredentials(pc, mid) {
  const desc = pc.localDescription;
  if (!desc) return null;
  const p = parseSdp(desc.sdp);
  const m = p.media.find((x) => x.mid === mid) || p.media[0];
  const ufrag = (m && m.iceUfrag) || p.iceUfrag;
  const pwd = (m && m.icePwd) || p.icePwd;
  return ufrag && pwd ? { ufrag, pwd } : null;
}

/**
 * Sends a PeerConnection's local candidates to the server as RFC 8840
 * sdpfrag PATCHes, in order, one request at a time; candidates found while
 * one is in flight go together in the next. Nothing is sent before open()
 * (the server must have the offer/answer first). A body:
 *   a=ice-ufrag:<ufrag>
 *   a=ice-pwd:<pwd>
 *   m=audio 9 UDP/TLS/RTP/SAVPF 111 ...   (the local m= line of that mid, port 9)
 *   a=mid:0
 *   a=candidate:...                       (one or more)
 *   a=end-of-candidates                   (once gathering is complete)
 * with CRLF line ends; an end-of-candidates alone comes after ufrag and pwd.
 */
class Trickle {
  constructor(client, which) {
    this.client = client;
    this.which = which; // 'publish' | 'subscribe'
    this.pending = [];  // {ufrag, pwd, mid, candidate} or {ufrag, pwd, end: true}
    this.isOpen = false;
    this.busy = false;
    this.closed = false;
  }

  add(pc, ev) {
    if (this.closed) return;
    const c = ev.candidate;
    const end = !c || !c.candidate;
    const mid = c && c.sdpMid != null ? c.sdpMid : null;
    const creds = localIceCredentials(pc, mid);
    if (!creds) return;
    if (c && c.usernameFragment && c.usernameFragment !== creds.ufrag) return; // an old generation
    if (end) {
      if (this.pending.some((p) => p.end && p.ufrag === creds.ufrag)) return;
      this.pending.push({ ...creds, end: true });
    } else {
      const line = c.candidate.startsWith('a=') ? c.candidate.slice(2) : c.candidate;
      const mline = mid != null ? localMline(pc, mid) : null;
      this.pending.push({ ...creds, mid, mline, candidate: line });
    }
    this.flush();
  }

  open() {
    this.isOpen = true;
    this.flush();
  }

  close() {
    this.closed = true;
    this.pending = [];
  }

  async flush() {
    if (!this.isOpen || this.busy || this.closed || !this.pending.length) return;
    this.busy = true;
    try {
      while (this.pending.length && !this.closed) {
        const { ufrag, pwd } = this.pending[0];
        let n = 0;
        while (n < this.pending.length && this.pending[n].ufrag === ufrag) n++;
        const batch = this.pending.splice(0, n);
        const lines = [`a=ice-ufrag:${ufrag}`, `a=ice-pwd:${pwd}`];
        let mid = null;
        let end = false;
        for (const b of batch) {
          if (b.end) { end = true; continue; }
          if (b.mid !== mid) {
            mid = b.mid;
            if (mid != null) {
              if (b.mline) lines.push(b.mline);
              lines.push(`a=mid:${mid}`);
            }
          }
          lines.push(`a=${b.candidate}`);
        }
        if (end) lines.push('a=end-of-candidates');
        try {
          await this.client._api('PATCH', `${this.client._participantPath()}/${this.which}`, {
            body: `${lines.join('\r\n')}\r\n`,
            contentType: 'application/trickle-ice-sdpfrag',
          });
        } catch (e) {
          if (!this.closed) this.client._error(e, `trickle ICE (${this.which})`);
        }
      }
    } finally {
      this.busy = false;
    }
  }
}

/** One participant in a room: join, events, publish, subscribe, leave. */
export class ParleyClient {
  /**
   * @param {object} o
   * @param {string} [o.url]   server base URL (default: this page's origin)
   * @param {string} o.room    room name
   * @param {string} o.token   access token
   * @param {RTCConfiguration} [o.rtcConfig]  merged over the defaults
   * @param {object} [o.on]    {event: handler} registered before joining
   */
  constructor({ url, room, token, rtcConfig = {}, on = {} } = {}) {
    if (!room) throw new ParleyError('room is required', { code: 'invalid_argument' });
    if (!token) throw new ParleyError('token is required', { code: 'invalid_argument' });
    this.url = (url || (typeof location !== 'undefined' ? location.origin : '')).replace(/\/+$/, '');
    this.room = room;
    this.token = token;
    this.state = 'new'; // new, joining, joined, leaving, left, disconnected, failed
    this.participant = null;  // our own participant object
    this.participantId = null;
    this.roomInfo = null;     // the room object from the join answer
    this.iceServers = [];
    this.participants = new Map(); // id -> {participant, tracks: Map(trackId -> info)}
    this.pcPublish = null;
    this.pcSubscribe = null;
    this.localTracks = [];    // [{track, stream, transceiver}]
    this.lastEventId = null;
    this.subscribeVersion = 0; // last subscribe offer version answered

    this._rtcConfig = rtcConfig;
    this._handlers = new Map();
    this._es = null;
    this._esTypes = new Set();
    this._esReconnecting = false;
    this._remote = new Map();   // subscribe mid -> {mid, participantId, trackId, kind, track, active}
    this._streams = new Map();  // participant id -> MediaStream of its received tracks
    this._unpublished = new Set(); // "pid/trackId" of tracks known to be gone
    this._gone = new Set();        // ids of participants that left
    this._offers = [];          // queued subscribe offers
    this._offerBusy = false;
    this._pubChain = Promise.resolve();
    this._pubNeeded = false;
    this._pubTrickle = null;
    this._subTrickle = null;
    this._trackIds = null;      // our mid -> server track id, from the last publish answer
    this.iceRestarts = { publish: 0, subscribe: 0 };
    this._restartTimers = { publish: null, subscribe: null };
    for (const [type, fn] of Object.entries(on)) this.on(type, fn);
  }

  // ---- events --------------------------------------------------------------

  /** Adds a handler; returns a function that removes it. */
  on(type, fn) {
    if (!this._handlers.has(type)) this._handlers.set(type, new Set());
    this._handlers.get(type).add(fn);
    if (this._es && !KNOWN_SSE.includes(type) && !CLIENT_EVENTS.has(type)) this._listenSse(type);
    return () => this.off(type, fn);
  }

  off(type, fn) {
    const s = this._handlers.get(type);
    if (s) s.delete(fn);
  }

  /** Resolves with the next `type` event whose data satisfies `pred`. */
  waitFor(type, pred = () => true, timeoutMs = 30000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new ParleyError(`no ${type} event within ${timeoutMs} ms`, { code: 'timeout' }));
      }, timeoutMs);
      const off = this.on(type, (d) => {
        if (!pred(d)) return;
        clearTimeout(timer);
        off();
        resolve(d);
      });
    });
  }

  _emit(type, data) {
    const s = this._handlers.get(type);
    if (type === 'error' && (!s || !s.size)) {
      console.error('parley:', data.where, data.error);
      return;
    }
    if (!s) return;
    for (const fn of [...s]) {
      try {
        fn(data);
      } catch (e) {
        console.error(`parley: a handler of "${type}" threw`, e);
      }
    }
  }

  _error(error, where) {
    this._emit('error', { error, where });
  }

  _setState(state) {
    if (this.state === state) return;
    this.state = state;
    this._emit('state', { state });
  }

  // ---- HTTP ----------------------------------------------------------------

  _participantPath() {
    return `/v1/rooms/${encodeURIComponent(this.room)}/participants/${encodeURIComponent(this.participantId)}`;
  }

  /** One API request; resolves the Response (2xx) or throws a ParleyError. */
  async _api(method, path, { json, body, contentType, accept, keepalive = false } = {}) {
    const headers = { Authorization: `Bearer ${this.token}` };
    let b = body;
    if (json !== undefined) {
      b = JSON.stringify(json);
      headers['Content-Type'] = 'application/json';
    } else if (b !== undefined) {
      headers['Content-Type'] = contentType;
    }
    if (accept) headers.Accept = accept;
    let res;
    try {
      res = await fetch(this.url + path, { method, headers, body: b, keepalive, cache: 'no-store' });
    } catch (e) {
      throw new ParleyError(`${method} ${path}: ${e.message}`, { code: 'network_error', cause: e });
    }
    if (res.ok) return res;
    let code = 'http_error';
    let message = `${res.status} ${res.statusText}`;
    try {
      const j = await res.json();
      if (j && j.error) {
        code = j.error.code || code;
        message = j.error.message || message;
      }
    } catch { /* not JSON */ }
    throw new ParleyError(`${method} ${path}: ${message}`, { status: res.status, code });
  }

  /**
   * _api, tried again when the request did not reach the server or the
   * server was unavailable (network error, 502/503/504): 3 attempts, 0.5 s
   * and 1.5 s apart. For requests that are safe to repeat (an answer to
   * one offer version: a repeat that arrives twice gets 409, and a 409
   * after a failed attempt means the first one did arrive).
   */
  async _apiRetry(method, path, opts) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this._api(method, path, opts);
      } catch (e) {
        const transient = e.code === 'network_error' || [502, 503, 504].includes(e.status);
        if (attempt > 1 && e.status === 409) return null; // the earlier attempt got through
        if (!transient || attempt === 3 || !this.active) throw e;
        await sleep(attempt === 1 ? 500 : 1500);
      }
    }
  }

  _newPc() {
    return new RTCPeerConnection({
      iceServers: this.iceServers,
      ...this._rtcConfig,
      bundlePolicy: 'max-bundle',
      rtcpMuxPolicy: 'require',
    });
  }

  // ---- join / leave ----------------------------------------------------------

  /** Joins the room and opens the event stream. Resolves this client. */
  async join() {
    if (this.state !== 'new') throw new ParleyError(`cannot join in state ${this.state}`, { code: 'invalid_state' });
    this._setState('joining');
    let j;
    try {
      const res = await this._api('POST', `/v1/rooms/${encodeURIComponent(this.room)}/participants`, { json: {} });
      j = await res.json();
    } catch (e) {
      this._setState('failed');
      throw e;
    }
    this.participant = j.participant;
    this.participantId = j.participant.id;
    this.roomInfo = j.room;
    this.iceServers = Array.isArray(j.ice_servers) ? j.ice_servers : [];
    this._eventsUrl = j.events_url;
    this._setState('joined');
    for (const p of (j.room && j.room.participants) || []) {
      if (p.id === this.participantId || this.participants.has(p.id)) continue;
      this.participants.set(p.id, { participant: p, tracks: tracksOf(p) });
      this._emit('participant_joined', { participant: p, existing: true });
    }
    this._openEvents();
    return this;
  }

  /**
   * Leaves the room: DELETE the participant, close the event stream and both
   * PeerConnections. Local tracks are stopped only with {stopTracks: true}.
   * `keepalive` lets the request outlive the page (pagehide).
   */
  async leave({ stopTracks = false, keepalive = false } = {}) {
    if (this.state === 'left' || this.state === 'leaving') return;
    if (this.state === 'disconnected' || this.state === 'failed') {
      // The server ended the session already (and said so).
      if (stopTracks) for (const l of this.localTracks) l.track.stop();
      this._setState('left');
      return;
    }
    const wasJoined = this.state === 'joined';
    this._setState('leaving');
    let err = null;
    if (wasJoined) {
      try {
        await this._api('DELETE', this._participantPath(), { keepalive });
      } catch (e) {
        if (e.status !== 404) err = e; // 404: already gone
      }
    }
    this._teardown();
    if (stopTracks) for (const l of this.localTracks) l.track.stop();
    this._setState('left');
    this._emit('disconnected', { reason: 'left' });
    if (err) throw err;
  }

  /** Closes everything without telling the server (it said we are gone). */
  _teardown() {
    if (this._es) {
      this._es.close();
      this._es = null;
    }
    if (this._pubTrickle) this._pubTrickle.close();
    if (this._subTrickle) this._subTrickle.close();
    this._cancelRestart('publish');
    this._cancelRestart('subscribe');
    this._offers = [];
    for (const pid of [...this._streams.keys()]) this._removeParticipantTracks(pid);
    for (const pc of [this.pcPublish, this.pcSubscribe]) {
      if (pc) pc.close();
    }
  }

  _serverDisconnected(reason, extra = {}) {
    if (this.state === 'left' || this.state === 'leaving' || this.state === 'disconnected') return;
    this._teardown();
    this._setState('disconnected');
    this._emit('disconnected', { reason, ...extra });
  }

  get active() {
    return this.state === 'joined';
  }

  // ---- event stream ------------------------------------------------------------

  _eventsHref(lastId) {
    const u = new URL(this.url + this._eventsUrl, typeof location !== 'undefined' ? location.href : undefined);
    u.searchParams.set('access_token', this.token);
    if (lastId != null) u.searchParams.set('last_event_id', String(lastId));
    return u.href;
  }

  _openEvents(lastId = null) {
    const es = new EventSource(this._eventsHref(lastId));
    this._es = es;
    this._esTypes = new Set();
    for (const t of KNOWN_SSE) this._listenSse(t);
    for (const t of this._handlers.keys()) {
      if (!KNOWN_SSE.includes(t) && !CLIENT_EVENTS.has(t)) this._listenSse(t);
    }
    es.onopen = () => {
      if (this._esReconnecting) {
        this._esReconnecting = false;
        this._emit('reconnected', {});
      }
    };
    es.onerror = () => {
      if (es !== this._es || !this.active) return;
      if (es.readyState === EventSource.CONNECTING) {
        // The browser reconnects by itself, sending Last-Event-ID.
        if (!this._esReconnecting) {
          this._esReconnecting = true;
          this._emit('reconnecting', {});
        }
        return;
      }
      // CLOSED: an HTTP error (the browser gives up). Find out why.
      this._es = null;
      es.close();
      this._recoverEvents();
    };
  }

  _listenSse(type) {
    if (!this._es || this._esTypes.has(type)) return;
    this._esTypes.add(type);
    const es = this._es;
    es.addEventListener(type, (ev) => {
      if (es !== this._es) return;
      if (ev.lastEventId) this.lastEventId = ev.lastEventId;
      let data;
      try {
        data = ev.data ? JSON.parse(ev.data) : {};
      } catch (e) {
        this._error(new ParleyError(`bad JSON in ${type} event`, { code: 'bad_event', cause: e }), 'events');
        return;
      }
      this._emit('event', { type, id: ev.lastEventId || null, data });
      try {
        this._onServerEvent(type, data);
      } catch (e) {
        this._error(e, `handling ${type}`);
      }
    });
  }

  /** The stream failed with an HTTP error: are we still in the room? */
  async _recoverEvents() {
    if (!this._esReconnecting) {
      this._esReconnecting = true;
      this._emit('reconnecting', {});
    }
    for (let attempt = 0; this.active; attempt++) {
      try {
        const res = await this._api('GET', `/v1/rooms/${encodeURIComponent(this.room)}/participants`);
        const j = await res.json();
        if (!this.active) return;
        if (!(j.participants || []).some((p) => p.id === this.participantId)) {
          this._serverDisconnected('removed', { detail: 'no longer in the room' });
          return;
        }
        this._openEvents(this.lastEventId);
        return;
      } catch (e) {
        if (e.status && e.status !== 503 && e.status !== 500) {
          // 401/403/404: our token or room is gone for good.
          this._serverDisconnected('events_failed', { error: e });
          return;
        }
      }
      await sleep(Math.min(1000 * 2 ** attempt, 10000));
    }
  }

  _onServerEvent(type, d) {
    switch (type) {
      case 'participant_joined': {
        const p = d.participant;
        if (!p || p.id === this.participantId) return;
        const known = this.participants.get(p.id);
        if (known) {
          known.participant = p;
          return;
        }
        this.participants.set(p.id, { participant: p, tracks: tracksOf(p) });
        this._emit(type, { participant: p });
        return;
      }
      case 'participant_left': {
        const p = d.participant;
        if (!p) return;
        if (p.id === this.participantId) {
          this._serverDisconnected(d.reason || 'removed');
          return;
        }
        this._gone.add(p.id);
        this._removeParticipantTracks(p.id);
        const known = this.participants.get(p.id);
        this.participants.delete(p.id);
        this._emit(type, { participant: known ? { ...known.participant, ...p } : p, reason: d.reason });
        return;
      }
      case 'track_published': {
        const p = d.participant;
        const t = d.track;
        if (!p || !t) return;
        let e = this.participants.get(p.id);
        if (!e && p.id !== this.participantId) {
          e = { participant: p, tracks: new Map() };
          this.participants.set(p.id, e);
          this._emit('participant_joined', { participant: p });
        }
        if (e) e.tracks.set(t.id, t);
        this._unpublished.delete(`${p.id}/${t.id}`);
        this._emit(type, { participant: p, participantId: p.id, track: t });
        return;
      }
      case 'track_unpublished': {
        const pid = d.participant_id;
        const tid = d.track_id;
        const e = this.participants.get(pid);
        if (e) e.tracks.delete(tid);
        this._unpublished.add(`${pid}/${tid}`);
        for (const r of this._remote.values()) {
          if (r.active && r.participantId === pid && r.trackId === tid) this._deactivate(r);
        }
        this._emit(type, { participantId: pid, trackId: tid });
        return;
      }
      case 'track_muted': {
        const e = this.participants.get(d.participant_id);
        const t = e && e.tracks.get(d.track_id);
        if (t) t.muted = !!d.muted;
        this._emit(type, { participantId: d.participant_id, trackId: d.track_id, muted: !!d.muted });
        return;
      }
      case 'subscribe_offer':
        this._queueOffer(d);
        return;
      case 'room_updated':
        if (d.room) this.roomInfo = { ...this.roomInfo, ...d.room };
        this._emit(type, d);
        return;
      case 'room_ended':
        this._emit(type, d);
        this._serverDisconnected('room_ended', { roomEndedReason: d.reason });
        return;
      case 'disconnected':
        this._serverDisconnected(d.reason || 'unknown');
        return;
      case 'events_lost':
        this._emit(type, d);
        this._resync();
        return;
      default:
        this._emit(type, d);
    }
  }

  /** After events_lost: re-read the participants and report the differences. */
  async _resync() {
    try {
      const res = await this._api('GET', `/v1/rooms/${encodeURIComponent(this.room)}/participants`);
      const list = (await res.json()).participants || [];
      if (!this.active) return;
      if (!list.some((p) => p.id === this.participantId)) {
        this._serverDisconnected('removed', { detail: 'no longer in the room' });
        return;
      }
      const ids = new Set(list.map((p) => p.id));
      for (const [id, e] of [...this.participants]) {
        if (!ids.has(id)) this._onServerEvent('participant_left', { participant: e.participant, reason: 'unknown' });
      }
      for (const p of list) {
        if (p.id !== this.participantId && !this.participants.has(p.id)) {
          this.participants.set(p.id, { participant: p, tracks: tracksOf(p) });
          this._emit('participant_joined', { participant: p, resync: true });
        }
      }
      // A subscribe offer lost with the events: the server keeps the one
      // waiting for an answer (204 when there is none).
      const offer = await this._api('GET', `/v1/rooms/${encodeURIComponent(this.room)}` +
        `/participants/${this.participantId}/subscribe`);
      if (offer.status === 200 && this.active) this._queueOffer(await offer.json());
    } catch (e) {
      this._error(e, 'resync after events_lost');
    }
  }

  // ---- subscribe PeerConnection ------------------------------------------------

  _queueOffer(d) {
    if (typeof d.sdp !== 'string' || !Number.isFinite(Number(d.version))) {
      this._error(new ParleyError('subscribe_offer without sdp/version', { code: 'bad_event' }), 'subscribe');
      return;
    }
    this._offers.push({ sdp: d.sdp, version: Number(d.version) });
    this._runOffers();
  }

  /** Answers queued subscribe offers one at a time, in order; an offer
   * superseded by a newer queued one is skipped. */
  async _runOffers() {
    if (this._offerBusy) return;
    this._offerBusy = true;
    try {
      while (this._offers.length && this.active) {
        const o = this._offers.shift();
        if (o.version <= this.subscribeVersion) continue; // replayed or stale
        if (this._offers.some((x) => x.version > o.version)) continue; // superseded
        try {
          await this._answerOffer(o);
        } catch (e) {
          // 409 with a newer offer waiting: the server replaced this one.
          const replaced = e.status === 409 && this._offers.some((x) => x.version > o.version);
          if (this.active && !replaced) this._error(e, `subscribe offer version ${o.version}`);
        }
      }
    } finally {
      this._offerBusy = false;
    }
  }

  // ---- connection recovery -------------------------------------------------

  /** Emits connection_state and restarts ICE when the connection drops. */
  _watchConnection(pc, which) {
    pc.onconnectionstatechange = () => {
      const state = pc.connectionState;
      this._emit('connection_state', { pc: which, state });
      if (state === 'connected' || state === 'closed' || state === 'new') {
        this._cancelRestart(which);
      } else if (state === 'disconnected' || state === 'failed') {
        this._scheduleRestart(which, state === 'failed' ? 0 : RESTART_AFTER_MS);
      }
    };
  }

  _scheduleRestart(which, ms) {
    if (this._restartTimers[which] || !this.active) return;
    this._restartTimers[which] = setTimeout(() => {
      this._restartTimers[which] = null;
      const pc = which === 'publish' ? this.pcPublish : this.pcSubscribe;
      if (!pc || !this.active || pc.connectionState === 'connected' || pc.connectionState === 'closed') return;
      this._restartIce(which).catch((e) => {
        if (this.active) this._error(e, `${which} ICE restart`);
      });
      this._scheduleRestart(which, RESTART_RETRY_MS); // again if it does not come back
    }, ms);
  }

  _cancelRestart(which) {
    clearTimeout(this._restartTimers[which]);
    this._restartTimers[which] = null;
  }

  /**
   * Restarts ICE on one connection ('publish' or 'subscribe'): new
   * credentials on both sides, over the same DTLS session. The client does
   * this by itself when a connection stays disconnected; applications may
   * call it after a network change.
   */
  async restartIce(which) {
    if (which !== 'publish' && which !== 'subscribe') {
      throw new ParleyError('restartIce: "publish" or "subscribe"', { code: 'invalid_argument' });
    }
    await this._restartIce(which);
  }

  async _restartIce(which) {
    this.iceRestarts[which]++;
    this._emit('ice_restart', { pc: which, count: this.iceRestarts[which] });
    if (which === 'publish') {
      if (!this.pcPublish) return;
      this.pcPublish.restartIce();
      this._pubNeeded = true;
      await this._negotiatePublish();
    } else if (this.pcSubscribe) {
      await this._api('POST', `${this._participantPath()}/subscribe/restart`);
    }
  }

  _ensureSubscribePc() {
    if (this.pcSubscribe) return this.pcSubscribe;
    const pc = this._newPc();
    this.pcSubscribe = pc;
    this._subTrickle = new Trickle(this, 'subscribe');
    pc.onicecandidate = (ev) => this._subTrickle.add(pc, ev);
    this._watchConnection(pc, 'subscribe');
    pc.ontrack = (ev) => {
      // Bookkeeping happens in _reconcile() once the description is applied.
      const mid = ev.transceiver && ev.transceiver.mid;
      if (mid != null && !this._remote.has(mid)) {
        this._remote.set(mid, { mid, track: ev.track, active: false });
      }
    };
    return pc;
  }

  async _answerOffer({ sdp, version }) {
    const pc = this._ensureSubscribePc();
    await pc.setRemoteDescription({ type: 'offer', sdp });
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    if (!this.active) return;
    await this._apiRetry('POST', `${this._participantPath()}/subscribe?version=${version}`, {
      body: pc.localDescription.sdp,
      contentType: 'application/sdp',
    });
    this.subscribeVersion = version;
    this._subTrickle.open();
    this._reconcile(parseSdp(sdp));
    this._emit('subscribe_negotiated', { version });
  }

  /** Brings the received tracks in line with the offer just applied. */
  _reconcile(offer) {
    const pc = this.pcSubscribe;
    const want = new Map(); // mid -> section
    for (const m of offer.media) {
      if (m.kind !== 'audio' && m.kind !== 'video') continue;
      if (m.rejected || !m.msid || m.mid == null) continue;
      if (m.direction !== 'sendonly' && m.direction !== 'sendrecv') continue;
      if (m.msid.streamId === this.participantId) continue; // never our own
      if (this._gone.has(m.msid.streamId)) continue; // left; a newer offer drops it
      if (this._unpublished.has(`${m.msid.streamId}/${m.msid.trackId}`)) continue;
      want.set(m.mid, m);
    }
    for (const r of this._remote.values()) {
      const m = want.get(r.mid);
      if (r.active && (!m || m.msid.streamId !== r.participantId || m.msid.trackId !== r.trackId)) {
        this._deactivate(r);
      }
    }
    for (const [mid, m] of want) {
      let r = this._remote.get(mid);
      if (r && r.active) continue;
      const tr = pc.getTransceivers().find((t) => t.mid === mid);
      if (!tr) continue;
      if (!r) {
        r = { mid, track: tr.receiver.track, active: false };
        this._remote.set(mid, r);
      }
      r.track = tr.receiver.track;
      r.participantId = m.msid.streamId;
      r.trackId = m.msid.trackId;
      r.kind = m.kind;
      this._activate(r);
    }
  }

  _streamOf(pid) {
    let s = this._streams.get(pid);
    if (!s) {
      s = new MediaStream();
      this._streams.set(pid, s);
    }
    return s;
  }

  _activate(r) {
    r.active = true;
    r.stream = this._streamOf(r.participantId);
    if (!r.stream.getTracks().includes(r.track)) r.stream.addTrack(r.track);
    const e = this.participants.get(r.participantId);
    this._emit('track', {
      participantId: r.participantId,
      participant: e ? e.participant : null,
      trackId: r.trackId,
      kind: r.kind,
      mid: r.mid,
      track: r.track,
      stream: r.stream,
      info: e ? e.tracks.get(r.trackId) || null : null,
    });
  }

  _deactivate(r) {
    r.active = false;
    const s = this._streams.get(r.participantId);
    if (s) {
      s.removeTrack(r.track);
      if (!s.getTracks().length) this._streams.delete(r.participantId);
    }
    this._emit('track_removed', {
      participantId: r.participantId,
      trackId: r.trackId,
      kind: r.kind,
      mid: r.mid,
      track: r.track,
      stream: s || null,
    });
  }

  _removeParticipantTracks(pid) {
    for (const r of this._remote.values()) {
      if (r.active && r.participantId === pid) this._deactivate(r);
    }
    this._streams.delete(pid);
  }

  /** The tracks received now: [{participantId, trackId, kind, mid, track, stream}]. */
  remoteTracks() {
    return [...this._remote.values()].filter((r) => r.active).map((r) => ({
      participantId: r.participantId, trackId: r.trackId, kind: r.kind, mid: r.mid,
      track: r.track, stream: r.stream,
    }));
  }

  // ---- publish PeerConnection ----------------------------------------------------

  _ensurePublishPc() {
    if (this.pcPublish) return this.pcPublish;
    const pc = this._newPc();
    this.pcPublish = pc;
    this._pubTrickle = new Trickle(this, 'publish');
    pc.onicecandidate = (ev) => this._pubTrickle.add(pc, ev);
    pc.onnegotiationneeded = () => {
      // publish()/unpublish() negotiate themselves; this catches changes an
      // application makes on pcPublish directly, once a first round is done.
      if (!pc.currentRemoteDescription || pc.signalingState !== 'stable') return;
      this._pubNeeded = true;
      this._negotiatePublish().catch((e) => {
        if (this.active) this._error(e, 'publish renegotiation');
      });
    };
    this._watchConnection(pc, 'publish');
    return pc;
  }

  /** Runs publish offer/answer rounds one after the other while needed. */
  _negotiatePublish() {
    const run = this._pubChain.catch(() => {}).then(async () => {
      const pc = this.pcPublish;
      if (!this._pubNeeded || !pc || !this.active) return;
      this._pubNeeded = false;
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      let answer;
      try {
        const res = await this._api('POST', `${this._participantPath()}/publish`, {
          body: pc.localDescription.sdp,
          contentType: 'application/sdp',
          accept: 'application/json, application/sdp;q=0.5',
        });
        if ((res.headers.get('content-type') || '').startsWith('application/json')) {
          const j = await res.json(); // {sdp, tracks}: the server's ids of our tracks
          answer = j.sdp;
          this._trackIds = new Map((j.tracks || []).map((t) => [t.mid, t.id]));
        } else {
          answer = await res.text();
        }
        if (!answer) throw new ParleyError('publish: empty answer', { code: 'bad_answer', status: res.status });
      } catch (e) {
        if (pc.signalingState === 'have-local-offer') {
          try { await pc.setLocalDescription({ type: 'rollback' }); } catch { /* closed */ }
        }
        throw e;
      }
      if (!this.active) return;
      await pc.setRemoteDescription({ type: 'answer', sdp: answer });
      this._pubTrickle.open();
      this._emit('publish_negotiated', {});
    });
    this._pubChain = run;
    return run;
  }

  /**
   * Publishes the tracks of `stream` (or an array of tracks): one sendonly
   * transceiver each, then one offer/answer round. Resolves once the server
   * has answered; rejects with a ParleyError (e.g. status 403 when the token
   * may not publish).
   */
  async publish(stream, { tracks } = {}) {
    if (!this.active) throw new ParleyError(`cannot publish in state ${this.state}`, { code: 'invalid_state' });
    const ms = stream instanceof MediaStream ? stream : new MediaStream(stream);
    const list = tracks || ms.getTracks();
    const pc = this._ensurePublishPc();
    const added = [];
    for (const track of list) {
      if (this.localTracks.some((l) => l.track === track)) continue;
      const transceiver = pc.addTransceiver(track, { direction: 'sendonly', streams: [ms] });
      const l = { track, stream: ms, transceiver };
      this.localTracks.push(l);
      added.push(l);
    }
    if (!added.length) return [];
    this._pubNeeded = true;
    try {
      await this._negotiatePublish();
    } catch (e) {
      for (const l of added) {
        try { l.transceiver.stop(); } catch { /* closed */ }
        this.localTracks.splice(this.localTracks.indexOf(l), 1);
      }
      this._pubNeeded = false; // the failed tracks are gone again
      if (!pc.currentRemoteDescription) this._pubTrickle.pending = [];
      throw e;
    }
    return added.map((l) => ({ track: l.track, mid: l.transceiver.mid }));
  }

  /** Stops sending `track` (its m-section becomes inactive) and renegotiates. */
  async unpublish(track) {
    const i = this.localTracks.findIndex((l) => l.track === track);
    if (i < 0) return;
    const [l] = this.localTracks.splice(i, 1);
    if (!this.pcPublish || !this.active) return;
    this.pcPublish.removeTrack(l.transceiver.sender);
    this._pubNeeded = true;
    await this._negotiatePublish();
  }

  /**
   * Mutes or unmutes a published track: the server stops (or resumes)
   * forwarding it and tells the others (track_muted); locally the track is
   * disabled too.
   */
  async setMuted(track, muted) {
    const l = this.localTracks.find((x) => x.track === track);
    if (!l || l.transceiver.mid == null) {
      throw new ParleyError('track is not published', { code: 'invalid_argument' });
    }
    const id = await this.serverTrackId(track);
    await this._api('PATCH', `${this._participantPath()}/tracks/${encodeURIComponent(id)}`, {
      json: { muted: !!muted },
    });
    track.enabled = !muted;
  }

  /** The server's id (TR_...) of a track we publish, found by its mid. */
  async serverTrackId(track) {
    const l = this.localTracks.find((x) => x.track === track);
    if (!l) throw new ParleyError('track is not published', { code: 'invalid_argument' });
    const known = this._trackIds && this._trackIds.get(l.transceiver.mid);
    if (known) return known; // from the publish answer
    const res = await this._api('GET', `/v1/rooms/${encodeURIComponent(this.room)}/participants`);
    const me = ((await res.json()).participants || []).find((p) => p.id === this.participantId);
    const t = me && (me.tracks || []).find((x) => x.mid === l.transceiver.mid);
    if (!t) throw new ParleyError('the server does not list this track', { code: 'track_not_found' });
    return t.id;
  }

  /** Replaces a published track by another of the same kind (no renegotiation). */
  async replaceTrack(oldTrack, newTrack) {
    const l = this.localTracks.find((x) => x.track === oldTrack);
    if (!l) throw new ParleyError('track is not published', { code: 'invalid_argument' });
    await l.transceiver.sender.replaceTrack(newTrack);
    l.track = newTrack;
  }
}

/** Entry points. */
export const Parley = {
  /** Joins a room; resolves a ParleyClient (see its constructor for options). */
  async join(opts) {
    const c = new ParleyClient(opts);
    await c.join();
    return c;
  },

  /** Dev mode only: a token from POST /v1/dev/token. */
  async devToken({ url, room, identity, name }) {
    const base = (url || location.origin).replace(/\/+$/, '');
    const body = { room, identity };
    if (name) body.name = name;
    const res = await fetch(`${base}/v1/dev/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const j = await res.json().catch(() => ({}));
    if (!res.ok) {
      throw new ParleyError(`dev token: ${(j.error && j.error.message) || res.status}`, {
        status: res.status, code: (j.error && j.error.code) || 'http_error',
      });
    }
    return j.token;
  },

  Client: ParleyClient,
  Error: ParleyError,
  parseSdp,
};

export default Parley;
