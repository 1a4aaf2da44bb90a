#!/usr/bin/env python3
"""Writer's helper: wrap unlabelled occurrences of given strings in one source document.
usage: fixrep.py FILE DOC_ID TYPE STRING [STRING...]   (used while writing; reviewed by eye)"""
import re, sys
p, doc_id, typ, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
s = open(p, encoding="utf-8").read()
a = s.index("### " + doc_id); b = s.find("\n### ", a + 5); b = len(s) if b < 0 else b
hdr, body = s[a:b].split("\n", 1)
if body.startswith("@known "):
    k, body = body.split("\n", 1)
    hdr += "\n" + k
for n in names:
    body = re.sub(r"(?<![\w:])" + re.escape(n) + r"(?![\w\]])", "[[" + typ + ":" + n + "]]", body)
open(p, "w", encoding="utf-8").write(s[:a] + hdr + "\n" + body + s[b:])
