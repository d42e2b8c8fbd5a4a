#!/bin/sh
# Trains a small decoder LM on English text from Debian's fortunes packages (about 2.5 MB of quotations), then
# prints its validation perplexity beside a smoothed (Kneser-Ney) bigram's on the same split, and a few samples.
# Installs the packages when missing (root: apt-get install; otherwise they are downloaded and unpacked locally).
# Not part of CI. Usage: bench/lm/fortunes.sh [OUT_DIR [extra attend train options...]]
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-"$ROOT/bench-out/lm-fortunes"}
[ $# -gt 0 ] && shift
DATA="$ROOT/bench-out/lm-data"
mkdir -p "$DATA"
FORTUNES=/usr/share/games/fortunes
if [ ! -f "$FORTUNES/wisdom" ]; then
    if [ "$(id -u)" -eq 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q fortunes fortunes-min >/dev/null
    else
        (cd "$DATA" && apt-get download fortunes fortunes-min && for d in fortunes*.deb; do dpkg -x "$d" root; done)
        FORTUNES="$DATA/root/usr/share/games/fortunes"
    fi
fi
CORPUS="$DATA/fortunes.txt"
# Every quotation of the text files (the .dat files are indexes; ascii-art is pictures, not English), shuffled with a
# fixed seed so that the held-out tenth samples every file rather than the last ones in name order.
/usr/bin/python3 - "$FORTUNES" "$CORPUS" <<'PY'
import os, random, sys
src, out = sys.argv[1], sys.argv[2]
quotes = []
for name in sorted(os.listdir(src)):
    path = os.path.join(src, name)
    if name.endswith((".dat", ".u8")) or name == "ascii-art" or not os.path.isfile(path) or os.path.islink(path):
        continue
    text = open(path, encoding="utf-8", errors="replace").read()
    quotes += [q.strip("\n") for q in text.split("\n%\n") if q.strip()]
random.Random(0).shuffle(quotes)
open(out + ".tmp", "w", encoding="utf-8").write("\n\n".join(quotes) + "\n")
os.replace(out + ".tmp", out)
print(f"{len(quotes)} quotations", file=sys.stderr)
PY
echo "corpus: $CORPUS, $(wc -c < "$CORPUS") bytes, $(wc -l < "$CORPUS") lines"
TASK="text:file=$CORPUS,vocab=2048,seq=128,valid=0.1"
# About 16 minutes on 2 cores: 1,500 steps of 32 x 128 tokens, 6.1M tokens (about 7 passes over the training part).
"$ROOT/attend" train --task "$TASK" --layers 4 --d-model 128 --heads 4 --rope --dropout 0.1 --steps 1500 --batch 32 \
    --lr 3e-3 --eval-every 250 --eval-examples 100000 --out "$OUT" "$@"
"$ROOT/attend" eval --model "$OUT" --examples 100000
for p in "The meaning of life is" "A computer" "Q: What do you call"; do
    "$ROOT/attend" generate --model "$OUT" --prompt "$p" --max-tokens 60 --temperature 0.8 --top-p 0.95 --samples 2
done
