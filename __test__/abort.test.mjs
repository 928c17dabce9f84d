// AbortSignal on the provider's and instance's long calls: aborted midway,
// each rejects with CANCELLED within a second and leaves nothing behind.
import { assert, describe, it, before, after, until } from './helpers/harness.mjs';
import { createServer } from 'node:net';
import * as sdk from '../index.js';
import { kubeConfigFor, freshNamespace, sandboxManifest, sandboxConfig } from './helpers/cluster.mjs';

const config = sandboxConfig;

/** Rejects with CANCELLED within `withinMs` of `abort()`. */
async function assertCancelledAfterAbort(promise, abort, withinMs = 1000) {
  const at = Date.now();
  abort();
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof sdk.AgentSandboxError, String(e));
    assert.equal(e.code, 'CANCELLED', e.message);
    return true;
  });
  const took = Date.now() - at;
  assert.ok(took < withinMs, `rejected ${took} ms after abort()`);
}

/**
 * Starts a create and aborts it once its request is on its way: CANCELLED
 * within 1 s, or made when the server answered first (a loopback server can).
 * True when it was cancelled.
 */
async function abortCreateMidway(start) {
  const ac = new AbortController();
  const creating = start(ac.signal);
  creating.catch(() => {});
  await new Promise((r) => setImmediate(r)); // the request is on its way
  const at = Date.now();
  ac.abort();
  const outcome = await creating.then(() => 'made', (e) => e);
  if (outcome === 'made') return false;
  assert.equal(outcome.code, 'CANCELLED', outcome.message);
  assert.ok(Date.now() - at < 1000, `rejected ${Date.now() - at} ms after abort()`);
  return true;
}

describe('AbortSignal on the provider and instance', () => {
  let kc;
  let ns;
  let client;
  before(async () => {
    kc = kubeConfigFor();
    ns = await freshNamespace(kc, 'abort');
    client = new sdk.AgentSandboxClient({ kubeConfig: kc, namespace: ns.name });
  });
  after(() => ns?.cleanup());

  it('create(): aborted while waiting for Ready, it removes the Sandbox and the NetworkPolicy', async () => {
    // An admission policy refuses this namespace's pods for now (a refusal
    // that may be lifted, so not final): the Sandbox stays not Ready and
    // create() is certainly in its wait.
    const admission = (plural) => new sdk.CustomResourceCrud(kc, { group: 'admissionregistration.k8s.io', version: 'v1', plural });
    const policy = `sdk-test-no-pods-${ns.name}`;
    await admission('validatingadmissionpolicies').create('', {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: policy },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }] },
        matchConditions: [{ name: 'this-test', expression: `object.metadata.namespace == '${ns.name}'` }],
        validations: [{ expression: 'false', message: 'no pods here for now' }],
      },
    });
    await admission('validatingadmissionpolicybindings').create('', {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: policy },
      spec: { policyName: policy, validationActions: ['Deny'] },
    });
    const lift = async () => {
      await admission('validatingadmissionpolicybindings').delete('', policy).catch(() => {});
      await admission('validatingadmissionpolicies').delete('', policy).catch(() => {});
    };
    // The policy is in force once a pod is refused.
    const pods = new sdk.CustomResourceCrud(kc, { group: '', version: 'v1', plural: 'pods' });
    let attempt = 0;
    await until('the policy to refuse pods', () => {
      const name = `probe-${attempt++}`;
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
      // Refused by the policy, not for any other reason.
      return pods.create(ns.name, pod).then(async () => (await pods.delete(ns.name, name), false), (e) => /no pods here for now/.test(e.message));
    });
    const provider = sdk.createAgentSandboxProvider({ client, namespace: ns.name, readyTimeoutSeconds: 120 });
    const events = [];
    provider.on((e) => events.push(e.type));
    const ac = new AbortController();
    const creating = provider.create(config('cs-abort', { id: 'abortabortabort1', networkMode: 'none' }), { signal: ac.signal });
    creating.catch(() => {});
    const name = 'agentpane-cs-abort-abortabo';
    await until('the Sandbox to exist', () => client.sandboxExists(name));
    await new Promise((r) => setTimeout(r, 500));
    await assertCancelledAfterAbort(creating, () => ac.abort());
    assert.deepEqual(events, ['sandbox:creating', 'sandbox:error']);
    await until('the Sandbox to be gone', async () => !(await client.sandboxExists(name)));
    assert.equal(await client.networkPolicies.exists(ns.name, `np-${name}`), false);
    // The codespace is free again.
    assert.equal(await provider.get('cs-abort'), null);
    await lift(); // the next tests' pods must run
  });

  it('create(): an already aborted signal rejects at once and makes nothing', async () => {
    const provider = sdk.createAgentSandboxProvider({ client, namespace: ns.name });
    const ac = new AbortController();
    ac.abort(new Error('user went away'));
    await assert.rejects(provider.create(config('cs-never'), { signal: ac.signal }), (e) => e.code === 'CANCELLED' && e.details.reason === 'user went away');
    assert.equal((await client.listSandboxes({ labelSelector: 'agentpane.io/project-id=cs-never' })).items.length, 0);
  });

  it('exec() and execStream(): aborted midway, and before the session opens', async () => {
    await client.createSandbox(sandboxManifest('abort-exec'), ns.name);
    await client.waitForReady('abort-exec', { namespace: ns.name, timeoutMs: 60_000 });
    const box = new sdk.AgentSandboxInstance('sb-a', 'abort-exec', 'cs', ns.name, client);
    const ac = new AbortController();
    const running = box.exec('sleep', ['30'], { signal: ac.signal });
    running.catch(() => {});
    await new Promise((r) => setTimeout(r, 300));
    await assertCancelledAfterAbort(running, () => ac.abort());
    // The instance still works after a cancelled call.
    assert.equal((await box.exec('echo', ['ok'])).stdout, 'ok');

    const before = new AbortController();
    before.abort();
    await assert.rejects(box.execStream({ cmd: 'true', signal: before.signal }), (e) => e.code === 'CANCELLED');

    // The client's exec too, before its session opens: nothing runs.
    const marker = `/tmp/never-${Date.now()}`;
    await assert.rejects(client.exec({ sandboxName: 'abort-exec', namespace: ns.name, command: ['touch', marker], signal: AbortSignal.abort() }), (e) => e.code === 'CANCELLED');
    await assert.rejects(client.execStream({ sandboxName: 'abort-exec', namespace: ns.name, command: ['touch', marker], signal: AbortSignal.abort() }), (e) => e.code === 'CANCELLED');
    assert.equal((await box.exec('test', ['-e', marker])).exitCode, 1);

    const midway = new AbortController();
    const stream = await box.execStream({ cmd: 'sleep', args: ['30'], signal: midway.signal });
    await assertCancelledAfterAbort(stream.wait(), () => midway.abort());
  });

  it('CustomResourceCrud: create aborted with its request out leaves no object; reads are dropped; a write is not sent', async () => {
    const crud = new sdk.CustomResourceCrud(kc, { group: 'agents.x-k8s.io', version: 'v1alpha1', plural: 'sandboxes' });
    // The CRUD object's create and the client's (which takes the same options).
    const creates = [(name, signal) => crud.create(ns.name, sandboxManifest(name), { signal }), (name, signal) => client.createSandbox(sandboxManifest(name), undefined, { signal })];
    for (const [kind, create] of creates.entries()) {
      let cancelled = 0;
      for (let i = 0; i < 10 && cancelled < 2; i++) {
        const name = `abort-${kind}-${i}`;
        if (await abortCreateMidway((signal) => create(name, signal))) {
          cancelled++;
          // If the server made it, the SDK deletes it once the answer arrives.
          await new Promise((r) => setTimeout(r, 1000));
          await until(`${name} to be gone`, async () => !(await crud.exists(ns.name, name)));
        } else {
          await crud.delete(ns.name, name); // answered before the abort: ours to remove
        }
      }
      assert.ok(cancelled > 0, 'no create was still on its way when aborted');
    }
    await assert.rejects(client.listSandboxes({ signal: AbortSignal.abort() }), (e) => e.code === 'CANCELLED');

    await crud.create(ns.name, sandboxManifest('crud-kept'));
    for (const read of [(signal) => crud.get(ns.name, 'crud-kept', { signal }), (signal) => crud.list({ namespace: ns.name, signal })]) {
      const ac = new AbortController();
      const reading = read(ac.signal);
      reading.catch(() => {});
      await assertCancelledAfterAbort(reading, () => ac.abort());
    }
    const aborted = AbortSignal.abort();
    await assert.rejects(crud.patch(ns.name, 'crud-kept', { metadata: { labels: { touched: 'yes' } } }, { signal: aborted }), (e) => e.code === 'CANCELLED');
    assert.equal((await crud.get(ns.name, 'crud-kept')).metadata.labels?.touched, undefined);
    await assert.rejects(crud.delete(ns.name, 'crud-kept', { signal: aborted }), (e) => e.code === 'CANCELLED');
    assert.equal(await crud.exists(ns.name, 'crud-kept'), true);
  });

  it('claimSandbox(): aborted while waiting for a bound Sandbox, it deletes its claim', async () => {
    // A pool whose template does not exist: the claim is never bound.
    await client.createWarmPool({
      apiVersion: 'extensions.agents.x-k8s.io/v1alpha1',
      kind: 'SandboxWarmPool',
      metadata: { name: 'no-template-pool', namespace: ns.name },
      spec: { replicas: 0, sandboxTemplateRef: { name: 'no-such-template' } },
    });
    const ac = new AbortController();
    const claiming = client.claimSandbox({ name: 'claim-abort', warmPool: 'no-template-pool', template: 'no-such-template', timeoutMs: 60_000, signal: ac.signal });
    claiming.catch(() => {});
    await until('the claim to exist', async () => (await client.listClaims()).items.some((c) => c.metadata.name === 'claim-abort'));
    await assertCancelledAfterAbort(claiming, () => ac.abort());
    await until('the claim to be gone', async () => !(await client.listClaims()).items.some((c) => c.metadata.name === 'claim-abort'));
  });

  it('healthCheck(): a server that never answers, aborted', async () => {
    // Accepts connections and never answers: without the signal the check
    // would wait for the request deadline.
    const sockets = new Set();
    const server = createServer((s) => sockets.add(s));
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    try {
      const kcSilent = sdk.KubeConfig.fromDocument({
        clusters: [{ name: 'c', cluster: { server: `https://127.0.0.1:${server.address().port}` } }],
        users: [{ name: 'u', user: { token: 't' } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      });
      const provider = sdk.createAgentSandboxProvider({ client: new sdk.AgentSandboxClient({ kubeConfig: kcSilent }) });
      const ac = new AbortController();
      const checking = provider.healthCheck({ signal: ac.signal });
      checking.catch(() => {});
      await until('a connection to the silent server', () => sockets.size > 0);
      await assertCancelledAfterAbort(checking, () => ac.abort());
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });
});
