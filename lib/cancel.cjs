'use strict';
// AbortSignal → native CancelToken: one per call that has a signal,
// cancelled on 'abort' (or at once if it already was). The native call then
// rejects with CANCELLED.

const { native } = require('./native.cjs');
const { AgentSandboxError } = require('./errors.cjs');

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

module.exports = { cancelledError, withCancelToken };
