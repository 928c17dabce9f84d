// A tour of the SDK against the cluster of $KUBECONFIG: health, create a
// Sandbox, wait for Ready (while watching it), run commands, pause, resume,
// delete. Prints what it does.
import * as sdk from '../index.js';

const namespace = process.env.DEMO_NAMESPACE || 'agentpane-sandboxes';
const name = `demo-${Date.now().toString(36)}`;
const t0 = Date.now();
const log = (msg) => console.log(`[${String(Date.now() - t0).padStart(5)} ms] ${msg}`);

const client = new sdk.AgentSandboxClient({ namespace });
log(`cluster ${sdk.getClusterInfo(client.kubeConfig)?.server} (context ${client.kubeConfig.getCurrentContext()})`);
const health = await client.healthCheck();
log(`health: ${JSON.stringify(health)}`);
if (!health.crdRegistered) {
  console.error('The Agent Sandbox CRDs are not installed in this cluster; run k8s/setup-minikube.sh or use the bundled one (unset KUBECONFIG).');
  process.exit(1);
}
if (!health.namespaceExists) {
  console.error(`Namespace ${namespace} does not exist; set DEMO_NAMESPACE or apply k8s/manifests/.`);
  process.exit(1);
}

const events = [];
const watch = client.watchSandboxes((ev) => {
  if (ev.object.metadata?.name !== name) return;
  const ready = ev.object.status?.conditions?.find((c) => c.type === 'Ready');
  events.push(ev.type);
  log(`watch: ${ev.type} ready=${ready?.status ?? '-'} ${ready?.reason ?? ''}`);
});

try {
  const sandbox = new sdk.SandboxBuilder(name).image('busybox').labels({ 'app.kubernetes.io/part-of': 'sdk-demo' })
    .restrictedPodSecurity().build();
  await client.createSandbox(sandbox);
  log(`created Sandbox ${namespace}/${name}`);
  await client.waitForReady(name, { timeoutMs: 120_000, pollIntervalMs: 250 });
  log('Ready');

  const r = await client.exec({ sandboxName: name, command: ['sh', '-c', 'echo "hello from $(hostname)"; exit 3'] });
  log(`exec: exit ${r.exitCode}, stdout ${JSON.stringify(r.stdout)}`);

  const stream = await client.execStream({ sandboxName: name, command: ['sh', '-c', 'for i in 1 2 3; do echo "{\\"step\\":$i}"; done'] });
  for await (const chunk of stream.stdout) for (const line of chunk.toString().trim().split('\n')) log(`stream: ${line}`);
  log(`stream exit ${(await stream.wait()).exitCode}`);

  const paused = await client.pause(name, 'demo');
  log(`paused: spec.replicas=${paused.spec.replicas}`);
  const resumed = await client.resume(name);
  log(`resumed: spec.replicas=${resumed.spec.replicas}`);
  await client.waitForReady(name, { timeoutMs: 120_000, pollIntervalMs: 250 });
  log('Ready again');
} finally {
  await client.deleteSandbox(name).catch((e) => log(`delete failed: ${e.message}`));
  log('deleted');
  await new Promise((r) => setTimeout(r, 500));
  watch.stop();
  await watch.done;
  log(`watch saw: ${events.join(' ')}`);
}
