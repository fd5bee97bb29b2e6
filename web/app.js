// app.js - the bundled web client: join a room, show yourself and everyone
// else. Query parameters: ?room=&identity=&name=&token=&autojoin=1&publish=0
// (publish=0 joins without camera and microphone). The page's state is in
// window.app for scripts and tests.
import { Parley } from './parley.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

const app = {
  Parley,
  client: null,
  state: 'idle',        // idle, joining, joined, left, disconnected, error
  error: null,          // message of the last join failure
  publishError: null,   // {code, status, message} when publishing failed
  published: false,
  localStream: null,
  events: [],           // [{type, t, ...}] everything the client reported
  join,
  leave,
};
window.app = app;

const tiles = new Map(); // participant id -> {fig, video, caption}

function setStatus(text, isError = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', isError);
}

function setState(s) {
  app.state = s;
  document.body.dataset.state = s;
  $('join').disabled = s === 'joining' || s === 'joined';
  $('leave').disabled = s !== 'joined';
}

function displayName(p) {
  return (p && (p.name || p.identity)) || (p && p.id) || '?';
}

function record(type, d = {}) {
  const e = { type, t: Date.now() };
  const p = d.participant;
  if (p) Object.assign(e, { participantId: p.id, identity: p.identity, name: p.name });
  for (const k of ['participantId', 'trackId', 'kind', 'mid', 'reason', 'existing', 'state', 'pc', 'where', 'muted']) {
    if (d[k] !== undefined && (k !== 'participantId' || !e.participantId)) e[k] = d[k];
  }
  if (type === 'track' && d.track) e.track = d.track.id;
  if (type === 'error') e.message = String((d.error && d.error.message) || d.error);
  app.events.push(e);
}

function tileFor(p) {
  let t = tiles.get(p.id);
  if (t) return t;
  const fig = document.createElement('figure');
  fig.className = 'tile remote';
  fig.dataset.participantId = p.id;
  fig.dataset.identity = p.identity || '';
  const video = document.createElement('video');
  video.autoplay = true;
  video.playsInline = true;
  const caption = document.createElement('figcaption');
  caption.textContent = displayName(p);
  fig.append(video, caption);
  $('grid').append(fig);
  t = { fig, video, caption };
  tiles.set(p.id, t);
  return t;
}

function removeTile(pid) {
  const t = tiles.get(pid);
  if (!t) return;
  t.video.srcObject = null;
  t.fig.remove();
  tiles.delete(pid);
}

async function play(t) {
  try {
    await t.video.play();
  } catch (e) {
    if (e.name === 'AbortError') return; // a newer srcObject/play() took over
    // Autoplay with sound refused (no user gesture yet): play muted and
    // offer a button.
    t.video.muted = true;
    t.video.play().catch(() => {});
    if (!t.fig.querySelector('.unmute')) {
      const b = document.createElement('button');
      b.className = 'unmute';
      b.textContent = 'unmute';
      b.onclick = () => { t.video.muted = false; b.remove(); };
      t.fig.append(b);
    }
  }
}

function wire(c) {
  for (const type of ['participant_joined', 'participant_left', 'track', 'track_removed',
    'track_published', 'track_unpublished', 'room_updated', 'room_ended', 'disconnected',
    'events_lost', 'reconnecting', 'reconnected', 'connection_state', 'error', 'track_muted',
    'publish_negotiated', 'subscribe_negotiated']) {
    c.on(type, (d) => record(type, d));
  }
  c.on('participant_joined', ({ participant }) => {
    tileFor(participant);
  });
  c.on('participant_left', ({ participant }) => removeTile(participant.id));
  c.on('track', ({ participantId, participant, stream }) => {
    const t = tileFor(participant || { id: participantId });
    if (t.video.srcObject !== stream) t.video.srcObject = stream;
    play(t);
  });
  c.on('track_removed', ({ participantId, stream }) => {
    const t = tiles.get(participantId);
    if (t && (!stream || !stream.getTracks().length)) t.video.srcObject = null;
  });
  c.on('disconnected', ({ reason }) => {
    if (reason === 'left') return;
    for (const pid of [...tiles.keys()]) removeTile(pid);
    setState('disconnected');
    setStatus(`Disconnected (${reason}).`, true);
  });
  c.on('reconnecting', () => setStatus('Connection lost, reconnecting...'));
  c.on('reconnected', () => setStatus(`In room ${c.room} as ${displayName(c.participant)}.`));
  c.on('error', ({ error, where }) => {
    console.error('parley:', where, error);
    setStatus(`${where}: ${error.message || error}`, true);
  });
}

async function join() {
  if (app.state === 'joining' || app.state === 'joined') return;
  const room = $('room').value.trim();
  const identity = $('identity').value.trim();
  const name = params.get('name') || identity;
  if (!room || !identity) {
    setStatus('Room and name are needed.', true);
    return;
  }
  setState('joining');
  app.error = null;
  app.publishError = null;
  app.published = false;
  setStatus(`Joining ${room}...`);
  try {
    const token = params.get('token') || await Parley.devToken({ room, identity, name });
    const c = new Parley.Client({ room, token });
    app.client = c;
    wire(c);
    await c.join();
  } catch (e) {
    app.error = e.message;
    setState('error');
    setStatus(`Could not join: ${e.message}`, true);
    return;
  }
  const c = app.client;
  setState('joined');
  $('local-name').textContent = `${displayName(c.participant)} (you)`;
  setStatus(`In room ${room} as ${displayName(c.participant)}.`);
  const url = new URL(location.href);
  url.searchParams.set('room', room);
  url.searchParams.set('identity', identity);
  url.searchParams.delete('autojoin');
  history.replaceState(null, '', url);

  if (!$('publish').checked) return;
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    app.localStream = stream;
    $('local-video').srcObject = stream;
    $('local-tile').hidden = false;
    if (c.state !== 'joined') return;
    await c.publish(stream);
    app.published = true;
  } catch (e) {
    app.publishError = { code: e.code || e.name, status: e.status || 0, message: e.message };
    if (c.state === 'joined') {
      setStatus(e.status === 404 || e.status === 405
        ? `In room ${room}; this server does not take media yet (${e.status}).`
        : `In room ${room}; publishing failed: ${e.message}`, e.status !== 404 && e.status !== 405);
    }
  }
}

async function leave() {
  const c = app.client;
  if (!c) return;
  try {
    await c.leave();
  } catch (e) {
    console.error('parley: leave', e);
  }
  if (app.localStream) {
    for (const t of app.localStream.getTracks()) t.stop();
    app.localStream = null;
  }
  $('local-video').srcObject = null;
  $('local-tile').hidden = true;
  for (const pid of [...tiles.keys()]) removeTile(pid);
  setState('left');
  setStatus('Left the room.');
}

$('room').value = params.get('room') || '';
$('identity').value = params.get('identity') || '';
if (params.get('publish') === '0') $('publish').checked = false;
$('join-form').addEventListener('submit', (e) => {
  e.preventDefault();
  join();
});
$('leave').addEventListener('click', () => leave());
addEventListener('pagehide', () => {
  if (app.client && app.client.state === 'joined') app.client.leave({ keepalive: true }).catch(() => {});
});
setState('idle');
if (params.get('autojoin') === '1') join();
