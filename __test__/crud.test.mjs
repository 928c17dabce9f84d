// CustomResourceCrud against the real API server: requests and error mapping.
import { assert, describe, it, before, after } from './helpers/harness.mjs';
import * as sdk from '../index.js';
import { kubeConfigFor, freshNamespace, sandboxManifest, unreachableKubeConfig } from './helpers/cluster.mjs';

const SANDBOXES = { group: 'agents.x-k8s.io', version: 'v1alpha1', plural: 'sandboxes' };

describe('CustomResourceCrud on a real API server', () => {
  let kc;
  let ns;
  let crud;
  before(async () => {
    kc = kubeConfigFor();
    ns = await freshNamespace(kc, 'crud');
    crud = new sdk.CustomResourceCrud(kc, SANDBOXES);
  });
  after(() => ns?.cleanup());

  it('creates, gets, updates, patches, lists and deletes', async () => {
    const created = await crud.create(ns.name, sandboxManifest('one', { labels: { app: 'x' } }));
    assert.equal(created.metadata.name, 'one');
    assert.equal(typeof created.metadata.creationTimestamp, 'string');
    // A full update races the controller's own writes: a real 409 is retried
    // with the current object, as any client of optimistic concurrency must.
    let updated;
    for (let attempt = 0; !updated; attempt++) {
      const got = await crud.get(ns.name, 'one');
      assert.equal(got.metadata.uid, created.metadata.uid);
      got.metadata.labels.updated = 'yes';
      try {
        updated = await crud.update(ns.name, 'one', got);
      } catch (err) {
        if (err.statusCode !== 409 || attempt > 10) throw err;
      }
    }
    assert.equal(updated.metadata.labels.updated, 'yes');
    const patched = await crud.patch(ns.name, 'one', { metadata: { annotations: { note: 'merge' } } });
    assert.equal(patched.metadata.annotations.note, 'merge');
    assert.equal(patched.metadata.labels.updated, 'yes', 'a merge patch keeps what it does not mention');
    await crud.create(ns.name, sandboxManifest('two', { labels: { app: 'y' } }));
    const byLabel = await crud.list({ namespace: ns.name, labelSelector: 'app=x' });
    assert.deepEqual(byLabel.items.map((i) => i.metadata.name), ['one']);
    const byField = await crud.list({ namespace: ns.name, fieldSelector: 'metadata.name=two' });
    assert.deepEqual(byField.items.map((i) => i.metadata.name), ['two']);
    const page1 = await crud.list({ namespace: ns.name, limit: 1 });
    assert.equal(page1.items.length, 1);
    assert.ok(page1.metadata.continue);
    const page2 = await crud.list({ namespace: ns.name, limit: 1, continueToken: page1.metadata.continue });
    assert.notEqual(page2.items[0].metadata.name, page1.items[0].metadata.name);
    const clusterWide = await crud.list({ labelSelector: 'app=y' });
    assert.ok(clusterWide.items.some((i) => i.metadata.namespace === ns.name));
    assert.equal(await crud.exists(ns.name, 'one'), true);
    assert.equal(await crud.delete(ns.name, 'one'), undefined);
    await crud.delete(ns.name, 'two');
  });

  it('maps 404 to NotFoundError with the plural as kind', async () => {
    await assert.rejects(crud.get(ns.name, 'missing'), (e) => {
      assert.ok(e instanceof sdk.NotFoundError);
      assert.deepEqual([e.code, e.statusCode], ['NOT_FOUND', 404]);
      assert.equal(e.message, `sandboxes "missing" not found in namespace "${ns.name}"`);
      return true;
    });
    for (const call of [() => crud.update(ns.name, 'missing', sandboxManifest('missing')), () => crud.patch(ns.name, 'missing', {}), () => crud.delete(ns.name, 'missing')]) {
      await assert.rejects(call(), sdk.NotFoundError);
    }
    assert.equal(await crud.exists(ns.name, 'missing'), false);
  });

  it('maps 409 on create to AlreadyExistsError', async () => {
    await crud.create(ns.name, sandboxManifest('dup'));
    await assert.rejects(crud.create(ns.name, sandboxManifest('dup')), (e) => {
      assert.ok(e instanceof sdk.AlreadyExistsError);
      assert.deepEqual([e.code, e.statusCode, e.message], ['ALREADY_EXISTS', 409, 'Sandbox "dup" already exists']);
      return true;
    });
  });

  it('wraps 422 with its status and the server message', async () => {
    const invalid = sandboxManifest('invalid');
    invalid.spec.replicas = 5;
    await assert.rejects(crud.create(ns.name, invalid), (e) => {
      assert.ok(e instanceof sdk.AgentSandboxError);
      assert.deepEqual([e.code, e.statusCode, e.details.type], ['K8S_API_ERROR', 422, 'INVALID']);
      assert.match(e.message, /^CRUD create failed: .*replicas/);
      return true;
    });
  });

  it('wraps 403 for a user without rights, and 401 for an unknown token', async () => {
    const nobody = new sdk.CustomResourceCrud(kubeConfigFor('v0.5.6', 'nobody'), SANDBOXES);
    await assert.rejects(nobody.list({ namespace: ns.name }), (e) => {
      assert.deepEqual([e.code, e.statusCode, e.details.type], ['K8S_API_ERROR', 403, 'FORBIDDEN']);
      assert.match(e.message, /^CRUD list failed: .*forbidden/);
      return true;
    });
    await assert.rejects(nobody.delete(ns.name, 'x'), (e) => e.statusCode === 403 && !(e instanceof sdk.NotFoundError));
    const doc = JSON.parse(kc.exportConfig());
    doc.users = [{ name: 'admin', user: { token: 'not-a-valid-token' } }];
    const stranger = new sdk.CustomResourceCrud(sdk.KubeConfig.fromDocument(doc), SANDBOXES);
    await assert.rejects(stranger.get(ns.name, 'x'), (e) => {
      assert.deepEqual([e.code, e.statusCode, e.details.type], ['K8S_API_ERROR', 401, 'UNAUTHORIZED']);
      return true;
    });
  });

  it('authenticates with a client certificate, a token file and an exec credential plugin', async () => {
    for (const context of ['cert-admin', 'token-file-admin', 'exec-admin']) {
      const other = new sdk.CustomResourceCrud(kubeConfigFor('v0.5.6', context), SANDBOXES);
      const list = await other.list({ namespace: ns.name });
      assert.equal(list.kind, 'SandboxList', context);
    }
  });

  it('reports an unreachable server with a clear code and no status', async () => {
    const doc = JSON.parse(kc.exportConfig());
    doc.clusters[0].cluster.server = 'https://127.0.0.1:1';
    const offline = new sdk.CustomResourceCrud(sdk.KubeConfig.fromDocument(doc), SANDBOXES);
    await assert.rejects(offline.get(ns.name, 'x'), (e) => {
      assert.equal(e.code, 'K8S_API_ERROR');
      assert.equal(e.statusCode, undefined);
      assert.equal(e.details.type, 'UNREACHABLE');
      return true;
    });
  });

  it('KubeConfig.makeApiClient gives a working @kubernetes/client-node client (applyBunCompat under Bun)', async () => {
    const { CoreV1Api } = await import('@kubernetes/client-node');
    const core = kc.makeApiClient(CoreV1Api);
    const found = await core.readNamespace({ name: ns.name });
    assert.equal(found.metadata.name, ns.name);
  });

  it('reads the KubeConfig at call time', async () => {
    const local = kubeConfigFor();
    const c = new sdk.CustomResourceCrud(local, SANDBOXES);
    assert.equal(await c.exists(ns.name, 'dup'), true);
    local.setCurrentContext('nobody');
    await assert.rejects(c.get(ns.name, 'dup'), (e) => e.statusCode === 403);
  });
});

describe('names and namespaces are single path segments', () => {
  it('anything else is refused with INVALID_ARGUMENT before a request is made', async () => {
    // The server refuses connections: a request would fail as unreachable, not INVALID_ARGUMENT.
    const kc = unreachableKubeConfig();
    const crud = new sdk.CustomResourceCrud(kc, { group: 'agents.x-k8s.io', version: 'v1alpha1', plural: 'sandboxes' });
    const refused = (e) => e.code === 'INVALID_ARGUMENT' && e.statusCode === 400;
    // `x/status` would reach the status subresource, `x?dryRun=All` a dry run that deletes nothing.
    for (const name of ['x/status', 'x?dryRun=All', 'x#y', 'x%2Fstatus', '..', '.', '', 'a b', 'a'.repeat(254)]) {
      await assert.rejects(crud.get('ns', name), refused, JSON.stringify(name));
      await assert.rejects(crud.delete('ns', name), refused, JSON.stringify(name));
      await assert.rejects(crud.patch('ns', name, { metadata: {} }), refused, JSON.stringify(name));
    }
    for (const namespace of ['Bad', 'ns/x', 'ns?x=1', '-a', 'a'.repeat(64)]) {
      await assert.rejects(crud.list({ namespace }), refused, namespace);
      await assert.rejects(crud.create(namespace, sandboxManifest('ok')), refused, namespace);
    }
    const client = new sdk.AgentSandboxClient({ kubeConfig: kc, namespace: 'ns' });
    await assert.rejects(client.exec({ sandboxName: 'x/status', command: ['true'] }), refused);
    await assert.rejects(client.deleteSandbox('x?dryRun=All'), refused);
    const err = await crud.get('ns', '/'.repeat(10_000)).catch((e) => e);
    assert.ok(err.message.length < 400, 'a long value is cut short in the message');
  });
});
