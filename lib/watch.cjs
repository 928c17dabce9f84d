'use strict';
// Watches over the native resumable watch (which reconnects, resumes and
// relists on its own, and pushes events in batches): an async iterator, and
// the original's callback shape (startWatch).

const { CustomResourceCrud } = require('./crud.cjs');
const { pushedItems } = require('./batches.cjs');

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

/** The callback shape: `done` settles as the iterator ends; a callback that throws is logged and the watch goes on. */
function watchWith(crud, options, callback) {
  const stopped = new AbortController();
  const done = (async () => {
    for await (const event of watchEvents(crud, { ...options, signal: stopped.signal })) {
      try {
        callback(event);
      } catch (err) {
        console.error('[agent-sandbox-sdk] watch callback threw; continuing', err);
      }
    }
  })();
  done.catch(() => {}); // never an unhandled rejection
  return { stop: () => stopped.abort(), done };
}

/** The original's startWatch(kc, config, options, callback); `namespace: ''` is cluster-wide. */
const startWatch = (kc, config, options, callback, apiVersion) => watchWith(new CustomResourceCrud(kc, config, { apiVersion }), options, callback);

module.exports = { startWatch, watchWith, watchEvents };
