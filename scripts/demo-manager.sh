#!/bin/sh
# Part of `make demo`: starts the manager in DEMO/manager on its embedded private PostgreSQL cluster and
# internal CA, creates the first admin, and prints the console URL and the one-time password.
set -eu
demo=$1
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/target/release/linux-patch-manager
port=${DEMO_MANAGER_PORT:-8443}
prefix=$demo/manager
etc=$prefix/etc/linux_patch_manager
mkdir -p "$etc"
chmod 755 "$demo" "$prefix"
cat > "$etc/config.yaml" <<YAML
# Demo configuration: see docs/examples/manager-config.yaml for every key.
listen: 127.0.0.1:$port
public_url: https://localhost:$port
database: { url: null }          # the embedded private PostgreSQL cluster under data_dir/postgres
tls: { strategy: internal_ca }
allow: [127.0.0.1]
YAML
"$bin" --prefix "$prefix" check-config
out=$("$bin" --prefix "$prefix" user create --admin admin)
otp=$(printf '%s\n' "$out" | sed -n 's/^one-time password: //p')
echo "== starting the manager on https://localhost:$port (embedded PostgreSQL, internal CA)"
nohup "$bin" --prefix "$prefix" serve >"$demo/manager.out" 2>"$demo/manager.log" &
echo $! > "$demo/manager.pid"
i=0
until grep -q "listening on" "$demo/manager.out" 2>/dev/null; do
  i=$((i+1))
  if [ $i -gt 300 ] || ! kill -0 "$(cat "$demo/manager.pid")" 2>/dev/null; then
    echo "the manager did not start:"; cat "$demo/manager.log"; exit 1
  fi
  sleep 0.1
done
fp=$(sed -n 's/^internal CA fingerprint (SHA-256): //p' "$demo/manager.out")
ca=$prefix/var/lib/linux_patch_manager/ca/ca.pem
cat <<MSG

The manager is running (pid $(cat "$demo/manager.pid")) on its own PostgreSQL cluster and internal CA.
  Console:            https://localhost:$port
  First admin:        admin
  One-time password:  $otp      (change it at first sign-in, then enrol an authenticator app or security key)
  Root CA:            $ca
                      SHA-256 $fp  (import it in your browser, or: curl --cacert $ca ...)
  Log:                $demo/manager.log

Scripts: after the first console sign-in (TOTP enrolled),
  curl -sS --cacert $ca https://localhost:$port/api/v1/auth/token -H 'Content-Type: application/json' \\
       -d '{"username":"admin","password":"...","totp":"123456"}'
MSG
