// The client through an HTTP CONNECT proxy, against the real API server: a
// small proxy on 127.0.0.1 (written here, node:net only, so that it runs the
// same under node, vitest and bun) records every CONNECT and forwards bytes.
import { assert, describe, it, before, after } from './helpers/harness.mjs';
import net from 'node:net';
import { inspect } from 'node:util';
import * as sdk from '../index.js';
import { kubeConfigFor, freshNamespace, sandboxManifest } from './helpers/cluster.mjs';

/**
 * A CONNECT proxy on an ephemeral loopback port. Every tunnel goes to
 * 127.0.0.1 at the requested port, whatever host was asked for (so a server
 * name that resolves nowhere is reachable only through it). With
 * `credentials` ("user:password") it answers 407 unless they are sent.
 */
async function startProxy({ credentials } = {}) {
  const connects = []; // { target, authorization }
  const sockets = new Set();
  let bytesDown = 0; // server → client, through tunnels
  const track = (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  };
  const server = net.createServer((client) => {
    track(client);
    let head = Buffer.alloc(0);
    const onData = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 16384) client.destroy();
        return;
      }
      client.off('data', onData);
      client.pause(); // until piped: nothing may be lost in between
      const [requestLine, ...headerLines] = head.subarray(0, end).toString('latin1').split('\r\n');
      const rest = head.subarray(end + 4);
      const [method, target] = requestLine.split(' ');
      const header = (name) => headerLines.find((l) => l.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim();
      const authorization = header('proxy-authorization');
      connects.push({ target, authorization });
      if (method !== 'CONNECT') {
        client.end('HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      if (credentials && authorization !== `Basic ${Buffer.from(credentials).toString('base64')}`) {
        client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const port = Number(target.slice(target.lastIndexOf(':') + 1));
      const upstream = net.connect(port, '127.0.0.1');
      track(upstream);
      upstream.on('connect', () => {
        client.write('HTTP/1.1 200 Connection established\r\n\r\n');
        if (rest.length) upstream.write(rest);
        upstream.on('data', (d) => { bytesDown += d.length; });
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      upstream.on('close', () => client.destroy());
      client.on('close', () => upstream.destroy());
    };
    client.on('data', onData);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: server.address().port,
    connects,
    bytesDown: () => bytesDown,
    stop: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** Sets environment variables (undefined unsets) until the returned restore(). */
function setEnv(vars) {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (values) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(vars);
  return () => apply(saved);
}

const PROXY_VARS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'];
const noProxyEnv = () => Object.fromEntries(PROXY_VARS.map((k) => [k, undefined]));

/** Rejects with the SDK's code for a server it cannot reach (CRUD wraps it in K8S_API_ERROR). */
function unreachable(e) {
  assert.ok(e instanceof sdk.AgentSandboxError, inspect(e));
  assert.ok(e.code === 'UNREACHABLE' || (e.code === 'K8S_API_ERROR' && e.details?.type === 'UNREACHABLE'), inspect(e));
  return true;
}

describe('proxies (v0.5.6)', () => {
  let document; // the test cluster's admin kubeconfig, as a standard document
  let apiPort;
  let ns;
  let variants = 0;
  const proxies = [];
  let restoreEnv;

  /**
   * A KubeConfig of the test cluster with its cluster entry changed by
   * `change`. Each one is a new document (connections are cached per
   * document), so the proxy settings are read afresh.
   */
  function kubeConfigWith(change) {
    const doc = structuredClone(document);
    const context = doc.contexts.find((c) => c.name === doc['current-context']);
    const named = doc.clusters.find((c) => c.name === context.context.cluster);
    const name = `${named.name}-proxy-${++variants}`;
    named.name = name;
    context.context.cluster = name;
    change(named.cluster);
    return sdk.KubeConfig.fromDocument(doc);
  }

  async function proxy(options) {
    const p = await startProxy(options);
    proxies.push(p);
    return p;
  }

  before(async () => {
    // No proxy from the runner's own environment in the way.
    restoreEnv = setEnv(noProxyEnv());
    const kc = kubeConfigFor('v0.5.6');
    document = JSON.parse(kc.exportConfig());
    const context = document.contexts.find((c) => c.name === document['current-context']);
    const server = new URL(document.clusters.find((c) => c.name === context.context.cluster).cluster.server);
    assert.equal(server.hostname, '127.0.0.1', 'the test cluster listens on loopback');
    apiPort = Number(server.port);
    ns = await freshNamespace(kc, 'proxy');
    const direct = new sdk.AgentSandboxClient({ kubeConfig: kc, namespace: ns.name });
    await direct.createSandbox(sandboxManifest('box'));
    await direct.waitForReady('box', { timeoutMs: 60_000, pollIntervalMs: 200 });
  });

  after(async () => {
    await ns?.cleanup();
    await Promise.all(proxies.map((p) => p.stop()));
    restoreEnv?.();
  });

  it("the kubeconfig's proxy-url carries CRUD and exec through the proxy", async () => {
    const p = await proxy();
    const kc = kubeConfigWith((c) => { c['proxy-url'] = `http://127.0.0.1:${p.port}`; });
    const client = new sdk.AgentSandboxClient({ kubeConfig: kc, namespace: ns.name });
    const list = await client.listSandboxes();
    assert.deepEqual(list.items.map((s) => s.metadata.name), ['box']);
    assert.ok(p.connects.length >= 1);
    for (const c of p.connects) assert.equal(c.target, `127.0.0.1:${apiPort}`);
    assert.equal(p.connects[0].authorization, undefined);

    // 300 kB of output: the exec stream's bytes are seen by the proxy.
    const before = p.bytesDown();
    const r = await client.exec({ sandboxName: 'box', command: ['sh', '-c', "head -c 300000 /dev/zero | tr '\\0' x"] });
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout.length, 300_000);
    assert.ok(p.bytesDown() - before >= 300_000, `the proxy relayed ${p.bytesDown() - before} bytes`);
  });

  it('HTTPS_PROXY is honoured, NO_PROXY bypasses it, loopback servers never use it', async () => {
    const p = await proxy();
    // A server name that resolves nowhere: only the proxy reaches it. The
    // certificate is checked against a name it has.
    const named = (c) => {
      c.server = `https://api.proxy-test.invalid:${apiPort}`;
      c['tls-server-name'] = 'kubernetes';
    };
    const list = async (kc) => (await new sdk.AgentSandboxClient({ kubeConfig: kc, namespace: ns.name }).listSandboxes()).items.length;
    const viaName = kubeConfigWith(named);

    let restore = setEnv({ ...noProxyEnv(), HTTPS_PROXY: `http://127.0.0.1:${p.port}` });
    try {
      // process.env is read at each call, like the KubeConfig.
      assert.equal(await list(viaName), 1);
      assert.ok(p.connects.length >= 1);
      for (const c of p.connects) assert.equal(c.target, `api.proxy-test.invalid:${apiPort}`);

      // As kubectl: a loopback server is reached directly even with HTTPS_PROXY set.
      const seen = p.connects.length;
      assert.equal(await list(kubeConfigWith(() => {})), 1);
      assert.equal(p.connects.length, seen);
    } finally {
      restore();
    }

    const seen = p.connects.length;
    restore = setEnv({ ...noProxyEnv(), HTTPS_PROXY: `http://127.0.0.1:${p.port}`, NO_PROXY: 'example.com, 127.0.0.1' });
    try {
      assert.equal(await list(kubeConfigWith(() => {})), 1);
      assert.equal(p.connects.length, seen);
    } finally {
      restore();
    }

    // no_proxy (lower case) with a domain suffix, the same KubeConfig: a
    // direct connection, which cannot resolve the name: the proxy was bypassed.
    restore = setEnv({ ...noProxyEnv(), https_proxy: `http://127.0.0.1:${p.port}`, no_proxy: '.invalid' });
    try {
      await assert.rejects(list(viaName), unreachable);
      assert.equal(p.connects.length, seen);
    } finally {
      restore();
    }
  });

  it('a proxy wanting credentials: a coded error without the password, then the right ones work', async () => {
    // The password has characters a URL must percent-encode.
    const p = await proxy({ credentials: 'user:right pass@1' });
    const wrong = kubeConfigWith((c) => { c['proxy-url'] = `http://user:s3cret-canary@127.0.0.1:${p.port}`; });
    const client = new sdk.AgentSandboxClient({ kubeConfig: wrong, namespace: ns.name });
    let failure;
    await assert.rejects(client.listSandboxes(), (e) => {
      failure = e;
      return unreachable(e);
    });
    assert.match(failure.message, new RegExp(`proxy 127\\.0\\.0\\.1:${p.port} refused to open a tunnel to 127\\.0\\.0\\.1:${apiPort}: HTTP 407`));
    for (const text of [failure.message, String(failure), failure.stack, JSON.stringify(failure), JSON.stringify(failure.details), inspect(failure, { depth: 10 })]) {
      assert.ok(!String(text).includes('s3cret-canary'), text);
    }
    // The credentials were sent, decoded.
    assert.equal(p.connects[0].authorization, `Basic ${Buffer.from('user:s3cret-canary').toString('base64')}`);

    // Exec too (it fails reading the Sandbox, before its upgrade).
    await assert.rejects(client.exec({ sandboxName: 'box', command: ['true'] }), (e) => {
      assert.ok(e instanceof sdk.ExecError || unreachable(e), inspect(e));
      assert.match(e.message, /proxy .* HTTP 407/);
      assert.ok(!inspect(e, { depth: 10 }).includes('s3cret-canary'));
      assert.ok(!JSON.stringify(e).includes('s3cret-canary'));
      return true;
    });

    const right = kubeConfigWith((c) => { c['proxy-url'] = `http://user:right%20pass%401@127.0.0.1:${p.port}`; });
    const ok = new sdk.AgentSandboxClient({ kubeConfig: right, namespace: ns.name });
    assert.equal((await ok.listSandboxes()).items.length, 1);
    assert.equal((await ok.exec({ sandboxName: 'box', command: ['echo', 'through'] })).stdout, 'through');
    assert.equal(p.connects.at(-1).authorization, `Basic ${Buffer.from('user:right pass@1').toString('base64')}`);
  });

  it('an unreachable proxy and an unsupported scheme are coded errors', async () => {
    const gone = await proxy();
    await gone.stop(); // its port is now closed
    const down = kubeConfigWith((c) => { c['proxy-url'] = `http://user:s3cret-canary@127.0.0.1:${gone.port}`; });
    await assert.rejects(new sdk.AgentSandboxClient({ kubeConfig: down, namespace: ns.name }).listSandboxes(), (e) => {
      unreachable(e);
      assert.match(e.message, new RegExp(`cannot connect to the proxy 127\\.0\\.0\\.1:${gone.port}`));
      assert.ok(!inspect(e, { depth: 10 }).includes('s3cret-canary'));
      return true;
    });

    const ftp = kubeConfigWith((c) => { c['proxy-url'] = 'ftp://user:s3cret-canary@127.0.0.1:21'; });
    await assert.rejects(new sdk.AgentSandboxClient({ kubeConfig: ftp, namespace: ns.name }).listSandboxes(), (e) => {
      assert.ok(e.code === 'KUBECONFIG_ERROR' || e.details?.type === 'KUBECONFIG_ERROR', inspect(e));
      assert.match(e.message, /"ftp"/);
      assert.ok(!inspect(e, { depth: 10 }).includes('s3cret-canary'));
      return true;
    });
  });
});
