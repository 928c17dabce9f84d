'use strict';
// AgentSandboxInstance: one running sandbox as AgentPane uses it (exec,
// streams, files, tmux, status, metrics), on top of AgentSandboxClient.

const { PassThrough, Readable } = require('node:stream');
const { native } = require('../native.cjs');
const { NotFoundError } = require('../errors.cjs');
const { K8sErrors } = require('./errors.cjs');
const { mapConditionsToStatus } = require('./status.cjs');
const { agentCommand, splitPath } = require('./command.cjs');
const { readMetrics } = require('./metrics.cjs');

const CONTAINER = 'sandbox';
const SHUTDOWN_EXTEND_INTERVAL_MS = 60_000;
// tmux's ways of saying that no server runs (3.x reports a missing socket as "error connecting to").
const TMUX_NO_SERVER = /no server running|no sessions|error connecting to .*No such file or directory/;

const messageOf = (err) => (err instanceof Error ? err.message : String(err));

async function ignoreNotFound(promise) {
  try {
    await promise;
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
}

async function collect(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

class AgentSandboxInstance {
  /**
   * @param idleTimeoutMinutes when set, touch() also extends spec.shutdownTime (at most once a minute)
   * @param hooks `{onStopping(reason), onStopped(), onStatus(previous, next), claimName}`:
   *   called around stop() and on status changes; `claimName` is the SandboxClaim stop() deletes
   */
  constructor(id, sandboxName, codespaceId, namespace, client, idleTimeoutMinutes, hooks = {}) {
    this.id = id;
    this.sandboxName = sandboxName;
    this.codespaceId = codespaceId;
    this.namespace = namespace ?? client.namespace;
    this.client = client;
    this.containerId = sandboxName;
    this.status = 'creating';
    this.idleTimeoutMinutes = idleTimeoutMinutes;
    this.hooks = hooks;
    this.lastActivity = new Date();
    this.lastShutdownExtension = 0;
  }

  async exec(cmd, args = []) {
    this.touch();
    try {
      const r = await this.client.exec({
        sandboxName: this.sandboxName,
        namespace: this.namespace,
        command: [cmd, ...args],
        container: CONTAINER,
      });
      return { exitCode: r.exitCode, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
    } catch (err) {
      throw K8sErrors.EXEC_FAILED(cmd, messageOf(err));
    }
  }

  /** Pods run as UID 1000: root is not available; this runs as the pod user. */
  async execAsRoot(cmd, args = []) {
    console.warn(`[agent-sandbox-sdk] execAsRoot(${cmd}): sandbox pods run as a non-root user; running as that user`);
    return this.exec(cmd, args);
  }

  /**
   * Streams an agent command. `cwd`, `env` and the command reach the program as argv (no shell text);
   * env keys must be identifiers. `killSignal` (opt-in) makes kill() also
   * signal the command's process group.
   */
  async execStream(options) {
    this.touch();
    const command = agentCommand(options, (message) => K8sErrors.EXEC_FAILED(options.cmd, message));
    const sdk = await this.client.execStream({
      sandboxName: this.sandboxName,
      namespace: this.namespace,
      command,
      container: CONTAINER,
      stdin: options.stdin,
      killSignal: options.killSignal,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    sdk.stdout.pipe(stdout);
    sdk.stderr.pipe(stderr);
    return {
      stdout,
      stderr,
      wait: async () => sdk.wait(),
      kill: async () => {
        sdk.stdout.unpipe(stdout);
        sdk.stderr.unpipe(stderr);
        stdout.end();
        stderr.end();
        await sdk.kill();
      },
    };
  }

  /** Writes a file through a tar archive on stdin: the content never appears in argv. */
  async writeFile(path, content, mode = 0o600) {
    const { dir, name } = splitPath(path);
    if (!name) throw K8sErrors.EXEC_FAILED('writeFile', `invalid path: ${path}`);
    let stream;
    try {
      const data = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
      const archive = native.tarSingleFile(name, data, mode, Math.floor(Date.now() / 1000));
      stream = await this.client.execStream({
        sandboxName: this.sandboxName,
        namespace: this.namespace,
        command: ['tar', 'xf', '-', '-C', dir],
        container: CONTAINER,
        stdin: Readable.from([archive]),
      });
      const [, errOut] = await Promise.all([collect(stream.stdout), collect(stream.stderr)]);
      const { exitCode } = await stream.wait();
      if (exitCode !== 0) {
        const stderr = errOut.toString('utf8').trim();
        throw K8sErrors.EXEC_FAILED('writeFile', `tar xf failed (exit ${exitCode}) writing ${path}: ${stderr || 'no stderr'}`);
      }
      this.touch();
    } catch (err) {
      if (typeof err?.code === 'string' && err.code.startsWith('K8S_')) throw err;
      throw K8sErrors.EXEC_FAILED('writeFile', `failed to write ${path}: ${messageOf(err)}`);
    } finally {
      try {
        stream?.kill();
      } catch {
        // best effort
      }
    }
  }

  /** Reads a file through a tar archive on stdout. */
  async readFile(path) {
    const { dir, name } = splitPath(path);
    if (!name) throw K8sErrors.EXEC_FAILED('readFile', `invalid path: ${path}`);
    try {
      const stream = await this.client.execStream({
        sandboxName: this.sandboxName,
        namespace: this.namespace,
        command: ['tar', 'cf', '-', '-C', dir, `./${name}`],
        container: CONTAINER,
      });
      const [archive, errOut] = await Promise.all([collect(stream.stdout), collect(stream.stderr)]);
      const { exitCode } = await stream.wait();
      if (exitCode !== 0) {
        const stderr = errOut.toString('utf8').trim();
        throw K8sErrors.EXEC_FAILED('readFile', `tar cf failed (exit ${exitCode}) reading ${path}: ${stderr || 'no stderr'}`);
      }
      this.touch();
      return native.tarFirstFile(archive).content;
    } catch (err) {
      if (typeof err?.code === 'string' && err.code.startsWith('K8S_')) throw err;
      throw K8sErrors.EXEC_FAILED('readFile', `failed to read ${path}: ${messageOf(err)}`);
    }
  }

  // tmux: every call is an exec of `tmux <argv>`; caller strings are argv entries, never shell text.
  async createTmuxSession(sessionName, taskId) {
    const existing = await this.exec('tmux', ['list-sessions', '-F', '#{session_name}']);
    if (existing.exitCode === 0 && existing.stdout.split('\n').includes(sessionName)) {
      throw K8sErrors.TMUX_SESSION_ALREADY_EXISTS(sessionName);
    }
    const created = await this.exec('tmux', ['new-session', '-d', '-s', sessionName]);
    if (created.exitCode !== 0) throw K8sErrors.TMUX_CREATION_FAILED(sessionName, created.stderr || `exit ${created.exitCode}`);
    return { name: sessionName, sandboxId: this.id, taskId, createdAt: new Date().toISOString(), windowCount: 1, attached: false };
  }

  async listTmuxSessions() {
    const r = await this.exec('tmux', ['list-sessions', '-F', '#{session_name}:#{session_windows}:#{session_attached}']);
    if (r.exitCode !== 0) {
      if (TMUX_NO_SERVER.test(r.stderr)) return [];
      throw K8sErrors.EXEC_FAILED('tmux list-sessions', r.stderr);
    }
    const now = new Date().toISOString();
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [name, windows, attached] = line.split(':');
        return { name, sandboxId: this.id, createdAt: now, windowCount: parseInt(windows, 10) || 1, attached: attached === '1' };
      });
  }

  async killTmuxSession(sessionName) {
    const r = await this.exec('tmux', ['kill-session', '-t', sessionName]);
    if (r.exitCode !== 0 && !/session not found|can't find session/.test(r.stderr) && !TMUX_NO_SERVER.test(r.stderr)) {
      throw K8sErrors.EXEC_FAILED('tmux kill-session', r.stderr);
    }
  }

  async sendKeysToTmux(sessionName, keys) {
    const r = await this.exec('tmux', ['send-keys', '-t', sessionName, keys, 'Enter']);
    if (r.exitCode !== 0) throw K8sErrors.EXEC_FAILED('tmux send-keys', r.stderr);
  }

  async captureTmuxPane(sessionName, lines = 100) {
    const r = await this.exec('tmux', ['capture-pane', '-t', sessionName, '-p', '-S', `-${lines}`]);
    if (r.exitCode !== 0) throw K8sErrors.EXEC_FAILED('tmux capture-pane', r.stderr);
    return r.stdout;
  }

  /**
   * Deletes the Sandbox (and the claim it came from, if any). A Sandbox that
   * is already gone counts as stopped.
   */
  async stop(reason = 'stop') {
    this.status = 'stopping';
    this.hooks.onStopping?.(reason);
    try {
      // Deleting the claim lets the controller delete its Sandbox; deleting
      // the Sandbox as well makes stop() not depend on that.
      if (this.hooks.claimName) await ignoreNotFound(this.client.deleteClaim(this.hooks.claimName, this.namespace));
      await ignoreNotFound(this.client.deleteSandbox(this.sandboxName, this.namespace));
    } catch (err) {
      this.status = 'error';
      throw K8sErrors.POD_DELETION_FAILED(this.sandboxName, messageOf(err));
    }
    this.status = 'stopped';
    await this.hooks.onStopped?.();
  }

  /** Marks activity; with idleTimeoutMinutes, pushes spec.shutdownTime out (at most once a minute). */
  touch() {
    this.lastActivity = new Date();
    if (!this.idleTimeoutMinutes) return;
    const now = Date.now();
    if (now - this.lastShutdownExtension < SHUTDOWN_EXTEND_INTERVAL_MS) return;
    this.lastShutdownExtension = now;
    const shutdownTime = new Date(now + this.idleTimeoutMinutes * 60_000).toISOString();
    this.client.sandboxes
      .patch(this.namespace, this.sandboxName, { spec: { shutdownTime } })
      .catch((err) => console.warn(`[agent-sandbox-sdk] extending shutdownTime of ${this.sandboxName} failed: ${messageOf(err)}`));
  }

  getLastActivity() {
    return this.lastActivity;
  }

  /** Never throws: a missing Sandbox is 'stopped', any other failure 'error'. */
  async refreshStatus() {
    const previous = this.status;
    try {
      const sandbox = await this.client.getSandbox(this.sandboxName, this.namespace);
      this.status = mapConditionsToStatus(sandbox);
    } catch (err) {
      this.status = err instanceof NotFoundError ? 'stopped' : 'error';
    }
    if (previous !== this.status) this.hooks.onStatus?.(previous, this.status);
    return this.status;
  }

  /** Metrics from metrics.k8s.io, else from the container's cgroup; `source` says which. */
  async getMetrics() {
    return readMetrics(this);
  }
}

module.exports = { AgentSandboxInstance, CONTAINER };
