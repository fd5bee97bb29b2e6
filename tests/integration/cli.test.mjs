// The command line: --check-config, configuration errors (file, environment,
// flags), start-up refusals, and the `parleyd token` subcommand.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, readFile, readdir } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { join as pathJoin } from 'node:path';
import {
  startServer, api, keyArgs, runParleyd, makeTempDir, removeDir, errorOf,
  API_KEY, API_SECRET, OTHER_KEY, OTHER_SECRET, SOURCE_DIR, PARLEYD,
} from './lib.mjs';

const KEYS = `${API_KEY}:${API_SECRET}`;

describe('configuration', () => {
  let dir;
  before(async () => { dir = await makeTempDir(); });
  after(async () => { await removeDir(dir); });

  const conf = async (name, text) => {
    const p = pathJoin(dir, name);
    await writeFile(p, text);
    return p;
  };

  it('--version and --help exit 0', async () => {
    const v = await runParleyd(['--version']);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^parleyd \S+\n$/);
    const h = await runParleyd(['--help']);
    assert.equal(h.code, 0);
    for (const s of ['--check-config', '--set', 'rooms.participant_timeout', 'PARLEY_HTTP_PORT'])
      assert.ok(h.stdout.includes(s), s);
  });

  it('--check-config accepts a good file (exit 0)', async () => {
    const p = await conf('good.conf', [
      '# a good configuration', '[server]', `data_dir = ${dir}/data`, 'log_level = debug', '',
      '[http]', 'bind = 127.0.0.1', 'port = 9000', '', '[auth]', `keys = ${KEYS};${OTHER_KEY}:${OTHER_SECRET}`,
      '', '[rooms]', 'auto_create = no', 'participant_timeout = 5', '',
      '[ice]', 'stun_urls = stun:stun.example.org:3478;stuns:stun2.example.org',
      'turn_urls = turn:turn.example.org:3478?transport=udp', 'turn_username = u',
      'turn_credential = p', '',
    ].join('\n'));
    const r = await runParleyd(['--config', p, '--check-config']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /configuration OK/);
    // PARLEY_CONFIG names the file too
    const e = await runParleyd(['--check-config'], { env: { PARLEY_CONFIG: p } });
    assert.equal(e.code, 0, e.stderr);
  });

  it('the shipped config/parley.conf checks out', async () => {
    const shipped = pathJoin(SOURCE_DIR, 'config', 'parley.conf');
    let r = await runParleyd(['--config', shipped, '--dev', '--check-config']);
    assert.equal(r.code, 0, r.stderr);
    r = await runParleyd(['--config', shipped, ...keyArgs(), '--check-config']);
    assert.equal(r.code, 0, r.stderr);
  });

  it('--check-config refuses a bad file (exit 2), naming the file, line and key', async () => {
    const cases = [
      ['badport.conf', '[auth]\nkeys = K:' + 'x'.repeat(32) + '\n[http]\nport = abc\n', /:4: \[http\] port: "abc" is not a number/],
      ['range.conf', '[http]\nport = 70000\n', /:2: \[http\] port: 70000 is out of range/],
      ['unknownkey.conf', '[rooms]\nmax_room = 5\n', /:2: unknown key \[rooms\] max_room/],
      ['unknownsection.conf', '[room]\nmax_rooms = 5\n', /unknown section \[room\]/],
      ['badbool.conf', '[rooms]\nauto_create = maybe\n', /\[rooms\] auto_create: "maybe" is not a boolean/],
      ['badbind.conf', '[http]\nbind = localhost\n', /\[http\] bind: "localhost" is not an IPv4 or IPv6 address/],
      ['badstun.conf', '[ice]\nstun_urls = http://x\n', /\[ice\] stun_urls/],
      ['turnnocred.conf', '[ice]\nturn_urls = turn:t.example.org\n', /\[ice\] turn_urls: TURN servers need/],
      ['syntax.conf', 'this is not ini\n', /syntax\.conf/],
    ];
    for (const [name, text, re] of cases) {
      const p = await conf(name, text);
      const r = await runParleyd(['--config', p, '--dev', '--check-config']);
      assert.equal(r.code, 2, `${name}: ${r.stdout}${r.stderr}`);
      assert.ok(r.stderr.includes(p), `${name} names the file: ${r.stderr}`);
      assert.match(r.stderr, re, name);
      assert.doesNotMatch(r.stdout, /configuration OK/);
    }
  });

  it('a --config file that does not exist is an error', async () => {
    const p = pathJoin(dir, 'missing.conf');
    const r = await runParleyd(['--config', p, '--dev', '--check-config']);
    assert.equal(r.code, 2);
    assert.ok(r.stderr.includes(p), r.stderr);
  });

  it('a bad environment variable stops start-up (exit 2), naming it', async () => {
    let r = await runParleyd(['--dev', '--check-config'], { env: { PARLEY_HTTP_PORT: 'abc' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /environment PARLEY_HTTP_PORT: \[http\] port: "abc" is not a number/);
    // the same when starting for real (it stops before listening)
    r = await runParleyd(['--dev', '--data-dir', pathJoin(dir, 'envdata')], { env: { PARLEY_HTTP_PORT: 'abc' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /PARLEY_HTTP_PORT/);
    assert.doesNotMatch(r.stderr, /listening/);
    // a misspelt variable is not ignored
    r = await runParleyd(['--dev', '--check-config'], { env: { PARLEY_ROOMS_MAX_ROOM: '5' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /PARLEY_ROOMS_MAX_ROOM/);
    r = await runParleyd(['--dev', '--check-config'], { env: { PARLEY_NOPE: '1' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /PARLEY_NOPE: unknown variable/);
    // a good one is used, and flags win over it
    r = await runParleyd(['--dev', '--check-config'], { env: { PARLEY_HTTP_PORT: '9000' } });
    assert.equal(r.code, 0, r.stderr);
    r = await runParleyd(['--dev', '--check-config', '--http-port', '9001'], { env: { PARLEY_HTTP_PORT: 'abc' } });
    assert.equal(r.code, 2, 'the environment is still checked');
  });

  it('bad flags stop start-up (exit 2)', async () => {
    const cases = [
      [['--http-port', 'x'], /flag --http-port: \[http\] port/],
      [['--set', 'http.nope=1'], /unknown key \[http\] nope/],
      [['--set', 'nodot=1'], /flag --set: expected SECTION\.KEY=VALUE/],
      [['--bogus'], /flag --bogus: unknown flag/],
      [['--log-level', 'loud'], /log level/],
      [['--http-port'], /flag --http-port: needs a value/],
    ];
    for (const [args, re] of cases) {
      const r = await runParleyd(['--dev', '--check-config', ...args]);
      assert.equal(r.code, 2, `${args}: ${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
    }
    // a positional argument is refused when starting
    const s = await runParleyd(['--dev', '--data-dir', pathJoin(dir, 'x'), 'extra']);
    assert.equal(s.code, 2, s.stderr);
    assert.match(s.stderr, /unexpected argument "extra"/);
    assert.doesNotMatch(s.stderr, /listening/);
  });

  it('--check-config refuses what starting would refuse (a positional argument)', async () => {
    const r = await runParleyd(['--dev', '--check-config', 'extra']);
    assert.equal(r.code, 2, r.stdout);
  });

  // Starts parleyd through `wrapper` (a command that execs it, same pid),
  // waits until it listens, runs `check(pid, stderr)` and stops it.
  async function withParleyd(wrapper, args, check) {
    const proc = spawn(wrapper[0], [...wrapper.slice(1), PARLEYD, '--dev', '--http-port', '0',
      '--http-bind', '127.0.0.1', '--log-level', 'info', ...args],
    { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    proc.stderr.setEncoding('utf8');
    const listening = new Promise((res, rej) => {
      proc.stderr.on('data', (d) => { err += d; if (/listening on/.test(err)) res(); });
      proc.on('exit', (code) => rej(new Error(`parleyd exited ${code}: ${err}`)));
    });
    try {
      await listening;
      await check(proc.pid, err);
    } finally {
      const exited = new Promise((res) => proc.on('exit', res));
      proc.kill('SIGTERM');
      assert.equal(await exited, 0);
    }
  }

  it('raises its soft open-files limit to the hard one at start', async () => {
    // prlimit (util-linux) lowers the soft limit, then execs parleyd (same pid)
    await withParleyd(['prlimit', '--nofile=256:'], ['--data-dir', pathJoin(dir, 'nofile')],
      async (pid, err) => {
        const limits = await readFile(`/proc/${pid}/limits`, 'utf8');
        const [, soft, hard] = limits.match(/^Max open files\s+(\S+)\s+(\S+)/m);
        assert.match(err, /open files limit raised from 256 to \d+/);
        assert.equal(soft, hard === 'unlimited' ? '1048576' : String(Math.min(Number(hard), 1048576)));
      });
  });

  // policy and nice of each media worker thread, from /proc/PID/task/*/stat
  async function workerSched(pid) {
    const out = [];
    for (const tid of await readdir(`/proc/${pid}/task`)) {
      const comm = (await readFile(`/proc/${pid}/task/${tid}/comm`, 'utf8')).trim();
      if (!comm.startsWith('worker-')) continue;
      const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3
      out.push({ nice: Number(f[19 - 3]), rtprio: Number(f[40 - 3]), policy: Number(f[41 - 3]) });
    }
    return out;
  }

  it('runs its media workers at the priority asked for, or says why not', async () => {
    await withParleyd(['env'], ['--workers', '2', '--data-dir', pathJoin(dir, 'prio-rt'),
      '--set', 'media.worker_priority=realtime'], async (pid, err) => {
      const w = await workerSched(pid);
      assert.equal(w.length, 2, JSON.stringify(w));
      for (const t of w) assert.deepEqual([t.policy, t.rtprio], [2, 10], JSON.stringify(w)); // SCHED_RR
      assert.match(err, /media workers run at realtime priority \(SCHED_RR 10\)/);
      const main = (await readFile(`/proc/${pid}/stat`, 'utf8'));
      assert.equal(Number(main.slice(main.lastIndexOf(')') + 2).split(' ')[41 - 3]), 0, 'main thread untouched');
    });
    await withParleyd(['env'], ['--workers', '2', '--data-dir', pathJoin(dir, 'prio-high'),
      '--set', 'media.worker_priority=high'], async (pid) => {
      for (const t of await workerSched(pid)) assert.deepEqual([t.policy, t.nice], [0, -10]);
    });
    // without CAP_SYS_NICE: a warning, normal scheduling, and it runs
    await withParleyd(['setpriv', '--bounding-set=-sys_nice', '--inh-caps=-sys_nice'],
      ['--workers', '2', '--data-dir', pathJoin(dir, 'prio-denied'),
        '--set', 'media.worker_priority=realtime'], async (pid, err) => {
        for (const t of await workerSched(pid)) assert.deepEqual([t.policy, t.nice], [0, 0]);
        assert.match(err, /worker_priority realtime: not allowed .*normal priority/);
      });
  });

  it('production mode without API keys refuses to start', async () => {
    let r = await runParleyd(['--check-config']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no API keys configured/);
    r = await runParleyd(['--http-port', '0', '--http-bind', '127.0.0.1', '--data-dir', pathJoin(dir, 'nokeys')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no API keys configured/);
    assert.doesNotMatch(r.stderr, /listening/);
  });

  it('API keys are checked and their secrets never echoed', async () => {
    const short = 'shortsecret123';
    let r = await runParleyd(['--check-config', '--set', `auth.keys=K1:${short}`]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /at least 32/);
    assert.ok(!r.stderr.includes(short), 'secret not echoed');
    r = await runParleyd(['--check-config', '--set', `auth.keys=${KEYS};${KEYS}`]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /duplicate key/);
    assert.ok(!r.stderr.includes(API_SECRET), 'secret not echoed');
    r = await runParleyd(['--check-config', '--set', 'auth.keys=no-colon-here']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /key:secret/);
    r = await runParleyd(['--check-config'], { env: { PARLEY_AUTH_KEYS: KEYS } });
    assert.equal(r.code, 0, r.stderr);
  });

  it('dev mode refuses a non-loopback bind unless dev.allow_remote=true', async () => {
    // Only --check-config: nothing listens on 0.0.0.0 here.
    let r = await runParleyd(['--dev', '--http-bind', '0.0.0.0', '--check-config']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not a loopback address/);
    assert.match(r.stderr, /allow_remote/);
    r = await runParleyd(['--dev', '--check-config'], { env: { PARLEY_HTTP_BIND: '::' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /PARLEY_HTTP_BIND/);
    r = await runParleyd(['--dev', '--http-bind', '0.0.0.0', '--set', 'dev.allow_remote=true', '--check-config']);
    assert.equal(r.code, 0, r.stderr);
    r = await runParleyd(['--dev', '--http-bind', '0.0.0.0', '--check-config'], { env: { PARLEY_DEV_ALLOW_REMOTE: 'true' } });
    assert.equal(r.code, 0, r.stderr);
    for (const lo of ['127.0.0.1', '127.1.2.3', '::1']) {
      r = await runParleyd(['--dev', '--http-bind', lo, '--check-config']);
      assert.equal(r.code, 0, `${lo}: ${r.stderr}`);
    }
    // production mode may bind anything
    r = await runParleyd([...keyArgs(), '--http-bind', '0.0.0.0', '--check-config']);
    assert.equal(r.code, 0, r.stderr);
  });
});

describe('parleyd token', () => {
  let srv;
  before(async () => { srv = await startServer({ args: keyArgs([[API_KEY, API_SECRET], [OTHER_KEY, OTHER_SECRET]]) }); });
  after(async () => { assert.equal(await srv?.stop(), 0); });

  const token = async (args, env) => {
    const r = await runParleyd(['token', ...args], { env });
    assert.equal(r.code, 0, r.stderr);
    const t = r.stdout.trim();
    assert.match(t, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    assert.equal(r.stdout, `${t}\n`, 'one line');
    return t;
  };

  it('--identity x --room r: the token joins a server with the same key', async () => {
    const t = await token(['--identity', 'x', '--room', 'r', '--set', `auth.keys=${KEYS}`]);
    const payload = JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString());
    assert.equal(payload.iss, API_KEY);
    assert.equal(payload.sub, 'x');
    assert.equal(payload.video.room, 'r');
    assert.equal(payload.video.roomJoin, true);
    const r = await api(srv.url, 'POST', '/v1/rooms/r/participants', { token: t });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.participant.identity, 'x');
    assert.deepEqual(r.json.participant.permissions,
      { can_publish: true, can_subscribe: true, can_publish_data: true });
  });

  it('--name, --metadata and --no-publish end up in the participant', async () => {
    const t = await token(['--identity', 'y', '--room', 'r', '--name', 'Why', '--metadata', '{"m":1}',
      '--no-publish', '--no-data', '--set', `auth.keys=${KEYS}`]);
    const r = await api(srv.url, 'POST', '/v1/rooms/r/participants', { token: t });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.participant.name, 'Why');
    assert.equal(r.json.participant.metadata, '{"m":1}');
    assert.deepEqual(r.json.participant.permissions,
      { can_publish: false, can_subscribe: true, can_publish_data: false });
  });

  it('keys come from the environment or a config file as for the server; --key picks one', async () => {
    let t = await token(['--identity', 'z', '--room', 'r'], { PARLEY_AUTH_KEYS: KEYS });
    let r = await api(srv.url, 'POST', '/v1/rooms/r/participants', { token: t });
    assert.equal(r.status, 201, r.text);
    t = await token(['--admin-all', '--key', OTHER_KEY, '--set',
      `auth.keys=${KEYS};${OTHER_KEY}:${OTHER_SECRET}`]);
    assert.equal(JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString()).iss, OTHER_KEY);
    r = await api(srv.url, 'GET', '/v1/rooms', { token: t });
    assert.equal(r.status, 200, r.text);
  });

  it('--admin-all makes a server token: create and list', async () => {
    const t = await token(['--admin-all', '--set', `auth.keys=${KEYS}`]);
    let r = await api(srv.url, 'POST', '/v1/rooms', { token: t, body: { name: 'cli-room' } });
    assert.equal(r.status, 201, r.text);
    r = await api(srv.url, 'GET', '/v1/rooms', { token: t });
    assert.equal(r.status, 200);
    assert.ok(r.json.rooms.some((x) => x.name === 'cli-room'));
    // it cannot join: no identity, no roomJoin
    r = await api(srv.url, 'POST', '/v1/rooms/cli-room/participants', { token: t });
    assert.equal(r.status, 403, r.text);
  });

  it('--admin --room makes a room admin token without join', async () => {
    const t = await token(['--room', 'cli-room', '--admin', '--set', `auth.keys=${KEYS}`]);
    let r = await api(srv.url, 'PATCH', '/v1/rooms/cli-room', { token: t, body: { metadata: 'adm' } });
    assert.equal(r.status, 200, r.text);
    r = await api(srv.url, 'GET', '/v1/rooms', { token: t });
    assert.equal(r.status, 403);
  });

  it('a token signed with another secret is refused by the server', async () => {
    const t = await token(['--identity', 'x', '--room', 'r', '--set',
      `auth.keys=${API_KEY}:a-different-secret-0123456789abcdefghij`]);
    const r = await api(srv.url, 'POST', '/v1/rooms/r/participants', { token: t });
    assert.equal(r.status, 401);
    assert.equal(errorOf(r).code, 'unauthorized');
  });

  it('--ttl sets the lifetime; a non-positive or non-numeric one is refused', async () => {
    const t = await token(['--admin-all', '--ttl', '120', '--set', `auth.keys=${KEYS}`]);
    const p = JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString());
    assert.equal(p.exp - p.nbf, 120);
    for (const ttl of ['0', '-5', 'abc']) {
      const r = await runParleyd(['token', '--admin-all', '--ttl', ttl, '--set', `auth.keys=${KEYS}`]);
      assert.equal(r.code, 2, `ttl ${ttl}`);
    }
  });

  it('dev mode tokens use the dev key and join a dev server', async () => {
    const dev = await startServer({ args: ['--dev'] });
    try {
      const t = await token(['--identity', 'devx', '--room', 'dr', '--dev']);
      const r = await api(dev.url, 'POST', '/v1/rooms/dr/participants', { token: t });
      assert.equal(r.status, 201, r.text);
      const p = await api(srv.url, 'POST', '/v1/rooms/dr/participants', { token: t });
      assert.equal(p.status, 401, 'not accepted by a production server');
    } finally {
      assert.equal(await dev.stop(), 0);
    }
  });

  it('usage errors exit 2; --help exits 0', async () => {
    for (const args of [[], ['--identity', 'x'], ['--room', 'r'], ['--identity'],
      ['--identity', 'x', '--room', 'r', '--key', 'APInope', '--set', `auth.keys=${KEYS}`],
      ['--identity', 'x', '--room', 'r']]) {
      const r = await runParleyd(['token', ...args]);
      assert.equal(r.code, 2, `${args}: ${r.stdout}`);
      assert.equal(r.stdout, '', 'no token printed');
      assert.ok(r.stderr.length > 0);
    }
    const h = await runParleyd(['token', '--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /usage: parleyd token/);
  });
});
