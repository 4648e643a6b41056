"""Drive ntlm-auth (the NTLM library under pywinrm/requests-ntlm) against our server context.

Line protocol on stdin/stdout, base64 per line:
  out NEGOTIATE; in CHALLENGE; out AUTHENTICATE; out wrap(request); in wrap(answer); out answer plaintext.
Usage: ntlm_peer.py USER PASSWORD [DOMAIN]
"""
import base64
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "interop", "py"))
import md4_shim  # noqa: E402

md4_shim.install()
from ntlm_auth.ntlm import NtlmContext  # noqa: E402


def send(b):
    sys.stdout.write(base64.b64encode(b).decode() + "\n")
    sys.stdout.flush()


def recv():
    return base64.b64decode(sys.stdin.readline().strip())


user, password = sys.argv[1], sys.argv[2]
domain = sys.argv[3] if len(sys.argv) > 3 else ""
ctx = NtlmContext(user, password, domain=domain, ntlm_compatibility=3)
send(ctx.step())
send(ctx.step(recv()))
send(ctx.wrap("request from ntlm-auth \u2713".encode("utf-8")))
send(ctx.unwrap(recv()))
