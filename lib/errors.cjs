'use strict';
// The exported error classes, and the conversion of native failures into
// them. One module instance: every error the SDK throws comes from here.

const { native } = require('./native.cjs');

class AgentSandboxError extends Error {
  constructor(message, code, statusCode, details) {
    super(message);
    const set = (key, value, enumerable = true) => Object.defineProperty(this, key, { value, enumerable, configurable: true, writable: key === 'name' });
    set('name', new.target.name, false);
    set('code', code);
    set('statusCode', statusCode);
    set('details', details);
  }
}

class NotFoundError extends AgentSandboxError {
  constructor(kind, name, namespace) {
    super(`${kind} "${name}" not found${namespace ? ` in namespace "${namespace}"` : ''}`, 'NOT_FOUND', 404, { kind, name, namespace });
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
const K8sErrors = Object.fromEntries(native.k8sErrorNames().map((name) => [name, (...args) => fromFailure(native.k8sError(name, args.map(String)))]));

const MARKER = 'AGENT_SANDBOX_NATIVE_ERROR:';

/** The structured failure `{code, message, statusCode, details, cause?}` a native error carries, or undefined. */
function nativeFailure(err) {
  const message = typeof err?.message === 'string' ? err.message : '';
  const at = message.indexOf(MARKER);
  try {
    return at < 0 ? undefined : JSON.parse(message.slice(at + MARKER.length));
  } catch {
    return undefined;
  }
}

/** A native failure as the matching exported class; anything else unchanged. */
function fromNative(err) {
  const f = err instanceof AgentSandboxError ? undefined : nativeFailure(err);
  return f ? fromFailure(f) : err;
}

/** The exported error for a native failure payload, its `cause` too. */
function fromFailure(f) {
  const err = classify(f, f.details && Object.keys(f.details).length > 0 ? f.details : undefined);
  if (f.cause) Object.defineProperty(err, 'cause', { value: fromFailure(f.cause), enumerable: false, configurable: true, writable: true });
  return err;
}

function classify({ code, message, statusCode }, details) {
  const d = details ?? {};
  if (code === 'KUBECONFIG_ERROR') return Object.defineProperty(new KubeConfigError(message), 'details', { value: details, enumerable: true });
  if (code === 'CONTROLLER_NOT_INSTALLED') return new ControllerNotInstalledError();
  if (code === 'TIMEOUT' && d.operation !== undefined) return new TimeoutError(d.operation, d.timeoutMs);
  if (code === 'EXEC_FAILED' && d.command !== undefined) return new ExecError(d.command, d.message, d.exitCode ?? undefined);
  if (code === 'NOT_FOUND' && d.kind !== undefined) return new NotFoundError(d.kind, d.name, d.namespace);
  if (code === 'ALREADY_EXISTS' && d.kind !== undefined) return new AlreadyExistsError(d.kind, d.name);
  const Class = typeof code === 'string' && code.startsWith('K8S_') ? K8sError : AgentSandboxError;
  return new Class(message, code, statusCode ?? undefined, details);
}

module.exports = {
  AgentSandboxError, NotFoundError, AlreadyExistsError, TimeoutError, ExecError, ControllerNotInstalledError, KubeConfigError,
  K8sError, K8sErrors, fromNative, fromFailure, nativeFailure,
};
