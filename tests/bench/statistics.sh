#!/usr/bin/env bash
# Counting must not slow the requests it counts (#15): the p99 of a patron
# sign-in (POST /api/v1/libraries/riverbend/patron/sign-in, the demo
# patron's right card and PIN, so argon2 runs and no failure is throttled)
# with statistics.enabled = true and = false, each against a fresh release
# binary on SQLite, measured with wrk (one run each, same load).
#
# Usage: bash tests/bench/statistics.sh [SECONDS] [CONNECTIONS]
# Prints the p50/p99 of each run and the ratio of the two p99s; exits 1
# when the p99 with counters is more than 5 % above the p99 without.
# BIN=target/debug/custodian skips the release build (figures then only
# compare with each other, not with production).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-30}"
conns="${2:-4}"
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)" >&2; exit 2; }

if [ -z "${BIN:-}" ]; then
    echo "--- building the release binary" >&2
    cargo build --release -p tenant-api --bin custodian >&2
    BIN="$PWD/target/release/custodian"
fi
work="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
port=18997

run() { # $1 = true|false; prints "p50 p99" in milliseconds
    local dir="$work/$1"
    mkdir -p "$dir"
    (cd "$dir" && CUSTODIAN__SERVER__BIND="127.0.0.1:$port" CUSTODIAN__LOG__LEVEL=warn \
        CUSTODIAN__STATISTICS__ENABLED="$1" exec "$BIN" serve >out.txt 2>err.txt) &
    pid=$!
    for _ in $(seq 1 120); do grep -q "custodian listening" "$dir/out.txt" 2>/dev/null && break; sleep 1; done
    grep -q "custodian listening" "$dir/out.txt" || { echo "the server did not start:" >&2; cat "$dir/err.txt" >&2; exit 1; }
    local card pin
    read -r card pin < <(awk '$1 == "patron" && $2 == "riverbend" {print $4, $6; exit}' "$dir/out.txt")
    cat >"$dir/signin.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"card_number": "$card", "pin": "$pin"}'
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.2f %.2f %d %d\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests, summary.errors.status))
end
LUA
    # Warm up (connections, page cache), then measure.
    wrk -t1 -c"$conns" -d5s -s "$dir/signin.lua" "http://127.0.0.1:$port/api/v1/libraries/riverbend/patron/sign-in" >/dev/null
    wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$dir/signin.lua" \
        "http://127.0.0.1:$port/api/v1/libraries/riverbend/patron/sign-in" | awk '$1 == "RESULT" {print $2, $3, $4, $5}'
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}

read -r on50 on99 onn onerr < <(run true)
read -r off50 off99 offn offerr < <(run false)
echo "counters on:  p50 ${on50} ms  p99 ${on99} ms  (${onn} sign-ins, ${onerr} non-2xx)"
echo "counters off: p50 ${off50} ms  p99 ${off99} ms  (${offn} sign-ins, ${offerr} non-2xx)"
python3 - "$on99" "$off99" <<'PY'
import sys
on, off = float(sys.argv[1]), float(sys.argv[2])
ratio = on / off if off else float("inf")
print(f"p99 on/off: {ratio:.3f} ({(ratio - 1) * 100:+.1f} %)")
sys.exit(0 if ratio <= 1.05 else 1)
PY
