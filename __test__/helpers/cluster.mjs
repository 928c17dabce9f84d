// The cluster the integration tests use: AGENT_SANDBOX_TEST_KUBECONFIG, or a
// local control plane from k8s/testenv (started on first use, then reused).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as sdk from '../../index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The controller profiles of k8s/testenv: v0.5.6 (v1beta1 stored, v1alpha1
 * served through the conversion webhook), v0.4.6 (v1alpha1 only), and
 * v1beta1-only (the API as agent-sandbox v1.x serves it).
 */
export const PROFILES = ['v0.5.6', 'v0.4.6', 'v1beta1-only'];
/** The profiles that serve v1beta1 (what the exec and instance suites run on). */
export const V1BETA1_PROFILES = ['v0.5.6', 'v1beta1-only'];
const KUBECONFIG_VARS = {
  'v0.5.6': 'AGENT_SANDBOX_TEST_KUBECONFIG',
  'v0.4.6': 'AGENT_SANDBOX_TEST_KUBECONFIG_V046',
  'v1beta1-only': 'AGENT_SANDBOX_TEST_KUBECONFIG_V1BETA1_ONLY',
};

/** Kubeconfig path of the test cluster for a controller profile. */
export function testKubeconfig(profile = 'v0.5.6') {
  const fromEnv = process.env[KUBECONFIG_VARS[profile]];
  if (fromEnv) return fromEnv;
  const out = execFileSync(join(root, 'k8s/testenv/up'), ['--instance', process.env.AGENT_SANDBOX_TEST_INSTANCE || 'test'], {
    env: { ...process.env, AGENT_SANDBOX_VERSION: profile },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').pop();
}

/**
 * The API server's audit log of a profile's cluster: AGENT_SANDBOX_TEST_AUDIT_LOG,
 * else `audit.log` next to the kubeconfig (where k8s/testenv writes it).
 */
export function testAuditLog(profile = 'v0.5.6') {
  return process.env.AGENT_SANDBOX_TEST_AUDIT_LOG || join(dirname(testKubeconfig(profile)), 'audit.log');
}

/** Runs the test environment's kubectl on a profile's cluster; returns its output. */
export function kubectl(profile, ...args) {
  const bin = execFileSync('bash', ['-c', 'source k8s/testenv/lib.sh && echo "$BIN/kubectl"'], {
    cwd: root,
    env: { ...process.env, AGENT_SANDBOX_VERSION: profile },
    encoding: 'utf8',
  }).trim();
  return execFileSync(bin, ['--kubeconfig', testKubeconfig(profile), '--context', 'admin', ...args], { encoding: 'utf8' });
}

/** The admin KubeConfig, or the one of the user without RBAC rights. */
export function kubeConfigFor(profile = 'v0.5.6', context = 'admin') {
  return sdk.loadKubeConfig({ kubeconfigPath: testKubeconfig(profile), context });
}

/**
 * Each profile as the admin, and v0.5.6 once more as the service account of
 * k8s/manifests/rbac.yaml (`serviceAccount: true`): suites that take these
 * show the SDK needs nothing broader than that manifest grants. With
 * `onRealNode`, v0.5.6's runs carry the real node (`node`), as nodeRunsOf.
 */
export function runsOf(profiles, { onRealNode = false } = {}) {
  const runs = [
    ...profiles.map((profile) => ({ profile, label: profile })),
    { profile: 'v0.5.6', label: 'v0.5.6 as the least-privilege service account', serviceAccount: true },
  ];
  if (!onRealNode) return runs.map((run) => ({ ...run, node: null }));
  // Suites of real containers: v0.5.6's runs go to the real node (see nodeRunsOf).
  return runs.map((run) => {
    const node = run.profile === 'v0.5.6' ? realNode(run.profile) : null;
    return { ...run, node, label: node ? `${run.label}, real node` : run.label };
  });
}

/**
 * The service account of k8s/manifests/rbac.yaml, its manifest applied to
 * namespace `namespace` in place of agentpane-sandboxes: what the SDK and the
 * provider are granted, and nothing broader. Returns a kubeconfig file with
 * a token of that account (current context: it, in that namespace), the
 * KubeConfig loaded from it, and a cleanup that deletes what was applied.
 */
export function leastPrivilegeKubeconfig(profile, namespace) {
  const dir = mkdtempSync(join(tmpdir(), 'sdk-sa-'));
  const manifest = readFileSync(join(root, 'k8s/manifests/rbac.yaml'), 'utf8')
    .replaceAll('agentpane-sandboxes', namespace)
    // Objects outside that namespace get its name too: suites run this at the same time.
    .replaceAll('name: agentpane-sandbox-sdk-health', `name: agentpane-sandbox-sdk-health-${namespace}`)
    .replaceAll('name: agentpane-sandbox-sdk-controller-status', `name: agentpane-sandbox-sdk-controller-status-${namespace}`);
  const manifestPath = join(dir, 'rbac.yaml');
  writeFileSync(manifestPath, manifest);
  kubectl(profile, 'apply', '-f', manifestPath);
  const token = kubectl(profile, 'create', 'token', 'agentpane-sandbox-sdk', '-n', namespace).trim();
  const admin = JSON.parse(kubectl(profile, 'config', 'view', '--raw', '--minify', '-o', 'json'));
  const kubeconfigPath = join(dir, 'kubeconfig.json');
  writeFileSync(kubeconfigPath, JSON.stringify({
    ...admin,
    users: [{ name: 'sa', user: { token } }],
    contexts: [{ name: 'sa', context: { cluster: admin.clusters[0].name, user: 'sa', namespace } }],
    'current-context': 'sa',
  }), { mode: 0o600 });
  return {
    kubeconfigPath,
    kubeConfig: sdk.loadKubeConfig({ kubeconfigPath }),
    cleanup() {
      kubectl(profile, 'delete', '--ignore-not-found', '-f', manifestPath);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A KubeConfig whose server refuses connections (loopback port 1). */
export function unreachableKubeConfig() {
  return sdk.KubeConfig.fromDocument({
    clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }],
    users: [{ name: 'u', user: { token: 't' } }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'x',
  });
}

/**
 * The real node of a profile's k8s/testenv cluster (`up --real-node`: a real
 * kubelet, containerd and runc), or null: what `real-node.json` next to the
 * kubeconfig says (node name, the namespace annotations that send a
 * namespace's pods there, the image references). AGENT_SANDBOX_TEST_REAL_NODE=0
 * ignores it.
 */
export function realNode(profile = 'v0.5.6') {
  if (process.env.AGENT_SANDBOX_TEST_REAL_NODE === '0') return null;
  const file = join(dirname(testKubeconfig(profile)), 'real-node.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
}

/**
 * Where a suite's sandboxes run on a profile's cluster. Suites whose
 * features need a real container (exec, instance, provider) run v0.5.6 on
 * the real node when the cluster has one, with the AgentPane-shaped image;
 * elsewhere on the kwok node, whose commands run on this host.
 * `{ profile, label, node }`: pass `node` to freshNamespace, sandboxManifest
 * and sandboxConfig.
 */
export function nodeRunsOf(profiles) {
  return profiles.map((profile) => {
    const node = profile === 'v0.5.6' ? realNode(profile) : null;
    return { profile, label: node ? `${profile}, real node` : profile, node };
  });
}

/** The image sandboxes use on `node` (a real node's agent image), else busybox (any name runs on kwok). */
export function testImage(node) {
  return node?.images.agent ?? 'busybox';
}

/**
 * A fresh namespace (deleted by the returned cleanup). With a real `node`
 * (see realNode), every pod of the namespace is sent to it.
 */
export async function freshNamespace(kc, prefix = 'sdk-test', node = null) {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  const crud = new sdk.CustomResourceCrud(kc, { group: '', version: 'v1', plural: 'namespaces' });
  const metadata = { name, ...(node ? { annotations: node.namespaceAnnotations } : {}) };
  await crud.create('', { apiVersion: 'v1', kind: 'Namespace', metadata });
  return {
    name,
    cleanup: () => crud.delete('', name).catch(() => {}),
  };
}

export function sandboxManifest(name, extra = {}, node = null) {
  return new sdk.SandboxBuilder(name).image(testImage(node)).labels(extra.labels || {}).build();
}

/**
 * An AgentPane SandboxConfig for the provider (small; busybox on kwok, the
 * agent image on a real node). On a real node a CPU limit is also the pod's
 * request, and the node has this host's 2 CPUs: a tenth of a core each lets
 * the suites' sandboxes fit at once (a whole core left them Unschedulable).
 */
export function sandboxConfig(codespaceId, extra = {}, node = null) {
  return {
    codespaceId,
    codespacePath: '',
    image: testImage(node),
    memoryMb: 512,
    cpuCores: node ? 0.1 : 1,
    idleTimeoutMinutes: 30,
    volumeMounts: [],
    ...extra,
  };
}
