'use strict';
// setLogger: the core's log records (watch reconnects, relists, backoff,
// provider events, warnings) as structured objects. No secret is in them:
// only this package's records are sent, and secret-looking fields are redacted.

const { native } = require('./native.cjs');
const { AgentSandboxError, fromNative } = require('./errors.cjs');

/** The default: warnings and errors to console.warn, as a Node library does. */
const consoleWarn = ({ message, fields }) => console.warn(`[agent-sandbox-sdk] ${message}${Object.keys(fields).length ? ` ${JSON.stringify(fields)}` : ''}`);

/**
 * @param logger `(record) => void`; `null` silences the SDK; left out, the
 *   default comes back (warnings and errors to console.warn). A logger that throws is ignored.
 * @param options.level 'error' | 'warn' | 'info' (default) | 'debug' | 'trace'
 */
function setLogger(logger, options = {}) {
  if (logger === undefined) return setLogger(consoleWarn, { level: 'warn' });
  if (logger !== null && typeof logger !== 'function') throw new AgentSandboxError('setLogger(): the logger must be a function, null, or left out', 'INVALID_ARGUMENT', 400);
  const deliver = logger && ((record) => { try { logger(record); } catch { /* the host's logger failing must not break the SDK */ } });
  try {
    native.setLogger(deliver, options.level);
  } catch (err) {
    throw fromNative(err);
  }
}

setLogger();

module.exports = { setLogger };
