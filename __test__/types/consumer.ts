// Compiled with `tsc --strict` and run: every export of the contract, used
// the way AgentPane uses it.
import {
  AgentSandboxClient, AgentSandboxError, AlreadyExistsError, applyBunCompat, ControllerNotInstalledError,
  CRD_ANNOTATIONS, CRD_API, CRD_CONDITIONS, CRD_EXTENSIONS_API, CRD_KINDS, CRD_LABELS, CRD_PLURALS,
  CustomResourceCrud, claimSandboxStatusSchema, embeddedObjectMetadataSchema, ExecError, execInSandbox,
  execStreamInSandbox, getClusterInfo, KubeConfigError, lifecycleSchema, loadKubeConfig, NotFoundError,
  networkPolicyManagementSchema, networkPolicySpecSchema, pause, persistentVolumeClaimTemplateSchema,
  podMetadataSchema, podTemplateSchema, resolveContext, resume, SandboxBuilder, SandboxClaimBuilder,
  sandboxClaimSchema, sandboxClaimSpecSchema, sandboxClaimStatusSchema, sandboxSchema, sandboxSpecSchema,
  sandboxStatusSchema, SandboxTemplateBuilder, sandboxTemplateRefSchema, sandboxTemplateSchema,
  sandboxTemplateSpecSchema, sandboxTemplateStatusSchema, SandboxWarmPoolBuilder, sandboxWarmPoolSchema,
  sandboxWarmPoolSpecSchema, sandboxWarmPoolStatusSchema, shutdownPolicySchema, startWatch, TimeoutError,
  waitForReady, AgentSandboxProvider, createAgentSandboxProvider, DockerSandboxProvider, createSandboxProvider, SANDBOX_DEFAULTS, getDefaultSandboxNetworkMode,
} from '@agentpane/agent-sandbox-sdk';
import type {
  AgentSandboxClientOptions, ClaimSandboxStatus, Condition, CRDResource, CRDResourceList, CrudConfig,
  EmbeddedObjectMetadata, ExecOptions, ExecResult, ExecStreamOptions, ExecStreamResult, KubeConfigOptions, Lifecycle,
  ListOptions, NetworkPolicyManagement, NetworkPolicySpec, PersistentVolumeClaimTemplate, PodMetadata, PodTemplate,
  Sandbox, SandboxClaim, SandboxClaimList, SandboxClaimSpec, SandboxClaimStatus, SandboxList, SandboxSpec,
  SandboxStatus, SandboxTemplate, SandboxTemplateList, SandboxTemplateRef, SandboxTemplateSpec, SandboxTemplateStatus,
  SandboxWarmPool, SandboxWarmPoolList, SandboxWarmPoolSpec, SandboxWarmPoolStatus, ShutdownPolicy, WaitForReadyOptions,
  WatchCallback, WatchEvent, WatchEventType, WatchHandle, WatchOptions, SandboxConfig, SandboxInfo, RecoverResult,
  SandboxProviderEvent, AgentSandboxProviderOptions, Scale, SandboxLogOptions, PortForwardOptions,
} from '@agentpane/agent-sandbox-sdk';
import { PortForward } from '@agentpane/agent-sandbox-sdk';
import { CoreV1Api } from '@kubernetes/client-node';
import { z } from 'zod';
import type { Schema } from '@agentpane/agent-sandbox-sdk';
import { KubeConfig as BuiltInKubeConfig } from '@agentpane/agent-sandbox-sdk';

applyBunCompat();

const options: AgentSandboxClientOptions = { namespace: 'n', kubeConfig: loadKubeConfigOrEmpty() };
function loadKubeConfigOrEmpty() {
  try {
    return loadKubeConfig({ kubeconfigPath: process.env.AGENT_SANDBOX_TEST_KUBECONFIG } satisfies KubeConfigOptions);
  } catch (e) {
    if (e instanceof KubeConfigError) return loadKubeConfig({ kubeconfigPath: '/dev/null' });
    throw e;
  }
}
const client = new AgentSandboxClient(options);
const core: CoreV1Api = client.kubeConfig instanceof Object ? loadKubeConfig({ kubeconfigPath: process.env.AGENT_SANDBOX_TEST_KUBECONFIG }).makeApiClient(CoreV1Api) : (null as never);
void core;

const sandbox: Sandbox = new SandboxBuilder('s').namespace('n').image('i').resources({ cpu: '1', memory: '1Gi' })
  .runtimeClass('gvisor').labels({ a: 'b' }).annotations({ c: 'd' }).shutdownTime('2030-01-01T00:00:00Z')
  .shutdownPolicy('Delete' satisfies ShutdownPolicy).replicas(1).agentPaneContext({ projectId: 'p' })
  .addVolumeClaimTemplate({ metadata: {}, spec: {} } satisfies PersistentVolumeClaimTemplate).build();
const template: SandboxTemplate = new SandboxTemplateBuilder('t').podTemplate({ metadata: {}, spec: { containers: [] } } satisfies PodTemplate)
  .networkPolicy({ egress: [] } satisfies NetworkPolicySpec).networkPolicyManagement('Managed' satisfies NetworkPolicyManagement).build();
const claim: SandboxClaim = new SandboxClaimBuilder('c').templateRef('t').lifecycle({ shutdownPolicy: 'Retain' }).build();
const pool: SandboxWarmPool = new SandboxWarmPoolBuilder('p').replicas(2).sandboxTemplateRef('t').build();

const specs: [SandboxSpec, SandboxStatus?, SandboxTemplateSpec?, SandboxTemplateStatus?, SandboxClaimSpec?, SandboxClaimStatus?,
  SandboxWarmPoolSpec?, SandboxWarmPoolStatus?, SandboxTemplateRef?, Lifecycle?, ClaimSandboxStatus?, PodMetadata?,
  EmbeddedObjectMetadata?, Condition?] = [sandbox.spec];
void specs;
const lists: [SandboxList?, SandboxTemplateList?, SandboxClaimList?, SandboxWarmPoolList?, CRDResourceList<CRDResource>?] = [];
void lists;
const eventType: WatchEventType = 'ADDED';
const callback: WatchCallback<Sandbox> = (ev: WatchEvent<Sandbox>) => void ev.object.metadata.name;
const watchOptions: WatchOptions = { namespace: 'n', timeoutSeconds: 1 };
const crudConfig: CrudConfig = { group: CRD_API.group, version: CRD_API.version, plural: CRD_PLURALS.sandbox };
const crud = new CustomResourceCrud<Sandbox>(client.kubeConfig, crudConfig);
const listOptions: ListOptions = { namespace: 'n', labelSelector: `${CRD_LABELS.projectId}=x`, limit: 1 };
const waitOptions: WaitForReadyOptions = { name: 's', namespace: 'n', timeoutMs: 1, pollIntervalMs: 1 };
const execOptions: ExecOptions = { sandboxName: 's', namespace: 'n', command: ['true'] };
const streamOptions: ExecStreamOptions = { ...execOptions, tty: false };

async function unused(): Promise<void> {
  const r: ExecResult = await execInSandbox(client.kubeConfig, execOptions);
  const s: ExecStreamResult = await execStreamInSandbox(client.kubeConfig, streamOptions);
  const exit: { exitCode: number } = await s.wait();
  const w: WatchHandle = startWatch(client.kubeConfig, crudConfig, watchOptions, callback);
  await w.done;
  await waitForReady(crud, waitOptions);
  await pause(crud, 'n', 's', 'reason');
  await resume(crud, 'n', 's');
  await crud.list(listOptions);
  const health = await client.healthCheck();
  const ok: boolean = health.healthy && r.exitCode === exit.exitCode;
  void ok;
  void [await client.createSandbox(sandbox), await client.createTemplate(template), await client.createClaim(claim), await client.createWarmPool(pool)];
}
void unused;

const errors: AgentSandboxError[] = [new NotFoundError('sandboxes', 'x'), new AlreadyExistsError('Sandbox', 'x'),
  new TimeoutError('op', 1), new ExecError('cmd', 'm'), new ControllerNotInstalledError(), new KubeConfigError('m')];
const codes: string[] = errors.map((e) => e.code);

const schemas = [podMetadataSchema, podTemplateSchema, embeddedObjectMetadataSchema, persistentVolumeClaimTemplateSchema,
  shutdownPolicySchema, sandboxSpecSchema, sandboxStatusSchema, sandboxSchema, networkPolicySpecSchema,
  networkPolicyManagementSchema, sandboxTemplateSpecSchema, sandboxTemplateStatusSchema, sandboxTemplateSchema,
  sandboxTemplateRefSchema, lifecycleSchema, claimSandboxStatusSchema, sandboxClaimSpecSchema, sandboxClaimStatusSchema,
  sandboxClaimSchema, sandboxWarmPoolSpecSchema, sandboxWarmPoolStatusSchema, sandboxWarmPoolSchema];
const parsed = sandboxSchema.safeParse(sandbox);
if (!parsed.success) throw parsed.error;
const name: string = parsed.data.metadata.name;

// The schemas as zod schemas: z.infer, derivations, and zod schemas inside extend.
type SandboxFromZod = z.infer<typeof sandboxSchema>;
const fromZod: SandboxFromZod = sandboxSchema.parse(sandbox);
const withOwner = sandboxTemplateRefSchema.extend({ owner: z.string(), policy: shutdownPolicySchema.optional() });
const owned: z.infer<typeof withOwner> = withOwner.parse({ name: 't', owner: 'me' });
// @ts-expect-error owner is a string
const wronglyOwned: z.infer<typeof withOwner> = { name: 't', owner: 1, policy: undefined };
const replicasOnly: { replicas?: number } = sandboxSpecSchema.pick({ replicas: true }).parse({});
// @ts-expect-error podTemplate was omitted
void sandboxSpecSchema.omit({ podTemplate: true }).parse({}).podTemplate;
const someRefs: { name: string }[] | undefined = sandboxTemplateRefSchema.array().optional().parse(undefined);
const partialPool: Partial<SandboxWarmPoolSpec> = sandboxWarmPoolSpecSchema.partial().parse({});
const replicaSchema: Schema<number | undefined> = sandboxSpecSchema.shape.replicas;
const merged: { name: string; shutdownPolicy?: ShutdownPolicy } = sandboxTemplateRefSchema.merge(lifecycleSchema).parse({ name: 'n' });
const maybeOwned = sandboxTemplateRefSchema.extend({ owner: z.string().optional() });
const noOwner: z.infer<typeof maybeOwned> = { name: 't' };
// A client made from the built-in KubeConfig is typed with it, and providers take any client.
const builtIn = new AgentSandboxClient({ kubeConfig: BuiltInKubeConfig.fromDocument({}), namespace: 'n' });
const builtInKc: BuiltInKubeConfig = builtIn.kubeConfig;
void [noOwner, builtInKc, createAgentSandboxProvider({ client: builtIn, namespace: 'n' })];
void [fromZod, owned, wronglyOwned, replicasOnly, someRefs, partialPool, replicaSchema.parse(1), merged];

const info = getClusterInfo(client.kubeConfig);
const context: string = resolveContext(client.kubeConfig);
console.log(JSON.stringify({
  exports: schemas.length + 30, codes, name, eventType, context, server: info?.server,
  constants: [CRD_EXTENSIONS_API.apiVersion, CRD_KINDS.sandbox, CRD_ANNOTATIONS.taskId, CRD_CONDITIONS.ready],
}));

// The Docker provider and the backend factory: the same provider type.
export async function dockerUsage(): Promise<'kubernetes' | 'docker'> {
  const docker: AgentSandboxProvider = new DockerSandboxProvider({ dockerHost: 'unix:///run/docker.sock', readOnlyRootFilesystem: true, pidsLimit: 256 });
  const chosen = await createSandboxProvider({ kind: 'auto', namespace: 'agentpane-sandboxes', dockerHost: process.env.DOCKER_HOST });
  await docker.healthCheck();
  return chosen.name;
}

// AgentPane's provider, as its bootstrap and routes use it.
export async function providerUsage(client: AgentSandboxClient): Promise<void> {
  const options: AgentSandboxProviderOptions = { client, enableWarmPool: true, warmPoolSize: 2, runtimeClassName: 'gvisor' };
  const provider: AgentSandboxProvider = createAgentSandboxProvider(options);
  const off: () => void = provider.on((e: SandboxProviderEvent) => {
    if (e.type === 'sandbox:idle') console.log(e.idleSince.toISOString());
    if (e.type === 'sandbox:error') console.error(e.error.message);
  });
  off();
  await provider.healthCheck();
  const recovered: RecoverResult = await provider.recover();
  await provider.initWarmPool();
  const config: SandboxConfig = {
    codespaceId: 'c', codespacePath: '/w', image: SANDBOX_DEFAULTS.image, memoryMb: SANDBOX_DEFAULTS.memoryMb,
    cpuCores: 2, idleTimeoutMinutes: 30, volumeMounts: [], networkMode: getDefaultSandboxNetworkMode(),
  };
  const box = await provider.create(config);
  const stream = await box.execStream({ cmd: 'node', args: ['a.js'], env: { AGENT_PROMPT: 'p' }, cwd: '/w' });
  const exit: { exitCode: number } = await stream.wait();
  const infos: SandboxInfo[] = await provider.list();
  const again = await provider.get('c');
  const scale: Scale = await client.scaleWarmPool('agentpane-warm-pool', 3);
  await client.setShutdown('s', { shutdownTime: new Date(), shutdownPolicy: 'Delete' });
  const fqdn: string | null = await client.getServiceFQDN('s');
  // A dev server in the sandbox, reached from here; its log followed.
  const forwardOptions: PortForwardOptions = { localPort: 3000, signal: AbortSignal.timeout(60_000) };
  const forward: PortForward = await box.forwardPort(3000, forwardOptions);
  forward.on('connectionError', (e: AgentSandboxError) => console.warn(e.code, e.statusCode));
  const page: string = await (await fetch(forward.url)).text();
  await forward.close();
  const logOptions: SandboxLogOptions = { follow: true, tailLines: 10, timestamps: true };
  for await (const line of box.logs(logOptions)) {
    if (line.includes('ready')) break;
  }
  box.logStream({ sinceSeconds: 60 }).pipe(process.stdout);
  void page;
  await box.stop();
  const cleaned: number = await provider.cleanup({ olderThan: new Date(), status: ['stopped', 'error'] });
  void [recovered, exit, infos, again?.status, scale.spec.replicas, fqdn, cleaned];
}
