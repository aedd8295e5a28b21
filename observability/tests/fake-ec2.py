#!/usr/bin/env python3
# observability/tests/fake-ec2.py: a tiny stand-in for the EC2 Query API (DescribeInstances only), on loopback, so
# Prometheus' ec2_sd_configs can be tested offline against the real prometheus.yml (tests/discovery-test.sh).
#
#   fake-ec2.py HOST PORT LOGFILE [--ignore-filters] [--instances FILE] [--tls CERT KEY]
#
# It holds a fixed set of instances (below, or FILE: a JSON list of [id, state, private IP, {tags}]), applies the
# request's filters the way EC2 does (every filter must match; a filter's values are alternatives) and appends
# each request's filters to LOGFILE as one JSON line. With --ignore-filters it returns every instance, to prove
# the relabelling alone keeps out the unwanted ones. With --tls it serves HTTPS with that certificate (packer's
# boot test, where Prometheus reaches it by EC2's own host name). The built-in private addresses are on
# 127.0.9.x, so nothing outside loopback is ever contacted.
import json
import ssl
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

# (instance id, state, private IP, tags)
INSTANCES = [
    ("i-0a0000000000000a1", "running", "127.0.9.1",
     {"Project": "prometheus-demo", "Role": "api", "Name": "prometheus-demo-api-1"}),
    ("i-0a0000000000000d1", "running", "127.0.9.2",
     {"Project": "prometheus-demo", "Role": "db", "Name": "prometheus-demo-db-1"}),
    ("i-0a0000000000000m1", "running", "127.0.9.3",
     {"Project": "prometheus-demo", "Role": "monitor", "Name": "prometheus-demo-monitor-1"}),
    ("i-0a0000000000000l1", "running", "127.0.9.4",
     {"Project": "prometheus-demo", "Role": "loadgen", "Name": "prometheus-demo-loadgen-1"}),
    # Must never become a target: stopped (it keeps its private IP, as on EC2) ...
    ("i-0a0000000000000a2", "stopped", "127.0.9.5",
     {"Project": "prometheus-demo", "Role": "api", "Name": "prometheus-demo-api-2"}),
    # ... or another project's.
    ("i-0b0000000000000a1", "running", "127.0.9.6",
     {"Project": "other-project", "Role": "api", "Name": "other-project-api-1"}),
]
STATE_CODES = {"pending": 0, "running": 16, "stopping": 64, "stopped": 80}


def filters_of(form):
    """Filter.N.Name / Filter.N.Value.M form fields as {name: [values]}."""
    filters = {}
    for key, values in form.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "Filter" and parts[2] == "Name":
            n = parts[1]
            filters[values[0]] = [form[k][0] for k in sorted(form) if k.startswith(f"Filter.{n}.Value.")]
    return filters


def matches(instance, filters):
    _, state, _, tags = instance
    for name, values in filters.items():
        if name == "instance-state-name":
            actual = state
        elif name.startswith("tag:"):
            actual = tags.get(name[4:])
        else:
            return False  # a filter this fake does not know: fail loudly rather than match everything
        if actual not in values:
            return False
    return True


def instance_xml(instance):
    iid, state, ip, tags = instance
    tag_items = "".join(f"<item><key>{escape(k)}</key><value>{escape(v)}</value></item>" for k, v in tags.items())
    return (f"<item><instanceId>{iid}</instanceId><imageId>ami-00000000</imageId>"
            f"<instanceState><code>{STATE_CODES[state]}</code><name>{state}</name></instanceState>"
            f"<privateDnsName>ip-{ip.replace('.', '-')}.internal</privateDnsName><instanceType>t3.small</instanceType>"
            f"<placement><availabilityZone>eu-west-1a</availabilityZone></placement>"
            f"<privateIpAddress>{ip}</privateIpAddress><vpcId>vpc-00000000</vpcId>"
            f"<subnetId>subnet-00000000</subnetId><architecture>x86_64</architecture>"
            f"<tagSet>{tag_items}</tagSet></item>")


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (the http.server API)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        form = parse_qs(body)
        action = form.get("Action", [""])[0]
        filters = filters_of(form)
        with open(LOG, "a", encoding="utf-8") as f:
            f.write(json.dumps({"action": action, "filters": filters}, sort_keys=True) + "\n")
        if action != "DescribeInstances":
            self.send_error(400, f"unsupported action {action}")
            return
        items = "".join(instance_xml(i) for i in INSTANCES if IGNORE_FILTERS or matches(i, filters))
        xml = ('<?xml version="1.0" encoding="UTF-8"?>'
               '<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
               '<requestId>00000000-0000-0000-0000-000000000000</requestId><reservationSet>'
               f'<item><reservationId>r-00000000</reservationId><ownerId>000000000000</ownerId>'
               f'<instancesSet>{items}</instancesSet></item></reservationSet></DescribeInstancesResponse>').encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml;charset=UTF-8")
        self.send_header("Content-Length", str(len(xml)))
        self.end_headers()
        self.wfile.write(xml)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    HOST, PORT, LOG = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    options = sys.argv[4:]
    IGNORE_FILTERS = "--ignore-filters" in options
    if "--instances" in options:
        with open(options[options.index("--instances") + 1], encoding="utf-8") as f:
            INSTANCES = [tuple(i) for i in json.load(f)]
    server = ThreadingHTTPServer((HOST, PORT), Handler)
    if "--tls" in options:
        at = options.index("--tls")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(options[at + 1], options[at + 2])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()
