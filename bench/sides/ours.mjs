// "ours": this package, as a consumer uses it (the Rust core through napi).
// Same wire version as the original (v1alpha1) unless `apiVersion` says
// otherwise ('v1beta1': the storage version, no conversion webhook). At
// v1beta1 the Sandbox calls go through a CustomResourceCrud of v1beta1, so
// that objects come back as the server sends them, as client-node's do (the
// AgentSandboxClient's `apiVersion` is the wire version only: it still hands
// v1alpha1 objects to its caller, converting each one, which client-node's
// side does not do). It asks for no compression (identity), so
// `compression` changes nothing here.
import * as sdk from '../../index.js';

export const name = 'ours';

export function open({ kubeconfig, namespace, apiVersion = 'v1alpha1' }) {
  const kubeConfig = sdk.loadKubeConfig({ kubeconfigPath: kubeconfig });
  const client = new sdk.AgentSandboxClient({ kubeConfig, namespace, apiVersion });
  const container = 'sandbox';
  const direct = apiVersion === 'v1beta1' ? directCrud(kubeConfig, namespace) : null;
  return {
    ...clientOps(client, namespace),
    ...(direct ?? {}),
    exec: (sandboxName, command) => client.exec({ sandboxName, command, container }),
    execStream: (sandboxName, command) => client.execStream({ sandboxName, command, container }),
    waitForReady: (name, timeoutMs) => client.waitForReady(name, { timeoutMs }),
    sdk,
  };
}

/** The Sandbox calls at v1beta1 with no conversion anywhere. */
function directCrud(kubeConfig, namespace) {
  const crud = new sdk.CustomResourceCrud(kubeConfig, { group: 'agents.x-k8s.io', version: 'v1beta1', plural: 'sandboxes' });
  return {
    create: (manifest) => crud.create(namespace, { ...manifest, apiVersion: 'agents.x-k8s.io/v1beta1' }),
    get: (name) => crud.get(namespace, name),
    remove: (name) => crud.delete(namespace, name),
    list: async (options = {}) => (await crud.list({ namespace, limit: options.limit })).items,
    listPage: async ({ limit, continueToken }) => {
      const page = await crud.list({ namespace, limit, continueToken });
      return { items: page.items, continueToken: page.metadata?.continue || undefined };
    },
    watch(onEvent) {
      const w = sdk.startWatch(kubeConfig, { group: 'agents.x-k8s.io', version: 'v1beta1', plural: 'sandboxes' }, { namespace }, (ev) => onEvent(ev.type, ev.object));
      return { stop: () => (w.stop(), w.done.catch(() => {})), ended: w.done };
    },
  };
}

function clientOps(client, namespace) {
  return {
    create: (manifest) => client.createSandbox(manifest),
    get: (name) => client.getSandbox(name),
    remove: (name) => client.deleteSandbox(name),
    list: async (options = {}) =>
      (options.limit ? await client.sandboxes.list({ namespace, limit: options.limit }) : await client.listSandboxes()).items,
    /** One page: `{items, continueToken}` (limit and continue passed to the server). */
    listPage: async ({ limit, continueToken }) => {
      const page = await client.sandboxes.list({ namespace, limit, continueToken });
      return { items: page.items, continueToken: page.metadata?.continue || undefined };
    },
    /** `onEvent(type, object)` for every change; `stop()` resolves once stopped; `ended` settles when the watch ends. */
    watch(onEvent) {
      const w = client.watchSandboxes((ev) => onEvent(ev.type, ev.object), { namespace });
      return { stop: () => (w.stop(), w.done.catch(() => {})), ended: w.done };
    },
  };
}
