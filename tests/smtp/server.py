#!/usr/bin/python3
"""A real SMTP server for the notification tests (Debian's python3-aiosmtpd): STARTTLS required, AUTH
PLAIN/LOGIN with one user, every accepted message written to OUT_DIR as JSON (envelope + content).

usage: server.py PORT CERT KEY USER PASSWORD OUT_DIR
Prints "ready" once it listens; runs until killed."""
import json
import os
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, cert, key, user, password, out = sys.argv[1:7]
os.makedirs(out, exist_ok=True)


class Handler:
    async def handle_DATA(self, server, session, envelope):
        name = os.path.join(out, "%d-%d.json" % (time.time_ns(), os.getpid()))
        with open(name + ".tmp", "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                       "content": envelope.content.decode("utf-8", "replace"),
                       "tls": session.ssl is not None}, f)
        os.rename(name + ".tmp", name)
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user \
        and auth_data.password.decode() == password
    return AuthResult(success=ok, handled=False)


ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
controller = Controller(Handler(), hostname="127.0.0.1", port=int(port), tls_context=ctx,
                        require_starttls=True, authenticator=authenticator, auth_required=True,
                        auth_require_tls=True)
controller.start()
print("ready", flush=True)
try:
    while True:
        time.sleep(3600)
finally:
    controller.stop()
