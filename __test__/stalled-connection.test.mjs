// Connections that stop forwarding without closing: a stalled proxy, a NAT
// entry dropped silently, a peer that vanished. The real API server cannot
// produce that on demand, so a loopback TCP relay sits between the SDK and
// the real API server and freezes its open connections (new ones still pass).
// An open watch must notice within 60 s and resume with no event lost; an
// idle exec must end with a coded error within 60 s, not hang.
import { assert, describe, it, before, after, until } from './helpers/harness.mjs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sdk from '../index.js';
import { freshNamespace, kubeConfigFor, sandboxManifest, testKubeconfig } from './helpers/cluster.mjs';

/** A TCP relay on 127.0.0.1 to `port` whose open connections can be frozen. */
class StallingRelay {
  constructor(port) {
    this.pairs = [];
    this.sockets = new Set();
    this.connections = 0;
    this.server = net.createServer((client) => {
      const upstream = net.connect(port, '127.0.0.1');
      const pair = { client, upstream };
      this.pairs.push(pair);
      this.connections++;
      for (const s of [client, upstream]) this.sockets.add(s);
      for (const s of [client, upstream]) s.on('error', () => {}).on('close', () => { client.destroy(); upstream.destroy(); });
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }
  listen() {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve(this.server.address().port)));
  }
  /** Stops forwarding on every open connection, leaving them open. */
  stall() {
    for (const { client, upstream } of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
    this.pairs = [];
  }
  close() {
    this.server.close();
    for (const s of this.sockets) s.destroy();
  }
}

/** A kubeconfig file like the test cluster's, whose server is the relay. */
function relayedKubeconfig(dir, relayPort) {
  const text = readFileSync(testKubeconfig(), 'utf8');
  const path = join(dir, 'kubeconfig');
  writeFileSync(path, text.replace(/server: https:\/\/127\.0\.0\.1:\d+/, `server: https://127.0.0.1:${relayPort}`));
  return path;
}

const serverPort = () => Number(/server: https:\/\/127\.0\.0\.1:(\d+)/.exec(readFileSync(testKubeconfig(), 'utf8'))[1]);

describe('connections that stall without closing', () => {
  let ns;
  let direct;
  let dir;
  const relays = [];
  const relayedClient = async () => {
    const relay = new StallingRelay(serverPort());
    relays.push(relay);
    const port = await relay.listen();
    const kubeConfig = sdk.loadKubeConfig({ kubeconfigPath: relayedKubeconfig(dir, port) });
    return { relay, client: new sdk.AgentSandboxClient({ kubeConfig, namespace: ns.name }) };
  };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stall-'));
    const kc = kubeConfigFor();
    ns = await freshNamespace(kc, 'stall');
    direct = new sdk.AgentSandboxClient({ kubeConfig: kc, namespace: ns.name });
  });
  after(async () => {
    for (const relay of relays) relay.close();
    await ns?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an open watch notices within 60 s and resumes with no event lost', async () => {
    const { relay, client } = await relayedClient();
    const events = [];
    const handle = client.watchSandboxes((ev) => events.push(`${ev.type}:${ev.object.metadata.name}`));
    try {
      await direct.createSandbox(sandboxManifest('first'));
      await until('ADDED:first', () => events.includes('ADDED:first'));
      const connectionsBefore = relay.connections;
      relay.stall();
      // Changes the frozen connection cannot carry.
      await direct.createSandbox(sandboxManifest('second'));
      await direct.deleteSandbox('first');
      await until('the watch to resume and report both changes', () => events.includes('ADDED:second') && events.includes('DELETED:first'), {
        timeoutMs: 60_000,
        intervalMs: 250,
        detail: () => events.join(' '),
      });
      assert.ok(relay.connections > connectionsBefore, 'the watch reconnected through the relay');
      // Resumed from its last version: nothing repeated, nothing missed.
      assert.equal(events.filter((e) => e === 'ADDED:first').length, 1);
      assert.equal(events.filter((e) => e === 'ADDED:second').length, 1);
      assert.equal(events.filter((e) => e === 'DELETED:first').length, 1);
    } finally {
      handle.stop();
      await handle.done;
    }
  });

  it('an idle exec notices within 60 s and fails with a coded error', async () => {
    await direct.createSandbox(sandboxManifest('box'));
    await direct.waitForReady('box', { timeoutMs: 60_000, pollIntervalMs: 200 });
    const { relay, client } = await relayedClient();
    const h = await client.execStream({ sandboxName: 'box', command: ['sleep', '600'] });
    try {
      relay.stall();
      const outcome = await Promise.race([
        h.wait().then((r) => ({ settled: r }), (err) => ({ err })),
        new Promise((r) => setTimeout(() => r({ hung: true }), 60_000)),
      ]);
      assert.ok(!outcome.hung, 'the exec session was still waiting after 60 s');
      assert.ok(outcome.err, `expected an error, got ${JSON.stringify(outcome)}`);
      assert.ok(outcome.err instanceof sdk.ExecError, String(outcome.err));
      assert.equal(outcome.err.code, 'EXEC_FAILED');
      assert.match(outcome.err.message, /silent/);
    } finally {
      await h.kill();
    }
  });
});
