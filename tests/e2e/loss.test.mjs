// The group call of call3.test.mjs with 5% of the UDP packets on loopback
// dropped (nftables in the test's network namespace; HTTP is TCP and is
// untouched): video keeps decoding. Reports freezeCount, NACKs and PLIs.
// Skipped (with the reason) while parleyd does not take media yet.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, addUdpLoss, mediaPortRange, mediaPortArgs } from './lib.mjs';
import { groupCall, mediaServer } from './scenario.mjs';

const LOSS_PERCENT = 5;

let browser;
let server;
let skip;
let loss;
// The server's media ports: the loss applies to packets to or from them
// only, so other tests in the same namespace are not affected. (Without
// the config keys, or against the mock SFU: every UDP packet.)
const ports = mediaPortRange();
const portArgs = process.env.PARLEY_E2E_MOCK === '1' ? null : mediaPortArgs(ports);

before(async () => {
  browser = await launchBrowser();
  ({ server, skip } = await mediaServer(browser, { args: portArgs || [] }));
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
  if (loss) await loss.remove();
  if (server) assert.equal(await server.stop(), 0, "parleyd exits cleanly (no leak or sanitizer report)");
  if (browser) await browser.close();
});

test(`call3 with ${LOSS_PERCENT}% UDP loss: video keeps decoding`, async (t) => {
  if (skip) {
    t.skip(skip);
    return;
  }
  // Loss starts once the first three decode each other, and lasts to the
  // end (the leave, the late join). 150 more frames per video (about 5 s at
  // 30 fps) between the samples, so the loss has time to bite.
  const last = await withServerLog(t, () => groupCall(t, {
    browser, server, room: 'call3-loss', minFrames: 150,
    hooks: {
      connected: async () => {
        loss = await addUdpLoss(LOSS_PERCENT, { ports: portArgs ? ports : undefined });
        t.diagnostic(`loss on UDP ${portArgs ? `ports ${ports.join('-')} (the server's)` : '(all)'}`);
      },
    },
  }));
  const { dropped, passed } = await loss.counts();
  t.diagnostic(`nftables: ${dropped} UDP packets dropped, ${passed} passed ` +
    `(${((100 * dropped) / Math.max(1, dropped + passed)).toFixed(1)}%)`);
  assert.ok(dropped > 0, 'the loss rule dropped packets');
  let freezes = 0;
  for (const st of last.values()) {
    for (const e of st.inbound) if (e.kind === 'video') freezes += e.freezeCount ?? 0;
  }
  t.diagnostic(`freezeCount, summed over the final video receivers: ${freezes}`);
});
