#!/usr/bin/python3
"""Hostile edges of the command line (issue 16, docs/fuzzing.md#edges): a
configuration that is a folder or a FIFO, expressions nested 100,000 deep,
a label file with a 1 GB line (sparse) and with a 2 MB one, every output
on a full disk (/dev/full), an input file cut in the middle of a block, a
codec churnwatch does not read, and clock jumps in ts (1970, 9999, 10000).
Each must give a sentence naming its place, exit 1 where the command fails,
leave no incomplete output behind, and never crash (the sanitizer build
fails the test on any report).

Usage: edges.py CHURNWATCH SOURCE_DIR"""
import datetime
import io
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile

import avro.datafile
import avro.io
import avro.schema

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from checks import Checks  # noqa: E402

CW, SRC = sys.argv[1], sys.argv[2]
CFG = os.path.join(SRC, "tests", "data", "configs", "good", "contract.cfg")
check = Checks("edges")


def run(*args, stdout=subprocess.DEVNULL, timeout=60):
    """churnwatch's exit code and standard error."""
    p = subprocess.run([CW, "--log-level", "warn"] + list(args),
                       stdout=stdout, stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stderr.decode(errors="replace")


def expect(what, rc_err, code, *texts):
    rc, err = rc_err
    check(rc == code, "%s: exit %d, not %d: %s" % (what, rc, code, err))
    for t in texts:
        check(t in err, "%s: no %r in: %s" % (what, t, err))


def schema(stream, plain_ts=False):
    with open(os.path.join(SRC, "schemas", stream + ".avsc")) as f:
        s = json.load(f)
    if plain_ts:  # a long without the logical type: years beyond 9999
        for field in s["fields"]:
            if field["name"] == "ts":
                field["type"] = "long"
    return avro.schema.parse(json.dumps(s))


def purchases(path, ts_list, codec="null", block=0, plain_ts=False):
    """A purchase file (ts in epoch millis); a block every `block` records."""
    buf = io.BytesIO()
    w = avro.datafile.DataFileWriter(buf, avro.io.DatumWriter(),
                                     schema("purchase", plain_ts), codec=codec)
    for i, ts in enumerate(ts_list):
        w.append({"event_id": "e%d" % i, "customer_id": "c%d" % (i % 7),
                  "ts": ts if plain_ts else EPOCH + datetime.timedelta(
                      milliseconds=ts),
                  "amount_cents": 500, "currency": "EUR", "channel": None})
        if block and i % block == block - 1:
            w.flush()
    w.flush()
    with open(path, "wb") as f:
        f.write(buf.getvalue())
    w.close()


DAY = 86400000
JAN_2026 = 1767225600000
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def configs(tmp):
    folder = os.path.join(tmp, "folder.cfg")
    os.mkdir(folder)
    expect("a folder", run("check-config", "-c", folder), 1,
           folder + ": is a folder, not a file; give the configuration "
           "file itself")
    fifo = os.path.join(tmp, "fifo.cfg")
    os.mkfifo(fifo)  # nothing writes it: opening it would block for ever
    expect("a FIFO", run("check-config", "-c", fifo, timeout=20), 1,
           fifo + ": is a FIFO (named pipe), not a regular file")
    deep = os.path.join(tmp, "deep.cfg")
    n = 100000
    with open(deep, "w") as f:
        f.write('features = (\n'
                '  { name = "p30"; stream = "purchase"; agg = "count"; '
                'window = "30d"; },\n'
                '  { name = "deep"; expr = "%sp30%s"; }\n);\n'
                'rules = (\n  { name = "r"; when = "%sp30 > 1"; }\n);\n'
                % ("(" * n, ")" * n, "-" * n))
    expect("expressions 100,000 deep", run("check-config", "-c", deep), 1,
           deep + ":3: feature 'deep': expr: expression is nested too "
           "deeply at column 257",
           deep + ":6: rule 'r': when: expression is nested too deeply at "
           "column 257")


def labels(tmp, events):
    out = os.path.join(tmp, "labels-out.jsonl")
    big = os.path.join(tmp, "big.csv")
    with open(big, "w") as f:
        f.write("customer_id,churned_at\nc1,2026-01-01\nc2,")
    os.truncate(big, 1 << 30)  # a 1 GB line of NUL bytes, sparse
    expect("a 1 GB line", run("replay", "-c", CFG, "--input", events,
                              "--output", out, "--labels", big,
                              "--report", os.path.join(tmp, "rep")), 1,
           big + ":3: a NUL byte: a label file is text")
    long_line = os.path.join(tmp, "long.csv")
    with open(long_line, "w") as f:
        f.write("customer_id,churned_at\nc1," + "x" * 2000000 + "\n")
    expect("a 2 MB line", run("replay", "-c", CFG, "--input", events,
                              "--output", out, "--labels", long_line,
                              "--report", os.path.join(tmp, "rep")), 1,
           long_line + ":2: a line longer than 1023 bytes")
    check(not os.path.exists(out), "a broken label file left an output")


def full_disk(tmp, events):
    for name in ("full.jsonl", "full.avro", "full.csv"):
        os.symlink("/dev/full", os.path.join(tmp, name))
    for out in ("full.jsonl", "full.avro"):
        path = os.path.join(tmp, out)
        expect("--output " + out, run("replay", "-c", CFG, "--input", events,
                                      "--output", path), 1,
               "cannot write %s: No space left on device" % path)
    path = os.path.join(tmp, "full.csv")
    expect("--features", run("replay", "-c", CFG, "--input", events,
                             "--features", path), 1,
           path + ": No space left on device")
    rep = os.path.join(tmp, "fullrep")
    os.mkdir(rep)
    os.symlink("/dev/full", os.path.join(rep, "report.json"))
    expect("--report", run("replay", "-c", CFG, "--input", events,
                           "--output", os.path.join(tmp, "rep.jsonl"),
                           "--labels", os.path.join(tmp, "labels.csv"),
                           "--report", rep), 1,
           "cannot write %s/report.json: No space left on device" % rep)
    with open("/dev/full", "w") as full:
        expect("--output - to /dev/full",
               run("replay", "-c", CFG, "--input", events, "--output", "-",
                   stdout=full), 1,
               "cannot write standard output: No space left on device")
        expect("check-config's summary to /dev/full",
               run("check-config", "-c", CFG, stdout=full), 1,
               "cannot write standard output: No space left on device")
    gen = os.path.join(tmp, "genfull")
    os.mkdir(gen)
    for f in ("purchases", "logins", "tickets", "surveys"):
        os.symlink("/dev/full", os.path.join(gen, f + ".avro"))
    expect("gen --output-dir", run("gen", "-c", CFG, "--customers", "20",
                                   "--days", "10", "--output-dir", gen), 1,
           "No space left on device")
    check(all(os.path.islink(os.path.join(gen, f + ".avro"))
              for f in ("purchases", "logins", "tickets", "surveys")),
          "gen removed a link to /dev/full")
    gen_cut_short(tmp)


def gen_cut_short(tmp):
    """gen stopped by a write error halfway: no file it wrote is left."""
    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100000, 100000))
    out, lab = os.path.join(tmp, "gencut"), os.path.join(tmp, "gencut.csv")
    p = subprocess.run([CW, "--log-level", "warn", "gen", "-c", CFG,
                        "--customers", "300", "--days", "60", "--labels", lab,
                        "--output-dir", out], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, preexec_fn=small_files,
                       timeout=60)
    expect("gen with files limited to 100 kB",
           (p.returncode, p.stderr.decode(errors="replace")), 1,
           "File too large", "removed the 4 files written to " + out,
           "removed " + lab)
    check(os.listdir(out) == [], "gen left %s" % os.listdir(out))
    check(not os.path.exists(lab), "gen left its labels")


def inputs(tmp):
    cut = os.path.join(tmp, "cut")
    os.mkdir(cut)
    path = os.path.join(cut, "purchases.avro")
    purchases(path, [JAN_2026 + i * DAY // 10 for i in range(300)], block=50)
    size = os.path.getsize(path)
    os.truncate(path, size * 3 // 5)  # inside the 4th of 6 blocks
    out = os.path.join(tmp, "cut.jsonl")
    expect("an input cut mid-block", run("replay", "-c", CFG, "--input", cut,
                                         "--output", out), 1,
           path + ": record 150: corrupt block",
           "removed %s, which the failure left incomplete" % out)
    check(not os.path.exists(out), "the cut input left an output")
    path = os.path.join(tmp, "bzip2.avro")
    purchases(path, [JAN_2026], codec="bzip2")
    expect("codec bzip2", run("replay", "-c", CFG, "--input", path,
                              "--output", out), 1,
           path + ": codec bzip2 is not supported (churnwatch reads the "
           "null and deflate codecs)")
    check(not os.path.exists(out), "an unread codec left an output")


def clock_jumps(tmp):
    path = os.path.join(tmp, "jumps.avro")
    purchases(path, [0, JAN_2026, 253402300799999, 253402300800000],
              plain_ts=True)
    out = os.path.join(tmp, "jumps.jsonl")
    expect("clock jumps", run("replay", "-c", CFG, "--input", path,
                              "--output", out), 0,
           path + ": record 1: clock jump: ts 2026-01-01T00:00:00.000Z "
           "moves stream time 20454 days ahead, from 1970-01-01T00:00:00.000Z",
           path + ": record 2: clock jump: ts 9999-12-31T23:59:59.999Z "
           "moves stream time 2912442 days ahead",
           path + ": record 3: ts 253402300800000 is after the year 9999")
    with open(out) as f:
        rows = [json.loads(line) for line in f]
    check(rows and all(r["eval_ts"] <= 253402300799999 for r in rows),
          "the warnings of the jumps: %r" % rows)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        events = os.path.join(tmp, "events")
        rc, err = run("gen", "-c", CFG, "--customers", "30", "--days", "40",
                      "--seed", "5", "--labels",
                      os.path.join(tmp, "labels.csv"), "--output-dir", events)
        check(rc == 0, "gen: " + err)
        configs(tmp)
        labels(tmp, events)
        full_disk(tmp, events)
        inputs(tmp)
        clock_jumps(tmp)
    check.finish()


main()
