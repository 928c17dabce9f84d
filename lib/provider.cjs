'use strict';
// AgentPane's provider side: the native AgentSandboxProvider and
// AgentSandboxInstance, every rule in the Rust core. Here only what must be
// JS: error classes, Node streams for execStream, listeners, the default client.

const { native } = require('./native.cjs');
const { AgentSandboxClient } = require('./client.cjs');
const { AgentSandboxError, fromFailure, fromNative } = require('./errors.cjs');
const { nativeClientFor } = require('./crud.cjs');
const { streamSession } = require('./exec.cjs');
const { forwardPort } = require('./port-forward.cjs');
const { logLines, logReadable } = require('./logs.cjs');
const { constructedBy, withAbortSignals, withErrorClasses } = require('./native-class.cjs');

const SANDBOX_DEFAULTS = Object.freeze(native.sandboxDefaults());

/** 'none' only when SANDBOX_DEFAULT_NETWORK_MODE is 'none'. */
const getDefaultSandboxNetworkMode = () => native.defaultSandboxNetworkMode(process.env.SANDBOX_DEFAULT_NETWORK_MODE);

/** AgentPane's status of a Sandbox object: 'idle' | 'creating' | 'running' | 'stopped' | 'error'. */
const mapConditionsToStatus = (sandbox) => native.sandboxStatus(JSON.stringify(sandbox ?? {}));

/** The native connection of one of our clients; undefined for anything else (the class refuses it). */
const handleOf = (client) => (client instanceof AgentSandboxClient ? nativeClientFor(client.kubeConfig, client.apiVersion) : undefined);

// ── events: listeners live here, the core delivers to them ───────────────
const listenersOf = new WeakMap();

/** Delivery from the core: `idleSince` a Date, `error` an error instance; a listener's error is logged and swallowed. */
const deliverTo = (listeners) => (raw) => {
  if (raw === null) return; // a flush marker: everything before it was delivered
  const { idleSinceMs, error, ...event } = raw;
  if (idleSinceMs !== undefined) event.idleSince = new Date(idleSinceMs);
  if (error !== undefined) event.error = fromFailure(error);
  for (const listener of [...listeners]) {
    try {
      listener(event);
    } catch (err) {
      console.warn(`[agent-sandbox-sdk] a sandbox event listener threw on ${event.type}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
};

Object.assign(native.AgentSandboxProvider.prototype, {
  /** Registers a listener (once); returns the function that unregisters it. */
  on(listener) {
    if (typeof listener !== 'function') throw new AgentSandboxError('on(): the listener must be a function', 'INVALID_ARGUMENT', 400);
    listenersOf.get(this)?.add(listener);
    return () => this.off(listener);
  },
  off(listener) {
    listenersOf.get(this)?.delete(listener);
  },
});

// ── instance: Node streams over the native session (`cwd`, `env` and the
// command reach the program as argv; `killSignal` opt-in signals its group) ──
native.AgentSandboxInstance.prototype.execStream = async function execStream(options) {
  const { cmd, args, env, cwd, stdin, tty, killSignal, signal, timeoutMs } = options ?? {};
  const session = await this.openExecStream({ cmd, args, env, cwd, stdin: Boolean(stdin), tty: Boolean(tty), killSignal, timeoutMs }, { signal });
  const s = streamSession(session, { command: cmd, stdin, signal });
  return { stdout: s.stdout, stderr: s.stderr, wait: s.wait, kill: async () => s.kill(), resize: s.resize };
};

// ── ports and logs: the core relays and reads; here the Node shapes ──
Object.assign(native.AgentSandboxInstance.prototype, {
  /** A listener on 127.0.0.1 whose connections reach `remotePort` inside the sandbox. */
  forwardPort(remotePort, options) {
    return forwardPort(this, remotePort, options);
  },
  /** The sandbox's log as an async iterator of lines. */
  logs(options) {
    return logLines(this, options);
  },
  /** The sandbox's log as a Node Readable of text. */
  logStream(options) {
    return logReadable(this, options);
  },
});

withErrorClasses(native.AgentSandboxProvider, new Set(['on', 'off']));
withErrorClasses(native.AgentSandboxInstance, new Set(['touch', 'getLastActivity', 'logs', 'logStream']));
withAbortSignals(native.AgentSandboxProvider, { create: [1, 1], healthCheck: [0, 0] });
withAbortSignals(native.AgentSandboxInstance, { exec: [2, 2], execAsRoot: [2, 2], openExecStream: [1, 1], openPortForward: [2, 2], openLogs: [1, 1] });

const AgentSandboxProvider = constructedBy(
  native.AgentSandboxProvider,
  (options = {}) => {
    const client = options?.client ?? new AgentSandboxClient({ namespace: options?.namespace, kubeconfigPath: options?.kubeConfigPath, context: options?.kubeContext, skipTLSVerify: options?.skipTLSVerify ?? false });
    const listeners = new Set();
    return { client, listeners, args: [options ?? {}, handleOf(client), deliverTo(listeners), process.env.SANDBOX_DEFAULT_NETWORK_MODE] };
  },
  (provider, { client, listeners }) => {
    listenersOf.set(provider, listeners);
    Object.defineProperty(provider, 'client', { value: client, enumerable: true });
  },
);

const AgentSandboxInstance = constructedBy(
  native.AgentSandboxInstance,
  (id, sandboxName, codespaceId, namespace, client, idleTimeoutMinutes) => ({
    args: [id, sandboxName, codespaceId, namespace ?? client?.namespace, handleOf(client), idleTimeoutMinutes ?? undefined],
  }),
);

const createAgentSandboxProvider = (options) => new AgentSandboxProvider(options);

/** The same provider on a Docker daemon: its sandboxes are containers (`namespace` scopes them by label). */
const DockerSandboxProvider = constructedBy(
  native.AgentSandboxProvider,
  (options = {}) => {
    const listeners = new Set();
    const { dockerHost, user, pidsLimit, readOnlyRootFilesystem } = options ?? {};
    const docker = { host: dockerHost, user, pidsLimit, readOnlyRootFilesystem };
    return { listeners, args: [options ?? {}, undefined, deliverTo(listeners), process.env.SANDBOX_DEFAULT_NETWORK_MODE, docker] };
  },
  (provider, { listeners }) => listenersOf.set(provider, listeners),
);

/** A client from the options, or why none can be made (a KubeConfigError's message, which never quotes the file). */
const clientFrom = (options) => {
  if (options?.client) return { client: options.client };
  try {
    return { client: new AgentSandboxClient({ namespace: options?.namespace, kubeconfigPath: options?.kubeConfigPath, context: options?.kubeContext, skipTLSVerify: options?.skipTLSVerify ?? false }) };
  } catch (err) {
    return { problem: err instanceof AgentSandboxError ? err.message : 'the kubeconfig could not be loaded' };
  }
};

/**
 * A provider of the given `kind`; 'auto' (the default) takes the kubeconfig's
 * cluster when it answers with the Agent Sandbox CRDs and the namespace, else a Docker
 * daemon that answers, else rejects with NO_SANDBOX_BACKEND (the core decides).
 */
async function createSandboxProvider(options = {}) {
  const { client, problem } = options?.kind === 'docker' ? {} : clientFrom(options);
  const kind = await native.chooseSandboxBackend(options?.kind, handleOf(client), options?.namespace, options?.dockerHost, problem).catch((err) => {
    throw fromNative(err);
  });
  return kind === 'docker' ? new DockerSandboxProvider(options) : new AgentSandboxProvider({ ...options, client });
}

module.exports = {
  AgentSandboxProvider, AgentSandboxInstance, DockerSandboxProvider, createAgentSandboxProvider, createSandboxProvider,
  SANDBOX_DEFAULTS, getDefaultSandboxNetworkMode, mapConditionsToStatus,
};
