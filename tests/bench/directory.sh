#!/usr/bin/env bash
# The public directory's benchmark (issue #18).
#  1. Uncached search p50 at 20,000 and 200,000 outlets on SQLite and, when
#     CUSTODIAN_TEST_POSTGRES_URL is set, PostgreSQL: the search function
#     called directly, bypassing the cache (crates/directory/benches/search.rs).
#  2. Cached reads beside /healthz on one release server, same run, with wrk:
#     requests/s of a cached library read and a cached search page over
#     /healthz's.
# Usage: bash tests/bench/directory.sh [SECONDS] [CONNECTIONS]
#   SKIP_UNCACHED=1 or SKIP_WRK=1 runs one half; SIZES=20000 one size;
#   SKIP_BUILD=1 uses target/release/custodian as it is; BIN=PATH another
#   binary (a build before a change, say) without building.
# Needs wrk (apt-get install -y wrk).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
secs="${1:-10}"
conns="${2:-32}"
cd "$root"
if [[ -z "${SKIP_UNCACHED:-}" ]]; then
  echo "== uncached search (p50 and p90 of 41 runs)"
  cargo bench -q -p directory --bench search 2>/dev/null
fi
[[ -n "${SKIP_WRK:-}" ]] && exit 0
[[ -n "${SKIP_BUILD:-}${BIN:-}" ]] || cargo build -q --release -p tenant-api --bin custodian
bin="${BIN:-$root/target/release/custodian}"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
work="$(mktemp -d)"
env_vars=(CUSTODIAN__DATA__DIR="$work/data" CUSTODIAN__SERVER__BIND="127.0.0.1:$port"
  CUSTODIAN__SERVER__WORKERS="${WORKERS:-2}" CUSTODIAN__LOG__LEVEL=warn)
"$bin" --help >/dev/null
env "${env_vars[@]}" "$bin" migrate >/dev/null 2>&1 || true
env "${env_vars[@]}" "$bin" directory import "$root/../shared/data/library_outlets.csv" 2>/dev/null | tail -1
env "${env_vars[@]}" "$bin" serve >"$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 300); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
base="http://127.0.0.1:$port"
one="$base/api/v1/directory/libraries/7"
list="$base/api/v1/directory/libraries?state=IL&member=false"
for u in "$one" "$list"; do curl -fs "$u" >/dev/null; done   # warm the cache
rps() { wrk -t2 -c"$conns" -d"${secs}s" "$1" | awk '/Requests\/sec/ {print $2}'; }
echo "== cached reads vs /healthz, ${secs}s each, $conns connections, interleaved"
declare -A sum
for round in 1 2; do
  for name in healthz one list; do
    case $name in healthz) u="$base/healthz";; one) u="$one";; list) u="$list";; esac
    r="$(rps "$u")"
    echo "round $round $name: $r req/s"
    sum[$name]="$(python3 -c "print(${sum[$name]:-0} + $r)")"
  done
done
python3 - "${sum[healthz]}" "${sum[one]}" "${sum[list]}" <<'PY'
import sys
h, one, lst = map(float, sys.argv[1:])
print(f"healthz {h/2:.0f} req/s; library read {one/2:.0f} req/s ({one/h:.2f}x); search page {lst/2:.0f} req/s ({lst/h:.2f}x)")
PY
