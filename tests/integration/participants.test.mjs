// Joining and leaving: join response, presence events, removal by an admin,
// duplicate identities, full rooms, auto-created rooms.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, api, keyArgs, adminToken, mintToken, joinToken, join, joinWithEvents, openEvents,
  errorOf, nowSec,
} from './lib.mjs';

const PID = /^PA_[A-Za-z0-9]{12}$/;
const STUN = 'stun:stun.example.org:3478';
const TURN = 'turn:turn.example.org:3478?transport=udp';

describe('join and leave', () => {
  let srv;
  let admin;
  const streams = [];
  const track = (p) => { streams.push(p.events); return p; };
  before(async () => {
    srv = await startServer({
      args: [...keyArgs(), '--set', `ice.stun_urls=${STUN}`, '--set', `ice.turn_urls=${TURN}`,
        '--set', 'ice.turn_username=tu', '--set', 'ice.turn_credential=tc'],
    });
    admin = await adminToken();
    const r = await api(srv.url, 'POST', '/v1/rooms', { token: admin, body: { name: 'main', metadata: 'rm' } });
    assert.equal(r.status, 201, r.text);
  });
  after(async () => {
    for (const s of streams) await s.close();
    assert.equal(await srv?.stop(), 0);
  });

  let alice;
  it('join answers 201 with the participant, the room, events_url and ice_servers', async () => {
    const token = await joinToken('main', 'alice', { name: 'Alice A.', metadata: '{"x":1}' });
    const r = await api(srv.url, 'POST', '/v1/rooms/main/participants', { token });
    assert.equal(r.status, 201, r.text);
    const p = r.json.participant;
    assert.match(p.id, PID);
    assert.equal(p.identity, 'alice');
    assert.equal(p.name, 'Alice A.');
    assert.equal(p.metadata, '{"x":1}');
    assert.ok(Math.abs(p.joined_at - nowSec()) < 3600);
    assert.deepEqual(p.permissions, { can_publish: true, can_subscribe: true, can_publish_data: true });
    assert.equal(r.json.room.name, 'main');
    assert.equal(r.json.room.metadata, 'rm');
    assert.equal(r.json.room.num_participants, 1);
    assert.deepEqual(r.json.room.participants, [p]);
    assert.equal(r.json.events_url, `/v1/rooms/main/participants/${p.id}/events`);
    assert.deepEqual(r.json.ice_servers, [
      { urls: [STUN] },
      { urls: [TURN], username: 'tu', credential: 'tc' },
    ]);
    const events = await openEvents(srv.url, r.json.events_url, token);
    assert.equal(events.status, 200);
    alice = track({ token, pid: p.id, events });
  });

  it('an empty JSON object is accepted as the join body', async () => {
    const token = await joinToken('main', 'quiet');
    const r = await api(srv.url, 'POST', '/v1/rooms/main/participants', { token, body: {} });
    assert.equal(r.status, 201, r.text);
    const ev = await alice.events.nextOf('participant_joined');
    assert.equal(ev.json.participant.identity, 'quiet');
    const l = await api(srv.url, 'DELETE', `/v1/rooms/main/participants/${r.json.participant.id}`, { token });
    assert.equal(l.status, 204, l.text);
    const left = await alice.events.nextOf('participant_left');
    assert.equal(left.json.participant.identity, 'quiet');
  });

  let bob;
  it('a second join sends participant_joined to the first', async () => {
    bob = track(await joinWithEvents(srv.url, 'main', 'bob', { grants: { name: 'Bob' } }));
    const ev = await alice.events.nextOf('participant_joined');
    assert.equal(ev.json.participant.id, bob.pid);
    assert.equal(ev.json.participant.identity, 'bob');
    assert.equal(ev.json.participant.name, 'Bob');
    assert.deepEqual(Object.keys(ev.json), ['participant']);
    assert.equal(bob.json.room.num_participants, 2);
    assert.deepEqual(bob.json.room.participants.map((x) => x.identity), ['alice', 'bob']);
  });

  it('leaving: 204; the others get participant_left "left", the leaver "disconnected"', async () => {
    const r = await api(srv.url, 'DELETE', `/v1/rooms/main/participants/${bob.pid}`, { token: bob.token });
    assert.equal(r.status, 204, r.text);
    assert.equal(r.text, '');
    const ev = await alice.events.nextOf('participant_left');
    assert.equal(ev.json.participant.id, bob.pid);
    assert.equal(ev.json.reason, 'left');
    const d = await bob.events.nextOf('disconnected');
    assert.deepEqual(d.json, { reason: 'left' });
    assert.equal(await bob.events.next(), null, "the leaver's stream ends");

    const again = await api(srv.url, 'DELETE', `/v1/rooms/main/participants/${bob.pid}`, { token: bob.token });
    assert.equal(again.status, 404);
    assert.equal(errorOf(again).code, 'participant_not_found');
    const evs = await openEvents(srv.url, bob.eventsUrl, bob.token);
    assert.equal(evs.status, 404);
    assert.equal(evs.json.error.code, 'participant_not_found');
    const g = await api(srv.url, 'GET', '/v1/rooms/main/participants', { token: admin });
    assert.deepEqual(g.json.participants.map((x) => x.identity), ['alice']);
  });

  it('a participant may not remove another without roomAdmin (403)', async () => {
    const carol = track(await joinWithEvents(srv.url, 'main', 'carol'));
    await alice.events.nextOf('participant_joined');
    const r = await api(srv.url, 'DELETE', `/v1/rooms/main/participants/${carol.pid}`, { token: alice.token });
    assert.equal(r.status, 403, r.text);
    assert.equal(errorOf(r).code, 'forbidden');
    // carol removes herself to clean up
    const l = await api(srv.url, 'DELETE', `/v1/rooms/main/participants/${carol.pid}`, { token: carol.token });
    assert.equal(l.status, 204);
    assert.equal((await alice.events.nextOf('participant_left')).json.reason, 'left');
  });

  it('an admin (roomAdmin) removes a participant: reason "removed"', async () => {
    const carol = track(await joinWithEvents(srv.url, 'main', 'carol'));
    await alice.events.nextOf('participant_joined');
    const mod = await mintToken({ identity: 'moderator', room: 'main', roomAdmin: true });
    const r = await api(srv.url, 'DELETE', `/v1/rooms/main/participants/${carol.pid}`, { token: mod });
    assert.equal(r.status, 204, r.text);
    const ev = await alice.events.nextOf('participant_left');
    assert.equal(ev.json.participant.id, carol.pid);
    assert.equal(ev.json.reason, 'removed');
    const d = await carol.events.nextOf('disconnected');
    assert.deepEqual(d.json, { reason: 'removed' });
    assert.equal(await carol.events.next(), null);
  });

  it('a server token (roomCreate, no identity) removes a participant: reason "removed"', async () => {
    const dan = track(await joinWithEvents(srv.url, 'main', 'dan'));
    await alice.events.nextOf('participant_joined');
    const r = await api(srv.url, 'DELETE', `/v1/rooms/main/participants/${dan.pid}`, { token: admin });
    assert.equal(r.status, 204, r.text);
    assert.equal((await alice.events.nextOf('participant_left')).json.reason, 'removed');
    assert.deepEqual((await dan.events.nextOf('disconnected')).json, { reason: 'removed' });
  });

  it('a roomAdmin token for another room cannot remove (403)', async () => {
    const mod = await mintToken({ identity: 'moderator', room: 'elsewhere', roomAdmin: true });
    const r = await api(srv.url, 'DELETE', `/v1/rooms/main/participants/${alice.pid}`, { token: mod });
    assert.equal(r.status, 403, r.text);
    assert.equal(errorOf(r).code, 'forbidden');
  });

  it('joining again with the same identity replaces the old participant', async () => {
    const eve1 = track(await joinWithEvents(srv.url, 'main', 'eve'));
    assert.equal((await alice.events.nextOf('participant_joined')).json.participant.id, eve1.pid);
    const eve2 = track(await joinWithEvents(srv.url, 'main', 'eve'));
    assert.notEqual(eve2.pid, eve1.pid);

    const d = await eve1.events.nextOf('disconnected');
    assert.deepEqual(d.json, { reason: 'duplicate_identity' });
    assert.equal(await eve1.events.next(), null, "the old participant's stream ends");

    const left = await alice.events.next();
    assert.equal(left.event, 'participant_left');
    assert.equal(left.json.participant.id, eve1.pid);
    assert.equal(left.json.reason, 'duplicate_identity');
    const joined = await alice.events.next();
    assert.equal(joined.event, 'participant_joined');
    assert.equal(joined.json.participant.id, eve2.pid);
    assert.ok(joined.id > left.id);

    const g = await api(srv.url, 'GET', '/v1/rooms/main', { token: admin });
    assert.deepEqual(g.json.participants.map((x) => [x.identity, x.id]),
      [['alice', alice.pid], ['eve', eve2.pid]]);
    assert.equal(g.json.num_participants, 2);
    const old = await api(srv.url, 'DELETE', `/v1/rooms/main/participants/${eve1.pid}`, { token: eve1.token });
    assert.equal(old.status, 404);
    assert.equal(errorOf(old).code, 'participant_not_found');
  });

  it('a full room refuses a join with 409 room_full', async () => {
    let r = await api(srv.url, 'POST', '/v1/rooms', { token: admin, body: { name: 'small', max_participants: 2 } });
    assert.equal(r.status, 201, r.text);
    const x = track(await joinWithEvents(srv.url, 'small', 'x'));
    const y = track(await joinWithEvents(srv.url, 'small', 'y'));
    const z = await join(srv.url, 'small', 'z', { expect: 409 });
    assert.equal(errorOf(z).code, 'room_full');
    assert.match(z.json.error.message, /small/);
    void y;

    // the same identity may still rejoin: it replaces itself
    const x2 = track(await joinWithEvents(srv.url, 'small', 'x'));
    assert.deepEqual(await x.events.nextOf('disconnected').then((e) => e.json), { reason: 'duplicate_identity' });
    r = await api(srv.url, 'GET', '/v1/rooms/small', { token: admin });
    assert.equal(r.json.num_participants, 2);
    assert.deepEqual(r.json.participants.map((p) => p.id).sort(), [x2.pid, y.pid].sort());

    // raising the limit lets z in
    r = await api(srv.url, 'PATCH', '/v1/rooms/small', { token: admin, body: { max_participants: 3 } });
    assert.equal(r.status, 200, r.text);
    const z2 = track(await joinWithEvents(srv.url, 'small', 'z'));
    assert.equal(z2.json.room.num_participants, 3);
    const z3 = await join(srv.url, 'small', 'w', { expect: 409 });
    assert.equal(errorOf(z3).code, 'room_full');

    // lowering the limit below the count removes nobody
    r = await api(srv.url, 'PATCH', '/v1/rooms/small', { token: admin, body: { max_participants: 1 } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.max_participants, 1);
    assert.equal(r.json.num_participants, 3);
    assert.equal(r.json.participants.length, 3);
    assert.equal(x2.events.done, false);
  });

  it('joining a room that does not exist creates it (auto_create)', async () => {
    let r = await api(srv.url, 'GET', '/v1/rooms/fresh', { token: admin });
    assert.equal(r.status, 404);
    const f = track(await joinWithEvents(srv.url, 'fresh', 'first'));
    assert.equal(f.json.room.name, 'fresh');
    assert.match(f.json.room.sid, /^RM_/);
    assert.equal(f.json.room.empty_timeout, 300, 'auto-created rooms get rooms.empty_timeout');
    assert.equal(f.json.room.max_participants, 100);
    r = await api(srv.url, 'GET', '/v1/rooms/fresh', { token: admin });
    assert.equal(r.status, 200);
    assert.equal(r.json.sid, f.json.room.sid);
  });
});

describe('join with rooms.auto_create=false', () => {
  let srv;
  before(async () => {
    srv = await startServer({ args: [...keyArgs(), '--set', 'rooms.auto_create=false'] });
  });
  after(async () => { assert.equal(await srv?.stop(), 0); });

  it('joining a room that does not exist is 404 room_not_found', async () => {
    const r = await join(srv.url, 'nope', 'alice', { expect: 404 });
    assert.equal(errorOf(r).code, 'room_not_found');
    const admin = await adminToken();
    const l = await api(srv.url, 'GET', '/v1/rooms', { token: admin });
    assert.deepEqual(l.json.rooms, []);
  });

  it('once the room is created, joining works', async () => {
    const admin = await adminToken();
    const c = await api(srv.url, 'POST', '/v1/rooms', { token: admin, body: { name: 'nope' } });
    assert.equal(c.status, 201, c.text);
    const j = await join(srv.url, 'nope', 'alice');
    assert.equal(j.json.room.sid, c.json.sid);
    assert.deepEqual(j.json.ice_servers, [], 'no ICE servers configured');
    const l = await api(srv.url, 'DELETE', `/v1/rooms/nope/participants/${j.pid}`, { token: j.token });
    assert.equal(l.status, 204);
  });
});

describe('concurrent requests', () => {
  let srv;
  let admin;
  before(async () => {
    srv = await startServer({ args: [...keyArgs(), '--workers', '4', '--set', 'http.threads=4'] });
    admin = await adminToken();
  });
  after(async () => { assert.equal(await srv?.stop(), 0); });

  const count = (rs, status) => rs.filter((r) => r.status === status).length;

  it('parallel creates of one name: exactly one 201, the rest 409 room_exists', async () => {
    const rs = await Promise.all(Array.from({ length: 20 }, () =>
      api(srv.url, 'POST', '/v1/rooms', { token: admin, body: { name: 'race', max_participants: 5 } })));
    assert.equal(count(rs, 201), 1);
    assert.equal(count(rs, 409), 19);
    for (const r of rs.filter((x) => x.status === 409)) assert.equal(errorOf(r).code, 'room_exists');
  });

  it('parallel joins never overfill a room', async () => {
    const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => join(srv.url, 'race', `u${i}`, { expect: 0 })));
    assert.equal(count(rs, 201), 5);
    assert.equal(count(rs, 409), 25);
    const g = await api(srv.url, 'GET', '/v1/rooms/race', { token: admin });
    assert.equal(g.json.num_participants, 5);
    assert.deepEqual(g.json.participants.map((p) => p.id).sort(),
      rs.filter((r) => r.status === 201).map((r) => r.pid).sort());
  });

  it('parallel joins with one identity leave one participant', async () => {
    const rs = await Promise.all(Array.from({ length: 10 }, () => join(srv.url, 'same', 'me', { expect: 0 })));
    assert.equal(count(rs, 201), 10);
    const g = await api(srv.url, 'GET', '/v1/rooms/same', { token: admin });
    assert.equal(g.json.num_participants, 1);
    assert.equal(g.json.participants.length, 1);
    assert.ok(rs.some((r) => r.pid === g.json.participants[0].id));
  });

  it('parallel joins of a new room auto-create it once', async () => {
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => join(srv.url, 'newborn', `v${i}`, { expect: 0 })));
    assert.equal(count(rs, 201), 20);
    assert.equal(new Set(rs.map((r) => r.json.room.sid)).size, 1);
    const g = await api(srv.url, 'GET', '/v1/rooms/newborn', { token: admin });
    assert.equal(g.json.num_participants, 20);
  });

  it('parallel deletes: one 204, the rest 404', async () => {
    const rs = await Promise.all(Array.from({ length: 10 }, () =>
      api(srv.url, 'DELETE', '/v1/rooms/newborn', { token: admin })));
    assert.equal(count(rs, 204), 1);
    assert.equal(count(rs, 404), 9);
  });
});
