'use strict';
// Every runtime export of the package. No cluster I/O happens at import.

const { applyBunCompat } = require('./bun-compat.cjs');

const pick = (path, ...names) => {
  const module = require(path);
  return Object.fromEntries(names.map((name) => [name, module[name]]));
};

applyBunCompat();

module.exports = {
  applyBunCompat,
  ...pick('./kubeconfig.cjs', 'loadKubeConfig', 'resolveContext', 'getClusterInfo', 'KubeConfig'),
  ...pick('./exec.cjs', 'execInSandbox', 'execStreamInSandbox'),
  ...pick('./lifecycle.cjs', 'waitForReady', 'pause', 'resume'),
  ...pick('./watch.cjs', 'startWatch'),
  ...pick('./logger.cjs', 'setLogger'),
  ...pick('./client.cjs', 'AgentSandboxClient'),
  ...pick('./crud.cjs', 'CustomResourceCrud'),
  ...pick('./builders.cjs', 'SandboxBuilder', 'SandboxTemplateBuilder', 'SandboxClaimBuilder', 'SandboxWarmPoolBuilder'),
  // CRD_API, CRD_EXTENSIONS_API, their V1BETA1 twins, CRD_PLURALS, CRD_KINDS, CRD_ANNOTATIONS, CRD_CONDITIONS, CRD_LABELS
  ...require('./constants.cjs'),
  ...pick('./errors.cjs', 'AgentSandboxError', 'NotFoundError', 'AlreadyExistsError', 'TimeoutError', 'ExecError', 'ControllerNotInstalledError', 'KubeConfigError', 'K8sError', 'K8sErrors'),
  // The 22 schema objects and SchemaValidationError
  ...require('./schemas.cjs'),
  ...pick('./port-forward.cjs', 'PortForward'),
  ...pick('./provider.cjs', 'AgentSandboxProvider', 'AgentSandboxInstance', 'DockerSandboxProvider', 'createAgentSandboxProvider', 'createSandboxProvider', 'SANDBOX_DEFAULTS', 'getDefaultSandboxNetworkMode', 'mapConditionsToStatus'),
};
