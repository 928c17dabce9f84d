// Exec against the real API server. With the test environment's real node
// (v0.5.6, `k8s/testenv/up --real-node`) the command runs in a container
// through a real kubelet and containerd; on the kwok node (the other
// profile) it runs on this host through the test exec server.
import { assert, describe, it, before, after, until } from './helpers/harness.mjs';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import * as sdk from '../index.js';
import { V1BETA1_PROFILES, kubeConfigFor, freshNamespace, nodeRunsOf, sandboxManifest } from './helpers/cluster.mjs';

for (const { profile, label, node } of nodeRunsOf(V1BETA1_PROFILES)) describe(`exec (${label})`, () => {
  let client;
  let ns;
  before(async () => {
    const kc = kubeConfigFor(profile);
    ns = await freshNamespace(kc, 'exec', node);
    client = new sdk.AgentSandboxClient({ kubeConfig: kc, namespace: ns.name });
    await client.createSandbox(sandboxManifest('box', {}, node));
    await client.waitForReady('box', { timeoutMs: 60_000, pollIntervalMs: 200 });
  });
  after(() => ns?.cleanup());

  it('returns trimmed output and the exit code', async () => {
    const ok = await client.exec({ sandboxName: 'box', command: ['sh', '-c', 'echo "  out  "; echo err >&2'] });
    assert.deepEqual(ok, { exitCode: 0, stdout: 'out', stderr: 'err' });
    assert.equal((await client.exec({ sandboxName: 'box', command: ['sh', '-c', 'exit 3'] })).exitCode, 3);
    assert.equal((await client.exec({ sandboxName: 'box', command: ['sh', '-c', 'exit 42'] })).exitCode, 42);
    const missing = await client.exec({ sandboxName: 'box', command: ['sh', '-c', 'no-such-command-xyz'] });
    assert.equal(missing.exitCode, 127);
  });

  it('a command killed by a signal gives 128 + its number (kill -TERM $$ gives 143)', async () => {
    assert.equal((await client.exec({ sandboxName: 'box', command: ['sh', '-c', 'kill -TERM $$'] })).exitCode, 143);
    assert.equal((await client.exec({ sandboxName: 'box', command: ['sh', '-c', 'kill -KILL $$'] })).exitCode, 137);
  });

  it('decodes multi-byte characters whole', async () => {
    const r = await client.exec({ sandboxName: 'box', command: ['sh', '-c', "printf 'h\\303\\251llo \\342\\202\\254'"] });
    assert.equal(r.stdout, 'héllo €');
  });

  it('decodes multi-byte characters split across frames', async () => {
    // 300 KB of three-byte characters: chunk boundaries fall inside characters.
    const r = await client.exec({ sandboxName: 'box', command: ['sh', '-c', "i=0; while [ $i -lt 100000 ]; do printf '\\342\\202\\254'; i=$((i+1)); done"] });
    assert.equal(r.stdout.length, 100_000);
    assert.ok(/^€+$/.test(r.stdout));
  });

  it('a stream whose wait() is never called leaves no unhandled rejection', async () => {
    const unhandled = [];
    const onUnhandled = (reason) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const h = await client.execStream({ sandboxName: 'no-such-box', command: ['true'] });
      const t = await client.execStream({ sandboxName: 'box', command: ['sleep', '600'], timeoutMs: 100 });
      assert.equal(h.stdout.destroyed, true);
      await new Promise((r) => setTimeout(r, 500));
      t.kill();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    assert.deepEqual(unhandled, []);
  });

  it('falls back to the sandbox name as pod name, and rejects an unknown pod with ExecError', async () => {
    await assert.rejects(client.exec({ sandboxName: 'no-such-box', command: ['true'] }), (e) => {
      assert.ok(e instanceof sdk.ExecError);
      assert.match(e.message, /^Exec failed for "true": /);
      return true;
    });
  });

  it('times out with TimeoutError', async () => {
    await assert.rejects(client.exec({ sandboxName: 'box', command: ['sleep', '30'], timeoutMs: 300 }), (e) => {
      assert.ok(e instanceof sdk.TimeoutError);
      assert.equal(e.message, 'exec sleep 30 timed out after 300ms');
      return true;
    });
  });

  it('streams stdout as an async iterator with the exit code from wait()', async () => {
    const h = await client.execStream({ sandboxName: 'box', command: ['sh', '-c', 'head -c 10485760 /dev/zero | tr "\\0" "a"; exit 5'] });
    let bytes = 0;
    let allA = true;
    for await (const chunk of h.stdout) {
      bytes += chunk.length;
      if (allA && chunk.some((b) => b !== 0x61)) allA = false;
    }
    assert.equal(bytes, 10 * 1024 * 1024);
    assert.ok(allA);
    assert.deepEqual(await h.wait(), { exitCode: 5 });
    assert.equal(h.wait(), h.wait());
    assert.equal(h.stdout.writableEnded, true);
    assert.equal(h.stderr.writableEnded, true);
  });

  it('streams 10 MB of random bytes byte-exact', async () => {
    const prep = await client.exec({ sandboxName: 'box', command: ['sh', '-c', 'head -c 10485760 /dev/urandom > random.bin && sha256sum random.bin'] });
    const expected = prep.stdout.split(' ')[0];
    const h = await client.execStream({ sandboxName: 'box', command: ['cat', 'random.bin'] });
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of h.stdout) {
      hash.update(chunk);
      bytes += chunk.length;
    }
    assert.deepEqual(await h.wait(), { exitCode: 0 });
    assert.equal(bytes, 10 * 1024 * 1024);
    assert.equal(hash.digest('hex'), expected);
  });

  it('a consumer that stops reading stops the producer: memory stays bounded', async () => {
    const size = 200 * 1024 * 1024;
    const h = await client.execStream({ sandboxName: 'box', command: ['head', '-c', String(size), '/dev/zero'] });
    const chunks = h.stdout[Symbol.asyncIterator]();
    let total = (await chunks.next()).value.length;
    const before = process.memoryUsage().rss;
    await new Promise((r) => setTimeout(r, 1500)); // the consumer reads nothing for a while
    const grown = process.memoryUsage().rss - before;
    assert.ok(grown < 64 * 1024 * 1024, `RSS grew by ${grown} bytes while the consumer was idle`);
    for (let c = await chunks.next(); !c.done; c = await chunks.next()) total += c.value.length;
    assert.equal(total, size);
    assert.deepEqual(await h.wait(), { exitCode: 0 });
  });

  it('a slow reader still gets every byte after the command has exited', async () => {
    // `seq` exits while megabytes are still on their way; a reader that needs
    // seconds more must still receive all of it, in order.
    const count = 800_000;
    const h = await client.execStream({ sandboxName: 'box', command: ['seq', '1', String(count)] });
    const parts = [];
    for await (const chunk of h.stdout) {
      parts.push(chunk);
      await new Promise((r) => setTimeout(r, chunk.length / 2048)); // about 2 MB/s
    }
    assert.deepEqual(await h.wait(), { exitCode: 0 });
    const text = Buffer.concat(parts).toString();
    const expected = Array.from({ length: count }, (_, i) => `${i + 1}\n`).join('');
    assert.equal(text.length, expected.length);
    assert.ok(text === expected, 'the output differs from seq 1..N');
  });

  it('a TTY session takes the terminal size from resize()', async () => {
    const h = await client.execStream({ sandboxName: 'box', command: ['sh', '-c', 'sleep 1; stty size'], tty: true });
    await h.resize(100, 40);
    let out = '';
    for await (const chunk of h.stdout) out += chunk;
    assert.deepEqual(await h.wait(), { exitCode: 0 });
    assert.equal(out.trim(), '40 100');
  });

  it('a deleted pod ends a running command instead of leaving it hanging', async () => {
    await client.createSandbox(sandboxManifest('doomed', {}, node));
    await client.waitForReady('doomed', { timeoutMs: 60_000, pollIntervalMs: 200 });
    const h = await client.execStream({ sandboxName: 'doomed', command: ['sleep', '600'] });
    await client.deleteSandbox('doomed');
    const outcome = await h.wait().then((r) => r, (e) => e);
    // The kubelet kills a deleted pod's containers: the command ends with a
    // failure (137 for SIGKILL; a real runtime may answer 1 for an exec whose
    // container stopped), or the connection drops.
    assert.ok((outcome.exitCode ?? 0) !== 0 || outcome instanceof sdk.ExecError, String(outcome?.message ?? JSON.stringify(outcome)));
    // A native EXEC_FAILED carries its message (it used to read `…": undefined`).
    if (outcome instanceof sdk.ExecError) assert.doesNotMatch(outcome.message, /: undefined$/);
  });

  it('sends stdin and half-closes it', async () => {
    const h = await client.execStream({ sandboxName: 'box', command: ['sh', '-c', 'cat; echo done'], stdin: Readable.from([Buffer.from('hello '), Buffer.from('world\n')]) });
    let out = '';
    for await (const chunk of h.stdout) out += chunk;
    assert.equal(out, 'hello world\ndone\n');
    assert.deepEqual(await h.wait(), { exitCode: 0 });
  });

  it('kill() settles wait() with -1 and destroys the streams', async () => {
    const h = await client.execStream({ sandboxName: 'box', command: ['sleep', '600'] });
    const started = Date.now();
    h.kill();
    h.kill();
    assert.deepEqual(await h.wait(), { exitCode: -1 });
    assert.ok(Date.now() - started < 1000);
    assert.equal(h.stdout.destroyed, true);
    assert.equal(h.stderr.destroyed, true);
  });

  it('a stream timeout rejects wait() with TimeoutError', async () => {
    const h = await client.execStream({ sandboxName: 'box', command: ['sleep', '600'], timeoutMs: 300 });
    await assert.rejects(h.wait(), sdk.TimeoutError);
  });

  it('an AbortSignal ends the command', async () => {
    const ac = new AbortController();
    const pending = client.exec({ sandboxName: 'box', command: ['sleep', '600'], signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(pending, (e) => e.code === 'CANCELLED');
  });

  it('a session that cannot open resolves with destroyed streams and a rejecting wait()', async () => {
    const h = await client.execStream({ sandboxName: 'gone-box', command: ['true'] });
    assert.equal(h.stdout.destroyed, true);
    await assert.rejects(h.wait(), (e) => e instanceof sdk.ExecError && !/undefined/.test(e.message) && !/Exec failed.*Exec failed/.test(e.message));
  });

  it('a buffered exec keeps at most maxOutputBytes (default 32 MiB): 1 GiB of output is refused without filling memory', async () => {
    const before = process.memoryUsage().rss;
    const gib = ['sh', '-c', 'head -c 1073741824 /dev/zero'];
    await assert.rejects(client.exec({ sandboxName: 'box', command: gib }), (e) => {
      assert.deepEqual([e.code, e.details.limit], ['OUTPUT_TOO_LARGE', 32 * 1024 * 1024]);
      assert.match(e.message, /printed more than 33554432 bytes/);
      return true;
    });
    const grew = (process.memoryUsage().rss - before) / 2 ** 20;
    assert.ok(grew < 100, `RSS grew by ${grew.toFixed(0)} MiB`);
    await assert.rejects(client.exec({ sandboxName: 'box', command: ['sh', '-c', 'head -c 2048 /dev/zero'], maxOutputBytes: 1024 }), (e) => e.code === 'OUTPUT_TOO_LARGE');
    assert.equal((await client.exec({ sandboxName: 'box', command: ['sh', '-c', 'head -c 1024 /dev/zero | wc -c'], maxOutputBytes: 1024 })).stdout, '1024');
  });

  it('needs only get on the Sandbox and pods/exec: no pod-name annotation, a service account that cannot list pods', async () => {
    const kc = client.kubeConfig;
    const crud = (group, version, plural) => new sdk.CustomResourceCrud(kc, { group, version, plural });
    const rbac = (plural) => crud('rbac.authorization.k8s.io', 'v1', plural);
    const admission = (plural) => crud('admissionregistration.k8s.io', 'v1', plural);
    // v1.x writes no pod-name annotation (the pod is named after the
    // Sandbox); the v0.5.6 controller of these profiles does. A policy keeps
    // it off this test's Sandbox (the controller then reports a
    // ReconcilerError, but the pod runs), so the Sandbox really has none.
    const policy = `sdk-test-no-pod-name-${ns.name}`;
    await admission('validatingadmissionpolicies').create('', {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: policy },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: { resourceRules: [{ apiGroups: ['agents.x-k8s.io'], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['sandboxes'] }] },
        matchConditions: [{ name: 'this-test', expression: `object.metadata.namespace == '${ns.name}' && object.metadata.name in ['plain', 'plain-probe']` }],
        validations: [{ expression: "!has(object.metadata.annotations) || !('agents.x-k8s.io/pod-name' in object.metadata.annotations)", message: 'as agent-sandbox v1.x: no pod-name annotation' }],
      },
    });
    await admission('validatingadmissionpolicybindings').create('', {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: policy },
      spec: { policyName: policy, validationActions: ['Deny'] },
    });
    try {
      // The policy takes effect once the API server has loaded it. (The probe
      // has a name of its own: on a real node its pod takes a while to go.)
      await until('the policy to refuse the annotation', async () => {
        const probe = sandboxManifest('plain-probe', {}, node);
        probe.metadata.annotations = { 'agents.x-k8s.io/pod-name': 'x' };
        return client.createSandbox(probe).then(
          async () => (await client.deleteSandbox('plain-probe'), false),
          (e) => e.statusCode === 422 || e.statusCode === 403 || e.statusCode === 400,
        );
      });
      await client.createSandbox(sandboxManifest('plain', {}, node));
      // Ready, not just Running: a real kubelet answers "container not found" to an exec before that.
      await until('the pod of the Sandbox to be Ready', async () => (await client.pods.get(ns.name, 'plain').catch(() => null))?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      assert.equal((await client.getSandbox('plain')).metadata.annotations?.['agents.x-k8s.io/pod-name'], undefined);

      const meta = { name: 'runner', namespace: ns.name };
      await crud('', 'v1', 'serviceaccounts').create(ns.name, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta });
      await rbac('roles').create(ns.name, {
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta,
        // What the original SDK needed for exec, nothing more.
        rules: [
          { apiGroups: ['agents.x-k8s.io'], resources: ['sandboxes'], verbs: ['get'] },
          { apiGroups: [''], resources: ['pods/exec'], verbs: ['create', 'get'] },
        ],
      });
      await rbac('rolebindings').create(ns.name, {
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta,
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'runner' },
        subjects: [{ kind: 'ServiceAccount', name: 'runner', namespace: ns.name }],
      });
      const secrets = crud('', 'v1', 'secrets');
      await secrets.create(ns.name, {
        apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token',
        metadata: { name: 'runner-token', annotations: { 'kubernetes.io/service-account.name': 'runner' } },
      });
      let token;
      await until('the service account token', async () => (token = (await secrets.get(ns.name, 'runner-token')).data?.token));
      const asRunner = sdk.KubeConfig.fromDocument({
        ...JSON.parse(kc.exportConfig()),
        users: [{ name: 'runner', user: { token: Buffer.from(token, 'base64').toString('utf8') } }],
        contexts: [{ name: 'runner', context: { cluster: kc.getContextObject(kc.getCurrentContext()).cluster, user: 'runner' } }],
        'current-context': 'runner',
      });
      const runner = new sdk.AgentSandboxClient({ kubeConfig: asRunner, namespace: ns.name });
      await assert.rejects(runner.pods.list({ namespace: ns.name }), (e) => e.statusCode === 403);
      await assert.rejects(runner.pods.get(ns.name, 'plain'), (e) => e.statusCode === 403);
      const r = await runner.exec({ sandboxName: 'plain', command: ['echo', 'as the runner'] });
      assert.deepEqual(r, { exitCode: 0, stdout: 'as the runner', stderr: '' });
    } finally {
      await admission('validatingadmissionpolicybindings').delete('', policy).catch(() => {});
      await admission('validatingadmissionpolicies').delete('', policy).catch(() => {});
    }
  });
});
