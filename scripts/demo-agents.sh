#!/bin/sh
# Part of `make demo`: N simulated agents (the real agent binary, `simulated` package backend seeded by
# each host's name) on 127.0.2.1..N:12443, each joining the manager through the real self-enrolment flow:
# `linux-patch-api --enroll` (CA pinned by fingerprint) -> pending request -> approval on the manager
# (`linux-patch-manager enrollment approve --all`) -> bundle written -> serving mTLS; the poller takes over.
set -eu
demo=$1
fp=$2
n=${3:-20}
top=$(cd "$(dirname "$0")/.." && pwd)
agent=$top/target/release/linux-patch-api
manager=$top/target/release/linux-patch-manager
port=${DEMO_MANAGER_PORT:-8443}
mprefix=$demo/manager
mkdir -p "$demo/agents"
echo "== starting $n simulated agents, each enrolling with https://localhost:$port"
i=1
while [ "$i" -le "$n" ]; do
  name=$(printf 'demo-h%02d.lan' "$i")
  ip=127.0.2.$i
  p=$demo/agents/$name
  etc=$p/etc/linux_patch_api
  mkdir -p "$etc"
  unhealthy=false
  # two of the twenty report a failing package-index refresh (yellow on the dashboard)
  if [ "$i" -eq 7 ] || [ "$i" -eq 15 ]; then unhealthy=true; fi
  cat > "$etc/config.yaml" <<YAML
# Demo agent $name: simulated package backend (synthetic data, labelled as such), enrolled with the manager.
server:   { bind_address: $ip, port: 12443, request_timeout_secs: 30, max_body_bytes: 1048576 }
tls:      { ca_cert: certs/ca.pem, server_cert: certs/server.pem, server_key: certs/server.key, crl: null }
logging:  { level: info, retention_days: 30, remote_syslog: null }
backend:
  kind: simulated
  env: { SIMULATED_HOST: $name, SIMULATED_TIME_SCALE: "0.05", SIMULATED_UNHEALTHY: "$unhealthy" }
YAML
  printf 'allow:\n  - 127.0.0.1\n' > "$etc/whitelist.yaml"
  nohup "$agent" --prefix "$p" --enroll "https://localhost:$port" --ca-fingerprint "$fp" \
    --enroll-name "$name" --enroll-ip "$ip" --enroll-poll-secs 1 >"$p/agent.out" 2>&1 &
  echo $! > "$p/agent.pid"
  i=$((i+1))
done

# wait until every request is pending, then approve them as an administrator on the manager host would
j=0
while :; do
  pending=$("$manager" --prefix "$mprefix" enrollment list 2>/dev/null | sed -n 's/^pending (\([0-9]*\)):.*/\1/p')
  pending=${pending:-0}
  [ "$pending" -ge "$n" ] && break
  j=$((j+1))
  if [ $j -gt 300 ]; then
    echo "only $pending of $n enrolment requests arrived; agent output:"; cat "$demo"/agents/*/agent.out | tail -40; exit 1
  fi
  sleep 0.2
done
"$manager" --prefix "$mprefix" enrollment approve --all --yes
j=0
for p in "$demo"/agents/*; do
  until grep -q '"event":"agent.started"' "$p/var/log/linux_patch_api/audit.log" 2>/dev/null; do
    j=$((j+1))
    if [ $j -gt 600 ] || ! kill -0 "$(cat "$p/agent.pid")" 2>/dev/null; then
      echo "agent $(basename "$p") did not start serving:"; cat "$p/agent.out"; exit 1
    fi
    sleep 0.1
  done
done
echo "== $n agents enrolled and serving mTLS with certificates from the manager's CA"
