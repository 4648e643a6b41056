"""Drive pywinrm against our listener; print one JSON line with every scenario's result.

usage: listener_pywinrm.py URL USER PASSWORD [basic|ntlm]
Runs with Debian's /usr/bin/python3 (python3-winrm).
"""
import base64
import hashlib
import json
import sys

import winrm


def main():
    url, user, password = sys.argv[1:4]
    transport = sys.argv[4] if len(sys.argv) > 4 else "basic"
    if transport == "ntlm":
        import md4
        md4.install()
    session = winrm.Session(url, auth=(user, password), transport=transport,
                            server_cert_validation="ignore")
    out = {}

    def run(name, cmd, args=()):
        r = session.run_cmd(cmd, list(args))
        out[name] = {
            "stdout": base64.b64encode(r.std_out).decode(),
            "stderr": base64.b64encode(r.std_err).decode(),
            "code": r.status_code,
            "stdout_sha256": hashlib.sha256(r.std_out).hexdigest(),
            "stdout_len": len(r.std_out),
        }

    run("hello", "echo", ["hello", "world"])
    run("stderr_exit", "echo out; echo err >&2; exit 7")
    run("unicode", "printf 'h\u00e9llo w\u00f6rld \u2713 \u65e5\u672c'")
    run("slow", "for i in 1 2 3; do echo tick $i; sleep 0.4; done")
    run("big", "head -c 1500000 /dev/zero | tr '\\0' 'x'")

    # The protocol object directly: stdin through Send, as Ansible's raw module does.
    p = session.protocol
    shell_id = p.open_shell()
    cid = p.run_command(shell_id, "cat")
    send_stdin(p, shell_id, cid, b"piped input\n")
    so, se, code = p.get_command_output(shell_id, cid)
    p.cleanup_command(shell_id, cid)
    p.close_shell(shell_id)
    out["stdin"] = {"stdout": base64.b64encode(so).decode(), "code": code}
    print(json.dumps(out))


def send_stdin(p, shell_id, command_id, data):
    """pywinrm 0.3 has no send helper: build the Send request like its other calls."""
    req = {"env:Envelope": p._get_soap_header(
        resource_uri="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd",
        action="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send",
        shell_id=shell_id)}
    stream = req["env:Envelope"].setdefault("env:Body", {}).setdefault("rsp:Send", {}).setdefault("rsp:Stream", {})
    stream["@Name"] = "stdin"
    stream["@CommandId"] = command_id
    stream["@End"] = "true"
    stream["#text"] = base64.b64encode(data).decode()
    p.send_message(__import__("xmltodict").unparse(req))


if __name__ == "__main__":
    main()
