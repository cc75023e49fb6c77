#!/usr/bin/python3
"""replay --sweep (CONTRACT.md section 7), against separate replays.

Usage: backtest_sweep.py CHURNWATCH SOURCE_DIR

One replay with two --sweep flags (two models, fire values both above and
below each model's configured clear) must give, for every variant row of
report.json, exactly the figures of a separate replay whose configuration
says fire = v and clear = min(clear, v). The sweep must not change what
goes to OUT (only the configuration's own warnings, byte for byte) nor the
base rows. Bad --sweep arguments are usage errors that say what is wrong.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

BIN, SRC = sys.argv[1], sys.argv[2]
CFG = os.path.join(SRC, "examples", "churnwatch.cfg")
SWEEPS = ["churn_lr_v2.fire=0.2:0.9:0.1", "churn_lr_v1.fire=0.5:0.9:0.2"]
WINDOW = ["--from", "2026-03-01", "--to", "2026-06-15"]
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("backtest_sweep: FAIL:", what)


def replay(cfg, tmp, name, extra=()):
    out, rep = os.path.join(tmp, name + ".jsonl"), os.path.join(tmp, name)
    p = subprocess.run([BIN, "replay", "-c", cfg, "--input", ev, "--output",
                        out, "--labels", labels, "--report", rep, *WINDOW,
                        *extra], capture_output=True, text=True)
    if p.returncode:
        sys.exit("backtest_sweep: replay %s failed: %s" % (name, p.stderr))
    with open(os.path.join(rep, "report.json")) as f:
        rows = json.load(f)["rows"]
    with open(out, "rb") as f:
        return f.read(), {(r["alert"], r["variant"]): r for r in rows}


def with_fire(text, model, v):
    """The configuration text with model's fire = v, clear = min(clear, v)."""
    start = text.index('name = "%s"' % model)
    end = text.index("}", text.index("fire", start))
    block = text[start:end]
    fire = float(re.search(r"fire = ([0-9.]+)", block).group(1))
    m = re.search(r"clear = ([0-9.]+)", block)
    clear = float(m.group(1)) if m else fire
    block = re.sub(r"fire = [0-9.]+", "fire = %r" % v, block)
    block = re.sub(r"clear = [0-9.]+", "clear = %r" % min(clear, v), block)
    return text[:start] + block + text[end:]


tmp = tempfile.mkdtemp()
try:
    ev, labels = os.path.join(tmp, "ev"), os.path.join(tmp, "labels.csv")
    subprocess.run([BIN, "gen", "-c", CFG, "--customers", "1500", "--days",
                    "150", "--seed", "11", "--labels", labels, "--output-dir",
                    ev], check=True, capture_output=True)
    base_out, base = replay(CFG, tmp, "base")
    args = [a for s in SWEEPS for a in ("--sweep", s)]
    out, swept = replay(CFG, tmp, "swept", args)

    check(out == base_out, "the sweep changed the warnings written to OUT")
    for key, row in base.items():
        check(swept.get(key) == row, "base row %s changed: %s != %s"
              % (key, swept.get(key), row))
    variants = {k: r for k, r in swept.items() if k[1] != "base"}
    expect = 8 + 3  # 0.2 .. 0.9 step 0.1, 0.5 .. 0.9 step 0.2
    check(len(variants) == expect, "%d variant rows, expected %d: %s"
          % (len(variants), expect, sorted(variants)))
    check(len(swept) == len(base) + len(variants), "unexpected rows")
    with open(CFG) as f:
        text = f.read()
    fired = 0
    for (model, variant), row in sorted(variants.items()):
        v = float(variant[len("fire="):])
        cfg = os.path.join(tmp, "v.cfg")
        with open(cfg, "w") as f:
            f.write(with_fire(text, model, v))
        _, alone = replay(cfg, tmp, "alone")
        want = dict(alone[(model, "base")], variant=variant)
        check(row == want, "%s %s: sweep %s != separate replay %s"
              % (model, variant, row, want))
        fired += row["warned"] > 0
    check(fired >= len(variants) // 2, "too few variants warned anyone (%d):"
          " the test data does not exercise the sweep" % fired)

    for bad, msg in [("churn_lr_v1.fire=0.9:0.1:0.1", "STOP at or above"),
                     ("churn_lr_v1.clear=0.1:0.5:0.1", "MODEL.fire="),
                     ("nosuch.fire=0.1:0.5:0.1", "no alert named nosuch"),
                     ("purchase_drop.fire=0.1:0.5:0.1", "is a rule"),
                     ("churn_lr_v1.fire=0.5:1.5:0.5", "outside [0, 1]"),
                     ("churn_lr_v1.fire=0:1:0.001", "more than 256")]:
        p = subprocess.run([BIN, "replay", "-c", CFG, "--input", ev,
                            "--output", os.path.join(tmp, "x.jsonl"),
                            "--labels", labels, "--report",
                            os.path.join(tmp, "x"), "--sweep", bad],
                           capture_output=True, text=True)
        check(p.returncode == 2 and msg in p.stderr,
              "--sweep %s: exit %d, %r" % (bad, p.returncode, p.stderr))
    p = subprocess.run([BIN, "replay", "-c", CFG, "--input", ev, "--output",
                        os.path.join(tmp, "x.jsonl"), "--sweep", SWEEPS[0]],
                       capture_output=True, text=True)
    check(p.returncode == 2 and "needs --labels and --report" in p.stderr,
          "--sweep without a report: exit %d" % p.returncode)
finally:
    shutil.rmtree(tmp)
print("backtest_sweep: %d variants checked, %d failures"
      % (len(variants), len(failures)))
sys.exit(1 if failures else 0)
