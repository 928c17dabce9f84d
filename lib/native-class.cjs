'use strict';
// What the native classes need from JS: the exported error classes on every
// method, AbortSignals turned into native CancelTokens (one per call that has
// a signal, cancelled on 'abort' or at once), and constructors whose JS-side
// arguments (a KubeConfig to load, a client to unwrap) are prepared first.

const { native } = require('./native.cjs');
const { AgentSandboxError, fromNative } = require('./errors.cjs');

const reasonOf = (signal) => (signal?.reason instanceof Error ? signal.reason.message : signal?.reason);

/** CANCELLED for an aborted call made in JS (the native calls make their own). */
function cancelledError(operation, signal, details = {}) {
  return new AgentSandboxError(`${operation} was aborted`, 'CANCELLED', undefined, { operation, reason: reasonOf(signal), ...details });
}

/** Runs `run(token)` with a token tied to `signal` (undefined without one); CANCELLED errors get the signal's reason. */
async function withCancelToken(signal, run) {
  if (!signal) return run(undefined);
  const token = new native.CancelToken();
  const onAbort = () => token.cancel();
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await run(token);
  } catch (err) {
    if (err?.code === 'CANCELLED' && err.details && err.details.reason === undefined) err.details.reason = reasonOf(signal);
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

// napi's own refusals of an argument (a string where a number goes, ...).
const NAPI_ARGUMENT_CODES = new Set(['InvalidArg', 'ObjectExpected', 'StringExpected', 'NameExpected', 'FunctionExpected', 'NumberExpected', 'BooleanExpected', 'ArrayExpected', 'BigintExpected', 'DateExpected']);

/** napi's refusal without the value it quotes (a token passed where a name goes, ...): the expected type only. */
function withoutValue(message) {
  const prefix = 'Failed to convert JavaScript value `';
  const at = message.lastIndexOf(' into rust type ');
  if (!message.startsWith(prefix) || at < 0) return message;
  return `an argument has the wrong type (expected ${message.slice(at + ' into rust type '.length)}); its value is not shown`;
}

/** A native failure as an exported error class; napi's argument refusals as INVALID_ARGUMENT. */
function toError(err, method) {
  // A TypeError from the native call itself is napi converting an argument.
  if (err && (NAPI_ARGUMENT_CODES.has(err.code) || (err instanceof TypeError && err.code === undefined))) {
    return new AgentSandboxError(`${method}(): ${withoutValue(String(err.message))}`, 'INVALID_ARGUMENT', 400, { reason: err.code });
  }
  const converted = fromNative(err);
  // Not one of ours: napi's own failure (a caught panic, …), still coded.
  if (converted?.code === 'GenericFailure' && !(converted instanceof AgentSandboxError)) return new AgentSandboxError(`${method}(): internal error: ${err.message}`, 'INTERNAL_ERROR', 500);
  return converted;
}

function replaceMethod(Class, name, make) {
  const descriptor = Object.getOwnPropertyDescriptor(Class.prototype, name);
  const wrapped = { [name]: make(descriptor.value) }[name];
  Object.defineProperty(Class.prototype, name, { ...descriptor, value: wrapped });
}

/** Every method throws and rejects the exported error classes; all but `sync` reject rather than throw. */
function withErrorClasses(Class, sync = new Set()) {
  for (const name of Object.getOwnPropertyNames(Class.prototype)) {
    const descriptor = Object.getOwnPropertyDescriptor(Class.prototype, name);
    if (name === 'constructor' || typeof descriptor.value !== 'function') continue;
    replaceMethod(Class, name, (method) => function (...args) {
      let result;
      try {
        result = method.apply(this, args);
      } catch (err) {
        if (sync.has(name)) throw toError(err, name);
        return Promise.reject(toError(err, name));
      }
      return result instanceof Promise ? result.catch((err) => Promise.reject(toError(err, name))) : result;
    });
  }
}

/**
 * `methods[name] = [at, tokenAt]`: `args[at]?.signal` becomes a native
 * CancelToken passed as `args[tokenAt]` (which may be the options' own place).
 */
function withAbortSignals(Class, methods) {
  for (const [name, [at, tokenAt]] of Object.entries(methods)) {
    replaceMethod(Class, name, (method) => function (...args) {
      const signal = args[at]?.signal;
      args.length = Math.max(args.length, tokenAt + 1);
      return withCancelToken(signal, (token) => {
        args[tokenAt] = token;
        return method.apply(this, args);
      });
    });
  }
}

/** A constructor that prepares the JS arguments, then converts the native errors of construction. */
function constructedBy(Class, toNativeArgs, after) {
  const proxy = new Proxy(Class, {
    construct(target, args, newTarget) {
      const prepared = toNativeArgs(...args);
      let object;
      try {
        object = Reflect.construct(target, prepared.args, newTarget === proxy ? target : newTarget);
      } catch (err) {
        throw toError(err, 'constructor');
      }
      after?.(object, prepared);
      return object;
    },
  });
  return proxy;
}

module.exports = { cancelledError, toError, withErrorClasses, withAbortSignals, constructedBy };
