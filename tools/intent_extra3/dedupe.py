#!/usr/bin/env python3
"""Build data/train/kefu_extra3.tsv from the hand-written rows in raw/*.txt.

raw/*.txt: a line `## INTENT` starts an intent's block, every other non-empty line is a message.
Drops (and counts) rows whose key -- NFKC, lower case, without punctuation, symbols, emoji and
whitespace -- equals the key of an earlier raw row, of a row of data/train/*.tsv or of
shared/corpora/cs_messages/train.tsv; then rows whose key equals the key of any dev text of
shared/corpora (cs_messages, jddc_intent). Dev texts are only compared, never printed: the script
prints counts only.  Run from the repository root:  python3 tools/intent_extra3/dedupe.py
"""
import glob, os, re, sys, unicodedata

INTENTS = set("""greeting product_info size_fit effect_doubt stock price_bargain authenticity
shipping_time urge_shipping logistics_status modify_order cancel_order refund_request
return_exchange quality_issue price_protection invoice complaint human_agent thanks_confirm
other""".split())
SHARED = os.environ.get("KEFU_SHARED", "../../shared/corpora")
HERE = os.path.dirname(os.path.abspath(__file__))

def key(t):
    t = unicodedata.normalize("NFKC", t).lower()
    return "".join(c for c in t if not unicodedata.category(c)[0] in "PSZC")

def texts(path):
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            line = line.rstrip("\n")
            if line:
                yield line.split("\t")[-1]

train_keys = set()
for p in sorted(glob.glob("data/train/*.tsv")) + [os.path.join(SHARED, "cs_messages/train.tsv")]:
    # this round's own output and later rounds (kefu_extra3.tsv, kefu_extra4.tsv, ...) are not
    # compared, so the script rebuilds the same file after later rounds were added
    m = re.search(r"kefu_extra(\d+)\.tsv$", p)
    # kefu_emotion.tsv (emotion labels, added after this round) is not compared either
    if (m and int(m.group(1)) >= 3) or p.endswith(("jddc_taxonomy_map.tsv", "kefu_emotion.tsv")):
        continue
    train_keys.update(key(t) for t in texts(p))
dev_keys = set()
for p in (os.path.join(SHARED, "cs_messages/dev.tsv"), os.path.join(SHARED, "jddc_intent/dev.tsv")):
    dev_keys.update(key(t) for t in texts(p))

rows, seen = [], set()
n_raw = n_self = n_train = n_dev = 0
for p in sorted(glob.glob(os.path.join(HERE, "raw", "*.txt"))):
    intent = None
    for line in open(p, encoding="utf-8"):
        line = line.strip()
        if not line:
            continue
        if line.startswith("## "):
            intent = line[3:].strip()
            assert intent in INTENTS, intent
            continue
        assert intent and "\t" not in line
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
        rows.append((intent, line))

with open("data/train/kefu_extra3.tsv", "w", encoding="utf-8") as f:
    f.write("intent\ttext\n")
    for i, t in rows:
        f.write(f"{i}\t{t}\n")
print(f"raw {n_raw}, duplicate within raw {n_self}, equal to a train row {n_train}, "
      f"equal to a dev text {n_dev}, written {len(rows)}")
counts = {}
for i, _ in rows:
    counts[i] = counts.get(i, 0) + 1
for i in sorted(counts):
    print(f"  {i}\t{counts[i]}")
