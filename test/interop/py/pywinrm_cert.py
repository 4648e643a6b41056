"""Drive pywinrm with transport='certificate' against our listener; print one JSON line.

usage: pywinrm_cert.py URL CERT_PEM KEY_PEM
A refused logon is reported as {"error": <exception class>}.
"""
import base64
import json
import sys

import winrm


def main():
    url, cert, key = sys.argv[1:4]
    session = winrm.Session(url, auth=("", ""), transport="certificate", cert_pem=cert, cert_key_pem=key,
                            server_cert_validation="ignore")
    try:
        r = session.run_cmd("echo by-certificate; echo err >&2; exit 5")
        print(json.dumps({"stdout": base64.b64encode(r.std_out).decode(), "stderr": base64.b64encode(r.std_err).decode(), "code": r.status_code}))
    except Exception as e:  # the class name is what the test looks at
        print(json.dumps({"error": type(e).__name__}))


if __name__ == "__main__":
    main()
