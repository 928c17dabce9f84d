'use strict';
// CustomResourceCrud and NativeClient are native (src/js_crud.rs,
// src/js_client.rs); here they get the exported error classes and
// AbortSignals (`options.signal`: reads are dropped, an aborted create
// deletes what it made, other writes are aborted only before they are sent).

const { native } = require('./native.cjs');
const { toError, withAbortSignals, withErrorClasses } = require('./native-class.cjs');

const { CustomResourceCrud, NativeClient } = native;

withErrorClasses(CustomResourceCrud);
withAbortSignals(CustomResourceCrud, {
  create: [2, 3], get: [2, 3], list: [0, 1], update: [3, 4], replaceLatest: [3, 4], patch: [3, 4],
  apply: [2, 3], delete: [2, 3], exists: [2, 3], getScale: [2, 3], setScale: [3, 4], waitForReady: [0, 1],
});
withErrorClasses(NativeClient);
withAbortSignals(NativeClient, { exec: [1, 2], startExec: [1, 2] });

/** The native client (one connection per configuration) of a KubeConfig, read now. */
function nativeClientFor(kc, apiVersion) {
  try {
    return native.nativeClientFor(kc, apiVersion || undefined);
  } catch (err) {
    throw toError(err, 'nativeClientFor');
  }
}

module.exports = { CustomResourceCrud, nativeClientFor };
