#!/usr/bin/env python3
"""ci/compat/tests/mutate_proxy.py: a loopback HTTP/1.1 proxy that alters one answer field.

Used by ci/compat/tests/selftest to prove the compat flows notice a wrong answer: every request
is forwarded unchanged to --upstream (kinesis-sim); answers of --op (an X-Amz-Target operation
name such as DescribeStreamSummary) get one JSON member replaced (--set Path.To.Member=JSON) before
they go back. Prints `mutate_proxy listening on http://127.0.0.1:PORT` once ready, serves until
killed. Standard library only.
"""

import argparse
import http.client
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


def set_path(doc, path, value):
    """Replace doc[a][b]...[z] for path 'a.b...z'; False if a step is missing."""
    keys = path.split(".")
    for k in keys[:-1]:
        if not isinstance(doc, dict) or k not in doc:
            return False
        doc = doc[k]
    if not isinstance(doc, dict) or keys[-1] not in doc:
        return False
    doc[keys[-1]] = value
    return True


def make_handler(upstream, op, path, value):
    up = urlsplit(upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            conn = http.client.HTTPConnection(up.hostname, up.port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
            headers["Host"] = self.headers.get("Host", "")
            conn.request("POST", self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            target = self.headers.get("X-Amz-Target", "")
            if resp.status == 200 and target.endswith("." + op) and data:
                try:
                    doc = json.loads(data)
                    if set_path(doc, path, value):
                        data = json.dumps(doc).encode()
                except ValueError:
                    pass
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in HOP and k.lower() != "date":
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            conn.close()

        do_GET = do_POST

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--op", required=True)
    ap.add_argument("--set", required=True, help="Path.To.Member=JSON value")
    args = ap.parse_args()
    path, _, raw = args.set.partition("=")
    try:
        value = json.loads(raw)
    except ValueError:
        print(f"mutate_proxy: --set value is not JSON: {raw!r}", file=sys.stderr)
        return 2
    srv = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(args.upstream, args.op, path, value))
    srv.daemon_threads = True
    print(f"mutate_proxy listening on http://127.0.0.1:{srv.server_address[1]}", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
