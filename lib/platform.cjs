'use strict';
// Platform names as the platform packages use them (linux-x64-gnu,
// darwin-arm64, win32-x64-msvc): of a Rust target triple, and of this
// process. Used by the addon loader's error and by scripts/pack.sh.

/** A Rust target triple as the platform packages name it: linux-x64-gnu, darwin-arm64, win32-x64-msvc. */
function platformOfTarget(triple) {
  const [arch, , os, abi] = triple.split('-');
  const cpu = { x86_64: 'x64', aarch64: 'arm64', i686: 'ia32', armv7: 'arm' }[arch] ?? arch;
  if (os === 'darwin') return `darwin-${cpu}`;
  if (os === 'windows') return `win32-${cpu}-${abi}`;
  return `${os}-${cpu}-${abi}`;
}

/** This process's platform in the same form. */
function thisPlatform() {
  const { platform, arch } = process;
  if (platform === 'darwin') return `darwin-${arch}`;
  if (platform === 'win32') return `win32-${arch}-msvc`;
  if (platform === 'linux') {
    const glibc = typeof process.report?.getReport === 'function' && process.report.getReport().header?.glibcVersionRuntime;
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`;
  }
  return `${platform}-${arch}`;
}

module.exports = { platformOfTarget, thisPlatform };
