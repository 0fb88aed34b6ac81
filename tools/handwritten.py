#!/usr/bin/env python3
"""Build a data/train file of hand-written buyer messages from its round's raw/*.txt.

Usage, from the repository root:  python3 tools/handwritten.py ROUND
ROUND is one of the rounds in ROUNDS below (intent3 … intent11, emotion1 … emotion6).

raw/*.txt: a line `## LABEL` starts a block of one label (an intent id of TAXONOMY.md, or one
of the 6 emotions), every other non-empty line is one buyer message. A row is dropped (and
counted) when its key -- NFKC, lower case, without punctuation, symbols (emoji), separators,
control and format characters -- is empty or equals the key of
  1. an earlier raw row of the round (self-duplicate),
  2. a row of the training files that existed when the round was written (`compare` below;
     listed explicitly, so a round rebuilds the same file after later rounds were added),
  3. a dev text of shared/corpora (`dev` below). Dev texts are only compared, never printed or
     written: the script prints the number dropped and nothing else about them.
Output: `LABEL_COLUMN<TAB>text` with a header line, in the order of the raw files (sorted by
name) and of the lines in them. Deterministic. Python 3 standard library only.
`KEFU_SHARED` overrides the path of shared/corpora (default ../shared/corpora or
../../shared/corpora, whichever exists).
"""
import collections
import glob
import os
import sys
import unicodedata

INTENTS = """greeting product_info size_fit effect_doubt stock price_bargain authenticity
shipping_time urge_shipping logistics_status modify_order cancel_order refund_request
return_exchange quality_issue price_protection invoice complaint human_agent thanks_confirm
other""".split()
EMOTIONS = "anger anxiety impatience disappointment satisfaction neutral".split()

BASE = ["cs_messages_train", "jddc_train", "kefu_extra", "kefu_extra2"]
# raw: folder under tools/; out: file under data/train; compare: data/train files (without
# .tsv) the round was deduplicated against, i.e. those that existed when it was written;
# shared_train: also shared/corpora's cs train; dev: shared/corpora dev splits compared by
# count; fe0f: drop U+FE0F from keys (the emotion rounds' key; the intent rounds kept it).
# Everything but raw, out and compare follows from the kind.


def intent_round(n, compare):
    return dict(kind="intent", raw=f"intent_extra{n}", out=f"kefu_extra{n}",
                compare=BASE + compare, shared_train=True, dev=["cs_messages", "jddc_intent"],
                fe0f=False)


def emotion_round(raw, out, compare):
    return dict(kind="emotion", raw=raw, out=out, compare=BASE + compare, shared_train=False,
                dev=["cs_messages"], fe0f=True)


ROUNDS = {
    "intent3": intent_round(3, []),
    "intent4": intent_round(4, ["kefu_extra3"]),
    "intent5": intent_round(5, ["kefu_extra3", "kefu_extra4", "kefu_emotion"]),
    "intent6": intent_round(6, ["kefu_extra3", "kefu_extra4", "kefu_extra5", "kefu_emotion",
                                "kefu_emotion2"]),
    "intent7": intent_round(7, ["kefu_extra3", "kefu_extra4", "kefu_extra5", "kefu_extra6",
                                "kefu_emotion", "kefu_emotion2", "kefu_emotion3"]),
    "intent8": intent_round(8, ["kefu_extra3", "kefu_extra4", "kefu_extra5", "kefu_extra6",
                                "kefu_extra7", "kefu_emotion", "kefu_emotion2", "kefu_emotion3"]),
    "intent9": intent_round(9, ["kefu_extra3", "kefu_extra4", "kefu_extra5", "kefu_extra6",
                                "kefu_extra7", "kefu_extra8", "kefu_emotion", "kefu_emotion2",
                                "kefu_emotion3"]),
    "intent10": intent_round(10, ["kefu_extra3", "kefu_extra4", "kefu_extra5", "kefu_extra6",
                                  "kefu_extra7", "kefu_extra8", "kefu_extra9", "kefu_emotion",
                                  "kefu_emotion2", "kefu_emotion3", "kefu_emotion4"]),
    "intent11": intent_round(11, ["kefu_extra3", "kefu_extra4", "kefu_extra5", "kefu_extra6",
                                  "kefu_extra7", "kefu_extra8", "kefu_extra9", "kefu_extra10",
                                  "kefu_emotion", "kefu_emotion2", "kefu_emotion3",
                                  "kefu_emotion4"]),
    "emotion1": emotion_round("emotion_extra", "kefu_emotion", ["kefu_extra3"]),
    "emotion2": emotion_round("emotion_extra2", "kefu_emotion2",
                              ["kefu_extra3", "kefu_extra4", "kefu_emotion"]),
    "emotion3": emotion_round("emotion_extra3", "kefu_emotion3",
                              ["kefu_extra3", "kefu_extra4", "kefu_extra5", "kefu_emotion",
                               "kefu_emotion2"]),
    "emotion4": emotion_round("emotion_extra4", "kefu_emotion4",
                              ["kefu_extra3", "kefu_extra4", "kefu_extra5", "kefu_extra6",
                               "kefu_extra7", "kefu_extra8", "kefu_extra9", "kefu_emotion",
                               "kefu_emotion2", "kefu_emotion3"]),
    # Minimal sets around anger (data/README.md, round emotion6); compared with the test set
    # too, so that it stays a clean judge.
    "emotion6": emotion_round("emotion_extra6", "kefu_emotion6",
                              ["kefu_extra3", "kefu_extra4", "kefu_extra5", "kefu_extra6",
                               "kefu_extra7", "kefu_extra8", "kefu_extra9", "kefu_extra10",
                               "kefu_extra11", "kefu_emotion", "kefu_emotion2", "kefu_emotion3",
                               "kefu_emotion4", "kefu_emotion_test5"]),
    # A test set: never trained on (data/README.md, anger words of 2026-12-06).
    "emotion_test5": emotion_round("emotion_test5", "kefu_emotion_test5",
                                   ["kefu_extra3", "kefu_extra4", "kefu_extra5", "kefu_extra6",
                                    "kefu_extra7", "kefu_extra8", "kefu_extra9", "kefu_extra10",
                                    "kefu_extra11", "kefu_emotion", "kefu_emotion2",
                                    "kefu_emotion3", "kefu_emotion4"]),
}


def shared():
    if os.environ.get("KEFU_SHARED"):
        return os.environ["KEFU_SHARED"]
    for p in ("../shared/corpora", "../../shared/corpora"):
        if os.path.isdir(p):
            return p
    sys.exit("shared/corpora not found; set KEFU_SHARED")


def key(t, fe0f):
    t = unicodedata.normalize("NFKC", t).lower()
    return "".join(c for c in t
                   if unicodedata.category(c)[0] not in "PSZC" and not (fe0f and c == "\ufe0f"))


def texts(path):
    """The last column of every row after the header line."""
    with open(path, encoding="utf-8") as f:
        next(f, None)
        for line in f:
            line = line.rstrip("\n")
            if line and not line.startswith("#"):
                yield line.split("\t")[-1]


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ROUNDS:
        sys.exit(f"usage: handwritten.py {'|'.join(ROUNDS)}")
    r = ROUNDS[sys.argv[1]]
    labels = INTENTS if r["kind"] == "intent" else EMOTIONS
    k = lambda t: key(t, r["fe0f"])
    compare = [f"data/train/{n}.tsv" for n in r["compare"]]
    if r["shared_train"]:
        compare.append(os.path.join(shared(), "cs_messages", "train.tsv"))
    train_keys = {k(t) for p in compare for t in texts(p)}
    dev_keys = {k(t) for d in r["dev"] for t in texts(os.path.join(shared(), d, "dev.tsv"))}

    rows, seen = [], set()
    n_raw = n_self = n_train = n_dev = 0
    here = os.path.dirname(os.path.abspath(__file__))
    for p in sorted(glob.glob(os.path.join(here, r["raw"], "raw", "*.txt"))):
        label = None
        for i, line in enumerate(open(p, encoding="utf-8"), 1):
            line = line.strip()
            if not line:
                continue
            if line.startswith("## "):
                label = line[3:].strip()
                if label not in labels:
                    sys.exit(f"{p}:{i}: unknown {r['kind']} `{label}`")
                continue
            if label is None or "\t" in line:
                sys.exit(f"{p}:{i}: a row before any `## LABEL` line, or a tab in the text")
            n_raw += 1
            key_ = k(line)
            if not key_ or key_ in seen:
                n_self += 1
                continue
            seen.add(key_)
            if key_ in train_keys:
                n_train += 1
                continue
            if key_ in dev_keys:
                n_dev += 1
                continue
            rows.append((label, line))

    out = f"data/train/{r['out']}.tsv"
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.write(f"{r['kind']}\ttext\n")
        f.writelines(f"{label}\t{t}\n" for label, t in rows)
    counts = collections.Counter(label for label, _ in rows)
    print(f"raw={n_raw} self_duplicates={n_self} equal_to_train={n_train} equal_to_dev={n_dev} "
          f"written={len(rows)} -> {out}")
    print(" ".join(f"{label}={counts[label]}" for label in labels if counts[label]))


if __name__ == "__main__":
    main()
