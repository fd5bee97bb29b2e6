// Figures for a 3-person call through parleyd (not a test: it asserts
// nothing about speed, it prints). Run inside a loopback-only namespace:
//   tests/netns-run node tests/e2e/measure_call.mjs
// Prints, per participant, the time from its HTTP join to the first video
// frame it decoded from each other participant, and the server's CPU use
// (from /proc/<pid>/stat) over 20 s of the call.
import { readFileSync } from 'node:fs';
import { launchBrowser, startServer, openClient, waitPublished, stats } from './lib.mjs';

const HZ = 100; // USER_HZ on Linux

function cpuTicks(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime
}

const browser = await launchBrowser();
const server = await startServer();
const room = 'measure';
const names = ['alice', 'bob', 'carol'];
const clients = [];
const joined = {};
try {
  for (const n of names) {
    joined[n] = Date.now();
    const c = await openClient(browser, server, room, n);
    clients.push(c);
    await waitPublished(c);
  }
  // first decoded frame from each other participant, as seen by each client
  const first = {};
  const end = Date.now() + 60000;
  while (Object.keys(first).length < 6 && Date.now() < end) {
    for (const c of clients) {
      const st = await stats(c);
      for (const o of clients) {
        if (o === c) continue;
        const key = `${c.identity}<-${o.identity}`;
        if (!first[key] && (st.byParticipant[o.pid]?.video?.framesDecoded ?? 0) > 0)
          first[key] = Date.now() - Math.max(joined[c.identity], joined[o.identity]);
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const [k, v] of Object.entries(first))
    console.log(`join to first decoded frame ${k}: ${v} ms (includes page load, getUserMedia)`);
  const t0 = cpuTicks(server.pid);
  const w0 = Date.now();
  await new Promise((r) => setTimeout(r, 20000));
  const cpu = (cpuTicks(server.pid) - t0) / HZ;
  const wall = (Date.now() - w0) / 1000;
  console.log(`server CPU over ${wall.toFixed(1)} s of a 3-person call: ${cpu.toFixed(2)} s ` +
    `(${((100 * cpu) / wall).toFixed(1)}% of one core)`);
  const st = await stats(clients[0]);
  for (const e of st.inbound)
    console.log(`alice inbound ${e.kind} from ${e.participantId}: packets ${e.packetsReceived} ` +
      `frames ${e.framesDecoded ?? '-'}`);
} finally {
  for (const c of clients) await c.close();
  await browser.close();
  await server.stop();
}
