'use strict';
// Every runtime export of the package. No cluster I/O happens at import.

const errors = require('./errors.cjs');
const constants = require('./constants.cjs');
const kubeconfig = require('./kubeconfig.cjs');
const { CustomResourceCrud } = require('./crud.cjs');
const { AgentSandboxClient } = require('./client.cjs');
const lifecycle = require('./lifecycle.cjs');
const exec = require('./exec.cjs');
const watch = require('./watch.cjs');
const builders = require('./builders.cjs');
const schemas = require('./schemas.cjs');
const { applyBunCompat } = require('./bun-compat.cjs');
const provider = require('./provider.cjs');
const { setLogger } = require('./logger.cjs');

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
  startWatch: watch.startWatch,
  setLogger,
  // Classes
  AgentSandboxClient,
  CustomResourceCrud,
  KubeConfig: kubeconfig.KubeConfig,
  SandboxBuilder: builders.SandboxBuilder,
  SandboxTemplateBuilder: builders.SandboxTemplateBuilder,
  SandboxClaimBuilder: builders.SandboxClaimBuilder,
  SandboxWarmPoolBuilder: builders.SandboxWarmPoolBuilder,
  // Constants
  CRD_API: constants.CRD_API,
  CRD_EXTENSIONS_API: constants.CRD_EXTENSIONS_API,
  CRD_API_V1BETA1: constants.CRD_API_V1BETA1,
  CRD_EXTENSIONS_API_V1BETA1: constants.CRD_EXTENSIONS_API_V1BETA1,
  CRD_PLURALS: constants.CRD_PLURALS,
  CRD_KINDS: constants.CRD_KINDS,
  CRD_ANNOTATIONS: constants.CRD_ANNOTATIONS,
  CRD_CONDITIONS: constants.CRD_CONDITIONS,
  CRD_LABELS: constants.CRD_LABELS,
  // Errors
  AgentSandboxError: errors.AgentSandboxError,
  NotFoundError: errors.NotFoundError,
  AlreadyExistsError: errors.AlreadyExistsError,
  TimeoutError: errors.TimeoutError,
  ExecError: errors.ExecError,
  ControllerNotInstalledError: errors.ControllerNotInstalledError,
  KubeConfigError: errors.KubeConfigError,
  // Schemas
  ...schemas,
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
