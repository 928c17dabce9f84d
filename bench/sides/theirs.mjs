// "theirs": the same operations written directly on @kubernetes/client-node
// the way the original SDK did them: CustomObjectsApi (v1alpha1) for CRUD,
// Watch for watches, Exec (WebSocket) for exec with the pod name read from
// the Sandbox first, and waitForReady as a GET every 1000 ms.
import { PassThrough, Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';

export const name = 'theirs';

const GROUP = 'agents.x-k8s.io';
const DEFAULT_VERSION = 'v1alpha1';
const PLURAL = 'sandboxes';
const POD_NAME_ANNOTATION = 'agents.x-k8s.io/pod-name';
const POLL_MS = 1000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function exitCodeOf(status) {
  if (status?.status === 'Success') return 0;
  const cause = status?.details?.causes?.find((c) => c.reason === 'ExitCode');
  return (cause && Number.parseInt(cause.message, 10)) || 1;
}

/**
 * `apiVersion`: the wire version (v1alpha1 as the original; v1beta1 is the
 * storage version). `compression`: 'shipped' (client-node's default: its
 * fetch, node-fetch 2, sends `Accept-Encoding: gzip,deflate` and the API
 * server gzips large responses) or 'identity' (a header middleware sends
 * `Accept-Encoding: identity` on list and get, as ours does).
 */
export function open({ kubeconfig, namespace, apiVersion = DEFAULT_VERSION, compression = 'shipped' }) {
  const VERSION = apiVersion;
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  const api = kc.makeApiClient(k8s.CustomObjectsApi);
  const ref = { group: GROUP, version: VERSION, namespace, plural: PLURAL };
  const reqOpts = compression === 'identity' ? k8s.setHeaderOptions('Accept-Encoding', 'identity') : undefined;
  const get = (name) => api.getNamespacedCustomObject({ ...ref, name }, reqOpts);

  // As the original: a fresh API client per lookup, annotation or the Sandbox name.
  async function podNameOf(sandboxName) {
    try {
      const sandbox = await kc.makeApiClient(k8s.CustomObjectsApi).getNamespacedCustomObject({ ...ref, name: sandboxName });
      return sandbox?.metadata?.annotations?.[POD_NAME_ANNOTATION] ?? sandboxName;
    } catch (err) {
      if (err?.code === 404) return sandboxName;
      throw err;
    }
  }

  return {
    create: (manifest) => api.createNamespacedCustomObject({ ...ref, body: manifest }),
    get,
    remove: (name) => api.deleteNamespacedCustomObject({ ...ref, name }),
    list: async (options = {}) => (await api.listNamespacedCustomObject({ ...ref, limit: options.limit }, reqOpts)).items,
    listPage: async ({ limit, continueToken }) => {
      const page = await api.listNamespacedCustomObject({ ...ref, limit, _continue: continueToken }, reqOpts);
      return { items: page.items, continueToken: page.metadata?.continue || undefined };
    },
    watch(onEvent) {
      const path = `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`;
      let controller;
      let end;
      const ended = new Promise((resolve, reject) => (end = (err) => (err ? reject(err) : resolve())));
      ended.catch(() => {});
      const started = new k8s.Watch(kc).watch(path, {}, (type, obj) => onEvent(type, obj), (err) => end(err));
      started.then((c) => (controller = c), (err) => end(err));
      return {
        stop: async () => {
          (controller ?? (await started.catch(() => undefined)))?.abort();
          await Promise.race([ended.catch(() => {}), sleep(2000)]);
        },
        ended,
      };
    },
    /** Buffered exec: output collected into strings by Writables. */
    async exec(sandboxName, command) {
      const pod = await podNameOf(sandboxName);
      return new Promise((resolve, reject) => {
        let stdout = '';
        let stderr = '';
        const out = new Writable({ write: (c, _e, cb) => ((stdout += c.toString()), cb()) });
        const err = new Writable({ write: (c, _e, cb) => ((stderr += c.toString()), cb()) });
        new k8s.Exec(kc)
          .exec(namespace, pod, 'sandbox', command, out, err, null, false, (status) =>
            resolve({ exitCode: exitCodeOf(status), stdout: stdout.trim(), stderr: stderr.trim() }),
          )
          .catch(reject);
      });
    },
    /** Streamed exec: PassThrough streams, wait() settles on the status frame, kill() closes the socket. */
    async execStream(sandboxName, command) {
      const pod = await podNameOf(sandboxName);
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let settle;
      const waitPromise = new Promise((resolve, reject) => (settle = { resolve, reject }));
      let ws;
      try {
        ws = await new k8s.Exec(kc).exec(namespace, pod, 'sandbox', command, stdout, stderr, null, false, (status) => {
          stdout.end();
          stderr.end();
          settle.resolve({ exitCode: exitCodeOf(status) });
        });
      } catch (e) {
        stdout.destroy();
        stderr.destroy();
        settle.reject(e);
      }
      return {
        stdout,
        stderr,
        wait: () => waitPromise,
        kill: () => {
          ws?.close();
          stdout.destroy();
          stderr.destroy();
        },
      };
    },
    async waitForReady(name, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const sandbox = await get(name);
        if (sandbox?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True') return sandbox;
        await sleep(POLL_MS);
      }
      throw new Error(`waitForReady(${name}) timed out after ${timeoutMs} ms`);
    },
  };
}
