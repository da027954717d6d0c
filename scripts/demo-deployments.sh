#!/bin/sh
# Part of `make demo`: a maintenance window on every demo host opening a few minutes from now (UTC), a
# security-only deployment queued for it, and an `apply_all` deployment applied now to two hosts — created
# with the manager's CLI (audited as `cli`); the running manager dispatches them.
set -eu
demo=$1
top=$(cd "$(dirname "$0")/.." && pwd)
manager=$top/target/release/linux-patch-manager
mprefix=$demo/manager
# The window opens at the start of the minute at least 3 minutes from now.
now=$(date -u +%s)
open=$(( (now + 180 + 59) / 60 * 60 ))
date_=$(date -u -d "@$open" +%Y-%m-%d)
start=$(date -u -d "@$open" +%H:%M)
spec=$(printf '{"kind":{"type":"once","date":"%s"},"start":"%s","duration_minutes":60,"time_zone":"UTC","cutoff_minutes":15}' "$date_" "$start")
"$manager" --prefix "$mprefix" window add --hosts all --name "demo patch window" --spec "$spec"
"$manager" --prefix "$mprefix" deployment create --hosts all --operation security_only --mode next_window
"$manager" --prefix "$mprefix" deployment create --hosts demo-h01.lan,demo-h02.lan --operation apply_all --mode now
cat <<MSG

Deployments: a security-only deployment of every demo host is QUEUED for the maintenance window that opens at
$start UTC ($(date -d "@$open" +%H:%M) local, about $(( (open - now) / 60 )) minutes from now); an all-updates deployment of
demo-h01.lan and demo-h02.lan runs NOW. Watch them on the Jobs page (https://localhost:${DEMO_MANAGER_PORT:-8443}/deployments)
or with:  $manager --prefix $mprefix deployment list
MSG
