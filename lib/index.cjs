'use strict';
// Every runtime export of the package. No cluster I/O happens at import.

const errors = require('./errors.cjs');
const kubeconfig = require('./kubeconfig.cjs');
const lifecycle = require('./lifecycle.cjs');
const exec = require('./exec.cjs');
const builders = require('./builders.cjs');
const provider = require('./provider.cjs');
const { applyBunCompat } = require('./bun-compat.cjs');

applyBunCompat();

module.exports = {
  // Functions
  applyBunCompat,
  loadKubeConfig: kubeconfig.loadKubeConfig,
  resolveContext: kubeconfig.resolveContext,
  getClusterInfo: kubeconfig.getClusterInfo,
  execInSandbox: exec.execInSandbox,
  execStreamInSandbox: exec.execStreamInSandbox,
  waitForReady: lifecycle.waitForReady,
  pause: lifecycle.pause,
  resume: lifecycle.resume,
  startWatch: require('./watch.cjs').startWatch,
  setLogger: require('./logger.cjs').setLogger,
  // Classes
  AgentSandboxClient: require('./client.cjs').AgentSandboxClient,
  CustomResourceCrud: require('./crud.cjs').CustomResourceCrud,
  KubeConfig: kubeconfig.KubeConfig,
  SandboxBuilder: builders.SandboxBuilder,
  SandboxTemplateBuilder: builders.SandboxTemplateBuilder,
  SandboxClaimBuilder: builders.SandboxClaimBuilder,
  SandboxWarmPoolBuilder: builders.SandboxWarmPoolBuilder,
  // Constants: CRD_API, CRD_EXTENSIONS_API, their V1BETA1 twins, CRD_PLURALS, CRD_KINDS, CRD_ANNOTATIONS, CRD_CONDITIONS, CRD_LABELS
  ...require('./constants.cjs'),
  // Errors
  AgentSandboxError: errors.AgentSandboxError,
  NotFoundError: errors.NotFoundError,
  AlreadyExistsError: errors.AlreadyExistsError,
  TimeoutError: errors.TimeoutError,
  ExecError: errors.ExecError,
  ControllerNotInstalledError: errors.ControllerNotInstalledError,
  KubeConfigError: errors.KubeConfigError,
  // Schemas
  ...require('./schemas.cjs'),
  // AgentPane's provider side
  AgentSandboxProvider: provider.AgentSandboxProvider,
  createAgentSandboxProvider: provider.createAgentSandboxProvider,
  SANDBOX_DEFAULTS: provider.SANDBOX_DEFAULTS,
  getDefaultSandboxNetworkMode: provider.getDefaultSandboxNetworkMode,
  AgentSandboxInstance: provider.AgentSandboxInstance,
  K8sError: errors.K8sError,
  K8sErrors: errors.K8sErrors,
  mapConditionsToStatus: provider.mapConditionsToStatus,
};
