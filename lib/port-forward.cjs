'use strict';
// instance.forwardPort(): the native forward (listener, relays, failures all
// in the core) as an EventEmitter, the Node shape of a thing that listens.
// A connection that cannot reach the port is closed and reported as a
// 'connectionError' event (not 'error': an unhandled 'error' would crash the
// process because of what happens inside a sandbox).

const { EventEmitter } = require('node:events');
const { native } = require('./native.cjs');
const { toError, withErrorClasses } = require('./native-class.cjs');

withErrorClasses(native.NativePortForward, new Set(['close']));

class PortForward extends EventEmitter {
  #native;

  constructor(nativeForward) {
    super();
    this.#native = nativeForward;
    /** 127.0.0.1 */
    this.localAddress = nativeForward.localAddress;
    this.localPort = nativeForward.localPort;
    this.remotePort = nativeForward.remotePort;
    /** http://127.0.0.1:<localPort>, for a server that speaks HTTP. */
    this.url = `http://${this.localAddress}:${this.localPort}`;
    /** Settles once the forward is closed. */
    this.closed = this.#reportFailures();
  }

  async #reportFailures() {
    for (;;) {
      try {
        if ((await this.#native.nextError()) === null) return;
      } catch (err) {
        this.emit('connectionError', toError(err, 'forwardPort'));
      }
    }
  }

  /** Stops listening and ends every forwarded connection; resolves once closed. */
  async close() {
    this.#native.close();
    await this.closed;
  }

  async [Symbol.asyncDispose ?? Symbol.for('Symbol.asyncDispose')]() {
    await this.close();
  }
}

/** `forwardPort(remotePort, { localPort, signal })` of an instance; the signal closes the forward (or cancels its opening). */
async function forwardPort(instance, remotePort, options = {}) {
  const { localPort, signal } = options ?? {};
  const nativeForward = await instance.openPortForward(remotePort, localPort, { signal });
  const forward = new PortForward(nativeForward);
  if (signal) {
    const close = () => forward.close();
    if (signal.aborted) close();
    else {
      signal.addEventListener('abort', close, { once: true });
      forward.closed.then(() => signal.removeEventListener('abort', close));
    }
  }
  return forward;
}

module.exports = { PortForward, forwardPort };
