#!/bin/bash
# The .deb packages on a real systemd (PID 1 in systemd-nspawn): install both with apt, units active and
# listening, first-run instructions, agent enrolment with the manager, audit events back from journalctl,
# systemd-analyze security scores, upgrade to a higher version, remove (data kept), purge (data gone).
# Needs dist/linux-patch-{api,manager}_*.deb of two versions: VERSION and VERSION+rebuild1.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
NAME=lpdeb
ROOT_PKGS=systemd,systemd-sysv,dbus,iproute2,procps,adduser,postgresql,libpq5,libssl3,curl,ca-certificates
MAX_MANAGER_EXPOSURE=${MAX_MANAGER_EXPOSURE:-2.0}
trap 'shutdown_container $NAME' EXIT

old_api=$(ls "$DIST"/linux-patch-api_*_amd64.deb | grep -v rebuild | head -1)
old_mgr=$(ls "$DIST"/linux-patch-manager_*_amd64.deb | grep -v rebuild | head -1)
new_api=$(ls "$DIST"/linux-patch-api_*rebuild*_amd64.deb | head -1)
new_mgr=$(ls "$DIST"/linux-patch-manager_*rebuild*_amd64.deb | head -1)
for f in "$old_api" "$old_mgr" "$new_api" "$new_mgr"; do [ -f "$f" ] || { say "missing package $f"; exit 1; }; done

say "rootfs (cached at $WORK/$NAME-root)"
rootfs "$NAME-root" "$ROOT_PKGS" || exit 1
boot "$WORK/$NAME-root" "$NAME" || exit 1
copy_in() { inside "$NAME" sh -c "cat > $2" <"$1"; }
for f in "$old_api" "$old_mgr" "$new_api" "$new_mgr"; do copy_in "$f" "/tmp/$(basename "$f")"; done

# --- install -----------------------------------------------------------------------------------------
say "apt install both packages"
inside "$NAME" apt-get install -y "/tmp/$(basename "$old_api")" "/tmp/$(basename "$old_mgr")" \
  >"$WORK/apt-install.log" 2>&1 || { fail "apt install (see $WORK/apt-install.log)"; tail -20 "$WORK/apt-install.log"; exit 1; }
ok "apt installed $(basename "$old_api") and $(basename "$old_mgr")"
check "package output tells how to get the first admin's one-time password" \
  grep -q "runuser -u linux-patch-manager -- linux-patch-manager user create --admin admin" "$WORK/apt-install.log"
check "package output names the console URL" grep -q "https://THIS-HOST:8443" "$WORK/apt-install.log"
check "package output tells how to enrol the agent" grep -q -- "linux-patch-api --enroll https://MANAGER:8443" "$WORK/apt-install.log"

expect_eq "$(inside $NAME systemctl is-active linux-patch-manager)" active "manager unit active after install"
expect_eq "$(inside $NAME systemctl is-enabled linux-patch-manager)" enabled "manager unit enabled"
expect_eq "$(inside $NAME systemctl is-enabled linux-patch-api)" enabled "agent unit enabled"
check "agent unit skipped (not failed) before enrolment" \
  sh -c "[ \"\$(nsenter -t $(cat "$WORK/run/$NAME.pid1") -a systemctl show -P ConditionResult linux-patch-api)\" = no ]"
check "manager listening on :8443 when systemd says it is active (Type=notify)" \
  sh -c "nsenter -t $(cat "$WORK/run/$NAME.pid1") -a ss -Hltn 'sport = :8443' | grep -q LISTEN"
expect_eq "$(inside $NAME stat -c '%U %a' /var/lib/linux_patch_manager)" "linux-patch-manager 750" "state directory owned by the manager, 0750"
expect_eq "$(inside $NAME stat -c '%U:%G %a' /etc/linux_patch_manager/config.yaml)" "root:linux-patch-manager 640" "manager config root:linux-patch-manager 0640"
check "embedded PostgreSQL runs as the manager's user" \
  sh -c "nsenter -t $(cat "$WORK/run/$NAME.pid1") -a ps -o user= -C postgres | sort -u | grep -qx linux-patch-manager"
check "manager process is not root" \
  sh -c "nsenter -t $(cat "$WORK/run/$NAME.pid1") -a ps -o user= -p \$(nsenter -t $(cat "$WORK/run/$NAME.pid1") -a systemctl show -P MainPID linux-patch-manager) | grep -qx linux-patch-manager"
check "conffiles registered" sh -c "nsenter -t $(cat "$WORK/run/$NAME.pid1") -a dpkg-query -W -f='\${Conffiles}' linux-patch-manager | grep -q /etc/linux_patch_manager/config.yaml"
check "man page installed" inside "$NAME" test -f /usr/share/man/man1/linux-patch-manager.1.gz
check "bash completion installed" inside "$NAME" test -f /usr/share/bash-completion/completions/linux-patch-api

# A local package repository for the agent's install job below, in place before the agent runs (the
# agent refreshes apt's index itself when the manager first polls it).
repo=$WORK/lprepo; rm -rf "$repo" && mkdir -p "$repo/pkg/DEBIAN" "$repo/pkg/usr/share/lptest"
printf 'Package: lptest-hello\nVersion: 1.0\nArchitecture: all\nMaintainer: test <test@example.invalid>\nDescription: test package\n' >"$repo/pkg/DEBIAN/control"
echo hello >"$repo/pkg/usr/share/lptest/hello"
dpkg-deb -b -Zgzip "$repo/pkg" "$repo/lptest-hello_1.0_all.deb" >/dev/null
(cd "$repo" && apt-ftparchive packages . >Packages 2>/dev/null)
inside "$NAME" mkdir -p /srv/lprepo
for f in lptest-hello_1.0_all.deb Packages; do copy_in "$repo/$f" "/srv/lprepo/$f"; done
check "local test repository usable by apt" inside "$NAME" sh -c 'rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*; echo "deb [trusted=yes] file:/srv/lprepo ./" >/etc/apt/sources.list.d/lptest.list; apt-get update -qq && apt-cache policy lptest-hello | grep -q "Candidate: 1.0"'

# --- first admin, a failed login ---------------------------------------------------------------------
say "first admin and a failed login"
otp=$(inside "$NAME" runuser -u linux-patch-manager -- linux-patch-manager user create --admin admin | sed -n 's/^one-time password: //p')
[ -n "$otp" ] && ok "first admin created, one-time password printed" || fail "no one-time password"
inside "$NAME" curl -sk -o /dev/null -X POST https://127.0.0.1:8443/api/v1/auth/token \
  -H 'content-type: application/json' -d '{"username":"admin","password":"wrong-password","totp":"000000"}'
check "journal: failed login with USER and SOURCE_IP" wait_for 10 sh -c \
  "nsenter -t $(cat "$WORK/run/$NAME.pid1") -a journalctl -u linux-patch-manager AUDIT_EVENT=auth.login_failed -o json --no-pager | grep -q '\"SOURCE_IP\":\"127.0.0.1\"'"
check "journal: user.create audited with USER=cli" sh -c \
  "nsenter -t $(cat "$WORK/run/$NAME.pid1") -a journalctl AUDIT_EVENT=user.create USER=cli -o json --no-pager | grep -q admin"

# --- enrol the agent ---------------------------------------------------------------------------------
say "enrol the agent with the manager"
fp=$(inside "$NAME" journalctl -u linux-patch-manager -o cat --no-pager | sed -n 's/.*CA fingerprint (SHA-256): //p' | tail -1)
[ -n "$fp" ] && ok "CA fingerprint from the journal" || fail "no CA fingerprint in the journal"
inside "$NAME" sh -c "linux-patch-api --enroll https://127.0.0.1:8443 --ca-fingerprint '$fp' --enroll-ip 127.0.0.1 \
  --enroll-name testhost.test --enroll-poll-secs 1 >/tmp/enroll.log 2>&1 & echo \$! >/tmp/enroll.pid"
wait_for 30 inside "$NAME" sh -c "runuser -u linux-patch-manager -- linux-patch-manager enrollment list | grep -q pending"
inside "$NAME" runuser -u linux-patch-manager -- linux-patch-manager enrollment approve --all --yes >/dev/null
check "enrolment wrote the certificates" wait_for 30 inside "$NAME" test -s /etc/linux_patch_api/certs/server.pem
wait_for 20 inside "$NAME" sh -c "ss -Hltn 'sport = :12443' | grep -q LISTEN"
inside "$NAME" sh -c 'kill -INT $(cat /tmp/enroll.pid); for i in $(seq 50); do kill -0 $(cat /tmp/enroll.pid) 2>/dev/null || exit 0; sleep 0.2; done'
inside "$NAME" systemctl start linux-patch-api
expect_eq "$(inside $NAME systemctl is-active linux-patch-api)" active "agent unit active after enrolment"
check "agent listening on :12443" sh -c "nsenter -t $(cat "$WORK/run/$NAME.pid1") -a ss -Hltn 'sport = :12443' | grep -q LISTEN"
# The approval came from the CLI (its own process, outside the unit): -t (SYSLOG_IDENTIFIER) finds both.
check "journal: enroll.approve by the CLI with HOST_ID (journalctl -t ... HOST_ID=1)" sh -c \
  "nsenter -t $(cat "$WORK/run/$NAME.pid1") -a journalctl -t linux-patch-manager AUDIT_EVENT=enroll.approve HOST_ID=1 -o cat --no-pager | grep -q 'enroll.approve enrollment:1 by cli'"
check "journal: agent.started from the agent's unit" sh -c \
  "nsenter -t $(cat "$WORK/run/$NAME.pid1") -a journalctl -u linux-patch-api AUDIT_EVENT=agent.started -o json --no-pager | grep -q LISTEN"
# The manager's poller calls the agent over mTLS: the agent audits each request.
inside "$NAME" runuser -u linux-patch-manager -- true
check "journal: the manager's requests audited by the agent (http.request)" wait_for 60 sh -c \
  "nsenter -t $(cat "$WORK/run/$NAME.pid1") -a journalctl -u linux-patch-api AUDIT_EVENT=http.request -o json --no-pager | grep -q REQUEST_ID"

# --- a real package job through the sandboxed agent ---------------------------------------------------
# A tiny package in a local flat repository (no network in the container); the manager's own client
# certificate calls POST /packages. This proves the agent's unit hardening still lets apt/dpkg install, and
# gives the journal recipes a package change and a request id that spans request, job queued, job finished.
say "install a package through the agent under its hardened unit"
# The manager's client key is a file in its data directory; its certificate is in the database.
psql_m() { inside "$NAME" runuser -u linux-patch-manager -- psql -At -h /var/lib/linux_patch_manager/run -U postgres linux_patch_manager -c "$1"; }
serial=$(psql_m "select serial from certificates where kind = 'manager_client' and revoked_at is null order by id desc limit 1")
mkey=/var/lib/linux_patch_manager/certs/$serial.key
psql_m "select cert_pem from certificates where serial = '$serial'" >"$WORK/mclient.pem"
copy_in "$WORK/mclient.pem" /root/mclient.pem
# Agents present certificates from the agents' CA (ca/agents-ca.pem), which only the manager trusts.
curl_agent() { inside "$NAME" curl -sS --cert /root/mclient.pem --key "$mkey" --cacert /var/lib/linux_patch_manager/ca/agents-ca.pem "$@"; }
curl_agent -X POST https://127.0.0.1:12443/api/v1/packages -H 'content-type: application/json' \
  -H 'X-Request-ID: pkgtest-install-1' -d '{"packages":["lptest-hello"]}' >"$WORK/install-job.json" 2>&1
job=$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' "$WORK/install-job.json" | head -1)
[ -n "$job" ] && ok "install job accepted ($job)" || fail "install job not accepted"
check "job succeeded under the hardened unit" wait_for 60 sh -c \
  "nsenter -t $(cat "$WORK/run/$NAME.pid1") -a curl -sS --cert /root/mclient.pem --key $mkey --cacert /var/lib/linux_patch_manager/ca/agents-ca.pem https://127.0.0.1:12443/api/v1/jobs/$job | grep -q '\"status\":\"succeeded\"'"
check "the package is installed" inside "$NAME" sh -c "dpkg-query -W -f='\${Status}' lptest-hello | grep -q 'install ok installed'"
check "recipe: every package change on this host (job.finished KIND=install)" wait_for 10 sh -c \
  "nsenter -t $(cat "$WORK/run/$NAME.pid1") -a journalctl -u linux-patch-api AUDIT_EVENT=job.finished KIND=install -o json --no-pager | grep -q lptest-hello"
check "recipe: one request id end to end (request, job queued, job finished)" sh -c \
  "[ \$(nsenter -t $(cat "$WORK/run/$NAME.pid1") -a journalctl -u linux-patch-api REQUEST_ID=pkgtest-install-1 -o json --no-pager | grep -c -E 'http.request|job.queued|job.finished') -ge 3 ]"

# --- hardening ---------------------------------------------------------------------------------------
score() { inside "$NAME" systemd-analyze security "$1" --no-pager 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'; }
mscore=$(score linux-patch-manager.service); ascore=$(score linux-patch-api.service)
for u in linux-patch-manager linux-patch-api; do
  inside "$NAME" systemd-analyze security "$u.service" --no-pager >"$WORK/security-$u.txt" 2>&1 || true
done
say "systemd-analyze security: linux-patch-manager.service $mscore, linux-patch-api.service $ascore"
echo "manager=$mscore agent=$ascore" >"$WORK/hardening-scores.txt"
check "manager exposure $mscore <= $MAX_MANAGER_EXPOSURE" awk -v s="$mscore" -v m="$MAX_MANAGER_EXPOSURE" 'BEGIN{exit !(s != "" && s+0 <= m+0)}'
check "agent exposure measured ($ascore)" test -n "$ascore"

# --- upgrade -----------------------------------------------------------------------------------------
say "upgrade to the rebuilt higher version"
inside "$NAME" sh -c 'echo "# local change kept across upgrades" >> /etc/linux_patch_manager/config.yaml'
before_cert=$(inside "$NAME" sha256sum /etc/linux_patch_api/certs/server.pem)
before_ca=$(inside "$NAME" sha256sum /var/lib/linux_patch_manager/ca/ca.pem)
pid_m=$(inside "$NAME" systemctl show -P MainPID linux-patch-manager); pid_a=$(inside "$NAME" systemctl show -P MainPID linux-patch-api)
inside "$NAME" apt-get install -y "/tmp/$(basename "$new_api")" "/tmp/$(basename "$new_mgr")" >"$WORK/apt-upgrade.log" 2>&1 \
  || { fail "apt upgrade (see $WORK/apt-upgrade.log)"; tail -20 "$WORK/apt-upgrade.log"; }
check "upgraded version installed" sh -c "nsenter -t $(cat "$WORK/run/$NAME.pid1") -a dpkg-query -W -f='\${Version}' linux-patch-manager | grep -q rebuild"
expect_eq "$(inside $NAME systemctl is-active linux-patch-manager linux-patch-api | tr '\n' ' ')" "active active " "both units active after the upgrade"
check "manager restarted by the upgrade" test "$pid_m" != "$(inside "$NAME" systemctl show -P MainPID linux-patch-manager)"
check "agent restarted by the upgrade" test "$pid_a" != "$(inside "$NAME" systemctl show -P MainPID linux-patch-api)"
check "local config change kept" inside "$NAME" grep -q "local change kept" /etc/linux_patch_manager/config.yaml
expect_eq "$(inside $NAME sha256sum /etc/linux_patch_api/certs/server.pem)" "$before_cert" "agent certificate kept"
expect_eq "$(inside $NAME sha256sum /var/lib/linux_patch_manager/ca/ca.pem)" "$before_ca" "manager CA kept"
check "data kept: the admin still exists" sh -c "nsenter -t $(cat "$WORK/run/$NAME.pid1") -a runuser -u linux-patch-manager -- linux-patch-manager user create --admin admin 2>&1 | grep -qi 'exists\|taken'"
check "audit chain intact after the upgrade" inside "$NAME" runuser -u linux-patch-manager -- linux-patch-manager audit verify

# --- audit review recipes (docs/packaging.md) ----------------------------------------------------------
say "audit review recipes"
check "recipe: failed logins of the last day" sh -c \
  "nsenter -t $(cat "$WORK/run/$NAME.pid1") -a journalctl -u linux-patch-manager AUDIT_EVENT=auth.login_failed --since -1d -o cat --no-pager | grep -q 'auth.login_failed user:admin'"
rid=$(inside "$NAME" journalctl -u linux-patch-api AUDIT_EVENT=http.request -o json --no-pager | sed -n 's/.*"REQUEST_ID":"\([^"]*\)".*/\1/p' | tail -1)
check "recipe: one request id end to end ($rid)" sh -c \
  "nsenter -t $(cat "$WORK/run/$NAME.pid1") -a journalctl REQUEST_ID=$rid -o cat --no-pager | grep -q ."
inside "$NAME" journalctl -u linux-patch-manager -u linux-patch-api --since -1d -o json --no-pager >"$WORK/journal.json" 2>/dev/null || true

# --- remove, purge -----------------------------------------------------------------------------------
say "remove (data kept), then purge (data gone)"
inside "$NAME" apt-get remove -y linux-patch-api linux-patch-manager >"$WORK/apt-remove.log" 2>&1 || fail "apt remove"
expect_eq "$(inside $NAME systemctl is-active linux-patch-manager linux-patch-api | tr '\n' ' ')" "inactive inactive " "both units stopped on remove"
check "no PostgreSQL left running after remove" sh -c "! nsenter -t $(cat "$WORK/run/$NAME.pid1") -a pgrep -u linux-patch-manager postgres"
check "manager data kept on remove" inside "$NAME" test -f /var/lib/linux_patch_manager/postgres/PG_VERSION
check "agent certificates kept on remove" inside "$NAME" test -f /etc/linux_patch_api/certs/server.pem
check "manager config kept on remove" inside "$NAME" test -f /etc/linux_patch_manager/config.yaml
inside "$NAME" apt-get purge -y linux-patch-api linux-patch-manager >"$WORK/apt-purge.log" 2>&1 || fail "apt purge"
check "manager data gone on purge" inside "$NAME" test ! -e /var/lib/linux_patch_manager
check "manager config gone on purge" inside "$NAME" test ! -e /etc/linux_patch_manager
check "agent certificates, state and logs gone on purge" inside "$NAME" sh -c \
  "test ! -e /etc/linux_patch_api && test ! -e /var/lib/linux_patch_api && test ! -e /var/log/linux_patch_api"

say "deb/systemd: $FAILS failure(s)"
exit $(( FAILS > 0 ))
