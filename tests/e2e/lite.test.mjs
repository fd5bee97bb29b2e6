// parleyd with [media] udp_port: every media worker answers ICE-lite on one
// UDP port of its own (media/udpmux.h) instead of a libnice agent with a
// port per connection. Chromium does full ICE against it (the server's SDPs
// say a=ice-lite, so the browser controls and nominates), the group call of
// call3.test.mjs decodes everywhere with every pair on those ports, an
// ICE restart of a publish connection keeps media flowing, and after a UDP
// outage both connections of two clients restart ICE and media resumes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, openClient, waitPublished, stats, api, mediaPortRange } from './lib.mjs';
import { groupCall, mediaServer, outageRecovery, framesFrom as frames } from './scenario.mjs';
import { until } from './wait.mjs';

let browser;
let server;
let skip;
const [port] = mediaPortRange(10);
const ports = [port, port + 1];
const clients = [];

before(async () => {
  browser = await launchBrowser();
  ({ server, skip } = await mediaServer(browser, {
    args: ['--workers', '2', '--set', `media.udp_port=${port}`, '--set', 'media.parallel_fanout=1'],
  }));
  if (!skip && process.env.PARLEY_E2E_MOCK === '1') skip = 'the mock SFU has no ICE-lite';
});

after(async () => {
  for (const c of clients) await c.close();
  if (server) assert.equal(await server.stop(), 0, 'parleyd exits cleanly (no leak or sanitizer report)');
  if (browser) await browser.close();
});

const metric = async (name) => {
  const m = await api(server.url, 'GET', '/metrics');
  return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(m.text)?.[1] ?? NaN);
};

/** What the server's SDPs and the selected pairs of a client say. */
const iceView = (c) => c.page.evaluate(() => {
  const cl = window.app.client;
  const view = (pc) => {
    const sdp = pc?.currentRemoteDescription?.sdp || '';
    return {
      lite: /^a=ice-lite\r?$/m.test(sdp),
      ports: [...sdp.matchAll(/^a=candidate:\S+ \d+ udp \d+ \S+ (\d+) typ host/gm)].map((m) => Number(m[1])),
    };
  };
  return { publish: view(cl.pcPublish), subscribe: view(cl.pcSubscribe) };
});

test('a group call over the workers\' ICE-lite ports', async (t) => {
  if (skip) {
    t.skip(skip);
    return;
  }
  const seen = [];
  try {
    await groupCall(t, {
      browser, server, room: 'lite',
      hooks: {
        connected: async () => {
          for (const c of browser.contexts()) {
            for (const page of c.pages()) seen.push(await iceView({ page }));
          }
          assert.ok(seen.length >= 3, `${seen.length} clients`);
        },
      },
    });
  } catch (e) {
    t.diagnostic(`server log (last 60 lines):\n${server.log().split('\n').slice(-60).join('\n')}`);
    throw e;
  }
  for (const v of seen) {
    for (const which of ['publish', 'subscribe']) {
      assert.ok(v[which].lite, `${which} answer/offer says a=ice-lite: ${JSON.stringify(v)}`);
      assert.ok(v[which].ports.length > 0 && v[which].ports.every((p) => ports.includes(p)),
        `${which} candidates on the workers' ports ${ports}: ${JSON.stringify(v)}`);
    }
  }
  assert.equal(await metric('parley_stun_rejected_total'), 0, 'no check was refused');
  assert.ok(await metric('parley_lane_sent_total') > 0, 'datagrams left through lanes');
  assert.ok(await metric('parley_forward_delay_seconds_count') > 0, 'copies were timed');
});

test('an ICE restart of a publish connection on the lite port', async (t) => {
  if (skip) {
    t.skip(skip);
    return;
  }
  const ufrags = (c) => c.page.evaluate(() => {
    const pc = window.app.client.pcPublish;
    const get = (d) => /a=ice-ufrag:(\S+)/.exec(d?.sdp || '')?.[1];
    return { local: get(pc.currentLocalDescription), remote: get(pc.currentRemoteDescription),
      state: pc.connectionState };
  });
  const erin = await openClient(browser, server, 'lite-restart', 'erin');
  clients.push(erin);
  await waitPublished(erin);
  const fred = await openClient(browser, server, 'lite-restart', 'fred', { publish: false });
  clients.push(fred);
  await until(async () => (await frames(fred, erin.pid)) > 10, 'fred decoding erin');
  const before = await ufrags(erin);
  await erin.page.evaluate(() => window.app.client.pcPublish.restartIce());
  await until(async () => {
    const u = await ufrags(erin);
    return u.local !== before.local && u.remote !== before.remote && u.state === 'connected' ? u : null;
  }, 'new ICE credentials on both sides');
  const f0 = await frames(fred, erin.pid);
  await until(async () => (await frames(fred, erin.pid)) > f0 + 30, 'frames after the restart');
  const pairs = (await stats(erin)).pairs;
  assert.ok(pairs.length > 0 && pairs.every((p) => ports.includes(Number(p.remote.split(':').pop()))),
    `pairs on the lite ports: ${JSON.stringify(pairs)}`);
});

test('a UDP outage on the lite ports: both connections restart ICE and media resumes', async (t) => {
  if (skip) {
    t.skip(skip);
    return;
  }
  const pair = await outageRecovery({ browser, server, room: 'lite-outage', ids: ['gina', 'hank'], clients });
  for (const c of pair) {
    const pairs = (await stats(c)).pairs;
    assert.ok(pairs.length > 0 && pairs.every((p) => ports.includes(Number(p.remote.split(':').pop()))),
      `pairs on the lite ports: ${JSON.stringify(pairs)}`);
  }
  assert.equal(await metric('parley_stun_rejected_total'), 0, 'no check was refused');
});
