#!/bin/sh
# `make demo`: builds the agent, makes throw-away certificates in ./demo, starts the agent on
# 127.0.0.1:12443 against this machine's real package database (read-only endpoints are safe),
# prints ready-to-paste curl commands, then starts the manager (scripts/demo-manager.sh) and 20 simulated
# agents enrolled with it (scripts/demo-agents.sh). `make demo-stop` stops everything.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
demo=$top/demo
prefix=$demo/agent
etc=$prefix/etc/linux_patch_api
bin=$top/target/release/linux-patch-api
port=${DEMO_PORT:-12443}

"$top/scripts/install-prereqs.sh"
echo "== building the agent (release)"
cargo build --release --workspace --bins --manifest-path "$top/Cargo.toml"

for p in agent manager; do
  if [ -f "$demo/$p.pid" ] && kill -0 "$(cat "$demo/$p.pid")" 2>/dev/null; then
    echo "== stopping the previous demo $p (pid $(cat "$demo/$p.pid"))"
    kill "$(cat "$demo/$p.pid")"; sleep 2
  fi
done
for f in "$demo"/agents/*/agent.pid; do
  [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
done
rm -rf "$demo"
mkdir -p "$etc/certs" "$demo/client"
echo "== making a throw-away CA, server and client certificates in $demo"
"$top/scripts/demo-certs.sh" "$demo/pki" >/dev/null
cp "$demo/pki/ca.pem" "$demo/pki/server.pem" "$demo/pki/server.key" "$etc/certs/"
cp "$demo/pki/ca.pem" "$demo/pki/client.pem" "$demo/pki/client.key" "$demo/client/"
cat > "$etc/config.yaml" <<YAML
# Demo configuration: see docs/examples/config.yaml for every key.
server:   { bind_address: 127.0.0.1, port: $port, request_timeout_secs: 30, max_body_bytes: 1048576 }
tls:      { ca_cert: certs/ca.pem, server_cert: certs/server.pem, server_key: certs/server.key, crl: null }
logging:  { level: info, retention_days: 30, remote_syslog: null }
security: { job_timeout_secs: 1800, max_concurrent_jobs: 5, rate_limit_per_minute: 600, job_retention_days: 7 }
backend:  { kind: auto, env: {}, extra_args: [] }
YAML
printf 'allow:\n  - 127.0.0.1\n' > "$etc/whitelist.yaml"
"$bin" --prefix "$prefix" --check-config

echo "== starting the agent on 127.0.0.1:$port"
nohup "$bin" --prefix "$prefix" >"$demo/agent.out" 2>&1 &
echo $! > "$demo/agent.pid"
i=0
until grep -q '"event":"agent.started"' "$prefix/var/log/linux_patch_api/audit.log" 2>/dev/null; do
  i=$((i+1))
  if [ $i -gt 100 ] || ! kill -0 "$(cat "$demo/agent.pid")" 2>/dev/null; then
    echo "the agent did not start:"; cat "$demo/agent.out"; exit 1
  fi
  sleep 0.1
done

c="curl -sS --cert $demo/client/client.pem --key $demo/client/client.key --cacert $demo/client/ca.pem"
u="https://127.0.0.1:$port/api/v1"
cat <<MSG

The agent is running (pid $(cat "$demo/agent.pid")), TLS 1.3 with client certificates, allow-list 127.0.0.1.
Audit log: $prefix/var/log/linux_patch_api/audit.log     Agent output: $demo/agent.out

Paste any of these:
  $c $u/health
  $c $u/system/info
  $c '$u/packages?name=openssl'
  $c '$u/packages?upgradable=true'
  $c $u/packages/bash
  $c $u/patches
  $c $u/openapi.json

Jobs (POST/PUT/DELETE) would change THIS machine's packages: the commands above only read. Job history:
  $c $u/jobs

Without the client certificate the handshake fails and no HTTP answer comes back:
  curl -sS --cacert $demo/client/ca.pem $u/health

MSG

"$top/scripts/demo-manager.sh" "$demo"
fp=$(sed -n 's/^internal CA fingerprint (SHA-256): //p' "$demo/manager.out")
"$top/scripts/demo-agents.sh" "$demo" "$fp" "${DEMO_AGENTS:-20}"
"$top/scripts/demo-deployments.sh" "$demo"
cat <<MSG

${DEMO_AGENTS:-20} simulated agents (synthetic package data, labelled "simulated") enrolled through the real
self-enrolment flow and are polled by the manager: sign in at https://localhost:${DEMO_MANAGER_PORT:-8443}
and open the Dashboard. Their files: $demo/agents/<name>/ (each agent's output in agent.out).

Stop everything with: make demo-stop
MSG
