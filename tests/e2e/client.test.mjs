// web/parley.js media signaling, against a mock SFU (tests/e2e/mock-sfu.mjs)
// instead of parleyd: publish, subscribe offers and renegotiation, trickle
// ICE bodies, leave. Independent of the server's media code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from './lib.mjs';
import { startMockSfu } from './mock-sfu.mjs';
import { groupCall } from './scenario.mjs';

let browser;
let mock;

before(async () => {
  browser = await launchBrowser();
  mock = await startMockSfu(browser);
});

after(async () => {
  if (mock) await mock.stop();
  if (browser) await browser.close();
});

test('group call through the mock SFU: publish, subscribe, leave, late join', async (t) => {
  await groupCall(t, { browser, server: mock, room: 'mock-call' });
  for (const l of mock.log) t.diagnostic(l);
  t.diagnostic(`first trickle body:\n${mock.patches[0]?.body}`);
  assert.deepEqual(mock.violations, []);
  assert.ok(mock.log.some((l) => /^patch alice publish \d+/.test(l)), 'publish candidates trickled');
  assert.ok(mock.log.some((l) => /^patch alice subscribe \d+/.test(l)), 'subscribe candidates trickled');
  assert.ok(mock.log.some((l) => / end$/.test(l)), 'end-of-candidates sent');
});

test('unpublish and publish again renegotiate both sides; a receive-only page gets media', async (t) => {
  const { openClient, waitPublished, waitReceiving, waitInPage } = await import('./lib.mjs');
  const room = 'mock-republish';
  const a = await openClient(browser, mock, room, 'alice');
  const b = await openClient(browser, mock, room, 'bob');
  const e = await openClient(browser, mock, room, 'eve', { publish: false });
  try {
    await waitPublished(a);
    await waitPublished(b);
    await waitReceiving(b, [a.pid]);
    await waitReceiving(e, [a.pid, b.pid]);
    // Receive-only: the page never called getUserMedia; its candidates must still be IPs.
    assert.equal(await e.page.evaluate(() => window.app.client.pcPublish), null);

    const vid = await a.page.evaluate(async () => {
      const tr = window.app.localStream.getVideoTracks()[0];
      await window.app.client.unpublish(tr);
      return tr.id;
    });
    await waitInPage(b, ([pid, tid]) => window.app.events.some((x) => x.type === 'track_removed' &&
      x.participantId === pid && x.trackId === tid), [a.pid, vid], { what: "track_removed for alice's video" });
    assert.deepEqual(await b.page.evaluate((pid) => window.app.client.remoteTracks()
      .filter((r) => r.participantId === pid).map((r) => r.kind), a.pid), ['audio']);

    await a.page.evaluate(async () => {
      const tr = window.app.localStream.getVideoTracks()[0];
      await window.app.client.publish(new MediaStream([tr]));
    });
    // (A new sender: Chromium gives its msid a new track id.)
    await waitInPage(b, (pid) => window.app.events.filter((x) => x.type === 'track' &&
      x.participantId === pid && x.kind === 'video').length === 2, a.pid, { what: "alice's video again" });
    const before = await waitReceiving(b, [a.pid]);
    const { waitGrowing } = await import('./lib.mjs');
    await waitGrowing(b, [a.pid], before, { minFrames: 10 });
    assert.deepEqual(mock.violations, []);
  } finally {
    for (const x of [a, b, e]) await x.close();
  }
});
