'use strict';
// applyBunCompat: under Bun, @kubernetes/client-node's fetch-based HTTP layer
// drops the TLS settings of its https.Agent (Bun's fetch takes them from a
// `tls` option instead), so client-node calls made through
// KubeConfig.makeApiClient fail against clusters with a private CA or client
// certificates. This SDK's own calls do not go through client-node; the patch
// only keeps that consumer path working. Elsewhere it does nothing.

let applied = false;

/** The agent's TLS settings in the shape of Bun's `fetch(url, { tls })`. */
function agentTls(agent) {
  const o = agent?.options || agent || {};
  const tls = Object.fromEntries(['cert', 'key', 'ca', 'rejectUnauthorized'].filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
  return Object.keys(tls).length > 0 ? tls : undefined;
}

function applyBunCompat() {
  if (typeof globalThis.Bun === 'undefined' || applied) return;
  applied = true;
  let fetchLib, http, rxjs;
  try {
    fetchLib = require('@kubernetes/client-node/dist/gen/http/isomorphic-fetch.js');
    http = require('@kubernetes/client-node/dist/gen/http/http.js');
    rxjs = require('@kubernetes/client-node/dist/gen/rxjsStub.js');
  } catch {
    return; // client-node is not installed: nothing to patch
  }
  try {
    fetchLib.IsomorphicFetchHttpLibrary.prototype.send = function send(request) {
      const init = { method: request.getHttpMethod().toString(), body: request.getBody(), headers: request.getHeaders(), signal: request.getSignal?.() };
      const tls = agentTls(request.getAgent?.());
      if (tls) init.tls = tls;
      const result = fetch(request.getUrl(), init).then((resp) => {
        const headers = Object.fromEntries(resp.headers.entries());
        const body = { text: () => resp.text(), binary: async () => Buffer.from(await resp.arrayBuffer()) };
        return new http.ResponseContext(resp.status, headers, body);
      });
      return rxjs.from(result);
    };
  } catch {
    console.warn('[agent-sandbox-sdk] Failed to apply Bun compatibility patch for @kubernetes/client-node.');
  }
}

module.exports = { applyBunCompat };
