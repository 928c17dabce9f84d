// One test API for node's test runner, vitest and bun test: the same files
// run under all three. Assertions use node:assert, which works everywhere.
let api;
if (globalThis.Bun) {
  const b = await import('bun:test');
  api = { describe: b.describe, it: b.it, before: b.beforeAll, after: b.afterAll };
} else if (process.env.VITEST) {
  const v = await import('vitest');
  api = { describe: v.describe, it: v.it, before: v.beforeAll, after: v.afterAll };
} else {
  const t = await import('node:test');
  api = { describe: t.describe, it: t.it, before: t.before, after: t.after };
}
export const { describe, it, before, after } = api;
export { default as assert } from 'node:assert/strict';

/** Per-test timeout (ms) given to runners that take one as an argument. */
export const SLOW = 60_000;
