// Mute/unmute and unpublish through parleyd with two Chromium pages: a muted
// video track stops reaching the other participant (frames stop growing)
// and comes back after unmute (a keyframe is requested); unpublishing the
// video track renegotiates, and the other side is told (track_unpublished).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startServer, openClient, waitPublished, stats, devToken, api,
  T_MEDIA } from './lib.mjs';
import { until } from './wait.mjs';
import { openEvents } from '../integration/lib.mjs';

let browser;
let server;
const clients = [];

before(async () => {
  browser = await launchBrowser();
  server = await startServer();
});

after(async () => {
  for (const c of clients) await c.close();
  if (browser) await browser.close();
  if (server) assert.equal(await server.stop(), 0);
});

async function videoFrames(c, pid) {
  const st = await stats(c);
  return st.byParticipant[pid]?.video?.framesDecoded ?? 0;
}


test('mute, unmute and unpublish a video track', async () => {
  const room = 'mute-room';
  const alice = await openClient(browser, server, room, 'alice');
  clients.push(alice);
  await waitPublished(alice);
  const bob = await openClient(browser, server, room, 'bob', { publish: false });
  clients.push(bob);
  await until(async () => (await videoFrames(bob, alice.pid)) > 10, 'bob decoding alice');

  const token = await devToken(server.url, room, 'alice');
  const list = await api(server.url, 'GET', `/v1/rooms/${room}/participants/`.slice(0, -1), { token });
  const me = list.json.participants.find((p) => p.id === alice.pid);
  const video = me.tracks.find((t) => t.kind === 'video');
  assert.ok(video, 'alice publishes a video track');

  // A second reader of bob's event stream (the page keeps its own).
  const bobToken = await devToken(server.url, room, 'bob');
  const bobEvents = await openEvents(server.url,
    `/v1/rooms/${room}/participants/${bob.pid}/events`, bobToken);
  const nextOf = async (type, check) => {
    for (;;) {
      const ev = await bobEvents.nextOf(type, T_MEDIA);
      assert.ok(ev, `bob's stream ended before ${type}`);
      if (check(JSON.parse(ev.data))) return;
    }
  };

  // Mute: bob is told, and frames stop growing.
  let r = await api(server.url, 'PATCH', `/v1/rooms/${room}/participants/${alice.pid}/tracks/${video.id}`,
    { token, json: { muted: true } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.muted, true);
  await nextOf('track_muted', (d) => d.track_id === video.id && d.muted === true &&
    d.participant_id === alice.pid);
  await new Promise((res) => setTimeout(res, 1000)); // what was in flight arrives
  const frozen = await videoFrames(bob, alice.pid);
  await new Promise((res) => setTimeout(res, 2000));
  assert.ok(await videoFrames(bob, alice.pid) <= frozen + 1, 'no frames while muted');

  // Unmute: frames grow again.
  r = await api(server.url, 'PATCH', `/v1/rooms/${room}/participants/${alice.pid}/tracks/${video.id}`,
    { token, json: { muted: false } });
  assert.equal(r.status, 200, r.text);
  await until(async () => (await videoFrames(bob, alice.pid)) > frozen + 15, 'frames after unmute');

  // Errors: an unknown track, someone else's participant without roomAdmin.
  r = await api(server.url, 'PATCH', `/v1/rooms/${room}/participants/${alice.pid}/tracks/TR_000000000000`,
    { token, json: { muted: true } });
  assert.equal(r.status, 404);
  assert.equal(r.json.error.code, 'track_not_found');
  r = await api(server.url, 'PATCH', `/v1/rooms/${room}/participants/${alice.pid}/tracks/${video.id}`,
    { token: bobToken, json: { muted: true } });
  assert.equal(r.status, 403);

  // Unpublish the video track: renegotiation, track_unpublished for bob.
  await alice.page.evaluate(async () => {
    const cl = window.app.client;
    const s = cl.pcPublish.getSenders().find((x) => x.track && x.track.kind === 'video');
    await cl.unpublish(s.track);
  });
  await nextOf('track_unpublished', (d) => d.track_id === video.id);
  await bobEvents.close();
  const after = await api(server.url, 'GET', `/v1/rooms/${room}`, { token });
  const a2 = after.json.participants.find((p) => p.id === alice.pid);
  assert.deepEqual(a2.tracks.map((t) => t.kind), ['audio']);
});
