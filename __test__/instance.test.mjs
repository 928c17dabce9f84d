// AgentSandboxInstance against the real API server: in a container of the
// test environment's real node (v0.5.6 when it has one), or on the kwok node,
// whose commands run on this host in a directory of their own per pod.
import { assert, describe, it, before, after, until } from './helpers/harness.mjs';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { freemem, hostname as osHostname, totalmem, uptime } from 'node:os';
import * as sdk from '../index.js';
import { V1BETA1_PROFILES, kubeConfigFor, freshNamespace, nodeRunsOf, sandboxManifest } from './helpers/cluster.mjs';

const collect = async (stream) => {
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
};
const tag = () => randomBytes(4).toString('hex');

for (const { profile, label, node } of nodeRunsOf(V1BETA1_PROFILES)) describe(`AgentSandboxInstance (${label})`, () => {
  let client;
  let ns;
  let box;
  let home;
  before(async () => {
    const kc = kubeConfigFor(profile);
    ns = await freshNamespace(kc, 'inst', node);
    client = new sdk.AgentSandboxClient({ kubeConfig: kc, namespace: 'default' }); // the instance must use its own namespace
    const manifest = sandboxManifest('inst', {}, node);
    // A memory limit the host does not have: getMetrics must read the container's cgroup.
    manifest.spec.podTemplate.spec.containers[0].resources = { limits: { memory: '300Mi' } };
    await client.createSandbox(manifest, ns.name);
    await client.waitForReady('inst', { namespace: ns.name, timeoutMs: 60_000, pollIntervalMs: 200 });
    box = new sdk.AgentSandboxInstance('sb-1', 'inst', 'cs-1', ns.name, client, 30);
    home = (await box.exec('pwd')).stdout;
  });
  after(() => ns?.cleanup());

  it('starts as creating and maps the Sandbox status', async () => {
    const fresh = new sdk.AgentSandboxInstance('x', 'inst', 'cs', ns.name, client);
    assert.equal(fresh.status, 'creating');
    assert.equal(fresh.containerId, 'inst');
    assert.equal(await fresh.refreshStatus(), 'running');
    const gone = new sdk.AgentSandboxInstance('y', 'no-such', 'cs', ns.name, client);
    assert.equal(await gone.refreshStatus(), 'stopped');
  });

  it('exec trims, keeps exit codes, and turns failures into K8S_EXEC_FAILED', async () => {
    assert.deepEqual(await box.exec('sh', ['-c', 'echo " out "; exit 3']), { exitCode: 3, stdout: 'out', stderr: '' });
    const other = new sdk.AgentSandboxInstance('z', 'inst', 'cs', ns.name, new sdk.AgentSandboxClient({ kubeConfig: kubeConfigFor('v0.5.6', 'nobody') }));
    await assert.rejects(other.exec('true'), (e) => e.code === 'K8S_EXEC_FAILED' && e.statusCode === 500);
  });

  it('quotes hostile cwd and env values: nothing is injected', async () => {
    const marker = `pwned-${tag()}`;
    const dir = `${home}/dir '; touch ${marker}; '`;
    assert.equal((await box.exec('mkdir', ['-p', dir])).exitCode, 0);
    const value = `$(touch ${marker}) \`touch ${marker}\` '; touch ${marker}; '`;
    const s = await box.execStream({ cmd: 'sh', args: ['-c', 'pwd; printf "%s\\n" "$V"'], env: { V: value }, cwd: dir });
    const out = await collect(s.stdout);
    assert.deepEqual(await s.wait(), { exitCode: 0 });
    assert.equal(out, `${dir}\n${value}\n`);
    const noCwd = await box.execStream({ cmd: 'printenv', args: ['V'], env: { V: value } });
    assert.equal(await collect(noCwd.stdout), `${value}\n`);
    for (const place of [home, dir]) assert.equal((await box.exec('test', ['-e', `${place}/${marker}`])).exitCode, 1, place);
    await assert.rejects(box.execStream({ cmd: 'true', env: { 'BAD;KEY': 'x' } }), (e) => e.code === 'K8S_EXEC_FAILED' && /Invalid environment variable key: BAD;KEY/.test(e.message));
  });

  it('env values reach the program through its input, before its own input; with a TTY through a staged file that is removed', async () => {
    const value = `multi\nline 'value' $(x) ${tag()}\n`;
    // The program's own input follows the values.
    const piped = await box.execStream({ cmd: 'sh', args: ['-c', 'printf "%s|" "$V"; cat'], env: { V: value }, stdin: Readable.from([Buffer.from('own input')]) });
    assert.equal(await collect(piped.stdout), `${value}|own input`);
    assert.deepEqual(await piped.wait(), { exitCode: 0 });
    // Without stdin the program sees end of input after the values.
    const closed = await box.execStream({ cmd: 'sh', args: ['-c', 'cat; printf "[%s]" "$V"'], env: { V: 'x' } });
    assert.equal(await collect(closed.stdout), '[x]');
    // A terminal would echo input: the values go through a file, read and removed.
    const before = (await box.exec('sh', ['-c', 'ls -a /tmp | grep -c agent-sandbox-env || true'])).stdout;
    const tty = await box.execStream({ cmd: 'sh', args: ['-c', 'printf "<%s>" "$V"'], env: { V: 'on a tty' }, tty: true });
    assert.equal(await collect(tty.stdout), '<on a tty>');
    assert.deepEqual(await tty.wait(), { exitCode: 0 });
    assert.equal((await box.exec('sh', ['-c', 'ls -a /tmp | grep -c agent-sandbox-env || true'])).stdout, before);
  });

  it('an argument containing `exec ` does not move env assignments into the outer shell (the old splice)', async () => {
    // The JS assembly inserted `K='v'` before the *last* `exec ` of the script: inside
    // the quoted argument here, which closed the quote and ran the value's `$()`.
    const marker = `${home}/splice-${tag()}`;
    const value = `$(touch ${marker})`;
    const s = await box.execStream({ cmd: 'sh', args: ['-c', 'exec printf "%s|%s" "$V" "$1"', 'sh', 'exec x'], env: { V: value }, cwd: home });
    assert.equal(await collect(s.stdout), `${value}|exec x`);
    assert.deepEqual(await s.wait(), { exitCode: 0 });
    assert.equal((await box.exec('test', ['-e', marker])).exitCode, 1);
  });

  it('writeFile and readFile round-trip 1 MB of binary data and keep the mode', async () => {
    const data = randomBytes(1024 * 1024);
    const path = `${home}/blob-${tag()}.bin`;
    await box.writeFile(path, data, 0o640);
    const back = await box.readFile(path);
    assert.equal(Buffer.compare(back, data), 0);
    assert.equal((await box.exec('stat', ['-c', '%a', path])).stdout, '640');
    await box.writeFile(`${home}/secret.txt`, 'token=abc');
    assert.equal((await box.exec('stat', ['-c', '%a', `${home}/secret.txt`])).stdout, '600');
    assert.equal((await box.readFile(`${home}/secret.txt`)).toString(), 'token=abc');
  });

  it('writeFile reports tar failures and bad names with K8S_ codes', async () => {
    await assert.rejects(box.writeFile(`${home}/missing-dir/x`, 'x'), (e) => e.code === 'K8S_EXEC_FAILED' && /tar xf failed \(exit \d+\)/.test(e.message));
    await assert.rejects(box.writeFile(`${home}/${'n'.repeat(101)}`, 'x'), (e) => e.code === 'K8S_EXEC_FAILED' && /name too long/.test(e.message));
    await assert.rejects(box.writeFile(`${home}/`, 'x'), (e) => e.code === 'K8S_EXEC_FAILED' && /invalid path/.test(e.message));
    await assert.rejects(box.readFile(`${home}/nope`), (e) => e.code === 'K8S_EXEC_FAILED');
    // A directory is not read as its first file; a NUL would name another file.
    assert.equal((await box.exec('sh', ['-c', `mkdir -p ${home}/a-dir && echo inside > ${home}/a-dir/f`])).exitCode, 0);
    await assert.rejects(box.readFile(`${home}/a-dir`), (e) => e.code === 'K8S_EXEC_FAILED' && /a directory, not a regular file/.test(e.message));
    await assert.rejects(box.writeFile(`${home}/x\0y`, 'x'), (e) => e.code === 'K8S_EXEC_FAILED' && /NUL/.test(e.message));
    await assert.rejects(box.readFile(`${home}/x\0y`), (e) => e.code === 'K8S_EXEC_FAILED' && /NUL/.test(e.message));
  });

  it('manages tmux sessions, and keys cannot inject commands into the exec', async () => {
    const name = `agent-${tag()}`;
    assert.deepEqual(await box.listTmuxSessions(), []);
    const session = await box.createTmuxSession(name, 'task-1');
    assert.deepEqual([session.name, session.sandboxId, session.taskId, session.windowCount, session.attached], [name, 'sb-1', 'task-1', 1, false]);
    await assert.rejects(box.createTmuxSession(name), (e) => e.code === 'K8S_TMUX_SESSION_EXISTS');
    const listed = await box.listTmuxSessions();
    assert.deepEqual(listed.map((s) => [s.name, s.windowCount, s.attached]), [[name, 1, false]]);
    await box.sendKeysToTmux(name, 'echo hello-$((6*7))');
    let pane = '';
    await until('the keys to reach the pane', async () => (pane = await box.captureTmuxPane(name, 50)).includes('hello-42'), {
      detail: () => pane,
    });
    // An unbalanced quote leaves the shell in tmux waiting: a marker could only come from the exec layer.
    const marker = `${home}/keys-${tag()}`;
    await box.sendKeysToTmux(name, `x"; touch ${marker}; "`);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await box.exec('test', ['-e', marker])).exitCode, 1);
    await box.killTmuxSession(name);
    await box.killTmuxSession(name); // a missing session is not an error
    assert.deepEqual(await box.listTmuxSessions(), []);
  });

  it('getMetrics reports real values and where they came from', async () => {
    const m = await box.getMetrics();
    assert.equal(m.source, 'cgroup');
    assert.ok(m.uptime > 0);
    assert.ok(m.memoryUsageMb > 0, JSON.stringify(m));
    assert.ok(m.memoryLimitMb > 0);
    assert.ok(m.networkRxBytes >= 0 && m.cpuUsagePercent >= 0);
    if (node) {
      // The container's cgroup and network, not this host's: the pod's limit,
      // a usage below it, and an uptime since the pod started.
      assert.equal(m.memoryLimitMb, 300, JSON.stringify(m));
      assert.ok(m.memoryUsageMb < 300, JSON.stringify(m));
      const hostUsedMb = (totalmem() - freemem()) / 2 ** 20;
      assert.ok(m.memoryUsageMb < hostUsedMb, `${m.memoryUsageMb} MiB in the container, ${hostUsedMb} MiB on the host`);
      assert.ok(m.uptime < uptime() * 1000, `${m.uptime} ms since the pod started, ${uptime()} s since the host booted`);
      const where = await box.exec('sh', ['-c', 'hostname; cat /proc/1/cgroup']);
      const [hostname, ...cgroups] = where.stdout.split('\n');
      assert.equal(hostname, 'inst');
      assert.notEqual(hostname, osHostname());
      assert.ok(cgroups.some((line) => line.includes(`${node.cgroupRoot}/kubepods/`)), where.stdout);
    }
  });

  it('touch() extends spec.shutdownTime', async () => {
    const before = Date.now();
    box.touch();
    const shutdown = await until('a shutdownTime', async () => (await client.getSandbox('inst', ns.name)).spec.shutdownTime);
    assert.ok(Date.parse(shutdown) >= before + 29 * 60_000, shutdown);
    assert.ok(box.getLastActivity().getTime() >= before);
  });

  it('kill() with killSignal leaves no process of the exec behind', async () => {
    const n = 5000 + Math.floor(Math.random() * 999);
    const s = await client.execStream({
      sandboxName: 'inst',
      namespace: ns.name,
      command: ['sh', '-c', `sleep ${n}.1 & sleep ${n}.2; wait`],
      killSignal: 'SIGKILL',
    });
    await new Promise((r) => setTimeout(r, 300));
    const running = await box.exec('sh', ['-c', `pgrep -f "^sleep ${n}[.]" | wc -l`]);
    assert.equal(running.stdout, '2');
    s.kill();
    assert.deepEqual(await s.wait(), { exitCode: -1 });
    await until('the processes to be gone', async () => (await box.exec('sh', ['-c', `pgrep -f "^sleep ${n}[.]" | wc -l`])).stdout === '0');
    // Only a signal name is accepted: anything else is refused before it runs.
    await assert.rejects(
      client.execStream({ sandboxName: 'inst', namespace: ns.name, command: ['true'], killSignal: 'KILL; touch x' }),
      (e) => e.code === 'INVALID_ARGUMENT' && /signal name/.test(e.message),
    );
  });

  it('stop() deletes the Sandbox; gone already counts as stopped', async () => {
    await client.createSandbox(sandboxManifest('to-stop', {}, node), ns.name);
    const inst = new sdk.AgentSandboxInstance('s2', 'to-stop', 'cs', ns.name, client);
    await inst.stop();
    assert.equal(inst.status, 'stopped');
    await until('the Sandbox to be gone', async () => !(await client.sandboxExists('to-stop', ns.name)));
    // Already gone counts as stopped; a real failure is reported.
    await inst.stop();
    assert.equal(inst.status, 'stopped');
    const denied = new sdk.AgentSandboxInstance('s3', 'to-stop', 'cs', ns.name, new sdk.AgentSandboxClient({ kubeConfig: kubeConfigFor('v0.5.6', 'nobody') }));
    await assert.rejects(denied.stop(), (e) => e.code === 'K8S_POD_DELETION_FAILED' && denied.status === 'error');
  });
});

describe('mapConditionsToStatus', () => {
  const ready = (status, reason) => ({ spec: {}, status: { conditions: [{ type: 'Ready', status, reason }] } });
  it('follows the original order, plus the upstream reasons', () => {
    assert.equal(sdk.mapConditionsToStatus({ spec: { replicas: 0 }, status: ready('True').status }), 'idle');
    assert.equal(sdk.mapConditionsToStatus({ spec: { operatingMode: 'Suspended' } }), 'idle');
    assert.equal(sdk.mapConditionsToStatus({ spec: {} }), 'creating');
    assert.equal(sdk.mapConditionsToStatus(ready('True')), 'running');
    assert.equal(sdk.mapConditionsToStatus(ready('False', 'SandboxExpired')), 'stopped');
    assert.equal(sdk.mapConditionsToStatus(ready('False', 'PodNotReady')), 'creating');
    assert.equal(sdk.mapConditionsToStatus(ready('False', 'DependenciesNotReady')), 'creating');
    assert.equal(sdk.mapConditionsToStatus(ready('False', 'SandboxSuspended')), 'idle');
    assert.equal(sdk.mapConditionsToStatus(ready('False', 'PodFailed')), 'error');
  });
  it('agrees with waitForReady: transient and unknown reasons are still creating (the JS copy said error)', () => {
    assert.equal(sdk.mapConditionsToStatus(ready('False', 'ReconcilerError')), 'creating');
    assert.equal(sdk.mapConditionsToStatus(ready('False', 'AReasonOfALaterController')), 'creating');
    const refused = { spec: {}, status: { conditions: [{ type: 'Ready', status: 'False', reason: 'ReconcilerError', message: 'pods "x" is forbidden: violates PodSecurity "restricted:latest"' }] } };
    assert.equal(sdk.mapConditionsToStatus(refused), 'error');
  });
});
