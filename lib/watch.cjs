'use strict';
// Watches over the native resumable watch (which reconnects, resumes and
// relists on its own, and pushes events in batches): an async iterator, and
// the original's callback shape (startWatch).

const { CustomResourceCrud } = require('./crud.cjs');
const { deliveryFailure, pushedItems } = require('./batches.cjs');

/**
 * `{type, object}` for every change of `crud`'s resource, in order. `break`,
 * `return()` or `options.signal` stop it and close the connection; errors
 * retrying cannot fix (401, 403, 404) are thrown from the loop.
 */
async function* watchEvents(crud, options = {}) {
  const { signal } = options;
  if (signal?.aborted) return;
  yield* pushedItems((deliver) => crud.openWatch(options, deliver), signal, JSON.parse);
}

/**
 * The callback shape: events go to `callback` straight from the native
 * delivery (no async iterator in between: a generator step per event cost
 * more than the event). `done` settles when the watch ends (rejects with a
 * coded error when it fails); `stop()` ends it. A callback that throws is
 * logged and the watch goes on.
 */
function watchWith(crud, options, callback) {
  let stream;
  let ended = false;
  let settle;
  const done = new Promise((resolve, reject) => (settle = { resolve, reject }));
  done.catch(() => {}); // never an unhandled rejection
  const end = (err) => {
    if (ended) return;
    ended = true;
    stream?.stop();
    options.signal?.removeEventListener('abort', stop);
    if (err) settle.reject(err);
    else settle.resolve();
  };
  const stop = () => end();
  const deliver = (batch, error) => {
    if (ended) return; // on its way when the watch was stopped
    if (batch == null) return end(deliveryFailure(error));
    for (const event of JSON.parse(batch)) {
      if (ended) return;
      try {
        callback(event);
      } catch (err) {
        console.error('[agent-sandbox-sdk] watch callback threw; continuing', err);
      }
    }
    stream.grant();
  };
  if (options.signal?.aborted) end();
  else {
    options.signal?.addEventListener('abort', stop, { once: true });
    Promise.resolve(crud.openWatch(options, deliver)).then(
      (opened) => (ended ? opened.stop() : (stream = opened)),
      (err) => end(err),
    );
  }
  return { stop, done };
}

/** The original's startWatch(kc, config, options, callback); `namespace: ''` is cluster-wide. */
const startWatch = (kc, config, options, callback, apiVersion) => watchWith(new CustomResourceCrud(kc, config, { apiVersion }), options, callback);

module.exports = { startWatch, watchWith, watchEvents };
