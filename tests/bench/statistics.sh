#!/usr/bin/env bash
# Counting must not slow the requests it counts (#15): the p99 of a patron
# sign-in (POST /api/v1/libraries/riverbend/patron/sign-in, the demo
# patron's right card and PIN, so argon2 runs and no failure is throttled)
# with statistics.enabled = true and = false, each against a fresh release
# binary on SQLite, measured with wrk (one run each, same load).
#
# Usage: bash tests/bench/statistics.sh [SECONDS] [CONNECTIONS] [ROUNDS]
# Prints the p50/p99 of each run and the ratio of the median p99s (a figure
# to report, not a pass/fail check).
# BIN=target/debug/custodian skips the release build (figures then only
# compare with each other, not with production).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-30}"
conns="${2:-4}"
rounds="${3:-4}"
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

run() { # $1 = true|false, $2 = round; prints "p50 p99 requests errors" in milliseconds
    local dir="$work/$1-$2"
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

# Rounds alternate the order (on, off, then off, on, ...) and each uses fresh
# servers, so warm-up, order and the machine's drift fall on both sides alike;
# the medians of the rounds are compared.
on99s=(); off99s=()
for round in $(seq 1 "$rounds"); do
    if (( round % 2 )); then order="true false"; else order="false true"; fi
    for mode in $order; do
        read -r p50 p99 n err < <(run "$mode" "$round")
        echo "round $round counters $( [ "$mode" = true ] && echo 'on ' || echo 'off'): p50 ${p50} ms  p99 ${p99} ms  (${n} sign-ins, ${err} non-2xx)"
        if [ "$mode" = true ]; then on99s+=("$p99"); else off99s+=("$p99"); fi
    done
done
python3 - "${on99s[*]}" "${off99s[*]}" <<'PY'
import statistics, sys
on = statistics.median(float(x) for x in sys.argv[1].split())
off = statistics.median(float(x) for x in sys.argv[2].split())
ratio = on / off if off else float("inf")
print(f"median p99: on {on:.2f} ms, off {off:.2f} ms; on/off {ratio:.3f} ({(ratio - 1) * 100:+.1f} %)")
PY
