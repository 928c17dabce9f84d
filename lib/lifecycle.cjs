'use strict';
// waitForReady, pause and resume (the original's functions, defects fixed).

const { native } = require('./native.cjs');
const { AgentSandboxError, NotFoundError, TimeoutError, nativeFailure } = require('./errors.cjs');
const { cancelledError } = require('./cancel.cjs');

const PAUSE_REASON = 'agents.x-k8s.io/pause-reason';

// Ready=False reasons after which waiting is pointless (the core's list).

const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });

/**
 * Resolves with the Sandbox once its Ready condition is True, as soon as a
 * watch reports it. A terminal reason rejects with code SANDBOX_FAILED; the
 * deadline (default 120 s) rejects with TimeoutError exactly; an AbortSignal
 * rejects with CANCELLED. `pollIntervalMs` only matters for CRUD objects that
 * are not this SDK's (they are polled).
 */
async function waitForReady(crud, options) {
  const { CustomResourceCrud, nativeClientFor, wrapApiError } = require('./crud.cjs');
  if (!(crud instanceof CustomResourceCrud)) return pollForReady(crud, options);
  const { name, namespace } = options;
  const timeoutMs = options.timeoutMs ?? 120000;
  const signal = options.signal;
  if (signal?.aborted) throw abortError(signal, name);
  const client = await nativeClientFor(crud.kc, crud.apiVersion);
  const task = await client.startWaitForReady(crud.ref, namespace, name, Math.min(Math.max(0, timeoutMs), 0xffffffff));
  const onAbort = () => task.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await task.result();
  } catch (err) {
    const f = nativeFailure(err);
    switch (f?.code) {
      case 'TIMEOUT':
        throw new TimeoutError(`waitForReady(${name})`, timeoutMs);
      case 'SANDBOX_FAILED':
        throw new AgentSandboxError(f.message, 'SANDBOX_FAILED', 500, { name, namespace, reason: f.details?.reason });
      case 'CANCELLED':
        throw abortError(signal, name);
      case 'NOT_FOUND':
        throw new NotFoundError(crud.config.plural, name, namespace);
      default:
        throw wrapApiError('get', err);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** The original's polling, deadline-bounded (for duck-typed CRUD objects). */
async function pollForReady(crud, options) {
  const { name, namespace } = options;
  const timeoutMs = options.timeoutMs ?? 120000;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const signal = options.signal;
  const deadline = Date.now() + timeoutMs;
  const timeout = () => new TimeoutError(`waitForReady(${name})`, timeoutMs);

  for (;;) {
    if (signal?.aborted) throw abortError(signal, name);
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw timeout();
    let timer;
    const expired = new Promise((_, reject) => {
      timer = setTimeout(() => reject(timeout()), remaining);
    });
    let sandbox;
    try {
      sandbox = await Promise.race([crud.get(namespace, name), expired]);
    } finally {
      clearTimeout(timer);
    }
    const state = native.sandboxReadiness(JSON.stringify(sandbox ?? {}));
    if (state.state === 'ready') return sandbox;
    if (state.state === 'failed') {
      throw new AgentSandboxError(state.message, 'SANDBOX_FAILED', 500, { name, namespace, reason: state.reason });
    }
    const left = deadline - Date.now();
    if (left <= 0) throw timeout();
    await sleep(Math.min(pollIntervalMs, left), signal);
  }
}

const abortError = (signal, name) => cancelledError(`waitForReady(${name})`, signal);

/** Suspends the Sandbox (merge patch `spec.replicas: 0`, and the reason annotation if given). */
function pause(crud, namespace, name, reason) {
  const patch = { spec: { replicas: 0 } };
  if (reason) patch.metadata = { annotations: { [PAUSE_REASON]: reason } };
  return crud.patch(namespace, name, patch);
}

/** Resumes the Sandbox (`spec.replicas: 1`; the pause reason is set to ''). */
function resume(crud, namespace, name) {
  return crud.patch(namespace, name, { spec: { replicas: 1 }, metadata: { annotations: { [PAUSE_REASON]: '' } } });
}

module.exports = { waitForReady, pause, resume };
