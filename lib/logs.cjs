'use strict';
// instance.logs(): the native log stream (lines cut and bounded in the core)
// as an async iterator of lines, and as a Node Readable of text.

const { Readable } = require('node:stream');
const { native } = require('./native.cjs');
const { withErrorClasses } = require('./native-class.cjs');
const { pulledBatches } = require('./batches.cjs');

withErrorClasses(native.NativeLogStream, new Set(['stop']));

/**
 * The sandbox's log as lines (without their line ends). `break`, `return()`
 * or `signal` end it and close its connection; failures are thrown as coded errors.
 */
async function* logLines(instance, options = {}) {
  const { signal, follow, sinceSeconds, tailLines, timestamps, container } = options ?? {};
  if (signal?.aborted) return;
  const stream = await instance.openLogs({ follow, sinceSeconds, tailLines, timestamps, container }, { signal });
  yield* pulledBatches(stream, signal);
}

/** The same lines as a Readable of text, each ending in '\n'; destroying it closes the connection. */
function logReadable(instance, options) {
  const lines = logLines(instance, options);
  return Readable.from(
    (async function* text() {
      for await (const line of lines) yield `${line}\n`;
    })(),
    { objectMode: false, encoding: 'utf8' },
  );
}

module.exports = { logLines, logReadable };
