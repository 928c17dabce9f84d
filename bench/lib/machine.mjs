// What the numbers were measured on, and with which versions.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './proc.mjs';

const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));
const quiet = (fn) => {
  try {
    return fn();
  } catch {
    return undefined;
  }
};

export function machine() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model?.trim(),
    cpus: cpus.length,
    memGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} (${os.platform()}/${os.arch()})`,
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** The native addon that the package loads: size, hash, mtime (to notice a rebuild during the run). */
export function addonFingerprint() {
  const file = process.env.NAPI_RS_NATIVE_LIBRARY_PATH || join(REPO_ROOT, `agent-sandbox-sdk.${process.platform}-${process.arch}-gnu.node`);
  return quiet(() => {
    const st = statSync(file);
    const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16);
    return { file: file.startsWith(REPO_ROOT) ? file.slice(REPO_ROOT.length + 1) : file, bytes: st.size, mtime: st.mtime.toISOString(), sha256 };
  });
}

/**
 * Changed or untracked files of the working tree (`git status --porcelain`),
 * leaving out untracked files under bench/results/ (earlier runs' output).
 * Undefined when git is not available.
 */
export function dirtyFiles() {
  const out = quiet(() => execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  if (out === undefined) return undefined;
  return out
    .split('\n')
    .filter(Boolean)
    .filter((l) => !(l.startsWith('?? ') && l.slice(3).startsWith('bench/results/')));
}

export async function versions({ cluster, kubectlPath, kubeconfig }) {
  const git = (args) => quiet(() => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  const kubectl = quiet(() => JSON.parse(execFileSync(kubectlPath, ['version', '--client', '-o', 'json'], { encoding: 'utf8' })).clientVersion.gitVersion);
  return {
    node: process.version,
    package: readJson(join(REPO_ROOT, 'package.json')).version,
    clientNode: readJson(join(REPO_ROOT, 'node_modules/@kubernetes/client-node/package.json')).version,
    kubectl: kubectlPath ? kubectl : undefined,
    kubernetesServer: await cluster.serverVersion().catch(() => undefined),
    agentSandboxController: process.env.AGENT_SANDBOX_VERSION,
    addon: addonFingerprint(),
    addonProfile: process.env.BENCH_ADDON_PROFILE,
    gitCommit: git(['rev-parse', 'HEAD']),
    gitDirtyFiles: dirtyFiles().length,
    kubeconfig,
  };
}
