#!/usr/bin/env python3
"""Generate the held-out de-identification corpus.

Text is assembled from parts: plain text and marked identifier parts
(gen_pools.E). Offsets are computed while concatenating, after any
style transform (lower-casing, typos, upper-casing), so they are never
hand-counted. Every span is then re-checked against the text.

Usage: python3 generate.py  (writes realistic.jsonl, clinical-upper.jsonl)
"""
import json, random, re, collections, sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_pools import S, M, T
import gen_styles as gs
import gen_clinical as gc

OUT = os.path.dirname(os.path.abspath(__file__))
TYPES = {"NAME", "ADDRESS", "POSTCODE", "LOCATION", "PHONE", "EMAIL", "DATE", "NHS_NUMBER", "NI_NUMBER",
         "ORGANISATION", "URL", "ID", "USERNAME", "AGE"}
PAT = re.compile(f"{S}([A-Z_]+)(\\?)?{M}(.*?){T}", re.S)

TYPO_WORDS = {"because": "becuase", "the": "teh", "definitely": "definately", "receive": "recieve", "tomorrow": "tommorow",
              "which": "wich", "really": "realy", "said": "siad", "appointment": "appt", "going": "goin", "until": "untill",
              "thinks": "thinkz", "feel": "feell", "about": "abt", "would": "wud", "school": "skool", "last": "lsat", "week": "wk"}


def parts_of(markup):
    out, pos = [], 0
    for m in PAT.finditer(markup):
        if m.start() > pos:
            out.append((markup[pos:m.start()], None, False))
        out.append((m.group(3), m.group(1), bool(m.group(2))))
        pos = m.end()
    if pos < len(markup):
        out.append((markup[pos:], None, False))
    for p, _, _ in out:
        assert S not in p and M not in p and T not in p, repr(p)
    return out


def typo(r, s):
    def w(m):
        word = m.group(0)
        if word in TYPO_WORDS and r.random() < 0.5:
            return TYPO_WORDS[word]
        if len(word) > 4 and r.random() < 0.07:
            i = r.randint(1, len(word) - 2)
            op = r.randint(0, 2)
            if op == 0: return word[:i] + word[i + 1] + word[i] + word[i + 2:]
            if op == 1: return word[:i] + word[i + 1:]
            return word[:i] + word[i] + word[i:]
        return word
    s = re.sub(r"[a-z]+", w, s)
    s = s.replace("I'm ", "im ").replace("don't", "dont").replace("'", "") if r.random() < 0.6 else s
    return s


def assemble(parts, transform=None, r=None):
    text, spans = "", []
    for p, typ, opt in parts:
        if transform == "lower":
            p = p.lower()
            if typ is None:
                p = typo(r, p)
        elif transform == "upper":
            p = p.upper()
        if typ is not None:
            if p == "":
                continue
            sp = {"start": len(text), "end": len(text) + len(p), "type": typ, "text": p}
            if opt:
                sp["optional"] = True
            spans.append(sp)
        text += p
    return text, spans


def validate(doc):
    t = doc["text"]
    last = 0
    prev = None
    for s in sorted(doc["spans"], key=lambda s: s["start"]):
        assert s["type"] in TYPES, s
        assert 0 <= s["start"] < s["end"] <= len(t), (doc["id"], s)
        assert t[s["start"]:s["end"]] == s["text"], (doc["id"], s)
        assert s["start"] >= last, ("overlap", doc["id"], prev, s)
        assert s["text"] == s["text"].strip(), ("untrimmed", doc["id"], s)
        last, prev = s["end"], s
    assert S not in t and M not in t and T not in t


def main():
    r = random.Random(20251201)
    per_style = 10
    realistic, clinical = [], []
    n = 0
    for style, fn in gs.NONCLIN:
        for i in range(per_style):
            x = gs.Ctx(r)
            mk = gs.letter(x, i) if style == "letter" else fn(x)
            text, spans = assemble(parts_of(mk), "lower" if style == "lowercase_typos" else None, r)
            if style == "letter":
                style_i = "letter_" + ["gp", "school", "solicitor", "court_report"][i % 4]
            else:
                style_i = style
            doc = {"id": f"ho3-{n:04d}-{style_i}", "text": text, "spans": spans}
            doc["_ctx"] = x
            realistic.append(doc)
            n += 1
    # about 60% of non-clinical documents get a `known` block (only single-client documents are eligible)
    eligible = [d for d in realistic if not d["_ctx"].multi]
    target = round(0.6 * len(realistic))
    for d in r.sample(eligible, target):
        d["known"] = d["_ctx"].known()
    for i in range(32):
        x = gs.Ctx(r)
        text, spans = assemble(parts_of(gc.clinical(x, i)), "upper", r)
        clinical.append({"id": f"ho3-cu-{i:04d}-clinical_upper_" + ["ward", "cpn", "detox", "district", "liaison"][i % 5],
                         "text": text, "spans": spans})
    for d in realistic + clinical:
        d.pop("_ctx", None)
        d["spans"].sort(key=lambda s: s["start"])
        validate(d)
    order = ["id", "text", "known", "spans"]
    for fn, docs in [("realistic.jsonl", realistic), ("clinical-upper.jsonl", clinical)]:
        with open(os.path.join(OUT, fn), "w", encoding="utf-8") as f:
            for d in docs:
                f.write(json.dumps({k: d[k] for k in order if k in d}, ensure_ascii=False) + "\n")
    print("wrote", len(realistic), len(clinical))


if __name__ == "__main__":
    main()
