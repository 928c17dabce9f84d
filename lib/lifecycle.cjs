'use strict';
// waitForReady, pause and resume (the original's functions, defects fixed).

const { native } = require('./native.cjs');
const { CRD_ANNOTATIONS } = require('./constants.cjs');
const { CustomResourceCrud } = require('./crud.cjs');
const { AgentSandboxError, TimeoutError } = require('./errors.cjs');
const { cancelledError } = require('./native-class.cjs');

/** Watched natively for this SDK's CRUD objects; others (test doubles) are polled every `pollIntervalMs`. */
function waitForReady(crud, options) {
  if (crud instanceof CustomResourceCrud) return crud.waitForReady(options);
  return pollForReady(crud, options);
}

/** The original's polling, deadline-bounded, judged by the core's readiness rule. */
async function pollForReady(crud, { name, namespace, timeoutMs = 120000, pollIntervalMs = 1000, signal }) {
  const deadline = Date.now() + timeoutMs;
  const bounded = (promise, ms) => {
    let timer;
    const expired = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(`waitForReady(${name})`, timeoutMs)), ms);
    });
    return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
  };
  for (;;) {
    if (signal?.aborted) throw cancelledError(`waitForReady(${name})`, signal);
    const sandbox = await bounded(crud.get(namespace, name), Math.max(0, deadline - Date.now()));
    const state = native.sandboxReadiness(JSON.stringify(sandbox ?? {}));
    if (state.state === 'ready') return sandbox;
    if (state.state === 'failed') throw new AgentSandboxError(state.message, 'SANDBOX_FAILED', 500, { name, namespace, reason: state.reason });
    await bounded(new Promise((resolve) => setTimeout(resolve, pollIntervalMs)), Math.max(0, deadline - Date.now()));
  }
}

/** Suspends the Sandbox (merge patch `spec.replicas: 0`, and the reason annotation if given). */
function pause(crud, namespace, name, reason) {
  const patch = { spec: { replicas: 0 } };
  if (reason) patch.metadata = { annotations: { [CRD_ANNOTATIONS.pauseReason]: reason } };
  return crud.patch(namespace, name, patch);
}

/** Resumes the Sandbox (`spec.replicas: 1`; the pause reason is set to ''). */
function resume(crud, namespace, name) {
  return crud.patch(namespace, name, { spec: { replicas: 1 }, metadata: { annotations: { [CRD_ANNOTATIONS.pauseReason]: '' } } });
}

module.exports = { waitForReady, pause, resume };
