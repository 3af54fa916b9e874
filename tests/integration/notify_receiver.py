#!/usr/bin/env python3
"""A webhook receiver for tests/integration/notify_webhooks.sh (http.server, threaded).

Records every POST as one JSON line in --log: the request number, path, the headers the
coordinator sends (X-Shardwave-Event, -Event-Id, -Delivery-Attempt, -Signature, X-Test),
whether the HMAC-SHA256 signature verifies with --secret-file, the body as parsed JSON,
and what the receiver did: "503" for the first --fail-first POSTs to --fail-path, "hang"
for the next one there (it sleeps --hang-seconds, past the sender's timeout, before
answering), else "200". A GET (an HTTP gate) always gets 200. Writes its port to --port-file once listening. With --tls-cert
and --tls-key it serves HTTPS.
"""
import argparse
import hashlib
import hmac
import json
import os
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--secret-file", required=True)
    ap.add_argument("--fail-path", default="/")
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--hang-seconds", type=float, default=0)
    ap.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate")
    ap.add_argument("--tls-key")
    args = ap.parse_args()
    with open(args.secret_file, "rb") as f:
        secret = f.read().rstrip()
    lock = threading.Lock()
    state = {"n": 0, "at_fail_path": 0}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *a):
            pass

        def do_GET(self):
            # an HTTP gate of the test's plan: always passes
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with lock:
                state["n"] += 1
                n = state["n"]
                k = None
                if self.path.startswith(args.fail_path):
                    state["at_fail_path"] += 1
                    k = state["at_fail_path"]
            if k is not None and k <= args.fail_first:
                action = "503"
            elif k is not None and k == args.fail_first + 1 and args.hang_seconds > 0:
                action = "hang"
            else:
                action = "200"
            want = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
            sig = self.headers.get("X-Shardwave-Signature")
            try:
                doc = json.loads(body)
            except ValueError:
                doc = None
            rec = {
                "n": n,
                "path": self.path,
                "action": action,
                "event": self.headers.get("X-Shardwave-Event"),
                "event_id": self.headers.get("X-Shardwave-Event-Id"),
                "attempt": self.headers.get("X-Shardwave-Delivery-Attempt"),
                "content_type": self.headers.get("Content-Type"),
                "x_test": self.headers.get("X-Test"),
                "signature": sig,
                "sig_ok": sig is not None and hmac.compare_digest(sig, want),
                "body": doc,
            }
            with lock:
                with open(args.log, "a") as f:
                    f.write(json.dumps(rec) + "\n")
            if action == "hang":
                time.sleep(args.hang_seconds)
            code = 503 if action == "503" else 200
            try:
                self.send_response(code)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:
                pass  # the sender gave up on a hung request

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        # a client that refuses the certificate fails the handshake in accept(): an
        # OSError the server skips
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
