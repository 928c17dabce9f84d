// "ours": this package, as a consumer uses it (the Rust core through napi).
// Same wire version as the original (v1alpha1).
import * as sdk from '../../index.js';

export const name = 'ours';

export function open({ kubeconfig, namespace }) {
  const kubeConfig = sdk.loadKubeConfig({ kubeconfigPath: kubeconfig });
  const client = new sdk.AgentSandboxClient({ kubeConfig, namespace, apiVersion: 'v1alpha1' });
  const container = 'sandbox';
  return {
    create: (manifest) => client.createSandbox(manifest),
    get: (name) => client.getSandbox(name),
    remove: (name) => client.deleteSandbox(name),
    list: async (options = {}) =>
      (options.limit ? await client.sandboxes.list({ namespace, limit: options.limit }) : await client.listSandboxes()).items,
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
