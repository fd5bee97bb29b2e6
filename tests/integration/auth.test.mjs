// Access tokens: LiveKit-compatible JWTs (HS256) minted with the npm
// livekit-server-sdk, their grants, and every way a token is refused.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AccessToken } from 'livekit-server-sdk';
import {
  startServer, api, keyArgs, adminToken, mintToken, joinToken, join, openEvents, craftToken,
  errorOf, nowSec, API_KEY, API_SECRET, OTHER_KEY, OTHER_SECRET,
} from './lib.mjs';

function expectError(r, status, code, msgRe) {
  assert.equal(r.status, status, r.text);
  const e = errorOf(r);
  assert.equal(e.code, code);
  if (msgRe) assert.match(e.message, msgRe);
}

describe('access tokens (production mode)', () => {
  let srv;
  let admin;
  before(async () => {
    srv = await startServer({ args: keyArgs([[API_KEY, API_SECRET], [OTHER_KEY, OTHER_SECRET]]) });
    admin = await adminToken();
    const r = await api(srv.url, 'POST', '/v1/rooms', { token: admin, body: { name: 'r1' } });
    assert.equal(r.status, 201, r.text);
  });
  after(async () => { assert.equal(await srv?.stop(), 0); });

  it('a token minted with npm livekit-server-sdk (roomJoin) joins', async () => {
    const at = new AccessToken(API_KEY, API_SECRET, {
      identity: 'lk-user', name: 'LiveKit User', metadata: 'md', ttl: '10m',
    });
    at.addGrant({ roomJoin: true, room: 'r1' });
    const token = await at.toJwt();
    const r = await api(srv.url, 'POST', '/v1/rooms/r1/participants', { token });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.participant.identity, 'lk-user');
    assert.equal(r.json.participant.name, 'LiveKit User');
    assert.equal(r.json.participant.metadata, 'md');
    assert.deepEqual(r.json.participant.permissions,
      { can_publish: true, can_subscribe: true, can_publish_data: true });
    // and the same token reads its events and leaves
    const s = await openEvents(srv.url, r.json.events_url, token);
    assert.equal(s.status, 200);
    await s.close();
    const l = await api(srv.url, 'DELETE', `/v1/rooms/r1/participants/${r.json.participant.id}`, { token });
    assert.equal(l.status, 204);
  });

  it('canPublish/canSubscribe/canPublishData false show in the permissions', async () => {
    let j = await join(srv.url, 'r1', 'viewer', { grants: { canPublish: false } });
    assert.deepEqual(j.json.participant.permissions,
      { can_publish: false, can_subscribe: true, can_publish_data: true });
    j = await join(srv.url, 'r1', 'mute', { grants: { canSubscribe: false, canPublishData: false } });
    assert.deepEqual(j.json.participant.permissions,
      { can_publish: true, can_subscribe: false, can_publish_data: false });
    const g = await api(srv.url, 'GET', '/v1/rooms/r1', { token: admin });
    const viewer = g.json.participants.find((p) => p.identity === 'viewer');
    assert.equal(viewer.permissions.can_publish, false);
  });

  it('a token signed with the second configured key works', async () => {
    const t = await mintToken({ roomList: true, key: OTHER_KEY, secret: OTHER_SECRET });
    const r = await api(srv.url, 'GET', '/v1/rooms', { token: t });
    assert.equal(r.status, 200, r.text);
  });

  it('no token: 401 unauthorized', async () => {
    expectError(await api(srv.url, 'GET', '/v1/rooms'), 401, 'unauthorized');
    expectError(await api(srv.url, 'POST', '/v1/rooms', { body: { name: 'x' } }), 401, 'unauthorized');
    expectError(await api(srv.url, 'POST', '/v1/rooms/r1/participants'), 401, 'unauthorized');
    expectError(await api(srv.url, 'GET', '/v1/rooms/r1'), 401, 'unauthorized');
    expectError(await api(srv.url, 'DELETE', '/v1/rooms/r1'), 401, 'unauthorized');
    expectError(await api(srv.url, 'GET', '/v1/rooms', { headers: { Authorization: 'Bearer ' } }),
      401, 'unauthorized');
    expectError(await api(srv.url, 'GET', '/v1/rooms', { headers: { Authorization: 'Basic dXNlcjpwYXNz' } }),
      401, 'unauthorized');
  });

  it('the token is checked before the body', async () => {
    expectError(await api(srv.url, 'POST', '/v1/rooms', { rawBody: '{nope' }), 401, 'unauthorized');
  });

  it('"bearer" is case-insensitive and ?access_token= works', async () => {
    let r = await api(srv.url, 'GET', '/v1/rooms', { headers: { Authorization: `bearer ${admin}` } });
    assert.equal(r.status, 200, r.text);
    r = await api(srv.url, 'GET', `/v1/rooms?access_token=${encodeURIComponent(admin)}`);
    assert.equal(r.status, 200, r.text);
  });

  it('malformed tokens: 401 unauthorized', async () => {
    const good = await adminToken();
    const [h, p, s] = good.split('.');
    const bad = [
      'abc', 'a.b.c', `${h}.${p}`, `${h}.${p}.${s}.x`, `${h}.${p}.${s}=`, `${h}..${s}`,
      `${h}.${p}.${s}`.replace(/^./, '!'), `x${good}`, 'x'.repeat(9000),
    ];
    for (const t of bad) {
      expectError(await api(srv.url, 'GET', '/v1/rooms', { token: t }), 401, 'unauthorized');
    }
    const r = await api(srv.url, 'GET', '/v1/rooms', { token: 'a.b.c' });
    assert.match(r.json.error.message, /malformed/);
  });

  it('a bad signature: 401 unauthorized', async () => {
    const wrong = await mintToken({ roomList: true, secret: 'not-the-secret-0123456789abcdefghijkl' });
    expectError(await api(srv.url, 'GET', '/v1/rooms', { token: wrong }), 401, 'unauthorized', /signature/);
    // a payload changed after signing
    const good = await mintToken({ roomList: true });
    const [h, , s] = good.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({
      iss: API_KEY, exp: nowSec() + 600, video: { roomList: true, roomCreate: true },
    })).toString('base64url')}.${s}`;
    expectError(await api(srv.url, 'POST', '/v1/rooms', { token: forged, body: { name: 'forged' } }),
      401, 'unauthorized');
    // alg "none"
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${
      Buffer.from(JSON.stringify({ iss: API_KEY, exp: nowSec() + 600, video: { roomList: true } }))
        .toString('base64url')}.`;
    expectError(await api(srv.url, 'GET', '/v1/rooms', { token: none }), 401, 'unauthorized');
  });

  it('an unknown API key: 401 unauthorized', async () => {
    const t = await mintToken({ roomList: true, key: 'APInobody' });
    expectError(await api(srv.url, 'GET', '/v1/rooms', { token: t }), 401, 'unauthorized', /unknown API key/);
  });

  it('the dev key is not accepted outside dev mode', async () => {
    const t = await mintToken({ roomList: true, key: 'devkey', secret: 'secret' });
    expectError(await api(srv.url, 'GET', '/v1/rooms', { token: t }), 401, 'unauthorized');
  });

  it('an expired token: 401 token_expired', async () => {
    const t = await mintToken({ roomList: true, ttl: '-1h' });
    expectError(await api(srv.url, 'GET', '/v1/rooms', { token: t }), 401, 'token_expired');
    const j = await joinToken('r1', 'late', { ttl: '-1h' });
    expectError(await api(srv.url, 'POST', '/v1/rooms/r1/participants', { token: j }), 401, 'token_expired');
    const crafted = craftToken({ iss: API_KEY, sub: 'x', exp: nowSec() - 3600, video: { roomList: true } });
    expectError(await api(srv.url, 'GET', '/v1/rooms', { token: crafted }), 401, 'token_expired');
  });

  it('a token that is not yet valid, or has no exp: 401 unauthorized', async () => {
    const early = craftToken({ iss: API_KEY, nbf: nowSec() + 3600, exp: nowSec() + 7200, video: { roomList: true } });
    expectError(await api(srv.url, 'GET', '/v1/rooms', { token: early }), 401, 'unauthorized', /not yet valid/);
    const noExp = craftToken({ iss: API_KEY, video: { roomList: true } });
    expectError(await api(srv.url, 'GET', '/v1/rooms', { token: noExp }), 401, 'unauthorized');
  });

  it('a join token without an identity: 401 unauthorized', async () => {
    const t = craftToken({ iss: API_KEY, exp: nowSec() + 600, video: { room: 'r1', roomJoin: true } });
    expectError(await api(srv.url, 'POST', '/v1/rooms/r1/participants', { token: t }),
      401, 'unauthorized', /identity/);
  });

  it('a token for another room: 403 forbidden', async () => {
    const t = await joinToken('other', 'alice');
    expectError(await api(srv.url, 'POST', '/v1/rooms/r1/participants', { token: t }), 403, 'forbidden');
    expectError(await api(srv.url, 'GET', '/v1/rooms/r1', { token: t }), 403, 'forbidden');
    expectError(await api(srv.url, 'GET', '/v1/rooms/r1/participants', { token: t }), 403, 'forbidden');
    const j = await join(srv.url, 'r1', 'alice');
    const s = await openEvents(srv.url, j.eventsUrl, t);
    assert.equal(s.status, 403);
    assert.equal(s.json.error.code, 'forbidden');
    expectError(await api(srv.url, 'DELETE', `/v1/rooms/r1/participants/${j.pid}`, { token: t }), 403, 'forbidden');
    // a roomJoin token for the room may look at it
    const r = await api(srv.url, 'GET', '/v1/rooms/r1', { token: j.token });
    assert.equal(r.status, 200, r.text);
  });

  it('a token without roomCreate cannot create rooms (403)', async () => {
    for (const t of [await joinToken('newroom', 'alice'), await mintToken({ roomList: true }),
      await mintToken({ room: 'newroom', roomAdmin: true })]) {
      expectError(await api(srv.url, 'POST', '/v1/rooms', { token: t, body: { name: 'newroom' } }),
        403, 'forbidden', /roomCreate/);
    }
  });

  it('a token without roomList cannot list rooms (403)', async () => {
    for (const t of [await joinToken('r1', 'alice'), await mintToken({ roomCreate: true }),
      await mintToken({ room: 'r1', roomAdmin: true })]) {
      expectError(await api(srv.url, 'GET', '/v1/rooms', { token: t }), 403, 'forbidden', /roomList/);
    }
  });

  it('a roomJoin token cannot update or delete its room (403)', async () => {
    const t = await joinToken('r1', 'alice');
    expectError(await api(srv.url, 'PATCH', '/v1/rooms/r1', { token: t, body: { metadata: 'x' } }), 403, 'forbidden');
    expectError(await api(srv.url, 'DELETE', '/v1/rooms/r1', { token: t }), 403, 'forbidden');
  });

  it('a roomAdmin token is limited to its room', async () => {
    const t = await mintToken({ room: 'r1', roomAdmin: true });
    expectError(await api(srv.url, 'PATCH', '/v1/rooms/r2', { token: t, body: { metadata: 'x' } }), 403, 'forbidden');
    expectError(await api(srv.url, 'DELETE', '/v1/rooms/r2', { token: t }), 403, 'forbidden');
    const r = await api(srv.url, 'GET', '/v1/rooms/r1', { token: t });
    assert.equal(r.status, 200);
    // roomAdmin alone does not join
    expectError(await api(srv.url, 'POST', '/v1/rooms/r1/participants', {
      token: await mintToken({ identity: 'adm', room: 'r1', roomAdmin: true }),
    }), 403, 'forbidden');
  });

  it('the dev token endpoint does not exist outside dev mode (404)', async () => {
    const r = await api(srv.url, 'POST', '/v1/dev/token', { body: { room: 'r1', identity: 'x' } });
    expectError(r, 404, 'not_found');
  });
});

describe('dev mode token endpoint', () => {
  let srv;
  before(async () => { srv = await startServer({ args: ['--dev'] }); });
  after(async () => { assert.equal(await srv?.stop(), 0); });

  it('POST /v1/dev/token hands out a token that joins', async () => {
    const r = await api(srv.url, 'POST', '/v1/dev/token', {
      body: { room: 'devroom', identity: 'dev-user', name: 'Dev', metadata: 'dm' },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(typeof r.json.token, 'string');
    assert.ok(r.json.expires_at > nowSec() + 3600, 'default ttl is a day');
    const j = await api(srv.url, 'POST', '/v1/rooms/devroom/participants', { token: r.json.token });
    assert.equal(j.status, 201, j.text);
    assert.equal(j.json.participant.identity, 'dev-user');
    assert.equal(j.json.participant.name, 'Dev');
    assert.equal(j.json.participant.metadata, 'dm');
  });

  it('the dev token endpoint checks its body', async () => {
    expectError(await api(srv.url, 'POST', '/v1/dev/token', { body: { room: 'devroom' } }), 400, 'missing_field');
    expectError(await api(srv.url, 'POST', '/v1/dev/token', { body: { room: 'bad room', identity: 'x' } }),
      400, 'invalid_field');
    expectError(await api(srv.url, 'POST', '/v1/dev/token', { body: { room: 'r', identity: 'x', admin: true } }),
      400, 'unknown_field');
  });

  it('livekit-server-sdk tokens signed with the dev key work in dev mode', async () => {
    const t = await mintToken({ roomCreate: true, roomList: true, key: 'devkey', secret: 'secret' });
    const r = await api(srv.url, 'GET', '/v1/rooms', { token: t });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.rooms.map((x) => x.name), ['devroom']);
  });
});
