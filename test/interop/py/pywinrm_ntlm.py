"""Drive pywinrm with transport='ntlm' against our listener; print one JSON line of results.

usage: pywinrm_ntlm.py URL USER PASSWORD [auto|always|never] [full|logon]
  full:  commands (stdout, stderr, exit codes, large output, stdin through Send)
  logon: one command; a refused logon is reported as {"error": <exception class>}
Runs with Debian's /usr/bin/python3 (python3-winrm). Debian 12's OpenSSL has no MD4, which
ntlm-auth needs for the NT hash: md4_shim supplies a pure-Python one.
"""
import base64
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import md4_shim  # noqa: E402

md4_shim.install()

import winrm  # noqa: E402
import xmltodict  # noqa: E402


def result(r):
    return {
        "stdout": base64.b64encode(r.std_out).decode(),
        "stderr": base64.b64encode(r.std_err).decode(),
        "code": r.status_code,
        "stdout_len": len(r.std_out),
        "stdout_sha256": hashlib.sha256(r.std_out).hexdigest(),
    }


def send_stdin(p, shell_id, command_id, data):
    """pywinrm 0.3 has no Send helper: build the request as its other calls do."""
    req = {"env:Envelope": p._get_soap_header(
        resource_uri="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd",
        action="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send",
        shell_id=shell_id)}
    stream = req["env:Envelope"].setdefault("env:Body", {}).setdefault("rsp:Send", {}).setdefault("rsp:Stream", {})
    stream["@Name"] = "stdin"
    stream["@CommandId"] = command_id
    stream["@End"] = "true"
    stream["#text"] = base64.b64encode(data).decode()
    p.send_message(xmltodict.unparse(req))


def main():
    url, user, password = sys.argv[1:4]
    encryption = sys.argv[4] if len(sys.argv) > 4 else "auto"
    mode = sys.argv[5] if len(sys.argv) > 5 else "full"
    session = winrm.Session(url, auth=(user, password), transport="ntlm",
                            server_cert_validation="ignore", message_encryption=encryption)
    out = {}
    if mode == "logon":
        try:
            out["hello"] = result(session.run_cmd("echo", ["logon", "ok"]))
        except Exception as e:  # the class name is what the test looks at
            out["error"] = type(e).__name__
        print(json.dumps(out))
        return
    out["hello"] = result(session.run_cmd("echo", ["sealed", "hello"]))
    out["stderr_exit"] = result(session.run_cmd("echo out; echo err >&2; exit 42"))
    out["false"] = result(session.run_cmd("false"))
    out["big"] = result(session.run_cmd("head -c 800000 /dev/zero | tr '\\0' 'y'"))
    p = session.protocol
    shell_id = p.open_shell()
    cid = p.run_command(shell_id, "tr a-z A-Z")
    send_stdin(p, shell_id, cid, b"through send\n")
    so, se, code = p.get_command_output(shell_id, cid)
    p.cleanup_command(shell_id, cid)
    p.close_shell(shell_id)
    out["stdin"] = {"stdout": base64.b64encode(so).decode(), "code": code}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
