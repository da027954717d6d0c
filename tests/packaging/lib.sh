# Sourced by the package tests: paths, assertions, and a Debian bookworm root booted with systemd as PID 1
# under systemd-nspawn (this machine's PID 1 is not systemd and there is no container engine).
# Taken from the verified recipe (../shared/recipes/systemd): --register=no --keep-unit (no host systemd),
# commands run inside through nsenter, no network inside (runtime dependencies are put in at build time).
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=${PKGTEST_WORK:-$SRC/target/pkgtest}
DIST=${DIST:-$SRC/dist}
mkdir -p "$WORK"
FAILS=${FAILS:-0}
T0=$(date +%s)

say() { printf '[%4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
ok() { say "ok: $*"; }
fail() { say "FAIL: $*"; FAILS=$((FAILS + 1)); }
check() { # check "what" cmd...   passes when cmd succeeds
  local what=$1; shift
  if "$@" >/dev/null 2>&1; then ok "$what"; else fail "$what"; fi
}
expect_eq() { # expect_eq actual wanted what
  if [ "$1" = "$2" ]; then ok "$3"; else fail "$3: got [$1] want [$2]"; fi
}
mirror() {
  local m
  m=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
  [ -n "$m" ] || m=$(awk '$1=="deb"{print $2; exit}' /etc/apt/sources.list 2>/dev/null)
  echo "${m:-http://deb.debian.org/debian}"
}

# rootfs NAME "pkg1,pkg2" [hooks...]: a cached bookworm minbase root at $WORK/NAME (rebuilt when the list
# changes). mmdebstrap needs the Debian archive once (~40 s); later runs reuse the directory.
rootfs() {
  local name=$1 include=$2 dir=$WORK/$1; shift 2
  if [ -f "$dir.stamp" ] && [ "$(cat "$dir.stamp")" = "$include" ] && [ -d "$dir/etc" ]; then
    return 0
  fi
  rm -rf "$dir" "$dir.stamp"
  local attempt
  for attempt in 1 2; do
    if mmdebstrap --variant=minbase --include="$include" \
        --customize-hook='echo testhost > "$1/etc/hostname"' \
        --customize-hook='rm -f "$1/etc/machine-id"; : > "$1/etc/machine-id"' \
        --customize-hook='chroot "$1" passwd -d root' \
        "$@" bookworm "$dir" "deb $(mirror) bookworm main" >"$WORK/$name.mmdebstrap.log" 2>&1; then
      echo "$include" >"$dir.stamp"
      return 0
    fi
    say "mmdebstrap attempt $attempt failed (see $WORK/$name.mmdebstrap.log)"
    rm -rf "$dir"; sleep 3
  done
  return 1
}

# boot ROOTFS NAME: systemd-nspawn -b with an overlay (the cached root stays clean); waits for the system.
boot() {
  local dir=$1 name=$2 run=$WORK/run
  mkdir -p "$run"
  export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1
  setsid systemd-nspawn -D "$dir" -M "$name" -b --register=no --keep-unit --private-network \
    --console=read-only --system-call-filter=bpf --volatile=overlay </dev/null >"$run/console-$name.log" 2>&1 &
  echo $! >"$run/$name.pid"
  # The container's PID 1 is the nspawn process's child; right after the fork that child can still be a
  # short-lived helper, so the pid is looked up again until systemd inside answers.
  local cpid="" state=""
  for _ in $(seq 900); do
    cpid=$(ps -o pid= --ppid "$(cat "$run/$name.pid")" 2>/dev/null | head -1 | tr -d ' ' || true)
    if [ -n "$cpid" ]; then
      state=$(nsenter -t "$cpid" -a systemctl is-system-running 2>/dev/null || true)
      case "$state" in running|degraded) break ;; esac
    fi
    kill -0 "$(cat "$run/$name.pid")" 2>/dev/null || { say "systemd-nspawn exited (see $run/console-$name.log)"; return 1; }
    sleep 0.1
  done
  echo "$cpid" >"$run/$name.pid1"
  say "booted $name: pid1=$cpid state=$state"
  case "$state" in running|degraded) return 0 ;; *) return 1 ;; esac
}

# inside NAME CMD...: run in the booted container (stdin passed through).
inside() {
  local name=$1; shift
  nsenter -t "$(cat "$WORK/run/$name.pid1")" -a \
    env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb "$@"
}

# shutdown NAME: clean poweroff; kills only this container's own nspawn process if that hangs.
shutdown_container() {
  local name=$1 run=$WORK/run p
  p=$(cat "$run/$name.pid" 2>/dev/null) || return 0
  nsenter -t "$(cat "$run/$name.pid1")" -a systemctl poweroff 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$p" 2>/dev/null; then kill -TERM "$p"; sleep 2; kill -KILL "$p" 2>/dev/null || true; fi
  rm -f "$run/$name.pid" "$run/$name.pid1"
}

# wait_for SECONDS cmd...: polls every 0.5 s until cmd succeeds.
wait_for() {
  local n=$(( $1 * 2 )); shift
  for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  return 1
}
