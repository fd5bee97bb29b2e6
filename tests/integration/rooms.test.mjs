// Service endpoints and the room lifecycle: create, list, get, update, delete.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join as pathJoin } from 'node:path';
import {
  startServer, api, keyArgs, adminToken, mintToken, joinWithEvents, runParleyd, errorOf, nowSec,
  waitUntil, makeTempDir, removeDir,
} from './lib.mjs';

const SID = /^RM_[A-Za-z0-9]{12}$/;

describe('service endpoints', () => {
  let srv;
  before(async () => { srv = await startServer({ args: keyArgs() }); });
  after(async () => { assert.equal(await srv?.stop(), 0); });

  it('GET /healthz answers without a token', async () => {
    const r = await api(srv.url, 'GET', '/healthz');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^application\/json/);
    assert.deepEqual(r.json, { status: 'ok' });
  });

  it('GET /v1/info answers without a token', async () => {
    const r = await api(srv.url, 'GET', '/v1/info');
    assert.equal(r.status, 200);
    assert.equal(r.json.name, 'parley');
    assert.equal(r.json.dev, false);
    assert.equal(typeof r.json.started_at, 'number');
    assert.ok(Math.abs(r.json.started_at - nowSec()) < 3600, 'started_at is a unix time');
    assert.deepEqual(r.json.capabilities, ['rooms', 'participants', 'events', 'access_tokens', 'media', 'whip', 'whep']);
    const v = await runParleyd(['--version']);
    assert.equal(v.code, 0);
    assert.equal(v.stdout.trim(), `parleyd ${r.json.version}`);
  });

  it('GET /v1/info says dev: true in dev mode', async () => {
    const dev = await startServer({ args: ['--dev'] });
    try {
      const r = await api(dev.url, 'GET', '/v1/info');
      assert.equal(r.status, 200);
      assert.equal(r.json.dev, true);
    } finally {
      assert.equal(await dev.stop(), 0);
    }
  });

  it('GET /metrics is Prometheus text', async () => {
    const r = await api(srv.url, 'GET', '/metrics');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^text\/plain/);
    for (const m of ['parley_rooms', 'parley_participants', 'parley_event_streams',
      'parley_joins_total', 'parley_leaves_total', 'parley_participant_timeouts_total',
      'parley_events_total']) {
      assert.match(r.text, new RegExp(`^${m} \\d+$`, 'm'), m);
    }
    // a histogram: bounds ascending, counts cumulative, +Inf is the count
    const h = 'parley_forward_delay_seconds';
    assert.match(r.text, new RegExp(`^# TYPE ${h} histogram$`, 'm'));
    const buckets = [...r.text.matchAll(new RegExp(`^${h}_bucket\\{le="([^"]+)"\\} (\\d+)$`, 'gm'))]
      .map((b) => [b[1] === '+Inf' ? Infinity : Number(b[1]), Number(b[2])]);
    assert.ok(buckets.length > 10);
    assert.equal(buckets.at(-1)[0], Infinity);
    for (let i = 1; i < buckets.length; i++) {
      assert.ok(buckets[i][0] > buckets[i - 1][0] && buckets[i][1] >= buckets[i - 1][1]);
    }
    assert.match(r.text, new RegExp(`^${h}_count ${buckets.at(-1)[1]}$`, 'm'));
    assert.match(r.text, new RegExp(`^${h}_sum [0-9.]+$`, 'm'));
  });
});

describe('web client files', () => {
  let srv;
  let root;
  before(async () => {
    root = await makeTempDir();
    await mkdir(pathJoin(root, 'web', 'sub'), { recursive: true });
    await writeFile(pathJoin(root, 'web', 'index.html'), '<h1>parley</h1>');
    await writeFile(pathJoin(root, 'web', 'sub', 'app.js'), 'export {};');
    await writeFile(pathJoin(root, 'secret.txt'), 'secret');
    srv = await startServer({ args: [...keyArgs(), '--set', `http.web_root=${pathJoin(root, 'web')}`] });
  });
  after(async () => {
    if (srv) assert.equal(await srv.stop(), 0);
    await removeDir(root);
  });

  it('serves files below http.web_root, and nothing outside it', async () => {
    let r = await api(srv.url, 'GET', '/');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^text\/html/);
    assert.equal(r.text, '<h1>parley</h1>');
    r = await api(srv.url, 'GET', '/sub/app.js');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^text\/javascript/);
    for (const p of ['/sub', '/sub/', '/nope.css', '/%2e%2e/secret.txt', '/sub/..%2f..%2fsecret.txt',
      '/v1/index.html']) {
      r = await api(srv.url, 'GET', p);
      assert.equal(r.status, 404, p);
      assert.equal(errorOf(r).code, 'not_found', p);
    }
  });
});

describe('room lifecycle', () => {
  let srv;
  let admin;
  before(async () => {
    srv = await startServer({ args: keyArgs() });
    admin = await adminToken();
  });
  after(async () => { assert.equal(await srv?.stop(), 0); });

  let lobby;
  it('POST /v1/rooms creates a room (201) with all its fields', async () => {
    const before = nowSec();
    const r = await api(srv.url, 'POST', '/v1/rooms', {
      token: admin, body: { name: 'lobby', metadata: 'm1', max_participants: 5, empty_timeout: 0 },
    });
    assert.equal(r.status, 201, r.text);
    assert.match(r.headers.get('content-type'), /^application\/json/);
    lobby = r.json;
    assert.deepEqual(Object.keys(lobby).sort(), ['created_at', 'empty_timeout', 'max_participants',
      'metadata', 'name', 'num_participants', 'sid']);
    assert.equal(lobby.name, 'lobby');
    assert.match(lobby.sid, SID);
    assert.equal(lobby.metadata, 'm1');
    assert.equal(lobby.max_participants, 5);
    assert.equal(lobby.empty_timeout, 0);
    assert.equal(lobby.num_participants, 0);
    assert.ok(lobby.created_at >= before - 5 && lobby.created_at <= nowSec() + 5);
  });

  it('a created room gets the defaults for what is not given', async () => {
    const r = await api(srv.url, 'POST', '/v1/rooms', { token: admin, body: { name: 'plain.room_1~x-y' } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.metadata, '');
    assert.equal(r.json.max_participants, 100);
    assert.equal(r.json.empty_timeout, 0);
    assert.match(r.json.sid, SID);
    assert.notEqual(r.json.sid, lobby.sid);
  });

  it('GET /v1/rooms lists the rooms in creation order', async () => {
    const r = await api(srv.url, 'GET', '/v1/rooms', { token: admin });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.rooms.map((x) => x.name), ['lobby', 'plain.room_1~x-y']);
    assert.deepEqual(r.json.rooms[0], lobby);
  });

  let alice;
  it('GET /v1/rooms/{room} includes the participants', async () => {
    let r = await api(srv.url, 'GET', '/v1/rooms/lobby', { token: admin });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { ...lobby, participants: [] });

    alice = await joinWithEvents(srv.url, 'lobby', 'alice');
    r = await api(srv.url, 'GET', '/v1/rooms/lobby', { token: admin });
    assert.equal(r.status, 200);
    assert.equal(r.json.num_participants, 1);
    assert.equal(r.json.participants.length, 1);
    assert.equal(r.json.participants[0].id, alice.pid);
    assert.equal(r.json.participants[0].identity, 'alice');

    r = await api(srv.url, 'GET', '/v1/rooms/lobby/participants', { token: admin });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { participants: [alice.json.participant] });

    r = await api(srv.url, 'GET', '/v1/rooms', { token: admin });
    assert.equal(r.json.rooms[0].num_participants, 1);
    assert.equal(r.json.rooms[0].participants, undefined);
  });

  it('PATCH changes metadata and max_participants; joined participants get room_updated', async () => {
    let r = await api(srv.url, 'PATCH', '/v1/rooms/lobby', { token: admin, body: { metadata: 'm2' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.metadata, 'm2');
    assert.equal(r.json.max_participants, 5);
    assert.equal(r.json.sid, lobby.sid);
    assert.equal(r.json.participants.length, 1);
    let ev = await alice.events.nextOf('room_updated');
    assert.equal(ev.json.room.name, 'lobby');
    assert.equal(ev.json.room.sid, lobby.sid);
    assert.equal(ev.json.room.metadata, 'm2');
    assert.equal(ev.json.room.max_participants, 5);

    r = await api(srv.url, 'PATCH', '/v1/rooms/lobby', { token: admin, body: { max_participants: 9 } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.metadata, 'm2', 'metadata kept when not given');
    assert.equal(r.json.max_participants, 9);
    ev = await alice.events.nextOf('room_updated');
    assert.equal(ev.json.room.max_participants, 9);
    assert.equal(ev.json.room.metadata, 'm2');

    r = await api(srv.url, 'PATCH', '/v1/rooms/lobby', {
      token: admin, body: { metadata: '', max_participants: 3 },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.metadata, '');
    assert.equal(r.json.max_participants, 3);
    ev = await alice.events.nextOf('room_updated');
    assert.equal(ev.json.room.metadata, '');

    r = await api(srv.url, 'GET', '/v1/rooms/lobby', { token: admin });
    assert.equal(r.json.metadata, '');
    assert.equal(r.json.max_participants, 3);
  });

  it('a roomAdmin token for the room may update it', async () => {
    const t = await mintToken({ room: 'lobby', roomAdmin: true });
    const r = await api(srv.url, 'PATCH', '/v1/rooms/lobby', { token: t, body: { metadata: 'by-admin' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.metadata, 'by-admin');
    const ev = await alice.events.nextOf('room_updated');
    assert.equal(ev.json.room.metadata, 'by-admin');
  });

  it('PATCH and GET of a room that does not exist: 404 room_not_found', async () => {
    for (const [m, path, body] of [
      ['GET', '/v1/rooms/nosuchroom'],
      ['PATCH', '/v1/rooms/nosuchroom', { metadata: 'x' }],
      ['DELETE', '/v1/rooms/nosuchroom'],
      ['GET', '/v1/rooms/nosuchroom/participants'],
    ]) {
      const r = await api(srv.url, m, path, { token: admin, body });
      assert.equal(r.status, 404, `${m} ${path}: ${r.text}`);
      assert.equal(errorOf(r).code, 'room_not_found');
    }
  });

  it('DELETE ends the room: 204, room_ended to participants, their stream ends, then 404', async () => {
    const r = await api(srv.url, 'DELETE', '/v1/rooms/lobby', { token: admin });
    assert.equal(r.status, 204);
    assert.equal(r.text, '');
    const ev = await alice.events.nextOf('room_ended');
    assert.deepEqual(ev.json, { reason: 'deleted' });
    assert.equal(await alice.events.next(5000), null, 'the event stream ends');

    let g = await api(srv.url, 'GET', '/v1/rooms/lobby', { token: admin });
    assert.equal(g.status, 404);
    assert.equal(errorOf(g).code, 'room_not_found');
    g = await api(srv.url, 'DELETE', '/v1/rooms/lobby', { token: admin });
    assert.equal(g.status, 404);
    assert.equal(errorOf(g).code, 'room_not_found');
    g = await api(srv.url, 'GET', alice.eventsUrl, { token: alice.token });
    assert.equal(g.status, 404);
    assert.equal(errorOf(g).code, 'room_not_found');
    g = await api(srv.url, 'GET', '/v1/rooms', { token: admin });
    assert.deepEqual(g.json.rooms.map((x) => x.name), ['plain.room_1~x-y']);
  });

  it('the name of a deleted room can be used again, with a new sid', async () => {
    const r = await api(srv.url, 'POST', '/v1/rooms', { token: admin, body: { name: 'lobby' } });
    assert.equal(r.status, 201, r.text);
    assert.notEqual(r.json.sid, lobby.sid);
    assert.equal(r.json.metadata, '');
  });

  it('a roomAdmin token for the room may delete it', async () => {
    const t = await mintToken({ room: 'lobby', roomAdmin: true });
    const r = await api(srv.url, 'DELETE', '/v1/rooms/lobby', { token: t });
    assert.equal(r.status, 204, r.text);
  });
});

describe('empty rooms', () => {
  let srv;
  let admin;
  const streams = [];
  before(async () => {
    srv = await startServer({ args: [...keyArgs(), '--set', 'rooms.empty_timeout=1'] });
    admin = await adminToken();
  });
  after(async () => {
    for (const s of streams) await s.close();
    assert.equal(await srv?.stop(), 0);
  });

  const exists = async (name) => (await api(srv.url, 'GET', `/v1/rooms/${name}`, { token: admin })).status === 200;

  it('rooms are closed once empty for their empty_timeout; others stay', async () => {
    for (const body of [{ name: 'eph', empty_timeout: 1 }, { name: 'keep' }, { name: 'busy', empty_timeout: 1 }]) {
      const r = await api(srv.url, 'POST', '/v1/rooms', { token: admin, body });
      assert.equal(r.status, 201, r.text);
    }
    const busy = await joinWithEvents(srv.url, 'busy', 'stayer');
    streams.push(busy.events);
    // auto-created: rooms.empty_timeout applies once its participant leaves
    const auto = await joinWithEvents(srv.url, 'auto', 'visitor');
    streams.push(auto.events);
    assert.equal(auto.json.room.empty_timeout, 1);
    const l = await api(srv.url, 'DELETE', `/v1/rooms/auto/participants/${auto.pid}`, { token: auto.token });
    assert.equal(l.status, 204);

    await waitUntil(async () => !(await exists('eph')) && !(await exists('auto')),
      { timeoutMs: 15000, what: 'eph and auto to close' });
    const g = await api(srv.url, 'GET', '/v1/rooms/eph', { token: admin });
    assert.equal(g.status, 404);
    assert.equal(errorOf(g).code, 'room_not_found');
    assert.ok(await exists('keep'), 'a room with empty_timeout 0 stays');
    assert.ok(await exists('busy'), 'a room with a participant stays');
    assert.equal(busy.events.done, false);
    const list = await api(srv.url, 'GET', '/v1/rooms', { token: admin });
    assert.deepEqual(list.json.rooms.map((x) => x.name), ['keep', 'busy']);
  });
});
