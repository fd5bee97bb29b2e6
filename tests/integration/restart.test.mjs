// Rooms live in the data folder: a restarted server has the same rooms.
// A stopping server tells connected participants and exits 0.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, api, keyArgs, adminToken, join, joinWithEvents, openEvents, makeTempDir, removeDir,
  errorOf, waitUntil,
} from './lib.mjs';

describe('restart keeps rooms', () => {
  let dataDir;
  let srv;
  let admin;
  const start = async () => {
    srv = await startServer({ args: keyArgs(), dataDir });
    return srv;
  };
  before(async () => {
    dataDir = await makeTempDir();
    admin = await adminToken();
  });
  after(async () => {
    if (srv) await srv.stop();
    await removeDir(dataDir);
  });

  let before1;
  let alice;
  it('a participant with an open stream gets "disconnected" server_shutdown; exit code 0', async () => {
    await start();
    for (const body of [
      { name: 'alpha', metadata: 'a-meta', max_participants: 7 },
      { name: 'beta', metadata: '{"k":[1,2,"x"]}\n\u00e9', empty_timeout: 600 },
      { name: 'gamma' },
    ]) {
      const r = await api(srv.url, 'POST', '/v1/rooms', { token: admin, body });
      assert.equal(r.status, 201, r.text);
    }
    alice = await joinWithEvents(srv.url, 'alpha', 'alice');
    await join(srv.url, 'auto', 'bob'); // auto-created
    before1 = (await api(srv.url, 'GET', '/v1/rooms', { token: admin })).json.rooms;
    assert.deepEqual(before1.map((r) => r.name), ['alpha', 'beta', 'gamma', 'auto']);

    const stopped = srv.stop({ keepDir: true });
    const ev = await alice.events.next(15000);
    assert.ok(ev, 'an event before the stream ends');
    assert.equal(ev.event, 'disconnected');
    assert.deepEqual(ev.json, { reason: 'server_shutdown' });
    assert.equal(await alice.events.next(15000), null, 'the stream ends');
    assert.equal(await stopped, 0, `exit code; log:\n${srv.log()}`);
    srv = undefined;
  });

  it('a new server on the same data folder lists the rooms with the same sid and metadata', async () => {
    await start();
    const r = await api(srv.url, 'GET', '/v1/rooms', { token: admin });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.rooms.map((x) => x.name).sort(), before1.map((x) => x.name).sort());
    for (const old of before1) {
      const now = r.json.rooms.find((x) => x.name === old.name);
      assert.deepEqual(now, { ...old, num_participants: 0 }, old.name);
    }
    const g = await api(srv.url, 'GET', '/v1/rooms/alpha', { token: admin });
    assert.deepEqual(g.json.participants, []);
    // the old participant is gone; its token can join again
    const s = await openEvents(srv.url, alice.eventsUrl, alice.token);
    assert.equal(s.status, 404);
    assert.equal(s.json.error.code, 'participant_not_found');
    const j = await join(srv.url, 'alpha', 'alice', { token: alice.token });
    assert.equal(j.json.room.sid, before1[0].sid);
    // names stay taken
    const c = await api(srv.url, 'POST', '/v1/rooms', { token: admin, body: { name: 'beta' } });
    assert.equal(c.status, 409);
    assert.equal(errorOf(c).code, 'room_exists');
  });

  it('updates and deletions are kept across a restart too', async () => {
    let r = await api(srv.url, 'PATCH', '/v1/rooms/gamma', { token: admin, body: { metadata: 'g2', max_participants: 4 } });
    assert.equal(r.status, 200, r.text);
    r = await api(srv.url, 'DELETE', '/v1/rooms/beta', { token: admin });
    assert.equal(r.status, 204);
    r = await api(srv.url, 'POST', '/v1/rooms', { token: admin, body: { name: 'delta', metadata: 'd' } });
    assert.equal(r.status, 201);
    const delta = r.json;
    // a room closed for being empty does not come back either
    r = await api(srv.url, 'POST', '/v1/rooms', { token: admin, body: { name: 'ephemeral', empty_timeout: 1 } });
    assert.equal(r.status, 201);
    await waitUntil(async () => (await api(srv.url, 'GET', '/v1/rooms/ephemeral', { token: admin })).status === 404,
      { timeoutMs: 15000, what: 'ephemeral to close' });
    const list1 = (await api(srv.url, 'GET', '/v1/rooms', { token: admin })).json.rooms;
    assert.equal(await srv.stop({ keepDir: true }), 0);
    srv = undefined;

    await start();
    const list2 = (await api(srv.url, 'GET', '/v1/rooms', { token: admin })).json.rooms;
    assert.deepEqual(list2.map((x) => x.name).sort(), ['alpha', 'auto', 'delta', 'gamma']);
    const gamma = list2.find((x) => x.name === 'gamma');
    assert.equal(gamma.metadata, 'g2');
    assert.equal(gamma.max_participants, 4);
    assert.equal(gamma.sid, before1.find((x) => x.name === 'gamma').sid);
    assert.deepEqual(list2.find((x) => x.name === 'delta'), delta);
    for (const x of list2) {
      const y = list1.find((z) => z.name === x.name);
      assert.deepEqual(x, { ...y, num_participants: 0 }, x.name);
    }
    assert.equal(await srv.stop({ keepDir: true }), 0);
    srv = undefined;
  });
});
