#!/usr/bin/env python3
"""Usage: signin_timing.py PATH/TO/custodian. Staff and patron sign-in timings: wrong password, unknown account, disabled account (median of 30)."""
import json, os, re, subprocess, sys, tempfile, threading, time, urllib.request, urllib.error, statistics
binary, N = sys.argv[1], 30
d = tempfile.mkdtemp()
env = {"PATH": os.environ["PATH"], "CUSTODIAN__SERVER__BIND": "127.0.0.1:0", "CUSTODIAN__DATA__DIR": d + "/data",
       "CUSTODIAN__AUTH__FAILURES_PER_ADDRESS": "100000", "CUSTODIAN__AUTH__FAILURES_PER_ACCOUNT": "100000"}
p = subprocess.Popen([binary, "serve"], cwd=d, env=env, stdout=subprocess.PIPE, stderr=open(d + "/log", "w"), text=True)
pw, base = {}, None
for line in p.stdout:
    m = re.search(r"(\S+@demo\.custodian\.test)\s+(\S+)", line)
    if m: pw[m.group(1)] = m.group(2)
    if line.startswith("custodian listening on "):
        base = line.split()[-1].strip(); break
threading.Thread(target=lambda: [None for _ in p.stdout], daemon=True).start()
def call(method, path, body=None, token=None):
    h = {"Content-Type": "application/json"}
    if token: h["Authorization"] = "Bearer " + token
    req = urllib.request.Request(base + path, data=json.dumps(body).encode() if body is not None else None, headers=h, method=method)
    t = time.perf_counter()
    try:
        r = urllib.request.urlopen(req); out = r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        out = e.code, json.loads(e.read() or b"null")
    return out[0], out[1], (time.perf_counter() - t) * 1000
admin = "admin.riverbend@demo.custodian.test"
tok = call("POST", "/api/v1/auth/sign-in", {"email": admin, "password": pw[admin]})[1]["token"]
made = call("POST", "/api/v1/libraries/riverbend/staff", {"email": "off@riverbend.example", "display_name": "Off", "role": "staff"}, tok)[1]
call("PATCH", f"/api/v1/libraries/riverbend/staff/{made.get('account_id') or made.get('member', {}).get('account_id')}", {"disabled": True}, tok)
call("POST", "/api/v1/libraries/riverbend/patrons", {"card_number": "21000555001", "pin": "4321", "name": "T"}, tok)
cases = {
 "staff wrong password": ("/api/v1/auth/sign-in", {"email": admin, "password": "wrong-wrong-wrong"}),
 "staff unknown email": ("/api/v1/auth/sign-in", {"email": "nobody@example.org", "password": "wrong-wrong-wrong"}),
 "staff disabled account": ("/api/v1/auth/sign-in", {"email": "off@riverbend.example", "password": made.get("initial_password", "x")}),
 "patron wrong PIN": ("/api/v1/libraries/riverbend/patron/sign-in", {"card_number": "21000555001", "pin": "0000"}),
 "patron unknown card": ("/api/v1/libraries/riverbend/patron/sign-in", {"card_number": "99999999", "pin": "0000"}),
 "patron unknown library": ("/api/v1/libraries/atlantis/patron/sign-in", {"card_number": "21000555001", "pin": "0000"}),
}
out = {}
for name, (path, body) in cases.items():
    ts = []
    for _ in range(N):
        code, _, ms = call("POST", path, body); ts.append(ms)
    out[name] = {"status": code, "median_ms": round(statistics.median(ts), 2), "min_ms": round(min(ts), 2)}
print(json.dumps(out, indent=1))
p.terminate(); p.wait()
