#!/usr/bin/env bash
# Installs whatever Slipway still needs and builds it; `npm run demo`, `npm test` and
# `npm run bench` start here. Every step is cached, so a second run takes seconds:
#   1. a Docker Engine that answers (installed and started only as root on Debian/Ubuntu);
#   2. npm dependencies (npm ci when node_modules is missing or older than the lockfile);
#   3. the CLI and stack worker bundles (esbuild);
#   4. the Pulumi CLI at the SDK's version (built from its Go modules when missing);
#   5. the base images the example needs (built locally, cached by tag);
#   6. with --editor (npm test): a real VS Code (code-server, with its own Node 24) and
#      Chromium for the end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap-system.sh
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[slipway] installing npm dependencies"
  npm ci --no-audit --no-fund
fi
node scripts/build.mjs
bash scripts/bootstrap-pulumi.sh >/dev/null
bash scripts/bootstrap-images.sh
if [ "${1:-}" = "--editor" ]; then
  bash scripts/bootstrap-editor.sh >/dev/null
fi
