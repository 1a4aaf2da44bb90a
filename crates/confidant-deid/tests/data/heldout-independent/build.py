#!/usr/bin/env python3
"""Convert marked-up held-out sources into gold JSONL.

Source format (*.src.txt): documents separated by header lines

    ### <id> <style>
    @known {"client": {...}, "others": [...]}      (optional, one line of JSON)
    text with inline markup ...

Markup: [[TYPE:surface text]] labels a span; [[TYPE?:surface text]] labels an
optional span. Everything else is literal text. Offsets are Unicode code point
offsets (Python str indices), half-open.

Checks (build fails on any error):
  - every type is one of the README's types; markup is balanced; no stray [[ or ]]
  - span text == text[start:end], no leading/trailing whitespace in spans
  - NHS_NUMBER spans pass the mod-11 check digit
  - unique ids; valid `known` JSON with the dev corpus's keys
  - realistic documents are 40-400 words
Warnings: a labelled NAME/ORGANISATION/etc string that also occurs unlabelled
elsewhere in the same document (usually a forgotten label).

Usage: python3 build.py            (builds realistic.jsonl and clinical-upper.jsonl)
"""
import glob
import json
import re
import sys

TYPES = {
    "NAME", "ADDRESS", "POSTCODE", "LOCATION", "PHONE", "EMAIL", "DATE",
    "NHS_NUMBER", "NI_NUMBER", "ORGANISATION", "URL", "ID", "USERNAME", "AGE",
}
CLIENT_KEYS = {"name", "dob", "address", "postcode", "phone", "email", "nhs_number"}
# Short aliases used in the hand-written sources to keep them readable.
ALIASES = {
    "N": "NAME", "O": "ORGANISATION", "D": "DATE", "L": "LOCATION", "A": "ADDRESS",
    "P": "POSTCODE", "T": "PHONE", "E": "EMAIL", "H": "NHS_NUMBER", "NI": "NI_NUMBER",
    "U": "URL", "I": "ID", "UN": "USERNAME", "AGE": "AGE",
}
MARK = re.compile(r"\[\[([A-Z_]+)(\??):(.*?)\]\]", re.S)


def nhs_ok(s):
    d = [int(c) for c in s if c.isdigit()]
    if len(d) != 10:
        return False
    total = sum(x * (10 - i) for i, x in enumerate(d[:9]))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == d[9]


def convert(src):
    """Strip markup from one document body; return (text, spans)."""
    out = []
    spans = []
    pos = 0  # position in src
    length = 0  # code points emitted so far
    for m in MARK.finditer(src):
        lit = src[pos:m.start()]
        out.append(lit)
        length += len(lit)
        typ, opt, surface = m.group(1), m.group(2), m.group(3)
        typ = ALIASES.get(typ, typ)
        if typ not in TYPES:
            raise ValueError(f"unknown type {typ!r}")
        if "[[" in surface or "]]" in surface:
            raise ValueError(f"nested markup in {surface!r}")
        if surface != surface.strip() or not surface:
            raise ValueError(f"span with surrounding whitespace: {surface!r}")
        span = {"start": length, "end": length + len(surface), "type": typ, "text": surface}
        if opt:
            span["optional"] = True
        spans.append(span)
        out.append(surface)
        length += len(surface)
        pos = m.end()
    out.append(src[pos:])
    text = "".join(out)
    if "[[" in text or "]]" in text:
        raise ValueError("stray [[ or ]] left after conversion")
    for s in spans:
        if text[s["start"]:s["end"]] != s["text"]:
            raise ValueError(f"offset mismatch for {s}")
        if s["type"] == "NHS_NUMBER" and not nhs_ok(s["text"]):
            raise ValueError(f"NHS number fails mod-11: {s['text']!r}")
    return text, spans


def check_known(known):
    if not isinstance(known, dict) or set(known) != {"client", "others"}:
        raise ValueError("known must have exactly client and others")
    if set(known["client"]) != CLIENT_KEYS:
        raise ValueError(f"client keys {sorted(known['client'])}")
    for o in known["others"]:
        if set(o) != {"name", "role"}:
            raise ValueError(f"others entry keys {sorted(o)}")


def unlabelled_repeats(text, spans):
    """Labelled strings that also appear outside any span (likely forgotten)."""
    warnings = []
    covered = [False] * len(text)
    for s in spans:
        for i in range(s["start"], s["end"]):
            covered[i] = True
    seen = set()
    for s in spans:
        t = s["text"]
        if s.get("optional") or len(t) < 3 or t in seen:
            continue
        seen.add(t)
        for m in re.finditer(r"(?<!\w)" + re.escape(t) + r"(?!\w)", text):
            if not any(covered[m.start():m.end()]):
                warnings.append(f"unlabelled occurrence of {t!r} ({s['type']}) at {m.start()}")
    return warnings


def parse_source(path):
    docs = []
    cur = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("### "):
                if cur:
                    docs.append(cur)
                parts = line[4:].split()
                cur = {"id": parts[0], "style": " ".join(parts[1:]), "known": None, "body": []}
            elif cur is not None and line.startswith("@known ") and not cur["body"]:
                cur["known"] = json.loads(line[7:])
            elif cur is not None:
                cur["body"].append(line)
    if cur:
        docs.append(cur)
    return docs


def build_records(docs, min_words=None, max_words=None):
    records, errors, warnings = [], [], []
    ids = set()
    for d in docs:
        body = "".join(d["body"]).strip("\n").rstrip()
        try:
            if d["id"] in ids:
                raise ValueError("duplicate id")
            ids.add(d["id"])
            text, spans = convert(body)
            if d["known"] is not None:
                check_known(d["known"])
            words = len(text.split())
            if min_words and not (min_words <= words <= max_words):
                raise ValueError(f"{words} words, outside {min_words}-{max_words}")
        except (ValueError, KeyError, TypeError) as e:
            errors.append(f"{d['id']}: {e}")
            continue
        for w in unlabelled_repeats(text, spans):
            warnings.append(f"{d['id']}: {w}")
        rec = {"id": d["id"], "text": text}
        if d["known"] is not None:
            rec["known"] = d["known"]
        rec["spans"] = spans
        records.append(rec)
    return records, errors, warnings


def write_jsonl(path, records):
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def main():
    jobs = [
        ("realistic-*.src.txt", "realistic.jsonl", 40, 400),
        ("clinical-upper*.src.txt", "clinical-upper.jsonl", None, None),
    ]
    failed = False
    for pattern, dst, lo, hi in jobs:
        docs = []
        for src in sorted(glob.glob(pattern)):
            docs.extend(parse_source(src))
        records, errors, warnings = build_records(docs, lo, hi)
        for w in warnings:
            print("WARN", w)
        for e in errors:
            print("ERROR", e)
        if errors:
            failed = True
            continue
        write_jsonl(dst, records)
        styles = {}
        for d in docs:
            styles[d["style"]] = styles.get(d["style"], 0) + 1
        nspans = sum(len(r["spans"]) for r in records)
        print(f"{dst}: {len(records)} docs, {nspans} spans, "
              f"{sum(1 for r in records if 'known' in r)} with known")
        print("  styles:", json.dumps(styles, sort_keys=True))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
