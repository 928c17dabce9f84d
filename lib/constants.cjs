'use strict';
// Exact values of the original SDK's constants (v1alpha1), plus v1beta1
// counterparts for callers that speak the newer API.

const freeze = (o) => Object.freeze(o);

const CRD_API = freeze({ group: 'agents.x-k8s.io', version: 'v1alpha1', apiVersion: 'agents.x-k8s.io/v1alpha1' });
const CRD_EXTENSIONS_API = freeze({
  group: 'extensions.agents.x-k8s.io',
  version: 'v1alpha1',
  apiVersion: 'extensions.agents.x-k8s.io/v1alpha1',
});
const CRD_API_V1BETA1 = freeze({ group: 'agents.x-k8s.io', version: 'v1beta1', apiVersion: 'agents.x-k8s.io/v1beta1' });
const CRD_EXTENSIONS_API_V1BETA1 = freeze({
  group: 'extensions.agents.x-k8s.io',
  version: 'v1beta1',
  apiVersion: 'extensions.agents.x-k8s.io/v1beta1',
});
const CRD_PLURALS = freeze({
  sandbox: 'sandboxes',
  sandboxTemplate: 'sandboxtemplates',
  sandboxClaim: 'sandboxclaims',
  sandboxWarmPool: 'sandboxwarmpools',
});
const CRD_KINDS = freeze({
  sandbox: 'Sandbox',
  sandboxTemplate: 'SandboxTemplate',
  sandboxClaim: 'SandboxClaim',
  sandboxWarmPool: 'SandboxWarmPool',
});
const CRD_ANNOTATIONS = freeze({
  ttl: 'agents.x-k8s.io/ttl',
  pauseReason: 'agents.x-k8s.io/pause-reason',
  createdBy: 'agents.x-k8s.io/created-by',
  sandboxId: 'agentpane.io/sandbox-id',
  projectId: 'agentpane.io/project-id',
  taskId: 'agentpane.io/task-id',
});
const CRD_CONDITIONS = freeze({
  ready: 'Ready',
  podReady: 'PodReady',
  networkReady: 'NetworkReady',
  storageReady: 'StorageReady',
  paused: 'Paused',
  expired: 'SandboxExpired',
});
const CRD_LABELS = freeze({
  managed: 'agentpane.io/managed',
  sandbox: 'agentpane.io/sandbox',
  projectId: 'agentpane.io/project-id',
  warmPool: 'agentpane.io/warm-pool',
  warmPoolState: 'agentpane.io/warm-pool-state',
  claimUid: 'agents.x-k8s.io/claim-uid',
});

module.exports = {
  CRD_API,
  CRD_EXTENSIONS_API,
  CRD_API_V1BETA1,
  CRD_EXTENSIONS_API_V1BETA1,
  CRD_PLURALS,
  CRD_KINDS,
  CRD_ANNOTATIONS,
  CRD_CONDITIONS,
  CRD_LABELS,
};
