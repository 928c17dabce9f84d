'use strict';
// AbortSignal → native CancelToken: one per call that has a signal,
// cancelled on 'abort'. The native call then rejects with CANCELLED.

const { native } = require('./native.cjs');
const { AgentSandboxError } = require('./errors.cjs');

/** CANCELLED for an aborted call: `<operation> was aborted`, the signal's reason and `details` in details. */
function cancelledError(operation, signal, details = {}) {
  const reason = signal?.reason instanceof Error ? signal.reason.message : signal?.reason;
  return new AgentSandboxError(`${operation} was aborted`, 'CANCELLED', undefined, { operation, reason, ...details });
}

/** Runs `run(token)` with a token tied to `signal` (undefined without one). */
async function withCancelToken(signal, operation, run) {
  if (!signal) return run(undefined);
  if (signal.aborted) throw cancelledError(operation, signal);
  const token = new native.CancelToken();
  const onAbort = () => token.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await run(token);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

module.exports = { cancelledError, withCancelToken };
