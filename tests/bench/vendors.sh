#!/usr/bin/env bash
# Vendor patron-status checks per second and p99, through REST (wrk) and
# through SIP2 (tests/bench/sip2.py), at 1 and 32 connections, and the memory
# per idle SIP2 connection; against the release binary on SQLite with the
# demo consortium. Each check is one card (no PIN), a valid patron of
# Riverbend, asked by a key whose contract grants card_valid and name; every
# check writes its audit entry, as in production.
#
# Usage: bash tests/bench/vendors.sh [SECONDS]   (default 10 per run)
# Needs wrk (apt-get install wrk). Prints one line per run.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-10}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

echo "--- building the release binary" >&2
cargo build --release -p tenant-api --bin custodian >&2
bin="$PWD/target/release/custodian"
work="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
port=18997
sip2=16997
(cd "$work" && CUSTODIAN__SERVER__BIND="127.0.0.1:$port" CUSTODIAN__SIP2__BIND="127.0.0.1:$sip2" CUSTODIAN__SIP2__MAX_CONNECTIONS=4096 \
  CUSTODIAN__LOG__LEVEL=warn exec "$bin" serve >out.txt 2>err.txt) &
pid=$!
for _ in $(seq 1 120); do grep -q "custodian listening" "$work/out.txt" 2>/dev/null && break; sleep 1; done
grep -q "custodian listening" "$work/out.txt" || { echo "the server did not start:" >&2; cat "$work/err.txt" >&2; exit 1; }

# A contract running today and a key for it: "KEY_ID SECRET CARD".
read -r key_id secret card < <(python3 - "$work/out.txt" "$port" <<'PY'
import datetime, http.client, json, sys
out, port = sys.argv[1], int(sys.argv[2])
pw = {}
for line in open(out):
    w = line.split()
    for i, x in enumerate(w):
        if x.endswith("@demo.custodian.test") and i + 1 < len(w):
            pw[x] = w[i + 1]
conn = http.client.HTTPConnection("127.0.0.1", port)
def call(method, path, token=None, body=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    conn.request(method, path, json.dumps(body) if body is not None else None, headers)
    r = conn.getresponse()
    data = r.read()
    return r.status, (json.loads(data) if data else None)
admin_email = "admin.riverbend@demo.custodian.test"
s, b = call("POST", "/api/v1/auth/sign-in", body={"email": admin_email, "password": pw[admin_email]})
assert s == 200, (s, b)
admin = b["token"]
today = datetime.date.today()
s, v = call("POST", "/api/v1/libraries/riverbend/vendors", admin, {
    "name": "Bench Books", "service": "e-books", "privacy_policy_url": "https://bench.example/privacy",
    "contract_starts": str(today - datetime.timedelta(days=1)),
    "contract_ends": str(today + datetime.timedelta(days=365)),
    "fields": ["card_valid", "name"], "purpose": "benchmark"})
assert s == 201, (s, v)
s, k = call("POST", f"/api/v1/libraries/riverbend/vendors/{v['id']}/keys", admin, {})
assert s == 201, (s, k)
card = next(l.split()[3] for l in open(out) if l.startswith("patron  riverbend"))
print(k["id"], k["secret"], card)
PY
)

# Idle connections first, on a server that has not yet been loaded: after the
# load runs the allocator keeps handing memory back, which would hide them.
python3 tests/bench/sip2.py idle --addr "127.0.0.1:$sip2" --pid "$pid" --baseline 500 --count 2000 --user "$key_id" --password "$secret"

cat > "$work/check.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"card_number":"$card"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key_id.$secret"
local bad = 0
response = function(status, headers, body)
  if status ~= 200 or not body:find('"valid":true') then bad = bad + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("REST  %2d conn: %7.0f checks/s  p50 %.2f ms  p99 %.2f ms  (%d requests, %d not valid:true, %d errors)\n",
    CONNS, summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.requests, bad, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
for c in 1 32; do
  threads=$(( c < 2 ? 1 : 2 ))
  sed "s/CONNS/$c/" "$work/check.lua" > "$work/check-$c.lua"
  wrk -t"$threads" -c"$c" -d"${secs}s" -s "$work/check-$c.lua" "http://127.0.0.1:$port/api/v1/vendor/patron-status" | grep '^REST'
done

python3 tests/bench/sip2.py checks --addr "127.0.0.1:$sip2" --user "$key_id" --password "$secret" \
  --card "$card" --connections 1,32 --seconds "$secs"
