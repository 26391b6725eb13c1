#!/usr/bin/env bash
# The cost of tracing (#17): requests/s of a cached directory read on two
# release servers in one run, one exporting every span over OTLP/HTTP to a
# receiver on loopback, one with traces off; wrk alternates between them.
# Usage: bash tests/bench/tracing.sh [SECONDS] [CONNECTIONS] [ROUNDS]
#   SKIP_BUILD=1 uses target/release/custodian as it is. Needs wrk.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
secs="${1:-10}"
conns="${2:-32}"
rounds="${3:-3}"
cd "$root"
[[ -n "${SKIP_BUILD:-}" ]] || cargo build -q --release -p tenant-api --bin custodian
bin="$root/target/release/custodian"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
work="$(mktemp -d)"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

# The receiver answers every export 200 and counts the bytes it was sent.
otlp_port="$(free_port)"
python3 - "$otlp_port" "$work/otlp.count" <<'PY' &
import sys, http.server, threading
port, out = int(sys.argv[1]), sys.argv[2]
got = {"posts": 0, "bytes": 0}
lock = threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        n = int(self.headers.get("content-length", 0))
        self.rfile.read(n)
        with lock:
            got["posts"] += 1; got["bytes"] += n
            open(out, "w").write(f'{got["posts"]} {got["bytes"]}\n')
        self.send_response(200); self.send_header("content-length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PY
pids+=($!)

start() { # name [extra env...]
  local name="$1"; shift
  local port; port="$(free_port)"
  local vars=(CUSTODIAN__DATA__DIR="$work/$name" CUSTODIAN__SERVER__BIND="127.0.0.1:$port"
    CUSTODIAN__SERVER__WORKERS="${WORKERS:-2}" CUSTODIAN__LOG__LEVEL=warn "$@")
  env "${vars[@]}" "$bin" migrate >/dev/null 2>&1 || true
  env "${vars[@]}" "$bin" directory import "$root/../shared/data/library_outlets.csv" >/dev/null 2>&1
  env "${vars[@]}" "$bin" serve >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 300); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
  echo "http://127.0.0.1:$port"
}
off="$(start off)"
on="$(start on CUSTODIAN__TELEMETRY__OTLP_ENDPOINT="http://127.0.0.1:$otlp_port")"
path="/api/v1/directory/libraries/7"
for u in "$off" "$on"; do curl -fs "$u$path" >/dev/null; done   # warm the caches
rps() { wrk -t2 -c"$conns" -d"${secs}s" "$1" | awk '/Requests\/sec/ {print $2}'; }
echo "== cached directory read $path, ${secs}s x $rounds rounds, $conns connections, alternating"
s_off=0; s_on=0
for round in $(seq "$rounds"); do
  a="$(rps "$off$path")"; b="$(rps "$on$path")"
  echo "round $round: traces off $a req/s, traces on $b req/s"
  s_off="$(python3 -c "print($s_off + $a)")"; s_on="$(python3 -c "print($s_on + $b)")"
done
sleep 6   # one more batch export interval
read -r posts bytes < "$work/otlp.count" || { posts=0; bytes=0; }
python3 - "$s_off" "$s_on" "$rounds" "$posts" "$bytes" <<'PY'
import sys
off, on, n = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
print(f"traces off {off/n:.0f} req/s; traces on {on/n:.0f} req/s ({on/off:.2f}x, {100*(on/off-1):+.1f} %)")
print(f"the receiver got {sys.argv[4]} exports, {int(sys.argv[5])/1e6:.1f} MB")
PY
