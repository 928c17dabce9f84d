'use strict';
// Native streams pushed into JS in batches (a watch's events, an exec
// session's output; see src/js_push.rs): the native side calls
// `deliver(batch, error)` with a batch, or null at the end (with the coded
// error's text when it failed), and delivers again only as batches are taken
// (`grant()`), so a consumer that stops reading stops the socket reads too.
// Logs are still pulled: `nextBatch()` gives a batch or null at the end.

const { fromNative } = require('./errors.cjs');

/** A delivery's `error` (the coded native error's text) as an error, or undefined at a clean end. */
const deliveryFailure = (error) => (error == null ? undefined : fromNative(new Error(error)));

/**
 * The items of a pushed stream, in order. `open(deliver)` starts it and
 * returns its native handle. `break`, `return()` or `signal` stop it; a
 * failure is thrown as a coded error unless the signal already ended it.
 */
async function* pushedItems(open, signal, decode = (batch) => batch) {
  const queue = [];
  let ended = false;
  let failure;
  let wake;
  const deliver = (batch, error) => {
    if (ended) return; // on its way when the stream was stopped
    if (batch != null) queue.push(batch);
    else [ended, failure] = [true, deliveryFailure(error)];
    wake?.();
  };
  const stream = await open(deliver); // a coded error when it cannot open
  const stop = () => {
    stream.stop();
    ended = true;
    wake?.();
  };
  signal?.addEventListener('abort', stop, { once: true });
  try {
    for (;;) {
      if (signal?.aborted) return;
      if (queue.length === 0) {
        if (ended) break;
        await new Promise((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      const batch = queue.shift();
      stream.grant();
      for (const item of decode(batch)) {
        if (signal?.aborted) return;
        yield item;
      }
    }
    if (failure && !signal?.aborted) throw failure;
  } finally {
    stop();
    signal?.removeEventListener('abort', stop);
  }
}

/** The items of a pulled stream (`nextBatch()`, `stop()`), with the same stops as pushedItems. */
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

module.exports = { deliveryFailure, pulledBatches, pushedItems };
