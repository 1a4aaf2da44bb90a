#!/usr/bin/env python3
"""Validate heldout-4 JSONL files and print counts per style and per type.

Checks: JSON keys, id uniqueness, offsets in range, span text == text[start:end], spans sorted and
non-overlapping, types from the README, optional flag only True, AGE always optional, shape of
`known`, upper.jsonl text fully upper case and without `known`, NHS numbers pass modulus 11.
Also warns (does not fail) when a labelled NAME/ORGANISATION/LOCATION string occurs again in the
same text outside any span - a consistency aid for the writer.
"""
import json
import re
import sys
from collections import Counter
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent
TYPES = {"NAME", "ADDRESS", "POSTCODE", "LOCATION", "PHONE", "EMAIL", "DATE", "NHS_NUMBER",
         "NI_NUMBER", "ORGANISATION", "URL", "ID", "USERNAME", "AGE"}
CLIENT_KEYS = {"name", "dob", "address", "postcode", "phone", "email", "nhs_number"}


def nhs_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 10:
        return False
    tot = sum(int(x) * (10 - i) for i, x in enumerate(d[:9]))
    c = 11 - tot % 11
    c = 0 if c == 11 else c
    return c != 10 and c == int(d[9])


def check(path, upper):
    errs, warns = [], []
    styles, types, opt = Counter(), Counter(), Counter()
    ids, n_known = set(), 0
    for ln, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        d = json.loads(line)
        did = d.get("id")
        where = "%s:%d %s" % (path.name, ln, did)
        keys = set(d)
        if not ({"id", "text", "spans"} <= keys <= {"id", "text", "spans", "known"}):
            errs.append("%s bad keys %s" % (where, keys))
        if did in ids:
            errs.append("%s duplicate id" % where)
        ids.add(did)
        styles[did.rsplit("-", 1)[1]] += 1
        t = d["text"]
        if "[[" in t or "]]" in t:
            errs.append("%s markup left in text" % where)
        if upper:
            if t != t.upper():
                errs.append("%s not upper case" % where)
            if "known" in d:
                errs.append("%s upper doc has known" % where)
        if "known" in d:
            n_known += 1
            k = d["known"]
            if set(k) != {"client", "others"} or not set(k["client"]) <= CLIENT_KEYS \
                    or "name" not in k["client"]:
                errs.append("%s bad known shape" % where)
            for o in k["others"]:
                if set(o) != {"name", "role"}:
                    errs.append("%s bad known other" % where)
            if "dob" in k["client"] and not re.fullmatch(r"\d{4}-\d\d-\d\d", k["client"]["dob"]):
                errs.append("%s dob not ISO" % where)
            if "nhs_number" in k["client"] and not nhs_ok(k["client"]["nhs_number"]):
                errs.append("%s known nhs fails mod 11" % where)
        prev_end = -1
        covered = [False] * len(t)
        for s in d["spans"]:
            if set(s) - {"start", "end", "type", "text", "optional"}:
                errs.append("%s bad span keys" % where)
            a, b = s["start"], s["end"]
            if not (0 <= a < b <= len(t)):
                errs.append("%s bad range %s" % (where, s))
                continue
            if t[a:b] != s["text"]:
                errs.append("%s text mismatch %r vs %r" % (where, t[a:b], s["text"]))
            if s["text"] != s["text"].strip() or not s["text"]:
                errs.append("%s span has edge whitespace %r" % (where, s["text"]))
            if a < prev_end:
                errs.append("%s overlap/unsorted at %s" % (where, s))
            prev_end = b
            if s["type"] not in TYPES:
                errs.append("%s bad type %s" % (where, s["type"]))
            if "optional" in s and s["optional"] is not True:
                errs.append("%s optional must be true" % where)
            if s["type"] == "AGE" and not s.get("optional"):
                errs.append("%s AGE not optional" % where)
            if s["type"] == "NHS_NUMBER" and not nhs_ok(s["text"]):
                errs.append("%s NHS number fails mod 11: %s" % (where, s["text"]))
            for i in range(a, b):
                covered[i] = True
            types[s["type"]] += 1
            if s.get("optional"):
                opt[s["type"]] += 1
        seen = {s["text"] for s in d["spans"] if s["type"] in ("NAME", "ORGANISATION", "LOCATION")}
        for s in d["spans"]:
            if s["type"] == "NAME":
                seen.update(w.strip(".,'\"()") for w in s["text"].split() if len(w.strip(".,'\"()")) >= 3)
        for name in seen:
            if len(name) < 2:
                continue
            for m in re.finditer(r"(?<!\w)" + re.escape(name) + r"(?!\w)", t):
                if not any(covered[m.start():m.end()]):
                    warns.append("%s unlabelled repeat of %r at %d" % (where, name, m.start()))
    return errs, warns, styles, types, opt, len(ids), n_known


def main():
    bad = False
    for name, upper in (("handwritten.jsonl", False), ("upper.jsonl", True)):
        p = OUT / name
        errs, warns, styles, types, opt, n, nk = check(p, upper)
        print("== %s: %d documents, %d with known" % (name, n, nk))
        print("styles:", dict(sorted(styles.items())))
        print("spans per type (optional in brackets):")
        for k, v in sorted(types.items()):
            print("  %-13s %4d (%d)" % (k, v, opt[k]))
        for w in warns:
            print("WARN", w)
        for e in errs:
            print("ERROR", e)
        bad |= bool(errs)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
