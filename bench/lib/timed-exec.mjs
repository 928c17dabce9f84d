// One `true` exec on a side, timed; a non-zero exit is an error.
export async function timedTrue(side, sandbox) {
  const t0 = performance.now();
  const r = await side.exec(sandbox, ['true']);
  const ms = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`exit code ${r.exitCode}`);
  return ms;
}
