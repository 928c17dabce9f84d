// CPU of the control plane's processes, read from /proc/<pid>/stat
// (utime + stime: all threads, in clock ticks of 10 ms). The pids come
// from the testenv instance directory: k8s/testenv/up writes
// <instance dir>/pids/<component>.pid and the kubeconfig next to them.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Server-side components counted as "server CPU" (those present). */
export const SERVER_COMPONENTS = ['kube-apiserver', 'etcd', 'conversion-webhook'];
const TICK_MS = 10; // getconf CLK_TCK = 100 on Linux

/** `{component: pid}` for the instance whose kubeconfig this is (empty when not a testenv instance). */
export function serverProcs(kubeconfig) {
  const dir = join(dirname(kubeconfig), 'pids');
  const out = {};
  for (const c of SERVER_COMPONENTS) {
    const f = join(dir, `${c}.pid`);
    if (!existsSync(f)) continue;
    const pid = Number(readFileSync(f, 'utf8').trim());
    if (pid > 0 && procCpuMs(pid) !== undefined) out[c] = pid;
  }
  return out;
}

/** user+system CPU of a process so far (ms), all its threads; undefined when gone. */
export function procCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
    return (Number(f[11]) + Number(f[12])) * TICK_MS; // utime (14), stime (15)
  } catch {
    return undefined;
  }
}

/** `{component: ms}` now, for every process of `procs`. */
export function serverCpu(procs) {
  return Object.fromEntries(Object.entries(procs).map(([c, pid]) => [c, procCpuMs(pid)]));
}
