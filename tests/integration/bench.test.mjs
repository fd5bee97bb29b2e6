// parley-bench smoke runs: every scenario, both SRTP profiles, against a real
// parleyd on loopback. They check correctness (every viewer connected and got
// audio and video without gaps, nothing failed), never speed: the figures
// are parley-bench's to report (docs/PERFORMANCE.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { startServer, keyArgs, api, API_KEY, API_SECRET, SOURCE_DIR } from './lib.mjs';

const BENCH = process.env.PARLEY_TEST_BENCH || resolve(SOURCE_DIR, 'build', 'parley-bench');
let srv;

before(async () => {
  // media ports apart from the kernel's ephemeral ones (the bench's), for the loss test
  srv = await startServer({ args: [...keyArgs(), '--set', 'media.local_addrs=127.0.0.1',
    '--set', 'media.port_min=20000', '--set', 'media.port_max=29999'] });
});

after(async () => {
  if (srv) assert.equal(await srv.stop(), 0, srv.log());
});

function bench(args, server = srv) {
  const argv = ['--url', server.url, '--server-pid', String(server.pid), '--api-key', API_KEY,
    '--api-secret', API_SECRET, '--video', '320x180@15:300', '--json', '-q', ...args];
  return new Promise((res, rej) => {
    execFile(BENCH, argv, { timeout: 120000, maxBuffer: 1 << 22 }, (err, stdout, stderr) => {
      if (err) rej(new Error(`parley-bench ${args.join(' ')}: ${err.message}\n${stderr}`));
      else res({ report: JSON.parse(stdout), stderr });
    });
  });
}

function checkRuns(report, viewers) {
  assert.deepEqual(report.runs.map((r) => r.srtp_profile), ['AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80']);
  for (const r of report.runs) {
    const what = `${report.scenario} ${r.srtp_profile}: ${JSON.stringify(r)}`;
    assert.equal(r.viewers.started, viewers, what);
    assert.equal(r.viewers.failed, 0, what);
    assert.equal(r.viewers.connected, viewers, what);
    assert.equal(r.viewers.receiving, viewers, what);
    assert.ok(r.loss.expected > 0, what);
    assert.equal(r.loss.lost, 0, what);           // no loss was injected
    assert.equal(r.loss.duplicates, 0, what);
    assert.ok(r.delay_us.samples > 0, what);
    // parleyd's own histogram (parley_forward_delay_seconds) saw the copies
    const sd = r.server_delay_us;
    assert.ok(sd && sd.samples > 0 && sd.p50 <= sd.p95 && sd.p95 <= sd.p99, what);
    assert.equal(r.join_ms.samples, viewers, what);
    assert.ok(r.server.cpu_seconds >= 0 && r.server.rss_kib > 0, what);
  }
}

test('fanout: one publisher, three subscribers through the API', async () => {
  const { report } = await bench(['-n', '3', '-d', '2', '-w', '1', 'fanout']);
  assert.equal(report.scenario, 'fanout');
  checkRuns(report, 3);
  for (const r of report.runs) {
    assert.ok(r.publisher.rtp_sent > 0);
    assert.equal(r.server.lane_sent, 0, 'a room of 3 sends from its own worker');
  }
});

test('fanout through WHIP and WHEP', async () => {
  const { report } = await bench(['-n', '3', '-d', '2', '-w', '1', '--whep', 'fanout']);
  checkRuns(report, 3);
});

test('meeting: everyone publishes audio and video to everyone', async () => {
  const { report } = await bench(['-N', '3', '-d', '2', '-w', '1', 'meeting']);
  assert.equal(report.scenario, 'meeting');
  checkRuns(report, 3);
});

test('audio: audio-only participants', async () => {
  const { report } = await bench(['-N', '4', '-d', '2', '-w', '1', 'audio']);
  checkRuns(report, 4);
});

test('join: a storm of subscribers joins at once', async () => {
  const { report } = await bench(['-m', '10', '--parallel', '5', 'join']);
  assert.equal(report.scenario, 'join');
  checkRuns(report, 10);
});

test('join through WHEP', async () => {
  const { report } = await bench(['-m', '6', '--parallel', '3', '--whep', 'join']);
  checkRuns(report, 6);
});

const nft = (args) => new Promise((res, rej) => execFile('nft', args, (err, out, stderr) =>
  (err ? rej(new Error(`nft ${args.join(' ')}: ${stderr}`)) : res(out))));

// Checks a lossy fanout run: gaps were seen, NACKed and repaired.
function checkRepaired(report, viewers) {
  const r = report.runs[0];
  const what = JSON.stringify(r);
  assert.equal(r.viewers.receiving, viewers, what);
  assert.ok(r.viewers.nacks_sent > 0, what);       // subscribers saw gaps and asked
  assert.ok(r.viewers.rtx_received > 0, what);     // parleyd resent from its buffer
  assert.ok(r.publisher.nacks > 0 && r.publisher.rtx_sent > 0, what); // and asked upstream
  // Unrepaired, ~6% of the packets would be missing (3% on each hop); NACKs
  // are sent up to 3 times, so very little may stay missing.
  assert.ok(r.loss.percent < 1.5, what);
}

async function withLoss(percent, fn) {
  assert.equal(process.env.PARLEY_TEST_NETNS, '1', 'runs inside tests/netns-run');
  const table = `bench_loss_${process.pid}_${Date.now()}`;
  await nft(['add', 'table', 'inet', table]);
  try {
    await nft(['add', 'chain', 'inet', table, 'c', '{ type filter hook input priority 0; }']);
    for (const dir of ['dport', 'sport']) {
      await nft(['add', 'rule', 'inet', table, 'c', 'udp', dir, '20000-29999', 'numgen', 'random',
        'mod', '100', '<', String(percent), 'drop']);
    }
    return await fn();
  } finally {
    await nft(['delete', 'table', 'inet', table]).catch(() => {});
  }
}

test('fanout under 3% loss each way: NACKs and RTX repair the video', async () => {
  await withLoss(3, async () => {
    const { report } = await bench(['-n', '3', '-d', '5', '-w', '1', '--srtp', 'cm', '--no-audio',
      '--video', '640x360@30:800', 'fanout']);
    checkRepaired(report, 3);
  });
});

// Parallel fanout: a room this large (parallel_fanout=2) sends to its
// subscribers from all three workers; media, RTCP and retransmissions for a
// subscriber on another worker go through a lane (media/lanes.h).
test('parallel fanout over three workers: API and WHEP viewers, and repair under loss', async () => {
  const par = await startServer({ args: [...keyArgs(), '--workers', '3',
    '--set', 'media.parallel_fanout=2', '--set', 'media.local_addrs=127.0.0.1',
    '--set', 'media.port_min=20000', '--set', 'media.port_max=29999'] });
  try {
    const lanes = async () => Number((await api(par.url, 'GET', '/metrics')).text
      .match(/^parley_lane_sent_total (\d+)$/m)[1]);
    const { report } = await bench(['-n', '6', '-d', '2', '-w', '1', 'fanout'], par);
    checkRuns(report, 6);
    for (const r of report.runs) assert.ok(r.server.lane_sent > 0, JSON.stringify(r.server));
    const afterApi = await lanes();
    assert.ok(afterApi > 0, 'datagrams went out through lanes');
    const whep = await bench(['-n', '6', '-d', '2', '-w', '1', '--whep', 'fanout'], par);
    checkRuns(whep.report, 6);
    assert.ok(await lanes() > afterApi, 'WHEP viewers too');
    await withLoss(3, async () => {
      const lossy = await bench(['-n', '4', '-d', '4', '-w', '1', '--srtp', 'cm', '--no-audio',
        '--video', '640x360@30:800', 'fanout'], par);
      checkRepaired(lossy.report, 4);
    });
    const m = (await api(par.url, 'GET', '/metrics')).text;
    assert.match(m, /^parley_lane_full_total \d+$/m);
  } finally {
    assert.equal(await par.stop(), 0, par.log());
  }
});

// ICE-lite on one port per worker ([media] udp_port, media/udpmux.h): the
// bench's libnice clients do full ICE against it (the answers say
// a=ice-lite), publishers, API and WHEP viewers, and a meeting; NACK/RTX
// repair under loss; no check refused.
test('ICE-lite worker ports: fanout, WHEP viewers, a meeting, and repair under loss', async () => {
  const port = 20000 + 2 * Math.floor(Math.random() * 4000);
  const lite = await startServer({ args: [...keyArgs(), '--workers', '2',
    '--set', `media.udp_port=${port}`, '--set', 'media.parallel_fanout=2',
    '--set', 'media.local_addrs=127.0.0.1'] });
  try {
    const metric = async (name) => Number((await api(lite.url, 'GET', '/metrics')).text
      .match(new RegExp(`^${name} (\\d+)$`, 'm'))[1]);
    const { report } = await bench(['-n', '6', '-d', '2', '-w', '1', 'fanout'], lite);
    checkRuns(report, 6);
    const whep = await bench(['-n', '4', '-d', '2', '-w', '1', '--whep', 'fanout'], lite);
    checkRuns(whep.report, 4);
    const meeting = await bench(['-N', '3', '-d', '2', '-w', '1', 'meeting'], lite);
    checkRuns(meeting.report, 3);
    await withLoss(3, async () => {
      const lossy = await bench(['-n', '4', '-d', '4', '-w', '1', '--srtp', 'cm', '--no-audio',
        '--video', '640x360@30:800', 'fanout'], lite);
      checkRepaired(lossy.report, 4);
    });
    assert.equal(await metric('parley_stun_rejected_total'), 0);
    assert.ok(await metric('parley_lane_sent_total') > 0, 'lanes send on the shared sockets');
    assert.match(lite.log(), new RegExp(`media on UDP ports ${port}-${port + 1}`));
  } finally {
    assert.equal(await lite.stop(), 0, lite.log());
  }
});

test('bad arguments are refused with a message', async () => {
  await assert.rejects(bench(['nosuch']), /a scenario/);
  await assert.rejects(bench(['--srtp', 'rot13', 'fanout']), /--srtp/);
  await assert.rejects(bench(['--video', 'big', 'fanout']), /--video/);
  await assert.rejects(bench(['--whep', 'meeting']), /--whep/);
  await assert.rejects(bench(['-N', '1', 'meeting']), /out of range/);
});
