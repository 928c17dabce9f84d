// AgentPane's use of KubeConfig objects (its /status, /contexts and
// /controller routes, and its client-node calls through client.kubeConfig),
// compiled with `tsc --strict` and run against the test cluster.
// Lines ending in `// client-node` need the optional peer
// @kubernetes/client-node: scripts/test-install.sh also compiles and runs
// this program without them in a project where client-node is not installed.
import { AgentSandboxClient, getClusterInfo, loadKubeConfig, resolveContext } from '@agentpane/agent-sandbox-sdk';
import type { LoadedKubeConfig } from '@agentpane/agent-sandbox-sdk';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node'; // client-node

const kubeconfigPath = process.env.AGENT_SANDBOX_TEST_KUBECONFIG;
if (!kubeconfigPath) throw new Error('set AGENT_SANDBOX_TEST_KUBECONFIG');

// GET /status
const kc: LoadedKubeConfig = loadKubeConfig({ kubeconfigPath, skipTLSVerify: false });
const context: string = resolveContext(kc);
const cluster = getClusterInfo(kc);
const server: string | undefined = kc.getCurrentCluster()?.server;
// GET /contexts
const contexts: string[] = kc.getContexts().map((c) => c.name);
const clusters = kc.clusters.map((c) => ({ name: c.name, server: c.server, skipTLSVerify: c.skipTLSVerify }));
kc.setCurrentContext(context);

// GET /controller
const client = new AgentSandboxClient({ kubeConfig: kc, namespace: 'default' });
const health = await client.healthCheck();
const sandboxes = (await client.listSandboxes()).items.length;

// client-node calls through the SDK's KubeConfig, and a client-node KubeConfig given to the SDK
const genuine: boolean = kc instanceof KubeConfig; // client-node
const core: CoreV1Api = client.kubeConfig.makeApiClient(CoreV1Api); // client-node
const namespace = await core.readNamespace({ name: 'default' }); // client-node
const own = new KubeConfig(); // client-node
own.loadFromString(kc.exportConfig()); // client-node
const viaOwn = (await new AgentSandboxClient({ kubeConfig: own, namespace: 'default' }).listSandboxes()).items.length; // client-node

console.log(
  JSON.stringify({
    context,
    cluster,
    server,
    contexts,
    clusters,
    crdRegistered: health.crdRegistered,
    sandboxes,
    genuine, // client-node
    namespace: namespace.metadata?.name, // client-node
    viaOwn, // client-node
  }),
);
