// sdp_browser_check.mjs - does a real browser accept what media/sdp builds?
//
// Headless Chromium (Debian's /usr/bin/chromium through playwright-core)
// makes offers (audio + video + data channel, video simulcast with three
// rids, receive-only); tests/media/sdp_tool answers each with the server's
// answer builder and the browser must take the answer (setRemoteDescription)
// with the directions, codecs and simulcast layers negotiated. The other way
// round, the browser must take the server's subscribe offer, answer it, and
// its answer must parse with the expected mids, directions and codecs.
//
//   node --test tests/media/sdp_browser_check.mjs
// SDP_TOOL=path uses a built sdp_tool; otherwise it is compiled with cc
// from media/sdp*.c into a temporary directory. Needs no network (run it
// under tests/netns-run in CI).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = process.env.PARLEY_SOURCE_DIR ||
	resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
let tool = process.env.SDP_TOOL;
let tmp;
let browser;
let page;

function buildTool() {
	tmp = mkdtempSync(join(tmpdir(), 'sdp-check-'));
	const out = join(tmp, 'sdp_tool');
	const glib = execFileSync('pkg-config', ['--cflags', '--libs', 'glib-2.0'])
		.toString().trim().split(/\s+/);
	const srcs = ['sdp.c', 'sdp_parse.c', 'sdp_write.c', 'sdp_build.c']
		.map((f) => join(root, 'media', f));
	execFileSync('cc', ['-std=c11', '-D_GNU_SOURCE', '-O1', `-I${root}`, ...srcs,
		join(root, 'tests', 'media', 'sdp_tool.c'), ...glib, '-o', out]);
	return out;
}

function sdpTool(args, input) {
	return execFileSync(tool, args, { input, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
}

before(async () => {
	if (!tool)
		tool = buildTool();
	browser = await chromium.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		args: ['--disable-gpu', '--disable-background-networking', '--disable-component-update',
			'--disable-sync', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
	});
	page = await browser.newPage();
	await page.goto('about:blank');
});

after(async () => {
	await browser?.close();
	if (tmp)
		rmSync(tmp, { recursive: true, force: true });
});

// In the page: make an offer for `variant`, keep the PeerConnection.
async function browserOffer(variant) {
	return page.evaluate(async (v) => {
		const pc = new RTCPeerConnection();
		window.pc = pc;
		if (v === 'recvonly') {
			pc.addTransceiver('audio', { direction: 'recvonly' });
			pc.addTransceiver('video', { direction: 'recvonly' });
		} else {
			pc.addTransceiver('audio', { direction: 'sendonly' });
			const enc = v === 'simulcast'
				? [{ rid: 'q', scaleResolutionDownBy: 4 }, { rid: 'h', scaleResolutionDownBy: 2 },
					{ rid: 'f' }]
				: undefined;
			pc.addTransceiver('video', { direction: 'sendonly', sendEncodings: enc });
			pc.createDataChannel('chat');
		}
		await pc.setLocalDescription(await pc.createOffer());
		return pc.localDescription.sdp;
	}, variant);
}

// In the page: apply the server's answer; report what was negotiated.
async function browserTakeAnswer(sdp) {
	return page.evaluate(async (answer) => {
		const pc = window.pc;
		await pc.setRemoteDescription({ type: 'answer', sdp: answer });
		const out = pc.getTransceivers().map((t) => ({
			mid: t.mid,
			kind: t.receiver.track.kind,
			dir: t.currentDirection,
			encodings: t.sender.getParameters().encodings.length,
			codecs: (t.sender.getParameters().codecs || []).map((c) => c.mimeType),
		}));
		const sctp = pc.sctp !== null;
		pc.close();
		return { transceivers: out, sctp };
	}, sdp);
}

for (const variant of ['av_dc', 'simulcast']) {
	test(`chromium accepts the answer to its ${variant} publish offer`, async () => {
		const offer = await browserOffer(variant);
		const answer = sdpTool(['answer', 'publish'], offer);
		const got = await browserTakeAnswer(answer);
		const [audio, video] = got.transceivers;
		assert.equal(audio.dir, 'sendonly');
		assert.equal(video.dir, 'sendonly');
		assert.deepEqual(audio.codecs, ['audio/opus']);
		assert.ok(video.codecs.includes('video/VP8'), JSON.stringify(video.codecs));
		assert.ok(video.codecs.every((c) => c === 'video/VP8' || c === 'video/rtx'));
		if (variant === 'simulcast')
			assert.equal(video.encodings, 3);
		else
			assert.equal(got.sctp, true);
	});
}

test('chromium accepts an answer that rejects video and the data channel', async () => {
	const offer = await browserOffer('av_dc');
	const answer = sdpTool(['answer', 'audio'], offer);
	assert.match(answer, /^m=video 0 /m);
	assert.match(answer, /^m=application 0 /m);
	const got = await browserTakeAnswer(answer);
	// Chromium stops (and drops) the transceiver of a rejected section.
	assert.deepEqual(got.transceivers.map((t) => [t.kind, t.dir]), [['audio', 'sendonly']]);
	assert.equal(got.sctp, false);
});

test('chromium accepts the answer to its receive-only offer', async () => {
	const offer = await browserOffer('recvonly');
	const answer = sdpTool(['answer', 'recv'], offer);
	const got = await browserTakeAnswer(answer);
	assert.deepEqual(got.transceivers.map((t) => t.dir), ['recvonly', 'recvonly']);
});

test('chromium accepts a server subscribe offer and its answer parses', async () => {
	const offer = sdpTool(['offer']);
	const res = await page.evaluate(async (sdp) => {
		const pc = new RTCPeerConnection();
		const tracks = [];
		pc.ontrack = (e) => tracks.push({ kind: e.track.kind, stream: e.streams[0]?.id });
		await pc.setRemoteDescription({ type: 'offer', sdp });
		await pc.setLocalDescription(await pc.createAnswer());
		const answer = pc.localDescription.sdp;
		pc.close();
		return { answer, tracks };
	}, offer);
	assert.deepEqual(res.tracks.filter((t) => t.stream === 'alice').map((t) => t.kind),
		['audio', 'video']);
	const parsed = JSON.parse(sdpTool(['parse'], res.answer));
	const m = parsed.media;
	assert.deepEqual(m.map((x) => x.mid), ['0', '1', '2', '3']);
	assert.deepEqual(m.map((x) => x.dir), ['recvonly', 'recvonly', 'inactive', 'sendrecv']);
	assert.ok(m.every((x) => x.setup === 'active'));
	assert.deepEqual(m[0].codecs.map((c) => [c.pt, c.name]), [[111, 'opus']]);
	assert.deepEqual(m[1].codecs.map((c) => [c.pt, c.name, c.rtx]), [[96, 'VP8', 97], [97, 'rtx', -1]]);
	assert.equal(parsed.bundle, 4);
});
