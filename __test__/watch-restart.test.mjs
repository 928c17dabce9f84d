// A watch survives a kube-apiserver restart and an etcd compaction: every
// later change, and the final state, still arrive. Uses a control plane of
// its own, so restarting its API server disturbs no other test.
import { assert, describe, it, before, after, until } from './helpers/harness.mjs';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as sdk from '../index.js';
import { sandboxManifest } from './helpers/cluster.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const instance = `watch-restart-${process.pid}`;
const testenv = (command, ...args) =>
  execFileSync(join(root, 'k8s/testenv', command), ['--instance', instance, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, AGENT_SANDBOX_VERSION: 'v0.5.6' },
  });
const retry = async (fn) => {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i > 100) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
};

/** Compacts etcd to its current revision, through its HTTP gateway. */
async function compactEtcd(envFile) {
  const port = readFileSync(envFile, 'utf8').match(/^ETCD_PORT=(\d+)$/m)[1];
  const post = (path, body) =>
    fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());
  const { header } = await post('/v3/kv/range', { key: Buffer.from('/').toString('base64') });
  await post('/v3/kv/compaction', { revision: header.revision, physical: true });
  return Number(header.revision);
}

describe('watch across a kube-apiserver restart and an etcd compaction', () => {
  let kubeconfig;
  before(() => {
    kubeconfig = testenv('up').trim().split('\n').pop();
  });
  after(() => {
    testenv('down');
  });

  it('delivers every later change and the final state', async () => {
    const client = new sdk.AgentSandboxClient({ kubeConfig: sdk.loadKubeConfig({ kubeconfigPath: kubeconfig }), namespace: 'default' });
    const records = [];
    sdk.setLogger((r) => records.push(r));
    const events = [];
    const handle = client.watchSandboxes((ev) => events.push(`${ev.type}:${ev.object.metadata.name}`), { namespace: 'default' });
    await client.createSandbox(sandboxManifest('before'));
    await until('ADDED:before', () => events.includes('ADDED:before'), { timeoutMs: 90_000 });

    testenv('restart', 'kube-apiserver');
    // Changes while the watch is still reconnecting, then history compacted
    // away: resuming from its last version gives 410 Gone, and the watch
    // must relist and report the difference.
    await retry(() => client.createSandbox(sandboxManifest('during')));
    await retry(() => client.deleteSandbox('before'));
    await client.createSandbox(sandboxManifest('gone-again'));
    await client.deleteSandbox('gone-again');
    const revision = await compactEtcd(join(dirname(kubeconfig), 'env'));
    assert.ok(revision > 0);

    await client.createSandbox(sandboxManifest('after'));
    await until('the final state', () => events.includes('ADDED:after') && events.includes('DELETED:before') && events.some((e) => e.endsWith(':during')), { timeoutMs: 90_000 });
    handle.stop();
    await handle.done;
    // Final state as the watcher sees it: before is gone, during and after exist.
    const live = new Set();
    for (const e of events) {
      const [type, name] = e.split(':');
      if (type === 'DELETED') live.delete(name);
      else live.add(name);
    }
    assert.ok(!live.has('before') && live.has('during') && live.has('after') && !live.has('gone-again'), events.join(' '));

    // The logger saw the reconnect (with its backoff), and no secret.
    sdk.setLogger(); // back to the default
    const watchRecords = records.filter((r) => r.target === 'agent_sandbox::watch');
    const reconnect = watchRecords.find((r) => /reconnecting/.test(r.message));
    assert.ok(reconnect, JSON.stringify(records));
    assert.equal(reconnect.level, 'warn');
    assert.equal(reconnect.fields.resource, 'sandboxes');
    assert.equal(typeof reconnect.fields.backoff_ms, 'number');
    // (A relist is logged too, but only happens when the watch was still
    // reconnecting at the compaction, which this test cannot force.)
    const secrets = readFileSync(kubeconfig, 'utf8').match(/(?:token|client-key-data): *(\S+)/g) ?? [];
    for (const line of secrets) {
      const secret = line.split(/: */)[1];
      assert.ok(!JSON.stringify(records).includes(secret), 'a kubeconfig secret reached the logger');
    }
  });
});
