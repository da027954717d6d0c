#!/bin/bash
# The Arch packages with real pacman into an isolated --root: install (files, backup= entries), upgrade
# (a locally edited backup file is kept), remove (-R keeps edited backup files as .pacsave). Arch's base
# (glibc, openssl, postgresql, pacman) is not there: --assume-installed names each dependency instead.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
D=$WORK/arch; R=$D/root
pkgs=$(ls "$DIST"/linux-patch-{api,manager}-[0-9]*-1-x86_64.pkg.tar.zst)
new_pkgs=$(ls "$DIST"/linux-patch-{api,manager}-[0-9]*-1[0-9]*-x86_64.pkg.tar.zst | grep -v -- '-1-x86_64')
[ -n "$pkgs" ] && [ -n "$new_pkgs" ] || { say "missing Arch packages in $DIST"; exit 1; }
rm -rf "$D" && mkdir -p "$R/var/lib/pacman" "$R/etc" "$D/cache" "$D/hooks" "$D/gnupg"
cat >"$R/etc/pacman.conf" <<CONF
[options]
RootDir = $R
DBPath = $R/var/lib/pacman/
CacheDir = $D/cache/
LogFile = $D/pacman.log
GPGDir = $D/gnupg/
HookDir = $D/hooks/
Architecture = x86_64
SigLevel = Never
CONF
assume=""
for dep in glibc gcc-libs openssl postgresql-libs postgresql pacman; do assume="$assume --assume-installed $dep"; done
pac() { pacman --config "$R/etc/pacman.conf" --root "$R" --noconfirm $assume "$@"; }

say "pacman -U into $R"
pac -U $pkgs >"$D/install.log" 2>&1 && ok "pacman installed both packages" || { fail "pacman -U"; tail -20 "$D/install.log"; exit 1; }
check "binaries installed" test -x "$R/usr/bin/linux-patch-api" -a -x "$R/usr/bin/linux-patch-manager"
check "units installed" test -f "$R/usr/lib/systemd/system/linux-patch-manager.service"
check "sysusers.d and tmpfiles.d installed" test -f "$R/usr/lib/sysusers.d/linux-patch-manager.conf" -a -f "$R/usr/lib/tmpfiles.d/linux-patch-manager.conf"
check "man pages compressed by makepkg" test -f "$R/usr/share/man/man1/linux-patch-manager.1.gz"
check "backup=() lists the config files" sh -c "pacman --config $R/etc/pacman.conf --root $R -Qii linux-patch-manager | grep -q 'etc/linux_patch_manager/config.yaml'"
echo "# local edit" >>"$R/etc/linux_patch_manager/config.yaml"
say "upgrade"
pac -U $new_pkgs >"$D/upgrade.log" 2>&1 || { fail "pacman -U upgrade"; tail -20 "$D/upgrade.log"; }
check "upgraded version installed" sh -c "pacman --config $R/etc/pacman.conf --root $R -Q linux-patch-manager | grep -qv ' 0.1.0-1$'"
check "local edit of a backup file kept" grep -q "local edit" "$R/etc/linux_patch_manager/config.yaml"
say "remove"
pac -R linux-patch-api linux-patch-manager >"$D/remove.log" 2>&1 || fail "pacman -R"
check "binaries gone" test ! -e "$R/usr/bin/linux-patch-manager"
check "edited config saved as .pacsave" test -f "$R/etc/linux_patch_manager/config.yaml.pacsave"
say "arch/pacman: $FAILS failure(s)"
exit $(( FAILS > 0 ))
