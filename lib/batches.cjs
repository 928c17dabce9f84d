'use strict';
// Native streams pulled from JS in batches (a watch's events, a log's
// lines): `nextBatch()` gives an array (or text to decode) or null at the
// end, `stop()` ends the stream and closes its connection.

const { fromNative } = require('./errors.cjs');

/**
 * The items of `stream`, in order. `break`, `return()` or `signal` stop it;
 * a failure is thrown as a coded error unless the signal already ended it.
 */
async function* pulledBatches(stream, signal, decode = (batch) => batch) {
  const stop = () => stream.stop();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    if (signal?.aborted) return; // aborted while the stream was opening
    for (let batch; (batch = await stream.nextBatch()) !== null; ) {
      for (const item of decode(batch)) {
        if (signal?.aborted) return;
        yield item;
      }
    }
  } catch (err) {
    if (!signal?.aborted) throw fromNative(err);
  } finally {
    stop();
    signal?.removeEventListener('abort', stop);
  }
}

module.exports = { pulledBatches };
