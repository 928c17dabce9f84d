// Entry point of a measurement child process (a fresh heap, one side loaded):
//   node bench/lib/child.mjs <module> <export> <json args>
// The export is called with the args and a `notify(message)` function; its
// return value goes back to the parent over IPC.
import { pathToFileURL } from 'node:url';

const [modulePath, exportName, json] = process.argv.slice(2);
const send = (msg) => new Promise((resolve) => process.send(msg, resolve));

try {
  const mod = await import(pathToFileURL(modulePath).href);
  const fn = mod[exportName];
  if (typeof fn !== 'function') throw new Error(`${modulePath} has no export ${exportName}`);
  const value = await fn(JSON.parse(json), (message) => send({ type: 'notify', message }));
  await send({ type: 'result', value });
  process.exit(0);
} catch (err) {
  await send({ type: 'error', message: err?.stack || String(err) });
  process.exit(1);
}
