#!/bin/bash
# Runs inside the chroot of openrc.sh (PID 1 of a private PID namespace): our init scripts under openrc-run.
set -u
FAILS=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
check() { local w=$1; shift; if "$@" >/dev/null 2>&1; then ok "$w"; else fail "$w"; fi; }
wait_for() { local n=$(( $1 * 2 )); shift; for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done; return 1; }
listening() { ss -Hltn "sport = :$1" | grep -q LISTEN; }
svc_pid() { pgrep -x -u "$2" "$1" | head -1; }

# OpenRC state for a system that was not booted by it.
mkdir -p /run/openrc/{started,starting,stopping,inactive,wasinactive,failed,hotplugged,daemons,options,exclusive,scheduled,tmp}
echo default >/run/openrc/softlevel
# This chroot has no network service (Alpine's `networking` provides `net`): a stand-in that provides it,
# so our depend() (need net) is resolved and honoured rather than skipped with --nodeps.
cat >/etc/init.d/test-net <<'NET'
#!/sbin/openrc-run
description="test stand-in for the network (loopback is up already)"
depend() { provide net; }
start() { ebegin "test network"; eend 0; }
NET
chmod +x /etc/init.d/test-net
echo 'respawn_delay=1' >>/etc/conf.d/linux-patch-api
echo 'respawn_delay=1' >>/etc/conf.d/linux-patch-manager

# What the Alpine .pre-install does with busybox adduser, with Debian's adduser; then the .post-install.
adduser --system --group --home /var/lib/linux_patch_manager --no-create-home linux-patch-manager >/dev/null
sh /tmp/post-install >/dev/null

# --- agent: not enrolled -> refuses to start with instructions --------------------------------------
out=$(openrc-run /etc/init.d/linux-patch-api start 2>&1)
check "agent refuses to start before enrolment" sh -c "! openrc-run /etc/init.d/linux-patch-api status"
echo "$out" | grep -q -- "--enroll" && ok "start_pre says how to enrol" || fail "start_pre message: $out"

# Certificates as an enrolment or a bundle would leave them (throw-away CA, server and client).
c=/etc/linux_patch_api/certs
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=test-ca \
  -keyout /tmp/ca.key -out $c/ca.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost -keyout $c/server.key \
  -out /tmp/server.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >/tmp/ext
openssl x509 -req -in /tmp/server.csr -CA $c/ca.pem -CAkey /tmp/ca.key -CAcreateserial -days 2 \
  -extfile /tmp/ext -out $c/server.pem 2>/dev/null
chmod 600 $c/server.key

# --- agent: start, status, respawn after kill -9, stop -----------------------------------------------
openrc-run /etc/init.d/linux-patch-api start >/tmp/agent-start.log 2>&1 || { fail "agent start"; cat /tmp/agent-start.log; }
check "agent status: started" openrc-run /etc/init.d/linux-patch-api status
check "depend(): the needed net service was started first" openrc-run /etc/init.d/test-net status
check "agent listening on :12443" wait_for 20 listening 12443
check "agent supervised by supervise-daemon" pgrep -f "supervise-daemon linux-patch-api"
p1=$(svc_pid linux-patch-api root)
kill -9 "$p1"
check "agent respawned after kill -9" wait_for 20 sh -c "p=\$(pgrep -x linux-patch-api); [ -n \"\$p\" ] && [ \"\$p\" != $p1 ]"
check "respawned agent listening" wait_for 20 listening 12443
openrc-run /etc/init.d/linux-patch-api stop >/dev/null 2>&1 || fail "agent stop"
check "agent gone after stop" wait_for 10 sh -c "! pgrep -x linux-patch-api"
check "agent status: stopped" sh -c "! openrc-run /etc/init.d/linux-patch-api status"

# --- manager: start (initdb as its user), status, respawn, stop ---------------------------------------
openrc-run /etc/init.d/linux-patch-manager start >/tmp/mgr-start.log 2>&1 || { fail "manager start"; cat /tmp/mgr-start.log; }
check "manager status: started" openrc-run /etc/init.d/linux-patch-manager status
check "manager listening on :8443" wait_for 90 listening 8443
check "manager runs as linux-patch-manager (command_user)" pgrep -x -u linux-patch-manager linux-patch-man
check "its PostgreSQL runs as linux-patch-manager" pgrep -u linux-patch-manager postgres
p1=$(pgrep -x linux-patch-man | head -1)
kill -9 "$p1"
check "manager respawned after kill -9" wait_for 30 sh -c "p=\$(pgrep -x linux-patch-man); [ -n \"\$p\" ] && [ \"\$p\" != $p1 ]"
check "respawned manager listening" wait_for 60 listening 8443
openrc-run /etc/init.d/linux-patch-manager stop >/dev/null 2>&1 || fail "manager stop"
check "manager gone after stop" wait_for 30 sh -c "! pgrep -x linux-patch-man"
check "manager status: stopped" sh -c "! openrc-run /etc/init.d/linux-patch-manager status"
if pgrep -u linux-patch-manager postgres >/dev/null; then
  echo "note: PostgreSQL still runs after stop: the respawned manager adopted the cluster the killed one started"
  kill "$(head -1 /var/lib/linux_patch_manager/postgres/postmaster.pid)" 2>/dev/null || true
fi
echo "openrc inside: $FAILS failure(s)"
exit $(( FAILS > 0 ))
