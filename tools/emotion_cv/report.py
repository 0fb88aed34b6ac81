#!/usr/bin/env python3
"""Reads cv.py output: pooled out-of-fold macro-F1 and anger precision/recall per configuration
(best TOP by macro-F1), and the nested figure (each fold scored with the configuration that is
best on the other folds' pooled confusion). With MIN_ANGER_P, also the best TOP configurations
among those whose pooled anger precision is at least MIN_ANGER_P (the rule that chose the
shipped constants: the anger label drives the hand-off, so it must be precise). Python 3
standard library only.

Usage: report.py OUT.json [TOP] [MIN_ANGER_P]
"""
import functools
import json
import sys

LABELS = ['anger', 'anxiety', 'impatience', 'disappointment', 'satisfaction', 'neutral']
ZERO = [[0] * 6 for _ in range(6)]


def stats(m):
    f1s, ap, ar = [], 0.0, 0.0
    for c in range(6):
        tp = m[c][c]
        pred = sum(m[g][c] for g in range(6))
        gold = sum(m[c])
        p = tp / pred if pred else 0.0
        r = tp / gold if gold else 0.0
        if gold:
            f1s.append(2 * p * r / (p + r) if p + r else 0.0)
        if c == 0:
            ap, ar = p, r
    return sum(f1s) / len(f1s), ap, ar


def add(a, b):
    return [[x + y for x, y in zip(r, s)] for r, s in zip(a, b)]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding='utf-8') as fh:
        res = json.load(fh)
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    by = {}
    for c, f, m in res:
        by.setdefault(json.dumps(c, sort_keys=True), {})[f] = m
    folds = sorted(next(iter(by.values())))
    pooled = [(stats(functools.reduce(add, fm.values(), ZERO)), c) for c, fm in by.items()]
    pooled.sort(key=lambda x: -x[0][0])
    for (f1, p, r), c in pooled[:top]:
        print(f'{f1:.3f}  anger P {p:.2f} R {r:.2f}  {c}')
    if len(sys.argv) > 3:
        floor = float(sys.argv[3])
        print(f'-- anger P >= {floor}:')
        for (f1, p, r), c in [x for x in pooled if x[0][1] >= floor][:top]:
            print(f'{f1:.3f}  anger P {p:.2f} R {r:.2f}  {c}')
    tot, chosen = ZERO, []
    for f in folds:
        def score(kv):
            return stats(functools.reduce(add, [m for g, m in kv[1].items() if g != f], ZERO))[0]
        best = max(by.items(), key=score)
        chosen.append(best[0])
        tot = add(tot, best[1][f])
    f1, p, r = stats(tot)
    print(f'NESTED {f1:.3f} anger P {p:.2f} R {r:.2f}; chosen: {chosen}')


if __name__ == '__main__':
    main()
