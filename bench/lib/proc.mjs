// Child processes with deadlines: measurement children (IPC) and plain
// commands (kubectl, import probes). Every child is stopped by its own pid.
import { fork, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverCpu } from './server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const BENCH_DIR = join(here, '..');
export const REPO_ROOT = join(BENCH_DIR, '..');

// Profiling switches (set by run.mjs from --cpu-prof / --perf-stat).
export const profiling = { cpuProfDir: undefined, perfStatDir: undefined, perfRecordDir: undefined, match: undefined };
let childSeq = 0;
// The server processes whose CPU each measurement window records (set by run.mjs).
export const cpuWatch = { procs: {} };

/**
 * The CPU of a child's measured window: between its marks 'start' and the
 * last 'end' (or its whole call without them). Client: the child's own
 * process.cpuUsage(); server: /proc/<pid>/stat of every watched process.
 */
function cpuWindow(marks) {
  const a = marks.find((m) => m.name === 'start') ?? marks.find((m) => m.name === 'call-start');
  const b = marks.findLast((m) => m.name === 'end') ?? marks.find((m) => m.name === 'call-end');
  if (!a || !b) return undefined;
  const server = Object.fromEntries(Object.keys(a.server).map((c) => [c, b.server[c] - a.server[c]]));
  return {
    window: a.name === 'start' ? 'marked' : 'whole call',
    wallMs: b.t - a.t,
    clientMs: b.cpuMs - a.cpuMs,
    clientUserMs: b.userMs - a.userMs,
    clientSystemMs: b.systemMs - a.systemMs,
    serverMs: Object.values(server).reduce((x, y) => x + y, 0),
    server,
  };
}

const live = new Set();
export function killAllChildren() {
  for (const child of live) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {}
  }
}

/**
 * Runs `export(args, notify)` of a bench module in a new Node process.
 * `onNotify(message)` sees what the child reports on the way; the promise
 * resolves with the returned value, or rejects (and kills the child) after
 * `timeoutMs`.
 */
export function runChild(modulePath, exportName, args, { timeoutMs = 120_000, onNotify, execArgv = [], label } = {}) {
  const tag = label ?? `${modulePath.split('/').pop()}-${exportName}`;
  const seq = ++childSeq;
  const wantProfile = profiling.match === undefined || profiling.match.test(tag);
  const nodeArgs = ['--expose-gc', ...execArgv];
  if (profiling.cpuProfDir && wantProfile) {
    mkdirSync(profiling.cpuProfDir, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${profiling.cpuProfDir}`, `--cpu-prof-name=${String(seq).padStart(3, '0')}-${tag}.cpuprofile`);
  }
  const childArgs = [join(here, 'child.mjs'), modulePath, exportName, JSON.stringify(args)];
  let child;
  const name = `${String(seq).padStart(3, '0')}-${tag}`;
  let wrapper; // perf stat or perf record around node, when asked for
  if (profiling.perfStatDir && wantProfile) {
    mkdirSync(profiling.perfStatDir, { recursive: true });
    wrapper = ['perf', 'stat', '-d', '-o', join(profiling.perfStatDir, `${name}.perf-stat.txt`), '--'];
  } else if (profiling.perfRecordDir && wantProfile) {
    mkdirSync(profiling.perfRecordDir, { recursive: true });
    wrapper = ['perf', 'record', '-g', '-F', '999', '-q', '-o', join(profiling.perfRecordDir, `${name}.perf.data`), '--'];
    // JIT frames named in /tmp/perf-PID.map; V8's log of it next to the profile, not in the cwd.
    nodeArgs.push('--perf-basic-prof', '--no-logfile-per-isolate', `--logfile=${join(profiling.perfRecordDir, `${name}.v8.log`)}`);
  }
  if (wrapper) {
    child = spawn(wrapper[0], [...wrapper.slice(1), process.execPath, ...nodeArgs, ...childArgs], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
  } else {
    child = fork(childArgs[0], childArgs.slice(1), { cwd: REPO_ROOT, execArgv: nodeArgs, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  }
  live.add(child);
  const marks = [];
  return new Promise((resolve, reject) => {
    let outcome;
    const timer = setTimeout(() => {
      outcome ??= { error: new Error(`${tag}: no result after ${timeoutMs} ms (child ${child.pid} killed)`) };
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {}
    }, timeoutMs);
    child.on('message', (msg) => {
      if (msg.type === 'mark') {
        marks.push({ ...msg, server: serverCpu(cpuWatch.procs), t: performance.now() });
        child.send({ type: 'ack' });
      } else if (msg.type === 'notify') onNotify?.(msg.message);
      else if (msg.type === 'result') outcome ??= { value: msg.value };
      else if (msg.type === 'error') outcome ??= { error: new Error(`${tag} failed in the child: ${msg.message}`) };
    });
    child.on('error', (err) => {
      outcome ??= { error: err };
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      if (outcome && !outcome.error) {
        const v = outcome.value;
        if (v && typeof v === 'object' && !Array.isArray(v)) v.cpu = cpuWindow(marks);
        resolve(v);
      }
      else reject(outcome?.error ?? new Error(`${tag}: child exited (${code ?? signal}) without a result`));
    });
  });
}

/**
 * Runs a command; resolves `{code, ms, stdout}` (stdout only when `capture`).
 * `stdout: 'null'` sends the output to /dev/null. Kills it after `timeoutMs`.
 */
export function runCommand(cmd, argv, { timeoutMs = 120_000, capture = false, cwd = REPO_ROOT, env } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, argv, { cwd, env, stdio: ['ignore', capture ? 'pipe' : 'ignore', 'pipe'] });
    live.add(child);
    const out = [];
    const err = [];
    child.stdout?.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    const timer = setTimeout(() => {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {}
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      live.delete(child);
      reject(e);
    });
    child.on('close', (code, signal) => {
      const ms = performance.now() - t0;
      clearTimeout(timer);
      live.delete(child);
      const stderr = Buffer.concat(err).toString();
      if (code !== 0) return reject(new Error(`${cmd} ${argv.join(' ')}: exit ${code ?? signal}: ${stderr.slice(-500)}`));
      resolve({ code, ms, stdout: capture ? Buffer.concat(out).toString() : undefined, stderr });
    });
  });
}
