#!/usr/bin/env python3
"""Leave-one-round-out test of a hand-written intent round (data/README.md, "adoption rule").

Usage, from the repository root, after `cargo build --release --example train_intents`:
    python3 tools/intent_rounds/loro.py NEW_ROUND OUT.tsv [ADOPTED]

For every held-out view V -- each adopted round (ADOPTED) left out of training in turn, and
each round not adopted (NOT_ADOPTED), which is in no training set -- trains the default recipe
(cs train + every adopted round but V + JDDC at 0.1, learned rules) without and with
data/train/NEW_ROUND.tsv and scores V through the engine at the default thresholds; then runs
the 5-fold CV on cs train, and the 5-fold CV over JDDC train mapped to the taxonomy (real buyer
text, JDDC at the default model's weight 0.1, every shop-chat row in training; the rule's fourth
condition from the eleventh round on), without and with it. Writes one line per view
(view, rows, accuracy and macro-F1 without and with, rows right without and with) and prints
the four conditions of the rule.

ADOPTED (comma-separated) replaces the list of adopted rounds below, e.g. to re-run the ninth
round's test, which was made before `kefu_extra9` joined:
`kefu_extra,kefu_extra2,kefu_extra3,kefu_extra4,kefu_extra5,kefu_extra6`. Without it, the
script first checks that the list below rebuilds data/intent_model.tsv byte for byte (the
default recipe), so a list that has fallen behind the model stops the test instead of testing
the wrong base. Two jobs at a time. Python 3 standard library only; no dev split is read.
"""
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

ADOPTED = ["kefu_extra", "kefu_extra2", "kefu_extra3", "kefu_extra4", "kefu_extra5", "kefu_extra6",
           "kefu_extra9", "kefu_extra10", "kefu_extra11"]
NOT_ADOPTED = ["kefu_extra7", "kefu_extra8"]
BIN = "target/release/examples/train_intents"
D = "data/train"
BASE = [BIN, "--train", f"{D}/cs_messages_train.tsv", "--rules", "data/rules.tsv",
        "--extra", f"{D}/jddc_train.tsv", "--extra-map", f"{D}/jddc_taxonomy_map.tsv"]


def last(out):
    kv = dict(x.split("=") for x in out.strip().splitlines()[-1].split())
    return float(kv["accuracy"]), float(kv["macro_f1"]), int(kv["n"])


def job(args):
    view, new = args
    adds = [a for r in ADOPTED if r != view for a in ("--add", f"{D}/{r}.tsv")]
    if new:
        adds += ["--add", f"{D}/{new}.tsv"]
    if view == "cs_cv":
        cmd = BASE + adds
    elif view == "jddc_cv":
        cmd = [BIN, "--train", f"{D}/jddc_train.tsv", "--map", f"{D}/jddc_taxonomy_map.tsv",
               "--train-weight", "0.1", "--add", f"{D}/cs_messages_train.tsv", "--rules",
               "data/rules.tsv", "--engine"] + adds
    else:
        cmd = BASE + adds + ["--engine", "--min-confidence", "0.25", "--eval", f"{D}/{view}.tsv"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return view, new, last(out)


def check_recipe():
    """Exits unless the default recipe with ADOPTED rebuilds data/intent_model.tsv exactly."""
    adds = [a for r in ADOPTED for a in ("--add", f"{D}/{r}.tsv")]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "intent_model.tsv")
        # A small --eval skips the cross-validation; only the written model matters here.
        subprocess.run(BASE + adds + ["--eval", f"{D}/{ADOPTED[0]}.tsv", "--out", out],
                       capture_output=True, check=True)
        with open(out, "rb") as a, open("data/intent_model.tsv", "rb") as b:
            if a.read() != b.read():
                sys.exit("ADOPTED does not rebuild data/intent_model.tsv: bring the list in "
                         "loro.py up to the rebuild command of data/README.md")


def main():
    global ADOPTED
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    new, path = sys.argv[1], sys.argv[2]
    if len(sys.argv) == 4:
        ADOPTED = sys.argv[3].split(",")
    else:
        check_recipe()
    views = ADOPTED + NOT_ADOPTED + ["cs_cv", "jddc_cv"]
    jobs = [(v, n) for v in views for n in (None, new)]
    with ThreadPoolExecutor(2) as ex:
        res = {(v, n): r for v, n, r in ex.map(job, jobs)}
    lines, pooled, worst, cv, jd = [], [0, 0], 0.0, 0.0, 0.0
    for v in views:
        (a0, f0, n), (a1, f1, _) = res[(v, None)], res[(v, new)]
        r0, r1 = round(a0 * n), round(a1 * n)
        if v == "jddc_cv":
            # Its own condition; not pooled with the shop-chat views.
            jd = a1 - a0
        else:
            pooled[0] += r0
            pooled[1] += r1
            worst = min(worst, a1 - a0)
        if v == "cs_cv":
            cv = f1 - f0
        lines.append(f"{v}\t{n}\t{a0:.4f}\t{f0:.4f}\t{a1:.4f}\t{f1:.4f}\t{r0}\t{r1}")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("view\trows\tacc_without\tf1_without\tacc_with\tf1_with\tright_without\tright_with\n")
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"1. pooled rows right {pooled[0]} -> {pooled[1]}: {'pass' if pooled[1] > pooled[0] else 'FAIL'}")
    print(f"2. largest accuracy fall {-worst:.4f} (limit 0.005): {'pass' if worst >= -0.005 else 'FAIL'}")
    print(f"3. cs CV macro-F1 change {cv:+.4f} (limit -0.002): {'pass' if cv >= -0.002 else 'FAIL'}")
    print(f"4. JDDC CV accuracy change {jd:+.4f} (limit -0.002): {'pass' if jd >= -0.002 else 'FAIL'}")


if __name__ == "__main__":
    main()
