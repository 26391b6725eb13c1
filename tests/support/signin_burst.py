#!/usr/bin/env python3
"""Usage: signin_burst.py PATH/TO/custodian [N] [CUSTODIAN__K=V ...]. Starts `custodian serve` in a temp dir, fires N (200) staff sign-ins 16 at a time,
reads directory pages in a loop meanwhile, and reports RSS and latencies."""
import json, os, re, subprocess, sys, tempfile, threading, time, urllib.request, urllib.error
from concurrent.futures import ThreadPoolExecutor

binary = sys.argv[1]
n, par = int(sys.argv[2]) if len(sys.argv) > 2 else 200, 16
d = tempfile.mkdtemp()
env = {"PATH": os.environ["PATH"], "CUSTODIAN__SERVER__BIND": "127.0.0.1:0",
       "CUSTODIAN__DATA__DIR": d + "/data", "CUSTODIAN__AUTH__FAILURES_PER_ADDRESS": "100000"}
for kv in sys.argv[3:]:
    k, v = kv.split("=", 1); env[k] = v
p = subprocess.Popen([binary, "serve"], cwd=d, env=env, stdout=subprocess.PIPE, stderr=open(d + "/log", "w"), text=True)
pw, base = {}, None
for line in p.stdout:
    m = re.search(r"(\S+@demo\.custodian\.test)\s+(\S+)", line)
    if m: pw[m.group(1)] = m.group(2)
    if line.startswith("custodian listening on "):
        base = line.split()[-1].strip(); break
threading.Thread(target=lambda: [None for _ in p.stdout], daemon=True).start()

def status():
    s = open(f"/proc/{p.pid}/status").read()
    g = lambda k: int(re.search(k + r":\s+(\d+)", s).group(1)) // 1024
    return g("VmRSS"), g("VmHWM")

admin = "admin.riverbend@demo.custodian.test"
body = json.dumps({"email": admin, "password": pw[admin]}).encode()
def sign_in(_):
    t = time.perf_counter()
    req = urllib.request.Request(base + "/api/v1/auth/sign-in", data=body, headers={"Content-Type": "application/json"})
    try:
        code = urllib.request.urlopen(req, timeout=60).status
    except urllib.error.HTTPError as e:
        code = e.code
    return code, time.perf_counter() - t

def dir_get():
    t = time.perf_counter()
    urllib.request.urlopen(base + "/api/v1/directory/libraries", timeout=60).read()
    return time.perf_counter() - t

for _ in range(20): dir_get()   # warm the cache
rss0, _ = status()
stop, dlat = False, []
def reader():
    while not stop: dlat.append(dir_get())
rt = threading.Thread(target=reader); rt.start()
t0 = time.perf_counter()
with ThreadPoolExecutor(par) as ex:
    res = list(ex.map(sign_in, range(n)))
wall = time.perf_counter() - t0
stop = True; rt.join()
rss1, hwm = status()
time.sleep(3)
rss2, _ = status()
codes = {}
for c, _ in res: codes[c] = codes.get(c, 0) + 1
q = lambda xs, f: sorted(xs)[min(len(xs) - 1, int(len(xs) * f))] * 1000
print(json.dumps({"rss_before_mb": rss0, "peak_rss_mb (VmHWM)": hwm, "rss_after_burst_mb": rss1, "rss_3s_later_mb": rss2,
    "sign_in_codes": codes, "burst_wall_s": round(wall, 2), "sign_in_p50_ms": round(q([t for _, t in res], .5), 1),
    "sign_in_p99_ms": round(q([t for _, t in res], .99), 1),
    "directory_reads": len(dlat), "directory_p50_ms": round(q(dlat, .5), 1), "directory_p99_ms": round(q(dlat, .99), 1)}, indent=1))
p.terminate(); p.wait()
