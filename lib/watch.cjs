'use strict';
// startWatch: the original's callback shape over the native resumable watch.

const { nativeClientFor } = require('./crud.cjs');
const { AgentSandboxError, fromNative, nativeFailure } = require('./errors.cjs');

function watchError(err) {
  const f = nativeFailure(err);
  if (!f) return fromNative(err);
  return new AgentSandboxError(`watch failed: ${f.message}`, 'K8S_API_ERROR', f.statusCode ?? undefined, {
    type: f.code,
    ...(f.details || {}),
  });
}

/** Opens the native watch for `config` in `options.namespace` ('' = cluster-wide). */
async function openNativeWatch(kc, config, options, apiVersion) {
  const client = await nativeClientFor(kc, apiVersion);
  return client.watch({ group: config.group, version: config.version, plural: config.plural }, options.namespace || '', {
    labelSelector: options.labelSelector || undefined,
    fieldSelector: options.fieldSelector || undefined,
    resourceVersion: options.resourceVersion || undefined,
    timeoutSeconds: options.timeoutSeconds || undefined,
  });
}

/** Reads one event at a time from the native watch's batches (JSON text); null at the end. */
function eventReader(nativeWatch) {
  let batch = [];
  let index = 0;
  return async () => {
    if (index < batch.length) return batch[index++];
    const text = await nativeWatch.nextBatch();
    if (text === null) return null;
    batch = JSON.parse(text);
    index = 1;
    return batch[0];
  };
}

/**
 * Watches a resource and calls `callback({type, object})` for every change,
 * in order. Without timeoutSeconds it reconnects, resumes and relists on its
 * own; `done` resolves after stop() (or when a timeoutSeconds watch ends) and
 * rejects on errors retrying cannot fix (401, 403, 404).
 */
function startWatch(kc, config, options, callback, apiVersion) {
  let stopped = false;
  let nativeWatch;
  const done = (async () => {
    nativeWatch = await openNativeWatch(kc, config, options, apiVersion);
    if (stopped) {
      nativeWatch.stop();
      return;
    }
    const next = eventReader(nativeWatch);
    for (;;) {
      let event;
      try {
        event = await next();
      } catch (err) {
        if (stopped) return;
        throw watchError(err);
      }
      if (event === null || stopped) return;
      try {
        callback(event);
      } catch (err) {
        console.error('[agent-sandbox-sdk] watch callback threw; continuing', err);
      }
    }
  })().catch((err) => {
    if (stopped) return;
    throw err instanceof AgentSandboxError ? err : watchError(err);
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

/**
 * An async iterator of `{type, object}`: `for await (const ev of watchEvents(...))`.
 * `break` (or `signal`) stops it; without timeoutSeconds it reconnects and
 * relists on its own; errors retrying cannot fix are thrown from the loop.
 */
function watchEvents(kc, config, options = {}, apiVersion) {
  let nativeWatch;
  let finished = false;
  const stop = () => {
    finished = true;
    nativeWatch?.stop();
  };
  options.signal?.addEventListener('abort', stop, { once: true });
  let nextEvent;
  const start = async () => {
    nativeWatch = await openNativeWatch(kc, config, options, apiVersion);
    nextEvent = eventReader(nativeWatch);
    if (finished) nativeWatch.stop();
  };
  let started;
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      if (finished) return { done: true, value: undefined };
      started ??= start();
      try {
        await started;
        const event = await nextEvent();
        if (event === null || finished) {
          stop();
          return { done: true, value: undefined };
        }
        return { done: false, value: event };
      } catch (err) {
        if (finished) return { done: true, value: undefined };
        stop();
        throw watchError(err);
      }
    },
    async return() {
      stop();
      return { done: true, value: undefined };
    },
  };
}

module.exports = { startWatch, watchEvents };
