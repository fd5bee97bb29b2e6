// ICE restart of a publish connection: the browser restarts ICE
// (pc.restartIce(), then a new offer with new credentials), parleyd restarts
// its side, answers with new credentials, and media keeps flowing to the
// other participant over the same DTLS session.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startServer, openClient, waitPublished } from './lib.mjs';
import { until } from './wait.mjs';
import { framesFrom as frames, outageRecovery } from './scenario.mjs';

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


const ufrags = (c, which = 'publish') => c.page.evaluate((which) => {
  const pc = which === 'publish' ? window.app.client.pcPublish : window.app.client.pcSubscribe;
  const get = (d) => /a=ice-ufrag:(\S+)/.exec(d?.sdp || '')?.[1];
  return { local: get(pc.currentLocalDescription), remote: get(pc.currentRemoteDescription),
    state: pc.connectionState };
}, which);

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

test('a network outage: both connections restart ICE by themselves and media resumes', async () => {
  let before;
  const [carol] = await outageRecovery({
    browser, server, room: 'outage-room', ids: ['carol', 'dave'], clients,
    beforeOutage: async ([c]) => { before = { pub: await ufrags(c), sub: await ufrags(c, 'subscribe') }; },
  });
  const after = { pub: await ufrags(carol), sub: await ufrags(carol, 'subscribe') };
  assert.notEqual(after.pub.remote, before.pub.remote, 'new server credentials on the publish connection');
  assert.notEqual(after.sub.remote, before.sub.remote, 'new server credentials on the subscribe connection');
  assert.equal(after.sub.state, 'connected');

  const m = await (await fetch(`${server.url}/metrics`)).text();
  const n = Number(/^parley_ice_restarts_total (\d+)/m.exec(m)?.[1] ?? 0);
  assert.ok(n >= 4, `parley_ice_restarts_total ${n}`);
});

test('a subscribe answer lost on the network is sent again', async () => {
  const room = 'lost-answer-room';
  const erin = await openClient(browser, server, room, 'erin');
  clients.push(erin);
  await waitPublished(erin);
  let aborted = 0;
  let passed = 0;
  const frank = await openClient(browser, server, room, 'frank', {
    publish: false,
    setup: (context) => context.route('**/subscribe?version=*', (r) => {
      if (r.request().method() === 'POST' && aborted === 0) {
        aborted++;
        return r.abort('connectionreset'); // the first answer never reaches parleyd
      }
      passed++;
      return r.continue();
    }),
  });
  clients.push(frank);
  await until(async () => (await frames(frank, erin.pid)) > 10, 'frank decoding erin after a lost answer');
  assert.equal(aborted, 1);
  assert.ok(passed >= 1, 'the answer was POSTed again');
});
