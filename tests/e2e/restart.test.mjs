// ICE restart of a publish connection: the browser restarts ICE
// (pc.restartIce(), then a new offer with new credentials), parleyd restarts
// its side, answers with new credentials, and media keeps flowing to the
// other participant over the same DTLS session.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startServer, openClient, waitPublished, stats } from './lib.mjs';
import { until } from './wait.mjs';

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


const frames = async (c, pid) => (await stats(c)).byParticipant[pid]?.video?.framesDecoded ?? 0;
const ufrags = (c) => c.page.evaluate(() => {
  const pc = window.app.client.pcPublish;
  const get = (d) => /a=ice-ufrag:(\S+)/.exec(d?.sdp || '')?.[1];
  return { local: get(pc.currentLocalDescription), remote: get(pc.currentRemoteDescription),
    state: pc.connectionState };
});

test('publish connection survives an ICE restart', async () => {
  const room = 'restart-room';
  const alice = await openClient(browser, server, room, 'alice');
  clients.push(alice);
  await waitPublished(alice);
  const bob = await openClient(browser, server, room, 'bob', { publish: false });
  clients.push(bob);
  await until(async () => (await frames(bob, alice.pid)) > 10, 'bob decoding alice');
  const before = await ufrags(alice);

  await alice.page.evaluate(() => window.app.client.pcPublish.restartIce());
  const after = await until(async () => {
    const u = await ufrags(alice);
    return u.local !== before.local && u.remote !== before.remote && u.state === 'connected' ? u : null;
  }, 'new ICE credentials on both sides');
  assert.notEqual(after.remote, before.remote, 'the server answered with new credentials');

  const f0 = await frames(bob, alice.pid);
  await until(async () => (await frames(bob, alice.pid)) > f0 + 30, 'frames after the restart');
});
