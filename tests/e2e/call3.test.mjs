// A group call through parleyd in headless Chromium: three participants
// publish camera+mic and each decodes both others (getStats), one leaves and
// its tracks end for the others, a fourth joins late and decodes everyone.
// Skipped (with the reason) while parleyd does not take media yet.
import { test, before, after } from 'node:test';
import { launchBrowser } from './lib.mjs';
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
  if (server) await server.stop();
  if (browser) await browser.close();
});

test('call3: 3 participants, one leaves, a 4th joins late', async (t) => {
  if (skip) {
    t.skip(skip);
    return;
  }
  await withServerLog(t, () => groupCall(t, { browser, server, room: 'call3' }));
});
