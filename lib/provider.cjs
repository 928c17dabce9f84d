'use strict';
// AgentPane's provider side: the native AgentSandboxProvider and
// AgentSandboxInstance classes. Every rule (status, naming, defaults,
// validation, command assembly, lifecycle) is in the Rust core; this file
// adds only what must be JS: the exported error classes on every method,
// Node streams for execStream, listener callbacks, and the default client.

const { native } = require('./native.cjs');
const { AgentSandboxClient } = require('./client.cjs');
const { AgentSandboxError, fromNative, fromFailure } = require('./errors.cjs');
const { nativeHandleFor } = require('./crud.cjs');
const { streamSession } = require('./exec.cjs');
const { withCancelToken } = require('./cancel.cjs');

const SANDBOX_DEFAULTS = Object.freeze(native.sandboxDefaults());

/** 'none' only when SANDBOX_DEFAULT_NETWORK_MODE is 'none'. */
const getDefaultSandboxNetworkMode = () => native.defaultSandboxNetworkMode(process.env.SANDBOX_DEFAULT_NETWORK_MODE);

/** AgentPane's status of a Sandbox object: 'idle' | 'creating' | 'running' | 'stopped' | 'error'. */
const mapConditionsToStatus = (sandbox) => native.sandboxStatus(JSON.stringify(sandbox ?? {}));

/** The native connection of one of our clients; undefined for anything else (the class refuses it). */
const handleOf = (client) => (client instanceof AgentSandboxClient ? nativeHandleFor(client.kubeConfig, client.apiVersion) : undefined);

// napi's own refusals of an argument (a string where a number goes, ...).
const NAPI_ARGUMENT_CODES = new Set(['InvalidArg', 'ObjectExpected', 'StringExpected', 'NameExpected', 'FunctionExpected', 'NumberExpected', 'BooleanExpected', 'ArrayExpected', 'BigintExpected', 'DateExpected']);

/** A native failure as an exported error class; napi's argument refusals as INVALID_ARGUMENT. */
function toError(err, method) {
  // A TypeError from the native call itself is napi converting an argument.
  if (err && (NAPI_ARGUMENT_CODES.has(err.code) || (err instanceof TypeError && err.code === undefined))) {
    return new AgentSandboxError(`${method}(): ${err.message}`, 'INVALID_ARGUMENT', 400, { reason: err.code });
  }
  return fromNative(err);
}

/**
 * Every native method throws and rejects the exported error classes; the
 * asynchronous ones (all but `sync`) reject rather than throw.
 */
function withErrorClasses(Class, sync = new Set()) {
  for (const name of Object.getOwnPropertyNames(Class.prototype)) {
    const descriptor = Object.getOwnPropertyDescriptor(Class.prototype, name);
    if (name === 'constructor' || typeof descriptor.value !== 'function') continue;
    const method = descriptor.value;
    const wrapped = {
      [name](...args) {
        let result;
        try {
          result = method.apply(this, args);
        } catch (err) {
          if (sync.has(name)) throw toError(err, name);
          return Promise.reject(toError(err, name));
        }
        return result instanceof Promise ? result.catch((err) => Promise.reject(toError(err, name))) : result;
      },
    }[name];
    Object.defineProperty(Class.prototype, name, { ...descriptor, value: wrapped });
  }
}

/**
 * `methods[name]` is the index of the `{ signal }` options argument: the
 * signal becomes a native CancelToken cancelled on 'abort'.
 */
function withAbortSignals(Class, methods) {
  for (const [name, at] of Object.entries(methods)) {
    const method = Class.prototype[name];
    const wrapped = {
      [name](...args) {
        const signal = args[at]?.signal;
        args.length = Math.max(args.length, at + 1);
        return withCancelToken(signal, name, (token) => {
          args[at] = token;
          return method.apply(this, args);
        });
      },
    }[name];
    Object.defineProperty(Class.prototype, name, { value: wrapped, writable: true, configurable: true });
  }
}

/** A constructor that converts the JS arguments and the native errors of construction. */
function constructedBy(Class, toNativeArgs, after) {
  const proxy = new Proxy(Class, {
    construct(target, args, newTarget) {
      const nativeArgs = toNativeArgs(...args);
      let object;
      try {
        object = Reflect.construct(target, nativeArgs.args, newTarget === proxy ? target : newTarget);
      } catch (err) {
        throw toError(err, 'constructor');
      }
      after?.(object, nativeArgs);
      return object;
    },
  });
  return proxy;
}

// ── events ──────────────────────────────────────────────────────────────
const listenersOf = new WeakMap();

/** The core's event (JSON) as AgentPane's: `idleSince` a Date, `error` an error instance. */
function toEvent({ idleSinceMs, error, ...event }) {
  if (idleSinceMs !== undefined) event.idleSince = new Date(idleSinceMs);
  if (error !== undefined) event.error = fromFailure(error);
  return event;
}

/** Delivery from the core: to each listener in turn; a listener's error is logged and swallowed. */
function deliverTo(listeners) {
  return (raw) => {
    if (raw === null) return; // a flush marker: everything before it was delivered
    const event = toEvent(raw);
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (err) {
        console.warn(`[agent-sandbox-sdk] a sandbox event listener threw on ${event.type}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  };
}

Object.assign(native.AgentSandboxProvider.prototype, {
  /** Registers a listener (once); returns the function that unregisters it. */
  on(listener) {
    if (typeof listener !== 'function') {
      throw new AgentSandboxError('on(): the listener must be a function', 'INVALID_ARGUMENT', 400);
    }
    listenersOf.get(this)?.add(listener);
    return () => this.off(listener);
  },
  off(listener) {
    listenersOf.get(this)?.delete(listener);
  },
});

// ── instance: Node streams ────────────────────────────────────────────────
/**
 * Streams an agent command: `{stdout, stderr, wait, kill}` with Node streams.
 * `cwd`, `env` and the command reach the program as argv (the core assembles
 * it); `killSignal` (opt-in) makes kill() also signal the command's process
 * group; `signal` and `timeoutMs` end it.
 */
native.AgentSandboxInstance.prototype.execStream = async function execStream(options) {
  const { cmd, args, env, cwd, stdin, tty, killSignal, signal, timeoutMs } = options ?? {};
  const session = await this.openExecStream({ cmd, args, env, cwd, stdin: Boolean(stdin), tty: Boolean(tty), killSignal }, { signal });
  const s = streamSession(session, { command: cmd, stdin, signal, timeoutMs });
  return { stdout: s.stdout, stderr: s.stderr, wait: s.wait, kill: async () => s.kill(), resize: s.resize };
};

withAbortSignals(native.AgentSandboxProvider, { create: 1, healthCheck: 0 });
withAbortSignals(native.AgentSandboxInstance, { exec: 2, execAsRoot: 2, openExecStream: 1 });
withErrorClasses(native.AgentSandboxProvider, new Set(['on', 'off']));
withErrorClasses(native.AgentSandboxInstance, new Set(['touch', 'getLastActivity']));

const AgentSandboxProvider = constructedBy(
  native.AgentSandboxProvider,
  (options = {}) => {
    const client =
      options?.client ??
      new AgentSandboxClient({
        namespace: options?.namespace,
        kubeconfigPath: options?.kubeConfigPath,
        context: options?.kubeContext,
        skipTLSVerify: options?.skipTLSVerify ?? false,
      });
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

function createAgentSandboxProvider(options) {
  return new AgentSandboxProvider(options);
}

module.exports = {
  AgentSandboxProvider,
  AgentSandboxInstance,
  createAgentSandboxProvider,
  SANDBOX_DEFAULTS,
  getDefaultSandboxNetworkMode,
  mapConditionsToStatus,
};
