#!/bin/bash
# Runs an APKBUILD's build() and package() and its subpackage split functions the way abuild does, because
# abuild and apk-tools are not available on Debian. What it does NOT do: fetch/verify sources, run as the
# unprivileged build user under fakeroot, resolve depends/makedepends, strip, scan shared-library deps,
# create .apk archives or sign them, or run the install scripts (it checks their syntax only).
#
#   apkbuild-shim.sh path/to/APKBUILD OUTDIR
#
# OUTDIR/<package>/ holds each (sub)package's tree, OUTDIR/<package>.files its sorted file list
# (`path mode` per line), OUTDIR/<package>.meta its pkgdesc/depends/install_if.
set -euo pipefail
apkbuild=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
out=$2
rm -rf "$out" && mkdir -p "$out"
out=$(cd "$out" && pwd)
startdir=$(dirname "$apkbuild")
srcdir=$out/.src; builddir=$srcdir; pkgdir=$out/.pkg
mkdir -p "$srcdir" "$pkgdir"
export startdir srcdir builddir pkgdir CARCH=x86_64 CTARGET_ARCH=x86_64

# abuild's helper: move paths (globs allowed) from $pkgdir to $subpkgdir, keeping their place.
amove() {
  local p f
  for p in "$@"; do
    local matched=0
    for f in "$pkgdir"/$p; do
      [ -e "$f" ] || continue
      matched=1
      local rel=${f#"$pkgdir"/}
      mkdir -p "$subpkgdir/$(dirname "$rel")"
      mv "$f" "$subpkgdir/$rel"
    done
    [ $matched = 1 ] || { echo "amove: $p: no such file in \$pkgdir" >&2; return 1; }
  done
}

cd "$startdir"
# shellcheck source=/dev/null
. "$apkbuild"
for f in $install; do sh -n "$startdir/$f"; done
(cd "$builddir" && build)
(cd "$builddir" && package)
for entry in $subpackages; do
  IFS=: read -r subname func _ <<<"$entry"
  subpkgdir=$out/$subname
  mkdir -p "$subpkgdir"
  pkgdesc_main=$pkgdesc depends_main=$depends install_if=
  (cd "$builddir" && "$func" && printf 'pkgdesc=%s\ndepends=%s\ninstall_if=%s\n' "$pkgdesc" "$depends" "$install_if" >"$out/$subname.meta")
  pkgdesc=$pkgdesc_main depends=$depends_main
done
# Whatever is left in $pkgdir is the main package (a meta package here: it should be empty).
left=$(cd "$pkgdir" && find . -type f -o -type l | sed 's#^\./##')
[ -z "$left" ] || { echo "files left in the main package $pkgname: $left" >&2; exit 1; }
for entry in $subpackages; do
  subname=${entry%%:*}
  (cd "$out/$subname" && find . -mindepth 1 \( -type f -o -type l -o -type d -empty \) -printf '/%P %m\n' | sort) >"$out/$subname.files"
  echo "apk $subname: $(wc -l <"$out/$subname.files") entries"
done
rm -rf "$srcdir" "$pkgdir"
