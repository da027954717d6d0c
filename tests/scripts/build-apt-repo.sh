#!/bin/sh
# Builds tiny test .debs (dpkg-deb) and two flat apt repositories under WORKDIR:
#   WORKDIR/repo/main      Origin=pmtest Label=pmtest Suite=pmtest-updates:
#                          pmtest-hello 1.0 + 1.1, pmtest-lib 1.0, pmtest-app 1.0 (Depends: pmtest-lib (>= 1.0)),
#                          pmtest-new 1.0 (Depends: pmtest-dep (>= 1.0)), pmtest-dep 1.0,
#                          pmtest-conf 1.0 (conffile /etc/pmtest-conf.conf: `remove` leaves it in state
#                          config-files (rc), `purge` does not),
#                          pmtest-slow 1.0 (postinst: sleep 4),
#                          pmtest-hang 1.0 (postinst: sleep 3600 the FIRST time it is configured in a root, then
#                          exit 0 at once: marker $DPKG_ROOT/var/lib/pmtest-hang/hung-once, then it prints
#                          "pmtest-hang: postinst hangs now"; so a killed install can be repaired by
#                          `dpkg --configure -a` and the root stays usable)
#   WORKDIR/repo/security  Origin=pmtest Label=pmtest-Security Suite=pmtest-security: pmtest-lib 1.0.1
# Only pmtest-slow and pmtest-hang have maintainer scripts (POSIX sh, exit 0), only pmtest-conf a conffile. In a sandbox root dpkg runs them
# with --force-script-chrootless (no chroot: the root has no /bin/sh), where DPKG_ROOT is the root.
# All are Architecture: all, Section: misc, Installed-Size: 8; pmtest-lib has Source: pmtest-libs (1.0.1 with a
# "(version)" suffix, as dpkg writes when source and binary versions differ). apt-get -s prints the Label, e.g.
#   Inst pmtest-lib [1.0] (1.0.1 pmtest-Security:pmtest-security [all])
# Use each as `deb [trusted=yes] file:WORKDIR/repo/NAME ./`. Needs dpkg-deb, dpkg-scanpackages (dpkg-dev)
# and apt-ftparchive (apt-utils). Self-contained: CI clones only this repository.
# Usage: build-apt-repo.sh WORKDIR
set -eu

[ $# -eq 1 ] || { echo "usage: $0 WORKDIR" >&2; exit 2; }
W=$1
case "$W" in /*) ;; *) W=$PWD/$W;; esac
case "$W" in *[[:space:]]*) echo "WORKDIR must not contain whitespace (apt sources lines): [$W]" >&2; exit 2;; esac
for tool in dpkg-deb dpkg-scanpackages apt-ftparchive gzip; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$0: $tool not found (install dpkg-dev apt-utils)" >&2; exit 1; }
done
# A caller's sandbox config is not for apt-ftparchive (it reads APT_CONFIG too).
unset APT_CONFIG

rm -rf "$W/build" "$W/repo"
mkdir -p "$W/build" "$W/repo/main" "$W/repo/security"

mkdeb() { # repo name version [depends] [source] [postinst body] [conffile path]
  d="$W/build/$2_$3"
  mkdir -p "$d/DEBIAN" "$d/usr/share/$2"
  echo "$2 $3" > "$d/usr/share/$2/VERSION"
  {
    echo "Package: $2"
    echo "Version: $3"
    if [ -n "${5:-}" ]; then echo "Source: $5"; fi
    echo "Architecture: all"
    echo "Installed-Size: 8"
    echo "Maintainer: PM Tests <pmtest@example.invalid>"
    echo "Section: misc"
    echo "Priority: optional"
    if [ -n "${4:-}" ]; then echo "Depends: $4"; fi
    echo "Description: pm test package $2 $3"
    echo " Built by linux-patch tests/scripts/build-apt-repo.sh for sandboxed apt tests."
  } > "$d/DEBIAN/control"
  if [ -n "${7:-}" ]; then
    mkdir -p "$d$(dirname "$7")"
    echo "# $2 $3 configuration" > "$d$7"
    echo "$7" > "$d/DEBIAN/conffiles"
  fi
  if [ -n "${6:-}" ]; then
    printf '#!/bin/sh\nset -e\n%s\nexit 0\n' "$6" > "$d/DEBIAN/postinst"
    chmod 0755 "$d/DEBIAN/postinst"
  fi
  dpkg-deb --root-owner-group -Zgzip --build "$d" "$W/repo/$1/$2_$3_all.deb" >/dev/null
}

mkrepo() { # repo origin label suite
  (
    cd "$W/repo/$1"
    dpkg-scanpackages --multiversion . /dev/null > Packages 2>/dev/null
    gzip -9c Packages > Packages.gz
    # Keep Origin/Label fixed across rebuilds: apt refuses an update whose Release changed them.
    apt-ftparchive \
      -o "APT::FTPArchive::Release::Origin=$2" \
      -o "APT::FTPArchive::Release::Label=$3" \
      -o "APT::FTPArchive::Release::Suite=$4" \
      -o "APT::FTPArchive::Release::Codename=$4" \
      release . > ../Release.$1.tmp
    mv ../Release.$1.tmp Release
  )
}

mkdeb main pmtest-hello 1.0
mkdeb main pmtest-hello 1.1
mkdeb main pmtest-lib 1.0 "" pmtest-libs
mkdeb main pmtest-app 1.0 "pmtest-lib (>= 1.0)"
mkdeb main pmtest-dep 1.0
mkdeb main pmtest-new 1.0 "pmtest-dep (>= 1.0)"
mkdeb main pmtest-conf 1.0 "" "" "" /etc/pmtest-conf.conf
mkdeb main pmtest-slow 1.0 "" "" 'sleep 4'
mkdeb main pmtest-hang 1.0 "" "" 'm="${DPKG_ROOT:-}/var/lib/pmtest-hang"
if [ "$1" = configure ] && [ ! -e "$m/hung-once" ]; then
  mkdir -p "$m" && : > "$m/hung-once"
  echo "pmtest-hang: postinst hangs now"
  sleep 3600
fi'
mkdeb security pmtest-lib 1.0.1 "" "pmtest-libs (1.0.1-src)"

mkrepo main pmtest pmtest pmtest-updates
mkrepo security pmtest pmtest-Security pmtest-security
rm -rf "$W/build"
