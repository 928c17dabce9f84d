// A tour of AgentPane's provider on a Docker daemon ($DOCKER_HOST, else the
// usual sockets): health, create a sandbox, run commands, stream an agent's
// output, files, tmux, metrics, stop. Prints what it does.
// DEMO_IMAGE: the sandbox image (default SANDBOX_DEFAULTS.image, pulled if missing).
import * as sdk from '../index.js';

const image = process.env.DEMO_IMAGE || sdk.SANDBOX_DEFAULTS.image;
const t0 = Date.now();
const log = (msg) => console.log(`[${String(Date.now() - t0).padStart(5)} ms] ${msg}`);

const provider = await sdk.createSandboxProvider({ kind: 'docker', dockerHost: process.env.DOCKER_HOST, namespace: 'sdk-demo' });
provider.on((e) => log(`event: ${e.type}${e.reason ? ` (${e.reason})` : ''}`));
const health = await provider.healthCheck();
log(`health: ${JSON.stringify(health)}`);
if (!health.healthy) {
  console.error('No Docker daemon answered: start one, or set DOCKER_HOST.');
  process.exit(1);
}
const recovered = await provider.recover();
log(`recover: ${JSON.stringify(recovered)}`);

const box = await provider.create({
  codespaceId: `demo-${Date.now().toString(36)}`, codespacePath: '', image,
  memoryMb: 512, cpuCores: 1, idleTimeoutMinutes: 10, volumeMounts: [],
});
try {
  log(`created ${box.containerId} (${box.status})`);
  const r = await box.exec('sh', ['-c', 'echo "hello from $(hostname) as $(id -un)"; exit 3']);
  log(`exec: exit ${r.exitCode}, stdout ${JSON.stringify(r.stdout)}`);

  const script = 'for i in 1 2 3; do printf \'{"step":%d,"prompt":"%s"}\\n\' "$i" "$AGENT_PROMPT"; done';
  const stream = await box.execStream({ cmd: 'sh', args: ['-c', script], env: { AGENT_PROMPT: "it's a demo" }, cwd: '/tmp' });
  for await (const chunk of stream.stdout) for (const line of chunk.toString().trim().split('\n')) log(`stream: ${line}`);
  log(`stream exit ${(await stream.wait()).exitCode}`);

  await box.writeFile('/tmp/notes.txt', 'written through the archive API\n');
  log(`readFile: ${JSON.stringify((await box.readFile('/tmp/notes.txt')).toString())}`);

  if ((await box.exec('sh', ['-c', 'command -v tmux'])).exitCode === 0) {
    await box.createTmuxSession('agent');
    await box.sendKeysToTmux('agent', 'echo tmux-says-$((6*7))');
    await new Promise((r) => setTimeout(r, 500));
    const pane = await box.captureTmuxPane('agent', 5);
    log(`tmux pane: ${JSON.stringify(pane.split('\n').find((l) => l.startsWith('tmux-says-')))}`);
  }
  log(`metrics: ${JSON.stringify(await box.getMetrics())}`);
} finally {
  await box.stop();
  log(`stopped (${box.status})`);
}
