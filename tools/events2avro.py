#!/usr/bin/python3
"""Convert JSONL events to an Avro object container file.

usage: events2avro.py --stream purchase|login|ticket|survey
                      [--codec null|deflate] [--schema OTHER.avsc]
                      IN.jsonl OUT.avro

Each line of IN.jsonl is one JSON object holding the writer schema's
fields: strings, numbers, booleans, null for optional fields, enum symbols
as strings. timestamp-millis fields (ts) take epoch milliseconds, or
ISO-8601 text such as "2024-03-01T12:00:00Z". Blank lines are skipped.

The writer schema is ours (schemas/ next to this folder) unless --schema
names another one, e.g. to write the files of schema-evolution tests.
Needs Debian's python3-avro: run it with /usr/bin/python3.
"""
import argparse
import datetime
import json
import os
import sys

import avro.datafile
import avro.io
import avro.schema

SCHEMAS = {"purchase": "purchase.avsc", "login": "login.avsc",
           "ticket": "support_ticket.avsc", "survey": "survey.avsc"}
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def timestamp(v):
    """python3-avro writes timestamp-millis fields from datetimes only."""
    if isinstance(v, str):
        t = datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))
        return t if t.tzinfo else t.replace(tzinfo=datetime.timezone.utc)
    return EPOCH + datetime.timedelta(milliseconds=v)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stream", required=True, choices=sorted(SCHEMAS))
    ap.add_argument("--codec", default="null", choices=["null", "deflate"])
    ap.add_argument("--schema", help="writer schema (default: ours)")
    ap.add_argument("input", help="JSONL events")
    ap.add_argument("output", help="Avro container file to write")
    a = ap.parse_args()

    here = os.path.dirname(os.path.abspath(__file__))
    path = a.schema or os.path.join(here, "..", "schemas", SCHEMAS[a.stream])
    with open(path) as f:
        schema = avro.schema.parse(f.read())
    ts_fields = [f.name for f in schema.fields
                 if getattr(f.type, "logical_type", None) == "timestamp-millis"]

    with open(a.input) as src, open(a.output, "wb") as out:
        w = avro.datafile.DataFileWriter(out, avro.io.DatumWriter(), schema,
                                         codec=a.codec)
        for n, line in enumerate(src, 1):
            if not line.strip():
                continue
            try:
                ev = json.loads(line)
                for name in ts_fields:
                    if isinstance(ev.get(name), (int, str)):
                        ev[name] = timestamp(ev[name])
                w.append(ev)
            except Exception as e:  # any bad line: say where, leave no file
                out.close()
                os.remove(a.output)
                sys.exit(f"{a.input}:{n}: {e}")
        w.close()


if __name__ == "__main__":
    main()
