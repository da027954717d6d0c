#!/bin/bash
# make packages: the native packages this machine can build, into dist/, from ONE release build.
#
#   scripts/packages.sh [deb] [rpm] [arch] [apk]      (default: all four)
#
# deb  dpkg-buildpackage -b (debhelper) + lintian          -> dist/*.deb
# rpm  rpmbuild -bb rpm/linux-patch.spec + rpmlint         -> dist/*.rpm
# arch makepkg (as nobody: makepkg refuses root)           -> dist/*.pkg.tar.zst
# apk  apkbuild/APKBUILD's build()/package() through scripts/apkbuild-shim.sh (no abuild on Debian)
#      -> dist/apk/<subpackage>/ trees + file lists (no .apk file)
# env: PKG_VERSION_SUFFIX=+rebuild1 builds a higher version from the same binaries (the upgrade test);
#      SKIP_CARGO=1 uses target/release as it is.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC"
formats=${*:-deb rpm arch apk}
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
SUFFIX=${PKG_VERSION_SUFFIX:-}
DIST=${DIST:-$SRC/dist}
WORKDIR=$SRC/target/packages
export PREBUILT=$SRC/target/release GENERATED=$SRC/target/cli-docs
mkdir -p "$DIST" "$WORKDIR"

if [ "${SKIP_CARGO:-0}" != 1 ]; then
  cargo build --release --locked --workspace --bins
fi
rm -rf "$GENERATED" && "$PREBUILT/gen-cli-docs" "$GENERATED"

# A copy of what the packaging reads, so builds write nothing into the work tree and dpkg-buildpackage's
# ../ output lands in target/packages/.
stage() { # stage DIR
  rm -rf "$1" && mkdir -p "$1/scripts" "$1/docs"
  cp -a debian rpm apkbuild PKGBUILD "$1/" && cp -a docs/examples "$1/docs/"
  cp -a scripts/pkg-install-tree.sh "$1/scripts/"
}

build_deb() {
  local d=$WORKDIR/deb/linux-patch-$VERSION$SUFFIX
  stage "$d"
  if [ -n "$SUFFIX" ]; then
    { printf 'linux-patch (%s) unstable; urgency=medium\n\n  * Rebuild %s.\n\n -- %s  %s\n\n' \
        "$VERSION$SUFFIX" "$SUFFIX" "Linux Patch maintainers <maintainers@example.invalid>" "$(date -R)"
      cat debian/changelog; } > "$d/debian/changelog"
  fi
  rm -f "$WORKDIR"/deb/*.deb "$WORKDIR"/deb/*.changes "$WORKDIR"/deb/*.buildinfo
  (cd "$d" && dpkg-buildpackage -b -uc -us --no-pre-clean >"$WORKDIR/deb/build.log" 2>&1) \
    || { tail -40 "$WORKDIR/deb/build.log"; exit 1; }
  cp "$WORKDIR"/deb/*.deb "$DIST/"
  echo "deb: $(cd "$WORKDIR/deb" && ls ./*.deb | xargs -n1 basename | tr '\n' ' ')"
  # lintian: clean, or each remaining tag justified in debian/*.lintian-overrides.
  lintian --fail-on error,warning --suppress-tags-from-file /dev/null "$WORKDIR"/deb/*.changes
}

build_rpm() {
  local d=$WORKDIR/rpm
  stage "$d/src"
  rm -rf "$d/rpmbuild" && mkdir -p "$d/rpmbuild"
  HOME=$d rpmbuild -bb "$d/src/rpm/linux-patch.spec" \
    --define "_topdir $d/rpmbuild" --define "srcdir $d/src" \
    --define "pkg_version $VERSION" --define "pkg_release 1${SUFFIX//[^0-9a-z]/.}" \
    --define "prebuilt $PREBUILT" --define "generated $GENERATED" >"$d/build.log" 2>&1 \
    || { tail -40 "$d/build.log"; exit 1; }
  cp "$d"/rpmbuild/RPMS/*/*.rpm "$DIST/"
  echo "rpm: $(cd "$d"/rpmbuild/RPMS && ls ./*/*.rpm | xargs -n1 basename | tr '\n' ' ')"
  rpmlint -r rpm/linux-patch.rpmlintrc "$d"/rpmbuild/RPMS/*/*.rpm
}

build_arch() {
  local d=$WORKDIR/arch
  stage "$d/src"
  # makepkg runs as nobody (it refuses root): it gets its own copy of the binaries and generated docs, and
  # writes only under $d/src.
  mkdir -p "$d/src/prebuilt" && cp -a "$PREBUILT/linux-patch-api" "$PREBUILT/linux-patch-manager" "$d/src/prebuilt/"
  cp -a "$GENERATED" "$d/src/cli-docs"
  chmod -R a+rX "$d" && chown -R nobody "$d/src"
  runuser -u nobody -- env PREBUILT="$d/src/prebuilt" GENERATED="$d/src/cli-docs" SRCROOT="$d/src" \
    PKGVER="$VERSION" PKGREL="1${SUFFIX//[^0-9]/}" HOME="$d/src" PKGDEST="$d/src/out" \
    BUILDDIR="$d/src/build" SRCDEST="$d/src" PKGEXT=.pkg.tar.zst \
    sh -c 'mkdir -p "$PKGDEST" && cd "$SRCROOT" && makepkg --nodeps --noconfirm --force --skipinteg' \
    >"$d/build.log" 2>&1 || { tail -40 "$d/build.log"; exit 1; }
  cp "$d"/src/out/*.pkg.tar.zst "$DIST/"
  echo "arch: $(cd "$d/src/out" && ls ./*.pkg.tar.zst | xargs -n1 basename | tr '\n' ' ')"
}

build_apk() {
  local d=$WORKDIR/apk
  stage "$d/src"
  "$SRC/scripts/apkbuild-shim.sh" "$d/src/apkbuild/APKBUILD" "$d/out"
  rm -rf "$DIST/apk" && cp -a "$d/out" "$DIST/apk"
  echo "apk: trees and file lists in dist/apk/ (abuild/apk-tools are not available on Debian)"
}

# Package builds are reproducible only with one shared mtime.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
for f in $formats; do
  case $f in
    deb) build_deb ;; rpm) build_rpm ;; arch) build_arch ;; apk) build_apk ;;
    *) echo "unknown format $f (deb rpm arch apk)" >&2; exit 2 ;;
  esac
done
ls -l "$DIST"
