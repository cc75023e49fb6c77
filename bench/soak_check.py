#!/usr/bin/python3
"""bench/soak.sh's check that the input topics hold exactly the records of
the files it replays.

usage: soak_check.py inputs TMP ROUNDS PARTITIONS
    TMP/offsets: `run_lib.py offsets` lines (TOPIC PARTITION BEGIN END);
    TMP/files/R/P/*.avro: round R's events of partition P (gen
    --partitions). Each input partition's end offset must equal its
    files' record count summed over the rounds (the broker may have
    dropped the oldest records; the end offset still counts them).
    Prints one line naming the differences, nothing when there is none.
"""
import os
import sys

FILES = {"purchases": "purchases.avro", "logins": "logins.avro",
         "support-tickets": "tickets.avro", "surveys": "surveys.avro"}


def varint(b, i):
    """A zig-zag varint of Avro at b[i]: (value, next index)."""
    shift = v = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7f) << shift
        shift += 7
        if c < 0x80:
            return (v >> 1) ^ -(v & 1), i


def records(path):
    """Records of an Avro container file, counted from its block headers
    (decoding millions of records in Python would take minutes)."""
    with open(path, "rb") as f:
        b = f.read()
    if b[:4] != b"Obj\x01":
        sys.exit(f"{path}: not an Avro container file")
    i = 4
    while True:  # the metadata map, in blocks of entries
        n, i = varint(b, i)
        if n == 0:
            break
        if n < 0:
            n = -n
            _, i = varint(b, i)  # the block's size in bytes
        for _ in range(2 * n):  # key and value, each length-prefixed
            ln, i = varint(b, i)
            i += ln
    i += 16  # the sync marker
    total = 0
    while i < len(b):
        n, i = varint(b, i)
        size, i = varint(b, i)
        total += n
        i += size + 16
    return total


def inputs(tmp, rounds, parts):
    end = {}
    with open(os.path.join(tmp, "offsets")) as f:
        for line in f:
            t, p, _, e = line.split()
            end[(t, int(p))] = int(e)
    bad = []
    for t, name in FILES.items():
        for p in range(parts):
            n = sum(records(os.path.join(tmp, "files", str(r), str(p), name))
                    for r in range(rounds))
            if end.get((t, p)) != n:
                bad.append(f"{t} [{p}] holds {end.get((t, p))} records, "
                           f"the files {n}")
    if bad:
        print(f"the input topics differ from the files ({len(bad)} "
              "partitions): " + "; ".join(bad[:4]))


def main(argv):
    if len(argv) == 4 and argv[0] == "inputs":
        inputs(argv[1], int(argv[2]), int(argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
