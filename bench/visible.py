#!/usr/bin/python3
"""When a read_committed subscriber sees a warning (bench/kafka.sh, exactly
once): event -> warning visible, for warnings a record caused.

    bench/visible.py BIN CONFIG BOOTSTRAP

Runs `BIN tail -c CONFIG --follow --json` (librdkafka's consumer, whose
isolation.level is read_committed unless the configuration says otherwise)
and notes the wall clock at which each warning line arrives. A thread reads
the four input topics with kafka-python and keeps each record's Kafka
timestamp (the producer's clock when `gen` produced it) by (customer_id,
ts). A warning with trigger EVENT was evaluated at its event's ts
(CONTRACT.md section 4), so (customer_id, eval_ts) names the record that
caused it: latency = arrival - that record's timestamp. Stops on SIGTERM or
SIGINT and prints one line:

    visible: N warnings caused by records, p50 X ms, p99 Y ms, max Z ms
"""
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "lib"))
import run_lib  # noqa: E402
from kafka import TopicPartition  # noqa: E402

inputs = {}  # (customer_id, ts) -> Kafka timestamp of the record
lock = threading.Lock()
stopping = threading.Event()


def read_inputs(bootstrap):
    c = run_lib.consumer(bootstrap)
    schemas = {}
    tps = []
    for stream in run_lib.STREAMS:
        topic, avsc, _ = run_lib.INPUTS[stream]
        schemas[topic] = run_lib.schema(avsc)
        tps += [TopicPartition(topic, p)
                for p in run_lib.partitions_of(c, topic)]
    c.assign(tps)
    c.seek_to_beginning(*tps)
    while not stopping.is_set():
        for tp, recs in c.poll(timeout_ms=50).items():
            for r in recs:
                ev = run_lib.decode(schemas[tp.topic], r.value)
                if ev is None:
                    continue
                key = (ev["customer_id"], run_lib.millis(ev["ts"]))
                with lock:
                    inputs[key] = r.timestamp
    c.close()


def percentile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(q * len(xs) + 0.999999) - 1))]


def main():
    binary, config, bootstrap = sys.argv[1:4]
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    reader = threading.Thread(target=read_inputs, args=(bootstrap,))
    reader.start()
    tail = subprocess.Popen([binary, "tail", "-c", config, "--follow",
                             "--json", "--log-level", "error"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    seen = []  # (arrival ms, customer_id, eval_ts)
    fd = tail.stdout.fileno()
    buf = b""
    while not stopping.is_set():
        if not select.select([fd], [], [], 0.05)[0]:
            continue
        chunk = os.read(fd, 1 << 16)
        now = time.time() * 1000.0
        if not chunk:
            break
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            w = json.loads(line)
            if w["trigger"] == "EVENT":
                seen.append((now, w["customer_id"], w["eval_ts"]))
    tail.terminate()
    tail.wait()
    reader.join()
    lat = []
    with lock:
        for now, cust, ts in seen:
            t = inputs.get((cust, ts))
            if t is not None:
                lat.append(now - t)
    if not lat:
        print("visible: no warning caused by a record was seen")
        return 1
    print(f"visible: {len(lat)} warnings caused by records "
          f"({len(seen) - len(lat)} unmatched), "
          f"p50 {percentile(lat, 0.5):.1f} ms, "
          f"p99 {percentile(lat, 0.99):.1f} ms, max {max(lat):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
