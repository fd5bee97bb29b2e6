// Event streams (SSE): format, ids, replay on reconnect, heartbeats, and the
// removal of participants that stop reading their events.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, api, keyArgs, adminToken, join, joinWithEvents, openEvents, sleep,
} from './lib.mjs';

describe('event streams', () => {
  let srv;
  let admin;
  const streams = [];
  const open = async (...a) => { const s = await openEvents(...a); streams.push(s); return s; };
  before(async () => {
    srv = await startServer({
      args: [...keyArgs(), '--set', 'events.heartbeat=1', '--set', 'events.buffer=16'],
    });
    admin = await adminToken();
  });
  after(async () => {
    for (const s of streams) await s.close();
    assert.equal(await srv?.stop(), 0);
  });

  let alice;
  it('is text/event-stream, not cached, starts with a retry hint, and has heartbeats', async () => {
    alice = await join(srv.url, 'ev', 'alice');
    const s = await open(srv.url, alice.eventsUrl, alice.token);
    assert.equal(s.status, 200);
    assert.match(s.contentType, /^text\/event-stream/);
    assert.equal(s.headers.get('cache-control'), 'no-store');
    // events.heartbeat=1: an idle stream gets a keep-alive comment
    const c = await s.nextComment(5000);
    assert.equal(c, 'keepalive');
    assert.equal(s.retry, 2000);
    assert.equal(s.events.length, 0, 'comments are not events');
    alice.events = s;
  });

  const ids = [];
  it('event ids increase', async () => {
    for (const who of ['bob', 'carol', 'dave']) {
      await join(srv.url, 'ev', who);
      const ev = await alice.events.next();
      assert.equal(ev.event, 'participant_joined');
      assert.equal(ev.json.participant.identity, who);
      ids.push(ev.id);
    }
    // ids start at 1 after the join and increase by one per event
    assert.deepEqual(ids, [1, 2, 3]);
  });

  it('reconnecting with Last-Event-ID replays only what was missed', async () => {
    await alice.events.close();
    await join(srv.url, 'ev', 'erin');
    await join(srv.url, 'ev', 'frank');
    const s = await open(srv.url, alice.eventsUrl, alice.token, { lastEventId: ids[2] });
    assert.equal(s.status, 200);
    const e1 = await s.next();
    const e2 = await s.next();
    assert.deepEqual([e1.event, e1.json.participant.identity], ['participant_joined', 'erin']);
    assert.deepEqual([e2.event, e2.json.participant.identity], ['participant_joined', 'frank']);
    assert.deepEqual([e1.id, e2.id], [ids[2] + 1, ids[2] + 2]);
    ids.push(e1.id, e2.id);
    // nothing else was replayed: the next event is a new one
    await join(srv.url, 'ev', 'gina');
    const e3 = await s.next();
    assert.equal(e3.json.participant.identity, 'gina');
    assert.ok(e3.id > e2.id);
    ids.push(e3.id);
    assert.deepEqual(s.events.map((e) => e.id), ids.slice(3));
    await s.close();
  });

  it('the last_event_id query parameter works the same', async () => {
    const s = await open(srv.url, alice.eventsUrl, alice.token, { query: { last_event_id: ids[3] } });
    assert.equal(s.status, 200);
    const e1 = await s.next();
    const e2 = await s.next();
    assert.deepEqual([e1.id, e2.id], [ids[4], ids[5]]);
    assert.equal(e2.json.participant.identity, 'gina');
    await join(srv.url, 'ev', 'hank');
    const e3 = await s.next();
    assert.equal(e3.json.participant.identity, 'hank');
    ids.push(e3.id);
    await s.close();
  });

  it('the access_token query parameter works for EventSource clients', async () => {
    const s = await open(srv.url, alice.eventsUrl, undefined, {
      query: { access_token: alice.token, last_event_id: ids[5] },
    });
    assert.equal(s.status, 200);
    const e = await s.next();
    assert.equal(e.id, ids[6]);
    await s.close();
  });

  it('Last-Event-ID wins over last_event_id', async () => {
    const s = await open(srv.url, alice.eventsUrl, alice.token, {
      lastEventId: ids[5], query: { last_event_id: ids[0] },
    });
    const e = await s.next();
    assert.equal(e.id, ids[6]);
    await s.close();
  });

  it('without Last-Event-ID the stream replays the buffered events from the start', async () => {
    const s = await open(srv.url, alice.eventsUrl, alice.token);
    for (const id of ids) {
      const e = await s.next();
      assert.equal(e.id, id);
    }
    await s.close();
  });

  it('a Last-Event-ID beyond the last event replays nothing', async () => {
    const s = await open(srv.url, alice.eventsUrl, alice.token, { lastEventId: 999999 });
    assert.equal(s.status, 200);
    await join(srv.url, 'ev', 'ivan');
    const e = await s.next();
    assert.equal(e.json.participant.identity, 'ivan');
    ids.push(e.id);
    assert.ok(e.id > ids[6]);
    await s.close();
  });

  it('a malformed Last-Event-ID counts as none', async () => {
    const s = await open(srv.url, alice.eventsUrl, alice.token, { lastEventId: 'garbage' });
    assert.equal(s.status, 200);
    const e = await s.next();
    assert.equal(e.id, ids[0]);
    await s.close();
  });

  it('events that fell out of the buffer are reported as events_lost', async () => {
    const watcher = await join(srv.url, 'gap', 'watcher');
    const n = 20; // events.buffer=16
    for (let i = 0; i < n; i++) await join(srv.url, 'gap', `p${i}`);
    const s = await open(srv.url, watcher.eventsUrl, watcher.token, { lastEventId: 1 });
    const lost = await s.next();
    assert.equal(lost.event, 'events_lost');
    assert.deepEqual(lost.json, { first: 2, last: n - 16 });
    const first = await s.next();
    assert.equal(first.id, n - 16 + 1);
    assert.equal(first.event, 'participant_joined');
    let last = first;
    for (let i = first.id + 1; i <= n; i++) {
      last = await s.next();
      assert.equal(last.id, i);
    }
    assert.equal(last.json.participant.identity, `p${n - 1}`);
    await s.close();
    const d = await api(srv.url, 'DELETE', '/v1/rooms/gap', { token: admin });
    assert.equal(d.status, 204);
  });

  it('large events arrive intact, live and replayed', async () => {
    const big = await join(srv.url, 'big', 'reader');
    const s = await open(srv.url, big.eventsUrl, big.token);
    const metas = [];
    for (let i = 0; i < 6; i++) {
      // 16384 bytes: the largest metadata, with characters JSON must escape
      const m = String(i).repeat(16384 - 11) + '\u00e9"\\\n<>&\u2028';
      assert.equal(Buffer.byteLength(m), 16384);
      metas.push(m);
      const r = await api(srv.url, 'PATCH', '/v1/rooms/big', { token: admin, body: { metadata: m } });
      assert.equal(r.status, 200, r.text.slice(0, 200));
    }
    for (const m of metas) {
      const e = await s.next();
      assert.equal(e.event, 'room_updated');
      assert.ok(e.json.room.metadata === m, 'metadata intact');
    }
    await s.close();
    const again = await open(srv.url, big.eventsUrl, big.token);
    for (const m of metas) assert.ok((await again.next()).json.room.metadata === m, 'replayed intact');
    await again.close();
  });

  it('several streams of one participant all get the events', async () => {
    const s1 = await open(srv.url, alice.eventsUrl, alice.token, { lastEventId: ids.at(-1) });
    const s2 = await open(srv.url, alice.eventsUrl, alice.token, { lastEventId: ids.at(-1) });
    await join(srv.url, 'ev', 'judy');
    const [a, b] = [await s1.next(), await s2.next()];
    assert.equal(a.id, b.id);
    assert.equal(a.json.participant.identity, 'judy');
    await s1.close();
    await s2.close();
  });

  it('only the participant itself may read its events', async () => {
    const bobToken = (await join(srv.url, 'ev', 'bob')).token;
    let s = await open(srv.url, alice.eventsUrl, bobToken);
    assert.equal(s.status, 403);
    assert.equal(s.json.error.code, 'forbidden');
    s = await open(srv.url, alice.eventsUrl, admin);
    assert.equal(s.status, 403, 'a server token cannot read a participant\'s events');
    s = await open(srv.url, '/v1/rooms/ev/participants/PA_000000000000/events', alice.token);
    assert.equal(s.status, 404);
    assert.equal(s.json.error.code, 'participant_not_found');
    s = await open(srv.url, '/v1/rooms/ev/participants/PA_000000000000/events');
    assert.equal(s.status, 401);
    assert.equal(s.json.error.code, 'unauthorized');
  });
});

describe('participant timeout', () => {
  let srv;
  let admin;
  const streams = [];
  before(async () => {
    srv = await startServer({
      args: [...keyArgs(), '--set', 'rooms.participant_timeout=2', '--set', 'events.heartbeat=1'],
    });
    admin = await adminToken();
  });
  after(async () => {
    for (const s of streams) await s.close();
    assert.equal(await srv?.stop(), 0);
  });

  it('removes participants whose stream is closed or never opened; keeps those reading', async () => {
    const keeper = await joinWithEvents(srv.url, 'to', 'keeper');
    streams.push(keeper.events);
    const quitter = await joinWithEvents(srv.url, 'to', 'quitter');
    streams.push(quitter.events);
    const silent = await join(srv.url, 'to', 'silent'); // never opens its stream

    const left = new Map();
    const wantJoined = new Set([quitter.pid, silent.pid]);
    const drainJoined = async () => {
      while (wantJoined.size) {
        const e = await keeper.events.next(10000);
        assert.equal(e.event, 'participant_joined');
        wantJoined.delete(e.json.participant.id);
      }
    };
    await drainJoined();
    // the quitter reads one heartbeat, then goes away without leaving
    await quitter.events.nextComment(5000);
    await quitter.events.close();

    while (left.size < 2) {
      const e = await keeper.events.next(20000);
      assert.ok(e, 'keeper stream still open');
      assert.equal(e.event, 'participant_left', JSON.stringify(e));
      assert.equal(e.json.reason, 'timeout');
      left.set(e.json.participant.id, e.json.participant.identity);
    }
    assert.deepEqual([...left.values()].sort(), ['quitter', 'silent']);

    const r = await api(srv.url, 'GET', '/v1/rooms/to', { token: admin });
    assert.deepEqual(r.json.participants.map((p) => p.identity), ['keeper']);
    const gone = await openEvents(srv.url, quitter.eventsUrl, quitter.token);
    assert.equal(gone.status, 404);
    assert.equal(gone.json.error.code, 'participant_not_found');

    // keeper, which keeps its stream open, stays well past the timeout
    await sleep(4000);
    const again = await api(srv.url, 'GET', '/v1/rooms/to', { token: admin });
    assert.deepEqual(again.json.participants.map((p) => p.identity), ['keeper']);
    assert.equal(keeper.events.done, false);
    assert.ok(keeper.events.comments.length > 0, 'keeper got heartbeats');

    const m = await api(srv.url, 'GET', '/metrics');
    assert.match(m.text, /^parley_participant_timeouts_total 2$/m);
  });

  it('a participant that reconnects within the timeout is kept', async () => {
    const p = await joinWithEvents(srv.url, 'to2', 'hopper');
    streams.push(p.events);
    for (let i = 0; i < 3; i++) {
      await p.events.close();
      const s = await openEvents(srv.url, p.eventsUrl, p.token);
      assert.equal(s.status, 200, `reconnect ${i}`);
      streams.push(s);
      await s.nextComment(5000);
      p.events = s;
    }
    const r = await api(srv.url, 'GET', '/v1/rooms/to2', { token: admin });
    assert.deepEqual(r.json.participants.map((x) => x.id), [p.pid]);
    assert.equal(p.events.done, false);
    assert.equal(p.events.events.length, 0, 'no disconnected event');
  });
});
