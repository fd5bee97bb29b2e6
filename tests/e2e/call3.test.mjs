// A group call through parleyd in headless Chromium: three participants
// publish camera+mic and each decodes both others (getStats), one leaves and
// its tracks end for the others, a fourth joins late and decodes everyone.
// Then mute/unmute (PATCH .../tracks/{track}) reaches the others.
// Skipped (with the reason) while parleyd does not take media yet.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launchBrowser, openClient, waitPublished, waitReceiving, waitGrowing, waitInPage, stats,
} from './lib.mjs';
import { groupCall, mediaServer } from './scenario.mjs';

let browser;
let server;
let skip;

before(async () => {
  browser = await launchBrowser();
  ({ server, skip } = await mediaServer(browser));
});

/** On failure, the end of the server's log helps: print it. */
async function withServerLog(t, fn) {
  try {
    return await fn();
  } catch (e) {
    if (server?.log) t.diagnostic(`server log (last 60 lines):\n${server.log().split('\n').slice(-60).join('\n')}`);
    throw e;
  }
}

after(async () => {
  if (server) assert.equal(await server.stop(), 0, "parleyd exits cleanly (no leak or sanitizer report)");
  if (browser) await browser.close();
});

test('call3: 3 participants, one leaves, a 4th joins late', async (t) => {
  if (skip) {
    t.skip(skip);
    return;
  }
  await withServerLog(t, () => groupCall(t, { browser, server, room: 'call3' }));
});

test('mute and unmute a published video: track_muted both ways, video resumes', async (t) => {
  if (skip || process.env.PARLEY_E2E_MOCK === '1') {
    t.skip(skip || 'the mock SFU has no mute');
    return;
  }
  const room = 'call3-mute';
  const a = await openClient(browser, server, room, 'alice');
  const b = await openClient(browser, server, room, 'bob');
  try {
    await withServerLog(t, async () => {
      await waitPublished(a);
      await waitPublished(b);
      await waitReceiving(b, [a.pid]);
      const muteVideo = (m) => a.page.evaluate(async (muted) => {
        const tr = window.app.localStream.getVideoTracks()[0];
        await window.app.client.setMuted(tr, muted);
        return window.app.client.serverTrackId(tr);
      }, m);
      const tid = await muteVideo(true);
      await waitInPage(b, ([pid, id]) => window.app.events.some((e) => e.type === 'track_muted' &&
        e.participantId === pid && e.trackId === id && e.muted === true), [a.pid, tid], { what: 'track_muted true' });
      assert.equal(await b.page.evaluate(([pid, id]) =>
        window.app.client.participants.get(pid).tracks.get(id).muted, [a.pid, tid]), true);
      await muteVideo(false);
      await waitInPage(b, ([pid, id]) => window.app.events.some((e) => e.type === 'track_muted' &&
        e.participantId === pid && e.trackId === id && e.muted === false), [a.pid, tid], { what: 'track_muted false' });
      const before = await stats(b);
      await waitGrowing(b, [a.pid], before, { minFrames: 30 });
    });
  } finally {
    await a.close();
    await b.close();
  }
});
