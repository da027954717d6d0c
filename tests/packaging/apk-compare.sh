#!/bin/bash
# Alpine: the file lists that apkbuild/APKBUILD's package() and split functions produce (through
# scripts/apkbuild-shim.sh) must match the .debs', apart from what each init system and distribution adds:
# systemd units, tmpfiles.d, sysusers.d and lintian overrides (deb) versus OpenRC init.d/conf.d (apk -openrc subpackages), and
# Debian's changelog/copyright, gzip'ed man pages and zsh directory.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
for p in linux-patch-api linux-patch-manager; do
  deb=$(ls "$DIST"/${p}_*_amd64.deb | grep -v rebuild | head -1)
  [ -f "$deb" ] && [ -f "$DIST/apk/$p.files" ] || { fail "$p: need $DIST/apk/$p.files and the .deb"; continue; }
  dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $6}' | sed 's#^\./#/#' \
    | grep -v -E '^/lib/systemd/|^/usr/share/lintian/|^/usr/lib/(tmpfiles|sysusers)\.d/|/usr/share/doc/[^/]+/(changelog|copyright)' \
    | sed -E 's#\.1\.gz$#.1#; s#/usr/share/zsh/vendor-completions/#/usr/share/zsh/site-functions/#' | sort >"$WORK/$p.deb.list"
  awk '{print $1}' "$DIST/apk/$p.files" | while read -r f; do [ -d "$DIST/apk/$p$f" ] || echo "$f"; done | sort >"$WORK/$p.apk.list"
  if diff -u "$WORK/$p.deb.list" "$WORK/$p.apk.list" >"$WORK/$p.list.diff"; then
    ok "$p: apk file list = deb file list ($(wc -l <"$WORK/$p.apk.list") files)"
  else fail "$p: file lists differ:"; cat "$WORK/$p.list.diff"; fi
  check "$p-openrc: init.d script and conf.d file" test -x "$DIST/apk/$p-openrc/etc/init.d/$p" -a -f "$DIST/apk/$p-openrc/etc/conf.d/$p"
  check "$p-openrc: script is an openrc-run script" grep -q '^#!/sbin/openrc-run' "$DIST/apk/$p-openrc/etc/init.d/$p"
done
expect_eq "$(awk '$1=="/etc/linux_patch_api/certs"{print $2}' "$DIST/apk/linux-patch-api.files")" 700 "apk: agent certs directory 0700"
say "apk file lists: $FAILS failure(s)"
exit $(( FAILS > 0 ))
