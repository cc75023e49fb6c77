#!/usr/bin/python3
"""Checks schemas/*.avsc against CONTRACT.md sections 1 and 4 as plain JSON:
names, namespaces, field order, types, defaults and a doc on every field
(things avro-c does not expose), then parses each with python3-avro as an
independent Avro implementation. Usage: schemas_contract.py [CHURNWATCH] SOURCE_DIR"""
import json
import os
import sys

import avro.schema

TS = {"type": "long", "logicalType": "timestamp-millis"}
NULL_STR = (["null", "string"], None)
COMMON = [("event_id", "string"), ("customer_id", "string"), ("ts", TS)]

EXPECTED = {
    "purchase.avsc": ("Purchase", "churnwatch.events", COMMON + [
        ("amount_cents", "long"), ("currency", "string"), ("channel",) + NULL_STR]),
    "login.avsc": ("Login", "churnwatch.events", COMMON + [
        ("session_seconds", "int"), ("success", "boolean", True),
        ("device",) + NULL_STR]),
    "support_ticket.avsc": ("SupportTicket", "churnwatch.events", COMMON + [
        ("ticket_id", "string"),
        ("status", {"enum": "TicketStatus",
                    "symbols": ["OPENED", "UPDATED", "RESOLVED", "REOPENED"]}),
        ("category", "string"), ("severity", "int")]),
    "survey.avsc": ("Survey", "churnwatch.events", COMMON + [
        ("kind", {"enum": "SurveyKind", "symbols": ["NPS", "CSAT", "CES"]}),
        ("score", "int"), ("comment",) + NULL_STR]),
    "churn_warning.avsc": ("ChurnWarning", "churnwatch", [
        ("warning_id", "string"), ("customer_id", "string"), ("alert", "string"),
        ("kind", {"enum": None, "symbols": ["RULE", "MODEL"]}),
        ("state", {"enum": None, "symbols": ["FIRING", "RESOLVED"]}),
        ("severity", "string"), ("eval_ts", TS),
        ("trigger", {"enum": None, "symbols": ["EVENT", "TIMER"]}),
        ("score", ["null", "double"], None),
        ("features", {"type": "map", "values": "double"}),
        ("reasons", {"type": "array", "items": "string"}),
        ("emitted_at", TS)]),
}

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)


def type_matches(actual, want):
    if isinstance(want, dict) and "enum" in want:
        return (isinstance(actual, dict) and actual.get("type") == "enum"
                and actual.get("symbols") == want["symbols"]
                and (want["enum"] is None or actual.get("name") == want["enum"]))
    if isinstance(want, dict):
        return isinstance(actual, dict) and all(actual.get(k) == v for k, v in want.items())
    return actual == want


src = sys.argv[-1]  # [CHURNWATCH] SOURCE_DIR
for fname, (name, ns, fields) in EXPECTED.items():
    path = os.path.join(src, "schemas", fname)
    text = open(path).read()
    doc = json.loads(text)
    check(doc.get("name") == name, f"{fname}: name {doc.get('name')!r} != {name!r}")
    check(doc.get("namespace") == ns, f"{fname}: namespace {doc.get('namespace')!r} != {ns!r}")
    check(bool(doc.get("doc")), f"{fname}: the record has no doc")
    got = doc.get("fields", [])
    check([f["name"] for f in got] == [f[0] for f in fields],
          f"{fname}: field order {[f['name'] for f in got]}")
    for f, want in zip(got, fields):
        check(type_matches(f["type"], want[1]), f"{fname}: {f['name']} has type {f['type']}")
        if len(want) == 3:
            check("default" in f and f["default"] == want[2],
                  f"{fname}: {f['name']} default {f.get('default', '<none>')!r} != {want[2]!r}")
        else:
            check("default" not in f, f"{fname}: {f['name']} has a default the contract does not give")
        check(bool(f.get("doc")), f"{fname}: field {f['name']} has no doc")
    try:
        avro.schema.parse(text)
    except Exception as e:  # any parse failure is a contract failure
        failures.append(f"{fname}: python3-avro rejects it: {e}")

for f in failures:
    print("FAIL", f)
print(f"schemas_contract: {len(EXPECTED) - len({f.split(':')[0] for f in failures})} passed, "
      f"{len({f.split(':')[0] for f in failures})} failed")
sys.exit(1 if failures else 0)
