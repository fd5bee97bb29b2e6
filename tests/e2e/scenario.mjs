// scenario.mjs - the group call the media tests run: three participants
// publish camera+mic and receive each other, one leaves, a fourth joins late.
// Run against parleyd (call3.test.mjs, loss.test.mjs) and against the mock
// SFU (client.test.mjs). Also a UDP outage two clients recover from by
// restarting ICE (restart.test.mjs, lite.test.mjs).
import assert from 'node:assert/strict';
import { startMockSfu } from './mock-sfu.mjs';
import {
  startServer, mediaSkipReason, openClient, waitPublished, waitReceiving, waitGrowing, waitInPage, stats, pageEvents, T_MEDIA,
  addUdpLoss, sleep,
} from './lib.mjs';
import { until } from './wait.mjs';

/** One line per inbound video track: the figures worth reporting. */
export function videoReport(who, st) {
  return st.inbound.filter((e) => e.kind === 'video').map((e) =>
    `${who} <- ${e.participantId}: framesDecoded ${e.framesDecoded} freezeCount ${e.freezeCount}` +
    ` freezes ${Number(e.totalFreezesDuration ?? 0).toFixed(2)}s packetsLost ${e.packetsLost}` +
    ` nack ${e.nackCount} pli ${e.pliCount} ${e.frameWidth}x${e.frameHeight}`);
}

/**
 * Runs the call. `hooks.connected()` runs once the first three decode each
 * other (loss.test.mjs adds packet loss there). `minFrames`: how many more
 * frames each video must decode between the two samples. Resolves the
 * clients' last stats.
 */
export async function groupCall(t, { browser, server, room, minFrames = 10, hooks = {} }) {
  const open = [];
  try {
    for (const id of ['alice', 'bob', 'carol']) {
      open.push(await openClient(browser, server, room, id, { name: id[0].toUpperCase() + id.slice(1) }));
    }
    for (const x of open) await waitPublished(x);
    const pidsBut = (x, list) => list.filter((y) => y !== x).map((y) => y.pid);
    const three = [...open];

    // 1. Everyone gets audio packets and decodes video from both others,
    //    and both keep growing.
    const first = new Map();
    for (const x of three) first.set(x, await waitReceiving(x, pidsBut(x, three)));
    for (const x of three) {
      const st = await stats(x);
      for (const p of st.pairs) {
        assert.match(p.local || '', /^127\.0\.0\.1:/, `${x.identity} ${p.pc} pair ${JSON.stringify(p)}`);
        assert.match(p.remote || '', /^127\.0\.0\.1:/, `${x.identity} ${p.pc} pair ${JSON.stringify(p)}`);
      }
    }
    if (hooks.connected) {
      await hooks.connected();
      for (const x of three) first.set(x, await stats(x));
    }
    for (const x of three) {
      const st = await waitGrowing(x, pidsBut(x, three), first.get(x), { minFrames });
      for (const l of videoReport(x.identity, st)) t.diagnostic(l);
      const out = st.outbound.find((o) => o.kind === 'video');
      assert.ok(out && out.framesEncoded > 0, `${x.identity} sends video: ${JSON.stringify(st.outbound)}`);
    }

    // 2. carol leaves: the others get participant_left, her two tracks are
    //    removed and end (or at least stop being received).
    const [al, bo, ca] = three;
    for (const x of [al, bo]) {
      await x.page.evaluate((pid) => {
        const cl = window.app.client;
        window.__gone = cl.remoteTracks().filter((r) => r.participantId === pid).map((r) => ({
          track: r.track, transceiver: cl.pcSubscribe.getTransceivers().find((tr) => tr.mid === r.mid),
        }));
      }, ca.pid);
    }
    await ca.leave();
    for (const x of [al, bo]) {
      await waitInPage(x, (pid) => window.app.events.some((e) => e.type === 'participant_left' && e.participantId === pid),
        ca.pid, { what: 'participant_left for carol' });
      await waitInPage(x, (pid) => window.app.events.filter((e) => e.type === 'track_removed' && e.participantId === pid).length >= 2,
        ca.pid, { what: "track_removed for carol's audio and video" });
      const gone = await waitInPage(x, (pid) => {
        const cl = window.app.client;
        if (cl.remoteTracks().some((r) => r.participantId === pid)) return false;
        if (window.__gone.length !== 2) return false;
        const ok = window.__gone.every(({ track, transceiver: tr }) => track.readyState === 'ended' ||
          !tr || tr.stopped || tr.currentDirection === 'stopped' || tr.currentDirection === 'inactive');
        return ok && window.__gone.map(({ track, transceiver: tr }) =>
          `${track.kind}: readyState ${track.readyState} muted ${track.muted} direction ${tr && tr.currentDirection}`);
      }, ca.pid, { what: "carol's tracks to end (subscribe renegotiation)" });
      t.diagnostic(`${x.identity}: carol's tracks after she left: ${gone.join('; ')}`);
    }
    await ca.close();
    open.splice(open.indexOf(ca), 1);
    {
      const before = await stats(al);
      await waitGrowing(al, [bo.pid], before, { minFrames });
    }

    // 3. dave joins late and decodes both others; they decode him.
    const da = await openClient(browser, server, room, 'dave', { name: 'Dave' });
    open.push(da);
    await waitPublished(da);
    const four = [al, bo, da];
    const last = new Map();
    for (const x of four) last.set(x, await waitReceiving(x, pidsBut(x, four)));
    for (const x of four) {
      const st = await waitGrowing(x, pidsBut(x, four), last.get(x), { minFrames });
      last.set(x, st);
      for (const l of videoReport(x.identity, st)) t.diagnostic(l);
    }

    // No client reported an error.
    for (const x of four) {
      const errs = (await pageEvents(x)).filter((e) => e.type === 'error');
      assert.deepEqual(errs, [], `${x.identity} errors`);
    }
    for (const x of four) await x.leave();
    return last;
  } finally {
    for (const x of open) await x.close();
  }
}

/** Video frames `c` decoded from participant `pid`. */
export async function framesFrom(c, pid) {
  return (await stats(c)).byParticipant[pid]?.video?.framesDecoded ?? 0;
}

/**
 * Two clients decode each other; then every UDP packet is dropped until
 * both connections of both have restarted ICE (the client does so by
 * itself), and media must come back both ways. `beforeOutage(pair)` runs
 * just before the outage. The clients are pushed to `clients` (the caller
 * closes them). Resolves the pair.
 */
export async function outageRecovery({ browser, server, room, ids, clients, beforeOutage }) {
  const pair = [];
  for (const id of ids) {
    const c = await openClient(browser, server, room, id);
    clients.push(c);
    pair.push(c);
  }
  for (const c of pair) await waitPublished(c);
  const [x, y] = pair;
  await until(async () => (await framesFrom(y, x.pid)) > 10 && (await framesFrom(x, y.pid)) > 10,
    `${x.identity} and ${y.identity} decoding each other`);
  if (beforeOutage) await beforeOutage(pair);
  const restarts = (c) => c.page.evaluate(() => ({ ...window.app.client.iceRestarts }));
  const block = await addUdpLoss(100);
  try {
    await until(async () => {
      const [r, s] = [await restarts(x), await restarts(y)];
      return r.publish > 0 && r.subscribe > 0 && s.publish > 0 && s.subscribe > 0;
    }, 'ICE restarts of both connections of both clients', 40000);
    await sleep(1000);
  } finally {
    await block.remove();
  }
  const f = [await framesFrom(y, x.pid), await framesFrom(x, y.pid)];
  await until(async () => (await framesFrom(y, x.pid)) > f[0] + 30 && (await framesFrom(x, y.pid)) > f[1] + 30,
    'frames both ways after the outage', 40000);
  return pair;
}

/**
 * The server the media tests talk to: parleyd, or with PARLEY_E2E_MOCK=1 the
 * mock SFU (to check the harness itself while parleyd has no media).
 * Resolves {server, skip}: skip is a reason to skip, or null.
 */
export async function mediaServer(browser, { args = [] } = {}) {
  if (process.env.PARLEY_E2E_MOCK === '1') return { server: await startMockSfu(browser), skip: null };
  const server = await startServer({ args });
  return { server, skip: await mediaSkipReason(server) };
}

export { T_MEDIA };
