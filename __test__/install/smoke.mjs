// What the installed package must do on every platform it ships for, with no
// cluster: load the addon, validate and build objects, read a kubeconfig, and
// fail with a coded error (not a hang) on a server that refuses connections.
// Run by scripts/test-install.sh here and by the release workflow on each
// platform's runner. Prints one JSON line; exits 1 if any check failed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sdk from '@agentpane/agent-sandbox-sdk';

const dir = mkdtempSync(join(tmpdir(), 'asdk-smoke-'));
const kubeconfigPath = join(dir, 'kubeconfig');
writeFileSync(kubeconfigPath, [
  'apiVersion: v1', 'kind: Config', 'current-context: refused',
  'clusters: [{name: refused, cluster: {server: "https://127.0.0.1:1"}}]',
  'users: [{name: u, user: {token: smoke-token}}]',
  'contexts: [{name: refused, context: {cluster: refused, user: u, namespace: smoke}}]', '',
].join('\n'));

const checks = {};
try {
  const sandbox = new sdk.SandboxBuilder('smoke').namespace('smoke').image('busybox').build();
  checks.schema = sdk.sandboxSchema.safeParse(sandbox).success && !sdk.shutdownPolicySchema.safeParse('Destroy').success;
  const kc = sdk.loadKubeConfig({ kubeconfigPath });
  checks.kubeconfig = kc.getCurrentCluster()?.server === 'https://127.0.0.1:1' && sdk.resolveContext(kc) === 'refused';
  const client = new sdk.AgentSandboxClient({ kubeConfig: kc, namespace: 'smoke' });
  checks.unreachableHealth = (await client.healthCheck()).healthy === false;
  checks.unreachableCoded = await client.getSandbox('smoke').then(
    () => false,
    (e) => e instanceof sdk.AgentSandboxError && typeof e.code === 'string' && !String(e.message).includes('smoke-token'),
  );
} catch (err) {
  checks.threw = `${err?.code ?? ''} ${err?.message ?? err}`;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const ok = Object.values(checks).every((v) => v === true) && Object.keys(checks).length === 4;
console.log(JSON.stringify({ ok, platform: `${process.platform}-${process.arch}`, runtime: globalThis.Bun ? `bun ${Bun.version}` : `node ${process.version}`, checks }));
process.exitCode = ok ? 0 : 1;
