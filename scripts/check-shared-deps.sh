#!/bin/sh
# The API-contract crate (shared/) must not pull in server-only crates: both binaries and scripts'
# clients compile against it.
set -eu
cd "$(dirname "$0")/.."
bad=0
for dep in actix-web actix diesel log4rs openssl; do
  if cargo tree -p linux-patch-shared -e normal -i "$dep" >/dev/null 2>&1; then
    echo "check-shared: linux-patch-shared depends on $dep (server-only)" >&2
    bad=1
  fi
done
[ $bad -eq 0 ] && echo "check-shared: linux-patch-shared is free of server-only crates"
exit $bad
