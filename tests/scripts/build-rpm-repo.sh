#!/bin/sh
# Builds tiny noarch test RPMs (rpmbuild) and two local dnf repositories (createrepo_c) under WORKDIR:
#   WORKDIR/repo/main    with updateinfo (tests/fixtures/dnf/updateinfo.xml, added by modifyrepo_c):
#                        pmtest-hello 1.0-1 + 1.1-1 (PMTEST-2024-0001 security Important, CVE-2024-12345),
#                        pmtest-lib 1.0-1 + 1.0.1-1 (PMTEST-2024-0002 bugfix), pmtest-app 1.0-1
#                        (Requires: pmtest-lib >= 1.0), pmtest-new 1.0-1 (Requires: pmtest-dep), pmtest-dep 1.0-1,
#                        pmtest-epoch 1:1.0-1 + 1:1.1-1 (PMTEST-2024-0003 security Critical, CVE-2024-20001,
#                        CVE-2024-20002), dbus 99.0-1 (a "core" package: once installed after boot,
#                        `dnf needs-restarting -r` says a reboot is needed)
#   WORKDIR/repo/extras  without updateinfo: pmtest-tool 1.0-1 + 2.0-1, pmtest-stuck 1.0-1 whose .rpm file is
#                        replaced by a FIFO after indexing (installing it blocks forever: the time-limit test)
# Every package installs /usr/share/NAME/VERSION and has no scriptlets (rpm runs scriptlets chrooted into the
# installroot, which has no shell). HOME is WORKDIR/home while building: rpmbuild creates $HOME/.rpmdb, and
# the host's ~root/.rpmdb must stay untouched. Needs rpmbuild (rpm), createrepo_c, modifyrepo_c.
# Self-contained: CI clones only this repository.
# Usage: build-rpm-repo.sh WORKDIR
set -eu

[ $# -eq 1 ] || { echo "usage: $0 WORKDIR" >&2; exit 2; }
W=$1
case "$W" in /*) ;; *) W=$PWD/$W;; esac
FIXTURES=$(cd "$(dirname "$0")/../fixtures/dnf" && pwd)
for tool in rpmbuild createrepo_c modifyrepo_c mkfifo; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$0: $tool not found (install rpm createrepo-c)" >&2; exit 1; }
done
export HOME="$W/home"
rm -rf "$W/build" "$W/repo" "$W/home"
mkdir -p "$W/build" "$W/repo/main" "$W/repo/extras" "$W/home"

cat > "$W/build/pmtest.spec" <<'SPEC'
Name:      %{pkgname}
%{?pkgepoch:Epoch: %{pkgepoch}}
Version:   %{pkgver}
Release:   1
Summary:   pm test package %{pkgname}
License:   MIT
BuildArch: noarch
%{?pkgreq:Requires: %{pkgreq}}
%description
pm test package %{pkgname} %{pkgver}, built by tests/scripts/build-rpm-repo.sh.
%install
mkdir -p %{buildroot}/usr/share/%{name}
echo "%{name} %{version}" > %{buildroot}/usr/share/%{name}/VERSION
%files
/usr/share/%{name}/VERSION
SPEC

PIDS=""
mkrpm() { # repo name version [epoch] [requires]   (in the background; each with its own _topdir)
  t="$W/build/$2-$3"
  mkdir -p "$t"
  rpmbuild --quiet --define "_topdir $t" --define "_tmppath $t" --define "_rpmdir $W/repo/$1" --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
    --define "pkgname $2" --define "pkgver $3" ${4:+--define "pkgepoch $4"} ${5:+--define "pkgreq $5"} \
    --define "_build_id_links none" -bb "$W/build/pmtest.spec" > "$t.log" 2>&1 &
  PIDS="$PIDS $!:$t.log"
}
mkrpm main pmtest-hello 1.0
mkrpm main pmtest-hello 1.1
mkrpm main pmtest-lib 1.0
mkrpm main pmtest-lib 1.0.1
mkrpm main pmtest-app 1.0 "" "pmtest-lib >= 1.0"
mkrpm main pmtest-new 1.0 "" "pmtest-dep"
mkrpm main pmtest-dep 1.0
mkrpm main pmtest-epoch 1.0 1
mkrpm main pmtest-epoch 1.1 1
mkrpm main dbus 99.0
mkrpm extras pmtest-tool 1.0
mkrpm extras pmtest-tool 2.0
mkrpm extras pmtest-stuck 1.0
FAILED=0
for p in $PIDS; do
  wait "${p%%:*}" || { echo "rpmbuild failed:" >&2; cat "${p#*:}" >&2; FAILED=1; }
done
[ "$FAILED" -eq 0 ] || exit 1

createrepo_c --quiet "$W/repo/main"
# modifyrepo_c only reads the advisory; it writes <sum>-updateinfo.xml.gz into repodata/
modifyrepo_c --mdtype=updateinfo "$FIXTURES/updateinfo.xml" "$W/repo/main/repodata" >/dev/null
createrepo_c --quiet "$W/repo/extras"
rm "$W/repo/extras/pmtest-stuck-1.0-1.noarch.rpm"
mkfifo "$W/repo/extras/pmtest-stuck-1.0-1.noarch.rpm"
rm -rf "$W/build" "$W/home"
