#!/bin/sh
# Installs what building and testing the project needs on Debian/Ubuntu (run as root).
# Idempotent: installs only what is missing; apt's first attempt is retried once because the
# first install on a fresh image can fail transiently (docker-clean hook, mirror hiccup).
set -eu

PKGS="build-essential pkg-config libssl-dev openssl curl ca-certificates dpkg-dev apt-utils util-linux \
  dnf dnf-plugins-core rpm createrepo-c pacman-package-manager libarchive-tools zstd \
  postgresql libpq-dev"

missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii'; then
    missing="$missing $p"
  fi
done

if [ -n "$missing" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-prereqs: missing packages:$missing (run as root to install them)" >&2
    exit 1
  fi
  echo "install-prereqs: installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  attempt() { apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing; }
  attempt || { echo "install-prereqs: first attempt failed, retrying once" >&2; sleep 3; attempt; }
else
  echo "install-prereqs: system packages present"
fi

for tool in cargo rustfmt cargo-clippy; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    if command -v rustup >/dev/null 2>&1; then
      rustup component add rustfmt clippy
      break
    fi
    echo "install-prereqs: $tool not found and rustup is not available; install the Rust toolchain (https://rustup.rs)" >&2
    exit 1
  fi
done
echo "install-prereqs: done"
