// Media negotiation over HTTP without a browser: a real Chrome offer (kept in
// tests/data/sdp) is answered, the answer is checked, and the participant
// whose media never connects (a peer that vanished mid-handshake) is removed
// after media.connect_timeout and the others are told. Plus every error the
// media endpoints give.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join as pathJoin } from 'node:path';
import { startServer, keyArgs, api, join, joinWithEvents, SOURCE_DIR } from './lib.mjs';

let srv;
const sdpDir = pathJoin(SOURCE_DIR, 'tests', 'data', 'sdp');

before(async () => {
  srv = await startServer({ args: [...keyArgs(), '--set', 'media.local_addrs=127.0.0.1',
    '--set', 'media.connect_timeout=5', '--set', 'rooms.participant_timeout=60'] });
});

after(async () => {
  assert.equal(await srv?.stop(), 0);
});

const sdpHeaders = { 'Content-Type': 'application/sdp' };

describe('media negotiation', () => {
  test('a Chrome publish offer is answered; media that never connects is cleaned up', async () => {
    const offer = await readFile(pathJoin(sdpDir, 'chrome_offer_av_dc.sdp'), 'utf8');
    const watcher = await joinWithEvents(srv.url, 'm1', 'watcher');
    const pub = await join(srv.url, 'm1', 'publisher');
    const r = await api(srv.url, 'POST', `/v1/rooms/m1/participants/${pub.pid}/publish`,
      { token: pub.token, rawBody: offer, headers: sdpHeaders });
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type'), /^application\/sdp/);
    const ans = r.text;
    assert.match(ans, /^v=0\r\n/);
    assert.match(ans, /a=setup:passive/);             // we are the DTLS server
    assert.match(ans, /a=fingerprint:sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    assert.match(ans, /a=ice-ufrag:\S{4,}/);
    assert.match(ans, /a=candidate:\S+ 1 (udp|UDP) \d+ 127\.0\.0\.1 \d+ typ host/);
    assert.match(ans, /a=end-of-candidates/);
    assert.match(ans, /m=audio [1-9]\d* UDP\/TLS\/RTP\/SAVPF 111/);   // opus accepted
    assert.match(ans, /a=rtpmap:\d+ VP8\/90000/);
    assert.match(ans, /m=application 0 /);            // data channels: later work
    assert.match(ans, /a=recvonly/);

    // The watcher gets a subscribe offer (one: the next waits for its answer)
    // and hears of both tracks.
    const so = await watcher.events.nextOf('subscribe_offer', 5000);
    const offerData = JSON.parse(so.data);
    const published = await watcher.events.nextOf('track_published', 5000);
    assert.equal(JSON.parse(published.data).participant.id, pub.pid);
    assert.equal((await watcher.events.nextOf('track_published', 5000)).event, 'track_published');
    assert.equal(watcher.events.events.filter((e) => e.event === 'subscribe_offer').length, 1,
      'one offer in flight');
    assert.equal(offerData.version, 1);
    assert.match(offerData.sdp, /a=sendonly/);
    assert.match(offerData.sdp, /a=setup:actpass/);
    assert.match(offerData.sdp, new RegExp(`a=msid:${pub.pid} TR_`));
    // A client that lost the event reads the waiting offer.
    const waiting = await api(srv.url, 'GET', `/v1/rooms/m1/participants/${watcher.pid}/subscribe`,
      { token: watcher.token });
    assert.equal(waiting.status, 200, waiting.text);
    assert.deepEqual(waiting.json, offerData);
    const none = await api(srv.url, 'GET', `/v1/rooms/m1/participants/${pub.pid}/subscribe`,
      { token: pub.token });
    assert.equal(none.status, 204, 'no offer waits for the publisher');
    // An ICE restart asked while offer 1 waits: the new credentials come in offer 2.
    const rs = await api(srv.url, 'POST', `/v1/rooms/m1/participants/${watcher.pid}/subscribe/restart`,
      { token: watcher.token });
    assert.equal(rs.status, 202, rs.text);
    assert.deepEqual(rs.json, { version: 2 });

    // Nobody completes ICE for the publisher: it is removed, the others are told.
    const left = await watcher.events.nextOf('participant_left', 30000);
    const d = JSON.parse(left.data);
    assert.equal(d.participant.id, pub.pid);
    assert.equal(d.reason, 'media_failed');
    const list = await api(srv.url, 'GET', '/v1/rooms/m1/participants', { token: watcher.token });
    assert.deepEqual(list.json.participants.map((p) => p.identity), ['watcher']);
    await watcher.events.close();
  });

  test('a publish asked for as JSON also names the new tracks', async () => {
    const offer = await readFile(pathJoin(sdpDir, 'firefox_offer_av_dc.sdp'), 'utf8');
    const p = await join(srv.url, 'm4', 'fiona');
    const r = await api(srv.url, 'POST', `/v1/rooms/m4/participants/${p.pid}/publish`,
      { token: p.token, rawBody: offer, headers: { ...sdpHeaders, Accept: 'application/json' } });
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type'), /^application\/json/);
    assert.match(r.json.sdp, /^v=0\r\n/);
    assert.deepEqual(r.json.tracks.map((t) => t.kind).sort(), ['audio', 'video']);
    for (const t of r.json.tracks) {
      assert.match(t.id, /^TR_/);
      assert.match(offer, new RegExp(`a=mid:${t.mid}\r\n`));
    }
    // The same ids as the participant list gives.
    const list = await api(srv.url, 'GET', '/v1/rooms/m4/participants', { token: p.token });
    const me = list.json.participants.find((x) => x.id === p.pid);
    assert.deepEqual(me.tracks.map((t) => t.id).sort(), r.json.tracks.map((t) => t.id).sort());
  });

  test('errors of the media endpoints', async () => {
    const a = await join(srv.url, 'm2', 'alice');
    const b = await join(srv.url, 'm2', 'bob');
    const base = `/v1/rooms/m2/participants/${a.pid}`;
    const offer = await readFile(pathJoin(sdpDir, 'firefox_offer_av_dc.sdp'), 'utf8');
    let r = await api(srv.url, 'POST', `${base}/publish`, { rawBody: offer, headers: sdpHeaders });
    assert.equal(r.status, 401);
    r = await api(srv.url, 'POST', `${base}/publish`, { token: b.token, rawBody: offer, headers: sdpHeaders });
    assert.equal(r.status, 403, 'someone else\'s participant');
    r = await api(srv.url, 'POST', `${base}/publish`, { token: a.token, rawBody: offer,
      headers: { 'Content-Type': 'text/plain' } });
    assert.equal(r.status, 415);
    for (const bad of ['', 'v=0\r\n', 'garbage', `${offer.slice(0, 200)}`,
      offer.replace(/a=fingerprint:[^\r\n]*\r\n/g, '')]) {
      r = await api(srv.url, 'POST', `${base}/publish`, { token: a.token, rawBody: bad, headers: sdpHeaders });
      assert.equal(r.status, 400, `bad offer ${JSON.stringify(bad.slice(0, 40))}: ${r.text}`);
      assert.equal(r.json.error.code, 'invalid_sdp');
    }
    r = await api(srv.url, 'POST', `${base}/subscribe`, { token: a.token, rawBody: offer, headers: sdpHeaders });
    assert.equal(r.status, 400, 'no version');
    r = await api(srv.url, 'POST', `${base}/subscribe?version=7`, { token: a.token, rawBody: offer, headers: sdpHeaders });
    assert.equal(r.status, 409);
    assert.equal(r.json.error.code, 'negotiation_conflict');
    r = await api(srv.url, 'PATCH', `${base}/subscribe`, { token: a.token,
      rawBody: 'a=candidate:1 1 udp 1 127.0.0.1 9 typ host\r\n',
      headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' } });
    assert.equal(r.status, 404, 'no subscribe connection yet');
    r = await api(srv.url, 'POST', `${base}/subscribe/restart`, { token: a.token });
    assert.equal(r.status, 404, 'no subscribe connection to restart');
    assert.equal(r.json.error.code, 'not_found');
    r = await api(srv.url, 'POST', `${base}/subscribe/restart`, { token: b.token });
    assert.equal(r.status, 403, 'someone else\'s connection');
    r = await api(srv.url, 'PATCH', `${base}/tracks/TR_000000000000`, { token: a.token, body: { muted: true } });
    assert.equal(r.status, 404);
    assert.equal(r.json.error.code, 'track_not_found');
    r = await api(srv.url, 'POST', '/v1/rooms/m2/participants/PA_000000000000/publish',
      { token: a.token, rawBody: offer, headers: sdpHeaders });
    assert.equal(r.status, 404);
    assert.equal(r.json.error.code, 'participant_not_found');
    // Too many tracks: a limit of 1 and an offer with audio and video.
    const small = await startServer({ args: [...keyArgs(), '--set', 'media.max_tracks=1',
      '--set', 'media.local_addrs=127.0.0.1'] });
    try {
      const c = await join(small.url, 'm3', 'carol');
      r = await api(small.url, 'POST', `/v1/rooms/m3/participants/${c.pid}/publish`,
        { token: c.token, rawBody: offer, headers: sdpHeaders });
      assert.equal(r.status, 409);
      assert.equal(r.json.error.code, 'too_many_tracks');
    } finally {
      assert.equal(await small.stop(), 0);
    }
    const health = await api(srv.url, 'GET', '/healthz');
    assert.equal(health.status, 200);
  });
});
