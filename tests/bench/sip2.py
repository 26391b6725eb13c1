#!/usr/bin/env python3
"""SIP2 patron checks per second and p99, and memory per idle connection.

Against a running SIP2 listener: `custodian serve` with `sip2.bind` set and a
vendor key (user = key id, password = secret), or the listener alone with a
fake desk (`cargo run -p tenant-api --example sip2_fake_desk -- 127.0.0.1:6001`,
user `bench`, password `bench-secret`, card 21000000000001, PIN 2468).

  python3 tests/bench/sip2.py checks --addr 127.0.0.1:6001 --user U --password P \
      --card CARD [--pin PIN] --connections 1,32 --seconds 10
      Each connection logs in (93) then sends Patron Status (23) back to back
      for S seconds; prints checks/s and p50/p99 latency per connection count.

  python3 tests/bench/sip2.py idle --addr 127.0.0.1:6001 --pid PID --count 1000 [--baseline K] [--user U --password P]
      Reads VmRSS of PID from /proc/PID/status, opens COUNT connections (each
      answered one 99, and logged in when --user is given, so the server has
      really set each one up), waits, reads VmRSS again and prints the difference
      per connection.

Only the standard library; one asyncio event loop, so the client costs little
next to the server on a small machine.
"""
import argparse
import asyncio
import statistics
import sys
import time

DATE = "20261202    101010"


def checksum(data: bytes) -> str:
    return "%04X" % ((-sum(data)) & 0xFFFF)


def message(body: str, seq: int) -> bytes:
    text = "%sAY%dAZ" % (body, seq % 10)
    return (text + checksum(text.encode())).encode() + b"\r"


async def ask(reader, writer, data: bytes) -> bytes:
    writer.write(data)
    await writer.drain()
    return await reader.readuntil(b"\r")


async def connect(addr: str):
    host, port = addr.rsplit(":", 1)
    return await asyncio.open_connection(host, int(port))


async def login(reader, writer, user: str, password: str):
    answer = await ask(reader, writer, message("9300CN%s|CO%s|" % (user, password), 0))
    if not answer.startswith(b"941"):
        raise SystemExit("login refused: %r" % answer)


async def checker(args, deadline: float, latencies: list):
    reader, writer = await connect(args.addr)
    await login(reader, writer, args.user, args.password)
    pin = "AD%s|" % args.pin if args.pin else ""
    seq = 1
    while time.perf_counter() < deadline:
        body = "23000%sAO1|AA%s|%s" % (DATE, args.card, pin)
        started = time.perf_counter()
        answer = await ask(reader, writer, message(body, seq))
        latencies.append(time.perf_counter() - started)
        if not answer.startswith(b"24") or b"BLY" not in answer:
            raise SystemExit("unexpected answer: %r" % answer)
        seq += 1
    writer.close()


async def checks(args):
    for n in [int(c) for c in args.connections.split(",")]:
        latencies: list = []
        started = time.perf_counter()
        deadline = started + args.seconds
        await asyncio.gather(*(checker(args, deadline, latencies) for _ in range(n)))
        elapsed = time.perf_counter() - started
        lat = sorted(latencies)
        p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
        print(
            "connections=%d checks=%d seconds=%.1f checks_per_s=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f"
            % (n, len(lat), elapsed, len(lat) / elapsed, p(0.50), p(0.99), lat[-1] * 1000)
        )
        sys.stdout.flush()


def rss_kib(pid: int) -> int:
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise SystemExit("no VmRSS for pid %d" % pid)


async def settled(pid: int) -> int:
    """VmRSS once it stops moving (the allocator returns start-up memory for a while)."""
    last = rss_kib(pid)
    for _ in range(40):
        await asyncio.sleep(0.5)
        now = rss_kib(pid)
        if abs(now - last) < 64:
            return now
        last = now
    return last


async def open_idle(args, n: int, conns: list):
    for i in range(n):
        reader, writer = await connect(args.addr)
        try:
            await ask(reader, writer, b"9900302.00\r")
        except asyncio.IncompleteReadError:
            raise SystemExit("the server closed connection %d on accept: raise sip2.max_connections" % (len(conns) + 1))
        if args.user:
            await login(reader, writer, args.user, args.password)
        conns.append((reader, writer))


async def idle(args):
    # A baseline of connections first, so lazily allocated structures and the
    # memory a fresh server is still handing back are not counted: the figure
    # is the growth from the baseline to baseline + COUNT.
    conns: list = []
    await open_idle(args, args.baseline or 1, conns)
    await asyncio.sleep(args.settle)
    before = await settled(args.pid)
    await open_idle(args, args.count, conns)
    after = await settled(args.pid)
    print(
        "idle_connections=%d (after a baseline of %d) logged_in=%s rss_before_kib=%d rss_after_kib=%d per_connection_bytes=%.0f"
        % (args.count, args.baseline or 1, bool(args.user), before, after, (after - before) * 1024 / args.count)
    )
    for _, writer in conns:
        writer.close()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)
    c = sub.add_parser("checks")
    c.add_argument("--addr", required=True)
    c.add_argument("--user", required=True)
    c.add_argument("--password", required=True)
    c.add_argument("--card", required=True)
    c.add_argument("--pin")
    c.add_argument("--connections", default="1,32")
    c.add_argument("--seconds", type=float, default=10)
    i = sub.add_parser("idle")
    i.add_argument("--addr", required=True)
    i.add_argument("--pid", type=int, required=True)
    i.add_argument("--count", type=int, default=1000)
    i.add_argument("--baseline", type=int, default=0, help="connections opened before the first reading")
    i.add_argument("--user")
    i.add_argument("--password")
    i.add_argument("--settle", type=float, default=15, help="seconds to wait before the first reading")
    args = p.parse_args()
    asyncio.run(checks(args) if args.mode == "checks" else idle(args))


if __name__ == "__main__":
    main()
