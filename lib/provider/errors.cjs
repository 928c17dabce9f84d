'use strict';
// The K8S_* errors of AgentPane's Kubernetes provider (its K8sErrors factory).

const { AgentSandboxError } = require('../errors.cjs');

class K8sError extends AgentSandboxError {}

const K8sErrors = {
  POD_ALREADY_EXISTS: (codespaceId) =>
    new K8sError('Pod already exists for codespace', 'K8S_POD_ALREADY_EXISTS', 409, { codespaceId }),
  POD_CREATION_FAILED: (name, msg) =>
    new K8sError(`Failed to create pod ${name}: ${msg}`, 'K8S_POD_CREATION_FAILED', 500, { name }),
  POD_DELETION_FAILED: (name, msg) =>
    new K8sError(`Failed to delete pod ${name}: ${msg}`, 'K8S_POD_DELETION_FAILED', 500, { name }),
  EXEC_FAILED: (command, msg) =>
    new K8sError(`Command execution failed: ${msg}`, 'K8S_EXEC_FAILED', 500, { command }),
  NETWORK_ISOLATION_UNSUPPORTED: (provider, reason) =>
    new K8sError(`Network isolation is not supported by ${provider}: ${reason}`, 'K8S_NETWORK_ISOLATION_UNSUPPORTED', 500, {
      provider,
      reason,
    }),
  NETWORK_POLICY_CREATION_FAILED: (name, msg) =>
    new K8sError(`Failed to create NetworkPolicy ${name}: ${msg}`, 'K8S_NETWORK_POLICY_CREATION_FAILED', 500, { name }),
  IMAGE_NOT_FOUND: (image) => new K8sError(`Image not found: ${image}`, 'K8S_IMAGE_NOT_FOUND', 404, { image }),
  TMUX_SESSION_ALREADY_EXISTS: (name) =>
    new K8sError(`tmux session already exists: ${name}`, 'K8S_TMUX_SESSION_EXISTS', 409, { sessionName: name }),
  TMUX_CREATION_FAILED: (name, msg) =>
    new K8sError(`Failed to create tmux session ${name}: ${msg}`, 'K8S_TMUX_CREATION_FAILED', 500, { sessionName: name }),
};

module.exports = { K8sError, K8sErrors };
