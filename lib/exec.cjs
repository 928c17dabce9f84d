'use strict';
// execInSandbox and execStreamInSandbox: the original's result shapes, on
// native sessions. Output streams are Node PassThrough streams fed chunk by
// chunk, so a consumer that stops reading stops the socket reads too.

const { PassThrough } = require('node:stream');
const { nativeClientFor } = require('./crud.cjs');
const { cancelledError, withCancelToken } = require('./cancel.cjs');
const { ExecError, TimeoutError, fromNative, nativeFailure } = require('./errors.cjs');

const DEFAULT_CONTAINER = 'sandbox';

/** CANCELLED for an exec of `cmd`. */
const cancelledExec = (cmd, signal) => cancelledError(`exec ${cmd}`, signal, { command: cmd });

/**
 * Opens a session; open failures are ExecError, pod lookup failures pass
 * through, and `o.signal` aborts the opening too (CANCELLED, nothing runs).
 */
async function openSession(kc, o, extra, apiVersion) {
  const cmd = o.command.join(' ');
  if (o.signal?.aborted) throw cancelledExec(cmd, o.signal);
  const client = await nativeClientFor(kc, apiVersion);
  const request = { namespace: o.namespace, sandboxName: o.sandboxName, container: o.container ?? DEFAULT_CONTAINER, command: o.command, ...extra };
  try {
    return await withCancelToken(o.signal, `exec ${cmd}`, (token) => client.startExec(request, token));
  } catch (err) {
    const f = nativeFailure(err);
    if (f?.code === 'EXEC_FAILED') throw new ExecError(cmd, f.details?.message ?? f.message);
    if (f?.code === 'CANCELLED' || err?.code === 'CANCELLED') throw cancelledExec(cmd, o.signal);
    throw fromNative(err);
  }
}

/** Runs a command and returns its trimmed output and exit code. */
async function execInSandbox(kc, o, apiVersion) {
  const cmd = o.command.join(' ');
  const session = await openSession(kc, o, { stdin: false, tty: false }, apiVersion);
  let timer;
  let onAbort;
  const guards = [];
  if (o.timeoutMs) {
    guards.push(
      new Promise((_, reject) => {
        timer = setTimeout(() => {
          session.kill();
          reject(new TimeoutError(`exec ${cmd}`, o.timeoutMs));
        }, o.timeoutMs);
      }),
    );
  }
  if (o.signal) {
    guards.push(
      new Promise((_, reject) => {
        onAbort = () => {
          session.kill();
          reject(cancelledExec(cmd, o.signal));
        };
        o.signal.addEventListener('abort', onAbort, { once: true });
      }),
    );
  }
  try {
    const out = await Promise.race([session.collect(), ...guards]);
    return {
      exitCode: out.exitCode,
      stdout: out.stdout.toString('utf8').trim(),
      stderr: out.stderr.toString('utf8').trim(),
    };
  } catch (err) {
    throw fromNative(err);
  } finally {
    clearTimeout(timer);
    if (onAbort) o.signal.removeEventListener('abort', onAbort);
  }
}

/** Copies native chunks into a PassThrough, respecting its backpressure. */
async function pump(read, stream) {
  for (;;) {
    if (stream.destroyed) return;
    const chunk = await read();
    if (chunk === null) return;
    if (stream.destroyed) return;
    if (!stream.write(chunk)) {
      await new Promise((resolve) => {
        const done = () => {
          stream.off('drain', done);
          stream.off('close', done);
          resolve();
        };
        stream.on('drain', done);
        stream.on('close', done);
      });
    }
  }
}

function feedStdin(session, stdin, fail) {
  let writing = Promise.resolve();
  stdin.on('data', (chunk) => {
    stdin.pause();
    writing = writing
      .then(() => session.writeStdin(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)))
      .then(() => stdin.resume(), (err) => fail(fromNative(err)));
  });
  stdin.on('end', () => {
    writing.then(() => session.closeStdin()).catch((err) => fail(fromNative(err)));
  });
  stdin.on('error', (err) => fail(err));
}

/**
 * Starts a command with streamed output: `{stdout, stderr, wait, kill, resize}`.
 * Rejects only when the Sandbox's pod cannot be looked up; a session that
 * cannot open gives destroyed streams and a wait() that rejects.
 */
async function execStreamInSandbox(kc, o, apiVersion) {
  let session;
  try {
    // With `killSignal`, kill() also signals the command's process group (the
    // core wraps the command; closing a connection does not stop it under a real kubelet).
    const extra = { stdin: Boolean(o.stdin), tty: Boolean(o.tty), killSignal: o.killSignal || undefined };
    session = await openSession(kc, o, extra, apiVersion);
  } catch (err) {
    if (!(err instanceof ExecError)) throw err;
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    stdout.destroy();
    stderr.destroy();
    const failed = Promise.reject(err);
    failed.catch(() => {});
    return { stdout, stderr, wait: () => failed, kill: () => {}, resize: async () => {} };
  }
  return streamSession(session, { command: o.command.join(' '), stdin: o.stdin, signal: o.signal, timeoutMs: o.timeoutMs });
}

/**
 * Node streams over an open native session: output is pumped chunk by chunk
 * (backpressure reaches the socket), `wait()` settles once, `kill()` closes
 * the connection, and an
 * `AbortSignal` or `timeoutMs` ends it with CANCELLED or TIMEOUT.
 */
function streamSession(session, { command, stdin, signal, timeoutMs }) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let settle;
  const waitPromise = new Promise((resolve, reject) => {
    settle = { resolve, reject };
  });
  waitPromise.catch(() => {}); // never an unhandled rejection; awaiting callers still see it
  let settled = false;
  let timer;
  let onAbort;
  const finish = (fn, value) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
    fn(value);
  };
  const fail = (err) => {
    session.kill();
    if (!stdout.writableEnded) stdout.end();
    if (!stderr.writableEnded) stderr.end();
    finish(settle.reject, err);
  };

  if (timeoutMs) timer = setTimeout(() => fail(new TimeoutError(`exec ${command}`, timeoutMs)), timeoutMs);
  if (signal) {
    onAbort = () => fail(cancelledExec(command, signal));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  }
  if (stdin) feedStdin(session, stdin, fail);

  const pumps = Promise.all([pump(() => session.readStdout(), stdout), pump(() => session.readStderr(), stderr)]);
  Promise.all([pumps, session.wait()]).then(
    ([, exitCode]) => {
      if (!stdout.writableEnded) stdout.end();
      if (!stderr.writableEnded) stderr.end();
      finish(settle.resolve, { exitCode });
    },
    (err) => fail(fromNative(err)),
  );

  const kill = () => {
    try {
      session.kill(); // also signals the remote process group when opened with a kill signal
    } catch {
      // kill never throws
    }
    stdout.destroy();
    stderr.destroy();
    finish(settle.resolve, { exitCode: -1 });
  };
  /** TTY sessions: the terminal's new size. */
  const resize = (columns, rows) => session.resize(columns, rows).catch(() => {});
  return { stdout, stderr, wait: () => waitPromise, kill, resize };
}

module.exports = { execInSandbox, execStreamInSandbox, streamSession, DEFAULT_CONTAINER };
