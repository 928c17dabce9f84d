// Bad input at the public entry points: each case gets a coded error of the
// right class, before any request (the cluster here refuses connections, so a
// request would fail as unreachable instead).
import { assert, describe, it } from './helpers/harness.mjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sdk from '../index.js';
import { sandboxConfig, sandboxManifest, unreachableKubeConfig } from './helpers/cluster.mjs';

const kc = unreachableKubeConfig();
const crud = new sdk.CustomResourceCrud(kc, { group: 'agents.x-k8s.io', version: 'v1alpha1', plural: 'sandboxes' });
const client = new sdk.AgentSandboxClient({ kubeConfig: kc, namespace: 'ns' });
const provider = sdk.createAgentSandboxProvider({ client, namespace: 'ns' });
const instance = new sdk.AgentSandboxInstance('id', 'box', 'cs', 'ns', client);
const cyclic = sandboxManifest('cyclic');
cyclic.spec.self = cyclic;
const longServiceName = sandboxManifest('s'.repeat(64));
longServiceName.spec.service = true;

/** [what, call, error class, code] */
const cases = [
  // Names that are not one path segment would reach another URL.
  ...['x/status', 'x?dryRun=All', 'x#y', 'x%2Fstatus', '..', '.', '', 'a b', 'tab\there', 'a'.repeat(254)].flatMap((name) => [
    [`get(${JSON.stringify(name)})`, () => crud.get('ns', name), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
    [`delete(${JSON.stringify(name)})`, () => crud.delete('ns', name), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
  ]),
  ...['Bad', 'ns/x', 'ns?x=1', '-a', 'a-', 'a_b', 'a'.repeat(64)].map((namespace) => [
    `list in namespace ${JSON.stringify(namespace)}`, () => crud.list({ namespace }), sdk.AgentSandboxError, 'INVALID_ARGUMENT',
  ]),
  ['create in namespace "ns/x"', () => crud.create('ns/x', sandboxManifest('ok')), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
  ['patch of "x/status"', () => crud.patch('ns', 'x/status', { metadata: {} }), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
  ['get with a number for a name', () => crud.get('ns', 5), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
  ['create without a body', () => crud.create('ns', undefined), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
  ['create of a cyclic object', () => crud.create('ns', cyclic), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
  ...[1.5, -1, 2 ** 32, Number.NaN, Number.POSITIVE_INFINITY].map((n) => [`setScale(${n})`, () => crud.setScale('ns', 'p', n), sdk.AgentSandboxError, 'INVALID_ARGUMENT']),
  ['scaleWarmPool(2 ** 32), which used to scale to 0', () => client.scaleWarmPool('p', 2 ** 32), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
  ['a Service name over 63 characters', () => client.createSandbox(longServiceName), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
  ['waitForReady of "x/status"', () => sdk.waitForReady(client.sandboxes, { name: 'x/status', namespace: 'ns' }), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
  ['setShutdown with no date', () => client.setShutdown('s', { shutdownTime: 'soon' }), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
  ['setShutdown with an unknown policy', () => client.setShutdown('s', { shutdownPolicy: 'Later' }), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
  // Exec: the command is an argv, names are path segments.
  ['exec with a string command', () => client.exec({ sandboxName: 'box', command: 'ls' }), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
  ['exec with a non-string argument', () => client.exec({ sandboxName: 'box', command: ['ls', 5] }), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
  ['exec without a command', () => client.exec({ sandboxName: 'box' }), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
  // Deadlines and limits: a negative or non-numeric value is a mistake, not "none".
  ...[-1, Number.NaN, Number.POSITIVE_INFINITY, 'soon'].map((timeoutMs) => [
    `exec with timeoutMs ${String(timeoutMs)}`, () => client.exec({ sandboxName: 'box', command: ['true'], timeoutMs }), sdk.AgentSandboxError, 'INVALID_ARGUMENT',
  ]),
  ['execStream with timeoutMs -5', () => client.execStream({ sandboxName: 'box', command: ['true'], timeoutMs: -5 }), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
  ...[-1, 1.5].map((maxOutputBytes) => [
    `exec with maxOutputBytes ${maxOutputBytes}`, () => client.exec({ sandboxName: 'box', command: ['true'], maxOutputBytes }), sdk.AgentSandboxError, 'INVALID_ARGUMENT',
  ]),
  ['exec into "x/status"', () => client.exec({ sandboxName: 'x/status', command: ['true'] }), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
  ['execStream into "x?y"', () => client.execStream({ sandboxName: 'x?y', command: ['true'] }), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
  ['deleteSandbox("x?dryRun=All")', () => client.deleteSandbox('x?dryRun=All'), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
  // The provider: AgentPane's SandboxConfig.
  ['create({})', () => provider.create({}), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
  ['create(null)', () => provider.create(null), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
  ['create with a number for the codespace', () => provider.create({ ...sandboxConfig('cs'), codespaceId: 5 }), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
  ['create with text for memoryMb', () => provider.create({ ...sandboxConfig('cs'), memoryMb: 'lots' }), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
  ['a provider with a hand-made client', () => sdk.createAgentSandboxProvider({ client: {} }), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
  ['setLogger with a string', () => sdk.setLogger('loud'), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
  // Ports and logs of an instance: whole port numbers, whole counts, container names.
  ...[0, -1, 65536, 80.5, Number.NaN, '80', undefined].map((port) => [
    `forwardPort(${String(port)})`, () => instance.forwardPort(port), sdk.AgentSandboxError, 'INVALID_ARGUMENT',
  ]),
  ['forwardPort with localPort 70000', () => instance.forwardPort(8080, { localPort: 70000 }), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
  ...[{ tailLines: -1 }, { tailLines: 2.5 }, { sinceSeconds: 0 }, { sinceSeconds: 'an hour' }, { container: '../x' }, { follow: 'yes' }].map((options) => [
    `logs(${JSON.stringify(options)})`, () => instance.logs(options).next(), sdk.AgentSandboxError, 'INVALID_ARGUMENT',
  ]),
  // The Docker provider and the backend factory (refused before any daemon is asked).
  ['a Docker host with a path', () => new sdk.DockerSandboxProvider({ dockerHost: 'tcp://host:2375/v1.41' }), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
  ['a relative unix socket', () => new sdk.DockerSandboxProvider({ dockerHost: 'unix://docker.sock' }), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
  ['a TLS Docker host', () => new sdk.DockerSandboxProvider({ dockerHost: 'https://host:2376' }), sdk.AgentSandboxError, 'UNSUPPORTED'],
  ...[-1, 1.5, Number.NaN].map((pidsLimit) => [`pidsLimit ${pidsLimit}`, () => new sdk.DockerSandboxProvider({ pidsLimit }), sdk.AgentSandboxError, 'INVALID_ARGUMENT']),
  ...['root; rm -rf /', '1000:', ':1000', 'a b'].map((user) => [`user ${JSON.stringify(user)}`, () => new sdk.DockerSandboxProvider({ user }), sdk.AgentSandboxError, 'INVALID_ARGUMENT']),
  ['createSandboxProvider with an unknown kind', () => sdk.createSandboxProvider({ kind: 'Docker', client }), sdk.AgentSandboxError, 'INVALID_ARGUMENT'],
];

describe('bad input gets a coded error of the right class', () => {
  for (const [what, call, Class, code] of cases) {
    it(what, async () => {
      let outcome;
      try {
        outcome = await call();
      } catch (err) {
        outcome = err;
      }
      assert.ok(outcome instanceof Class, `${what}: ${outcome?.constructor?.name}: ${outcome?.message}`);
      assert.equal(outcome.code, code, `${what}: ${outcome.message}`);
    });
  }

  it('kubeconfig files: missing, a directory, a device, malformed (its content never quoted), an unknown context', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bad-kubeconfig-'));
    try {
      const malformed = join(dir, 'config');
      writeFileSync(malformed, 'apiVersion: v1\nusers:\n- name: u\n  user:\n    token: canary-7c1f\n   client-key-data: canary-9d2e\n');
      const good = join(dir, 'good');
      writeFileSync(good, 'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "https://127.0.0.1:1"}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n');
      for (const [what, options] of [
        ['missing', { kubeconfigPath: join(dir, 'nope') }],
        ['a directory', { kubeconfigPath: dir }],
        ['a device', { kubeconfigPath: '/dev/zero' }],
        ['malformed', { kubeconfigPath: malformed }],
        ['an unknown context', { kubeconfigPath: good, context: 'nope' }],
      ]) {
        assert.throws(() => sdk.loadKubeConfig(options), (e) => {
          assert.ok(e instanceof sdk.KubeConfigError, `${what}: ${e}`);
          assert.equal(e.code, 'KUBECONFIG_ERROR');
          assert.ok(!JSON.stringify({ message: e.message, details: e.details }).includes('canary'), `${what}: ${e.message}`);
          return true;
        }, what);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the schemas refuse what does not fit with a ZodError-shaped error', () => {
    for (const input of [5, null, 'x', { spec: 5 }]) {
      const result = sdk.sandboxSchema.safeParse(input);
      assert.equal(result.success, false);
      assert.equal(result.error.name, 'ZodError');
      assert.ok(result.error.issues.length > 0);
    }
    assert.equal(sdk.sandboxWarmPoolSpecSchema.safeParse({ replicas: 1, sandboxTemplateRef: { name: 't' }, readinessGracePeriodSeconds: 10 }).success, false);
  });
});
