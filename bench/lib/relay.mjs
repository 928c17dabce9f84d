// A counting TCP relay on loopback: connections to it are piped to the API
// server unchanged (TLS end to end, so the bytes counted are the bytes on
// the wire), and the bytes each way are added up. Used for "bytes per list":
// a kubeconfig copy points the client at the relay (the API server's
// certificate names 127.0.0.1, which still matches).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function startRelay(kubeconfig) {
  const text = readFileSync(kubeconfig, 'utf8');
  const m = /server:\s*https:\/\/(127\.0\.0\.1|localhost|\[::1\]):(\d+)/.exec(text);
  if (!m) throw new Error(`relay: no loopback server URL in ${kubeconfig}`);
  const [host, port] = [m[1].replace(/[[\]]/g, ''), Number(m[2])];
  const counts = { down: 0, up: 0, connections: 0 };
  const sockets = new Set();
  const server = net.createServer((client) => {
    counts.connections++;
    const upstream = net.connect(port, host);
    sockets.add(client).add(upstream);
    client.on('data', (c) => (counts.up += c.length));
    upstream.on('data', (c) => (counts.down += c.length));
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => (client.destroy(), upstream.destroy(), sockets.delete(client), sockets.delete(upstream));
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dir = mkdtempSync(join(tmpdir(), 'bench-relay-'));
  const relayed = join(dir, 'kubeconfig');
  writeFileSync(relayed, text.replace(m[0], `server: https://127.0.0.1:${server.address().port}`));
  return {
    kubeconfig: relayed,
    counts,
    reset: () => Object.assign(counts, { down: 0, up: 0, connections: 0 }),
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(r));
    },
  };
}
