// The group call of call3.test.mjs through a parleyd whose rooms send to
// every subscriber from other workers (parallel fanout from the first
// subscriber on, three workers): Chromium's DTLS handshake, SRTP media,
// RTCP and retransmissions for its subscribe connection all leave through
// lanes (media/lanes.h), and every participant still decodes everyone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, api } from './lib.mjs';
import { groupCall, mediaServer } from './scenario.mjs';

let browser;
let server;
let skip;

before(async () => {
  browser = await launchBrowser();
  ({ server, skip } = await mediaServer(browser, {
    args: ['--workers', '3', '--set', 'media.parallel_fanout=1'],
  }));
  if (!skip && process.env.PARLEY_E2E_MOCK === '1') skip = 'the mock SFU has no workers';
});

after(async () => {
  if (server) assert.equal(await server.stop(), 0, 'parleyd exits cleanly (no leak or sanitizer report)');
  if (browser) await browser.close();
});

test('a group call whose subscribers are sent to by other workers', async (t) => {
  if (skip) {
    t.skip(skip);
    return;
  }
  const lanes = async () => {
    const m = await api(server.url, 'GET', '/metrics');
    return Number(m.text.match(/^parley_lane_sent_total (\d+)$/m)[1]);
  };
  try {
    await groupCall(t, { browser, server, room: 'parallel' });
  } catch (e) {
    t.diagnostic(`server log (last 60 lines):\n${server.log().split('\n').slice(-60).join('\n')}`);
    throw e;
  }
  assert.ok(await lanes() > 0, 'datagrams left through lanes');
});
