#!/usr/bin/env python3
"""Builds the dev-set JSONL files in tests/data/ from the marked-up sources
in this folder, so offsets are computed, never typed by hand.

Source format (one file per set, `*.txt`):

    ### doc-id
    @known {"client": {...}, "others": [...], ...}     (optional, one line)
    text with [[N:Name Here]] and [[?AGE:36]] marks ...

`[[T:text]]` marks an identifier of type T; `[[?T:text]]` an optional one
(may be left or removed). Types: N NAME, A ADDRESS, P POSTCODE, L LOCATION,
PH PHONE, E EMAIL, D DATE, NHS NHS_NUMBER, NI NI_NUMBER, O ORGANISATION,
U URL, ID ID, UN USERNAME, AGE AGE. Run from this folder:

    python3 build_devsets.py
"""
import glob, json, os, re, sys

TYPES = {"N": "NAME", "A": "ADDRESS", "P": "POSTCODE", "L": "LOCATION", "PH": "PHONE",
         "E": "EMAIL", "D": "DATE", "NHS": "NHS_NUMBER", "NI": "NI_NUMBER",
         "O": "ORGANISATION", "U": "URL", "ID": "ID", "UN": "USERNAME", "AGE": "AGE"}
MARK = re.compile(r"\[\[(\?)?([A-Z]+):(.*?)\]\]", re.S)


def convert(doc_id, known, body):
    out, spans, pos = [], [], 0
    n = 0  # code points emitted so far
    for m in MARK.finditer(body):
        pre = body[pos:m.start()]
        out.append(pre)
        n += len(pre)
        opt, t, txt = m.group(1), m.group(2), m.group(3)
        if t not in TYPES:
            sys.exit(f"{doc_id}: unknown type {t}")
        s = {"start": n, "end": n + len(txt), "type": TYPES[t], "text": txt}
        if opt:
            s["optional"] = True
        spans.append(s)
        out.append(txt)
        n += len(txt)
        pos = m.end()
    out.append(body[pos:])
    text = "".join(out)
    if "[[" in text or "]]" in text:
        sys.exit(f"{doc_id}: unbalanced mark")
    d = {"id": doc_id, "text": text}
    if known is not None:
        d["known"] = known
    d["spans"] = spans
    return d


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    for src in sorted(glob.glob(os.path.join(here, "*.txt"))):
        docs, cur = [], None
        for line in open(src, encoding="utf-8").read().split("\n"):
            if line.startswith("### "):
                cur = [line[4:].strip(), None, []]
                docs.append(cur)
            elif cur is not None and line.startswith("@known ") and not cur[2]:
                cur[1] = json.loads(line[7:])
            elif cur is not None:
                cur[2].append(line)
        name = os.path.splitext(os.path.basename(src))[0]
        dst = os.path.join(here, "..", name + ".jsonl")
        with open(dst, "w", encoding="utf-8") as f:
            for doc_id, known, lines in docs:
                body = "\n".join(lines).strip("\n")
                f.write(json.dumps(convert(doc_id, known, body), ensure_ascii=False) + "\n")
        print(f"{name}: {len(docs)} documents")


main()
