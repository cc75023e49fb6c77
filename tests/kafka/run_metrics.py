#!/usr/bin/python3
"""The metrics and health endpoint of `churnwatch run` (CONTRACT.md section
9) against Debian's real Prometheus server, on the embedded broker.

A population is generated into the broker; `run` (its http_listen port
given through ${CW_TEST_METRICS_PORT}, so the environment expansion is
used too) processes it while Prometheus scrapes it every second. Checked:
- through Prometheus' HTTP API, churnwatch_events_applied_total equals the
  events gen produced, and churnwatch_warnings_total, per alert and state,
  the warnings on the warning topic (read by kafka-python);
- `promtool check metrics` accepts /metrics;
- /metrics and /livez answer, promptly, while run works through the
  backlog at full speed (the counters move between the answers);
- /livez 200, an unknown path 404, POST 405 (with Allow), HEAD 200;
- /readyz: 503 joining, then 200, then 503 stopping after SIGTERM; a second
  run of the same group restores every shard from the changelog: 503
  "restoring k of 4 shards" before its 200; its restore counters equal
  the customers the first run held.

usage: run_metrics.py CHURNWATCH SOURCE_DIR
"""
import collections
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

BIN, SRC = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
import run_lib  # noqa: E402
from checks import Checks, free_port  # noqa: E402

check = Checks("run_metrics")


def get(port, path, method="GET", body=None):
    """(status, headers, body) of one request on a fresh connection."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.request(method, path, body=body)
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read().decode()
    finally:
        c.close()


def applied(text):
    return sum(int(float(v)) for v in re.findall(
        r"^churnwatch_events_applied_total\{[^}]*\} (\S+)$", text, re.M))


class ReadyPoller(threading.Thread):
    """Polls /readyz every 2 ms on a kept-alive connection from the first
    answer until the server is gone; keeps each change of answer."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.seen, self.stop = port, [], False

    def run(self):
        conn, served, deadline = None, False, time.time() + 150
        while not self.stop and time.time() < deadline:
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                      timeout=5)
                    conn.connect()
                conn.request("GET", "/readyz")
                r = conn.getresponse()
                ans = (r.status, r.read().decode().strip())
                served = True
                if not self.seen or self.seen[-1] != ans:
                    self.seen.append(ans)
                time.sleep(0.002)
            except ConnectionRefusedError:
                conn = None
                if served:
                    return  # the process is gone
                time.sleep(0.01)
            except (OSError, http.client.HTTPException):
                if conn:
                    conn.close()
                conn = None


class LoadSampler(threading.Thread):
    """GET /metrics and /livez every 50 ms while run catches up: the
    applied count of each answer, and the slowest answer."""

    def __init__(self, port, events):
        super().__init__(daemon=True)
        self.port, self.events = port, events
        self.counts, self.slowest, self.errors, self.livez = [], 0.0, [], []

    def run(self):
        deadline = time.time() + 120
        while time.time() < deadline:
            t0 = time.time()
            try:
                st, _, text = get(self.port, "/metrics")
                self.livez.append(get(self.port, "/livez")[0])
            except ConnectionRefusedError:
                if self.counts:
                    self.errors.append("connection refused while running")
                    return
                time.sleep(0.05)
                continue
            except (OSError, http.client.HTTPException) as e:
                self.errors.append(repr(e))
                continue
            self.slowest = max(self.slowest, time.time() - t0)
            n = applied(text) if st == 200 else -1
            self.counts.append(n)
            if n >= self.events:
                return
            time.sleep(0.05)


def prom_query(pport, q):
    url = (f"http://127.0.0.1:{pport}/api/v1/query?" +
           urllib.parse.urlencode({"query": q}))
    with urllib.request.urlopen(url, timeout=5) as r:
        d = json.load(r)
    if d.get("status") != "success":
        raise RuntimeError(f"prometheus: {d}")
    return d["data"]["result"]


def prom_sum(pport, q):
    res = prom_query(pport, f"sum({q})")
    return int(float(res[0]["value"][1])) if res else None


def wait_for(what, fn, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.2)
    return fn()


def stop(proc, name):
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        check(False, f"{name} still running 10 s after SIGTERM")
        return
    check(rc == 0, f"{name} exit status {rc} after SIGTERM")


def start_broker(tmp):
    broker = subprocess.Popen(
        [BIN, "broker", "-c",
         os.path.join(SRC, "tests/data/configs/good/contract.cfg"),
         "--partitions", "4"],
        stdout=subprocess.PIPE, stderr=open(f"{tmp}/broker.err", "w"),
        text=True)
    line = broker.stdout.readline().strip()
    if not line.startswith("bootstrap="):
        sys.exit(f"broker: {line}")
    return broker, line[len("bootstrap="):]


def start_prometheus(tmp, port):
    pport = free_port()
    with open(f"{tmp}/prometheus.yml", "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                "scrape_configs:\n  - job_name: churnwatch\n"
                "    static_configs:\n"
                f"      - targets: ['127.0.0.1:{port}']\n")
    prom = subprocess.Popen(
        ["prometheus", f"--config.file={tmp}/prometheus.yml",
         f"--storage.tsdb.path={tmp}/prom",
         f"--web.listen-address=127.0.0.1:{pport}", "--log.level=warn"],
        stdout=subprocess.DEVNULL, stderr=open(f"{tmp}/prom.err", "w"))

    def ready():
        try:
            return get(pport, "/-/ready")[0] == 200
        except OSError:
            return False
    if not wait_for("prometheus", ready, 30):
        sys.exit("prometheus did not start: " + open(f"{tmp}/prom.err").read())
    return prom, pport


def readiness_sequence(seen, name, restore):
    """503 joining first; 503 stopping last; 200 ready in between; every
    503 a known reason; with `restore`, restoring before the first 200."""
    reasons = [b for _, b in seen]
    check(bool(seen) and seen[0] == (503, "joining"),
          f"{name}: /readyz did not begin with 503 joining: {seen}")
    check(bool(seen) and seen[-1] == (503, "stopping"),
          f"{name}: /readyz did not end with 503 stopping: {seen}")
    check((200, "ready") in seen, f"{name}: /readyz never 200: {seen}")
    check(all(s == 200 and b == "ready" or s == 503 and re.fullmatch(
        r"joining|stopping|restoring [1-4] of 4 shards", b) for s, b in seen),
        f"{name}: unexpected /readyz answers: {seen}")
    if restore and (200, "ready") in seen:
        first_ready = seen.index((200, "ready"))
        check(any(b.startswith("restoring") for b in reasons[:first_ready]),
              f"{name}: no 503 restoring before the first 200: {seen}")


def first_run(tmp, env, bs, port, pport, events):
    rp, ls = ReadyPoller(port), LoadSampler(port, events)
    rp.start()
    ls.start()
    run = subprocess.Popen([BIN, "run", "-c", f"{tmp}/cw.cfg"], env=env,
                           stderr=open(f"{tmp}/run1.err", "w"))
    ls.join(90)
    # At least one answer with a partial count: the endpoint answered while
    # run processed the backlog at full speed (how many depends on how fast
    # the machine is: the snapshot moves every 250 ms), and every answer
    # came within a second (below).
    moving = sorted({n for n in ls.counts if 0 < n < events})
    check(len(moving) >= 1,
          f"no answer while the backlog was processed: {ls.counts}")
    check(not ls.errors, f"/metrics failed while running: {ls.errors[:3]}")
    check(ls.slowest < 1.0,
          f"slowest /metrics + /livez answer under load: {ls.slowest:.3f} s")
    check(ls.livez and all(s == 200 for s in ls.livez),
          f"/livez while running: {ls.livez}")

    got = wait_for("applied", lambda: prom_sum(
        pport, "churnwatch_events_applied_total") == events, 60)
    check(got, "Prometheus: churnwatch_events_applied_total is "
          f"{prom_sum(pport, 'churnwatch_events_applied_total')}, "
          f"gen produced {events}")
    time.sleep(1.5)  # the last transaction commits; a scrape follows
    _, rows = run_lib.warning_rows(bs)
    want = collections.Counter((w["alert"], w["state"]) for _, _, w in rows)

    def scraped():
        return {(r["metric"]["alert"], r["metric"]["state"]):
                int(float(r["value"][1]))
                for r in prom_query(pport, "churnwatch_warnings_total")
                if int(float(r["value"][1]))}
    got = wait_for("warnings", lambda: scraped() == dict(want), 20)
    check(sum(want.values()) > 0, "no warning on the topic: the test proves "
          "nothing")
    check(got, f"Prometheus: churnwatch_warnings_total {scraped()}, "
          f"the warning topic {dict(want)}")

    st, hdr, text = get(port, "/metrics")
    check(st == 200 and hdr.get("Content-Type", "").startswith(
        "text/plain; version=0.0.4"), f"/metrics: {st} {hdr}")
    pt = subprocess.run(["promtool", "check", "metrics"], input=text,
                        capture_output=True, text=True)
    check(pt.returncode == 0, f"promtool check metrics: {pt.stdout}{pt.stderr}")
    held = re.search(r"^churnwatch_customers (\d+)$", text, re.M)
    check(get(port, "/livez")[0] == 200, "/livez not 200 while running")
    check(get(port, "/nope")[0] == 404, "an unknown path is not 404")
    st, hdr, _ = get(port, "/metrics", "POST", "x=1")
    check(st == 405 and hdr.get("Allow") == "GET, HEAD",
          f"POST /metrics: {st} {hdr}")
    st, _, body = get(port, "/readyz", "HEAD")
    check(st == 200 and body == "", f"HEAD /readyz: {st} {body!r}")
    stop(run, "run")
    rp.join(20)
    readiness_sequence(rp.seen, "first run", False)
    return int(held.group(1)) if held else -1, sum(want.values())


def second_run(tmp, env, port, held):
    rp = ReadyPoller(port)
    rp.start()
    run = subprocess.Popen([BIN, "run", "-c", f"{tmp}/cw.cfg"], env=env,
                           stderr=open(f"{tmp}/run2.err", "w"))
    wait_for("ready", lambda: (200, "ready") in rp.seen, 60)
    time.sleep(0.5)  # a publication after the last restore
    _, _, text = get(port, "/metrics")
    m = dict(re.findall(r"^(churnwatch_restore\w*|churnwatch_restored\w*) "
                        r"(\S+)$", text, re.M))
    check(m.get("churnwatch_restored_shards_total") == "4",
          f"restored shards: {m}")
    check(held > 0 and m.get("churnwatch_restored_customers_total") ==
          str(held), f"restored customers: {m}; the first run held {held}")
    check(int(m.get("churnwatch_restore_records_total", 0)) >= held,
          f"restore records: {m}")
    stop(run, "second run")
    rp.join(20)
    readiness_sequence(rp.seen, "second run", True)


def main():
    tmp = tempfile.mkdtemp()
    procs = []
    try:
        broker, bs = start_broker(tmp)
        procs.append(broker)
        port = free_port()
        env = dict(os.environ, CW_TEST_METRICS_PORT=str(port))
        cfg = open(os.path.join(
            SRC, "tests/data/configs/good/contract.cfg")).read()
        # Short sessions: the second run's join need not wait long for
        # the first one's to run out on the mock cluster.
        cfg = cfg.replace("127.0.0.1:9092", bs).replace(
            'group_id = "churnwatch";',
            'group_id = "churnwatch"; session_timeout_ms = 6000; '
            'heartbeat_interval_ms = 500;')
        cfg += ('stats_interval_ms = 1000;\n'
                'http_listen = "127.0.0.1:${CW_TEST_METRICS_PORT}";\n')
        open(f"{tmp}/cw.cfg", "w").write(cfg)
        prom, pport = start_prometheus(tmp, port)
        procs.append(prom)
        # A backlog that takes run several snapshot intervals (250 ms)
        # to catch up with, even without a commit blocking the loop.
        gen = subprocess.run([BIN, "gen", "-c", f"{tmp}/cw.cfg", "--customers",
                              "6000", "--days", "90"], env=env,
                             capture_output=True, text=True)
        m = re.search(r" (\d+) events in ", gen.stderr)
        if gen.returncode or not m:
            sys.exit("gen: " + gen.stderr)
        events = int(m.group(1))
        held, warnings = first_run(tmp, env, bs, port, pport, events)
        second_run(tmp, env, port, held)
        for f in ("run1.err", "run2.err"):
            errs = [ln for ln in open(f"{tmp}/{f}") if re.search(
                r" error |ERROR: (Address|Leak)Sanitizer|runtime error:", ln)]
            check(not errs, f"{f}: {errs[:3]}")
        print(f"run_metrics: {events} events, {warnings} warnings, "
              f"{held} customers restored", flush=True)
        if check.failed:
            for f in ("run1.err", "run2.err", "prom.err"):
                if os.path.exists(f"{tmp}/{f}"):
                    print(f"--- {f}\n" + "".join(open(f"{tmp}/{f}")
                                                   .readlines()[-8:]))
    finally:
        for p in procs:
            p.kill()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    check.finish()


if __name__ == "__main__":
    main()
