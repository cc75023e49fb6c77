#!/usr/bin/python3
"""A Confluent Schema Registry double for the tests: no Schema Registry
server can be installed here. It speaks exactly the REST subset churnwatch
uses (CONTRACT.md section 8), as the real server answers it, with the
application/vnd.schemaregistry.v1+json content type:

  GET  /schemas/ids/{id}                {"schema": "..."} or 404 (40403)
  POST /subjects/{subject}/versions     {"id": N}: registers (the same
                                        schema under a subject keeps its id)
  POST /subjects/{subject}              {"subject", "version", "id",
                                        "schema"}, or 404 (40401 subject
                                        not found, 40403 schema not found)
and, for the npm client that registers the tests' input schemas:
  GET  /config/{subject}                {"compatibilityLevel"}, or 404
                                        (40408) until it is set
  PUT  /config/{subject}                sets it

Schemas are compared by their parsed JSON, as the real registry compares
canonical forms. Fault injection, by command-line option or at run time
through POST /_control with a JSON object:
  {"fail": N}          the next N requests answer 500
  {"stall_ms": M}      every request waits M ms before answering (0: off)
  {"incompatible": S}  registering under subject S answers 409 (40901)
  {"log": true}        returns the requests seen so far (method, path,
                       content type, authorization present)
--auth USER:PASSWORD requires HTTP Basic auth (401, error 40101, else).
--tls CERT,KEY serves HTTPS with that certificate and key (PEM).
--state FILE keeps the schemas in FILE, so that a restarted double (the
registry "down" and back) knows what it knew. It prints "port=N" on its
first line once it listens (--port 0: any free port).

usage: registry_double.py [--port N] [--state FILE] [--auth USER:PASSWORD]
                          [--tls CERT,KEY]
                          [--fail N] [--stall-ms M] [--incompatible SUBJECT]
"""
import base64
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


class Registry:
    def __init__(self, state, auth, fail, stall_ms, incompatible):
        self.lock = threading.Lock()
        self.state_file = state
        self.schemas = []  # id - 1 -> schema text
        self.subjects = {}  # subject -> [schema id by version]
        self.config = {}  # subject -> compatibility level
        self.auth = auth
        self.fail = fail
        self.stall_ms = stall_ms
        self.incompatible = set(incompatible)
        self.log = []
        if state and os.path.exists(state):
            with open(state) as f:
                saved = json.load(f)
            self.schemas = saved["schemas"]
            self.subjects = saved["subjects"]

    def save(self):
        if self.state_file:
            tmp = self.state_file + ".tmp"
            with open(tmp, "w") as f:
                json.dump({"schemas": self.schemas, "subjects": self.subjects}, f)
            os.replace(tmp, self.state_file)

    def find(self, text):
        want = json.loads(text)
        for i, s in enumerate(self.schemas):
            if json.loads(s) == want:
                return i + 1
        return 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, code, message):
        self.answer(status, {"error_code": code, "message": message})

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def admitted(self):
        """Stalls and injected failures, then auth: True to go on."""
        reg = self.server.registry
        with reg.lock:
            reg.log.append({"method": self.command, "path": self.path,
                            "content_type": self.headers.get("Content-Type"),
                            "accept": self.headers.get("Accept"),
                            "authorized": bool(self.headers.get("Authorization"))})
            stall = reg.stall_ms
            failing = reg.fail > 0
            if failing:
                reg.fail -= 1
        if stall:
            time.sleep(stall / 1000.0)
        if failing:
            self.error(500, 50001, "injected failure")
            return False
        if reg.auth:
            want = "Basic " + base64.b64encode(reg.auth.encode()).decode()
            if self.headers.get("Authorization") != want:
                self.error(401, 40101, "Unauthorized")
                return False
        return True

    def do_GET(self):
        reg = self.server.registry
        if not self.admitted():
            return
        parts = self.path.split("/")
        if len(parts) == 3 and parts[1] == "config":
            with reg.lock:
                level = reg.config.get(urllib.parse.unquote(parts[2]))
            if level is None:
                self.error(404, 40408, "Subject does not have subject-level compatibility configured")
            else:
                self.answer(200, {"compatibilityLevel": level})
            return
        if len(parts) == 4 and parts[1] == "schemas" and parts[2] == "ids":
            with reg.lock:
                i = int(parts[3]) if parts[3].isdigit() else 0
                text = reg.schemas[i - 1] if 0 < i <= len(reg.schemas) else None
            if text is None:
                self.error(404, 40403, "Schema %s not found" % parts[3])
            else:
                self.answer(200, {"schema": text})
            return
        self.error(404, 404, "HTTP 404 Not Found")

    def do_PUT(self):
        reg = self.server.registry
        body = self.body()
        if not self.admitted():
            return
        parts = self.path.split("/")
        if len(parts) != 3 or parts[1] != "config":
            self.error(404, 404, "HTTP 404 Not Found")
            return
        level = json.loads(body or b"{}").get("compatibility", "BACKWARD")
        with reg.lock:
            reg.config[urllib.parse.unquote(parts[2])] = level
        self.answer(200, {"compatibility": level})

    def do_POST(self):
        reg = self.server.registry
        body = self.body()
        if self.path == "/_control":
            self.control(json.loads(body or b"{}"))
            return
        if not self.admitted():
            return
        parts = self.path.split("/")
        if len(parts) < 3 or parts[1] != "subjects":
            self.error(404, 404, "HTTP 404 Not Found")
            return
        subject = urllib.parse.unquote(parts[2])
        try:
            text = json.loads(body)["schema"]
            json.loads(text)
        except (ValueError, KeyError, TypeError):
            self.error(422, 42201, "Invalid schema")
            return
        if len(parts) == 4 and parts[3] == "versions":
            self.register(subject, text)
        elif len(parts) == 3:
            self.lookup(subject, text)
        else:
            self.error(404, 404, "HTTP 404 Not Found")

    def register(self, subject, text):
        reg = self.server.registry
        if subject in reg.incompatible:
            self.error(409, 40901, "Schema being registered is incompatible with an earlier schema for subject \"%s\"" % subject)
            return
        with reg.lock:
            i = reg.find(text)
            if not i:
                reg.schemas.append(text)
                i = len(reg.schemas)
            versions = reg.subjects.setdefault(subject, [])
            if i not in versions:
                versions.append(i)
            reg.save()
        self.answer(200, {"id": i})

    def lookup(self, subject, text):
        reg = self.server.registry
        with reg.lock:
            versions = reg.subjects.get(subject)
            i = reg.find(text)
        if versions is None:
            self.error(404, 40401, "Subject '%s' not found." % subject)
        elif i not in versions:
            self.error(404, 40403, "Schema not found")
        else:
            self.answer(200, {"subject": subject, "version": versions.index(i) + 1,
                              "id": i, "schema": text})

    def control(self, cmd):
        reg = self.server.registry
        with reg.lock:
            if "fail" in cmd:
                reg.fail = int(cmd["fail"])
            if "stall_ms" in cmd:
                reg.stall_ms = int(cmd["stall_ms"])
            if "incompatible" in cmd:
                reg.incompatible.add(cmd["incompatible"])
            log = list(reg.log)
        self.answer(200, {"log": log} if cmd.get("log") else {})


def main(argv):
    opts = {"--port": "0", "--state": None, "--auth": None, "--fail": "0",
            "--stall-ms": "0", "--incompatible": None, "--tls": None}
    i = 1
    while i < len(argv):
        if argv[i] not in opts or i + 1 >= len(argv):
            sys.exit(__doc__)
        opts[argv[i]] = argv[i + 1]
        i += 2
    reg = Registry(opts["--state"], opts["--auth"], int(opts["--fail"]),
                   int(opts["--stall-ms"]),
                   [opts["--incompatible"]] if opts["--incompatible"] else [])
    server = ThreadingHTTPServer(("127.0.0.1", int(opts["--port"])), Handler)
    server.daemon_threads = True
    if opts["--tls"]:
        cert, key = opts["--tls"].split(",", 1)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.registry = reg
    print("port=%d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv)
