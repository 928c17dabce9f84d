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

/**
 * Polls `check` (sync or async) until it returns a truthy value, which is
 * returned; fails naming `what` (and `detail()`, if given) after `timeoutMs`.
 */
export async function until(what, check, { timeoutMs = 30_000, intervalMs = 100, detail } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) {
      const { default: assert } = await import('node:assert/strict');
      assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `: ${detail()}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** `promise`'s outcome, or a failure naming `what` after `timeoutMs`: a test never waits without a deadline. */
export async function within(what, promise, timeoutMs = 30_000) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
