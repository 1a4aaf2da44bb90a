#!/usr/bin/env python3
"""Independent check of the written corpus: JSON shape, spans within text,
span text equals text[start:end], no overlaps, valid types, known block shape.
Prints counts per style (from the id suffix) and per type."""
import json, sys, collections, os
HERE = os.path.dirname(os.path.abspath(__file__))
TYPES = {"NAME", "ADDRESS", "POSTCODE", "LOCATION", "PHONE", "EMAIL", "DATE", "NHS_NUMBER", "NI_NUMBER",
         "ORGANISATION", "URL", "ID", "USERNAME", "AGE"}
errors = 0
ids = set()
for fn in ["realistic.jsonl", "clinical-upper.jsonl"]:
    style_n, type_n, opt_n, known_n = collections.Counter(), collections.Counter(), collections.Counter(), 0
    docs = [json.loads(l) for l in open(os.path.join(HERE, fn), encoding="utf-8")]
    for d in docs:
        def err(msg):
            global errors
            errors += 1
            print("ERROR", fn, d.get("id"), msg)
        if set(d) - {"id", "text", "known", "spans"} or not {"id", "text", "spans"} <= set(d):
            err(f"keys {sorted(d)}")
        if d["id"] in ids:
            err("duplicate id")
        ids.add(d["id"])
        t = d["text"]
        style = d["id"].split("-", 3)[3] if d["id"].startswith("ho3-cu-") else d["id"].split("-", 2)[2]
        style_n[style] += 1
        if "known" in d:
            known_n += 1
            k = d["known"]
            if set(k) != {"client", "others"} or set(k["client"]) != {"name", "dob", "address", "postcode", "phone", "email", "nhs_number"}:
                err("known shape")
            if fn == "clinical-upper.jsonl":
                err("known in clinical file")
        end = 0
        for s in sorted(d["spans"], key=lambda s: (s["start"], s["end"])):
            if s["type"] not in TYPES: err(f"type {s}")
            if not (isinstance(s["start"], int) and isinstance(s["end"], int) and 0 <= s["start"] < s["end"] <= len(t)): err(f"range {s}")
            if t[s["start"]:s["end"]] != s.get("text"): err(f"text mismatch {s} vs {t[s['start']:s['end']]!r}")
            if s["start"] < end: err(f"overlap {s}")
            if set(s) - {"start", "end", "type", "text", "optional"}: err(f"span keys {s}")
            end = max(end, s["end"])
            type_n[s["type"]] += 1
            if s.get("optional"): opt_n[s["type"]] += 1
        if fn == "clinical-upper.jsonl" and t != t.upper():
            err("clinical text not upper case")
    print(f"{fn}: {len(docs)} docs, {known_n} with known, {sum(type_n.values())} spans ({sum(opt_n.values())} optional), {sum(len(d['text']) for d in docs)} chars")
    for k, v in style_n.items(): print(f"  style {k}: {v}")
    for k, v in type_n.most_common(): print(f"  type {k}: {v}" + (f" ({opt_n[k]} optional)" if opt_n[k] else ""))
print("ERRORS:", errors)
sys.exit(1 if errors else 0)
