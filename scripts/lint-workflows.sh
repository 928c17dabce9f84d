#!/usr/bin/env bash
# Checks .github/workflows with actionlint (expression types, runner labels,
# job graph), built once from the Go module proxy into the cache.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
ACTIONLINT_VERSION=v1.7.12
bin=$AGENT_SANDBOX_SDK_CACHE/actionlint-${ACTIONLINT_VERSION#v}/actionlint
if [[ ! -x $bin ]]; then
  step "building actionlint $ACTIONLINT_VERSION (Go module proxy)"
  GOMODCACHE=$AGENT_SANDBOX_SDK_CACHE/go/mod GOCACHE=$AGENT_SANDBOX_SDK_CACHE/go/build GOBIN=$(dirname "$bin") \
    go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
fi
cd "$ROOT"
"$bin" .github/workflows/*.yml
echo "actionlint $ACTIONLINT_VERSION: no findings in $(ls .github/workflows/*.yml | tr '\n' ' ')"
