import { assert, describe, it, before, after } from './helpers/harness.mjs';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, delimiter } from 'node:path';
import * as sdk from '../index.js';

const doc = (cluster, ctx, current) =>
  `apiVersion: v1\nkind: Config\nclusters:\n- name: ${cluster}\n  cluster:\n    server: https://${cluster}.example:6443\n` +
  `users:\n- name: u-${cluster}\n  user:\n    token: t\ncontexts:\n- name: ${ctx}\n  context:\n    cluster: ${cluster}\n    user: u-${cluster}\n` +
  (current ? `current-context: ${current}\n` : '');

const ENV_KEYS = ['K8S_KUBECONFIG', 'KUBECONFIG', 'HOME', 'KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT'];

describe('loadKubeConfig', () => {
  let dir;
  const saved = {};
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sdk-kc-'));
    for (const k of ENV_KEYS) saved[k] = process.env[k];
  });
  after(() => {
    for (const k of ENV_KEYS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const env = (vars) => {
    for (const k of ENV_KEYS) delete process.env[k];
    process.env.HOME = join(dir, 'no-home');
    Object.assign(process.env, vars);
  };
  const file = (name, text) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('an explicit path wins over the environment', () => {
    env({ K8S_KUBECONFIG: file('env', doc('env', 'env', 'env')) });
    const kc = sdk.loadKubeConfig({ kubeconfigPath: file('explicit', doc('explicit', 'ctx', 'ctx')) });
    assert.equal(kc.getCurrentCluster().server, 'https://explicit.example:6443');
  });

  it('a missing explicit or K8S_KUBECONFIG file is an error, not a fall-through', () => {
    env({ KUBECONFIG: file('k', doc('k', 'k', 'k')) });
    assert.throws(() => sdk.loadKubeConfig({ kubeconfigPath: join(dir, 'missing') }), (e) => e instanceof sdk.KubeConfigError && /not found/.test(e.message));
    env({ K8S_KUBECONFIG: join(dir, 'missing'), KUBECONFIG: file('k', doc('k', 'k', 'k')) });
    assert.throws(() => sdk.loadKubeConfig(), (e) => e instanceof sdk.KubeConfigError && /not found/.test(e.message));
  });

  it('a malformed file gives a KubeConfigError naming the file and the problem', () => {
    const p = file('bad', 'clusters: [this is: not valid');
    env({});
    assert.throws(() => sdk.loadKubeConfig({ kubeconfigPath: p }), (e) => {
      assert.ok(e instanceof sdk.KubeConfigError);
      assert.equal(e.code, 'KUBECONFIG_ERROR');
      assert.match(e.message, /^Invalid kubeconfig: /);
      assert.ok(e.message.includes(p), e.message);
      return true;
    });
    env({ KUBECONFIG: p });
    assert.throws(() => sdk.loadKubeConfig(), sdk.KubeConfigError);
  });

  it('merges every existing KUBECONFIG file like kubectl', () => {
    const one = file('one', doc('shared', 'ctx-1'));
    const two = file('two', doc('shared', 'ctx-2', 'ctx-2').replace('shared.example', 'other.example'));
    env({ KUBECONFIG: ['', one, '', join(dir, 'missing'), two, ''].join(delimiter) });
    const kc = sdk.loadKubeConfig();
    assert.deepEqual(kc.getContexts().map((c) => c.name), ['ctx-1', 'ctx-2']);
    assert.equal(kc.getCurrentContext(), 'ctx-2');
    assert.equal(kc.getCurrentCluster().server, 'https://shared.example:6443');
  });

  it('falls through to ~/.kube/config, and fails clearly outside a cluster', () => {
    mkdirSync(join(dir, 'home', '.kube'), { recursive: true });
    writeFileSync(join(dir, 'home', '.kube', 'config'), doc('home', 'home', 'home'));
    env({ KUBECONFIG: join(dir, 'missing'), HOME: join(dir, 'home') });
    assert.equal(sdk.loadKubeConfig().getCurrentContext(), 'home');
    env({ KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }); // no service account token here
    assert.throws(() => sdk.loadKubeConfig(), (e) => e instanceof sdk.KubeConfigError && /^No kubeconfig found/.test(e.message));
  });

  it('applies the context and skipTLSVerify', () => {
    env({});
    const p = file('ctx', doc('c', 'the-ctx'));
    const kc = sdk.loadKubeConfig({ kubeconfigPath: p, context: 'the-ctx', skipTLSVerify: true });
    assert.equal(kc.getCurrentContext(), 'the-ctx');
    assert.equal(kc.clusters[0].skipTLSVerify, true);
    assert.throws(() => sdk.loadKubeConfig({ kubeconfigPath: p, context: 'nope' }), /not found/);
  });
});

describe('resolveContext and getClusterInfo', () => {
  const kc = sdk.KubeConfig.fromDocument({
    clusters: [{ name: 'c1', cluster: { server: 'https://c1:6443' } }],
    users: [{ name: 'u', user: {} }],
    contexts: [{ name: 'a', context: { cluster: 'c1', user: 'u' } }, { name: 'b', context: { cluster: 'missing', user: 'u' } }],
    'current-context': 'a',
  });

  it('resolveContext sets and returns, or returns the current one', () => {
    assert.equal(sdk.resolveContext(kc), 'a');
    assert.equal(sdk.resolveContext(kc, 'b'), 'b');
    assert.equal(kc.getCurrentContext(), 'b');
    assert.throws(() => sdk.resolveContext(kc, 'zzz'), /not found/);
    const empty = new sdk.KubeConfig();
    assert.throws(() => sdk.resolveContext(empty), /No current context/);
    kc.setCurrentContext('a');
  });

  it('getClusterInfo gives the cluster name and server, or null', () => {
    assert.deepEqual(sdk.getClusterInfo(kc), { name: 'c1', server: 'https://c1:6443' });
    kc.setCurrentContext('b');
    assert.equal(sdk.getClusterInfo(kc), null);
    kc.setCurrentContext('');
    assert.equal(sdk.getClusterInfo(kc), null);
    kc.setCurrentContext('a');
  });

  it('makeApiClient gives a working @kubernetes/client-node client', async () => {
    const { CoreV1Api } = await import('@kubernetes/client-node');
    const api = kc.makeApiClient(CoreV1Api);
    assert.equal(typeof api.listNamespace, 'function');
  });
});

describe('KubeConfig objects are client-node KubeConfigs when client-node is installed', () => {
  let dir;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sdk-kc-peer-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('loadKubeConfig() and client.kubeConfig are genuine, with every tier applied', async () => {
    const k8s = await import('@kubernetes/client-node');
    const p = join(dir, 'kc');
    writeFileSync(p, doc('c', 'the-ctx'));
    const kc = sdk.loadKubeConfig({ kubeconfigPath: p, context: 'the-ctx', skipTLSVerify: true });
    assert.ok(kc instanceof k8s.KubeConfig);
    assert.equal(kc.getCurrentContext(), 'the-ctx');
    assert.equal(kc.getCurrentCluster().server, 'https://c.example:6443');
    assert.equal(kc.clusters[0].skipTLSVerify, true);
    assert.equal(kc.getCurrentUser().token, 't');
    // client-node's own methods, which the built-in KubeConfig does not all have.
    const opts = {};
    await kc.applyToHTTPSOptions(opts);
    assert.equal(opts.headers.Authorization, 'Bearer t');
    // As client-node reads a file: no trailing slash on the server, file references relative to the file.
    const q = join(dir, 'kc-relative');
    writeFileSync(q, doc('c', 'x', 'x').replace('server: https://c.example:6443', 'server: https://c.example:6443/\n    certificate-authority: pki/ca.crt'));
    const relative = sdk.loadKubeConfig({ kubeconfigPath: q });
    assert.equal(relative.getCurrentCluster().server, 'https://c.example:6443');
    assert.equal(relative.getCurrentCluster().caFile, join(dir, 'pki/ca.crt'));
    const client = new sdk.AgentSandboxClient({ kubeconfigPath: p, context: 'the-ctx' });
    assert.ok(client.kubeConfig instanceof k8s.KubeConfig);
    assert.equal(client.kubeConfig.getCurrentContext(), 'the-ctx');
  });

  it('a token file stays a file (read again on refresh), as client-node names it: authProvider tokenFile', async () => {
    const token = join(dir, 'token');
    writeFileSync(token, 'from-file');
    const p = join(dir, 'kc-file');
    writeFileSync(p, doc('c', 'x', 'x').replace('token: t', `tokenFile: ${token}`));
    const kc = sdk.loadKubeConfig({ kubeconfigPath: p });
    assert.deepEqual(kc.getCurrentUser().authProvider, { name: 'tokenFile', config: { tokenFile: token } });
    assert.equal(kc.getCurrentUser().token, undefined);
    const opts = {};
    await kc.applyToHTTPSOptions(opts);
    assert.equal(opts.headers.Authorization, 'Bearer from-file');
  });

  it('the built-in KubeConfig loads YAML or JSON text, and says where bad text is wrong without quoting it', () => {
    const kc = new sdk.KubeConfig();
    kc.loadFromString(doc('c', 'x', 'x'));
    assert.equal(kc.getCurrentCluster().server, 'https://c.example:6443');
    kc.loadFromString(JSON.stringify({ clusters: [{ name: 'j', cluster: { server: 'https://j:1' } }], contexts: [{ name: 'y', context: { cluster: 'j' } }], 'current-context': 'y' }));
    assert.equal(kc.getCurrentCluster().server, 'https://j:1');
    assert.throws(() => kc.loadFromString('users:\n- name: u\n  user:\n    token: [secret-canary-value\n'), (e) =>
      e instanceof sdk.KubeConfigError && /line \d+ column \d+/.test(e.message) && !e.message.includes('secret-canary'));
    assert.equal(kc.getCurrentCluster().server, 'https://j:1', 'a failed load changes nothing');
  });
});
