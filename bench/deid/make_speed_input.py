#!/usr/bin/env python3
"""Writes a ~20 MB JSONL input for `confidant deidentify --jsonl` speed runs:
the lines (id, text, known; gold spans dropped) of the shared therapy notes,
presidio-synth-v2 and the crate's own dev sets, repeated in a fixed shuffled
order until the file reaches the target size. Prints JSONL and text bytes.

    python3 bench/deid/make_speed_input.py OUT.jsonl [MB=20]
"""
import json, os, random, sys

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.normpath(os.path.join(here, "..", ".."))
data = os.path.join(root, "crates", "confidant-deid", "tests", "data")
sources = [os.path.join(root, "..", "shared", "deid", "therapy-notes-dev.jsonl"),
           os.path.join(root, "..", "shared", "deid", "presidio-synth-v2.jsonl")]
sources += [os.path.join(data, f) for f in sorted(os.listdir(data)) if f.startswith("dev-") and f.endswith(".jsonl")]
lines = []
for p in sources:
    for l in open(p, encoding="utf-8"):
        if l.strip():
            d = json.loads(l)
            o = {"id": d.get("id"), "text": d["text"]}
            if d.get("known"):
                o["known"] = d["known"]
            lines.append(json.dumps(o, ensure_ascii=False))
out, target = sys.argv[1], int(float(sys.argv[2] if len(sys.argv) > 2 else 20) * 1_000_000)
R = random.Random(20)
size = text = 0
with open(out, "w", encoding="utf-8") as f:
    while size < target:
        R.shuffle(lines)
        for l in lines:
            f.write(l + "\n")
            size += len(l.encode()) + 1
            text += len(json.loads(l)["text"].encode())
            if size >= target:
                break
print(f"{out}: {size} bytes of JSONL, {text} bytes of note text")
