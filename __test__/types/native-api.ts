// The native API as lib/*.cjs calls it, checked against the declarations
// napi generates (native.d.ts): a changed Rust signature fails tsc here.
import type { NativeClient, NativeExecSession, NativeTask, NativeWatch } from '../../native.cjs';
import * as native from '../../native.cjs';

declare const client: NativeClient;
declare const session: NativeExecSession;
declare const watch: NativeWatch;
const ref = { group: 'agents.x-k8s.io', version: 'v1alpha1', plural: 'sandboxes' };

export async function calls(): Promise<void> {
  const loaded: unknown = native.loadKubeconfigDocument({ kubeconfigPath: 'p', context: 'c', skipTlsVerify: true, env: { k8sKubeconfig: 'k', kubeconfig: 'k', home: 'h', kubernetesServiceHost: 'h', kubernetesServicePort: '1' } });
  const connected: NativeClient = await native.connect(loaded, 'auto');
  const created: string = await connected.create(ref, 'ns', '{}');
  const got: string = await client.get(ref, 'ns', 'n');
  const listed: string = await client.list(ref, 'ns', { labelSelector: 'a=b', fieldSelector: 'f=g', limit: 1, continueToken: 'c' });
  await client.replace(ref, 'ns', 'n', '{}');
  await client.mergePatch(ref, 'ns', 'n', '{}');
  await client.apply(ref, 'ns', 'n', '{}', true);
  await client.delete(ref, 'ns', 'n', 'Background');
  const exists: boolean = await client.exists(ref, 'ns', 'n');
  await client.healthCheck('ns');
  const scale: string = await client.getScale(ref, 'ns', 'n');
  const scaled: string = await client.setScale(ref, 'ns', 'n', 2);
  const networking: boolean = await client.servesGroup('networking.k8s.io');
  const s: NativeExecSession = await client.startExec({ namespace: 'ns', sandboxName: 's', container: 'c', command: ['true'], stdin: true, tty: false });
  const chunk: Buffer | null = await session.readStdout();
  const err: Buffer | null = await session.readStderr();
  const out: { exitCode: number; stdout: Buffer; stderr: Buffer } = await session.collect();
  await session.writeStdin(Buffer.from('x'));
  await session.closeStdin();
  await session.resize(80, 24);
  const code: number = await session.wait();
  session.kill();
  const w: NativeWatch = await client.watch(ref, 'ns', { labelSelector: 'a', fieldSelector: 'b', resourceVersion: '1', timeoutSeconds: 1 });
  const batch: string | null = await watch.nextBatch();
  watch.stop();
  const result: unknown = native.validateSchema('sandboxSchema', '{}');
  const readiness: { state: string; reason?: string; message?: string } = native.sandboxReadiness('{}');
  const waiting: NativeTask = await client.startWaitForReady(ref, 'ns', 'n', 1000);
  const ready: unknown = await waiting.result();
  waiting.cancel();
  const claiming: NativeTask = await client.startClaimSandbox('ns', { name: 'c', warmPool: 'p', template: 't', labels: { a: 'b' } }, 1000);
  const status: unknown = await client.controllerStatus('ns');
  const tar: Buffer = native.tarSingleFile('f', Buffer.from('x'), 0o600, 0);
  const file: { name: string; mode: number; content: Buffer } = native.tarFirstFile(tar);
  void [readiness, ready, claiming, status, file];
  void [exists, s, chunk, err, out, code, w, batch, result, created, got, listed];
}
