#!/usr/bin/env bash
# Cross-check of the broker's vault-hit benchmark with wrk (Debian package
# "wrk"), a load generator in its own process, against `onbehalf dev` in
# its own process, both on this machine. Stops by itself (10 s per run).
#
#   scripts/wrk-broker.sh            # wrk -t1 -c4, then -t2 -c8
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
dir=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
go build -o "$dir/onbehalf" ./cmd/onbehalf
go build -o "$dir/wrkbroker" ./scripts/wrkbroker
"$dir/onbehalf" dev --data-dir "$dir/data" --runtime-addr 127.0.0.1:0 --identity-addr 127.0.0.1:0 \
  --entra-addr 127.0.0.1:0 --servicenow-addr 127.0.0.1:0 >"$dir/dev.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q "Press Ctrl-C" "$dir/dev.log" 2>/dev/null && break; sleep 0.1; done
grep -q "Press Ctrl-C" "$dir/dev.log" || { cat "$dir/dev.log" >&2; exit 1; }
set -a; . "$dir/data/dev.env"; set +a
"$dir/wrkbroker" "$("$dir/onbehalf" token --data-dir "$dir/data" --user jane.smith@company.com)" >"$dir/broker.lua"
for args in "-t1 -c4" "-t2 -c8"; do
  echo "== wrk $args -d10s"
  # shellcheck disable=SC2086
  wrk $args -d10s --latency -s "$dir/broker.lua" "$ONBEHALF_IDENTITY_URL/identities/oauth2/token" |
    grep -E "Requests/sec|  50%|  99%|Non-2xx|errors"
done
