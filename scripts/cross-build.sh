#!/usr/bin/env bash
# Cross-builds the addon for Linux targets this x86_64 host does not run
# natively, then checks each file's ELF machine and C library
# (scripts/check-binary.mjs):
#   bash scripts/cross-build.sh [--release] [TARGET...]
# (default targets: aarch64-unknown-linux-gnu x86_64-unknown-linux-musl).
# Writes target/cross/agent-sandbox-sdk.<platform>.node.
#
# zig is the C compiler (for ring) and the linker, through cargo-zigbuild;
# both come as prebuilt wheels from PyPI. The targets' standard library is
# rust-std of exactly this rustc, from the Rust distribution server,
# sha256-checked against its channel manifest and unpacked into a private
# sysroot given to target crates only (build scripts keep the host's).
# Everything is cached under $AGENT_SANDBOX_SDK_CACHE, keyed by version.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

ZIG_VERSION=0.15.2
CARGO_ZIGBUILD_VERSION=0.24.1
# zig links against its newest glibc unless told: 2.17 is what the gnu
# targets of Rust promise (and what napi-rs's own builds use).
GLIBC_FLOOR=2.17

profile=dev
targets=()
for arg in "$@"; do
  case $arg in
    --release) profile=release ;;
    -*) die "unknown option $arg" ;;
    *) targets+=("$arg") ;;
  esac
done
((${#targets[@]})) || targets=(aarch64-unknown-linux-gnu x86_64-unknown-linux-musl)
require_tools cargo rustc pip python3 curl node

cache=$AGENT_SANDBOX_SDK_CACHE
zig_dir=$cache/ziglang-$ZIG_VERSION
zigbuild_dir=$cache/cargo-zigbuild-$CARGO_ZIGBUILD_VERSION
pip_wheel() { # pip_wheel DIR PACKAGE==VERSION
  [[ -d $1 ]] && return 0
  step "fetching $2 from PyPI"
  rm -rf "$1.tmp"
  pip install --quiet --no-deps --target "$1.tmp" "$2"
  mv "$1.tmp" "$1"
}
pip_wheel "$zig_dir" "ziglang==$ZIG_VERSION"
pip_wheel "$zigbuild_dir" "cargo-zigbuild==$CARGO_ZIGBUILD_VERSION"
export PATH=$zigbuild_dir/bin:$PATH
export PYTHONPATH=$zig_dir${PYTHONPATH:+:$PYTHONPATH} # cargo-zigbuild runs `python3 -m ziglang`
export CARGO_ZIGBUILD_ZIG_PATH=$zig_dir/ziglang/zig
export ZIG_GLOBAL_CACHE_DIR=$cache/zig-cache-$ZIG_VERSION ZIG_LOCAL_CACHE_DIR=$cache/zig-cache-$ZIG_VERSION
export CARGO_ZIGBUILD_CACHE_DIR=$cache/cargo-zigbuild-cache

# rust-std of exactly this compiler for each target.
rust_version=$(rustc --version | awk '{print $2}')
host_sysroot=$(rustc --print sysroot)
host=$(rustc -vV | sed -n 's/^host: //p')
sysroot=$cache/rust-sysroot-$rust_version
mkdir -p "$sysroot/lib/rustlib"
ln -sfn "$host_sysroot/lib/rustlib/$host" "$sysroot/lib/rustlib/$host"
manifest=$sysroot/channel-rust-$rust_version.toml
dist=https://static.rust-lang.org/dist
if [[ ! -s $manifest ]]; then
  step "fetching the Rust $rust_version channel manifest"
  curl -sSf --retry 3 -o "$manifest.tmp" "$dist/channel-rust-$rust_version.toml" ||
    die "cannot fetch $dist/channel-rust-$rust_version.toml: the cross targets' standard library comes from the Rust distribution server"
  mv "$manifest.tmp" "$manifest"
fi
commit=$(rustc -vV | sed -n 's/^commit-hash: //p')
[[ -n $commit && $commit != unknown ]] || die "rustc reports no commit hash: cannot match it to a rust-std release"
grep -q "${commit:0:9}" "$manifest" || die "$manifest does not describe this rustc ($commit)"
for t in "${targets[@]}"; do
  compgen -G "$sysroot/lib/rustlib/$t/lib/libstd-*.rlib" >/dev/null && continue
  if compgen -G "$host_sysroot/lib/rustlib/$t/lib/libstd-*.rlib" >/dev/null; then
    ln -sfn "$host_sysroot/lib/rustlib/$t" "$sysroot/lib/rustlib/$t" # rustup has it already
    continue
  fi
  read -r url sha < <(python3 - "$manifest" "$t" <<'PY'
import sys, tomllib
with open(sys.argv[1], 'rb') as f:
    pkg = tomllib.load(f)['pkg']['rust-std']['target'][sys.argv[2]]
print(pkg['xz_url'], pkg['xz_hash'])
PY
  )
  step "fetching rust-std $rust_version for $t"
  tmp=$(mktemp -d)
  curl -sSf --retry 3 -o "$tmp/std.tar.xz" "$url" || die "cannot fetch $url"
  echo "$sha  $tmp/std.tar.xz" | sha256sum -c --quiet || die "$url: sha256 differs from the channel manifest"
  rm -rf "$sysroot/lib/rustlib/$t.tmp"
  mkdir -p "$sysroot/lib/rustlib/$t.tmp"
  tar -xJf "$tmp/std.tar.xz" -C "$sysroot/lib/rustlib/$t.tmp" --strip-components=5 \
    "rust-std-$rust_version-$t/rust-std-$t/lib/rustlib/$t"
  mv "$sysroot/lib/rustlib/$t.tmp" "$sysroot/lib/rustlib/$t"
  rm -rf "$tmp"
done

# The sysroot goes to target crates only (cargo does not give target
# rustflags to build scripts and proc-macros when --target is set). A musl
# cdylib must link the C library dynamically (-crt-static).
export CARGO_TARGET_DIR=$cache/cargo-target-cross
out=$ROOT/target/cross
mkdir -p "$out"
failed=0
cd "$ROOT"
for t in "${targets[@]}"; do
  var=CARGO_TARGET_$(tr 'a-z-' 'A-Z_' <<<"$t")_RUSTFLAGS
  flags="--sysroot=$sysroot"
  [[ $t == *-musl ]] && flags+=" -C target-feature=-crt-static"
  export "$var=$flags"
  zig_target=$t
  [[ $t == *-linux-gnu ]] && zig_target=$t.$GLIBC_FLOOR
  platform=$(node -p 'require("./lib/platform.cjs").platformOfTarget(process.argv[1])' "$t")
  step "cargo zigbuild $t ($profile)"
  cargo zigbuild --locked --profile "$profile" --lib -p agent-sandbox-sdk-node --target "$zig_target"
  dir=$([[ $profile == dev ]] && echo debug || echo "$profile")
  cp "$CARGO_TARGET_DIR/$t/$dir/libagent_sandbox_sdk_node.so" "$out/agent-sandbox-sdk.$platform.node"
  node scripts/check-binary.mjs "$out/agent-sandbox-sdk.$platform.node" "$t" || failed=1
done
exit $failed
