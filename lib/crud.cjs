'use strict';
// CustomResourceCrud and the native connection cache. Objects cross to and
// from Rust as JSON text (see src/js_json.rs for why).

const { native } = require('./native.cjs');
const { documentOf } = require('./kubeconfig.cjs');
const { AgentSandboxError, AlreadyExistsError, NotFoundError, fromNative, nativeFailure } = require('./errors.cjs');
const { cancelledError, withCancelToken } = require('./cancel.cjs');

// One native client per serialised configuration (and wire-version policy);
// the configuration is read at call time, so edits to a KubeConfig apply.
const connections = new Map();

/**
 * The native client for a kubeconfig document and wire version: one per
 * distinct pair, made without I/O (it connects on first use), so that the
 * provider, CRUD, exec and watch of one client share one connection.
 */
function nativeHandleFor(kc, apiVersion) {
  const doc = documentOf(kc);
  const key = `${apiVersion || 'auto'}\u0000${JSON.stringify(doc)}`;
  let handle = connections.get(key);
  if (!handle) {
    handle = native.NativeClient.lazy(doc, apiVersion || undefined);
    connections.set(key, handle);
  }
  return handle;
}

/** The connected native client (a failed connect is retried by the next call). */
async function nativeClientFor(kc, apiVersion) {
  const handle = nativeHandleFor(kc, apiVersion);
  try {
    await handle.ready();
  } catch (err) {
    throw fromNative(err);
  }
  return handle;
}

/** The HTTP status of any error: native, client-node, or plain JS. */
function statusOf(err) {
  if (err == null || typeof err !== 'object') return undefined;
  if (err instanceof AgentSandboxError) return err.statusCode;
  const native = nativeFailure(err);
  if (native) return native.statusCode ?? undefined;
  if (typeof err.statusCode === 'number') return err.statusCode;
  if (typeof err.code === 'number') return err.code;
  if (err.response && typeof err.response.statusCode === 'number') return err.response.statusCode;
  if (typeof err.status === 'number') return err.status;
  let body = err.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      body = undefined;
    }
  }
  if (body && typeof body.code === 'number') return body.code;
  const m = typeof err.message === 'string' && err.message.match(/HTTP-Code: (\d{3})/);
  return m ? Number(m[1]) : undefined;
}

function messageOf(err) {
  const native = nativeFailure(err);
  if (native) return native.message;
  return err instanceof Error ? err.message : String(err);
}

/** `CRUD <op> failed: <msg>` with code K8S_API_ERROR; the finer code stays in details.type. */
function wrap(op, err) {
  const native = nativeFailure(err);
  if (!native && err instanceof AgentSandboxError) return err;
  if (native?.code === 'CANCELLED') return fromNative(err);
  const details = native ? { type: native.code, ...(native.details || {}) } : undefined;
  return new AgentSandboxError(`CRUD ${op} failed: ${messageOf(err)}`, 'K8S_API_ERROR', statusOf(err), details);
}

/**
 * Typed CRUD on one custom resource (group, version, plural). Errors:
 * NotFoundError (404 on get/update/patch/delete), AlreadyExistsError (409 on
 * create), otherwise AgentSandboxError with code K8S_API_ERROR and the HTTP
 * status in statusCode.
 */
class CustomResourceCrud {
  constructor(kc, config, options = {}) {
    this.kc = kc;
    this.config = config;
    this.apiVersion = options.apiVersion;
    this.ref = { group: config.group, version: config.version, plural: config.plural };
  }

  /** `fn(client, token)`; `signal` (optional) aborts the call: see each method. */
  async #call(op, fn, signal) {
    if (signal?.aborted) throw cancelledError(op, signal);
    let client;
    try {
      client = await nativeClientFor(this.kc, this.apiVersion);
    } catch (err) {
      throw err instanceof AgentSandboxError && err.code === 'KUBECONFIG_ERROR' ? err : wrap(op, err);
    }
    return withCancelToken(signal, op, (token) => fn(client, token));
  }

  /** Aborted while the request is out, it rejects at once and deletes the object if it was made. */
  async create(namespace, body, options = {}) {
    return this.#call('create', async (c, token) => {
      try {
        return JSON.parse(await c.create(this.ref, namespace, JSON.stringify(body), token));
      } catch (err) {
        if (statusOf(err) === 409) throw new AlreadyExistsError(body?.kind, body?.metadata?.name ?? 'unknown');
        throw wrap('create', err);
      }
    }, options.signal);
  }

  async get(namespace, name, options = {}) {
    return this.#call('get', async (c, token) => {
      try {
        return JSON.parse(await c.get(this.ref, namespace, name, token));
      } catch (err) {
        throw this.#notFoundOr('get', err, namespace, name);
      }
    }, options.signal);
  }

  async list(options = {}) {
    return this.#call('list', async (c, token) => {
      try {
        const text = await c.list(this.ref, options.namespace || '', {
          labelSelector: options.labelSelector || undefined,
          fieldSelector: options.fieldSelector || undefined,
          limit: options.limit || undefined,
          continueToken: options.continueToken || undefined,
        }, token);
        return JSON.parse(text);
      } catch (err) {
        throw wrap('list', err);
      }
    }, options.signal);
  }

  // Writes other than create: a signal aborts them only before they are sent
  // (a sent write cannot be taken back; it finishes and reports its result).
  async update(namespace, name, body, options = {}) {
    return this.#call('update', async (c, token) => {
      try {
        return JSON.parse(await c.replace(this.ref, namespace, name, JSON.stringify(body), token));
      } catch (err) {
        throw this.#notFoundOr('update', err, namespace, name);
      }
    }, options.signal);
  }

  /** A full replace against the current resourceVersion, retried when someone wrote in between (409). */
  async replaceLatest(namespace, name, body, options = {}) {
    return this.#call('update', async (c, token) => {
      try {
        return JSON.parse(await c.replaceLatest(this.ref, namespace, name, JSON.stringify(body), token));
      } catch (err) {
        throw this.#notFoundOr('update', err, namespace, name);
      }
    }, options.signal);
  }

  /** A JSON merge patch (application/merge-patch+json). */
  async patch(namespace, name, patch, options = {}) {
    return this.#call('patch', async (c, token) => {
      try {
        return JSON.parse(await c.mergePatch(this.ref, namespace, name, JSON.stringify(patch), token));
      } catch (err) {
        throw this.#notFoundOr('patch', err, namespace, name);
      }
    }, options.signal);
  }

  /** Server-side apply (field manager `agent-sandbox-sdk`); creates or updates. */
  async apply(namespace, body, options = {}) {
    return this.#call('apply', async (c, token) => {
      try {
        return JSON.parse(await c.apply(this.ref, namespace, body?.metadata?.name, JSON.stringify(body), options.force === true, token));
      } catch (err) {
        throw wrap('apply', err);
      }
    }, options.signal);
  }

  async delete(namespace, name, options = {}) {
    return this.#call('delete', async (c, token) => {
      try {
        await c.delete(this.ref, namespace, name, options.propagationPolicy, token);
        return undefined;
      } catch (err) {
        throw this.#notFoundOr('delete', err, namespace, name);
      }
    }, options.signal);
  }

  /** The `scale` subresource (autoscaling/v1 Scale). */
  async getScale(namespace, name, options = {}) {
    return this.#call('getScale', async (c, token) => {
      try {
        return JSON.parse(await c.getScale(this.ref, namespace, name, token));
      } catch (err) {
        throw this.#notFoundOr('getScale', err, namespace, name);
      }
    }, options.signal);
  }

  /** Sets spec.replicas through the `scale` subresource; returns the Scale. */
  async setScale(namespace, name, replicas, options = {}) {
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw new AgentSandboxError(`setScale(${name}): replicas must be a whole number ≥ 0, got ${replicas}`, 'INVALID_ARGUMENT', 400, { name });
    }
    return this.#call('setScale', async (c, token) => {
      try {
        return JSON.parse(await c.setScale(this.ref, namespace, name, replicas, token));
      } catch (err) {
        throw this.#notFoundOr('setScale', err, namespace, name);
      }
    }, options.signal);
  }

  async exists(namespace, name, options = {}) {
    try {
      await this.get(namespace, name, options);
      return true;
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
  }

  #notFoundOr(op, err, namespace, name) {
    if (statusOf(err) === 404) return new NotFoundError(this.config.plural, name, namespace);
    return wrap(op, err);
  }
}

module.exports = { CustomResourceCrud, nativeClientFor, nativeHandleFor, statusOf, wrapApiError: wrap };
