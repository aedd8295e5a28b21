#!/usr/bin/env python3
# packer/tests/fake-ssm.py: a stand-in for SSM Parameter Store (GetParameter only) for the boot test, speaking the
# AWS JSON 1.1 protocol the AWS CLI uses, over HTTPS with a test certificate, in the test's own network namespace.
#
#   fake-ssm.py ADDRESS PORT PARAMETERS_JSON LOGFILE CERT KEY
#
# PARAMETERS_JSON maps names to values. Each request is appended to LOGFILE as one JSON line (the action, the
# name, whether decryption was asked for, the caller's access key id), so the test can see who read what.
# An unknown name gets ParameterNotFound (HTTP 400), as from SSM.
import json
import re
import ssl
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, document):
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", "00000000-0000-0000-0000-000000000000")
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):  # noqa: N802 (the http.server API)
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        action = self.headers.get("X-Amz-Target", "").removeprefix("AmazonSSM.")
        key = re.search(r"Credential=([^/]+)/", self.headers.get("Authorization", ""))
        name = request.get("Name", "")
        with open(LOG, "a", encoding="utf-8") as f:
            f.write(json.dumps({"action": action, "name": name, "decrypt": request.get("WithDecryption", False),
                                "access_key": key.group(1) if key else None}) + "\n")
        if action != "GetParameter":
            self.reply(400, {"__type": "InvalidAction", "message": f"unsupported action {action}"})
        elif name not in PARAMETERS:
            self.reply(400, {"__type": "ParameterNotFound", "message": f"Parameter {name} not found."})
        else:
            self.reply(200, {"Parameter": {
                "Name": name, "Type": "SecureString", "Value": PARAMETERS[name], "Version": 1,
                "LastModifiedDate": 1764892800.0, "DataType": "text",
                "ARN": f"arn:aws:ssm:eu-west-1:000000000000:parameter{name}"}})

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    ADDRESS, PORT, PARAMS_FILE, LOG, CERT, KEY = sys.argv[1:7]
    with open(PARAMS_FILE, encoding="utf-8") as f:
        PARAMETERS = json.load(f)
    server = ThreadingHTTPServer((ADDRESS, int(PORT)), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERT, KEY)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()
