#!/usr/bin/env python3
"""Reads cv.py output: for each recall floor, the configuration with the best pooled anger
precision among those whose pooled anger recall reaches the floor (ties: higher macro-F1).
Python 3 standard library only.

Usage: anger_pr.py OUT.json [RECALL_FLOOR ...]   (default floors 0.80 0.85)
"""
import functools
import json
import sys

from report import ZERO, add, stats


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding='utf-8') as fh:
        res = json.load(fh)
    floors = [float(x) for x in sys.argv[2:]] or [0.80, 0.85]
    by = {}
    for c, f, m in res:
        by.setdefault(json.dumps(c, sort_keys=True), {})[f] = m
    pooled = [(stats(functools.reduce(add, fm.values(), ZERO)), c) for c, fm in by.items()]
    for floor in floors:
        ok = [x for x in pooled if x[0][2] >= floor - 1e-9]
        if not ok:
            print(f'anger R >= {floor:.2f}: none')
            continue
        (f1, p, r), c = max(ok, key=lambda x: (x[0][1], x[0][0]))
        print(f'anger R >= {floor:.2f}: best P {p:.3f} (R {r:.3f}, macro-F1 {f1:.3f})  {c}')


if __name__ == '__main__':
    main()
