"""pywinrm's run_ps, and an Ansible-style PowerShell call, against our listener's cmd shell.

usage: listener_run_ps.py URL USER PASSWORD
Prints one JSON line: each scenario's stdout, stderr (base64) and exit code.
Runs with Debian's /usr/bin/python3 (python3-winrm).
"""
import base64
import json
import sys

import winrm


def main():
    url, user, password = sys.argv[1:4]
    session = winrm.Session(url, auth=(user, password), transport="basic")
    out = {}

    def keep(name, r):
        out[name] = {
            "stdout": base64.b64encode(r.std_out).decode(),
            "stderr": base64.b64encode(r.std_err).decode(),
            "code": r.status_code,
        }

    # run_ps: `powershell -encodedcommand <UTF-16LE base64>`.
    keep("run_ps", session.run_ps('Write-Output "sum $(1+2)"; [Environment]::UserName; exit 3'))
    # The same call with an error record: pywinrm 0.3's run_ps fails on any stderr (it compares
    # bytes with str), so this one is sent as run_ps sends it, and stderr is kept as it came.
    script = 'Write-Error "boom \u00e9"; exit 4'
    keep("error", session.run_cmd("powershell -encodedcommand " + base64.b64encode(script.encode("utf_16_le")).decode()))
    # Ansible's form: the full Windows path, another case, more switches (-WindowStyle included).
    keep("ansible", session.run_cmd(
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\PowerShell.EXE",
        ["-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Unrestricted", "-WindowStyle", "Hidden",
         "-Command", "\"Write-Output ('a b' + ' c')\""]))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
