'use strict';
// Watches: the original's callback shape (startWatch) and an async iterator,
// over the native resumable watch (which reconnects, resumes and relists on
// its own, and hands over events in batches).

const { CustomResourceCrud } = require('./crud.cjs');
const { fromNative } = require('./errors.cjs');

/** Reads one event at a time from the native watch's batches (JSON text); null at the end. */
function eventReader(nativeWatch) {
  let batch = [];
  let index = 0;
  return async () => {
    if (index < batch.length) return batch[index++];
    const text = await nativeWatch.nextBatch().catch((err) => Promise.reject(fromNative(err)));
    if (text === null) return null;
    [batch, index] = [JSON.parse(text), 1];
    return batch[0];
  };
}

/**
 * Calls `callback({type, object})` for every change of `crud`'s resource, in
 * order. `done` resolves after stop() (or when a timeoutSeconds watch ends)
 * and rejects on errors retrying cannot fix (401, 403, 404).
 */
function watchWith(crud, options, callback) {
  let stopped = false;
  let nativeWatch;
  const done = (async () => {
    nativeWatch = await crud.openWatch(options);
    if (stopped) return nativeWatch.stop();
    const next = eventReader(nativeWatch);
    for (let event; (event = await next()) !== null && !stopped; ) {
      try {
        callback(event);
      } catch (err) {
        console.error('[agent-sandbox-sdk] watch callback threw; continuing', err);
      }
    }
  })().catch((err) => {
    if (!stopped) throw err;
  });
  done.catch(() => {}); // never an unhandled rejection
  return {
    stop() {
      stopped = true;
      nativeWatch?.stop();
    },
    done,
  };
}

/** The original's startWatch(kc, config, options, callback); `namespace: ''` is cluster-wide. */
function startWatch(kc, config, options, callback, apiVersion) {
  return watchWith(new CustomResourceCrud(kc, config, { apiVersion }), options, callback);
}

/**
 * An async iterator of `{type, object}`: `break`, `return()` or `signal` stop
 * it and close the connection; errors retrying cannot fix are thrown from the loop.
 */
function watchEvents(crud, options = {}) {
  let nativeWatch;
  let finished = false;
  const stop = () => {
    finished = true;
    nativeWatch?.stop();
  };
  options.signal?.addEventListener('abort', stop, { once: true });
  let started;
  let next;
  const end = () => (stop(), { done: true, value: undefined });
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      if (finished) return end();
      started ??= crud.openWatch(options).then((w) => {
        [nativeWatch, next] = [w, eventReader(w)];
        if (finished) w.stop();
      });
      try {
        await started;
        const event = await next();
        return event === null || finished ? end() : { done: false, value: event };
      } catch (err) {
        if (finished) return end();
        stop();
        throw err;
      }
    },
    async return() {
      return end();
    },
  };
}

module.exports = { startWatch, watchWith, watchEvents };
