#!/usr/bin/env bash
# Build Slipway's base images locally (no container registry is needed), cached by tag:
#
#   slipway/debian:bookworm   debootstrap --variant=minbase bookworm, imported with
#                             `docker import`; the rootfs tarball is kept in the cache so a
#                             re-import does not run debootstrap again.
#   slipway/node:bookworm     Debian's Node 18 + npm (scripts/images/node/Dockerfile).
#   slipway/postgres:15       Debian's PostgreSQL 15 with an entrypoint that behaves like the
#                             official image's essentials (scripts/images/postgres/).
#   slipway/busybox:local     the host's static /bin/busybox and its applet links.
#
# An image that `docker image inspect` already finds is not rebuilt (slipway/node and
# slipway/postgres: unless their folder under scripts/images/ changed), so a second run takes
# about a second. Prints one line per image: "cached" or "built in Ns". Every image carries
# the label dev.slipway.base=true. Needs an engine that answers (scripts/bootstrap-system.sh).
#
# Environment:
#   SLIPWAY_CACHE    cache folder (default ${XDG_CACHE_HOME:-$HOME/.cache}/slipway); the
#                    rootfs tarball lives in $SLIPWAY_CACHE/images/.
#   SLIPWAY_DEBIAN_MIRROR  optional mirror for debootstrap (default: debootstrap's own).
#   SLIPWAY_BUSYBOX  path of a statically linked busybox (default /bin/busybox).
#   SLIPWAY_EXTRA_CA_DIR  folder of extra CA certificates (*.crt) that slipway/node trusts, so
#                    npm works behind a TLS-inspecting proxy (default: the host's locally
#                    added CAs, /usr/local/share/ca-certificates; set it empty for none).
#                    Images are cached by tag and source: `docker rmi slipway/node:bookworm`
#                    after a change of these certificates.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${SLIPWAY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/slipway}
images_cache="$cache/images"
base_label=dev.slipway.base=true

log() { echo "[slipway] $*" >&2; }
die() { log "$*"; exit 1; }
# The one status line per image, on stdout.
report() { printf '[slipway] %-24s %s\n' "$1" "$2"; }

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# Scratch folders made by this run, removed on exit. --one-file-system keeps rm away from
# anything debootstrap may have left mounted (proc, sys) if it failed half-way.
scratch=()
cleanup() {
  local d
  for d in "${scratch[@]}"; do rm -rf --one-file-system "$d" 2>/dev/null || true; done
}
trap cleanup EXIT

if ! docker info >/dev/null 2>&1; then
  die "No Docker Engine answers 'docker info'. Run scripts/bootstrap-system.sh first (it explains what is missing)."
fi

# docker build of scripts/images/<dir>, quiet unless it fails (then its output is shown).
# The build context is a temporary copy of that folder plus extra-ca/ (see
# SLIPWAY_EXTRA_CA_DIR). The CLI may print a deprecation notice about the legacy builder
# when buildx is absent; that is harmless.
build_image() {
  local tag=$1 dir=$2 hash=$3 context out n=0 crt
  context=$(mktemp -d "${TMPDIR:-/tmp}/slipway-image.XXXXXX")
  scratch+=("$context")
  cp -R "$here/images/$dir/." "$context/"
  mkdir -p "$context/extra-ca"
  local ca_dir=${SLIPWAY_EXTRA_CA_DIR-/usr/local/share/ca-certificates}
  if [ -n "$ca_dir" ] && [ -d "$ca_dir" ]; then
    while IFS= read -r -d '' crt; do
      n=$((n + 1))
      cp "$crt" "$context/extra-ca/slipway-extra-$n-$(basename "$crt")"
    done < <(find "$ca_dir" -name '*.crt' -type f -print0)
  fi
  if [ "$n" -gt 0 ] && grep -q 'extra-ca/' "$context/Dockerfile"; then
    log "$tag will trust $n extra CA certificate(s) from $ca_dir"
  fi
  if ! out=$(docker build --force-rm --label "$base_label" --label "dev.slipway.source=$hash" -t "$tag" "$context" 2>&1); then
    printf '%s\n' "$out" | tail -n 40 >&2
    die "docker build of $tag failed (output above)."
  fi
}

# --- slipway/debian:bookworm -------------------------------------------------------------
debian_tag=slipway/debian:bookworm
rootfs_tar="$images_cache/debian-bookworm-minbase.tar"

# Make the minbase rootfs tarball with debootstrap, unless it is cached.
make_rootfs_tar() {
  [ -s "$rootfs_tar" ] && return 0
  if ! command -v debootstrap >/dev/null 2>&1; then
    log "Cannot build $debian_tag: debootstrap is not installed and no cached rootfs exists"
    log "at $rootfs_tar."
    log "  Debian/Ubuntu: run scripts/bootstrap-system.sh as root (or: sudo apt-get install debootstrap),"
    log "  then run this script as root once; elsewhere build on a Debian/Ubuntu machine and copy the"
    log "  tarball to $rootfs_tar."
    exit 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    die "Cannot build $debian_tag: debootstrap needs root (chroot, device nodes). Run this script as root once; the rootfs is then cached in $images_cache."
  fi
  mkdir -p "$images_cache"
  local rootfs t0
  rootfs=$(mktemp -d "$images_cache/rootfs.XXXXXX")
  scratch+=("$rootfs")
  log "debootstrap --variant=minbase bookworm (first run only; cached in $images_cache)"
  t0=$SECONDS
  local args=(--variant=minbase bookworm "$rootfs")
  if [ -n "${SLIPWAY_DEBIAN_MIRROR:-}" ]; then args+=("$SLIPWAY_DEBIAN_MIRROR"); fi
  if ! debootstrap "${args[@]}" >"$rootfs.log" 2>&1; then
    tail -n 30 "$rootfs.log" >&2
    rm -f "$rootfs.log"
    die "debootstrap failed (output above)."
  fi
  rm -f "$rootfs.log"
  # Nothing of the build host's apt state or downloaded packages belongs in the image.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/tmp/*
  tar --numeric-owner -C "$rootfs" -cf "$rootfs_tar.tmp" .
  mv "$rootfs_tar.tmp" "$rootfs_tar"
  log "debootstrap done in $((SECONDS - t0))s ($(du -h "$rootfs_tar" | cut -f1) tarball)"
}

if have_image "$debian_tag"; then
  report "$debian_tag" cached
else
  t0=$SECONDS
  make_rootfs_tar
  docker import \
    --change "LABEL $base_label" \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    - "$debian_tag" <"$rootfs_tar" >/dev/null
  report "$debian_tag" "built in $((SECONDS - t0))s"
fi

# --- images built FROM slipway/debian:bookworm -------------------------------------------
# Each carries the hash of its folder (dev.slipway.source): an image built from other files
# (an older entrypoint) is built again.
source_hash() { (cd "$here/images/$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16); }
for spec in "slipway/node:bookworm node" "slipway/postgres:15 postgres"; do
  tag=${spec% *}
  dir=${spec#* }
  want=$(source_hash "$dir")
  have=$(docker image inspect -f '{{index .Config.Labels "dev.slipway.source"}}' "$tag" 2>/dev/null || true)
  if [ "$have" = "$want" ]; then
    report "$tag" cached
  else
    t0=$SECONDS
    build_image "$tag" "$dir" "$want"
    report "$tag" "built in $((SECONDS - t0))s"
  fi
done

# --- slipway/busybox:local ----------------------------------------------------------------
busybox_tag=slipway/busybox:local
if have_image "$busybox_tag"; then
  report "$busybox_tag" cached
else
  t0=$SECONDS
  bb=${SLIPWAY_BUSYBOX:-/bin/busybox}
  if [ ! -x "$bb" ]; then
    die "Cannot build $busybox_tag: no busybox at $bb. Debian/Ubuntu: apt-get install busybox-static (or set SLIPWAY_BUSYBOX to a static busybox)."
  fi
  if command -v ldd >/dev/null 2>&1 && ldd "$bb" >/dev/null 2>&1; then
    die "Cannot build $busybox_tag: $bb is dynamically linked and cannot run in an empty image. Install busybox-static (it replaces busybox) or set SLIPWAY_BUSYBOX."
  fi
  root=$(mktemp -d "${TMPDIR:-/tmp}/slipway-busybox.XXXXXX")
  scratch+=("$root")
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root"
  chmod 1777 "$root/tmp"
  cp "$bb" "$root/bin/busybox"
  for applet in $("$bb" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  tar --numeric-owner --owner=0 --group=0 -C "$root" -c . |
    docker import \
      --change "LABEL $base_label" \
      --change 'ENV PATH=/bin' \
      --change 'CMD ["sh"]' \
      - "$busybox_tag" >/dev/null
  report "$busybox_tag" "built in $((SECONDS - t0))s"
fi
