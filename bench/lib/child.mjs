// Entry point of a measurement child process (a fresh heap, one side loaded):
//   node bench/lib/child.mjs <module> <export> <json args>
// The export is called with the args, a `notify(message)` function and a
// `mark(name)` function; its return value goes back to the parent over IPC.
// `mark('start')` / `mark('end')` bound the measured window: at each mark the
// parent reads the server processes' CPU (/proc/<pid>/stat) while the child
// waits, and the child's own CPU (process.cpuUsage: user+system, all
// threads) goes with it. Without marks the window is the whole call.
import { pathToFileURL } from 'node:url';

const [modulePath, exportName, json] = process.argv.slice(2);
const send = (msg) => new Promise((resolve) => process.send(msg, resolve));
const acks = [];
process.on('message', (m) => m?.type === 'ack' && acks.shift()?.());
const mark = async (name) => {
  const acked = new Promise((r) => acks.push(r));
  const c = process.cpuUsage();
  await send({ type: 'mark', name, cpuMs: (c.user + c.system) / 1000, userMs: c.user / 1000, systemMs: c.system / 1000 });
  await acked;
};

try {
  const mod = await import(pathToFileURL(modulePath).href);
  const fn = mod[exportName];
  if (typeof fn !== 'function') throw new Error(`${modulePath} has no export ${exportName}`);
  await mark('call-start');
  const value = await fn(JSON.parse(json), (message) => send({ type: 'notify', message }), mark);
  await mark('call-end');
  await send({ type: 'result', value });
  process.exit(0);
} catch (err) {
  await send({ type: 'error', message: err?.stack || String(err) });
  process.exit(1);
}
