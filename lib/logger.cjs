'use strict';
// setLogger: the core's log records (watch reconnects, relists, backoff,
// provider events, warnings) as structured objects. No secret is in them:
// only this package's records are sent, and secret-looking fields are redacted.

const { native } = require('./native.cjs');
const { AgentSandboxError, fromNative } = require('./errors.cjs');

/**
 * @param logger `(record) => void`, or null for silence (the default, before any
 *   call, sends warnings and errors to console.warn); a logger that throws is ignored
 * @param options.level 'error' | 'warn' | 'info' (default) | 'debug' | 'trace'
 */
function setLogger(logger, options = {}) {
  if (logger !== null && logger !== undefined && typeof logger !== 'function') {
    throw new AgentSandboxError('setLogger(): the logger must be a function or null', 'INVALID_ARGUMENT', 400);
  }
  const deliver = logger
    ? (record) => {
        try {
          logger(record);
        } catch {
          // the host's logger failing must not break the SDK
        }
      }
    : null;
  try {
    native.setLogger(deliver, options.level);
  } catch (err) {
    throw fromNative(err);
  }
}

/** Until setLogger() is called: warnings and errors to console.warn, as a Node library does. */
function consoleWarn(record) {
  const fields = Object.keys(record.fields).length ? ` ${JSON.stringify(record.fields)}` : '';
  console.warn(`[agent-sandbox-sdk] ${record.message}${fields}`);
}
setLogger(consoleWarn, { level: 'warn' });

module.exports = { setLogger };
