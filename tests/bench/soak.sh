#!/usr/bin/env bash
# Soak (#19): SECONDS (default 600) of mixed load against a release server on
# SQLite (the demo consortium, the real IMLS directory imported): directory
# reads, staff sign-ins, patron reads, record feed ingest, inbound mail and
# page views, each kind at its own steady rate from its own client thread.
# Every 30 s it prints one line: elapsed, the server's RSS in MiB, p99 in ms
# per load kind in that window, and the requests of the window (errors, if
# any). At the end a verdict: after the first minute (warm-up), RSS stays
# within +-10 % of its value at one minute, and each kind's p99 within 2x of
# its first minute's.
#
# Usage: bash tests/bench/soak.sh [SECONDS] [RATE_SCALE]
#   RATE_SCALE multiplies every rate (default 1: about 80 requests/s in all).
# Needs python3. Exits 1 if a bound is broken.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-600}"
scale="${2:-1}"

# CUSTODIAN_BIN: a binary to use instead of building the release one (to try the script out).
if [ -z "${CUSTODIAN_BIN:-}" ]; then
  echo "--- building the release binary" >&2
  cargo build --release -p tenant-api --bin custodian >&2
fi
bin="${CUSTODIAN_BIN:-$PWD/target/release/custodian}"
outlets="$PWD/../shared/data/library_outlets.csv"
[ -f "$outlets" ] || outlets=/work/shared/data/library_outlets.csv
work="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
port="${SOAK_PORT:-18997}"
token="soak-gateway-token-0123456789abcdef"
export CUSTODIAN__SERVER__BIND="127.0.0.1:$port" CUSTODIAN__LOG__LEVEL=warn \
  CUSTODIAN__MAIL__INBOUND_TOKEN="$token" CUSTODIAN__DATA__DIR="$work/data"
(cd "$work" && exec "$bin" serve >out.txt 2>err.txt) &
pid=$!
for _ in $(seq 1 180); do grep -q "custodian listening" "$work/out.txt" 2>/dev/null && break; sleep 1; done
grep -q "custodian listening" "$work/out.txt" || { echo "the server did not start:" >&2; cat "$work/err.txt" >&2; exit 1; }
echo "--- importing the directory" >&2
(cd "$work" && "$bin" directory import "$outlets" | tail -1) >&2

python3 - "$work/out.txt" "http://127.0.0.1:$port" "$pid" "$secs" "$scale" "$token" <<'PY'
import http.client, json, sys, threading, time, urllib.parse, random

out, base, pid, secs, scale, token = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
host, port = urllib.parse.urlparse(base).hostname, urllib.parse.urlparse(base).port
pw = {}
for line in open(out):
    w = line.split()
    for i, x in enumerate(w):
        if x.endswith("@demo.custodian.test") and i + 1 < len(w):
            pw[x] = w[i + 1]
cards = [l.split()[3] for l in open(out) if l.startswith("patron  riverbend")]

class Client:
    def __init__(self):
        self.c = http.client.HTTPConnection(host, port, timeout=30)
    def req(self, method, path, body=None, headers=None):
        for attempt in (0, 1):
            try:
                self.c.request(method, path, body=body, headers=headers or {})
                r = self.c.getresponse()
                data = r.read()
                return r.status, data
            except (http.client.HTTPException, OSError):
                self.c.close()
                self.c = http.client.HTTPConnection(host, port, timeout=30)
                if attempt:
                    raise

setup = Client()
def sign_in(email):
    s, d = setup.req("POST", "/api/v1/auth/sign-in", json.dumps({"email": email, "password": pw[email]}), {"content-type": "application/json"})
    assert s == 200, (email, s, d)
    return json.loads(d)["token"]
staff = sign_in("staff.riverbend@demo.custodian.test")
admin = sign_in("admin.riverbend@demo.custodian.test")
director = sign_in("director@demo.custodian.test")
bearer = lambda t: {"authorization": f"Bearer {t}"}
q = urllib.parse.urlencode({"card": cards[0], "purpose": "soak"})
s, d = setup.req("GET", f"/api/v1/libraries/riverbend/patrons?{q}", headers=bearer(staff))
assert s == 200, (s, d)
patron = json.loads(d)["items"][0]["id"]

words = ["public", "county", "memorial", "city", "branch", "free", "district", "regional", "township", "carnegie"]
states = ["MO", "IA", "KS", "IL", "OH", "TX", "CA", "NY", "WA", "FL"]
seq = {"n": 0}
lock = threading.Lock()
def nxt():
    with lock:
        seq["n"] += 1
        return seq["n"]

def directory(c):
    r = random.random()
    if r < 0.5:
        return c.req("GET", f"/api/v1/directory/libraries?q={random.choice(words)}&limit=20")
    if r < 0.8:
        return c.req("GET", f"/api/v1/directory/libraries?state={random.choice(states)}&limit=20")
    return c.req("GET", f"/api/v1/directory/libraries?near={38 + random.random():.3f},{-92 - random.random():.3f}&limit=10")
def signin(c):
    return c.req("POST", "/api/v1/auth/sign-in", json.dumps({"email": "staff.riverbend@demo.custodian.test", "password": pw["staff.riverbend@demo.custodian.test"]}), {"content-type": "application/json"})
def patrons(c):
    if random.random() < 0.5:
        card = random.choice(cards)
        return c.req("GET", f"/api/v1/libraries/riverbend/patrons?{urllib.parse.urlencode({'card': card, 'purpose': 'soak'})}", headers=bearer(staff))
    return c.req("GET", f"/api/v1/libraries/riverbend/patrons/{patron}/records?purpose=soak&limit=20", headers=bearer(staff))
def feed(c):
    n = nxt()
    lines = "\n".join(json.dumps({"kind": "circulation", "source": "ils", "external_id": f"soak-{n}-{i}", "occurred_at": "2026-10-01T10:00:00", "ended_at": None, "item": f"Title {n}-{i}", "branch": "Main", "card_number": random.choice(cards)}) for i in range(10))
    return c.req("POST", "/api/v1/libraries/riverbend/records/feed", lines, {**bearer(admin), "content-type": "application/x-ndjson"})
def mail(c):
    n = nxt()
    raw = f"From: soak{n}@example.net\r\nTo: director@evergreen.example.org\r\nSubject: Please correct my name\r\nMessage-ID: <soak-{n}-{time.time_ns()}@example.net>\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\nIt is wrong.\r\n"
    return c.req("POST", "/api/v1/director/inbound-mail", raw, {**bearer(token), "content-type": "message/rfc822"})
def pages(c):
    r = random.random()
    html = {"accept": "text/html"}
    if r < 0.4:
        return c.req("GET", f"/directory?q={random.choice(words)}", headers=html)
    if r < 0.7:
        return c.req("GET", f"/libraries/riverbend/patrons/{patron}?purpose=circulation+at+the+desk", headers={**html, "cookie": f"custodian_session={staff}"})
    return c.req("GET", "/director", headers={**html, "cookie": f"custodian_session={director}"})

# kind -> (function, requests per second)
kinds = {"directory": (directory, 40), "sign_in": (signin, 2), "patron": (patrons, 15),
         "feed": (feed, 2), "mail": (mail, 3), "pages": (pages, 15)}
window = {k: [] for k in kinds}
errors = {k: 0 for k in kinds}
stop = threading.Event()
def drive(kind, fn, rate):
    c, gap, due = Client(), 1.0 / (rate * scale), time.monotonic()
    while not stop.is_set():
        t0 = time.monotonic()
        try:
            status, _ = fn(c)
        except Exception:
            status = 0
        ms = (time.monotonic() - t0) * 1000
        with lock:
            window[kind].append(ms)
            if status >= 400 or status == 0:
                errors[kind] += 1
        due += gap
        time.sleep(max(0.0, due - time.monotonic()))
        if due < time.monotonic() - 1:  # behind by a second: do not burst to catch up
            due = time.monotonic()

def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
def p99(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * 0.99))] if xs else float("nan")

threads = [threading.Thread(target=drive, args=(k, f, r), daemon=True) for k, (f, r) in kinds.items()]
for t in threads:
    t.start()
start = time.monotonic()
series = []
print("elapsed  rss_MiB  " + "  ".join(f"{k}_p99" for k in kinds) + "  requests  errors", flush=True)
tick = 30
while time.monotonic() - start < secs:
    time.sleep(max(0, start + tick * (len(series) + 1) - time.monotonic()))
    with lock:
        got = {k: window[k] for k in kinds}
        errs = dict(errors)
        for k in kinds:
            window[k] = []
            errors[k] = 0
    row = {"t": round(time.monotonic() - start), "rss": rss(), "p99": {k: p99(v) for k, v in got.items()}, "n": sum(len(v) for v in got.values()), "err": sum(errs.values())}
    series.append(row)
    print(f"{row['t']:>6}s  {row['rss']:7.1f}  " + "  ".join(f"{row['p99'][k]:>{len(k) + 4}.1f}" for k in kinds) + f"  {row['n']:>8}  {row['err']:>6}" + ("  " + str({k: v for k, v in errs.items() if v}) if row["err"] else ""), flush=True)
stop.set()

# Warm-up is the first minute (two windows); its RSS at one minute and its p99s are the baseline.
ok = True
if len(series) < 3:
    print("VERDICT: too short for a verdict (needs more than a minute)")
    sys.exit(0)
warm = series[:2]
rss0 = warm[-1]["rss"]
p0 = {k: max(w["p99"][k] for w in warm) for k in kinds}
rest = series[2:]
lo, hi = min(r["rss"] for r in rest), max(r["rss"] for r in rest)
rss_ok = lo >= rss0 * 0.9 and hi <= rss0 * 1.1
print(f"RSS after warm-up: {lo:.1f}-{hi:.1f} MiB against {rss0:.1f} MiB at one minute ({(hi / rss0 - 1) * 100:+.1f} % at most): {'within' if rss_ok else 'OUTSIDE'} +-10 %")
ok &= rss_ok
for k in kinds:
    worst = max(r["p99"][k] for r in rest)
    k_ok = worst <= 2 * p0[k]
    ok &= k_ok
    print(f"p99 {k}: worst {worst:.1f} ms after warm-up against {p0[k]:.1f} ms in the first minute ({worst / p0[k]:.2f}x): {'within' if k_ok else 'OUTSIDE'} 2x")
total = sum(r["n"] for r in series)
print(f"VERDICT: {'PASS' if ok else 'FAIL'} ({total} requests, {sum(r['err'] for r in series)} errors, {series[-1]['t']} s)")
sys.exit(0 if ok else 1)
PY
