"""A loopback SMTP server for custodian's tests (aiosmtpd).

python3 smtp_sink.py --port PORT --dir DIR [--delay S] [--auth USER:PASS]
                     [--tls-cert CERT --tls-key KEY]

Each accepted message is written to DIR before the server answers 250, so a
message the client counts as delivered is on disk: two header lines with the
envelope, then the message exactly as received.
"""

import argparse
import asyncio
import itertools
import os
import signal
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

COUNTER = itertools.count()


class Sink:
    def __init__(self, directory, delay):
        self.directory = directory
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        head = (
            f"X-Sink-Mail-From: {envelope.mail_from}\r\n"
            f"X-Sink-Rcpt-To: {','.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        name = f"{time.time_ns()}-{os.getpid()}-{next(COUNTER):06d}.eml"
        tmp = os.path.join(self.directory, "tmp-" + name)
        with open(tmp, "wb") as f:
            f.write(head + content)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, os.path.join(self.directory, name))
        return "250 OK stored"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False)

    return check


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--auth")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    a = p.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    kwargs = {}
    if a.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(a.tls_cert, a.tls_key)
        kwargs.update(tls_context=context, require_starttls=True)
    if a.auth:
        user, password = a.auth.split(":", 1)
        kwargs.update(
            authenticator=authenticator(user, password),
            auth_required=True,
            auth_require_tls=bool(a.tls_cert),
        )
    controller = Controller(Sink(a.dir, a.delay), hostname=a.host, port=a.port, **kwargs)
    controller.start()
    print(f"READY {a.port}", flush=True)
    done = []
    signal.signal(signal.SIGTERM, lambda *_: done.append(1))
    signal.signal(signal.SIGINT, lambda *_: done.append(1))
    while not done:
        time.sleep(0.05)
    controller.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
