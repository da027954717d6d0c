#!/bin/bash
# The OpenRC scripts (apkbuild/*.initd) with Debian's real openrc-run and supervise-daemon, in a Debian
# chroot inside private PID, mount and network namespaces: the trees that apkbuild/APKBUILD's package()
# produced (dist/apk/, through scripts/apkbuild-shim.sh) are copied in, then start, status, respawn after
# kill -9, stop. Not Alpine: busybox, apk and Alpine's openrc build are not available here.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
D=$WORK/openrc
APK=${APK_TREES:-$DIST/apk}
for t in linux-patch-api linux-patch-api-openrc linux-patch-manager linux-patch-manager-openrc; do
  [ -d "$APK/$t" ] || { say "missing $APK/$t (run scripts/packages.sh apk)"; exit 1; }
done
rootfs openrc-root "openrc,postgresql,libpq5,libssl3,procps,iproute2,adduser,openssl,curl,ca-certificates" || exit 1
rm -rf "$D" && mkdir -p "$D/upper" "$D/work" "$D/merged"
cp "$(dirname "$0")/openrc-inside.sh" "$D/inside.sh"
say "chroot with openrc (overlay on $WORK/openrc-root)"
unshare --pid --fork --mount --net --propagation private bash -c '
  set -e
  R=$1/merged
  mount -t overlay overlay -o "lowerdir=$2,upperdir=$1/upper,workdir=$1/work" "$R"
  for t in linux-patch-api linux-patch-api-openrc linux-patch-manager linux-patch-manager-openrc; do
    cp -a "$3/$t/." "$R/"
  done
  cp "$4/apkbuild/linux-patch-manager.post-install" "$R/tmp/post-install"
  cp "$1/inside.sh" "$R/tmp/inside.sh"
  mount -t proc proc "$R/proc"
  mount -t tmpfs tmpfs "$R/run"
  mount --rbind /dev "$R/dev"
  ip link set lo up
  exec chroot "$R" /bin/bash /tmp/inside.sh
' _ "$D" "$WORK/openrc-root" "$APK" "$SRC" 2>&1 | tee "$D/log"
rc=${PIPESTATUS[0]}
say "openrc: $(grep -c '^FAIL' "$D/log") failure(s), rc=$rc"
exit "$rc"
