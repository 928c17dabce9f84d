#!/usr/bin/env bash
# Profiling helper: builds the release addon with symbols (not stripped) in a
# separate target directory, then runs bench/run.mjs with it (through
# NAPI_RS_NATIVE_LIBRARY_PATH) and the profiling options given, e.g.
#   bash bench/profile.sh --kubeconfig $KC --only stream --perf-record stream-ours
#   bash bench/profile.sh --kubeconfig $KC --only list --cpu-prof list-ours
# then: perf report -i bench/results/profiles/<ts>/<n>-stream-ours.perf.data --no-children
# Nothing in the repository is rebuilt or rewritten; results are not saved.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
cd "$ROOT"
target=$AGENT_SANDBOX_SDK_CACHE/bench-profile-target
step "release addon with symbols in $target"
CARGO_TARGET_DIR=$target cargo build --release --lib -p agent-sandbox-sdk-node \
  --config 'profile.release.strip="none"' --config 'profile.release.debug="line-tables-only"'
cp "$target/release/libagent_sandbox_sdk_node.so" "$target/agent-sandbox-sdk.profiling.node"
source "$ROOT/k8s/testenv/lib.sh"
step "node bench/run.mjs --no-save $*"
NAPI_RS_NATIVE_LIBRARY_PATH="$target/agent-sandbox-sdk.profiling.node" BENCH_ADDON_PROFILE=release+symbols \
  node bench/run.mjs --kubectl "$BIN/kubectl" --no-save "$@"
