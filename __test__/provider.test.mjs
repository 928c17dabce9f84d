// AgentSandboxProvider against the real API server and controller: create,
// exec, stop; warm-pool claims; recover after a restart; cleanup; events.
import { assert, describe, it, before, after, until } from './helpers/harness.mjs';
import { createInterface } from 'node:readline';
import * as sdk from '../index.js';
import { PROFILES, V1BETA1_PROFILES, kubeConfigFor, freshNamespace, leastPrivilegeKubeconfig, realNode, runsOf, unreachableKubeConfig, sandboxConfig, testImage } from './helpers/cluster.mjs';

const IMAGE = sdk.SANDBOX_DEFAULTS.image;
const config = sandboxConfig;

const isReady = (s) => s?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

function recordEvents(provider) {
  const events = [];
  provider.on((e) => events.push(e));
  return events;
}

/** The image of the pool's template: the default, or on a real node its agent image (no registry there). */
const poolImage = (node) => (node ? testImage(node) : IMAGE);

/** The pool template of k8s/manifests, in a test namespace. */
function poolTemplate(namespace, node) {
  const template = new sdk.SandboxTemplateBuilder('agentpane-default').namespace(namespace).image(poolImage(node)).build();
  template.spec.podTemplate.spec.containers[0].name = 'sandbox';
  return template;
}

/**
 * A fresh namespace, the admin's client in it (it sets up and checks), and
 * the client the provider under test uses: the rbac.yaml service account's
 * for `serviceAccount` runs (see runsOf).
 */
async function scope(profile, prefix, serviceAccount, node) {
  const kc = kubeConfigFor(profile);
  const ns = await freshNamespace(kc, serviceAccount ? `${prefix}-sa` : prefix, node);
  const sa = serviceAccount ? leastPrivilegeKubeconfig(profile, ns.name) : undefined;
  return {
    kc,
    ns,
    client: new sdk.AgentSandboxClient({ kubeConfig: kc, namespace: ns.name }),
    sdkClient: new sdk.AgentSandboxClient({ kubeConfig: sa?.kubeConfig ?? kc, namespace: ns.name }),
    cleanup: async () => {
      sa?.cleanup();
      await ns.cleanup();
    },
  };
}

for (const { profile, label, serviceAccount, node } of runsOf(V1BETA1_PROFILES, { onRealNode: true })) describe(`AgentSandboxProvider end to end (${label})`, () => {
  const config = (codespaceId, extra) => sandboxConfig(codespaceId, extra, node);
  let kc;
  let ns;
  let client;
  let sdkClient;
  let cleanup;
  before(async () => {
    ({ kc, ns, client, sdkClient, cleanup } = await scope(profile, 'prov', serviceAccount, node));
    // As agentpane-sandboxes: pods must meet the restricted Pod Security level.
    const namespaces = new sdk.CustomResourceCrud(kc, { group: '', version: 'v1', plural: 'namespaces' });
    await namespaces.patch('', ns.name, { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } });
  });
  after(() => cleanup?.());

  it('create() → Ready seen by the watch → execStream of JSON lines → stop(): Sandbox and NetworkPolicy gone, events in order', async () => {
    const provider = sdk.createAgentSandboxProvider({ client: sdkClient, namespace: ns.name, readyTimeoutSeconds: 60 });
    const events = recordEvents(provider);
    const readySeen = [];
    const ac = new AbortController();
    const watching = (async () => {
      for await (const ev of client.watch('sandboxes', { signal: ac.signal })) {
        if (isReady(ev.object)) readySeen.push(ev.object.metadata.name);
      }
    })();

    const box = await provider.create(config('cs-e2e', { id: 'sbe2e0000000000000000001', networkMode: 'none' }));
    assert.equal(box.status, 'running');
    assert.equal(box.sandboxName, 'agentpane-cs-e2e-sbe2e000');
    await until('the watch to report Ready', () => readySeen.includes(box.sandboxName), { timeoutMs: 10_000 });

    // Isolation: the policy exists and selects the pod, which carries the ids.
    const policy = await client.networkPolicies.get(ns.name, `np-${box.sandboxName}`);
    assert.deepEqual(policy.spec.podSelector.matchLabels, { 'agentpane.io/sandbox-id': box.id });
    assert.deepEqual(policy.spec.policyTypes, ['Ingress', 'Egress']);
    const sandbox = await client.getSandbox(box.sandboxName);
    const podName = sandbox.metadata.annotations?.['agents.x-k8s.io/pod-name'] ?? box.sandboxName;
    const pod = await client.pods.get(ns.name, podName);
    assert.equal(pod.metadata.labels['agentpane.io/sandbox-id'], box.id);
    assert.equal(pod.metadata.labels['agentpane.io/project-id'], 'cs-e2e');

    // An agent-like command: NDJSON on stdout, prompt from the environment.
    const script = 'for i in 1 2 3; do printf \'{"type":"progress","n":%d}\\n\' "$i"; sleep 0.05; done; printf \'{"type":"done","prompt":"%s"}\\n\' "$AGENT_PROMPT"';
    const stream = await box.execStream({ cmd: 'sh', args: ['-c', script], env: { AGENT_PROMPT: "it's fine" }, cwd: '/tmp' });
    const lines = [];
    for await (const line of createInterface({ input: stream.stdout })) lines.push(JSON.parse(line));
    assert.deepEqual(await stream.wait(), { exitCode: 0 });
    assert.deepEqual(lines, [
      { type: 'progress', n: 1 },
      { type: 'progress', n: 2 },
      { type: 'progress', n: 3 },
      { type: 'done', prompt: "it's fine" },
    ]);

    await box.stop();
    assert.equal(box.status, 'stopped');
    await until('the Sandbox to be gone', async () => !(await client.sandboxExists(box.sandboxName)));
    await until('the NetworkPolicy to be gone', async () => !(await client.networkPolicies.exists(ns.name, `np-${box.sandboxName}`)));
    ac.abort();
    await watching;

    assert.deepEqual(
      events.map((e) => e.type),
      ['sandbox:creating', 'sandbox:created', 'sandbox:started', 'sandbox:stopping', 'sandbox:stopped'],
    );
    assert.deepEqual(events[1], { type: 'sandbox:created', sandboxId: box.id, codespaceId: 'cs-e2e', containerId: box.sandboxName });
    assert.equal(events[3].reason, 'stop');
    assert.equal(await provider.getById(box.id), null);
  });

  it('refuses a second sandbox per codespace, lists real status, and never hands out another codespace', async () => {
    const provider = sdk.createAgentSandboxProvider({ client: sdkClient, namespace: ns.name });
    // Two at once: one wins, the other is refused.
    const raced = await Promise.allSettled([provider.create(config('cs-a')), provider.create(config('cs-a'))]);
    assert.deepEqual(raced.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    assert.equal(raced.find((r) => r.status === 'rejected').reason.code, 'K8S_POD_ALREADY_EXISTS');
    const a = raced.find((r) => r.status === 'fulfilled').value;
    await assert.rejects(provider.create(config('cs-a')), (e) => e.code === 'K8S_POD_ALREADY_EXISTS' && e.statusCode === 409);
    // A fresh provider sees the cluster's sandbox and refuses too.
    const other = sdk.createAgentSandboxProvider({ client: sdkClient, namespace: ns.name });
    await assert.rejects(other.create(config('cs-a')), (e) => e.code === 'K8S_POD_ALREADY_EXISTS');

    assert.equal(await provider.get('cs-a'), a);
    assert.equal(await provider.getById(a.id), a);
    assert.equal(await provider.get('cs-unknown'), null); // no 'default' sandbox either
    const adopted = await other.get('cs-a');
    assert.equal(adopted.id, a.id);
    assert.equal(adopted.codespaceId, 'cs-a');

    await client.pause(a.sandboxName);
    // On a real node the paused pod takes a moment to end; resumed before
    // that, the Sandbox can read Ready=False/PodFailed for a while, which
    // get() takes for gone (a product finding, see the issue-13 note).
    await until('the paused pod to be gone', async () => (await client.pods.get(ns.name, a.sandboxName).catch((e) => (e.statusCode === 404 ? null : Promise.reject(e)))) === null, { timeoutMs: 60_000 });
    const infos = await provider.list();
    const info = infos.find((i) => i.id === a.id);
    assert.equal(info.status, 'idle');
    assert.deepEqual([info.codespaceId, info.containerId, info.image, info.memoryMb, info.cpuCores], ['cs-a', a.sandboxName, testImage(node), 512, config('cs-a').cpuCores]);

    // The 'default' codespace is the fallback of an unknown one.
    await client.resume(a.sandboxName);
    await client.waitForReady(a.sandboxName, { timeoutMs: 120_000, pollIntervalMs: 200 });
    const def = await provider.create(config('default'));
    assert.equal((await provider.get('cs-nothing'))?.id, def.id);
    assert.equal((await provider.get('cs-a')).id, a.id);
    // Opted out (codespaces of different tenants): no one else's sandbox.
    const strict = sdk.createAgentSandboxProvider({ client: sdkClient, namespace: ns.name, codespaceFallback: 'none' });
    assert.equal(await strict.get('cs-nothing'), null);
    assert.equal((await strict.get('cs-a')).id, a.id);
    assert.throws(() => sdk.createAgentSandboxProvider({ client: sdkClient, namespace: ns.name, codespaceFallback: 'other' }), (e) => e.code === 'INVALID_ARGUMENT');
    await Promise.all([a.stop(), def.stop()]);
  });

  it('rolls back the NetworkPolicy and the Sandbox when the sandbox does not become ready', async () => {
    const provider = sdk.createAgentSandboxProvider({ client: sdkClient, namespace: ns.name, readyTimeoutSeconds: 0.001 });
    // A listener that throws is logged; the others still get every event.
    provider.on(() => {
      throw new Error('listener bug');
    });
    const removed = [];
    const listener = (e) => removed.push(e.type);
    provider.off(listener); // unknown: a no-op
    provider.on(listener);
    provider.on(listener); // set semantics: once
    provider.off(listener);
    const unsubscribe = provider.on((e) => removed.push(e.type));
    unsubscribe();
    const events = recordEvents(provider);
    await assert.rejects(provider.create(config('cs-slow', { id: 'slowslowslow', networkMode: 'none' })), (e) => {
      assert.equal(e.code, 'K8S_POD_CREATION_FAILED');
      assert.match(e.message, /^Failed to create pod agentpane-cs-slow-slowslow: /);
      return true;
    });
    assert.equal(await client.sandboxExists('agentpane-cs-slow-slowslow'), false);
    assert.equal(await client.networkPolicies.exists(ns.name, 'np-agentpane-cs-slow-slowslow'), false);
    assert.deepEqual(events.map((e) => e.type), ['sandbox:creating', 'sandbox:error']);
    assert.ok(events[1].error instanceof sdk.AgentSandboxError);
    assert.equal(events[1].error.code, 'TIMEOUT');
    assert.deepEqual(removed, []);
  });

  it('creates no Sandbox when the NetworkPolicy cannot be created (fails closed)', async () => {
    const missing = `no-such-ns-${Date.now()}`;
    const provider = sdk.createAgentSandboxProvider({ client: new sdk.AgentSandboxClient({ kubeConfig: kc, namespace: missing }), namespace: missing });
    await assert.rejects(provider.create(config('cs-np', { networkMode: 'none' })), (e) => {
      assert.equal(e.code, 'K8S_POD_CREATION_FAILED');
      assert.equal(e.cause.code, 'K8S_NETWORK_POLICY_CREATION_FAILED');
      return true;
    });
    assert.equal((await client.listSandboxes({ namespace: missing })).items.length, 0);
  });

  it('recovers after a process restart, emits idle, removes expired sandboxes, and cleans up', async () => {
    const first = sdk.createAgentSandboxProvider({ client: sdkClient, namespace: ns.name });
    const live = await first.create(config('cs-live'));
    const dead = await first.create(config('cs-dead'));
    // Expire one: the controller marks it Ready=False/SandboxExpired (kept: Retain).
    await client.setShutdown(dead.sandboxName, { shutdownTime: new Date(Date.now() - 1000), shutdownPolicy: 'Retain' });
    await until('the expiry', async () => sdk.mapConditionsToStatus(await client.getSandbox(dead.sandboxName)) === 'stopped');

    // "Restart": a new provider knows nothing until recover().
    const second = sdk.createAgentSandboxProvider({ client: sdkClient, namespace: ns.name });
    const events = recordEvents(second);
    assert.equal(await second.getById(live.id), null);
    assert.deepEqual(await second.recover(), { recovered: 1, removed: 1 });
    assert.deepEqual(
      events.map((e) => [e.type, e.sandboxId, e.reason]),
      [
        ['sandbox:stopping', dead.id, 'recover'],
        ['sandbox:stopped', dead.id, undefined],
      ],
    );
    const recovered = await second.getById(live.id);
    assert.equal(recovered.status, 'running');
    assert.equal(recovered.sandboxName, live.sandboxName);
    await until('the expired Sandbox to be gone', async () => !(await client.sandboxExists(dead.sandboxName)));

    // Idle is reported once, when a refresh first sees it.
    await client.pause(live.sandboxName);
    await second.validateSandboxes();
    await second.validateSandboxes();
    const idle = events.filter((e) => e.type === 'sandbox:idle');
    assert.equal(idle.length, 1);
    assert.equal(idle[0].sandboxId, live.id);
    assert.ok(idle[0].idleSince instanceof Date);

    // cleanup: only the statuses asked for, and only older than `olderThan`.
    assert.equal(await second.cleanup(), 0);
    assert.equal(await second.cleanup({ status: ['idle'], olderThan: new Date(Date.now() - 3_600_000) }), 0);
    assert.equal(await second.cleanup({ status: ['idle'] }), 1);
    assert.deepEqual(events.slice(-2).map((e) => [e.type, e.reason]), [['sandbox:stopping', 'cleanup'], ['sandbox:stopped', undefined]]);
    assert.equal(await second.getById(live.id), null);
    await until('the cleaned-up Sandbox to be gone', async () => !(await client.sandboxExists(live.sandboxName)));
  });

  it('touch() pushes shutdownTime out', async () => {
    const provider = sdk.createAgentSandboxProvider({ client: sdkClient, namespace: ns.name });
    const box = await provider.create(config('cs-touch', { idleTimeoutMinutes: 1 }));
    const before = Date.parse((await client.getSandbox(box.sandboxName)).spec.shutdownTime);
    // create() counted as activity (touch extends at most once a minute): a
    // second handle on the same Sandbox, with a longer idle timeout.
    const handle = new sdk.AgentSandboxInstance(box.id, box.sandboxName, box.codespaceId, ns.name, sdkClient, 90);
    handle.touch();
    await until('the extended shutdownTime', async () => Date.parse((await client.getSandbox(box.sandboxName)).spec.shutdownTime) > before + 60 * 60_000, { timeoutMs: 10_000 });
    await box.stop();
  });
});

for (const { profile, label, serviceAccount, node } of runsOf(PROFILES, { onRealNode: true })) {
  describe(`AgentSandboxProvider with a warm pool (controller ${label})`, () => {
    const config = (codespaceId, extra) => sandboxConfig(codespaceId, extra, node);
    let ns;
    let client;
    let sdkClient;
    let cleanup;
    before(async () => {
      ({ ns, client, sdkClient, cleanup } = await scope(profile, 'pool', serviceAccount, node));
      await client.createTemplate(poolTemplate(ns.name, node));
    });
    after(() => cleanup?.());

    it('initWarmPool creates then replaces the pool; scale goes through the scale subresource', async () => {
      const provider = sdk.createAgentSandboxProvider({ client: sdkClient, namespace: ns.name, enableWarmPool: true, warmPoolSize: 1 });
      await provider.initWarmPool();
      assert.equal((await client.getWarmPool('agentpane-warm-pool')).spec.replicas, 1);
      const resized = sdk.createAgentSandboxProvider({ client: sdkClient, namespace: ns.name, enableWarmPool: true, warmPoolSize: 2 });
      await resized.initWarmPool(); // exists: replaced
      assert.equal((await client.getWarmPool('agentpane-warm-pool')).spec.replicas, 2);

      const scale = await client.scaleWarmPool('agentpane-warm-pool', 3);
      assert.equal(scale.kind, 'Scale');
      assert.equal(scale.spec.replicas, 3);
      assert.equal((await client.getWarmPool('agentpane-warm-pool')).spec.replicas, 3);
      await client.scaleWarmPool('agentpane-warm-pool', 2);
      await until('2 ready warm sandboxes', async () => (await client.getWarmPool('agentpane-warm-pool')).status?.readyReplicas === 2, { timeoutMs: 60_000 });
      assert.equal((await client.getWarmPoolScale('agentpane-warm-pool')).spec.replicas, 2);
      await assert.rejects(client.scaleWarmPool('agentpane-warm-pool', -1), (e) => e.code === 'INVALID_ARGUMENT');
      await assert.rejects(client.scaleWarmPool('no-such-pool', 1), sdk.NotFoundError);
    });

    it('create() claims a warm sandbox, labels it and its pod, and stop() deletes the claim', async () => {
      const provider = sdk.createAgentSandboxProvider({ client: sdkClient, namespace: ns.name, enableWarmPool: true });
      const events = recordEvents(provider);
      const warmBefore = (await client.listSandboxes()).items.map((s) => s.metadata.name);
      const box = await provider.create(config('cs-warm', { image: poolImage(node), networkMode: 'none' }));
      assert.equal(box.status, 'running');
      // The policies are named after the generated name: one selects the
      // claimed pod by id, one every pod of the claimed Sandbox by the
      // controller's name-hash label (a pod made again has no id label).
      const policies = (await client.networkPolicies.list({ namespace: ns.name, labelSelector: `agentpane.io/sandbox-id=${box.id}` })).items;
      const policyName = `np-agentpane-cs-warm-${box.id.slice(0, 8)}`;
      assert.deepEqual(policies.map((p) => p.metadata.name).sort(), [policyName, `${policyName}-pods`]);
      assert.ok(warmBefore.includes(box.sandboxName), `${box.sandboxName} should be one of the pool's ${warmBefore}`);
      const claims = (await client.listClaims()).items;
      assert.equal(claims.length, 1);
      assert.equal(claims[0].metadata.labels['agentpane.io/project-id'], 'cs-warm');
      const sandbox = await client.getSandbox(box.sandboxName);
      assert.equal(sandbox.metadata.labels['agentpane.io/sandbox-id'], box.id);
      const podName = sandbox.metadata.annotations?.['agents.x-k8s.io/pod-name'] ?? box.sandboxName;
      assert.equal((await client.pods.get(ns.name, podName)).metadata.labels['agentpane.io/sandbox-id'], box.id);
      // Still there once the controllers have settled the claim (a label put on
      // the claimed Sandbox's pod template was removed from the pod by them).
      await new Promise((r) => setTimeout(r, 2000));
      assert.equal((await client.pods.get(ns.name, podName)).metadata.labels['agentpane.io/sandbox-id'], box.id);
      assert.deepEqual(events.map((e) => e.type), ['sandbox:creating', 'sandbox:created', 'sandbox:started']);
      assert.equal(events[1].containerId, box.sandboxName);
      // The pod goes away and the controller makes a new one: still isolated.
      const selects = (pod) => policies.some((p) => Object.entries(p.spec.podSelector.matchLabels).every(([k, v]) => pod.metadata.labels?.[k] === v));
      const oldPod = await client.pods.get(ns.name, podName);
      assert.ok(selects(oldPod));
      await client.pods.delete(ns.name, podName);
      const newPod = await until('a new pod of the claimed sandbox', async () => {
        const pods = (await client.pods.list({ namespace: ns.name })).items;
        return pods.find((p) => p.metadata.uid !== oldPod.metadata.uid && !p.metadata.deletionTimestamp
          && p.metadata.labels?.['agents.x-k8s.io/sandbox-name-hash'] === oldPod.metadata.labels['agents.x-k8s.io/sandbox-name-hash']);
      }, { timeoutMs: 60_000 });
      assert.ok(selects(newPod), `no policy selects the new pod ${JSON.stringify(newPod.metadata.labels)}`);

      // A different image cannot come from the pool: a cold Sandbox.
      const cold = await provider.create(config('cs-cold', node ? { image: node.images.minimal } : {}));
      assert.equal(cold.sandboxName, `agentpane-cs-cold-${cold.id.slice(0, 8)}`);

      await box.stop();
      // (The controller's own policy for the template stays.)
      assert.equal((await client.networkPolicies.list({ namespace: ns.name, labelSelector: `agentpane.io/sandbox-id=${box.id}` })).items.length, 0);
      await until('the claim to be gone', async () => (await client.listClaims()).items.length === 0);
      await until('the claimed Sandbox to be gone', async () => !(await client.sandboxExists(box.sandboxName)));
      await cold.stop();
    });
  });
}

// What only a real container shows: the kernel enforcing the memory limit,
// and pause/resume replacing the container (on the kwok node a command runs
// on this host, so neither can be seen there).
const REAL_NODE = realNode('v0.5.6');
describe('AgentSandboxProvider on a real node (kubelet, containerd, runc)', { skip: !REAL_NODE && 'the cluster has no real node (k8s/testenv/up --real-node; scripts/test.sh starts one as root)' }, () => {
  const config = (codespaceId, extra) => sandboxConfig(codespaceId, extra, REAL_NODE);
  let ns;
  let client;
  let cleanup;
  before(async () => {
    ({ ns, client, cleanup } = await scope('v0.5.6', 'real', false, REAL_NODE));
    const namespaces = new sdk.CustomResourceCrud(kubeConfigFor('v0.5.6'), { group: '', version: 'v1', plural: 'namespaces' });
    await namespaces.patch('', ns.name, { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } });
  });
  after(() => cleanup?.());

  it('runs the AgentPane-shaped image under the restricted Pod Security level, in a container of its own', async () => {
    const provider = sdk.createAgentSandboxProvider({ client, namespace: ns.name, readyTimeoutSeconds: 120 });
    const box = await provider.create(config('cs-where', { networkMode: 'none' }));
    const pod = await client.pods.get(ns.name, box.sandboxName);
    assert.equal(pod.spec.nodeName, REAL_NODE.nodeName);
    assert.equal(pod.spec.securityContext.runAsNonRoot, true);
    const r = await box.exec('sh', ['-c', 'hostname; id -u; for t in node tmux tar git; do command -v $t >/dev/null || echo "missing $t"; done; cat /proc/1/cgroup']);
    const [hostname, uid, ...rest] = r.stdout.split('\n');
    assert.equal(hostname, box.sandboxName);
    assert.equal(uid, '1000');
    assert.ok(!rest.some((l) => l.startsWith('missing')), r.stdout);
    assert.ok(rest.some((l) => l.includes(`${REAL_NODE.cgroupRoot}/kubepods/`)), r.stdout);
    await box.stop();
  });

  it('a memory hog under a small limit is OOM-killed: exit 137, counted by the container\'s memory cgroup', async () => {
    const provider = sdk.createAgentSandboxProvider({ client, namespace: ns.name, readyTimeoutSeconds: 120 });
    const box = await provider.create(config('cs-oom', { memoryMb: 128, networkMode: 'none' }));
    const hog = await box.exec('node', ['-e', 'const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1));']);
    assert.equal(hog.exitCode, 137, JSON.stringify(hog));
    const oom = await box.exec('cat', ['/sys/fs/cgroup/memory/memory.oom_control']);
    const kills = Number(/^oom_kill (\d+)$/m.exec(oom.stdout)?.[1]);
    assert.ok(kills >= 1, oom.stdout);
    const limit = await box.exec('cat', ['/sys/fs/cgroup/memory/memory.limit_in_bytes']);
    assert.equal(Number(limit.stdout), 128 * 2 ** 20);
    // The sandbox itself lives on: only the hog was killed.
    assert.equal((await box.exec('echo', ['alive'])).stdout, 'alive');
    await box.stop();
  });

  it('networkMode none is enforced: its NetworkPolicy blocks what it sends and what is sent to it (kube-router)', async () => {
    const provider = sdk.createAgentSandboxProvider({ client, namespace: ns.name, readyTimeoutSeconds: 120 });
    const [server, peer, isolated] = await Promise.all([
      provider.create(config('cs-np-server', { networkMode: 'bridge' })),
      provider.create(config('cs-np-peer', { networkMode: 'bridge' })),
      provider.create(config('cs-np-isolated', { networkMode: 'none' })),
    ]);
    const podIp = async (box) => (await client.pods.get(ns.name, box.sandboxName)).status.podIP;
    // A TCP server answering "hi", and a client that prints what it got or why not (address in argv).
    const serve = (box) => box.execStream({ cmd: 'node', args: ['-e', "require('net').createServer((s) => s.end('hi')).listen(8080, '0.0.0.0', () => console.log('listening'))"], killSignal: 'SIGTERM' });
    const CONNECT = "const s = require('net').connect(8080, process.argv[1]); s.setTimeout(3000); s.on('data', (d) => { console.log('got ' + d); process.exit(0); }); s.on('timeout', () => { console.log('timeout'); process.exit(2); }); s.on('error', (e) => { console.log(e.code); process.exit(3); });";
    const connect = (box, ip) => box.exec('node', ['-e', CONNECT, ip]);
    const listening = async (stream) => {
      for await (const chunk of stream.stdout) if (String(chunk).includes('listening')) return;
    };
    const servers = [await serve(server), await serve(isolated)];
    await Promise.all(servers.map(listening));
    const [serverIp, isolatedIp] = [await podIp(server), await podIp(isolated)];

    assert.equal((await connect(peer, serverIp)).stdout, 'got hi', 'bridge to bridge must connect');
    const out = await connect(isolated, serverIp);
    assert.notEqual(out.stdout, 'got hi', 'the isolated sandbox reached another pod');
    const into = await connect(peer, isolatedIp);
    assert.notEqual(into.stdout, 'got hi', 'another pod reached the isolated sandbox');
    for (const s of servers) s.kill();
    await Promise.all([server.stop(), peer.stop(), isolated.stop()]);
  });

  it('pause then resume replaces the container: a new pod, and a file in /tmp is gone', async () => {
    const provider = sdk.createAgentSandboxProvider({ client, namespace: ns.name, readyTimeoutSeconds: 120 });
    const box = await provider.create(config('cs-pause', { networkMode: 'none' }));
    assert.equal((await box.exec('sh', ['-c', 'echo kept > /tmp/marker && cat /tmp/marker'])).stdout, 'kept');
    const before = await client.pods.get(ns.name, box.sandboxName);
    await client.pause(box.sandboxName);
    await until('the pod to be deleted', async () => (await client.pods.get(ns.name, box.sandboxName).catch((e) => (e.statusCode === 404 ? null : Promise.reject(e)))) === null, { timeoutMs: 60_000 });
    await client.resume(box.sandboxName);
    await client.waitForReady(box.sandboxName, { timeoutMs: 120_000, pollIntervalMs: 200 });
    const after = await client.pods.get(ns.name, box.sandboxName);
    assert.notEqual(after.metadata.uid, before.metadata.uid);
    const marker = await box.exec('sh', ['-c', 'test -e /tmp/marker; echo $?']);
    assert.equal(marker.stdout, '1', 'the file written before pause is still there');
    await box.stop();
  });
});

/** A provider made while SANDBOX_DEFAULT_NETWORK_MODE=none (isolation enforced; read at construction). */
function isolatedProvider(options) {
  const saved = process.env.SANDBOX_DEFAULT_NETWORK_MODE;
  process.env.SANDBOX_DEFAULT_NETWORK_MODE = 'none';
  try {
    return sdk.createAgentSandboxProvider(options);
  } finally {
    if (saved === undefined) delete process.env.SANDBOX_DEFAULT_NETWORK_MODE;
    else process.env.SANDBOX_DEFAULT_NETWORK_MODE = saved;
  }
}

describe('AgentSandboxProvider without a cluster', () => {
  const unreachable = () => new sdk.AgentSandboxClient({ kubeConfig: unreachableKubeConfig(), namespace: 'n' });

  it('has the original defaults and names', () => {
    const p = new sdk.AgentSandboxProvider({ client: unreachable() });
    assert.equal(p.name, 'kubernetes');
    assert.equal(p.namespace, 'agentpane-sandboxes');
    assert.deepEqual(
      [p.enableWarmPool, p.warmPoolSize, p.runtimeClassName, p.readyTimeoutSeconds, p.image],
      [false, 2, 'none', 120, sdk.SANDBOX_DEFAULTS.image],
    );
    assert.deepEqual({ ...sdk.SANDBOX_DEFAULTS, image: undefined }, { image: undefined, memoryMb: 4096, cpuCores: 2, idleTimeoutMinutes: 30, userHome: '/home/node' });
    assert.ok(sdk.createAgentSandboxProvider({ client: unreachable() }) instanceof sdk.AgentSandboxProvider);
    const saved = process.env.SANDBOX_DEFAULT_NETWORK_MODE;
    try {
      process.env.SANDBOX_DEFAULT_NETWORK_MODE = 'none';
      assert.equal(sdk.getDefaultSandboxNetworkMode(), 'none');
      process.env.SANDBOX_DEFAULT_NETWORK_MODE = 'bridge';
      assert.equal(sdk.getDefaultSandboxNetworkMode(), 'bridge');
    } finally {
      if (saved === undefined) delete process.env.SANDBOX_DEFAULT_NETWORK_MODE;
      else process.env.SANDBOX_DEFAULT_NETWORK_MODE = saved;
    }
  });

  it('degrades as the original: list [] , get null, recover zero, health with the reason', async () => {
    const p = sdk.createAgentSandboxProvider({ client: unreachable() });
    assert.deepEqual(await p.list(), []);
    assert.equal(await p.get('cs'), null);
    assert.equal(await p.getById('nope'), null);
    assert.deepEqual(await p.recover(), { recovered: 0, removed: 0 });
    const health = await p.healthCheck();
    assert.equal(health.healthy, false);
    assert.equal(health.details.provider, 'kubernetes');
    assert.match(health.message, /not reachable/);
    await assert.rejects(p.create(config('cs')), (e) => e.code === 'K8S_API_ERROR'); // the listing error, raw
    assert.equal(p.enforceNetworkIsolation, false);
    await p.assertNetworkIsolationSupport(); // a no-op unless enforced
    const isolated = isolatedProvider({ client: unreachable() });
    assert.equal(isolated.enforceNetworkIsolation, true);
    await assert.rejects(isolated.assertNetworkIsolationSupport(), (e) => e.code === 'K8S_NETWORK_ISOLATION_UNSUPPORTED');
  });

  it('images, and bad input refused with INVALID_ARGUMENT before any request', async () => {
    const p = sdk.createAgentSandboxProvider({ client: unreachable() });
    await p.pullImage('busybox');
    await assert.rejects(p.pullImage('  '), (e) => e.code === 'K8S_IMAGE_NOT_FOUND' && e.statusCode === 404 && e instanceof sdk.K8sError);
    assert.equal(await p.isImageAvailable('busybox'), true);
    assert.equal(await p.isImageAvailable(' '), false);
    // A hand-made double is not a client: refused at construction, saying what to pass.
    assert.throws(() => new sdk.AgentSandboxProvider({ client: { listSandboxes: async () => ({ items: [] }) } }), (e) => {
      assert.ok(e instanceof sdk.AgentSandboxError);
      assert.equal(e.code, 'INVALID_ARGUMENT');
      assert.match(e.message, /AgentSandboxClient/);
      return true;
    });
    assert.throws(() => new sdk.AgentSandboxInstance('i', 'n', 'cs', 'ns', {}), (e) => e.code === 'INVALID_ARGUMENT');
    assert.throws(() => new sdk.AgentSandboxProvider({ client: unreachable(), warmPoolSize: -1 }), (e) => e.code === 'INVALID_ARGUMENT');
    await assert.rejects(p.create(config('cs', { memoryMb: 1.5 })), (e) => e.code === 'INVALID_ARGUMENT' && /memoryMb/.test(e.message));
    await assert.rejects(p.create(config('cs', { networkMode: 'host' })), (e) => e.code === 'INVALID_ARGUMENT');
    await assert.rejects(p.cleanup({ status: ['gone'] }), (e) => e.code === 'INVALID_ARGUMENT');
    await assert.rejects(p.create({ ...config('cs'), memoryMb: 'lots' }), (e) => e.code === 'INVALID_ARGUMENT' && e instanceof sdk.AgentSandboxError);
    await assert.rejects(p.get(42), (e) => e.code === 'INVALID_ARGUMENT');
    // The native classes are the exports; instances keep the contract's shape.
    assert.equal(typeof p.on, 'function');
    assert.throws(() => p.on('not a function'), (e) => e.code === 'INVALID_ARGUMENT');
    await assert.rejects(p.create(null), (e) => e.code === 'INVALID_ARGUMENT');
    await assert.rejects(new sdk.AgentSandboxInstance('i', 'n', 'cs', 'ns', unreachable()).exec(42), (e) => e.code === 'INVALID_ARGUMENT');
    assert.equal(p.client instanceof sdk.AgentSandboxClient, true);
  });
});

describe('setLogger', () => {
  it('by default warnings go to console.warn; a logger gets records; bad arguments are refused', async () => {
    const box = new sdk.AgentSandboxInstance('i', 'n', 'cs', 'ns', new sdk.AgentSandboxClient({ kubeConfig: unreachableKubeConfig(), namespace: 'n' }));
    sdk.setLogger(); // the default (another test file may have changed it: bun runs them in one process)
    const warned = [];
    const original = console.warn;
    console.warn = (...args) => warned.push(args.join(' '));
    try {
      await box.execAsRoot('true').catch(() => {});
      await until('the execAsRoot warning on console.warn', () => warned.some((w) => w.includes('execAsRoot')));
    } finally {
      console.warn = original;
    }
    const records = [];
    sdk.setLogger((r) => records.push(r), { level: 'warn' });
    try {
      await box.execAsRoot('true').catch(() => {});
      await until('the execAsRoot record', () => records.some((r) => /execAsRoot/.test(r.message)));
      const record = records.find((r) => /execAsRoot/.test(r.message));
      assert.equal(record.level, 'warn');
      assert.equal(record.fields.command, 'true');
      assert.equal(typeof record.time, 'number');
    } finally {
      sdk.setLogger();
    }
    assert.throws(() => sdk.setLogger('console'), (e) => e.code === 'INVALID_ARGUMENT');
    assert.throws(() => sdk.setLogger(() => {}, { level: 'loud' }), (e) => e.code === 'INVALID_ARGUMENT');
  });
});

describe('AgentSandboxProvider health on the real cluster', () => {
  it('reports healthy with the provider details, and isolation support', async () => {
    const client = new sdk.AgentSandboxClient({ kubeConfig: kubeConfigFor() });
    const p = sdk.createAgentSandboxProvider({ client });
    const health = await p.healthCheck();
    assert.equal(health.healthy, true);
    assert.equal(health.details.provider, 'kubernetes');
    assert.equal(health.details.crdRegistered, true);
    assert.equal(health.details.namespaceExists, true);
    await isolatedProvider({ client }).assertNetworkIsolationSupport();
  });
});
