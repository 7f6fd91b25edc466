#!/usr/bin/env bash
# Make sure a Docker Engine answers `docker info`, plus the host tools Slipway's image
# bootstrap, benchmarks and data-masking tests use (busybox-static, debootstrap,
# docker-compose, openssh-server, postgresql).
#
# Behaviour, in order:
#   1. An engine already answers (DOCKER_HOST, the current docker context such as Docker
#      Desktop, Podman's Docker-compatible socket through DOCKER_HOST): the engine is left
#      alone. Nothing else is installed unless we are root on Debian/Ubuntu (step 2).
#   2. Running as root on Debian/Ubuntu (ID or ID_LIKE in /etc/os-release): installs with
#      apt-get only the packages that are missing (docker.io only when no dockerd exists and
#      no engine answers), running `apt-get update` once and only if something is missing,
#      then starts dockerd in the background if no engine answers and polls `docker info`
#      for up to 60 s. A second run installs nothing and takes well under a second.
#   3. Anywhere else (not root, another OS): installs nothing, explains what is missing and
#      how to get it, and exits non-zero when no engine answers. A missing docker-compose
#      or PostgreSQL is only a warning there (the benchmarks and the data-masking tests
#      need them, Slipway itself does not).
#
# Environment:
#   DOCKER_HOST       honoured as the docker CLI honours it.
#   SLIPWAY_CACHE     cache folder (default ${XDG_CACHE_HOME:-$HOME/.cache}/slipway); the
#                     dockerd log goes to /var/log/slipway-dockerd.log, or there if /var/log
#                     is not writable.
set -euo pipefail

log() { echo "[slipway] $*" >&2; }
die() { log "$*"; exit 1; }

cache=${SLIPWAY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/slipway}
# Debian packages Slipway's scripts rely on, each with the command that proves it is there.
# busybox-static is checked through dpkg: a dynamically linked busybox cannot run in an
# empty image. openssh-server provides the sshd that the ssh:// Docker endpoint tests talk to
# (each test runs its own, on 127.0.0.1; the package's service is not needed). postgresql
# gives the data-masking integration tests their private server (initdb, postgres) and pg_dump.
# docker-registry gives the image-pull test its registry (each test runs its own on 127.0.0.1;
# the package's service, which would listen on every address, is stopped and disabled).
tool_packages=(busybox-static debootstrap docker-compose openssh-server postgresql docker-registry)

# True when `docker info` answers within 20 s (a DOCKER_HOST pointing at a dead TCP endpoint
# must not hang the script).
engine_answers() {
  command -v docker >/dev/null 2>&1 || return 1
  if command -v timeout >/dev/null 2>&1; then
    timeout 20 docker info >/dev/null 2>&1
  else
    docker info >/dev/null 2>&1
  fi
}

# The error `docker info` prints, for diagnosis (empty if it answered).
engine_error() {
  if command -v timeout >/dev/null 2>&1; then
    { timeout 20 docker info >/dev/null; } 2>&1 || true
  else
    { docker info >/dev/null; } 2>&1 || true
  fi
}

# True on Debian, Ubuntu and their derivatives (same package names).
is_debian_like() {
  [ -r /etc/os-release ] || return 1
  local id id_like
  # shellcheck disable=SC1091  # a system file, read in a subshell so nothing leaks
  id=$(. /etc/os-release && echo "${ID:-}")
  # shellcheck disable=SC1091
  id_like=$(. /etc/os-release && echo "${ID_LIKE:-}")
  case " $id $id_like " in
    *" debian "* | *" ubuntu "*) return 0 ;;
    *) return 1 ;;
  esac
}

# The folder holding PostgreSQL's server binaries (initdb, postgres), newest version first;
# fails when there is none.
postgres_bin_dir() {
  local d
  if command -v initdb >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
    return 0
  fi
  while IFS= read -r d; do
    if [ -x "$d/initdb" ] && [ -x "$d/postgres" ]; then echo "$d"; return 0; fi
  done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r)
  return 1
}

pkg_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

# A package is "missing" when neither dpkg nor PATH provides what we use from it.
pkg_missing() {
  case "$1" in
    busybox-static) ! pkg_installed busybox-static ;;
    debootstrap) ! command -v debootstrap >/dev/null 2>&1 && ! pkg_installed debootstrap ;;
    docker-compose) ! command -v docker-compose >/dev/null 2>&1 ;;
    postgresql) ! postgres_bin_dir >/dev/null ;;
    docker-registry) ! command -v docker-registry >/dev/null 2>&1 ;;
    docker.io) ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1 ;;
    *) ! pkg_installed "$1" ;;
  esac
}

# DOCKER_HOST unset, or pointing at the default socket that a local dockerd would create.
uses_default_socket() {
  case "${DOCKER_HOST:-}" in
    "" | unix:///var/run/docker.sock | unix:///run/docker.sock) return 0 ;;
    *) return 1 ;;
  esac
}

dockerd_running() {
  if command -v pidof >/dev/null 2>&1; then
    pidof dockerd >/dev/null 2>&1
  elif command -v pgrep >/dev/null 2>&1; then
    pgrep -x dockerd >/dev/null 2>&1
  else
    return 1
  fi
}

# Poll `docker info` once a second for up to $1 seconds.
wait_for_engine() {
  local deadline=$((SECONDS + $1))
  while [ "$SECONDS" -lt "$deadline" ]; do
    engine_answers && return 0
    sleep 1
  done
  engine_answers
}

# Start the local Docker daemon: through systemd when it is the init system, else dockerd in
# the background (detached, so it outlives this script), logging to a file.
start_dockerd() {
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    log "starting the docker service (systemctl start docker)"
    systemctl start docker || log "systemctl start docker failed; see: journalctl -u docker"
    return 0
  fi
  local logfile=/var/log/slipway-dockerd.log
  if ! { : >>"$logfile"; } 2>/dev/null; then
    mkdir -p "$cache"
    logfile="$cache/dockerd.log"
  fi
  log "starting dockerd in the background (log: $logfile)"
  # Docker's default address pools hold 31 networks, and every environment has one: /24 networks
  # from 10.210.0.0/16 let one engine hold 256 (docker0 keeps 172.17.0.0/16).
  local pools=(--default-address-pool base=172.17.0.0/16,size=16 --default-address-pool base=10.210.0.0/16,size=24)
  if command -v setsid >/dev/null 2>&1; then
    setsid dockerd "${pools[@]}" >>"$logfile" 2>&1 </dev/null &
  else
    nohup dockerd "${pools[@]}" >>"$logfile" 2>&1 </dev/null &
  fi
  DOCKERD_LOG=$logfile
}

# Explain, without installing anything, why no engine answers and how to fix it.
explain_missing_engine() {
  local err
  err=$(engine_error)
  log "No Docker Engine answers 'docker info'."
  if ! command -v docker >/dev/null 2>&1; then
    if command -v podman >/dev/null 2>&1; then
      log "Podman is installed but the 'docker' CLI is not. Install the docker CLI (Debian/Ubuntu: podman-docker"
      log "or docker-ce-cli), enable Podman's socket and point DOCKER_HOST at it:"
      log "  systemctl --user enable --now podman.socket"
      log "  export DOCKER_HOST=unix://\$XDG_RUNTIME_DIR/podman/podman.sock"
    else
      log "The docker CLI is not installed. Install one of:"
      log "  - Docker Engine: https://docs.docker.com/engine/install/ (Debian/Ubuntu as root: apt-get install docker.io,"
      log "    or run this script as root to do it)"
      log "  - Docker Desktop (macOS, Windows, Linux): https://docs.docker.com/desktop/"
      log "  - Podman with its Docker-compatible socket: systemctl --user enable --now podman.socket,"
      log "    export DOCKER_HOST=unix://\$XDG_RUNTIME_DIR/podman/podman.sock, plus a docker CLI (podman-docker)"
    fi
    return
  fi
  case "$err" in
    *"ermission denied"*)
      log "The Docker socket exists but you may not use it (permission denied)."
      log "Add yourself to the docker group, then log out and in again (or run 'newgrp docker'):"
      log "  sudo usermod -aG docker \"\$USER\""
      return
      ;;
  esac
  if [ -z "${DOCKER_HOST:-}" ] && [ -n "${XDG_RUNTIME_DIR:-}" ] && [ -S "$XDG_RUNTIME_DIR/podman/podman.sock" ]; then
    log "Podman's socket exists at $XDG_RUNTIME_DIR/podman/podman.sock but DOCKER_HOST does not point at it:"
    log "  export DOCKER_HOST=unix://\$XDG_RUNTIME_DIR/podman/podman.sock"
    return
  fi
  if [ -n "${DOCKER_HOST:-}" ]; then
    log "DOCKER_HOST=$DOCKER_HOST does not answer. Start the engine it points at, or unset DOCKER_HOST."
  elif command -v dockerd >/dev/null 2>&1; then
    log "Docker Engine is installed but its daemon is not running. Start it with:"
    log "  sudo systemctl start docker     (or, without systemd: sudo dockerd >/var/log/dockerd.log 2>&1 &)"
  else
    log "The docker CLI is installed but no engine runs. Start Docker Desktop, or install Docker Engine"
    log "(https://docs.docker.com/engine/install/), or use Podman's socket through DOCKER_HOST."
  fi
  if [ -n "$err" ]; then log "docker info said: $(printf '%s' "$err" | tail -n 1)"; fi
}

if [ "$(id -u)" -eq 0 ] && is_debian_like; then
  # --- root on Debian/Ubuntu: install what is missing, start the daemon if needed. ---
  answered=false
  engine_answers && answered=true
  missing=()
  for p in "${tool_packages[@]}"; do
    if pkg_missing "$p"; then missing+=("$p"); fi
  done
  if ! $answered && pkg_missing docker.io; then missing=(docker.io "${missing[@]}"); fi

  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing with apt-get: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
    log "installed: ${missing[*]}"
    if [[ " ${missing[*]} " == *" docker-registry "* ]] && command -v systemctl >/dev/null 2>&1; then
      systemctl disable --now docker-registry >/dev/null 2>&1 || true
    fi
  fi

  if $answered; then
    log "Docker Engine answers (nothing to start)"
    exit 0
  fi
  if ! uses_default_socket; then
    die "DOCKER_HOST=$DOCKER_HOST does not answer, and a local dockerd would not listen there. Start that engine, or unset DOCKER_HOST to use a local dockerd."
  fi
  DOCKERD_LOG=""
  if dockerd_running; then
    log "dockerd is already running but does not answer yet; waiting for it"
  else
    start_dockerd
  fi
  if wait_for_engine 60; then
    log "Docker Engine answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
    exit 0
  fi
  log "Docker Engine did not answer within 60 s."
  if [ -n "$DOCKERD_LOG" ] && [ -r "$DOCKERD_LOG" ]; then
    log "last lines of $DOCKERD_LOG:"
    tail -n 20 "$DOCKERD_LOG" >&2
  fi
  explain_missing_engine
  exit 1
fi

# --- a user's machine: install nothing, explain. ---
if ! command -v docker-compose >/dev/null 2>&1; then
  log "warning: docker-compose (v1 binary) is not installed; only the benchmarks need it"
  log "  (Debian/Ubuntu: apt-get install docker-compose; elsewhere: https://docs.docker.com/compose/install/)"
fi
if ! command -v docker-registry >/dev/null 2>&1; then
  log "warning: docker-registry is not installed; only the image-pull test needs it"
  log "  (Debian/Ubuntu: apt-get install docker-registry, then systemctl disable --now docker-registry)"
fi
if ! postgres_bin_dir >/dev/null; then
  log "warning: PostgreSQL (initdb, postgres) is not installed; only the data-masking tests need it"
  log "  (Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql@15;"
  log "  elsewhere: https://www.postgresql.org/download/)"
fi
if engine_answers; then
  log "Docker Engine answers (nothing to do)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ] && is_debian_like; then
  log "(Run this script as root on Debian/Ubuntu to install and start Docker Engine automatically.)"
fi
explain_missing_engine
exit 1
