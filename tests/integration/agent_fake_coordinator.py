#!/usr/bin/env python3
"""A scripted stand-in for the coordinator's agent endpoints (docs/protocol.md), for
testing shardwave-agent before and beside the real coordinator: serves the leases of a
scenario file once, answers the go-ahead per lease, records every request it receives
(one JSON object a line) and can refuse reports for a while (the agent must queue them).
It can pretend to be another protocol minor: "protocol" is what it answers with (default
"1.1"); as "1.0" it refuses, like a 1.0 coordinator, a report carrying a field 1.1 added
(400, the report lands in the agent's bad/ folder); "extra" members are added to every
answer and every lease (what a newer coordinator may send).

usage: agent_fake_coordinator.py SCENARIO.json LOG.jsonl PORT_FILE
Scenario: {"leases": [...protocol leases...], "go": {"l-1": true, "l-2": false},
           "fail_reports": 2, "long_poll_ms": 500, "token": "tok",
           "protocol": "1.1", "extra": {"hint": "x"}}
"""
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

scenario = json.load(open(sys.argv[1]))
log_path = sys.argv[2]
port_file = sys.argv[3]
lock = threading.Lock()
state = {"leases_served": False, "reports_failed": 0, "seen_reports": set()}
PROTOCOL = scenario.get("protocol", "1.1")
EXTRA = scenario.get("extra", {})
ADDED_IN_1_1 = {"failure"}  # report members a 1.0 coordinator does not know


def record(kind, body):
    with lock:
        with open(log_path, "a") as f:
            f.write(json.dumps({"kind": kind, "body": body}) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, doc):
        if status == 200:
            doc = {"protocol": PROTOCOL, **doc, **EXTRA}
        data = json.dumps(doc).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the agent gave up a long-poll (shutdown)

    def error(self, status, code, message):
        self.reply(status, {"error": {"code": code, "message": message}})

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(n) or b"{}")
        if self.headers.get("Authorization") != "Bearer " + scenario.get("token", "tok"):
            return self.error(401, "unauthorized", "missing or unknown token")
        path = self.path
        if path == "/v1/agents/register":
            record("register", body)
            return self.reply(200, {"lease_ttl_ms": 30000,
                                    "heartbeat_ms": scenario.get("heartbeat_ms", 300),
                                    "long_poll_ms": scenario.get("long_poll_ms", 500)})
        if path == "/v1/leases":
            record("lease_request", body)
            with lock:
                leases = [] if state["leases_served"] else scenario.get("leases", [])
                leases = [{**l, **EXTRA} for l in leases]
                state["leases_served"] = True
            if not leases:
                threading.Event().wait(min(body.get("wait_ms", 0), 500) / 1000.0)
            return self.reply(200, {"leases": leases})
        if path.startswith("/v1/leases/") and path.endswith("/start"):
            lease = path[len("/v1/leases/"):-len("/start")]
            record("start", {"lease": lease, **body})
            if scenario.get("go", {}).get(lease, True):
                return self.reply(200, {"go": True})
            return self.error(409, "wave_not_running", "wave is paused")
        if path == "/v1/heartbeat":
            record("heartbeat", body)
            acks = [{"lease": l["lease"], "ok": True, "cancel": False}
                    for l in body.get("leases", [])]
            return self.reply(200, {"leases": acks})
        if path == "/v1/reports":
            with lock:
                fail = state["reports_failed"] < scenario.get("fail_reports", 0)
                if fail:
                    state["reports_failed"] += 1
            if fail:
                record("reports_refused", body)
                return self.error(503, "unavailable", "try later")
            for i, r in enumerate(body.get("reports", [])):
                unknown = sorted(ADDED_IN_1_1 & r.keys())
                if PROTOCOL == "1.0" and unknown:
                    record("reports_invalid", body)
                    return self.error(400, "invalid_request",
                                      "reports[%d].%s: unknown field" % (i, unknown[0]))
            accepted, dups = [], []
            for r in body.get("reports", []):
                with lock:
                    seen = r["id"] in state["seen_reports"]
                    state["seen_reports"].add(r["id"])
                (dups if seen else accepted).append(r["id"])
                if not seen:
                    record("report", r)
            return self.reply(200, {"accepted": accepted, "duplicates": dups})
        return self.error(404, "not_found", "no route " + path)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
