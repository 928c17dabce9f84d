'use strict';
// The seven exported error classes, and the conversion of native failures
// into them. One module instance: every error the SDK throws comes from here.

const { native } = require('./native.cjs');

class AgentSandboxError extends Error {
  constructor(message, code, statusCode, details) {
    super(message);
    Object.defineProperty(this, 'name', { value: new.target.name, enumerable: false, configurable: true, writable: true });
    Object.defineProperty(this, 'code', { value: code, enumerable: true, configurable: true });
    Object.defineProperty(this, 'statusCode', { value: statusCode, enumerable: true, configurable: true });
    Object.defineProperty(this, 'details', { value: details, enumerable: true, configurable: true });
  }
}

class NotFoundError extends AgentSandboxError {
  constructor(kind, name, namespace) {
    super(
      `${kind} "${name}" not found${namespace ? ` in namespace "${namespace}"` : ''}`,
      'NOT_FOUND',
      404,
      { kind, name, namespace },
    );
  }
}

class AlreadyExistsError extends AgentSandboxError {
  constructor(kind, name) {
    super(`${kind} "${name}" already exists`, 'ALREADY_EXISTS', 409, { kind, name });
  }
}

class TimeoutError extends AgentSandboxError {
  constructor(operation, timeoutMs) {
    super(`${operation} timed out after ${timeoutMs}ms`, 'TIMEOUT', 408, { operation, timeoutMs });
  }
}

class ExecError extends AgentSandboxError {
  constructor(command, message, exitCode) {
    super(`Exec failed for "${command}": ${message}`, 'EXEC_FAILED', 500, { command, exitCode });
  }
}

class ControllerNotInstalledError extends AgentSandboxError {
  constructor() {
    super('Agent Sandbox CRD controller is not installed in the cluster', 'CONTROLLER_NOT_INSTALLED', 503);
  }
}

class KubeConfigError extends AgentSandboxError {
  constructor(message) {
    super(message, 'KUBECONFIG_ERROR', 500);
  }
}

/** The K8S_* errors of AgentPane's provider (native provider failures are these too). */
class K8sError extends AgentSandboxError {}

/** AgentPane's K8sErrors factory, for the app's own use: the core writes each message. */
const K8sErrors = Object.fromEntries(
  [
    'POD_ALREADY_EXISTS',
    'POD_CREATION_FAILED',
    'POD_DELETION_FAILED',
    'EXEC_FAILED',
    'NETWORK_ISOLATION_UNSUPPORTED',
    'NETWORK_POLICY_CREATION_FAILED',
    'IMAGE_NOT_FOUND',
    'TMUX_SESSION_ALREADY_EXISTS',
    'TMUX_CREATION_FAILED',
  ].map((name) => [name, (...args) => fromFailure(native.k8sError(name, args.map(String)))]),
);

const MARKER = 'AGENT_SANDBOX_NATIVE_ERROR:';

/** The structured failure carried by a native error, or undefined. */
function nativeFailure(err) {
  const message = err && typeof err.message === 'string' ? err.message : '';
  const at = message.indexOf(MARKER);
  if (at < 0) return undefined;
  try {
    return JSON.parse(message.slice(at + MARKER.length));
  } catch {
    return undefined;
  }
}

/**
 * Turns a native failure into the matching exported class. Errors that are
 * not native (already ours, or thrown by JS) are returned unchanged.
 */
function fromNative(err) {
  if (err instanceof AgentSandboxError) return err;
  const f = nativeFailure(err);
  return f ? fromFailure(f) : err;
}

/** The exported error for a native failure payload `{code, message, statusCode, details, cause?}`. */
function fromFailure(f) {
  const err = classify(f);
  if (f.cause) Object.defineProperty(err, 'cause', { value: fromFailure(f.cause), enumerable: false, configurable: true, writable: true });
  return err;
}

function classify(f) {
  const details = f.details && Object.keys(f.details).length > 0 ? f.details : undefined;
  switch (f.code) {
    case 'KUBECONFIG_ERROR':
      return withDetails(new KubeConfigError(f.message), details);
    case 'TIMEOUT':
      if (details && details.operation !== undefined) return new TimeoutError(details.operation, details.timeoutMs);
      break;
    case 'EXEC_FAILED':
      if (details && details.command !== undefined) return new ExecError(details.command, details.message, details.exitCode ?? undefined);
      break;
    case 'CONTROLLER_NOT_INSTALLED':
      return new ControllerNotInstalledError();
    default:
      if (typeof f.code === 'string' && f.code.startsWith('K8S_')) return new K8sError(f.message, f.code, f.statusCode ?? undefined, details);
      break;
  }
  return new AgentSandboxError(f.message, f.code, f.statusCode ?? undefined, details);
}

function withDetails(err, details) {
  if (details) Object.defineProperty(err, 'details', { value: details, enumerable: true });
  return err;
}

module.exports = {
  AgentSandboxError,
  NotFoundError,
  AlreadyExistsError,
  TimeoutError,
  ExecError,
  ControllerNotInstalledError,
  KubeConfigError,
  K8sError,
  K8sErrors,
  fromNative,
  fromFailure,
  nativeFailure,
};
