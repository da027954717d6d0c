#!/bin/bash
# make test-packages: build every format this machine can build (one release build, two versions for the
# upgrade tests), then test them: .deb on a real systemd, RPM with dnf --installroot, Arch with
# pacman --root, OpenRC scripts with openrc-run, the APKBUILD's file lists. Prints each test's duration.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$SRC"
rm -rf "$DIST"
# The package tests install into containers, chroots and installroots only: this machine's own package
# databases must not change (the same fingerprint as make unit).
scripts/hostcheck.sh >"$WORK/hostcheck.before"
say "build packages (release build reused; version and +rebuild1)"
scripts/packages.sh deb rpm arch apk >"$WORK/packages.log" 2>&1 || { cat "$WORK/packages.log"; exit 1; }
PKG_VERSION_SUFFIX=+rebuild1 SKIP_CARGO=1 scripts/packages.sh deb rpm arch >"$WORK/packages-rebuild.log" 2>&1 \
  || { cat "$WORK/packages-rebuild.log"; exit 1; }
grep -E '^(deb|rpm|arch|apk):' "$WORK/packages.log"
say "package sizes:"; (cd "$DIST" && ls -l ./*.deb ./*.rpm ./*.pkg.tar.zst | awk '{printf "  %9d  %s\n", $5, $9}')
results=()
for t in deb-systemd rpm-dnf arch-pacman openrc apk-compare; do
  s=$(date +%s)
  "$SRC/tests/packaging/$t.sh" >"$WORK/$t.log" 2>&1; rc=$?
  d=$(( $(date +%s) - s ))
  grep -E '^\[.*(ok|FAIL):|^(ok|FAIL):|systemd-analyze|note:' "$WORK/$t.log" | sed 's/^/    /'
  if [ $rc -eq 0 ]; then results+=("PASS $t ${d}s"); else results+=("FAIL $t ${d}s (log: $WORK/$t.log)"); FAILS=$((FAILS + 1)); fi
done
printf '%s\n' "${results[@]}"
scripts/hostcheck.sh >"$WORK/hostcheck.after"
if diff -u "$WORK/hostcheck.before" "$WORK/hostcheck.after"; then say "host package databases unchanged"
else say "FAIL: the package tests changed this machine's package databases"; FAILS=$((FAILS + 1)); fi
[ -f "$WORK/hardening-scores.txt" ] && say "hardening: $(cat "$WORK/hardening-scores.txt")"
say "package tests: $FAILS failed"
exit $(( FAILS > 0 ))
