#!/usr/bin/env python3
"""Build data/train/kefu_emotion2.tsv (issue 4, round 2) from the hand-written rows in raw/*.txt.

raw/*.txt: a line `## EMOTION` starts a block of one of the 6 emotions of TAXONOMY.md, every
other non-empty line is one buyer message. A row is dropped (and counted) when its key -- NFKC,
lower case, without punctuation, symbols (emoji), separators, control and format characters --
is empty or equals the key of
  1. an earlier raw row (self-duplicate),
  2. a row of data/train/*.tsv (cs_messages_train.tsv, the intent extra files and round 1,
     kefu_emotion.tsv),
  3. a text of shared/corpora/cs_messages/dev.tsv. Dev texts are only compared, never printed
     or written: the script prints the number dropped and nothing else about them.
Output: `emotion<TAB>text` with a header line, in the order of the raw files (sorted by name)
and of the lines in them. Deterministic. Python 3 standard library only.

Run from the repository root:  python3 tools/emotion_extra2/dedupe.py
(`KEFU_SHARED` overrides the path of shared/corpora; by default ../shared/corpora or
../../shared/corpora, whichever exists.)
"""
import collections
import glob
import os
import sys
import unicodedata

EMOTIONS = ("anger", "anxiety", "impatience", "disappointment", "satisfaction", "neutral")
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = "data/train/kefu_emotion2.tsv"


def shared():
    if os.environ.get("KEFU_SHARED"):
        return os.environ["KEFU_SHARED"]
    for p in ("../shared/corpora", "../../shared/corpora"):
        if os.path.isdir(p):
            return p
    sys.exit("shared/corpora not found; set KEFU_SHARED")


def key(t):
    t = unicodedata.normalize("NFKC", t).lower()
    return "".join(c for c in t if unicodedata.category(c)[0] not in "PSZC" and c != "\ufe0f")


def texts(path):
    """The last column of every row after the header line."""
    with open(path, encoding="utf-8") as f:
        next(f, None)
        for line in f:
            line = line.rstrip("\n")
            if line and not line.startswith("#"):
                yield line.split("\t")[-1]


def main():
    train_keys = set()
    for p in sorted(glob.glob("data/train/*.tsv")):
        if p.endswith(("kefu_emotion2.tsv", "jddc_taxonomy_map.tsv")):
            continue
        train_keys.update(key(t) for t in texts(p))
    dev_keys = {key(t) for t in texts(os.path.join(shared(), "cs_messages", "dev.tsv"))}

    rows, seen = [], set()
    n_raw = n_self = n_train = n_dev = 0
    for p in sorted(glob.glob(os.path.join(HERE, "raw", "*.txt"))):
        emotion = None
        for i, line in enumerate(open(p, encoding="utf-8"), 1):
            line = line.strip()
            if not line:
                continue
            if line.startswith("## "):
                emotion = line[3:].strip()
                if emotion not in EMOTIONS:
                    sys.exit(f"{p}:{i}: unknown emotion `{emotion}`")
                continue
            if emotion is None or "\t" in line:
                sys.exit(f"{p}:{i}: a row before any `## EMOTION` line, or a tab in the text")
            n_raw += 1
            k = key(line)
            if not k or k in seen:
                n_self += 1
                continue
            seen.add(k)
            if k in train_keys:
                n_train += 1
                continue
            if k in dev_keys:
                n_dev += 1
                continue
            rows.append((emotion, line))

    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write("emotion\ttext\n")
        f.writelines(f"{e}\t{t}\n" for e, t in rows)
    counts = collections.Counter(e for e, _ in rows)
    print(f"raw={n_raw} self_duplicates={n_self} equal_to_train={n_train} equal_to_dev={n_dev} "
          f"written={len(rows)} -> {OUT}")
    print(" ".join(f"{e}={counts[e]}" for e in EMOTIONS))


if __name__ == "__main__":
    main()
