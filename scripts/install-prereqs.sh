#!/bin/sh
# Installs what building and testing the project needs on Debian/Ubuntu (run as root).
# Idempotent: installs only what is missing; apt's first attempt is retried once because the
# first install on a fresh image can fail transiently (docker-clean hook, mirror hiccup).
set -eu

PKGS="build-essential pkg-config libssl-dev openssl curl ca-certificates dpkg-dev apt-utils util-linux \
  dnf dnf-plugins-core rpm createrepo-c pacman-package-manager libarchive-tools zstd \
  postgresql libpq-dev chromium libnss3-tools python3 poppler-utils \
  debhelper lintian rpmlint makepkg systemd-container mmdebstrap"
# poppler-utils (pdftotext, pdfinfo, pdftoppm): the report tests read the PDFs back and render them as PNGs.
# Native packages (make packages, the package tests): debhelper + lintian build and check the .debs, rpm's
# rpmbuild + rpmlint the RPMs, makepkg the Arch package; systemd-container
# (systemd-nspawn) boots Debian with systemd as PID 1 and mmdebstrap builds that root (and an OpenRC chroot).
# The console's browser tests drive Debian's Chromium with playwright-core (npm); node and npm are only
# installed when missing (images often bring newer ones than Debian's).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  PKGS="$PKGS nodejs npm"
fi
# rsyslog: a private rsyslogd is the collector of the remote-syslog tests (never the system service);
# python3-venv: the OpenAPI test's Python tools live in a virtualenv (below);
# python3-aiosmtpd: the real SMTP server (STARTTLS + AUTH) the notification tests start and stop.
PKGS="$PKGS rsyslog python3-venv python3-aiosmtpd"

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
# playwright-core for the browser tests, from package-lock.json. Never `npx playwright install`: the
# tests use /usr/bin/chromium, and that download cannot work without internet.
browser_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
if [ ! -d "$browser_dir/node_modules" ] || [ "$browser_dir/package-lock.json" -nt "$browser_dir/node_modules" ]; then
  echo "install-prereqs: npm ci in tests/browser"
  ci() { (cd "$browser_dir" && npm ci --no-audit --no-fund) && touch "$browser_dir/node_modules"; }
  ci || { echo "install-prereqs: npm ci failed, retrying once" >&2; sleep 3; ci; }
else
  echo "install-prereqs: tests/browser/node_modules up to date"
fi
# oidc-provider (panva) for the SSO tests' Entra-shaped OIDC provider, from tests/oidc/package-lock.json.
oidc_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/oidc"
if [ ! -d "$oidc_dir/node_modules" ] || [ "$oidc_dir/package-lock.json" -nt "$oidc_dir/node_modules" ]; then
  echo "install-prereqs: npm ci in tests/oidc"
  oci() { (cd "$oidc_dir" && npm ci --no-audit --no-fund) && touch "$oidc_dir/node_modules"; }
  oci || { echo "install-prereqs: npm ci in tests/oidc failed, retrying once" >&2; sleep 3; oci; }
else
  echo "install-prereqs: tests/oidc/node_modules up to date"
fi
# The OpenAPI contract test validates openapi.json and generates a client from it with Python tools from
# PyPI, pinned in tests/openapi/{requirements,constraints}.txt, in a virtualenv of their own.
venv="$(cd "$(dirname "$0")/.." && pwd)/tests/openapi/.venv"
reqs="$venv/../requirements.txt"
if [ ! -x "$venv/bin/openapi-python-client" ] || [ "$reqs" -nt "$venv/.installed" ] || [ "$venv/../constraints.txt" -nt "$venv/.installed" ]; then
  echo "install-prereqs: Python tools for the OpenAPI test in tests/openapi/.venv"
  pyinstall() {
    python3 -m venv "$venv" && "$venv/bin/pip" install -q --disable-pip-version-check \
      -r "$reqs" -c "$venv/../constraints.txt" && touch "$venv/.installed"
  }
  pyinstall || { echo "install-prereqs: pip install failed, retrying once" >&2; sleep 3; pyinstall; }
else
  echo "install-prereqs: tests/openapi/.venv up to date"
fi
echo "install-prereqs: done"
