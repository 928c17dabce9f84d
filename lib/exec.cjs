'use strict';
// execInSandbox and execStreamInSandbox. Running, deadlines and errors are
// native; here the streamed form gets Node PassThrough streams fed with the
// chunks the session pushes, so a consumer that stops reading stops the
// socket reads too.

const { PassThrough } = require('node:stream');
const { nativeClientFor } = require('./crud.cjs');
const { cancelledError } = require('./native-class.cjs');
const { ExecError, fromNative } = require('./errors.cjs');
const { deliveryFailure } = require('./batches.cjs');

const request = (o, extra) => ({ namespace: o.namespace, sandboxName: o.sandboxName, container: o.container, command: o.command, ...extra });

/** Runs a command and returns its trimmed output and exit code. */
async function execInSandbox(kc, o, apiVersion) {
  return nativeClientFor(kc, apiVersion).exec(request(o), { timeoutMs: o.timeoutMs, maxOutputBytes: o.maxOutputBytes, signal: o.signal });
}

/**
 * Starts a command with streamed output: `{stdout, stderr, wait, kill, resize}`.
 * Rejects only when the Sandbox's pod cannot be looked up (or `signal` aborts
 * the opening); a session that cannot open gives destroyed streams and a wait() that rejects.
 */
async function execStreamInSandbox(kc, o, apiVersion) {
  let session;
  try {
    // With `killSignal`, kill() also signals the command's process group (the
    // core wraps the command; closing a connection does not stop it under a real kubelet).
    const extra = { stdin: Boolean(o.stdin), tty: Boolean(o.tty), killSignal: o.killSignal || undefined, timeoutMs: o.timeoutMs };
    session = await nativeClientFor(kc, apiVersion).startExec(request(o, extra), { signal: o.signal });
  } catch (err) {
    if (!(err instanceof ExecError)) throw err;
    const [stdout, stderr] = [new PassThrough(), new PassThrough()];
    stdout.destroy();
    stderr.destroy();
    const failed = Promise.reject(err);
    failed.catch(() => {});
    return { stdout, stderr, wait: () => failed, kill: () => {}, resize: async () => {} };
  }
  return streamSession(session, { command: o.command.join(' '), stdin: o.stdin, signal: o.signal });
}

/**
 * Writes an output the session pushes (`start(deliver)`) into a PassThrough:
 * a chunk taken while the PassThrough wants more gives the native side its
 * credit back at once, otherwise at 'drain' (backpressure reaches the socket).
 * Resolves at the output's end, or when the consumer destroys the stream.
 */
function pipeOutput(start, stream) {
  return new Promise((resolve, reject) => {
    const deliver = (chunk, error) => {
      if (chunk == null) {
        const failure = deliveryFailure(error);
        return failure ? reject(failure) : resolve();
      }
      if (stream.destroyed) return;
      if (stream.write(chunk)) output.grant();
      else stream.once('drain', () => output.grant());
    };
    const output = start(deliver);
    stream.once('close', () => {
      output.stop();
      resolve();
    });
  });
}

function feedStdin(session, stdin, fail) {
  let writing = Promise.resolve();
  stdin.on('data', (chunk) => {
    stdin.pause();
    writing = writing.then(() => session.writeStdin(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))).then(() => stdin.resume(), (err) => fail(fromNative(err)));
  });
  stdin.on('end', () => writing.then(() => session.closeStdin()).catch((err) => fail(fromNative(err))));
  stdin.on('error', (err) => fail(err));
}

/**
 * Node streams over an open native session: output is pushed chunk by chunk
 * (backpressure reaches the socket), `wait()` settles once, `kill()` closes
 * the connection, an `AbortSignal` ends it with CANCELLED (the deadline is the session's own).
 */
function streamSession(session, { command, stdin, signal }) {
  const [stdout, stderr] = [new PassThrough(), new PassThrough()];
  let settle;
  const waitPromise = new Promise((resolve, reject) => (settle = { resolve, reject }));
  waitPromise.catch(() => {}); // never an unhandled rejection; awaiting callers still see it
  const onAbort = () => fail(cancelledError(`exec ${command}`, signal, { command }));
  const end = () => [stdout, stderr].forEach((s) => s.writableEnded || s.end());
  const finish = (fn, value) => {
    if (!settle) return;
    signal?.removeEventListener('abort', onAbort);
    fn(value);
    settle = undefined;
  };
  const fail = (err) => {
    session.kill();
    end();
    finish(settle?.reject, err);
  };

  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  if (stdin) feedStdin(session, stdin, fail);

  const pumps = Promise.all([pipeOutput((deliver) => session.streamStdout(deliver), stdout), pipeOutput((deliver) => session.streamStderr(deliver), stderr)]);
  Promise.all([pumps, session.wait()]).then(([, exitCode]) => (end(), finish(settle?.resolve, { exitCode })), (err) => fail(fromNative(err)));

  const kill = () => {
    session.kill(); // never throws; also signals the remote process group when opened with a kill signal
    stdout.destroy();
    stderr.destroy();
    finish(settle?.resolve, { exitCode: -1 });
  };
  /** TTY sessions: the terminal's new size. */
  const resize = (columns, rows) => session.resize(columns, rows).catch(() => {});
  return { stdout, stderr, wait: () => waitPromise, kill, resize };
}

module.exports = { execInSandbox, execStreamInSandbox, streamSession };
