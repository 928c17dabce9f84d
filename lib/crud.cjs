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

  /**
   * Runs `fn(client, token)` and maps its failure: `target` names the object
   * (`{name}` makes a 404 a NotFoundError, `{body}` a 409 an
   * AlreadyExistsError). `signal` (optional) aborts the call: reads are
   * dropped, an aborted create deletes what it made, other writes are aborted
   * only before they are sent.
   */
  async #call(op, namespace, target, signal, fn) {
    if (signal?.aborted) throw cancelledError(op, signal);
    let client;
    try {
      client = await nativeClientFor(this.kc, this.apiVersion);
    } catch (err) {
      throw err instanceof AgentSandboxError && err.code === 'KUBECONFIG_ERROR' ? err : wrap(op, err);
    }
    try {
      return await withCancelToken(signal, op, (token) => fn(client, token));
    } catch (err) {
      const status = statusOf(err);
      if (status === 409 && target.body) throw new AlreadyExistsError(target.body.kind, target.body.metadata?.name ?? 'unknown');
      if (status === 404 && target.name !== undefined) throw new NotFoundError(this.config.plural, target.name, namespace);
      throw wrap(op, err);
    }
  }

  /** Aborted while the request is out, it rejects at once and deletes the object if it was made. */
  async create(namespace, body, options = {}) {
    return this.#call('create', namespace, { body }, options.signal, async (c, token) =>
      JSON.parse(await c.create(this.ref, namespace, JSON.stringify(body), token)),
    );
  }

  async get(namespace, name, options = {}) {
    return this.#call('get', namespace, { name }, options.signal, async (c, token) =>
      JSON.parse(await c.get(this.ref, namespace, name, token)),
    );
  }

  async list(options = {}) {
    const query = {
      labelSelector: options.labelSelector || undefined,
      fieldSelector: options.fieldSelector || undefined,
      limit: options.limit || undefined,
      continueToken: options.continueToken || undefined,
    };
    return this.#call('list', options.namespace, {}, options.signal, async (c, token) =>
      JSON.parse(await c.list(this.ref, options.namespace || '', query, token)),
    );
  }

  // Writes other than create: a signal aborts them only before they are sent
  // (a sent write cannot be taken back; it finishes and reports its result).
  async update(namespace, name, body, options = {}) {
    return this.#call('update', namespace, { name }, options.signal, async (c, token) =>
      JSON.parse(await c.replace(this.ref, namespace, name, JSON.stringify(body), token)),
    );
  }

  /** A full replace against the current resourceVersion, retried when someone wrote in between (409). */
  async replaceLatest(namespace, name, body, options = {}) {
    return this.#call('update', namespace, { name }, options.signal, async (c, token) =>
      JSON.parse(await c.replaceLatest(this.ref, namespace, name, JSON.stringify(body), token)),
    );
  }

  /** A JSON merge patch (application/merge-patch+json). */
  async patch(namespace, name, patch, options = {}) {
    return this.#call('patch', namespace, { name }, options.signal, async (c, token) =>
      JSON.parse(await c.mergePatch(this.ref, namespace, name, JSON.stringify(patch), token)),
    );
  }

  /** Server-side apply (field manager `agent-sandbox-sdk`); creates or updates. */
  async apply(namespace, body, options = {}) {
    const name = body?.metadata?.name;
    return this.#call('apply', namespace, {}, options.signal, async (c, token) =>
      JSON.parse(await c.apply(this.ref, namespace, name, JSON.stringify(body), options.force === true, token)),
    );
  }

  async delete(namespace, name, options = {}) {
    await this.#call('delete', namespace, { name }, options.signal, (c, token) =>
      c.delete(this.ref, namespace, name, options.propagationPolicy, token),
    );
  }

  /** The `scale` subresource (autoscaling/v1 Scale). */
  async getScale(namespace, name, options = {}) {
    return this.#call('getScale', namespace, { name }, options.signal, async (c, token) =>
      JSON.parse(await c.getScale(this.ref, namespace, name, token)),
    );
  }

  /** Sets spec.replicas through the `scale` subresource; returns the Scale. */
  async setScale(namespace, name, replicas, options = {}) {
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw new AgentSandboxError(`setScale(${name}): replicas must be a whole number ≥ 0, got ${replicas}`, 'INVALID_ARGUMENT', 400, { name });
    }
    return this.#call('setScale', namespace, { name }, options.signal, async (c, token) =>
      JSON.parse(await c.setScale(this.ref, namespace, name, replicas, token)),
    );
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
}

module.exports = { CustomResourceCrud, nativeClientFor, nativeHandleFor, statusOf, wrapApiError: wrap };
