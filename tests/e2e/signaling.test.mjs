// The web client in a real browser, signaling only (no media): join, see
// each other through participant_joined, leave, room_ended, a server that
// forgets us. Works without server-side media.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import {
  startServer, launchBrowser, openClient, waitInPage, pageEvents, api, adminToken, devToken, T_SHORT,
} from './lib.mjs';
import { execFileSync } from 'node:child_process';

let server;
let browser;
const clients = [];

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  for (const c of clients) await c.close();
  if (browser) await browser.close();
  if (server) assert.equal(await server.stop(), 0, "parleyd exits cleanly (no leak or sanitizer report)");
});

async function open(room, identity, opts = {}) {
  const c = await openClient(browser, server, room, identity, { publish: false, ...opts });
  clients.push(c);
  return c;
}

test('the web client is served with its module', async () => {
  const html = await api(server.url, 'GET', '/');
  assert.equal(html.status, 200);
  assert.match(html.headers.get('content-type'), /^text\/html/);
  const js = await api(server.url, 'GET', '/parley.js');
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type'), /^text\/javascript/);
});

test('two pages join a room and each sees the other in participant_joined', async () => {
  const a = await open('sig-two', 'alice', { name: 'Alice' });
  const b = await open('sig-two', 'bob', { name: 'Bob' });
  assert.notEqual(a.pid, b.pid);

  // alice hears of bob live; bob learns of alice from the join answer.
  const ja = await waitInPage(a, (pid) => window.app.events.find((e) =>
    e.type === 'participant_joined' && e.participantId === pid), b.pid,
  { timeout: T_SHORT, what: 'participant_joined for bob' });
  assert.equal(ja.identity, 'bob');
  assert.equal(ja.name, 'Bob');
  assert.equal(ja.existing, undefined);
  const jb = await waitInPage(b, (pid) => window.app.events.find((e) =>
    e.type === 'participant_joined' && e.participantId === pid), a.pid,
  { timeout: T_SHORT, what: 'participant_joined for alice' });
  assert.equal(jb.identity, 'alice');
  assert.equal(jb.existing, true);

  // Each page shows a tile with the other's name.
  const capA = await a.page.textContent(`figure[data-participant-id="${b.pid}"] figcaption`);
  assert.equal(capA, 'Bob');
  const capB = await b.page.textContent(`figure[data-participant-id="${a.pid}"] figcaption`);
  assert.equal(capB, 'Alice');

  // The client's own bookkeeping agrees.
  const known = await a.page.evaluate(() => [...window.app.client.participants.keys()]);
  assert.deepEqual(known, [b.pid]);

  // bob leaves: alice gets participant_left (reason left) and the tile goes.
  await b.leave();
  const left = await waitInPage(a, (pid) => window.app.events.find((e) =>
    e.type === 'participant_left' && e.participantId === pid), b.pid,
  { timeout: T_SHORT, what: 'participant_left for bob' });
  assert.equal(left.reason, 'left');
  await a.page.waitForSelector(`figure[data-participant-id="${b.pid}"]`, { state: 'detached', timeout: T_SHORT });
  assert.equal(await b.page.evaluate(() => window.app.state), 'left');
  assert.equal(await b.page.evaluate(() => window.app.client.state), 'left');

  const list = await api(server.url, 'GET', '/v1/rooms/sig-two/participants', { token: adminToken() });
  assert.equal(list.status, 200);
  assert.deepEqual(list.json.participants.map((p) => p.id), [a.pid]);

  // No errors along the way.
  const errs = (await pageEvents(a)).filter((e) => e.type === 'error');
  assert.deepEqual(errs, []);
});

test('a deleted room ends the session: room_ended, then disconnected', async () => {
  const a = await open('sig-end', 'carol');
  const r = await api(server.url, 'DELETE', '/v1/rooms/sig-end', { token: adminToken() });
  assert.equal(r.status, 204);
  const d = await waitInPage(a, () => window.app.events.find((e) => e.type === 'disconnected'),
    null, { timeout: T_SHORT, what: 'disconnected' });
  assert.equal(d.reason, 'room_ended');
  const evs = await pageEvents(a);
  assert.ok(evs.some((e) => e.type === 'room_ended' && e.reason === 'deleted'), JSON.stringify(evs));
  assert.equal(await a.page.evaluate(() => window.app.state), 'disconnected');
});

test('being removed by an admin disconnects the page', async () => {
  const a = await open('sig-kick', 'dave');
  const b = await open('sig-kick', 'erin');
  const r = await api(server.url, 'DELETE', `/v1/rooms/sig-kick/participants/${a.pid}`, { token: adminToken() });
  assert.equal(r.status, 204);
  const d = await waitInPage(a, () => window.app.events.find((e) => e.type === 'disconnected'),
    null, { timeout: T_SHORT, what: 'disconnected' });
  assert.equal(d.reason, 'removed');
  const left = await waitInPage(b, (pid) => window.app.events.find((e) =>
    e.type === 'participant_left' && e.participantId === pid), a.pid,
  { timeout: T_SHORT, what: 'participant_left for dave' });
  assert.equal(left.reason, 'removed');
});

test('joining again with the same identity replaces the old page', async () => {
  const a1 = await open('sig-dup', 'frank');
  const a2 = await open('sig-dup', 'frank');
  const d = await waitInPage(a1, () => window.app.events.find((e) => e.type === 'disconnected'),
    null, { timeout: T_SHORT, what: 'disconnected' });
  assert.equal(d.reason, 'duplicate_identity');
  assert.equal(await a2.page.evaluate(() => window.app.state), 'joined');
});

test('a participant the server forgot (crash, restart) is told it is disconnected', async () => {
  const a = await open('sig-restart', 'gina');
  const dataDir = await mkdtemp(pathJoin(tmpdir(), 'parley-e2e-'));
  const s1 = await startServer({ dataDir });
  const s2port = s1.port;
  const g = await openClient(browser, s1, 'sig-restart', 'gina', { publish: false });
  clients.push(g);
  // A crash (SIGKILL: no disconnected event), then a new server on the same
  // port and data: the page's EventSource reconnects to a server that does
  // not know the participant.
  process.kill(s1.pid, 'SIGKILL');
  await s1.exited;
  await waitInPage(g, () => window.app.events.find((e) => e.type === 'reconnecting'),
    null, { timeout: T_SHORT, what: 'reconnecting' });
  const s2 = await startServer({ port: s2port, dataDir });
  try {
    const d = await waitInPage(g, () => window.app.events.find((e) => e.type === 'disconnected'),
      null, { timeout: 60000, what: 'disconnected after restart' });
    assert.ok(['removed', 'events_failed'].includes(d.reason), JSON.stringify(d));
    assert.equal(await g.page.evaluate(() => window.app.state), 'disconnected');
    assert.equal(await a.page.evaluate(() => window.app.state), 'joined');
  } finally {
    await s2.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('a dropped event stream reconnects and replays what it missed, once', async () => {
  const a = await open('sig-replay', 'hana');
  const c = await open('sig-replay', 'ivan');
  await waitInPage(a, (pid) => window.app.events.find((e) =>
    e.type === 'participant_joined' && e.participantId === pid), c.pid,
  { timeout: T_SHORT, what: 'participant_joined for ivan' });
  // Cut hana's event stream (kill its TCP connections) and keep her
  // EventSource from reconnecting until bob has joined.
  await a.context.route('**/events?*', (r) => r.abort());
  execFileSync('ss', ['-K', '-tn', 'dport', '=', String(server.port)]);
  await waitInPage(a, () => window.app.events.find((e) => e.type === 'reconnecting'),
    null, { timeout: T_SHORT, what: 'reconnecting' });
  const tok = await devToken(server.url, 'sig-replay', 'jack');
  const j = await api(server.url, 'POST', '/v1/rooms/sig-replay/participants', { token: tok, json: {} });
  assert.equal(j.status, 201);
  const jack = j.json.participant.id;
  await a.context.unroute('**/events?*');
  await waitInPage(a, (pid) => window.app.events.find((e) =>
    e.type === 'participant_joined' && e.participantId === pid), jack,
  { timeout: T_SHORT, what: 'participant_joined for jack after the reconnect' });
  const evs = await pageEvents(a);
  assert.ok(evs.some((e) => e.type === 'reconnected'), JSON.stringify(evs));
  assert.equal(evs.filter((e) => e.type === 'participant_joined' && e.participantId === c.pid).length, 1,
    `ivan reported once: ${JSON.stringify(evs)}`);
  assert.equal(evs.filter((e) => e.type === 'participant_joined' && e.participantId === jack).length, 1);
  assert.equal(await a.page.evaluate(() => window.app.state), 'joined');
  await api(server.url, 'DELETE', `/v1/rooms/sig-replay/participants/${jack}`, { token: tok });
});
