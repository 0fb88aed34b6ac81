#!/usr/bin/env python3
"""Per-fold lexicons for the honest cross-validation of the emotion fusion (data/README.md).

For each fold f, writes PREFIXf.tsv: LEXICON minus the emotion words (and frames) whose every
match in the shop train messages lies in the held-out fold f. An author writing the lexicon
from the other folds could not have known them, so scoring fold f with them would be a leak.
Matching is a substring match on NFKC-lower-cased text (an approximation of the engine's
matcher). Python 3 standard library only.

Usage: ablate.py LEXICON FOLDDIR K PREFIX
  LEXICON  the emotion lexicon (data/emotion.tsv)
  FOLDDIR  the folds written by `train_emotion --folds K FOLDDIR` (foldI.tsv)
  PREFIX   output prefix: writes PREFIX0.tsv ... PREFIX{K-1}.tsv
"""
import sys
import unicodedata

EMO = {'anger', 'anxiety', 'impatience', 'disappointment', 'satisfaction'}
MODIFIERS = {'negator', 'degree', 'contrast', 'sarcasm', 'thanks', 'request', 'emoji', 'param'}


def norm(t):
    return unicodedata.normalize('NFKC', t).lower()


def pattern(line):
    c = line.split('\t')
    if line.startswith('#') or len(c) < 3:
        return None
    if c[0] == 'frame':
        return ('frame', norm(c[1]), norm(c[2]))
    if c[0] in MODIFIERS:
        return None
    if c[1] in EMO:
        return ('word', norm(c[0]))
    return None


def hits(p, texts):
    if p[0] == 'word':
        return sum(p[1] in t for t in texts)
    return sum(p[1] in t and p[2] in t.split(p[1], 1)[1] for t in texts)


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    lex, fdir, k, prefix = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    folds = []
    for f in range(k):
        with open(f'{fdir}/fold{f}.tsv', encoding='utf-8') as fh:
            rows = [l.split('\t', 1) for l in fh.read().splitlines()[1:] if l]
        folds.append([norm(t) for _, t in rows])
    with open(lex, encoding='utf-8') as fh:
        lines = fh.read().split('\n')
    for f in range(k):
        out, dropped = [], []
        for line in lines:
            p = pattern(line)
            if p and hits(p, folds[f]) > 0 and all(hits(p, folds[g]) == 0 for g in range(k) if g != f):
                c = line.split('\t')
                dropped.append(c[0] + ('/' + c[1] if p[0] == 'frame' else ':' + c[1]))
                continue
            out.append(line)
        with open(f'{prefix}{f}.tsv', 'w', encoding='utf-8') as fh:
            fh.write('\n'.join(out))
        print(f'fold {f}: dropped {len(dropped)}:', ' '.join(dropped))


if __name__ == '__main__':
    main()
