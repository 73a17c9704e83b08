#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""ecs_check - every field of every alert and flow record against ECS's definitions.

usage: ecs_check.py ECS_FLAT_YML FILE...   (JSON lines; "-" for stdin)

Each line is flattened to dotted names. A name under eastwatch.* is ours; any other must
be an ECS field (ecs_flat.yml) or, for an object ECS nests (source, network, ...), lead to
one. Each value must have its field's type (keyword/text: a string; long/integer: an
integer; float/scaled_float: a number; boolean; ip: an address; date: RFC 3339), be an
array exactly when ECS normalizes the field to one, and be one of its allowed values when
it lists them; each event.type must be expected by one of the event's categories. Every
string must be valid UTF-8 (a JSON parser decodes it; lone surrogates are refused).
ecs.version must be the definitions' version. Prints one line per problem and exits 1
when there is any; prints the kinds of events seen otherwise."""
import datetime
import ipaddress
import json
import os
import sys

import yaml


def flatten(obj, prefix=""):
    for k, v in obj.items():
        name = prefix + k
        if isinstance(v, dict):
            yield from flatten(v, name + ".")
        else:
            yield name, v


def type_ok(t, v):
    if t in ("keyword", "constant_keyword", "wildcard", "text", "match_only_text"):
        return isinstance(v, str)
    if t in ("long", "integer", "short", "byte", "unsigned_long"):
        return isinstance(v, int) and not isinstance(v, bool)
    if t in ("float", "half_float", "scaled_float", "double"):
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if t == "boolean":
        return isinstance(v, bool)
    if t == "ip":
        try:
            ipaddress.ip_address(v)
            return True
        except (ValueError, TypeError):
            return False
    if t == "date":
        try:
            datetime.datetime.strptime(v, "%Y-%m-%dT%H:%M:%S.%fZ")
            return True
        except (ValueError, TypeError):
            return False
    return False   # object, nested, flattened...: eastwatch writes none of them


def no_surrogates(v):
    if isinstance(v, str):
        v.encode("utf-8")   # raises on a lone surrogate
    elif isinstance(v, list):
        for x in v:
            no_surrogates(x)


def main():
    ecs_yml, files = sys.argv[1], sys.argv[2:]
    ecs = yaml.safe_load(open(ecs_yml))
    version = open(os.path.join(os.path.dirname(ecs_yml), "version")).read().strip()
    expected = {a["name"]: set(a.get("expected_event_types", []))
                for a in ecs["event.category"]["allowed_values"]}
    problems, kinds, lines = [], {}, 0
    for path in files:
        stream = sys.stdin if path == "-" else open(path, encoding="utf-8", errors="strict")
        for n, line in enumerate(stream, 1):
            if not line.strip():
                continue
            where = f"{path}:{n}"
            doc = json.loads(line)
            lines += 1
            kind = f'{doc.get("event", {}).get("kind")}/{doc.get("event", {}).get("action")}'
            kinds[kind] = kinds.get(kind, 0) + 1
            for name, v in flatten(doc):
                try:
                    no_surrogates(v)
                except UnicodeEncodeError:
                    problems.append(f"{where}: {name}: not valid UTF-8")
                if name.startswith("eastwatch."):
                    continue
                f = ecs.get(name)
                if f is None:
                    problems.append(f"{where}: {name}: not an ECS field")
                    continue
                is_array = "array" in (f.get("normalize") or [])
                if is_array != isinstance(v, list):
                    problems.append(f"{where}: {name}: {'an array' if is_array else 'one value'} "
                                    f"in ECS, written {json.dumps(v)}")
                    continue
                for x in v if isinstance(v, list) else [v]:
                    if not type_ok(f["type"], x):
                        problems.append(f"{where}: {name}: {json.dumps(x)} is not a {f['type']}")
                    allowed = [a["name"] for a in f.get("allowed_values", [])]
                    if allowed and x not in allowed:
                        problems.append(f"{where}: {name}: {json.dumps(x)} not allowed "
                                        f"({', '.join(allowed)})")
            ev = doc.get("event", {})
            ok_types = set().union(*[expected.get(c, set()) for c in ev.get("category", [])])
            for t in ev.get("type", []):
                if t not in ok_types:
                    problems.append(f"{where}: event.type {t} is expected by none of the "
                                    f"categories {ev.get('category')}")
            if doc.get("ecs", {}).get("version") != version:
                problems.append(f"{where}: ecs.version {doc.get('ecs', {}).get('version')}, "
                                f"the definitions are {version}")
    for p in problems[:50]:
        print("FAIL", p)
    if problems:
        print(f"ecs_check: {len(problems)} problems in {lines} lines")
        return 1
    if lines == 0:
        print("FAIL ecs_check: no lines")
        return 1
    print(f"ok ecs_check: {lines} lines, every field as ECS defines it "
          f"({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
