#!/usr/bin/env bash
# Provide the Pulumi CLI at the exact version of the @pulumi/pulumi SDK in package.json.
#
# Order of preference:
#   1. a `pulumi` already on PATH at that version (a user's own install);
#   2. a cached build under $SLIPWAY_CACHE/pulumi/<version>/bin;
#   3. a build from the Go modules github.com/pulumi/pulumi/{pkg,sdk}/v3 through the Go module
#      proxy (no prebuilt binary can be downloaded on machines without internet access).
#
# Slipway runs Pulumi programs inline through the Automation API: the CLI connects back to
# the SDK's in-process language server, so the `pulumi-language-nodejs` host is not needed.
# Dynamic providers need `pulumi-resource-pulumi-nodejs`, a small shell shim that the sdk
# module ships in nodejs/dist; it is copied next to the CLI.
#
# Prints the bin folder to put on PATH as its last line of stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
version=$(node -p "const p = require('$here/package.json'); (p.devDependencies?.['@pulumi/pulumi'] ?? p.dependencies['@pulumi/pulumi']).replace(/^[^0-9]*/, '')")
cache=${SLIPWAY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/slipway}
bin="$cache/pulumi/v$version/bin"
log() { echo "[slipway] $*" >&2; }

if command -v pulumi >/dev/null 2>&1; then
  have=$(pulumi version 2>/dev/null | sed 's/^v//')
  if [ "$have" = "$version" ] && command -v pulumi-resource-pulumi-nodejs >/dev/null 2>&1; then
    log "using pulumi v$have from PATH"
    dirname "$(command -v pulumi)"
    exit 0
  fi
fi
if [ -x "$bin/pulumi" ] && [ -x "$bin/pulumi-resource-pulumi-nodejs" ]; then
  log "using cached pulumi v$version ($bin)"
  echo "$bin"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  cat >&2 <<MSG
[slipway] The Pulumi CLI v$version is not installed, and Go is not available to build it.
[slipway] Install it with:  curl -fsSL https://get.pulumi.com | sh -s -- --version $version
[slipway] (or see https://www.pulumi.com/docs/install/), then make sure 'pulumi' is on PATH.
MSG
  exit 1
fi

log "building pulumi v$version from Go modules (first run only; cached in $bin)"
# The build resolves exactly what the modules' go.sum files pin, checked against the public
# checksum database, whatever the user's Go environment (GOFLAGS, GOSUMDB, GONOSUMDB, ...) says.
# The cache path above does not depend on any of this, so an existing build stays in use.
export GOFLAGS=-mod=readonly
export GOSUMDB=sum.golang.org
export GONOSUMDB= GOPRIVATE= GOINSECURE=
scratch=$(mktemp -d "${TMPDIR:-/tmp}/slipway-pulumi-build.XXXXXX")
trap 'chmod -R u+w "$scratch" 2>/dev/null; rm -rf "$scratch"' EXIT
dir_of() {
  local out
  out=$(cd "$scratch" && go mod download -json "$1@v$version") || {
    log "go mod download $1@v$version failed:"; echo "$out" | grep '"Error"' >&2; exit 1; }
  echo "$out" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);if(j.Error){console.error(j.Error);process.exit(1)}console.log(j.Dir)})'
}
pkg_dir=$(dir_of github.com/pulumi/pulumi/pkg/v3)
sdk_dir=$(dir_of github.com/pulumi/pulumi/sdk/v3)
# Lay the modules out as in their repository so pkg's `replace => ../sdk` resolves.
cp -r "$pkg_dir" "$scratch/pkg"
cp -r "$sdk_dir" "$scratch/sdk"
chmod -R u+w "$scratch"
mkdir -p "$bin.partial"
ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version"
(cd "$scratch/pkg" && go build -trimpath -ldflags "$ldflags" -o "$bin.partial/pulumi" ./cmd/pulumi)
cp "$scratch/sdk/nodejs/dist/pulumi-resource-pulumi-nodejs" "$bin.partial/"
chmod +x "$bin.partial/"*
rm -rf "$bin" && mv "$bin.partial" "$bin"
log "built $("$bin/pulumi" version)"
echo "$bin"
