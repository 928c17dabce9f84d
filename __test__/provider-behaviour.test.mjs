// One behaviour suite, two providers: the same create / exec / stream / file
// round trip / tmux / stop / recover / events tests against the Kubernetes
// provider on the local control plane (k8s/testenv; on its real node when it
// has one, else on the kwok node) and the Docker provider on a real dockerd
// (docker/testenv, AGENT_SANDBOX_TEST_DOCKER_HOST).
import { assert, describe, it, before, after, until, within } from './helpers/harness.mjs';
import { createInterface } from 'node:readline';
import { connect } from 'node:net';
import { once } from 'node:events';
import { readdirSync, readlinkSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import * as sdk from '../index.js';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeConfigFor, freshNamespace, leastPrivilegeKubeconfig, realNode, sandboxConfig, testKubeconfig } from './helpers/cluster.mjs';

const INDEX = new URL('../index.js', import.meta.url).href;

const run = `${process.pid}-${Date.now().toString(36)}`;
// Kubernetes sandboxes run on the test cluster's real node when it has one.
const NODE = realNode('v0.5.6');
const onNode = (label) => (NODE ? `${label}, real node` : label);

/** Each backend: how to make a provider (a fresh scope each time it is set up) and a sandbox config. */
const BACKENDS = [
  {
    name: 'kubernetes',
    label: onNode('kubernetes'),
    async setUp() {
      const kc = kubeConfigFor('v0.5.6');
      const ns = await freshNamespace(kc, 'behave', NODE);
      const namespaces = new sdk.CustomResourceCrud(kc, { group: '', version: 'v1', plural: 'namespaces' });
      await namespaces.patch('', ns.name, { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } });
      const client = new sdk.AgentSandboxClient({ kubeConfig: kc, namespace: ns.name });
      const otherNs = await freshNamespace(kc, 'behave-other', NODE);
      return {
        provider: () => sdk.createAgentSandboxProvider({ client, namespace: ns.name, readyTimeoutSeconds: 60 }),
        // A port is forwarded into the pod's network namespace (on the kwok
        // node: this host's loopback, where its commands run).
        listenHost: '127.0.0.1',
        // What another process passes to createSandboxProvider for the same sandboxes.
        processOptions: { kind: 'kubernetes', kubeConfigPath: testKubeconfig('v0.5.6'), namespace: ns.name, readyTimeoutSeconds: 60 },
        otherScope: { kind: 'kubernetes', kubeConfigPath: testKubeconfig('v0.5.6'), namespace: otherNs.name },
        config: (codespaceId, extra) => sandboxConfig(codespaceId, extra, NODE),
        cleanup: async () => {
          await ns.cleanup();
          await otherNs.cleanup();
        },
      };
    },
  },
  {
    // The same suite as the service account of k8s/manifests/rbac.yaml (in a
    // test namespace): the SDK and the provider need nothing broader.
    name: 'kubernetes',
    label: onNode('kubernetes, least-privilege service account'),
    async setUp() {
      const kc = kubeConfigFor('v0.5.6');
      const ns = await freshNamespace(kc, 'behave-sa', NODE);
      const otherNs = await freshNamespace(kc, 'behave-sa-other', NODE);
      const namespaces = new sdk.CustomResourceCrud(kc, { group: '', version: 'v1', plural: 'namespaces' });
      await namespaces.patch('', ns.name, { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } });
      const sa = leastPrivilegeKubeconfig('v0.5.6', ns.name);
      const kubeConfigPath = sa.kubeconfigPath;
      const client = new sdk.AgentSandboxClient({ kubeconfigPath: kubeConfigPath, namespace: ns.name });
      // Nothing broader: what the role does not grant is a coded 403 naming the verb and resource.
      const secrets = new sdk.CustomResourceCrud(sa.kubeConfig, { group: '', version: 'v1', plural: 'secrets' });
      await assert.rejects(secrets.list({ namespace: ns.name }), (e) => {
        assert.deepEqual([e.code, e.statusCode], ['K8S_API_ERROR', 403], e.message);
        assert.match(e.message, /cannot list resource "secrets"/);
        return true;
      });
      return {
        provider: () => sdk.createAgentSandboxProvider({ client, namespace: ns.name, readyTimeoutSeconds: 60 }),
        listenHost: '127.0.0.1',
        processOptions: { kind: 'kubernetes', kubeConfigPath, namespace: ns.name, readyTimeoutSeconds: 60 },
        // Another scope's process is an admin's: the service account may not look there.
        otherScope: { kind: 'kubernetes', kubeConfigPath: testKubeconfig('v0.5.6'), namespace: otherNs.name },
        config: (codespaceId, extra) => sandboxConfig(codespaceId, extra, NODE),
        cleanup: async () => {
          sa.cleanup();
          await ns.cleanup();
          await otherNs.cleanup();
        },
      };
    },
  },
  {
    name: 'docker',
    skip: !process.env.AGENT_SANDBOX_TEST_DOCKER_HOST && 'AGENT_SANDBOX_TEST_DOCKER_HOST is not set (scripts/test.sh starts docker/testenv)',
    async setUp() {
      const dockerHost = process.env.AGENT_SANDBOX_TEST_DOCKER_HOST;
      const image = process.env.AGENT_SANDBOX_TEST_DOCKER_IMAGE;
      const namespace = `behave-${run}`;
      const made = [];
      return {
        provider: () => {
          const p = new sdk.DockerSandboxProvider({ dockerHost, namespace, image, readyTimeoutSeconds: 60 });
          made.push(p);
          return p;
        },
        // Forwarded connections reach the container's address, not its loopback.
        listenHost: '0.0.0.0',
        processOptions: { kind: 'docker', dockerHost, namespace, image, readyTimeoutSeconds: 60 },
        otherScope: { kind: 'docker', dockerHost, namespace: `${namespace}-other`, image },
        config: (codespaceId, extra) => ({ ...sandboxConfig(codespaceId, extra), image, memoryMb: 256 }),
        // Whatever a failed test left: a fresh provider adopts and stops it.
        cleanup: async () => {
          const p = new sdk.DockerSandboxProvider({ dockerHost, namespace });
          await p.recover();
          await p.cleanup({ status: ['running', 'idle', 'creating', 'error', 'stopped'] });
        },
      };
    },
  },
];

// ── ports and logs ───────────────────────────────────────────────────────
/**
 * An HTTP server for inside a sandbox (node is in the agent image): GET
 * /bytes/<n>/<seed> answers n bytes of a pattern; GET /stats the number of
 * connections seen. It prints its port once listening on argv[1].
 */
const HTTP_SERVER = `
const http = require('http');
let connections = 0;
const pattern = (n, seed) => { const b = Buffer.alloc(n); for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) % 251; return b; };
const server = http.createServer((req, res) => {
  const [, what, n, seed] = req.url.split('/');
  if (what === 'stats') return res.end(JSON.stringify({ connections }));
  res.setHeader('content-type', 'application/octet-stream');
  res.end(pattern(Number(n), Number(seed)));
});
server.on('connection', () => connections++);
server.listen(0, process.argv[1], () => console.log(server.address().port));
`;
const pattern = (n, seed) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) % 251));

/** Starts HTTP_SERVER in `box`; resolves its port and a stop(). */
async function startHttpServer(box, host) {
  const stream = await box.execStream({ cmd: 'node', args: ['-e', HTTP_SERVER, host], killSignal: 'SIGTERM' });
  const lines = createInterface({ input: stream.stdout })[Symbol.asyncIterator]();
  const first = await within('the server to print its port', lines.next());
  const port = Number(first.value);
  assert.ok(port > 0, `the server printed ${JSON.stringify(first.value)}`);
  return { port, stop: () => stream.kill() };
}

/** GETs `paths` one after another on one keep-alive connection to 127.0.0.1:port; resolves the bodies. */
async function getOnOneConnection(port, paths) {
  const socket = connect(port, '127.0.0.1');
  await within('a connection to the forward', once(socket, 'connect'));
  let buffered = Buffer.alloc(0);
  let wake;
  socket.on('data', (d) => {
    buffered = Buffer.concat([buffered, d]);
    wake?.();
  });
  const closed = once(socket, 'close');
  const more = () => new Promise((resolve, reject) => {
    wake = resolve;
    closed.then(() => reject(new Error(`the connection closed with ${buffered.length} bytes unread`)));
  });
  const bodies = [];
  for (const path of paths) {
    socket.write(`GET ${path} HTTP/1.1\r\nHost: sandbox\r\nConnection: keep-alive\r\n\r\n`);
    let end;
    while ((end = buffered.indexOf('\r\n\r\n')) < 0) await within(`the head of ${path}`, more());
    const head = buffered.subarray(0, end).toString('latin1');
    assert.match(head, /^HTTP\/1\.1 200 /, head);
    const length = Number(/content-length: (\d+)/i.exec(head)?.[1]);
    while (buffered.length < end + 4 + length) await within(`the body of ${path}`, more());
    bodies.push(buffered.subarray(end + 4, end + 4 + length));
    buffered = buffered.subarray(end + 4 + length);
  }
  socket.end();
  return bodies;
}

/** This process's open sockets (inode numbers), from /proc/self/fd. */
function openSockets() {
  const inodes = new Set();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {}
  }
  return inodes;
}

/** openSockets() once it has stopped changing (the connections of finished execs are closed). */
async function settledSockets() {
  let before = openSockets();
  for (let i = 0; i < 40; i++) {
    await new Promise((r) => setTimeout(r, 250));
    const now = openSockets();
    if (now.size === before.size && [...now].every((s) => before.has(s))) return now;
    before = now;
  }
  return before;
}

/** Prints `lines` to the sandbox's log: its main process's stdout (the test node's stand-in for it when there is one). */
const printToLog = (box, ...lines) =>
  box.exec('sh', ['-c', 'for l in "$@"; do printf "%s\\n" "$l" > "${SDK_TESTENV_STDOUT:-/proc/1/fd/1}"; done', 'sh', ...lines]);

/** A shell that prints each line of its input to the sandbox's log (the lines are data, never script text). */
const PRINT_INPUT_LINES = 'out="${SDK_TESTENV_STDOUT:-/proc/1/fd/1}"; while IFS= read -r l; do printf "%s\\n" "$l" > "$out"; done';

/**
 * `count` hostile log lines from `seed` (reported on failure): shell syntax
 * that would run `touch marker` if it were ever part of script text, quotes,
 * format directives, option-like words, escapes, wide and control
 * characters. No line end or NUL: those cannot be one line or one argument.
 */
function hostileLines(seed, count, marker) {
  const pieces = [`$(touch ${marker})`, `\`touch ${marker}\``, `'; touch ${marker}; '`, `"; touch ${marker}; "`, '&&', '||', '|', ';', '>', '<', '*', '?', '~',
    '$HOME', '${IFS}', '%s', '%n', '%%', '\\', '\\n', '-n', '-e', '--', ' ', '  ', '\t', 'é', '漢字', '🙂', '\u001b[31m', '\u007f', 'plain'];
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, () => Array.from({ length: 1 + Math.floor(next() * 6) }, () => pieces[Math.floor(next() * pieces.length)]).join(''));
}

/** Every line of a (not followed) log, within 30 s. */
const readLog = (box, options) =>
  within(`logs(${JSON.stringify(options ?? {})})`, (async () => {
    const lines = [];
    for await (const line of box.logs(options)) lines.push(line);
    return lines;
  })());

/**
 * Asserts that the log stream's connection is closed soon after it ended:
 * one of the sockets open while it was read (and nothing else in this
 * process was talking: see the printer above) is gone within 10 s. A
 * pooled connection it reused is closed too: a response cut short is never
 * put back into the pool.
 */
async function assertLogConnectionClosed(before, whileReading) {
  const opened = [...whileReading].filter((inode) => !before.has(inode));
  await until('the log connection to close', () => [...whileReading].some((i) => !openSockets().has(i)), {
    timeoutMs: 10_000,
    detail: () => `opened while reading: ${opened.join(', ') || 'none (a pooled one was reused)'}`,
  });
}

const recordEvents = (provider) => {
  const events = [];
  provider.on((e) => events.push(e));
  return events;
};

for (const backend of BACKENDS) {
  if (backend.skip) {
    console.warn(`provider behaviour (${backend.name}) not run: ${backend.skip}`);
    continue;
  }
  describe(`provider behaviour (${backend.label ?? backend.name})`, () => {
    let env;
    before(async () => {
      env = await backend.setUp();
    });
    after(() => env?.cleanup());

    it('create → exec → execStream → files → stop, with the events in order', async () => {
      const provider = env.provider();
      const events = recordEvents(provider);
      const box = await provider.create(env.config('cs-flow'));
      assert.equal(provider.name, backend.name);
      assert.equal(box.status, 'running');
      assert.equal(box.codespaceId, 'cs-flow');
      assert.equal(await provider.get('cs-flow'), box);

      assert.deepEqual(await box.exec('sh', ['-c', 'echo out; echo err >&2; exit 3']), { exitCode: 3, stdout: 'out', stderr: 'err' });

      // An agent-like stream: NDJSON lines, env and cwd, stdin ended by the caller.
      const script = 'pwd; cat; printf \'{"prompt":"%s"}\\n\' "$AGENT_PROMPT"';
      const stream = await box.execStream({
        cmd: 'sh',
        args: ['-c', script],
        env: { AGENT_PROMPT: "it's $HOME; `fine`" },
        cwd: '/tmp',
        stdin: Readable.from([Buffer.from('from stdin\n')]),
      });
      const lines = [];
      for await (const line of createInterface({ input: stream.stdout })) lines.push(line);
      assert.deepEqual(await stream.wait(), { exitCode: 0 });
      assert.deepEqual(lines, ['/tmp', 'from stdin', '{"prompt":"it\'s $HOME; `fine`"}']);

      // Files: bytes and mode kept; a missing file is a coded error.
      const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
      const path = `/tmp/behave-${run}.bin`;
      await box.writeFile(path, bytes, 0o750);
      assert.deepEqual(await box.readFile(path), bytes);
      assert.equal((await box.exec('stat', ['-c', '%a', path])).stdout, '750');
      await assert.rejects(box.readFile(`/tmp/none-${run}`), (e) => e instanceof sdk.K8sError && e.code === 'K8S_EXEC_FAILED');

      await box.stop();
      assert.equal(box.status, 'stopped');
      assert.equal(await provider.getById(box.id), null);
      assert.deepEqual(
        events.map((e) => e.type),
        ['sandbox:creating', 'sandbox:created', 'sandbox:started', 'sandbox:stopping', 'sandbox:stopped'],
      );
      assert.deepEqual(events[1], { type: 'sandbox:created', sandboxId: box.id, codespaceId: 'cs-flow', containerId: box.containerId });
    });

    it('refuses a second sandbox per codespace with K8S_POD_ALREADY_EXISTS', async () => {
      const provider = env.provider();
      const box = await provider.create(env.config('cs-twice'));
      await assert.rejects(provider.create(env.config('cs-twice')), (e) => e.code === 'K8S_POD_ALREADY_EXISTS' && e.statusCode === 409);
      await assert.rejects(env.provider().create(env.config('cs-twice')), (e) => e.code === 'K8S_POD_ALREADY_EXISTS');
      await box.stop();
    });

    it('a command that cannot start never quotes an environment value', async () => {
      const provider = env.provider();
      const box = await provider.create(env.config('cs-secret'));
      const canary = `canary-${run}-value`;
      for (const options of [{ cmd: '/nonexistent/agent' }, { cmd: 'sh', args: ['-c', 'true'], cwd: '/nonexistent/dir' }]) {
        let seen;
        try {
          const stream = await box.execStream({ ...options, env: { API_TOKEN: canary } });
          const result = await stream.wait();
          assert.notEqual(result.exitCode, 0, JSON.stringify(options));
          seen = JSON.stringify(result);
        } catch (e) {
          assert.ok(e instanceof sdk.AgentSandboxError, String(e));
          seen = JSON.stringify({ message: e.message, details: e.details, cause: e.cause?.message });
        }
        assert.ok(!seen.includes(canary), `${JSON.stringify(options)}: ${seen}`);
      }
      await box.stop();
    });

    it('runs tmux sessions', async () => {
      const provider = env.provider();
      const box = await provider.create(env.config('cs-tmux'));
      const name = `agent-${run}`;
      const session = await box.createTmuxSession(name, 'task-1');
      assert.deepEqual([session.name, session.taskId, session.windowCount], [name, 'task-1', 1]);
      await assert.rejects(box.createTmuxSession(name), (e) => e.code === 'K8S_TMUX_SESSION_EXISTS');
      assert.ok((await box.listTmuxSessions()).some((s) => s.name === name));
      await box.sendKeysToTmux(name, 'echo behave-$((6*7))');
      let pane = '';
      await until('the keys to reach the pane', async () => (pane = await box.captureTmuxPane(name, 50)).includes('behave-42'), { detail: () => pane });
      await box.killTmuxSession(name);
      assert.ok(!(await box.listTmuxSessions()).some((s) => s.name === name));
      await box.stop();
    });

    it('recover() finds what another process made, and nothing of another scope', async () => {
      // Two child processes each make a sandbox and exit without stopping it:
      // one in this provider's scope, one in another.
      // The child's inputs travel as argv entries, never in its source text.
      const CHILD = `const [index, options, config] = process.argv.slice(1);
        const sdk = await import(index);
        const p = await sdk.createSandboxProvider(JSON.parse(options));
        const box = await p.create(JSON.parse(config));
        process.stdout.write(box.id);`;
      const made = (options, codespaceId) =>
        execFileSync(process.execPath, ['--input-type=module', '-e', CHILD, INDEX, JSON.stringify(options), JSON.stringify(env.config(codespaceId))], {
          encoding: 'utf8',
          timeout: 120_000,
        }).trim();
      const mine = made(env.processOptions, 'cs-orphan');
      const foreign = made(env.otherScope, 'cs-orphan');
      const provider = env.provider();
      const result = await provider.recover();
      assert.ok(result.recovered >= 1, JSON.stringify(result));
      const ids = (await provider.list()).map((i) => i.id);
      assert.ok(ids.includes(mine) && !ids.includes(foreign), JSON.stringify({ ids, mine, foreign }));
      const adopted = await provider.get('cs-orphan');
      assert.equal(adopted.id, mine);
      await adopted.stop();
      const other = await sdk.createSandboxProvider(env.otherScope);
      await other.recover();
      await (await other.get('cs-orphan')).stop();
    });

    it('forwardPort: 100 requests over 10 parallel connections, byte-exact; close() stops it', async () => {
      const provider = env.provider();
      const box = await provider.create(env.config('cs-ports'));
      const server = await startHttpServer(box, env.listenHost);
      const forward = await box.forwardPort(server.port);
      try {
        assert.equal(forward.localAddress, '127.0.0.1');
        assert.equal(forward.remotePort, server.port);
        assert.equal(forward.url, `http://127.0.0.1:${forward.localPort}`);
        const failures = [];
        forward.on('connectionError', (e) => failures.push(e));
        const idleSince = box.getLastActivity().getTime();
        await new Promise((r) => setTimeout(r, 20));
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, c) => {
            const paths = Array.from({ length: 10 }, (_, r) => `/bytes/${20_000 + c * 1000 + r * 7}/${c * 10 + r}`);
            return getOnOneConnection(forward.localPort, paths).then((bodies) => ({ c, bodies }));
          }),
        );
        for (const { c, bodies } of results) {
          assert.equal(bodies.length, 10);
          bodies.forEach((body, r) => assert.ok(body.equals(pattern(20_000 + c * 1000 + r * 7, c * 10 + r)), `connection ${c}, request ${r}`));
        }
        const [stats] = await getOnOneConnection(forward.localPort, ['/stats']);
        assert.deepEqual(JSON.parse(stats), { connections: 11 });
        // Traffic through the forward is activity: the sandbox is not idle.
        assert.ok(box.getLastActivity().getTime() > idleSince, 'a forwarded connection marks the sandbox active');
        assert.deepEqual(failures, []);
      } finally {
        await forward.close();
        await server.stop();
      }
      // Closed: nothing listens on its port any more.
      const refused = connect(forward.localPort, '127.0.0.1');
      const [err] = await within('the refused connection', once(refused, 'error'));
      assert.equal(err.code, 'ECONNREFUSED');
      await box.stop();
    });

    it('forwardPort to a port nobody listens on: a coded error on the first connection', async () => {
      const provider = env.provider();
      const box = await provider.create(env.config('cs-noport'));
      const aborter = new AbortController();
      const forward = await box.forwardPort(9, { signal: aborter.signal });
      const reported = once(forward, 'connectionError');
      const socket = connect(forward.localPort, '127.0.0.1');
      socket.on('error', () => {}); // a reset is as good as a close here
      const closed = new Promise((resolve) => socket.on('close', resolve));
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      await within('the connection to close', closed); // closed, not left hanging
      const [error] = await within('the connectionError event', reported);
      assert.ok(error instanceof sdk.AgentSandboxError, String(error));
      assert.equal(error.code, 'PORT_FORWARD_FAILED');
      assert.equal(error.statusCode, 502);
      assert.match(error.message, /port 9 of sandbox .* could not be reached: .*; is a server listening on it inside the sandbox\?/);
      // The signal closes the forward.
      aborter.abort();
      await within('the aborted forward to close', forward.closed);
      await box.stop();
    });

    it('logs: tailLines gives exactly that many; follow yields later lines and ends on break or abort, closing its connection', async () => {
      const provider = env.provider();
      const box = await provider.create(env.config('cs-logs'));
      await printToLog(box, 'one', 'two with  spaces', 'three', 'four');
      const tail = await readLog(box, { tailLines: 3 });
      assert.deepEqual(tail, ['two with  spaces', 'three', 'four']);
      const all = await readLog(box);
      assert.deepEqual(all, ['one', 'two with  spaces', 'three', 'four']);
      const stamped = await readLog(box, { tailLines: 1, timestamps: true });
      assert.match(stamped[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z four$/);

      // Follow from now: lines printed after the call arrive, the old ones do not.
      // While following, lines are printed by one shell whose session was
      // opened before (its input carries them): this process then makes no
      // other connection, so the one that closes after `break` is the log's.
      const printerInput = new PassThrough();
      const printer = await box.execStream({
        cmd: 'sh',
        args: ['-c', PRINT_INPUT_LINES],
        stdin: printerInput,
      });
      const print = (line) => printerInput.write(`${line}\n`);
      let before = await settledSockets();
      const follow = box.logs({ follow: true, tailLines: 0 })[Symbol.asyncIterator]();
      const first = follow.next();
      let seen = null;
      for (let i = 0; seen === null && i < 100; i++) {
        print(`later-${i}`);
        seen = await Promise.race([first, new Promise((r) => setTimeout(() => r(null), 300))]);
      }
      assert.ok(seen && !seen.done && /^later-\d+$/.test(seen.value), JSON.stringify(seen));
      const n = Number(seen.value.slice('later-'.length));
      print('after-a');
      print('after-b');
      const next = [];
      while (next.length === 0 || next.at(-1) !== 'after-b') next.push((await within('a followed line', follow.next())).value);
      assert.deepEqual(next.filter((l) => l.startsWith('after-')), ['after-a', 'after-b']);
      assert.ok(next.every((l) => l.startsWith('after-') || Number(l.slice('later-'.length)) > n), JSON.stringify(next));
      let during = await settledSockets();
      await follow.return(); // what `break` does
      await assertLogConnectionClosed(before, during);

      // Abort ends a pending follow quietly.
      const aborter = new AbortController();
      before = await settledSockets();
      const lines = [];
      const reading = (async () => {
        for await (const line of box.logs({ follow: true, tailLines: 0, signal: aborter.signal })) lines.push(line);
      })();
      await until('a followed line', async () => {
        print('abort-me');
        await new Promise((r) => setTimeout(r, 200));
        return lines.length > 0;
      });
      during = await settledSockets(); // and no line is on its way
      aborter.abort();
      await within('the aborted iteration to end', reading, 10_000);
      assert.equal(lines[0], 'abort-me');
      await assertLogConnectionClosed(before, during);
      printerInput.end();
      assert.deepEqual(await within('the printer to exit', printer.wait()), { exitCode: 0 });

      // As a Node Readable.
      const text = await within('the log as a Readable', box.logStream({ tailLines: 2 }).toArray());
      assert.match(text.join(''), /abort-me\n$/);

      // A line without end from the sandbox: pieces of at most 64 KiB, nothing lost.
      await box.exec('sh', ['-c', 'out="${SDK_TESTENV_STDOUT:-/proc/1/fd/1}"; head -c 300000 /dev/zero | tr "\\000" a > "$out"; echo end > "$out"']);
      const pieces = (await readLog(box, { sinceSeconds: 3600 })).filter((line) => /^a+(end)?$/.test(line));
      assert.ok(pieces.length >= 5, `${pieces.length} pieces`);
      assert.ok(pieces.every((p) => p.length <= 64 * 1024), pieces.map((p) => p.length).join(','));
      assert.equal(pieces.join(''), `${'a'.repeat(300_000)}end`);
      await box.stop();
      // Once its pod or container is gone, a stopped sandbox's log is a coded error, not an empty stream.
      let last;
      await until('logs of the stopped sandbox to be NOT_FOUND', async () => {
        last = await box.logs().next().then((r) => r, (e) => e);
        return last instanceof sdk.AgentSandboxError && last.code === 'NOT_FOUND';
      }, { detail: () => String(last?.message ?? JSON.stringify(last)) });
    });

    it('logs: hostile lines, printed as argument entries and as input, come back exactly and run nothing', async () => {
      const provider = env.provider();
      const box = await provider.create(env.config('cs-hostile-log'));
      const marker = `/tmp/pwned-log-${run}`;
      const seed = Number(process.env.HOSTILE_SEED ?? Date.now() % 2 ** 31);
      const lines = hostileLines(seed, 120, marker);
      assert.equal((await printToLog(box, ...lines.slice(0, 60))).exitCode, 0);
      const input = new PassThrough();
      const printer = await box.execStream({ cmd: 'sh', args: ['-c', PRINT_INPUT_LINES], stdin: input });
      input.end(`${lines.slice(60).join('\n')}\n`);
      assert.deepEqual(await within('the printer to exit', printer.wait()), { exitCode: 0 });
      assert.deepEqual(await readLog(box), lines, `seed ${seed} (HOSTILE_SEED=${seed} repeats it)`);
      assert.equal((await box.exec('test', ['-e', marker])).exitCode, 1, `seed ${seed}: a line was run`);
      await box.stop();
    });

    it('recover() in a fresh provider adopts the live sandbox, and get() returns it', async () => {
      const first = env.provider();
      const box = await first.create(env.config('cs-recover'));
      const again = env.provider();
      const result = await again.recover();
      assert.ok(result.recovered >= 1, JSON.stringify(result));
      const found = await again.get('cs-recover');
      assert.equal(found.id, box.id);
      assert.deepEqual((await found.exec('echo', ['adopted'])).stdout, 'adopted');
      const listed = (await again.list()).find((i) => i.id === box.id);
      assert.equal(listed.status, 'running');
      assert.equal(listed.codespaceId, 'cs-recover');
      await found.stop();
      assert.equal(await again.get('cs-recover'), null);
    });
  });
}

describe('createSandboxProvider({ kind: auto }) picks the backend that answers', () => {
  const dockerHost = process.env.AGENT_SANDBOX_TEST_DOCKER_HOST;
  const noDocker = 'unix:///nonexistent/agent-sandbox-sdk/docker.sock';
  const noKubeconfig = join(tmpdir(), 'nonexistent-agent-sandbox-kubeconfig');

  it('the cluster when it serves the Agent Sandbox CRDs and the namespace', async () => {
    const provider = await sdk.createSandboxProvider({ kubeConfigPath: testKubeconfig('v0.5.6'), dockerHost: noDocker });
    assert.equal(provider.name, 'kubernetes');
  });

  it('a Docker daemon when there is no cluster', { skip: !dockerHost && 'no test dockerd' }, async () => {
    const provider = await sdk.createSandboxProvider({ kubeConfigPath: noKubeconfig, dockerHost });
    assert.equal(provider.name, 'docker');
    assert.equal((await provider.healthCheck()).healthy, true);
  });

  it('NO_SANDBOX_BACKEND (503) naming both when neither answers', async () => {
    await assert.rejects(sdk.createSandboxProvider({ kubeConfigPath: noKubeconfig, dockerHost: noDocker }), (e) => {
      assert.ok(e instanceof sdk.AgentSandboxError);
      assert.deepEqual([e.code, e.statusCode], ['NO_SANDBOX_BACKEND', 503]);
      assert.match(e.message, /Kubernetes: .*Docker: .*nonexistent\/agent-sandbox-sdk\/docker\.sock/);
      // Why there was no cluster: the kubeconfig's own error (its path, never its content).
      assert.match(e.message, /Kubernetes: no usable kubeconfig \(.*nonexistent-agent-sandbox-kubeconfig/);
      return true;
    });
  });

  it('an explicit kind is taken as given', async () => {
    const provider = await sdk.createSandboxProvider({ kind: 'docker', dockerHost: noDocker });
    assert.equal(provider.name, 'docker');
    assert.equal((await provider.healthCheck()).healthy, false);
  });
});
