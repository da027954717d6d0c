#!/bin/sh
# Installs one package's files into DESTDIR in the layout every native package shares (debian/rules,
# rpm/linux-patch.spec, PKGBUILD and apkbuild/APKBUILD all call this, so their file lists agree).
#
#   pkg-install-tree.sh api|manager DESTDIR
#
# env: PREBUILT   directory with the release binaries (default target/release)
#      GENERATED  output of gen-cli-docs: man/ and completions/ (default target/cli-docs)
#      INIT       systemd (units, sysusers.d, tmpfiles.d; default) | openrc (init.d/conf.d) | none (debhelper
#                 installs the systemd files itself)
#      UNITDIR    default /usr/lib/systemd/system;  ZSHDIR  default /usr/share/zsh/site-functions
set -eu
[ $# -eq 2 ] || { echo "usage: $0 api|manager DESTDIR" >&2; exit 2; }
what=$1; dest=$2
src=$(cd "$(dirname "$0")/.." && pwd)
PREBUILT=${PREBUILT:-$src/target/release}
GENERATED=${GENERATED:-$src/target/cli-docs}
INIT=${INIT:-systemd}
UNITDIR=${UNITDIR:-/usr/lib/systemd/system}
ZSHDIR=${ZSHDIR:-/usr/share/zsh/site-functions}
case $what in
  api) bin=linux-patch-api; etc=etc/linux_patch_api ;;
  manager) bin=linux-patch-manager; etc=etc/linux_patch_manager ;;
  *) echo "$0: unknown package part '$what' (api|manager)" >&2; exit 2 ;;
esac
[ -x "$PREBUILT/$bin" ] || { echo "$0: $PREBUILT/$bin missing: build with cargo build --release first" >&2; exit 1; }
[ -f "$GENERATED/man/$bin.1" ] || { echo "$0: $GENERATED/man/$bin.1 missing: run gen-cli-docs first" >&2; exit 1; }

install -D -m 0755 "$PREBUILT/$bin" "$dest/usr/bin/$bin"
for page in "$GENERATED"/man/"$bin".1 "$GENERATED"/man/"$bin"-*.1; do
  if [ -f "$page" ]; then install -D -m 0644 "$page" "$dest/usr/share/man/man1/$(basename "$page")"; fi
done
install -D -m 0644 "$GENERATED/completions/bash/$bin" "$dest/usr/share/bash-completion/completions/$bin"
install -D -m 0644 "$GENERATED/completions/zsh/_$bin" "$dest$ZSHDIR/_$bin"
install -D -m 0644 "$GENERATED/completions/fish/$bin.fish" "$dest/usr/share/fish/vendor_completions.d/$bin.fish"

if [ "$what" = api ]; then
  install -D -m 0644 "$src/docs/examples/config.yaml" "$dest/$etc/config.yaml"
  install -D -m 0644 "$src/debian/whitelist.yaml" "$dest/$etc/whitelist.yaml"
else
  install -D -m 0640 "$src/docs/examples/manager-config.yaml" "$dest/$etc/config.yaml"
fi
install -D -m 0644 "$src/debian/first-run-$what.txt" "$dest/usr/share/doc/$bin/FIRST-RUN"

case $INIT in
  systemd)
    install -D -m 0644 "$src/debian/$bin.service" "$dest$UNITDIR/$bin.service"
    install -D -m 0644 "$src/debian/$bin.tmpfiles" "$dest/usr/lib/tmpfiles.d/$bin.conf"
    if [ -f "$src/debian/$bin.sysusers" ]; then
      install -D -m 0644 "$src/debian/$bin.sysusers" "$dest/usr/lib/sysusers.d/$bin.conf"
    fi
    ;;
  openrc)
    install -D -m 0755 "$src/apkbuild/$bin.initd" "$dest/etc/init.d/$bin"
    install -D -m 0644 "$src/apkbuild/$bin.confd" "$dest/etc/conf.d/$bin"
    ;;
  none) ;;
  *) echo "$0: INIT must be systemd, openrc or none" >&2; exit 2 ;;
esac
