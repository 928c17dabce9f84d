// Public types of @agentpane/agent-sandbox-sdk (drop-in for the TypeScript SDK).
// The runtime is the native addon plus lib/*.cjs; these declarations are the
// contract. __test__/types/consumer.ts compiles every export with --strict.

// @kubernetes/client-node is an optional peer. Installed, its own types are
// used (a Sandbox's podTemplate.spec is its V1PodSpec, loadKubeConfig()
// returns its KubeConfig); absent, the import does not resolve (the error is
// silenced below), its names become the compiler's error type, and PeerOr
// picks the structural stand-ins, so this file compiles either way.
// @ts-ignore -- optional peer dependency: absent is fine
import type * as ClientNode from '@kubernetes/client-node';

/**
 * `Peer` when @kubernetes/client-node's types are installed, else
 * `Fallback`. An unresolved name is a top type (`unknown` extends it), which
 * no client-node type is; `0 extends 1 & T`, the usual any test, gives any
 * for it instead.
 */
type PeerOr<Peer, Fallback> = unknown extends Peer ? Fallback : Peer;

/** Without client-node: the fields this package reads, the rest kept open. */
interface ObjectMetaFallback {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string | Date;
  deletionTimestamp?: string | Date;
  labels?: { [key: string]: string };
  annotations?: { [key: string]: string };
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; [key: string]: unknown }>;
  finalizers?: string[];
  [key: string]: unknown;
}
interface ContainerFallback {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: Array<{ name: string; value?: string; [key: string]: unknown }>;
  resources?: { limits?: { [key: string]: string }; requests?: { [key: string]: string }; [key: string]: unknown };
  [key: string]: unknown;
}
interface PodSpecFallback {
  containers: ContainerFallback[];
  [key: string]: unknown;
}
interface ConditionFallback {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string | Date;
  observedGeneration?: number;
}
type V1ObjectMeta = PeerOr<ClientNode.V1ObjectMeta, ObjectMetaFallback>;
type V1PodSpec = PeerOr<ClientNode.V1PodSpec, PodSpecFallback>;
type V1Condition = PeerOr<ClientNode.V1Condition, ConditionFallback>;
type V1PersistentVolumeClaimSpec = PeerOr<ClientNode.V1PersistentVolumeClaimSpec, { [key: string]: unknown }>;
type V1NetworkPolicyIngressRule = PeerOr<ClientNode.V1NetworkPolicyIngressRule, { [key: string]: unknown }>;
type V1NetworkPolicyEgressRule = PeerOr<ClientNode.V1NetworkPolicyEgressRule, { [key: string]: unknown }>;
import type { Readable } from 'node:stream';
import type { EventEmitter } from 'node:events';

// ---------------------------------------------------------------- resources

export interface CRDResource<TSpec = unknown, TStatus = unknown> {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta;
  spec: TSpec;
  status?: TStatus;
}
export interface CRDResourceList<T extends CRDResource> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'ERROR' | 'BOOKMARK';
export interface WatchEvent<T extends CRDResource> {
  type: WatchEventType;
  object: T;
}
export type Condition = V1Condition;
export interface PodMetadata {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export interface PodTemplate {
  spec: V1PodSpec;
  metadata: PodMetadata;
}
export interface EmbeddedObjectMetadata {
  name?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export interface PersistentVolumeClaimTemplate {
  metadata: EmbeddedObjectMetadata;
  spec: V1PersistentVolumeClaimSpec;
}
export type ShutdownPolicy = 'Delete' | 'Retain';
export interface Lifecycle {
  shutdownTime?: string;
  shutdownPolicy?: ShutdownPolicy;
}
export type NetworkPolicyManagement = 'Managed' | 'Unmanaged';
export interface NetworkPolicySpec {
  ingress?: V1NetworkPolicyIngressRule[];
  egress?: V1NetworkPolicyEgressRule[];
}
/** `Name` on controllers up to v0.2; newer ones write `name`. */
export interface ClaimSandboxStatus {
  /** Controllers up to v0.2. */
  Name?: string;
  name?: string;
  podIPs?: string[];
  /** The Sandbox's Service, mirrored by the claim (agent-sandbox v1.x). */
  serviceFQDN?: string;
}

export interface SandboxSpec {
  podTemplate: PodTemplate;
  volumeClaimTemplates?: PersistentVolumeClaimTemplate[];
  shutdownTime?: string;
  shutdownPolicy?: ShutdownPolicy;
  /** 0 (suspended) or 1 (running). */
  replicas?: number;
}
export interface SandboxStatus {
  serviceFQDN?: string;
  service?: string;
  conditions?: V1Condition[];
  replicas: number;
  selector?: string;
}
export type Sandbox = CRDResource<SandboxSpec, SandboxStatus>;
export type SandboxList = CRDResourceList<Sandbox>;
export interface SandboxTemplateSpec {
  podTemplate: PodTemplate;
  networkPolicy?: NetworkPolicySpec;
  networkPolicyManagement?: NetworkPolicyManagement;
}
export type SandboxTemplateStatus = Record<string, never>;
export type SandboxTemplate = CRDResource<SandboxTemplateSpec, SandboxTemplateStatus>;
export type SandboxTemplateList = CRDResourceList<SandboxTemplate>;
export interface SandboxTemplateRef {
  name: string;
}
export interface SandboxClaimSpec {
  sandboxTemplateRef: SandboxTemplateRef;
  lifecycle?: Lifecycle;
}
export interface SandboxClaimStatus {
  conditions?: V1Condition[];
  sandbox?: ClaimSandboxStatus;
}
export type SandboxClaim = CRDResource<SandboxClaimSpec, SandboxClaimStatus>;
export type SandboxClaimList = CRDResourceList<SandboxClaim>;
export interface SandboxWarmPoolSpec {
  replicas: number;
  sandboxTemplateRef: SandboxTemplateRef;
  /** How long a new member may take to become Ready before the pool replaces it; at least 30 (agent-sandbox v1.0.12). */
  readinessGracePeriodSeconds?: number;
}
export interface SandboxWarmPoolStatus {
  replicas?: number;
  readyReplicas?: number;
}
export type SandboxWarmPool = CRDResource<SandboxWarmPoolSpec, SandboxWarmPoolStatus>;
export type SandboxWarmPoolList = CRDResourceList<SandboxWarmPool>;

// ---------------------------------------------------------------- exec

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}
export interface ExecOptions {
  sandboxName: string;
  namespace: string;
  container?: string;
  command: string[];
  /** No timeout when 0 or absent. */
  timeoutMs?: number;
  /** Buffered exec: the most output kept, stdout and stderr together (default 32 MiB); more closes the session and rejects with OUTPUT_TOO_LARGE. */
  maxOutputBytes?: number;
  /** Aborting closes the session and rejects with code CANCELLED. */
  signal?: AbortSignal;
}
export interface ExecStreamOptions extends ExecOptions {
  stdin?: Readable;
  tty?: boolean;
  /**
   * Opt-in: kill() also sends this signal to the command's process group
   * (closing the connection alone does not stop it under a real kubelet).
   */
  killSignal?: NodeJS.Signals;
}
export interface ExecStreamResult {
  stdout: Readable;
  stderr: Readable;
  /** The same promise on every call. `kill()` before the exit status resolves `{exitCode: -1}`. */
  wait(): Promise<{ exitCode: number }>;
  /** Closes the connection and destroys the streams. Never throws. */
  kill(): void | Promise<void>;
  /** TTY sessions: tell the remote terminal its new size. */
  resize?(columns: number, rows: number): Promise<void>;
}

// ---------------------------------------------------------------- options

/** Anything that serialises to a kubeconfig: this package's KubeConfig or client-node's. */
export interface KubeConfigLike {
  exportConfig(): string;
  getContexts(): Array<{ name: string; cluster: string; user: string; namespace?: string }>;
  getCurrentContext(): string;
  setCurrentContext(context: string): void;
  getContextObject(name: string): { name: string; cluster: string; user: string; namespace?: string } | null;
  getCluster(name: string): { name: string; server: string; skipTLSVerify?: boolean } | null;
}

export type ApiVersionPolicy = 'auto' | 'v1alpha1' | 'v1beta1';

export interface AgentSandboxClientOptions {
  kubeConfig?: KubeConfigLike;
  namespace?: string;
  kubeconfigPath?: string;
  context?: string;
  skipTLSVerify?: boolean;
  /** Wire version: 'auto' (default) asks the cluster and converts when needed. */
  apiVersion?: ApiVersionPolicy;
}
export interface KubeConfigOptions {
  kubeconfigPath?: string;
  context?: string;
  skipTLSVerify?: boolean;
}
export interface CrudConfig {
  group: string;
  version: string;
  plural: string;
}
export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continueToken?: string;
}
export interface WaitForReadyOptions {
  name: string;
  namespace: string;
  timeoutMs?: number;
  pollIntervalMs?: number;
  signal?: AbortSignal;
}
export interface WatchOptions {
  namespace: string;
  labelSelector?: string;
  resourceVersion?: string;
  timeoutSeconds?: number;
}
export type WatchCallback<T extends CRDResource> = (event: WatchEvent<T>) => void;
export interface WatchHandle {
  stop(): void;
  done: Promise<void>;
}

// ---------------------------------------------------------------- kubeconfig

export interface KubeConfigCluster {
  name: string;
  server: string;
  caData?: string;
  caFile?: string;
  skipTLSVerify: boolean;
  tlsServerName?: string;
  proxyUrl?: string;
}
export interface KubeConfigUser {
  name: string;
  token?: string;
  tokenFile?: string;
  certData?: string;
  certFile?: string;
  keyData?: string;
  keyFile?: string;
  username?: string;
  password?: string;
  exec?: unknown;
  authProvider?: unknown;
  impersonateUser?: string;
}
export interface KubeConfigContext {
  name: string;
  cluster: string;
  user: string;
  namespace?: string;
}

/**
 * The built-in KubeConfig: the fields and methods of @kubernetes/client-node's
 * KubeConfig that consumers use. The package makes these only when client-node
 * is not installed; see {@link LoadedKubeConfig}.
 */
export declare class KubeConfig implements KubeConfigLike {
  clusters: KubeConfigCluster[];
  users: KubeConfigUser[];
  contexts: KubeConfigContext[];
  currentContext: string;
  static fromDocument(document: unknown): KubeConfig;
  loadFromDefault(): void;
  loadFromFile(file: string): void;
  /** A kubeconfig's YAML or JSON text; throws KubeConfigError (saying where it is wrong, never quoting it). */
  loadFromString(config: string): void;
  loadFromOptions(options: {
    clusters?: KubeConfigCluster[];
    users?: KubeConfigUser[];
    contexts?: KubeConfigContext[];
    currentContext?: string;
  }): void;
  getContexts(): KubeConfigContext[];
  getClusters(): KubeConfigCluster[];
  getUsers(): KubeConfigUser[];
  getCurrentContext(): string;
  setCurrentContext(context: string): void;
  getContextObject(name: string): KubeConfigContext | null;
  getCluster(name: string): KubeConfigCluster | null;
  getUser(name: string): KubeConfigUser | null;
  getCurrentCluster(): KubeConfigCluster | null;
  getCurrentUser(): KubeConfigUser | null;
  toDocument(): Record<string, unknown>;
  exportConfig(): string;
  /** Needs the optional peer @kubernetes/client-node (throws PEER_DEPENDENCY_MISSING without it). */
  makeApiClient<T>(apiClientType: new (...args: any[]) => T): T;
}

/**
 * The KubeConfig objects this package makes (`loadKubeConfig()`, and
 * `client.kubeConfig` when none was given): a genuine @kubernetes/client-node
 * `KubeConfig` when that optional peer is installed, else the built-in one.
 */
export type LoadedKubeConfig = PeerOr<ClientNode.KubeConfig, KubeConfig>;

export declare function loadKubeConfig(options?: KubeConfigOptions): LoadedKubeConfig;
export declare function resolveContext(kc: KubeConfigLike, context?: string): string;
export declare function getClusterInfo(kc: KubeConfigLike): { name: string; server: string } | null;
export declare function applyBunCompat(): void;

// ---------------------------------------------------------------- errors

export declare class AgentSandboxError extends Error {
  constructor(message: string, code: string, statusCode?: number, details?: Record<string, unknown>);
  readonly code: string;
  readonly statusCode?: number;
  readonly details?: Record<string, unknown>;
}
export declare class NotFoundError extends AgentSandboxError {
  constructor(kind: string, name: string, namespace?: string);
}
export declare class AlreadyExistsError extends AgentSandboxError {
  constructor(kind: string, name: string);
}
export declare class TimeoutError extends AgentSandboxError {
  constructor(operation: string, timeoutMs: number);
}
export declare class ExecError extends AgentSandboxError {
  constructor(command: string, message: string, exitCode?: number);
}
export declare class ControllerNotInstalledError extends AgentSandboxError {
  constructor();
}
export declare class KubeConfigError extends AgentSandboxError {
  constructor(message: string);
}

// ---------------------------------------------------------------- constants

export declare const CRD_API: {
  readonly group: 'agents.x-k8s.io';
  readonly version: 'v1alpha1';
  readonly apiVersion: 'agents.x-k8s.io/v1alpha1';
};
export declare const CRD_EXTENSIONS_API: {
  readonly group: 'extensions.agents.x-k8s.io';
  readonly version: 'v1alpha1';
  readonly apiVersion: 'extensions.agents.x-k8s.io/v1alpha1';
};
export declare const CRD_API_V1BETA1: {
  readonly group: 'agents.x-k8s.io';
  readonly version: 'v1beta1';
  readonly apiVersion: 'agents.x-k8s.io/v1beta1';
};
export declare const CRD_EXTENSIONS_API_V1BETA1: {
  readonly group: 'extensions.agents.x-k8s.io';
  readonly version: 'v1beta1';
  readonly apiVersion: 'extensions.agents.x-k8s.io/v1beta1';
};
export declare const CRD_PLURALS: {
  readonly sandbox: 'sandboxes';
  readonly sandboxTemplate: 'sandboxtemplates';
  readonly sandboxClaim: 'sandboxclaims';
  readonly sandboxWarmPool: 'sandboxwarmpools';
};
export declare const CRD_KINDS: {
  readonly sandbox: 'Sandbox';
  readonly sandboxTemplate: 'SandboxTemplate';
  readonly sandboxClaim: 'SandboxClaim';
  readonly sandboxWarmPool: 'SandboxWarmPool';
};
export declare const CRD_ANNOTATIONS: {
  readonly ttl: 'agents.x-k8s.io/ttl';
  readonly pauseReason: 'agents.x-k8s.io/pause-reason';
  readonly createdBy: 'agents.x-k8s.io/created-by';
  readonly sandboxId: 'agentpane.io/sandbox-id';
  readonly projectId: 'agentpane.io/project-id';
  readonly taskId: 'agentpane.io/task-id';
};
export declare const CRD_CONDITIONS: {
  readonly ready: 'Ready';
  readonly podReady: 'PodReady';
  readonly networkReady: 'NetworkReady';
  readonly storageReady: 'StorageReady';
  readonly paused: 'Paused';
  readonly expired: 'SandboxExpired';
};
export declare const CRD_LABELS: {
  readonly managed: 'agentpane.io/managed';
  readonly sandbox: 'agentpane.io/sandbox';
  readonly projectId: 'agentpane.io/project-id';
  readonly warmPool: 'agentpane.io/warm-pool';
  readonly warmPoolState: 'agentpane.io/warm-pool-state';
  readonly claimUid: 'agents.x-k8s.io/claim-uid';
};

// ---------------------------------------------------------------- client

export interface WatchedKinds {
  sandboxes: Sandbox;
  sandboxtemplates: SandboxTemplate;
  sandboxclaims: SandboxClaim;
  sandboxwarmpools: SandboxWarmPool;
}

export interface HealthCheckResult {
  healthy: boolean;
  controllerInstalled: boolean;
  controllerVersion?: string;
  crdRegistered: boolean;
  namespace: string;
  namespaceExists: boolean;
  clusterVersion?: string;
}

/** `K`: the type of the `kubeConfig` given, else the one loaded for the client (client-node's when installed). */
export declare class AgentSandboxClient<K extends KubeConfigLike = LoadedKubeConfig> {
  /** The given `kubeConfig`, or the one loaded for this client. */
  readonly kubeConfig: K;
  readonly namespace: string;
  constructor(options?: AgentSandboxClientOptions & { kubeConfig?: K });
  /** `options.signal` aborts any of these calls (see CustomResourceCrud). */
  createSandbox(sandbox: Sandbox, namespace?: string, options?: CallOptions): Promise<Sandbox>;
  getSandbox(name: string, namespace?: string, options?: CallOptions): Promise<Sandbox>;
  listSandboxes(options?: ListOptions & CallOptions): Promise<SandboxList>;
  deleteSandbox(name: string, namespace?: string, options?: CallOptions): Promise<void>;
  sandboxExists(name: string, namespace?: string, options?: CallOptions): Promise<boolean>;
  waitForReady(name: string, options?: Partial<WaitForReadyOptions>): Promise<Sandbox>;
  pause(name: string, reason?: string, namespace?: string): Promise<Sandbox>;
  resume(name: string, namespace?: string): Promise<Sandbox>;
  exec(options: Omit<ExecOptions, 'namespace'> & { namespace?: string }): Promise<ExecResult>;
  execStream(options: Omit<ExecStreamOptions, 'namespace'> & { namespace?: string }): Promise<ExecStreamResult>;
  createTemplate(template: SandboxTemplate, namespace?: string, options?: CallOptions): Promise<SandboxTemplate>;
  getTemplate(name: string, namespace?: string, options?: CallOptions): Promise<SandboxTemplate>;
  listTemplates(namespace?: string, options?: Omit<ListOptions, 'namespace'> & CallOptions): Promise<SandboxTemplateList>;
  deleteTemplate(name: string, namespace?: string, options?: CallOptions): Promise<void>;
  createClaim(claim: SandboxClaim, namespace?: string, options?: CallOptions): Promise<SandboxClaim>;
  getClaim(name: string, namespace?: string, options?: CallOptions): Promise<SandboxClaim>;
  /** `options.labelSelector` selects claims by label (e.g. the labels given to claimSandbox). */
  listClaims(namespace?: string, options?: Omit<ListOptions, 'namespace'> & CallOptions): Promise<SandboxClaimList>;
  deleteClaim(name: string, namespace?: string, options?: CallOptions): Promise<void>;
  createWarmPool(pool: SandboxWarmPool, namespace?: string, options?: CallOptions): Promise<SandboxWarmPool>;
  getWarmPool(name: string, namespace?: string, options?: CallOptions): Promise<SandboxWarmPool>;
  listWarmPools(namespace?: string, options?: Omit<ListOptions, 'namespace'> & CallOptions): Promise<SandboxWarmPoolList>;
  replaceWarmPool(name: string, pool: SandboxWarmPool, namespace?: string): Promise<SandboxWarmPool>;
  deleteWarmPool(name: string, namespace?: string, options?: CallOptions): Promise<void>;
  /** The pool's `scale` subresource. */
  getWarmPoolScale(name: string, namespace?: string): Promise<Scale>;
  /** Resizes a pool through its `scale` subresource. */
  scaleWarmPool(name: string, replicas: number, namespace?: string): Promise<Scale>;
  /** Sets (or with `shutdownTime: null` clears) a Sandbox's expiry. */
  setShutdown(
    name: string,
    options: { shutdownTime?: Date | string | null; shutdownPolicy?: ShutdownPolicy },
    namespace?: string,
  ): Promise<Sandbox>;
  /** `status.serviceFQDN` as the controller wrote it, or null. */
  getServiceFQDN(name: string, namespace?: string): Promise<string | null>;
  /** NetworkPolicies (networking.k8s.io/v1), used for sandbox isolation. */
  readonly networkPolicies: CustomResourceCrud<CRDResource>;
  /** Pods (v1). */
  readonly pods: CustomResourceCrud<CRDResource>;
  watchSandboxes(callback: WatchCallback<Sandbox>, options?: Partial<WatchOptions>): WatchHandle;
  watchClaims(callback: WatchCallback<SandboxClaim>, options?: Partial<WatchOptions>): WatchHandle;
  /** An async iterator of changes; `break` or `signal` stops it. `namespace: ''` watches cluster-wide. */
  watch<K extends keyof WatchedKinds>(
    kind: K,
    options?: Partial<WatchOptions> & { fieldSelector?: string; signal?: AbortSignal },
  ): AsyncIterableIterator<WatchEvent<WatchedKinds[K]>>;
  healthCheck(): Promise<HealthCheckResult>;
  /**
   * Creates a SandboxClaim (from `warmPool`; on v1alpha1 servers `template` works too), waits until it is
   * bound and its Sandbox is Ready. Deletes the claim again on failure.
   */
  claimSandbox(options: {
    name?: string;
    namespace?: string;
    warmPool?: string;
    template?: string;
    labels?: Record<string, string>;
    timeoutMs?: number;
    /** Expiry: the claim and its Sandbox are deleted this many seconds after the claim is made (`shutdownTime` with policy `Delete`). */
    shutdownAfterSeconds?: number;
    /** Wait on an existing claim of this name (e.g. after a restart) instead of failing with ALREADY_EXISTS; it is never deleted by this call. */
    reconnect?: boolean;
    signal?: AbortSignal;
  }): Promise<{ claim: CRDResource; sandbox: CRDResource; podName: string }>;
  /** What AgentPane's GET /api/sandbox/k8s/controller serves. Never throws. */
  controllerStatus(): Promise<ControllerStatus>;
}

/** An `autoscaling/v1` Scale, as the `scale` subresource returns it. */
export interface Scale {
  apiVersion: string;
  kind: 'Scale';
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  spec: { replicas?: number };
  status: { replicas: number; selector?: string };
}

export interface ControllerStatus {
  installed: boolean;
  version: string | null;
  crdRegistered: boolean;
  crdReady: boolean;
  crdGroup: string;
  /** Served versions per group, most preferred first. */
  servedVersions: Record<string, string[]>;
  namespace: string;
  namespaceExists: boolean;
  clusterVersion: string | null;
  controllerReady: boolean;
  ready: boolean;
}

/** `signal` aborts a call with CANCELLED. Reads are dropped at once; an aborted create deletes what it made; other writes are aborted only before they are sent. */
export interface CallOptions {
  signal?: AbortSignal;
}
export declare class CustomResourceCrud<T extends CRDResource> {
  constructor(kc: KubeConfigLike, config: CrudConfig, options?: { apiVersion?: ApiVersionPolicy });
  create(namespace: string, body: T, options?: CallOptions): Promise<T>;
  get(namespace: string, name: string, options?: CallOptions): Promise<T>;
  list(options?: ListOptions & CallOptions): Promise<CRDResourceList<T>>;
  update(namespace: string, name: string, body: T, options?: CallOptions): Promise<T>;
  /** A replace against the current resourceVersion, retried when someone wrote in between (409). */
  replaceLatest(namespace: string, name: string, body: T, options?: CallOptions): Promise<T>;
  /** A JSON merge patch (application/merge-patch+json). */
  patch(namespace: string, name: string, patch: Partial<T>, options?: CallOptions): Promise<T>;
  /** Server-side apply with field manager `agent-sandbox-sdk`. */
  apply(namespace: string, body: T, options?: { force?: boolean } & CallOptions): Promise<T>;
  delete(namespace: string, name: string, options?: { propagationPolicy?: 'Background' | 'Foreground' | 'Orphan' } & CallOptions): Promise<void>;
  exists(namespace: string, name: string, options?: CallOptions): Promise<boolean>;
  /** The `scale` subresource (SandboxWarmPool in every version; Sandbox in v1alpha1). */
  getScale(namespace: string, name: string, options?: CallOptions): Promise<Scale>;
  /** Sets `spec.replicas` through the `scale` subresource. */
  setScale(namespace: string, name: string, replicas: number, options?: CallOptions): Promise<Scale>;
  /** Resolves once the object's Ready condition is True (watched, not polled); see waitForReady(). */
  waitForReady(options: Omit<WaitForReadyOptions, 'pollIntervalMs'> & CallOptions): Promise<T>;
}

/** One log record of the SDK (never carries a secret). */
export interface LogRecord {
  level: 'error' | 'warn' | 'info' | 'debug' | 'trace';
  /** The Rust module that wrote it, e.g. `agent_sandbox::watch`. */
  target: string;
  message: string;
  /** Structured fields, e.g. `{ resource, namespace, error, backoff_ms }`. */
  fields: Record<string, unknown>;
  /** Milliseconds since the epoch. */
  time: number;
}
/** Sends the SDK's log records at `level` (default 'info') and above to `logger`; `null` silences; left out, the default (warnings to console.warn) comes back. */
export declare function setLogger(logger?: ((record: LogRecord) => void) | null, options?: { level?: LogRecord['level'] }): void;
export declare function execInSandbox(kc: KubeConfigLike, options: ExecOptions): Promise<ExecResult>;
export declare function execStreamInSandbox(kc: KubeConfigLike, options: ExecStreamOptions): Promise<ExecStreamResult>;
export declare function waitForReady(crud: CustomResourceCrud<Sandbox>, options: WaitForReadyOptions): Promise<Sandbox>;
export declare function pause(
  crud: CustomResourceCrud<Sandbox>,
  namespace: string,
  name: string,
  reason?: string,
): Promise<Sandbox>;
export declare function resume(crud: CustomResourceCrud<Sandbox>, namespace: string, name: string): Promise<Sandbox>;
export declare function startWatch<T extends CRDResource>(
  kc: KubeConfigLike,
  config: CrudConfig,
  options: WatchOptions,
  callback: WatchCallback<T>,
): WatchHandle;

// ---------------------------------------------------------------- builders

export declare class SandboxBuilder {
  constructor(name: string);
  namespace(ns: string): this;
  labels(labels: Record<string, string>): this;
  annotations(annotations: Record<string, string>): this;
  image(image: string): this;
  resources(limits: { cpu: string; memory: string }): this;
  runtimeClass(name: string): this;
  addVolumeClaimTemplate(template: PersistentVolumeClaimTemplate): this;
  shutdownTime(time: string): this;
  shutdownPolicy(policy: ShutdownPolicy): this;
  replicas(n: number): this;
  agentPaneContext(ctx: { projectId: string; taskId?: string; sandboxId?: string }): this;
  /** Opt-in restricted Pod Security defaults on the pod template. */
  restrictedPodSecurity(): this;
  build(): Sandbox;
}
export declare class SandboxTemplateBuilder {
  constructor(name: string);
  namespace(ns: string): this;
  labels(labels: Record<string, string>): this;
  podTemplate(template: PodTemplate): this;
  image(image: string): this;
  resources(limits: { cpu: string; memory: string }): this;
  networkPolicy(policy: NetworkPolicySpec): this;
  networkPolicyManagement(mode: NetworkPolicyManagement): this;
  /** Opt-in restricted Pod Security defaults on the pod template. */
  restrictedPodSecurity(): this;
  build(): SandboxTemplate;
}
export declare class SandboxClaimBuilder {
  constructor(name: string);
  namespace(ns: string): this;
  labels(labels: Record<string, string>): this;
  templateRef(name: string): this;
  lifecycle(options: { shutdownTime?: string; shutdownPolicy?: ShutdownPolicy }): this;
  build(): SandboxClaim;
}
export declare class SandboxWarmPoolBuilder {
  constructor(name: string);
  namespace(ns: string): this;
  labels(labels: Record<string, string>): this;
  replicas(n: number): this;
  sandboxTemplateRef(name: string): this;
  build(): SandboxWarmPool;
}

// ---------------------------------------------------------------- schemas

export interface SchemaIssue {
  code: string;
  path: (string | number)[];
  message: string;
}
/** Shaped like a ZodError. */
export declare class SchemaValidationError extends Error {
  readonly name: 'ZodError';
  readonly issues: SchemaIssue[];
  readonly errors: SchemaIssue[];
  format(): { _errors: string[] };
}
export type SafeParseResult<T> = { success: true; data: T } | { success: false; error: SchemaValidationError };
type Flat<T> = { [K in keyof T]: T[K] } & {};
/** The output type of one of our schemas, a zod schema, or anything with `safeParse`. */
type OutputOf<S> = S extends { _zod: { output: infer O } }
  ? O
  : S extends { _output: infer O }
    ? O
    : S extends { safeParse(input: any): infer R }
      ? R extends { success: true; data: infer D }
        ? D
        : unknown
      : unknown;
/** Keys whose schema accepts undefined become optional, as zod infers them. */
type Extended<S> = { [K in keyof S as undefined extends OutputOf<S[K]> ? never : K]: OutputOf<S[K]> } & {
  [K in keyof S as undefined extends OutputOf<S[K]> ? K : never]?: OutputOf<S[K]>;
};
/** zod's `{key: true}` mask over the keys of T. */
type Mask<T> = { [K in keyof T]?: true };
type ShapeOf<T> = T extends readonly unknown[]
  ? undefined
  : T extends object
    ? { readonly [K in keyof T]-?: Schema<T[K]> }
    : undefined;

/**
 * zod-compatible: parse throws the same error safeParse returns; the
 * derivations return new schemas; `z.infer<typeof sandboxSchema>` works with
 * zod 4 installed. Derivations that are not for an object schema (`pick` of
 * an enum) throw INVALID_ARGUMENT, and an unknown key throws, as in zod.
 */
export interface Schema<T> {
  parse(input: unknown): T;
  safeParse(input: unknown): SafeParseResult<T>;
  parseAsync(input: unknown): Promise<T>;
  safeParseAsync(input: unknown): Promise<SafeParseResult<T>>;
  /** An object schema's keys, each a schema (an optional key's accepts undefined); undefined for other schemas. */
  readonly shape: ShapeOf<T>;
  pick<M extends Mask<T>>(mask: M): Schema<Flat<Pick<T, Extract<keyof M, keyof T>>>>;
  omit<M extends Mask<T>>(mask: M): Schema<Flat<Omit<T, keyof M>>>;
  partial(): Schema<Flat<Partial<T>>>;
  partial<M extends Mask<T>>(mask: M): Schema<Flat<Omit<T, keyof M> & Partial<Pick<T, Extract<keyof M, keyof T>>>>>;
  required(): Schema<Flat<Required<T>>>;
  required<M extends Mask<T>>(mask: M): Schema<Flat<Omit<T, keyof M> & Required<Pick<T, Extract<keyof M, keyof T>>>>>;
  /** Adds or replaces keys; values are this package's schemas or zod schemas (anything with `safeParse`). */
  extend<S extends Record<string, { safeParse(input: any): unknown }>>(shape: S): Schema<Flat<Omit<T, keyof S> & Extended<S>>>;
  merge<U>(other: Schema<U>): Schema<Flat<Omit<T, keyof U> & U>>;
  optional(): Schema<T | undefined>;
  array(): Schema<T[]>;
  /** Type only (no runtime value): what zod 4's `z.infer` / `z.output` read. */
  readonly _zod: { readonly output: T; readonly input: unknown };
  /** Type only: what zod 3's `z.infer` reads. */
  readonly _output: T;
}
type ResourceOf<TSpec, TStatus> = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: TSpec;
  status?: TStatus;
};

export declare const podMetadataSchema: Schema<PodMetadata>;
export declare const podTemplateSchema: Schema<{ spec?: unknown; metadata: PodMetadata }>;
export declare const embeddedObjectMetadataSchema: Schema<EmbeddedObjectMetadata>;
export declare const persistentVolumeClaimTemplateSchema: Schema<{ metadata: EmbeddedObjectMetadata; spec?: unknown }>;
export declare const shutdownPolicySchema: Schema<ShutdownPolicy>;
export declare const sandboxSpecSchema: Schema<SandboxSpec>;
export declare const sandboxStatusSchema: Schema<SandboxStatus>;
export declare const sandboxSchema: Schema<ResourceOf<SandboxSpec, SandboxStatus> & { kind: 'Sandbox' }>;
export declare const networkPolicySpecSchema: Schema<NetworkPolicySpec>;
export declare const networkPolicyManagementSchema: Schema<NetworkPolicyManagement>;
export declare const sandboxTemplateSpecSchema: Schema<SandboxTemplateSpec>;
export declare const sandboxTemplateStatusSchema: Schema<SandboxTemplateStatus>;
export declare const sandboxTemplateSchema: Schema<
  ResourceOf<SandboxTemplateSpec, SandboxTemplateStatus> & { kind: 'SandboxTemplate' }
>;
export declare const sandboxTemplateRefSchema: Schema<SandboxTemplateRef>;
export declare const lifecycleSchema: Schema<Lifecycle>;
export declare const claimSandboxStatusSchema: Schema<ClaimSandboxStatus>;
export declare const sandboxClaimSpecSchema: Schema<SandboxClaimSpec>;
export declare const sandboxClaimStatusSchema: Schema<SandboxClaimStatus>;
export declare const sandboxClaimSchema: Schema<ResourceOf<SandboxClaimSpec, SandboxClaimStatus> & { kind: 'SandboxClaim' }>;
export declare const sandboxWarmPoolSpecSchema: Schema<SandboxWarmPoolSpec>;
export declare const sandboxWarmPoolStatusSchema: Schema<SandboxWarmPoolStatus>;
export declare const sandboxWarmPoolSchema: Schema<
  ResourceOf<SandboxWarmPoolSpec, SandboxWarmPoolStatus> & { kind: 'SandboxWarmPool' }
>;

// ---------------------------------------------------------------- provider side (AgentPane)

/** AgentPane's status of a running sandbox. */
export type SandboxRuntimeStatus = 'stopped' | 'creating' | 'running' | 'idle' | 'stopping' | 'error';
export interface AgentExecStreamOptions {
  cmd: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  asRoot?: boolean;
  stdin?: Readable;
  killSignal?: NodeJS.Signals;
  signal?: AbortSignal;
  timeoutMs?: number;
}
export interface TmuxSession {
  name: string;
  sandboxId: string;
  taskId?: string;
  createdAt: string;
  windowCount: number;
  attached: boolean;
}
export interface SandboxMetrics {
  cpuUsagePercent: number;
  memoryUsageMb: number;
  memoryLimitMb: number;
  diskUsageMb: number;
  networkRxBytes: number;
  networkTxBytes: number;
  /** Milliseconds since the pod started. */
  uptime: number;
  /** Which source answered. */
  source: 'metrics-api' | 'cgroup' | 'unavailable';
}

/** The K8S_* errors of the provider. */
export declare class K8sError extends AgentSandboxError {}
export declare const K8sErrors: {
  POD_ALREADY_EXISTS(codespaceId: string): K8sError;
  POD_CREATION_FAILED(name: string, message: string): K8sError;
  POD_DELETION_FAILED(name: string, message: string): K8sError;
  EXEC_FAILED(command: string, message: string): K8sError;
  NETWORK_ISOLATION_UNSUPPORTED(provider: string, reason: string): K8sError;
  NETWORK_POLICY_CREATION_FAILED(name: string, message: string): K8sError;
  IMAGE_NOT_FOUND(image: string): K8sError;
  TMUX_SESSION_ALREADY_EXISTS(name: string): K8sError;
  TMUX_CREATION_FAILED(name: string, message: string): K8sError;
};

/** The status AgentPane derives from a Sandbox object. */
export declare function mapConditionsToStatus(sandbox: Sandbox): Exclude<SandboxRuntimeStatus, 'stopping'>;

export declare class AgentSandboxInstance {
  readonly id: string;
  readonly sandboxName: string;
  readonly codespaceId: string;
  readonly namespace: string;
  readonly containerId: string;
  /** 'creating' until the first refresh, then the last status seen. */
  readonly status: SandboxRuntimeStatus;
  constructor(
    id: string,
    sandboxName: string,
    codespaceId: string,
    namespace: string,
    client: AgentSandboxClient<KubeConfigLike>,
    idleTimeoutMinutes?: number,
  );
  /** `signal` aborts it (CANCELLED) and closes its connection. */
  exec(cmd: string, args?: string[], options?: { signal?: AbortSignal }): Promise<ExecResult>;
  execAsRoot(cmd: string, args?: string[], options?: { signal?: AbortSignal }): Promise<ExecResult>;
  execStream(options: AgentExecStreamOptions): Promise<ExecStreamResult>;
  writeFile(path: string, content: string | Buffer, mode?: number): Promise<void>;
  readFile(path: string): Promise<Buffer>;
  createTmuxSession(sessionName: string, taskId?: string): Promise<TmuxSession>;
  listTmuxSessions(): Promise<TmuxSession[]>;
  killTmuxSession(sessionName: string): Promise<void>;
  sendKeysToTmux(sessionName: string, keys: string): Promise<void>;
  captureTmuxPane(sessionName: string, lines?: number): Promise<string>;
  /** Deletes the Sandbox (and its claim); `reason` goes to the stopping event. */
  stop(reason?: string): Promise<void>;
  touch(): void;
  getLastActivity(): Date;
  refreshStatus(): Promise<SandboxRuntimeStatus>;
  getMetrics(): Promise<SandboxMetrics>;
  /**
   * Listens on 127.0.0.1 (`localPort`, or a free port) and relays each
   * connection to `remotePort` inside the sandbox: the pod's `portforward`
   * subresource on Kubernetes, the container's address on Docker (a server
   * there must listen on 0.0.0.0). `signal` closes the forward. Rejects
   * INVALID_ARGUMENT for a port outside 1-65535, NOT_FOUND when the sandbox
   * has no pod, PORT_FORWARD_FAILED when no listener can be made or the
   * sandbox has no address.
   */
  forwardPort(remotePort: number, options?: PortForwardOptions): Promise<PortForward>;
  /**
   * The sandbox's log (what its main process prints) as lines without their
   * line ends; a line longer than 64 KiB comes in pieces. `break` or
   * `signal` ends it and closes its connection.
   */
  logs(options?: SandboxLogOptions): AsyncIterableIterator<string>;
  /** The same lines as a Node Readable of text, each ending in '\n'. */
  logStream(options?: SandboxLogOptions): Readable;
}

export interface PortForwardOptions {
  /** The local port on 127.0.0.1; a free one when absent. */
  localPort?: number;
  /** Closes the forward (or cancels its opening with CANCELLED). */
  signal?: AbortSignal;
}

/**
 * A sandbox's port on this host. A connection that cannot reach the port is
 * closed and reported as a 'connectionError' event (PORT_FORWARD_FAILED, HTTP
 * status 502); the forward goes on listening. While open it keeps the process
 * running, like a server: close() it.
 */
export declare class PortForward extends EventEmitter {
  /** Always 127.0.0.1. */
  readonly localAddress: string;
  readonly localPort: number;
  readonly remotePort: number;
  /** `http://127.0.0.1:<localPort>` */
  readonly url: string;
  /** Settles once the forward is closed. */
  readonly closed: Promise<void>;
  /** Stops listening and ends every forwarded connection. */
  close(): Promise<void>;
  on(event: 'connectionError', listener: (error: AgentSandboxError) => void): this;
  once(event: 'connectionError', listener: (error: AgentSandboxError) => void): this;
  off(event: 'connectionError', listener: (error: AgentSandboxError) => void): this;
}

export interface SandboxLogOptions {
  /** Keep reading: lines printed later arrive as they are printed. */
  follow?: boolean;
  /** Only lines of the last this many seconds (a whole number, at least 1). */
  sinceSeconds?: number;
  /** Only the last this many lines (then, with `follow`, new ones). */
  tailLines?: number;
  /** Prefix each line with its RFC 3339 time and a space. */
  timestamps?: boolean;
  /** The container (default 'sandbox'). */
  container?: string;
  signal?: AbortSignal;
}

export interface SandboxConfig {
  id?: string;
  codespaceId: string;
  codespacePath: string;
  image: string;
  memoryMb: number;
  cpuCores: number;
  idleTimeoutMinutes: number;
  /** Ignored by the Kubernetes provider (a warning names it). */
  volumeMounts: unknown[];
  /** Ignored by the Kubernetes provider and never copied into the CR (it can hold secrets). */
  env?: Record<string, string>;
  /** 'none' isolates this sandbox with a deny-all NetworkPolicy. */
  networkMode?: 'bridge' | 'none';
}
export interface SandboxInfo {
  id: string;
  codespaceId: string;
  containerId: string;
  status: SandboxRuntimeStatus;
  image: string;
  createdAt: string;
  lastActivityAt: string;
  memoryMb: number;
  cpuCores: number;
}
export interface RecoverResult {
  recovered: number;
  removed: number;
}
export interface SandboxHealthCheck {
  healthy: boolean;
  message?: string;
  details?: Record<string, unknown>;
}
export type SandboxProviderEvent =
  | { type: 'sandbox:creating'; sandboxId: string; codespaceId: string }
  | { type: 'sandbox:created'; sandboxId: string; codespaceId: string; containerId: string }
  | { type: 'sandbox:starting'; sandboxId: string }
  | { type: 'sandbox:started'; sandboxId: string }
  | { type: 'sandbox:idle'; sandboxId: string; idleSince: Date }
  | { type: 'sandbox:stopping'; sandboxId: string; reason: string }
  | { type: 'sandbox:stopped'; sandboxId: string }
  | { type: 'sandbox:error'; sandboxId: string; error: Error };
export type SandboxProviderEventListener = (event: SandboxProviderEvent) => void;
export type RuntimeClassName = 'gvisor' | 'kata' | 'none';
export interface AgentSandboxProviderOptions {
  /** Default 'agentpane-sandboxes'. */
  namespace?: string;
  kubeConfigPath?: string;
  kubeContext?: string;
  /** Claim from the warm pool in create() (falls back to a cold Sandbox). Default false. */
  enableWarmPool?: boolean;
  /** Replicas initWarmPool() asks for. Default 2. */
  warmPoolSize?: number;
  /** Default 'none' (no runtimeClassName on the pod). */
  runtimeClassName?: RuntimeClassName;
  /** Image reported by list() for a Sandbox without one. */
  image?: string;
  /** Default 120. */
  readyTimeoutSeconds?: number;
  /**
   * What get() of a codespace without a sandbox returns: 'default' (the
   * original's behaviour, the default) the 'default' codespace's sandbox;
   * 'none' null. Use 'none' where codespaces belong to different tenants.
   */
  codespaceFallback?: 'default' | 'none';
  skipTLSVerify?: boolean;
  client?: AgentSandboxClient<KubeConfigLike>;
}
export declare const SANDBOX_DEFAULTS: {
  readonly image: string;
  readonly memoryMb: 4096;
  readonly cpuCores: 2;
  readonly idleTimeoutMinutes: 30;
  readonly userHome: '/home/node';
};
/** 'none' iff the environment variable SANDBOX_DEFAULT_NETWORK_MODE is 'none'. */
export declare function getDefaultSandboxNetworkMode(): 'bridge' | 'none';

/** AgentPane's Kubernetes sandbox provider (EventEmittingSandboxProvider). */
export declare class AgentSandboxProvider {
  /** 'docker' for a DockerSandboxProvider. */
  readonly name: 'kubernetes' | 'docker';
  readonly client: AgentSandboxClient<KubeConfigLike>;
  readonly namespace: string;
  readonly enableWarmPool: boolean;
  readonly warmPoolSize: number;
  readonly runtimeClassName: RuntimeClassName;
  readonly image: string;
  readonly readyTimeoutSeconds: number;
  /** Every sandbox gets a deny-all NetworkPolicy (SANDBOX_DEFAULT_NETWORK_MODE=none when the provider was made). */
  readonly enforceNetworkIsolation: boolean;
  constructor(options?: AgentSandboxProviderOptions);
  /** `signal` aborts it: it removes what it made (Sandbox, claim, NetworkPolicy) and rejects with CANCELLED. */
  create(config: SandboxConfig, options?: { signal?: AbortSignal }): Promise<AgentSandboxInstance>;
  /** The codespace's sandbox (never another codespace's), else the 'default' codespace's, else null. */
  get(codespaceId: string): Promise<AgentSandboxInstance | null>;
  getById(sandboxId: string): Promise<AgentSandboxInstance | null>;
  /** Every labelled Sandbox with its real status; [] on error. */
  list(): Promise<SandboxInfo[]>;
  /** Adopts live labelled Sandboxes and removes stopped/failed ones; never throws. */
  recover(): Promise<RecoverResult>;
  validateSandboxes(): Promise<void>;
  cleanup(options?: { olderThan?: Date; status?: string[] }): Promise<number>;
  healthCheck(options?: { signal?: AbortSignal }): Promise<SandboxHealthCheck>;
  pullImage(image: string): Promise<void>;
  isImageAvailable(image: string): Promise<boolean>;
  assertNetworkIsolationSupport(): Promise<void>;
  initWarmPool(): Promise<void>;
  on(listener: SandboxProviderEventListener): () => void;
  off(listener: SandboxProviderEventListener): void;
}
export declare function createAgentSandboxProvider(options?: AgentSandboxProviderOptions): AgentSandboxProvider;

export interface DockerSandboxProviderOptions
  extends Pick<AgentSandboxProviderOptions, 'namespace' | 'image' | 'readyTimeoutSeconds' | 'codespaceFallback'> {
  /** `unix:///path` or `tcp://host:port`. Default: DOCKER_HOST, then /var/run/docker.sock, then the rootless sockets. */
  dockerHost?: string;
  /** `uid:gid` the containers run as. Default '1000:1000'. */
  user?: string;
  /** Most processes in a sandbox. Default 1024. */
  pidsLimit?: number;
  /** A read-only root filesystem (`/tmp` and the home stay writable). Default false. */
  readOnlyRootFilesystem?: boolean;
}
/**
 * The same provider on a Docker daemon: each sandbox is a container (memory
 * without swap, CPUs, pids, a non-root user, no capabilities, no new
 * privileges), found again by its labels; `namespace` scopes them.
 */
export declare class DockerSandboxProvider extends AgentSandboxProvider {
  readonly name: 'kubernetes' | 'docker';
  constructor(options?: DockerSandboxProviderOptions);
}
export interface CreateSandboxProviderOptions extends AgentSandboxProviderOptions, DockerSandboxProviderOptions {
  /**
   * 'auto' (default): the kubeconfig's cluster when it answers with the Agent
   * Sandbox CRDs installed and the namespace present, else a Docker daemon
   * that answers, else a
   * rejection with code NO_SANDBOX_BACKEND saying what was tried.
   */
  kind?: 'auto' | 'kubernetes' | 'docker';
}
export declare function createSandboxProvider(options?: CreateSandboxProviderOptions): Promise<AgentSandboxProvider>;
