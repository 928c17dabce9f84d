// AgentSandboxClient on every controller profile: v0.5.6 (v1beta1 storage,
// v1alpha1 through the conversion webhook), v0.4.6 (v1alpha1 only) and
// v1beta1-only (the API of agent-sandbox v1.x).
import { assert, describe, it, before, after, until } from './helpers/harness.mjs';
import * as sdk from '../index.js';
import { readFileSync } from 'node:fs';
import { PROFILES, kubeConfigFor, kubectl, freshNamespace, leastPrivilegeKubeconfig, runsOf, sandboxManifest, testAuditLog, unreachableKubeConfig } from './helpers/cluster.mjs';

// Every profile as the admin, and v0.5.6 once more as the service account of
// k8s/manifests/rbac.yaml (the admin only sets up and checks).
for (const { profile, label, serviceAccount } of runsOf(PROFILES)) {
  describe(`AgentSandboxClient against controller ${label}`, () => {
    let client;
    let ns;
    let sa;
    before(async () => {
      const kc = kubeConfigFor(profile);
      ns = await freshNamespace(kc, serviceAccount ? 'client-sa' : 'client');
      sa = serviceAccount ? leastPrivilegeKubeconfig(profile, ns.name) : undefined;
      client = new sdk.AgentSandboxClient({ kubeConfig: sa?.kubeConfig ?? kc, namespace: ns.name });
    });
    after(() => {
      sa?.cleanup();
      return ns?.cleanup();
    });

    it('creates, waits for Ready, pauses, resumes and deletes a Sandbox', async () => {
      await client.createSandbox(sandboxManifest('life'));
      const ready = await client.waitForReady('life', { timeoutMs: 60_000, pollIntervalMs: 200 });
      assert.equal(ready.status.conditions.find((c) => c.type === 'Ready').status, 'True');
      assert.equal(await client.sandboxExists('life'), true);

      assert.equal(await client.pods.exists(ns.name, 'life'), true);
      const paused = await client.pause('life', 'idle');
      assert.equal(paused.spec.replicas, 0);
      assert.equal(paused.metadata.annotations['agents.x-k8s.io/pause-reason'], 'idle');
      // The controller acts on it: the pod goes away.
      await until('the pod to go', async () => !(await client.pods.exists(ns.name, 'life')));
      const suspended = await client.getSandbox('life');
      assert.equal(suspended.spec.replicas, 0);

      const resumed = await client.resume('life');
      assert.equal(resumed.spec.replicas, 1);
      assert.equal(resumed.metadata.annotations['agents.x-k8s.io/pause-reason'], '');
      const again = await client.waitForReady('life', { timeoutMs: 60_000, pollIntervalMs: 200 });
      assert.equal(again.spec.replicas, 1);

      await client.deleteSandbox('life');
      await until('the deletion', async () => !(await client.sandboxExists('life')));
      assert.equal(await client.sandboxExists('life'), false);
    });

    it('sets and clears the shutdown time and policy, and reads the service FQDN', async () => {
      const manifest = sandboxManifest('svc');
      manifest.spec.service = true;
      await client.createSandbox(manifest);
      await client.waitForReady('svc', { timeoutMs: 60_000 });
      const fqdn = await until('the service FQDN', () => client.getServiceFQDN('svc'));
      assert.equal(fqdn, `svc.${ns.name}.svc.cluster.local`);

      const at = new Date(Date.now() + 3_600_000);
      const set = await client.setShutdown('svc', { shutdownTime: at, shutdownPolicy: 'Delete' });
      assert.equal(Date.parse(set.spec.shutdownTime), Math.floor(at.getTime() / 1000) * 1000);
      assert.equal(set.spec.shutdownPolicy, 'Delete');
      const cleared = await client.setShutdown('svc', { shutdownTime: null });
      assert.equal(cleared.spec.shutdownTime, undefined);
      assert.equal(cleared.spec.shutdownPolicy, 'Delete');
      await assert.rejects(client.setShutdown('svc', { shutdownTime: 'soon' }), (e) => e.code === 'INVALID_ARGUMENT');
      await assert.rejects(client.setShutdown('svc', { shutdownPolicy: 'Later' }), (e) => e.code === 'INVALID_ARGUMENT');
      await assert.rejects(client.setShutdown('no-such', { shutdownPolicy: 'Retain' }), sdk.NotFoundError);

      await client.createSandbox(sandboxManifest('nosvc'));
      await client.waitForReady('nosvc', { timeoutMs: 60_000 });
      assert.equal(await client.getServiceFQDN('nosvc'), null);
    });

    it('waitForReady keeps its deadline', async () => {
      const unschedulable = sandboxManifest('never-ready');
      unschedulable.spec.podTemplate.spec.nodeSelector = { 'no-such': 'node' };
      await client.createSandbox(unschedulable);
      const started = Date.now();
      await assert.rejects(client.waitForReady('never-ready', { timeoutMs: 1500, pollIntervalMs: 1000 }), (e) => {
        assert.ok(e instanceof sdk.TimeoutError);
        assert.equal(e.message, 'waitForReady(never-ready) timed out after 1500ms');
        return true;
      });
      assert.ok(Date.now() - started < 10_000);
      await assert.rejects(client.waitForReady('missing-one', { timeoutMs: 5000 }), sdk.NotFoundError);
    });

    it('refuses before any request what the server would: a Service name over 63 characters; v1alpha1 where only v1beta1 is served', async () => {
      const long = sandboxManifest('s'.repeat(64));
      long.spec.service = true;
      await assert.rejects(client.createSandbox(long), (e) => e.code === 'INVALID_ARGUMENT' && /at most 63/.test(e.message));
      await assert.rejects(client.sandboxes.apply(ns.name, long), (e) => e.code === 'INVALID_ARGUMENT');
      if (profile === 'v1beta1-only') {
        const pinned = new sdk.AgentSandboxClient({ kubeConfig: client.kubeConfig, namespace: ns.name, apiVersion: 'v1alpha1' });
        await assert.rejects(pinned.listSandboxes(), (e) => e.code === 'UNSUPPORTED' && /serves only v1beta1/.test(e.message) && /apiVersion/.test(e.message));
        // With no option set, everything works.
        assert.ok(Array.isArray((await new sdk.AgentSandboxClient({ kubeConfig: client.kubeConfig, namespace: ns.name }).listSandboxes()).items));
      }
    });

    it('a pod spec the API server refuses for good (a missing RuntimeClass) fails waitForReady with the reason, not the deadline', async () => {
      const refused = sandboxManifest('no-runtime');
      refused.spec.podTemplate.spec.runtimeClassName = 'no-such-runtime';
      await client.createSandbox(refused);
      await assert.rejects(client.waitForReady('no-runtime', { timeoutMs: 60_000 }), (e) => {
        assert.equal(e.code, 'SANDBOX_FAILED', e.message);
        assert.match(e.message, /RuntimeClass "no-such-runtime" not found/);
        return true;
      });
    });

    // The test environment's node reports these images as a kubelet would
    // (k8s/testenv: FAILING_IMAGES); the controller's condition only says
    // the pod is not ready, so the wait reads the pod.
    for (const [image, reason] of [['registry.invalid/agent-sandbox-testenv/unpullable:1', 'ImagePullBackOff'], ['Invalid/Image:Name', 'InvalidImageName']]) {
      it(`a container that cannot start (${reason}) fails waitForReady with the reason, not the deadline`, async () => {
        const name = `bad-image-${reason.toLowerCase()}`;
        await client.createSandbox(new sdk.SandboxBuilder(name).image(image).build());
        await assert.rejects(client.waitForReady(name, { timeoutMs: 60_000 }), (e) => {
          assert.ok(e instanceof sdk.AgentSandboxError, String(e));
          assert.deepEqual([e.code, e.details.reason], ['SANDBOX_FAILED', reason], e.message);
          assert.match(e.message, new RegExp(`container sandbox: ${reason}`));
          return true;
        });
      });
    }

    it('Ready=False with reason InvalidConfiguration (agent-sandbox v1.0.4) fails waitForReady at once, with the reason', async () => {
      const stuck = sandboxManifest('invalid-config');
      stuck.spec.podTemplate.spec.nodeSelector = { 'no-such': 'node' };
      await client.createSandbox(stuck);
      const waiting = client.waitForReady('invalid-config', { timeoutMs: 60_000 });
      waiting.catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 300)); // let the wait start watching
      // What a v1.x controller writes when the API server refuses the Sandbox's Service.
      const message = 'Service "invalid-config" is invalid: metadata.name: must be no more than 63 characters';
      const condition = { type: 'Ready', status: 'False', reason: 'InvalidConfiguration', message, lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') };
      kubectl(profile, 'patch', 'sandboxes.agents.x-k8s.io', 'invalid-config', '-n', ns.name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { conditions: [condition] } }));
      // SANDBOX_FAILED with the condition's reason, not TIMEOUT at the deadline
      // (no assertion on how long it took: tests never assert on timings).
      await assert.rejects(waiting, (e) => {
        assert.deepEqual([e.code, e.details.reason, e.message], ['SANDBOX_FAILED', 'InvalidConfiguration', message]);
        return true;
      });
    });

    it('manages templates, claims and warm pools in the extensions group', async () => {
      const template = new sdk.SandboxTemplateBuilder('tpl')
        .podTemplate({ metadata: {}, spec: { containers: [{ name: 'sandbox', image: 'busybox' }] } })
        .build();
      await client.createTemplate(template);
      assert.equal((await client.getTemplate('tpl')).kind, 'SandboxTemplate');
      assert.deepEqual((await client.listTemplates()).items.map((t) => t.metadata.name), ['tpl']);

      const pool = new sdk.SandboxWarmPoolBuilder('pool').replicas(1).sandboxTemplateRef('tpl').build();
      await client.createWarmPool(pool);
      const replaced = await client.replaceWarmPool('pool', new sdk.SandboxWarmPoolBuilder('pool').replicas(2).sandboxTemplateRef('tpl').build());
      assert.equal(replaced.spec.replicas, 2);
      assert.equal((await client.listWarmPools()).items.length, 1);

      const claim = new sdk.SandboxClaimBuilder('claim').templateRef('tpl').build();
      await client.createClaim(claim);
      assert.equal((await client.getClaim('claim')).spec.sandboxTemplateRef.name, 'tpl');
      assert.equal((await client.listClaims()).items.length, 1);
      await client.deleteClaim('claim');
      await client.deleteWarmPool('pool');
      await client.deleteTemplate('tpl');
      await assert.rejects(client.getTemplate('tpl'), sdk.NotFoundError);
    });

    it('claimSandbox binds a claim from a warm pool and returns a ready Sandbox and its pod', async () => {
      await client.createTemplate(
        new sdk.SandboxTemplateBuilder('claim-tpl').podTemplate({ metadata: {}, spec: { containers: [{ name: 'sandbox', image: 'busybox' }] } }).build(),
      );
      await client.createWarmPool(new sdk.SandboxWarmPoolBuilder('claim-pool').replicas(1).sandboxTemplateRef('claim-tpl').build());
      const bound = await client.claimSandbox({ name: 'my-claim', warmPool: 'claim-pool', labels: { 'agentpane.io/project-id': 'p1' }, timeoutMs: 60_000 });
      const sandboxName = bound.sandbox.metadata.name;
      assert.equal(bound.claim.metadata.name, 'my-claim');
      assert.equal(bound.sandbox.status.conditions.find((c) => c.type === 'Ready').status, 'True');
      assert.ok(bound.podName);
      const r = await client.exec({ sandboxName, command: ['echo', 'claimed'] });
      assert.equal(r.stdout, 'claimed');
      await assert.rejects(client.claimSandbox({ name: 'never', warmPool: 'no-such-pool', timeoutMs: 1500 }), (e) => e.code === 'TIMEOUT' || e.code === 'NOT_FOUND' || e.statusCode === 404);
      assert.equal(await client.claims.exists(ns.name, 'never'), false);
      // A claim of that name is someone else's: refused, and left alone (it was deleted before).
      await assert.rejects(client.claimSandbox({ name: 'my-claim', warmPool: 'claim-pool', timeoutMs: 10_000 }), (e) => e.code === 'ALREADY_EXISTS' && e.statusCode === 409);
      assert.equal(await client.claims.exists(ns.name, 'my-claim'), true);
      // Reconnecting by name (after a restart, say) gives the same claim and Sandbox.
      const again = await client.claimSandbox({ name: 'my-claim', reconnect: true, timeoutMs: 30_000 });
      assert.deepEqual([again.claim.metadata.uid, again.sandbox.metadata.name, again.podName], [bound.claim.metadata.uid, sandboxName, bound.podName]);
      // Labels select claims.
      const labelled = await client.listClaims(undefined, { labelSelector: 'agentpane.io/project-id=p1' });
      assert.deepEqual(labelled.items.map((c) => c.metadata.name), ['my-claim']);
      // Expiry: shutdownTime with policy Delete.
      const before = Date.now();
      const expiring = await client.claimSandbox({ name: 'expiring', warmPool: 'claim-pool', shutdownAfterSeconds: 3600, timeoutMs: 60_000 });
      const lifecycle = (await client.getClaim('expiring')).spec.lifecycle;
      assert.equal(lifecycle.shutdownPolicy, 'Delete');
      const at = Date.parse(lifecycle.shutdownTime);
      assert.ok(at >= before + 3_599_000 && at <= Date.now() + 3_601_000, lifecycle.shutdownTime);
      assert.ok(expiring.podName);
      await client.deleteClaim('expiring');
      await client.deleteClaim('my-claim');
    });

    it('watchSandboxes reports changes in order and stops cleanly', async () => {
      const seen = (what, cond) => until(what, cond, { detail: () => `events so far: ${events}` });
      const events = [];
      // Created first: the watch starts with the current state (ADDED), which
      // also shows it is established before the changes we make.
      await client.createSandbox(sandboxManifest('watched'));
      const handle = client.watchSandboxes((ev) => {
        if (ev.object.metadata.name === 'watched') events.push(ev.type);
      });
      await seen('ADDED', () => events.includes('ADDED'));
      await client.waitForReady('watched', { timeoutMs: 60_000, pollIntervalMs: 200 });
      await client.deleteSandbox('watched');
      await seen('DELETED', () => events.includes('DELETED'));
      handle.stop();
      await handle.done;
      assert.equal(events[0], 'ADDED');
      assert.equal(events.at(-1), 'DELETED');
      assert.ok(events.slice(1, -1).every((t) => t === 'MODIFIED'), String(events));
    });

    it('watch() is an async iterator; break stops it', async () => {
      await client.createSandbox(sandboxManifest('iterated'));
      const seen = [];
      for await (const ev of client.watch('sandboxes', { fieldSelector: 'metadata.name=iterated' })) {
        seen.push(ev.type);
        if (seen.length === 1) await client.sandboxes.patch(ns.name, 'iterated', { metadata: { labels: { poke: '1' } } });
        if (ev.object.metadata.labels?.poke === '1') break;
      }
      assert.equal(seen[0], 'ADDED');
      assert.equal(seen.at(-1), 'MODIFIED');
      assert.throws(() => client.watch('pods'), (e) => e instanceof TypeError && e.code === 'INVALID_ARGUMENT');
      const ac = new AbortController();
      const it = client.watch('sandboxclaims', { signal: ac.signal });
      setTimeout(() => ac.abort(), 200);
      for await (const ev of it) void ev; // ends when aborted
    });

    it('watches templates and warm pools cluster-wide', async () => {
      const mark = `w${Date.now()}`;
      const template = new sdk.SandboxTemplateBuilder('watched').namespace(ns.name).image('busybox').build();
      template.metadata.labels = { mark };
      const pool = new sdk.SandboxWarmPoolBuilder('watched').namespace(ns.name).replicas(0).sandboxTemplateRef('watched').build();
      pool.metadata.labels = { mark };
      await client.createTemplate(template);
      await client.createWarmPool(pool);
      for (const kind of ['sandboxtemplates', 'sandboxwarmpools']) {
        if (serviceAccount) {
          // Beyond its namespace: refused, with the verb and the resource named.
          const watching = client.watch(kind, { namespace: '', labelSelector: `mark=${mark}`, signal: AbortSignal.timeout(30_000) });
          await assert.rejects(watching.next(), (e) => {
            assert.equal(e.statusCode, 403, e.message);
            assert.match(e.message, new RegExp(`cannot (list|watch) resource "${kind}"`));
            return true;
          });
          continue;
        }
        const ac = new AbortController();
        const timer = setTimeout(() => ac.abort(), 30_000);
        let found;
        for await (const ev of client.watch(kind, { namespace: '', labelSelector: `mark=${mark}`, signal: ac.signal })) {
          found = ev;
          break;
        }
        clearTimeout(timer);
        assert.equal(found?.type, 'ADDED', kind);
        assert.equal(found.object.metadata.namespace, ns.name);
        assert.equal(found.object.metadata.name, 'watched');
      }
    });

    it('stop() before the first response resolves done', async () => {
      const handle = client.watchSandboxes(() => assert.fail('no callback after stop'));
      handle.stop();
      await handle.done;
      // Stopped while the watch is being opened (it used to wait for events forever).
      const opening = client.watchSandboxes(() => {});
      await new Promise((resolve) => setImmediate(resolve));
      opening.stop();
      await opening.done;
    });

    it('healthCheck reports the cluster, the CRDs and the namespace', async () => {
      const health = await client.healthCheck();
      assert.equal(health.healthy, true);
      assert.equal(health.crdRegistered, true);
      assert.equal(health.namespaceExists, true);
      assert.equal(health.clusterVersion, 'v1.36.3');
      assert.equal(health.namespace, ns.name);
      const status = await client.controllerStatus();
      assert.equal(status.ready, true);
      assert.equal(status.crdReady, true);
      assert.equal(status.clusterVersion, 'v1.36.3');
      const served = { 'v0.5.6': ['v1beta1', 'v1alpha1'], 'v0.4.6': ['v1alpha1'], 'v1beta1-only': ['v1beta1'] }[profile];
      assert.deepEqual(status.servedVersions['agents.x-k8s.io'], served);
      assert.equal(status.installed, false); // the test controller runs outside the cluster: no Deployment
      const elsewhere = new sdk.AgentSandboxClient({ kubeConfig: client.kubeConfig, namespace: 'does-not-exist' });
      assert.equal((await elsewhere.healthCheck()).healthy, false);
    });
  });
}

describe('healthCheck on an unreachable cluster', () => {
  it('returns the early-failure shape', async () => {
    const health = await new sdk.AgentSandboxClient({ kubeConfig: unreachableKubeConfig(), namespace: 'n' }).healthCheck();
    assert.deepEqual(health, { healthy: false, controllerInstalled: false, crdRegistered: false, namespace: 'n', namespaceExists: false });
  });

  it('the constructor loads the kubeconfig synchronously and defaults the namespace', () => {
    const client = new sdk.AgentSandboxClient({ kubeConfig: sdk.KubeConfig.fromDocument({}) });
    assert.equal(client.namespace, 'agentpane-sandboxes');
    assert.throws(() => new sdk.AgentSandboxClient({ kubeconfigPath: '/nonexistent/kubeconfig' }), sdk.KubeConfigError);
  });
});

describe('waitForReady driven by a watch', () => {
  it('resolves on Ready, honours an AbortSignal, and still polls duck-typed CRUD objects', async () => {
    const kc = kubeConfigFor();
    const ns = await freshNamespace(kc, 'wait');
    try {
      const client = new sdk.AgentSandboxClient({ kubeConfig: kc, namespace: ns.name });
      await client.createSandbox(sandboxManifest('w1'));
      const ready = await sdk.waitForReady(client.sandboxes, { name: 'w1', namespace: ns.name, timeoutMs: 60_000 });
      assert.equal(ready.status.conditions.find((c) => c.type === 'Ready').status, 'True');

      const stuck = sandboxManifest('w2');
      stuck.spec.podTemplate.spec.nodeSelector = { 'no-such': 'node' };
      await client.createSandbox(stuck);
      const ac = new AbortController();
      setTimeout(() => ac.abort(new Error('user gave up')), 300);
      await assert.rejects(client.waitForReady('w2', { timeoutMs: 60_000, signal: ac.signal }), (e) => {
        assert.equal(e.code, 'CANCELLED');
        assert.equal(e.details.reason, 'user gave up');
        return true;
      });
      await assert.rejects(client.waitForReady('w2', { timeoutMs: 0 }), sdk.TimeoutError);

      // A pod the namespace's Pod Security level refuses fails fast, with the API server's reason.
      const namespaces = new sdk.CustomResourceCrud(kc, { group: '', version: 'v1', plural: 'namespaces' });
      await namespaces.patch('', ns.name, { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } });
      await client.createSandbox(sandboxManifest('refused'));
      await assert.rejects(client.waitForReady('refused', { timeoutMs: 60_000 }), (e) => {
        assert.equal(e.code, 'SANDBOX_FAILED');
        assert.equal(e.details.reason, 'ReconcilerError');
        assert.match(e.message, /violates PodSecurity/);
        return true;
      });

      const duck = { get: async () => ({ status: { conditions: [{ type: 'Ready', status: 'False', reason: 'TemplateNotFound', message: 'no template' }] } }) };
      await assert.rejects(sdk.waitForReady(duck, { name: 'x', namespace: 'y' }), (e) => {
        assert.deepEqual([e.code, e.statusCode, e.message, e.details.reason], ['SANDBOX_FAILED', 500, 'no template', 'TemplateNotFound']);
        return true;
      });
    } finally {
      await ns.cleanup();
    }
  });

  it('1,000 concurrent waits hold one watch of Sandboxes and one of pods, and all settle', async () => {
    const kc = kubeConfigFor();
    const ns = await freshNamespace(kc, 'wait-many');
    try {
      const client = new sdk.AgentSandboxClient({ kubeConfig: kc, namespace: ns.name });
      const names = Array.from({ length: 40 }, (_, i) => `many-${i}`);
      // Suspended, so that every wait is still waiting when all have begun.
      await Promise.all(names.map((name) => client.createSandbox({ ...sandboxManifest(name), spec: { ...sandboxManifest(name).spec, replicas: 0 } })));
      const waits = Array.from({ length: 1000 }, (_, i) => client.waitForReady(names[i % names.length], { timeoutMs: 120_000 }));
      await new Promise((r) => setTimeout(r, 2000));
      await Promise.all(names.map((name) => client.resume(name)));
      const settled = await Promise.allSettled(waits);
      const failed = settled.filter((s) => s.status === 'rejected');
      assert.equal(failed.length, 0, `${failed.length} of 1,000 waits failed, e.g. ${failed[0]?.reason}`);
      assert.ok(settled.every((s) => s.value.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True')));

      // The API server's audit log: the most watches of this namespace open
      // at once. (An overloaded API server may close a watch it finds slow;
      // the shared watch then resumes on a new request, one after the other.)
      const spans = new Map();
      for (const line of readFileSync(testAuditLog(), 'utf8').split('\n')) {
        if (!line.includes(`/namespaces/${ns.name}/`) || !line.includes('"verb":"watch"')) continue;
        const e = JSON.parse(line);
        const span = spans.get(e.auditID) ?? { what: e.requestURI.split('?')[0], from: Date.parse(e.requestReceivedTimestamp), to: Infinity };
        if (e.stage === 'ResponseComplete') span.to = Date.parse(e.stageTimestamp);
        spans.set(e.auditID, span);
      }
      assert.ok(spans.size >= 1, 'no watch of this namespace in the audit log');
      const open = (t) => [...spans.values()].filter((s) => s.from <= t && t < s.to);
      const most = Math.max(...[...spans.values()].map((s) => open(s.from).length));
      assert.ok(most <= 2, `1,000 waits held ${most} watches at once: ${[...spans.values()].map((s) => s.what).join(', ')}`);
    } finally {
      await ns.cleanup();
    }
  });
});

describe('healthCheck finds the controller as upstream deploys it', () => {
  it('by label with its version, else by Deployment name with the image tag', async () => {
    const kc = kubeConfigFor();
    const namespaces = new sdk.CustomResourceCrud(kc, { group: '', version: 'v1', plural: 'namespaces' });
    const deployments = new sdk.CustomResourceCrud(kc, { group: 'apps', version: 'v1', plural: 'deployments' });
    const ns = 'agent-sandbox-system';
    if (!(await namespaces.exists('', ns))) await namespaces.create('', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const deployment = (name, labels, image) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, labels },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'manager', image }] } },
      },
    });
    const client = new sdk.AgentSandboxClient({ kubeConfig: kc, namespace: 'agentpane-sandboxes' });
    try {
      await deployments.create(ns, deployment('agent-sandbox-controller-manager', {}, 'registry.k8s.io/agent-sandbox/agent-sandbox-controller:v0.4.6'));
      let health = await client.healthCheck();
      assert.deepEqual([health.controllerInstalled, health.controllerVersion, health.healthy], [true, 'v0.4.6', true]);
      await deployments.create(ns, deployment('by-label', { 'app.kubernetes.io/name': 'agent-sandbox-controller', 'app.kubernetes.io/version': 'v0.5.6' }, 'x:latest'));
      health = await client.healthCheck();
      assert.deepEqual([health.controllerInstalled, health.controllerVersion], [true, 'v0.5.6']);
    } finally {
      await deployments.delete(ns, 'agent-sandbox-controller-manager').catch(() => {});
      await deployments.delete(ns, 'by-label').catch(() => {});
    }
    const after = await client.healthCheck();
    assert.equal(after.controllerInstalled, false);
  });
});
