#!/usr/bin/env bash
# Packs the npm packages into OUT_DIR (default target/npm-pack): the main
# package, whose package.json gains optionalDependencies on every platform
# package of package.json's napi.targets at its own version (so versions stay
# in step), and this host's platform package with the addon built by
# `napi build` (scripts/env.sh build_addon). Prints the two tarball paths.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
out=${1:-$ROOT/target/npm-pack}
mkdir -p "$out"
out=$(cd "$out" && pwd) # (no realpath -m: BusyBox and macOS have none)
platform=$(node -p "require('./lib/platform.cjs').thisPlatform()")
binary=$ROOT/agent-sandbox-sdk.$platform.node
[[ -f $binary ]] || die "no addon for $platform at $binary: build it first (npm run build)"
[[ -d npm/$platform ]] || die "no platform package npm/$platform"
rm -rf "$out"; mkdir -p "$out/stage/main" "$out/stage/platform"

# The main package: what its `files` lists, package.json with the platform packages.
node -e '
  const fs = require("fs"), path = require("path");
  const { platformOfTarget } = require("./lib/platform.cjs");
  const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));
  const stage = process.argv[1];
  for (const f of [...pkg.files, "LICENSE"]) fs.cpSync(f, path.join(stage, f), { recursive: true });
  pkg.optionalDependencies = Object.fromEntries(pkg.napi.targets.map((t) => [`${pkg.name}-${platformOfTarget(t)}`, pkg.version]));
  delete pkg.devDependencies;
  delete pkg.scripts;
  fs.writeFileSync(path.join(stage, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
' "$out/stage/main"

# This host's platform package, at the main package's version.
cp -r "npm/$platform/." "$out/stage/platform/"
cp LICENSE "$out/stage/platform/"
cp "$binary" "$out/stage/platform/"
node -e '
  const fs = require("fs");
  const file = process.argv[1] + "/package.json";
  const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
  pkg.version = require("./package.json").version;
  fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");
' "$out/stage/platform"

main=$(cd "$out/stage/main" && npm pack --silent --pack-destination "$out")
plat=$(cd "$out/stage/platform" && npm pack --silent --pack-destination "$out")
echo "$out/$main"
echo "$out/$plat"
