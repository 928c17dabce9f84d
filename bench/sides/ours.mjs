// "ours": this package, as a consumer uses it (the Rust core through napi).
// Same wire version as the original (v1alpha1) unless `apiVersion` says
// otherwise ('v1beta1': the storage version, no conversion webhook). It asks
// for no compression (identity), so `compression` changes nothing here.
import * as sdk from '../../index.js';

export const name = 'ours';

export function open({ kubeconfig, namespace, apiVersion = 'v1alpha1' }) {
  const kubeConfig = sdk.loadKubeConfig({ kubeconfigPath: kubeconfig });
  const client = new sdk.AgentSandboxClient({ kubeConfig, namespace, apiVersion });
  const container = 'sandbox';
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
    exec: (sandboxName, command) => client.exec({ sandboxName, command, container }),
    execStream: (sandboxName, command) => client.execStream({ sandboxName, command, container }),
    waitForReady: (name, timeoutMs) => client.waitForReady(name, { timeoutMs }),
    sdk,
  };
}
