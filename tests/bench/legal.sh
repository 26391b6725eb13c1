#!/usr/bin/env bash
# The custodian of records' decision latency through the API, measured
# against a running custodian (release build, SQLite, the demo consortium):
# N court orders with good cause (allowed) and N subpoenas (refused, RSMo
# 182.817) registered at Riverbend's desk, each decided once by its custodian.
# A decision is final, so each timed call decides a fresh request; the client
# keeps one connection open and times only the decision call.
#
# Usage: bash tests/bench/legal.sh [N]
# Prints one line per instrument: p50, p90, p99 and mean in milliseconds.
set -euo pipefail
cd "$(dirname "$0")/../.."
n="${1:-200}"

echo "--- building the release binary" >&2
cargo build --release -p tenant-api --bin custodian >&2
bin="$PWD/target/release/custodian"
work="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
port=18998
(cd "$work" && CUSTODIAN__SERVER__BIND="127.0.0.1:$port" CUSTODIAN__LOG__LEVEL=warn exec "$bin" serve >out.txt 2>err.txt) &
pid=$!
for _ in $(seq 1 120); do grep -q "custodian listening" "$work/out.txt" 2>/dev/null && break; sleep 1; done
grep -q "custodian listening" "$work/out.txt" || { echo "the server did not start:" >&2; cat "$work/err.txt" >&2; exit 1; }

python3 - "$work/out.txt" "$port" "$n" <<'PY'
import http.client, json, statistics, sys, time, urllib.parse
out, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
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
def token(email):
    s, b = call("POST", "/api/v1/auth/sign-in", body={"email": email, "password": pw[email]})
    assert s == 200, (s, b)
    return b["token"]
staff, custodian = token("staff.riverbend@demo.custodian.test"), token("custodian.riverbend@demo.custodian.test")
card = next(l.split()[3] for l in open(out) if l.startswith("patron  riverbend"))
q = urllib.parse.urlencode({"card": card, "purpose": "benchmark"})
s, found = call("GET", f"/api/v1/libraries/riverbend/patrons?{q}", staff)
patron = found["items"][0]["id"]
base = "/api/v1/libraries/riverbend/legal-requests"
def body(instrument, good_cause):
    return {"instrument": instrument,
            "requester": {"name": "Det. Ray", "agency": "Greene County Sheriff", "email": "ray@sheriff.example.org"},
            "court": "31st Judicial Circuit", "case_number": "26-CR-0412", "issued_on": "2026-11-20",
            "good_cause_shown": good_cause, "patron_ids": [patron], "kinds": ["circulation"],
            "from": "2026-01-01", "to": "2026-12-31"}
for instrument, good_cause, expect in [("court_order", True, "allow"), ("subpoena", False, "deny")]:
    ids = []
    for _ in range(n):
        s, b = call("POST", base, staff, body(instrument, good_cause))
        assert s == 201, (s, b)
        ids.append(b["id"])
    took = []
    for i in ids:
        t = time.perf_counter()
        s, b = call("POST", f"{base}/{i}/decision", custodian, {})
        took.append((time.perf_counter() - t) * 1000)
        assert s == 200 and b["decision"] == expect, (s, b)
    took.sort()
    pct = lambda p: took[min(len(took) - 1, int(len(took) * p / 100))]
    print(f"RESULT decision {instrument} ({expect}, n={n}): p50 {pct(50):.2f} ms  p90 {pct(90):.2f} ms  p99 {pct(99):.2f} ms  mean {statistics.mean(took):.2f} ms")
PY
