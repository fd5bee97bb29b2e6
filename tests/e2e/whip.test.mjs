// WHIP publish and WHEP playback with Chromium driven as a plain WHIP/WHEP
// client (RFC 9725 over fetch, not parleyd's web client): one page
// publishes camera and microphone into a room with POST /whip/{room}, another
// watches it with POST /whep/{room}; getStats() in the viewer must show
// decoded video frames and received audio, growing. Then the WHIP session is
// deleted and the publisher leaves the room.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startServer, devToken, api } from './lib.mjs';
import { until } from './wait.mjs';

let browser;
let server;

before(async () => {
  browser = await launchBrowser();
  server = await startServer();
});

after(async () => {
  if (browser) await browser.close();
  if (server) assert.equal(await server.stop(), 0);
});

// Runs in the page: a complete WHIP or WHEP exchange without trickle.
async function whipInPage({ kind, room, token, query }) {
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  window.pc = pc;
  if (kind === 'whip') {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    for (const t of stream.getTracks()) pc.addTransceiver(t, { direction: 'sendonly' });
  } else {
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addTransceiver('video', { direction: 'recvonly' });
  }
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((res) => {
    if (pc.iceGatheringState === 'complete') return res();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && res();
  });
  const r = await fetch(`/${kind}/${room}${query || ''}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${token}` },
    body: pc.localDescription.sdp,
  });
  const answer = await r.text();
  if (r.status !== 201) return { status: r.status, body: answer };
  await pc.setRemoteDescription({ type: 'answer', sdp: answer });
  return { status: r.status, location: r.headers.get('location') };
}

// Runs in the publishing page: an ICE restart the WHIP way (RFC 9725
// §4.3.2): a PATCH with new credentials and candidates, answered with the
// server's new credentials and candidates, applied to the old answer.
async function whipRestartInPage({ location, token }) {
  const pc = window.pc;
  const oldRemote = /a=ice-ufrag:(\S+)/.exec(pc.currentRemoteDescription.sdp)[1];
  await pc.setLocalDescription(await pc.createOffer({ iceRestart: true }));
  await new Promise((res) => {
    if (pc.iceGatheringState === 'complete') return res();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && res();
  });
  const sdp = pc.localDescription.sdp;
  const mid = /a=mid:(\S+)/.exec(sdp)[1];
  const lines = [`a=ice-ufrag:${/a=ice-ufrag:(\S+)/.exec(sdp)[1]}`,
    `a=ice-pwd:${/a=ice-pwd:(\S+)/.exec(sdp)[1]}`, 'm=audio 9 UDP/TLS/RTP/SAVPF 0', `a=mid:${mid}`,
    ...sdp.split('\r\n').filter((l) => l.startsWith('a=candidate:')), 'a=end-of-candidates'];
  const r = await fetch(location, { method: 'PATCH', body: `${lines.join('\r\n')}\r\n`,
    headers: { 'Content-Type': 'application/trickle-ice-sdpfrag', Authorization: `Bearer ${token}` } });
  const frag = await r.text();
  if (r.status !== 200) return { status: r.status, body: frag };
  const ufrag = /a=ice-ufrag:(\S+)/.exec(frag)[1];
  const pwd = /a=ice-pwd:(\S+)/.exec(frag)[1];
  const cands = frag.split('\r\n').filter((l) => l.startsWith('a=candidate:'));
  const answer = pc.currentRemoteDescription.sdp.split('\r\n')
    .filter((l) => !l.startsWith('a=candidate:') && l !== 'a=end-of-candidates')
    .map((l) => (l.startsWith('a=ice-ufrag:') ? `a=ice-ufrag:${ufrag}`
      : l.startsWith('a=ice-pwd:') ? `a=ice-pwd:${pwd}` : l)).join('\r\n');
  await pc.setRemoteDescription({ type: 'answer', sdp: answer });
  for (const c of cands) await pc.addIceCandidate({ candidate: c.slice(2), sdpMid: mid });
  return { status: r.status, oldRemote, newRemote: ufrag, type: r.headers.get('content-type') };
}

async function inbound(page) {
  return page.evaluate(async () => {
    const out = { audio: 0, video: 0 };
    for (const s of (await window.pc.getStats()).values()) {
      if (s.type !== 'inbound-rtp') continue;
      if (s.kind === 'audio') out.audio = s.packetsReceived;
      if (s.kind === 'video') out.video = s.framesDecoded || 0;
    }
    return out;
  });
}


test('WHIP publish, WHEP playback, WHIP delete', async () => {
  const room = 'whip-room';
  const pubPage = await browser.newPage();
  const viewPage = await browser.newPage();
  await pubPage.goto(`${server.url}/`);
  await viewPage.goto(`${server.url}/`);

  const pubToken = await devToken(server.url, room, 'obs');
  const pub = await pubPage.evaluate(whipInPage, { kind: 'whip', room, token: pubToken });
  assert.equal(pub.status, 201, JSON.stringify(pub));
  assert.match(pub.location, new RegExp(`^/whip/${room}/PA_[A-Za-z0-9]{12}$`));

  // The publisher is in the room with an audio and a video track.
  const admin = await devToken(server.url, room, 'watcher');
  const listed = await until(async () => {
    const r = await api(server.url, 'GET', `/v1/rooms/${room}/participants`, { token: admin });
    const p = r.json?.participants?.find((x) => x.identity === 'obs');
    return p && p.tracks.length === 2 ? p : null;
  }, 'the WHIP publisher and its tracks');
  assert.deepEqual(listed.tracks.map((t) => t.kind).sort(), ['audio', 'video']);

  const viewToken = await devToken(server.url, room, 'viewer');
  const view = await viewPage.evaluate(whipInPage, {
    kind: 'whep', room, token: viewToken, query: `?participant=${listed.id}` });
  assert.equal(view.status, 201, JSON.stringify(view));
  assert.match(view.location, new RegExp(`^/whep/${room}/PA_`));

  const first = await until(async () => {
    const s = await inbound(viewPage);
    return s.video > 0 && s.audio > 0 ? s : null;
  }, 'decoded video and audio in the WHEP viewer');
  const later = await until(async () => {
    const s = await inbound(viewPage);
    return s.video > first.video + 30 && s.audio > first.audio + 50 ? s : null;
  }, 'more frames and packets in the WHEP viewer');
  console.log(`# WHEP viewer: ${later.video} frames decoded, ${later.audio} audio packets`);

  // ICE restart of the WHIP session by PATCH; the viewer keeps decoding.
  const restart = await pubPage.evaluate(whipRestartInPage, { location: pub.location, token: pubToken });
  assert.equal(restart.status, 200, JSON.stringify(restart));
  assert.match(restart.type, /^application\/trickle-ice-sdpfrag/);
  assert.notEqual(restart.newRemote, restart.oldRemote, 'the server has new credentials');
  await until(() => pubPage.evaluate(() => window.pc.connectionState === 'connected'),
    'the publisher connected again');
  const afterRestart = await inbound(viewPage);
  await until(async () => {
    const s = await inbound(viewPage);
    return s.video > afterRestart.video + 30 ? s : null;
  }, 'frames after the ICE restart');

  // The media counters in /metrics moved.
  const m = await (await fetch(`${server.url}/metrics`)).text();
  const value = (name) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(m)?.[1]);
  assert.ok(value('parley_rtp_packets_in_total') > 100, m);
  assert.ok(value('parley_rtp_packets_out_total') > 100, m);
  assert.ok(value('parley_media_bytes_out_total') > 10000, m);
  assert.equal(value('parley_srtp_errors_total'), 0);
  // every copy sent to the viewer was timed (parley_forward_delay_seconds)
  assert.ok(value('parley_forward_delay_seconds_count') > 100, m);

  // DELETE ends the WHIP session: the publisher leaves the room.
  const del = await fetch(`${server.url}${pub.location}`, {
    method: 'DELETE', headers: { Authorization: `Bearer ${pubToken}` } });
  assert.equal(del.status, 200);
  const r = await api(server.url, 'GET', `/v1/rooms/${room}/participants`, { token: admin });
  assert.equal(r.json.participants.find((x) => x.identity === 'obs'), undefined);

  // Errors: a bad offer, a wrong content type, no token.
  const bad = await fetch(`${server.url}/whip/${room}`, { method: 'POST',
    headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${pubToken}` },
    body: 'v=0\r\nnot sdp\r\n' });
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).error.code, 'invalid_sdp');
  const ctype = await fetch(`${server.url}/whip/${room}`, { method: 'POST',
    headers: { 'Content-Type': 'text/plain', Authorization: `Bearer ${pubToken}` }, body: 'x' });
  assert.equal(ctype.status, 415);
  const noauth = await fetch(`${server.url}/whep/${room}`, { method: 'POST',
    headers: { 'Content-Type': 'application/sdp' }, body: 'v=0' });
  assert.equal(noauth.status, 401);
  // A refused offer leaves no participant behind.
  const after = await api(server.url, 'GET', `/v1/rooms/${room}/participants`, { token: admin });
  assert.equal(after.json.participants.find((x) => x.identity === 'obs'), undefined);
  await pubPage.close();
  await viewPage.close();
});
