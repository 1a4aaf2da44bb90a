#!/usr/bin/env python3
"""Build heldout-4 JSONL files from hand-written marked-up sources.

Source format (src/handwritten/*.txt, src/upper/*.txt):

    ### <id> <style>
    @known name=..; dob=YYYY-MM-DD; address=..; postcode=..; phone=..; email=..; nhs=..; others=Name:role, Name:role
    free text with [[TYPE:span text]] markup; [[TYPE?:span]] marks an optional span

The @known line is optional. A document runs until the next '### ' line; leading and
trailing blank lines are dropped. Offsets are Python str indices (Unicode code points),
computed while joining the pieces, after any case transform (upper.jsonl) is applied
piece by piece. No offset is ever written by hand.
"""
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent
TYPES = {"NAME", "ADDRESS", "POSTCODE", "LOCATION", "PHONE", "EMAIL", "DATE", "NHS_NUMBER",
         "NI_NUMBER", "ORGANISATION", "URL", "ID", "USERNAME", "AGE"}
MARK = re.compile(r"\[\[([A-Z_]+)(\?)?:(.*?)\]\]", re.S)


def parse_known(line):
    if "[[" in line or "]]" in line:
        raise SystemExit("markup inside @known line: " + line[:80])
    client, others = {}, []
    keymap = {"name": "name", "dob": "dob", "address": "address", "postcode": "postcode",
              "phone": "phone", "email": "email", "nhs": "nhs_number"}
    for part in line.split(";"):
        part = part.strip()
        if not part:
            continue
        k, _, v = part.partition("=")
        k, v = k.strip(), v.strip()
        if k == "others":
            for o in v.split(","):
                o = o.strip()
                if o:
                    n, _, r = o.rpartition(":")
                    others.append({"name": n.strip(), "role": r.strip()})
        else:
            client[keymap[k]] = v
    return {"client": client, "others": others}


def render(body, transform):
    pieces, pos = [], 0
    for m in MARK.finditer(body):
        if "[[" in body[pos:m.start()] or "]]" in body[pos:m.start()]:
            raise ValueError("stray markup near: " + body[pos:m.start()][-60:])
        pieces.append((body[pos:m.start()], None, False))
        typ, opt, txt = m.group(1), bool(m.group(2)), m.group(3)
        if typ not in TYPES:
            raise ValueError("bad type %s" % typ)
        if "[[" in txt:
            raise ValueError("nested markup: " + txt)
        pieces.append((txt, typ, opt))
        pos = m.end()
    tail = body[pos:]
    if "[[" in tail or "]]" in tail:
        raise ValueError("stray markup near: " + tail[:60])
    pieces.append((tail, None, False))
    text, spans = "", []
    for txt, typ, opt in pieces:
        txt = transform(txt)
        start = len(text)
        text += txt
        if typ:
            s = {"start": start, "end": len(text), "type": typ, "text": txt}
            if opt or typ == "AGE":
                s["optional"] = True
            spans.append(s)
    return text, spans


def parse_file(path, transform):
    docs, cur = [], None
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.startswith("### "):
            if cur:
                docs.append(cur)
            fields = line[4:].split()
            cur = {"id": fields[0], "style": fields[1], "known": None, "lines": []}
        elif cur is None:
            continue
        elif line.startswith("@known ") and not cur["lines"]:
            cur["known"] = parse_known(line[7:])
        else:
            cur["lines"].append(line)
    if cur:
        docs.append(cur)
    out = []
    for d in docs:
        body = "\n".join(d["lines"]).strip("\n").rstrip()
        try:
            text, spans = render(body, transform)
        except ValueError as e:
            sys.exit("%s: %s: %s" % (path.name, d["id"], e))
        rec = {"id": "%s-%s" % (d["id"], d["style"]), "text": text}
        if d["known"]:
            rec["known"] = d["known"]
        rec["spans"] = spans
        out.append(rec)
    return out


def build(subdir, outname, transform):
    recs = []
    for p in sorted((HERE / subdir).glob("*.txt")):
        recs.extend(parse_file(p, transform))
    ids = [r["id"] for r in recs]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        sys.exit("duplicate ids: %s" % sorted(dup))
    with open(OUT / outname, "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print("%s: %d documents" % (outname, len(recs)))


if __name__ == "__main__":
    build("handwritten", "handwritten.jsonl", lambda s: s)
    build("upper", "upper.jsonl", lambda s: s.upper())
