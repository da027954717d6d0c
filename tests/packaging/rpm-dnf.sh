#!/bin/bash
# The RPMs with real dnf into an --installroot: install (scriptlets create the user; owners, modes and
# %config files as the spec says), upgrade to a higher release (%config(noreplace) keeps local edits),
# erase (data kept: RPM has no purge). The installroot is a Debian minimal root (/bin/sh, getent, useradd
# for the scriptlets) with an empty rpmdb; what our packages require from a Fedora base (libc, libssl,
# libpq, postgresql-server, shadow-utils) is provided by a stub package built here and named as such.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
export HOME=/root   # Debian's rpm keeps its database in ~/.rpmdb (ROOT/root/.rpmdb in an installroot)
D=$WORK/rpm; R=$D/root
rpms=$(ls "$DIST"/linux-patch-{api,manager}-[0-9]*.x86_64.rpm | grep -v rebuild)
new_rpms=$(ls "$DIST"/linux-patch-{api,manager}-*rebuild*.x86_64.rpm)
[ -n "$rpms" ] && [ -n "$new_rpms" ] || { say "missing rpms in $DIST"; exit 1; }

rootfs rpm-base "passwd,libc-bin" --variant=essential || exit 1
rm -rf "$D" && mkdir -p "$D/repo" "$D/stub/SPECS"
cp -a "$WORK/rpm-base" "$R"

# The stub: Provides exactly what our packages require and an empty root lacks.
reqs=$(for f in $rpms $new_rpms; do rpm -qp --requires "$f"; done | grep -v '^rpmlib(' | grep -v '^linux-patch' | sort -u)
{ echo "Name: lp-test-fedora-base-stub"; echo "Version: 1"; echo "Release: 1"; echo "Summary: test stub"
  echo "License: none"; echo "BuildArch: noarch"
  # A rich dependency "(dnf or yum or rpm)" is satisfied by its first alternative.
  while read -r r; do [ -n "$r" ] && echo "Provides: $r"; done <<<"$(sed '/^(/{s/^(//; s/ or .*//; s/)$//}' <<<"$reqs")"
  printf '%%description\nStands for the Fedora base system in a test installroot.\n%%files\n'; } >"$D/stub/SPECS/stub.spec"
rpmbuild -bb --define "_topdir $D/stub" "$D/stub/SPECS/stub.spec" >"$D/stub.log" 2>&1 || { fail "stub rpm"; cat "$D/stub.log"; exit 1; }
cp "$D"/stub/RPMS/noarch/*.rpm $rpms "$D/repo/"
createrepo_c -q "$D/repo"
dnf_() { dnf -y --releasever=test --refresh --noplugins --installroot="$R" --setopt=reposdir=/dev/null --setopt=cachedir="$D/cache" \
  --setopt=install_weak_deps=False --repofrompath="lp,file://$D/repo" --setopt=lp.gpgcheck=0 "$@"; }

say "dnf install into $R"
if dnf_ install lp-test-fedora-base-stub linux-patch-api linux-patch-manager >"$D/install.log" 2>&1; then
  ok "dnf installed linux-patch-api and linux-patch-manager"
else fail "dnf install"; tail -30 "$D/install.log"; exit 1; fi
check "scriptlet created the manager's system user" grep -q '^linux-patch-manager:' "$R/etc/passwd"
# Owners as numbers: the names live in the installroot's /etc/passwd, not this machine's.
uid=$(awk -F: '$1=="linux-patch-manager"{print $3}' "$R/etc/passwd"); gid=$(awk -F: '$1=="linux-patch-manager"{print $4}' "$R/etc/passwd")
expect_eq "$(stat -c '%u %a' "$R/var/lib/linux_patch_manager")" "$uid 750" "state directory owned by the manager's user, 0750"
expect_eq "$(stat -c '%u:%g %a' "$R/etc/linux_patch_manager/config.yaml")" "0:$gid 640" "manager config root:linux-patch-manager 0640"
expect_eq "$(stat -c '%a' "$R/etc/linux_patch_api/certs")" 700 "agent certs directory 0700"
check "unit files installed" test -f "$R/usr/lib/systemd/system/linux-patch-manager.service" -a -f "$R/usr/lib/systemd/system/linux-patch-api.service"
check "man pages installed" sh -c "ls $R/usr/share/man/man1/linux-patch-manager*.1* >/dev/null"
check "first-run text printed by %post" grep -q "user create --admin admin" "$D/install.log"
check "config files are %config(noreplace)" sh -c "rpm --root $R -qc linux-patch-manager | grep -q /etc/linux_patch_manager/config.yaml"

say "upgrade (%config(noreplace) keeps the local edit)"
echo "# local edit" >>"$R/etc/linux_patch_manager/config.yaml"
echo data >"$R/var/lib/linux_patch_manager/keep-me"
cp $new_rpms "$D/repo/" && createrepo_c -q --update "$D/repo"
dnf_ upgrade linux-patch-api linux-patch-manager >"$D/upgrade.log" 2>&1 || { fail "dnf upgrade"; tail -20 "$D/upgrade.log"; }
check "upgraded release installed" sh -c "rpm --root $R -q linux-patch-manager | grep -q rebuild"
check "local config edit kept" grep -q "local edit" "$R/etc/linux_patch_manager/config.yaml"

say "erase (data kept)"
dnf_ remove linux-patch-api linux-patch-manager >"$D/remove.log" 2>&1 || fail "dnf remove"
check "binaries gone" test ! -e "$R/usr/bin/linux-patch-manager"
check "manager data kept on erase" test -f "$R/var/lib/linux_patch_manager/keep-me"
say "rpm/dnf: $FAILS failure(s)"
exit $(( FAILS > 0 ))
