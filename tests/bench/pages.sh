#!/usr/bin/env bash
# The server time to render the pages people work in most, measured with wrk
# against a running custodian (release build, SQLite, the demo consortium):
# the director's inbox and a patron's records page as staff see it.
#
# Usage: bash tests/bench/pages.sh [SECONDS] [CONNECTIONS]
# Needs wrk (apt-get install wrk). Prints wrk's latency distribution per
# page and one summary line each: p50, p90, p99 and requests per second.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-15}"
conns="${2:-4}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

echo "--- building the release binary"
cargo build --release -p tenant-api --bin custodian >&2
bin="$PWD/target/release/custodian"
work="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
port=18999
(cd "$work" && CUSTODIAN__SERVER__BIND="127.0.0.1:$port" CUSTODIAN__LOG__LEVEL=warn exec "$bin" serve >out.txt 2>err.txt) &
pid=$!
for _ in $(seq 1 120); do grep -q "custodian listening" "$work/out.txt" 2>/dev/null && break; sleep 1; done
grep -q "custodian listening" "$work/out.txt" || { echo "the server did not start:" >&2; cat "$work/err.txt" >&2; exit 1; }
base="http://127.0.0.1:$port"

# Sign in through the JSON API; the session token is the page's cookie too.
python3 - "$work/out.txt" "$base" >"$work/targets" <<'PY'
import json, sys, urllib.request, urllib.parse
out, base = sys.argv[1], sys.argv[2]
pw = {}
for line in open(out):
    w = line.split()
    for i, x in enumerate(w):
        if x.endswith("@demo.custodian.test") and i + 1 < len(w):
            pw[x] = w[i + 1]
def token(email):
    req = urllib.request.Request(base + "/api/v1/auth/sign-in", json.dumps({"email": email, "password": pw[email]}).encode(), {"content-type": "application/json"})
    return json.load(urllib.request.urlopen(req))["token"]
director = token("director@demo.custodian.test")
staff = token("staff.riverbend@demo.custodian.test")
card = next(l.split()[3] for l in open(out) if l.startswith("patron  riverbend"))
q = urllib.parse.urlencode({"card": card, "purpose": "benchmark"})
req = urllib.request.Request(f"{base}/api/v1/libraries/riverbend/patrons?{q}", headers={"authorization": f"Bearer {staff}"})
found = json.load(urllib.request.urlopen(req))
patron = found["items"][0]["id"]
print(f"inbox {director} {base}/director")
print(f"records {staff} {base}/libraries/riverbend/patrons/{patron}?purpose=circulation+at+the+desk")
PY

while read -r name token url; do
  echo "--- $name: $url"
  curl -sf -o /dev/null -H "Cookie: custodian_session=$token" -H "Accept: text/html" "$url" || { echo "$url does not answer 200" >&2; exit 1; }
  wrk -t1 -c"$conns" -d"${secs}s" --latency -H "Cookie: custodian_session=$token" -H "Accept: text/html" "$url" | tee "$work/$name.txt"
  python3 - "$name" "$work/$name.txt" <<'PY'
import re, sys
name, text = sys.argv[1], open(sys.argv[2]).read()
def pct(p):
    m = re.search(rf"^\s*{p}%\s+(\S+)", text, re.M)
    return m.group(1) if m else "?"
rps = re.search(r"Requests/sec:\s+(\S+)", text)
print(f"RESULT {name}: p50 {pct(50)}  p90 {pct(90)}  p99 {pct(99)}  {rps.group(1) if rps else '?'} req/s")
PY
done <"$work/targets"
