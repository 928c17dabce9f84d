// k8s/setup-minikube.sh against a real API server (the v0.4.6 test cluster):
// minikube and the GitHub download are stand-ins, kubectl and the apply are
// real. Shows --help, idempotence, the pinned-release install and its
// checksum refusal.
import { assert, describe, it, before, after } from './helpers/harness.mjs';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as sdk from '../index.js';
import { kubeConfigFor, testKubeconfig } from './helpers/cluster.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const script = join(root, 'k8s/setup-minikube.sh');
const PROFILE = 'v0.4.6'; // not the cluster whose controller Deployments other tests edit

function writeTool(dir, name, body) {
  const path = join(dir, name);
  writeFileSync(path, `#!/usr/bin/env bash\n${body}\n`);
  chmodSync(path, 0o755);
}

describe('k8s/setup-minikube.sh', () => {
  let dir;
  let env;
  let deployments;
  const released = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: setup-script-release-marker\n  namespace: agent-sandbox-system\ndata:\n  from: release\n';
  const sha = createHash('sha256').update(released).digest('hex');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'setup-minikube-'));
    const kubectl = execFileSync('bash', ['-c', 'source k8s/testenv/lib.sh && echo "$BIN/kubectl"'], {
      cwd: root,
      env: { ...process.env, AGENT_SANDBOX_VERSION: PROFILE },
      encoding: 'utf8',
    }).trim();
    const kubeconfig = testKubeconfig(PROFILE);
    // kubectl: the real one on the test cluster (the profile's context maps to admin).
    writeTool(dir, 'kubectl', `args=(); while (($#)); do if [[ $1 == --context ]]; then shift 2; else args+=("$1"); shift; fi; done\nexec ${kubectl} --kubeconfig ${kubeconfig} --context admin "\${args[@]}"`);
    // minikube: a running cluster; the gvisor addon is enabled once asked.
    writeTool(
      dir,
      'minikube',
      `echo "minikube $*" >> ${dir}/calls\ncase "$1" in\n  status) echo Running ;;\n  addons) if [[ $2 == list ]]; then if [[ -f ${dir}/gvisor ]]; then echo '| gvisor | minikube | enabled ✅ |'; else echo '| gvisor | minikube | disabled |'; fi; else touch ${dir}/gvisor; fi ;;\nesac`,
    );
    // curl: the release asset, from a file (no network here).
    writeTool(dir, 'curl', `echo "curl $*" >> ${dir}/calls\nout=; while (($#)); do [[ $1 == -o ]] && out=$2; shift; done\ncp ${dir}/release.yaml "$out"`);
    writeFileSync(join(dir, 'release.yaml'), released);
    env = { ...process.env, PATH: `${dir}:${process.env.PATH}`, MINIKUBE_PROFILE: 'minikube' };
    delete env.AGENT_SANDBOX_VERSION;

    // The controller as upstream deploys it (0 replicas: the real one runs on the host).
    const kc = kubeConfigFor(PROFILE);
    const namespaces = new sdk.CustomResourceCrud(kc, { group: '', version: 'v1', plural: 'namespaces' });
    if (!(await namespaces.exists('', 'agent-sandbox-system'))) {
      await namespaces.create('', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'agent-sandbox-system' } });
    }
    deployments = new sdk.CustomResourceCrud(kc, { group: 'apps', version: 'v1', plural: 'deployments' });
    await deployments.delete('agent-sandbox-system', 'agent-sandbox-controller').catch(() => {});
    await deployments.create('agent-sandbox-system', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'agent-sandbox-controller', labels: { 'app.kubernetes.io/name': 'agent-sandbox-controller', 'app.kubernetes.io/version': 'v0.4.6' } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'agent-sandbox-controller' } },
        template: { metadata: { labels: { app: 'agent-sandbox-controller' } }, spec: { containers: [{ name: 'manager', image: 'registry.k8s.io/agent-sandbox/agent-sandbox-controller:v0.4.6' }] } },
      },
    });
    // No deployment controller runs in the test control plane: report the rollout as observed.
    execFileSync(join(dir, 'kubectl'), ['-n', 'agent-sandbox-system', 'patch', 'deployment', 'agent-sandbox-controller', '--subresource=status', '--type=merge', '-p', '{"status":{"observedGeneration":1}}']);
  });
  after(async () => {
    await deployments?.delete('agent-sandbox-system', 'agent-sandbox-controller').catch(() => {});
    const configMaps = new sdk.CustomResourceCrud(kubeConfigFor(PROFILE), { group: '', version: 'v1', plural: 'configmaps' });
    await configMaps.delete('agent-sandbox-system', 'setup-script-release-marker').catch(() => {});
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const run = (...args) => spawnSync('bash', [script, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  const calls = () => {
    try {
      return readFileSync(join(dir, 'calls'), 'utf8');
    } catch {
      return '';
    }
  };

  it('--help explains the options; a wrong option or version is refused', () => {
    const help = run('--help');
    assert.equal(help.status, 0);
    for (const option of ['--profile', '--version', '--skip-gvisor', '--dry-run', 'AGENT_SANDBOX_MANIFEST_SHA256']) assert.ok(help.stdout.includes(option), option);
    assert.equal(run('--bogus').status, 2);
    assert.equal(run('--version', 'latest').status, 2);
    // A profile name is never shell text: anything but a plain name is refused.
    for (const profile of ["x'; touch /tmp/pwned-setup; '", '$(id)', 'a b', '-x']) assert.equal(run('--profile', profile, '--dry-run').status, 2, profile);
  });

  it('is idempotent: the second run changes nothing it already did', () => {
    const first = run('--version', 'v0.4.6');
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stderr, /enabling the gVisor addon/);
    assert.match(first.stderr, /agent-sandbox v0\.4\.6 already installed/);
    assert.match(first.stdout, /agentpane-default/);
    const second = run('--version', 'v0.4.6');
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stderr, /gVisor addon already enabled/);
    assert.match(second.stdout, /unchanged/);
    assert.doesNotMatch(second.stdout, /created|configured/);
    assert.equal(calls().match(/addons enable/g).length, 1);
    assert.doesNotMatch(calls(), /curl|minikube start/);
  });

  it('installs another pinned release, and refuses one whose checksum differs', () => {
    const bad = spawnSync('bash', [script, '--version', 'v0.4.7'], {
      env: { ...env, AGENT_SANDBOX_MANIFEST_SHA256: '0'.repeat(64) },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /manifest\.yaml: sha256 [0-9a-f]{64}, expected 0{64}/);
    assert.match(calls(), /curl .*releases\/download\/v0\.4\.7\/manifest\.yaml/);

    const good = spawnSync('bash', [script, '--version', 'v0.4.7', '--skip-gvisor'], {
      env: { ...env, AGENT_SANDBOX_MANIFEST_SHA256: sha, AGENT_SANDBOX_EXTENSIONS_SHA256: sha },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(good.status, 0, good.stderr);
    assert.match(good.stderr, /installing agent-sandbox v0\.4\.7 \(found: v0\.4\.6\)/);
    assert.match(good.stdout, /configmap\/setup-script-release-marker serverside-applied/);
  });

  it('--dry-run prints what it would change and changes nothing', () => {
    const dry = run('--version', 'v0.4.9', '--dry-run');
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /\[dry-run\] kubectl --context minikube apply --server-side --force-conflicts -f .*manifest\.yaml/);
    // Before v0.5 the manifests are rewritten to v1alpha1 (the only version served).
    assert.match(dry.stdout, /\[dry-run\] kubectl --context minikube apply -f .*\/manifests\//);
  });

  it('--dry-run with the default version: v1.0.12, after migrating a v0.5.x cluster to v1beta1 storage', async () => {
    await deployments.patch('agent-sandbox-system', 'agent-sandbox-controller', { metadata: { labels: { 'app.kubernetes.io/version': 'v0.5.6' } } });
    try {
      const dry = run('--dry-run');
      assert.equal(dry.status, 0, dry.stderr);
      assert.match(dry.stderr, /migrating stored objects to v1beta1 before v1\.0\.12 \(from v0\.5\.6\)/);
      for (const crd of ['sandboxes.agents.x-k8s.io', 'sandboxtemplates.extensions.agents.x-k8s.io', 'sandboxclaims.extensions.agents.x-k8s.io', 'sandboxwarmpools.extensions.agents.x-k8s.io']) {
        assert.ok(dry.stdout.includes(`get ${crd} --all-namespaces -o json | kubectl --context 'minikube' replace -f -`), crd);
        assert.ok(dry.stdout.includes(`patch crd ${crd} --subresource=status --type=merge -p {"status":{"storedVersions":["v1beta1"]}}`), crd);
      }
      assert.match(dry.stdout, /\[dry-run\] kubectl --context minikube apply --server-side --force-conflicts -f .*manifest\.yaml/);
      assert.match(calls(), /curl .*releases\/download\/v1\.0\.12\/manifest\.yaml/);
      assert.match(dry.stdout, /\[dry-run\] kubectl --context minikube apply -f .*k8s\/manifests\//);
      // The migration comes before the new CRDs.
      assert.ok(dry.stdout.indexOf('storedVersions') < dry.stdout.indexOf('--server-side'));
      // From v0.4.x there is no direct way.
      await deployments.patch('agent-sandbox-system', 'agent-sandbox-controller', { metadata: { labels: { 'app.kubernetes.io/version': 'v0.4.6' } } });
      const refused = run('--dry-run');
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /install v0\.5\.6 first/);
    } finally {
      await deployments.patch('agent-sandbox-system', 'agent-sandbox-controller', { metadata: { labels: { 'app.kubernetes.io/version': 'v0.4.6' } } });
    }
  });
});
