#!/bin/sh
# The manager's one-way layering (DESIGN §5.2): http -> services -> actor handles -> pure logic -> db.
# Fails when a file outside manager/src/http/ imports `crate::http`, when db/ imports a module above it,
# or when the manager's (or the agent's) modules import each other in a circle (scripts/import-graph.py).
set -eu
cd "$(dirname "$0")/.."
src=manager/src
bad=0

# 1. Only the web layer names the web layer (main.rs, the binary's root, wires the server in by path).
hits=$(grep -rnE 'crate::http\b' --include='*.rs' "$src" | grep -v "^$src/http/" || true)
if [ -n "$hits" ]; then
  echo "check-layers: only manager/src/http/ may import crate::http:" >&2
  echo "$hits" >&2
  bad=1
fi

# 2. db/ is the bottom: it may use itself, the error type, the configuration and the embedded cluster.
hits=$(grep -rnoE 'crate::[a-z_]+' --include='*.rs' "$src/db" \
  | grep -vE 'crate::(db|error|config|postgres)$' || true)
if [ -n "$hits" ]; then
  echo "check-layers: manager/src/db/ imports a module above it:" >&2
  echo "$hits" >&2
  bad=1
fi

# 3. No import circles between the manager's modules (top level and one level down).
for depth in 1 2; do
  if ! out=$(python3 scripts/import-graph.py "$src" --depth "$depth"); then
    echo "check-layers: import circles in the manager (depth $depth):" >&2
    echo "$out" >&2
    bad=1
  fi
done

# 4. No import circles between the agent's top-level modules either.
if ! out=$(python3 scripts/import-graph.py agent/src --depth 1); then
  echo "check-layers: import circles in the agent:" >&2
  echo "$out" >&2
  bad=1
fi

[ $bad -eq 0 ] && echo "check-layers: manager layering is one-way (no crate::http outside http/, db/ at the bottom, no import circles); no import circles in the agent"
exit $bad
