#!/usr/bin/env bash
# Cached directory reads beside /healthz on one release server, with wrk.
#   cargo build --release -p tenant-api
#   bash crates/directory/benches/load.sh            # SQLite + in-process cache
#   REDIS_URL=redis://127.0.0.1:6379/0 PG_URL=postgres://postgres@127.0.0.1:5432/custodian_load \
#     bash crates/directory/benches/load.sh          # PostgreSQL + Redis (the database must exist)
# Needs wrk (apt-get install -y wrk). Prints wrk's summary and latency percentiles per URL.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
bin="$root/target/release/custodian"
csv="${CSV:-$root/../shared/data/library_outlets.csv}"
duration="${DURATION:-10s}"
conns="${CONNECTIONS:-32}"
port="${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
work="$(mktemp -d)"
env_vars=(CUSTODIAN__DATA__DIR="$work/data" CUSTODIAN__SERVER__BIND="127.0.0.1:$port"
  CUSTODIAN__SERVER__WORKERS="${WORKERS:-2}" CUSTODIAN__LOG__LEVEL=warn)
if [[ -n "${PG_URL:-}" ]]; then env_vars+=(CUSTODIAN__DATABASE__URL="$PG_URL"); fi
if [[ -n "${REDIS_URL:-}" ]]; then
  env_vars+=(CUSTODIAN__REDIS__URL="$REDIS_URL" CUSTODIAN__REDIS__KEY_PREFIX="custodian-load:$$:")
fi
cd "$work"
env "${env_vars[@]}" "$bin" directory import "$csv" 2>/dev/null | tail -1
env "${env_vars[@]}" "$bin" serve >"$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; tail -5 "$work/serve.log"; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
one="http://127.0.0.1:$port/api/v1/directory/libraries/1"
search="http://127.0.0.1:$port/api/v1/directory/libraries?q=public+library&state=IL"
curl -fs "$one" >/dev/null && curl -fs "$search" >/dev/null   # warm the cache
for url in "http://127.0.0.1:$port/healthz" "$one" "$search"; do
  echo "== $url"
  wrk -t2 -c"$conns" -d"$duration" --latency "$url" | grep -E "Requests/sec|Latency  |  (50|99)%|Non-2xx"
done
