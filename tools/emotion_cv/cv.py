#!/usr/bin/env python3
"""Grid over the emotion fusion constants, scored per fold by eval_emotion (honest CV).

For every configuration of the grid and every fold f, runs
  eval_emotion FOLDDIR/fold{f}.tsv --model FOLDDIR/fold{f}_model.tsv \
      --base-lexicon LEXPREFIX{f}.tsv --lexicon PARAMS.tsv
where PARAMS.tsv holds the configuration's `param` lines (plus EXTRA lines), and stores the
6x6 confusion matrix. report.py reads the result. Python 3 standard library only; needs
`cargo build --release --example eval_emotion` first. Paths are taken relative to the current
directory; the binary is found relative to this script (REPO/target/release/examples).

Usage: cv.py FOLDDIR K LEXPREFIX OUT.json [GRID] [EXTRA]
  LEXPREFIX  per-fold lexicons from ablate.py (LEXPREFIX0.tsv ...), or `full` for the whole
             default lexicon (the leaky CV, for comparison)
  GRID       a Python dict literal {param: [values]} (default: the first-pass fusion grid)
  EXTRA      extra lexicon lines appended to every PARAMS.tsv, `\\n` and `\\t` escaped
"""
import ast
import itertools
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EV = REPO / 'target' / 'release' / 'examples' / 'eval_emotion'
DEFAULT_GRID = {'model_emotion': [0.25, 0.5, 1.0, 1.5], 'lexicon_emotion': [0.5, 1.0, 1.5, 2.5],
                'anger_margin': [0, 0.5, 1.0, 1.75]}


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    fdir, k, lexp, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    grid = ast.literal_eval(sys.argv[5]) if len(sys.argv) > 5 else DEFAULT_GRID
    extra = (sys.argv[6] if len(sys.argv) > 6 else '').replace('\\n', '\n').replace('\\t', '\t')
    keys = sorted(grid)
    fdir = os.path.abspath(fdir)
    lexp = lexp if lexp == 'full' else os.path.abspath(lexp)
    tmp = tempfile.mkdtemp(prefix='emotion_cv_')

    def run(job):
        n, cfg, f = job
        pf = os.path.join(tmp, f'p{n}_{f}.tsv')
        with open(pf, 'w', encoding='utf-8') as fh:
            fh.write('#format emotion v1\n' + ''.join(f'param\t{a}\t{v}\n' for a, v in cfg) + extra)
        args = [str(EV), f'{fdir}/fold{f}.tsv', '--model', f'{fdir}/fold{f}_model.tsv',
                '--lexicon', pf]
        if lexp != 'full':
            args += ['--base-lexicon', f'{lexp}{f}.tsv']
        # eval_emotion reads the default data relative to the repository.
        o = subprocess.run(args, capture_output=True, text=True, cwd=REPO, check=True).stdout
        os.remove(pf)
        lines = o.splitlines()
        i = lines.index('confusion (rows gold, columns predicted):')
        conf = [[int(x) for x in l.split()[1:]] for l in lines[i + 2:i + 8]]
        return cfg, f, conf

    configs = list(itertools.product(*(grid[a] for a in keys)))
    jobs = [(n, tuple(zip(keys, vals)), f) for n, vals in enumerate(configs) for f in range(k)]
    with ThreadPoolExecutor(2) as ex:
        res = list(ex.map(run, jobs))
    os.rmdir(tmp)
    with open(out, 'w', encoding='utf-8') as fh:
        json.dump([[dict(c), f, m] for c, f, m in res], fh)
    print('done', len(res))


if __name__ == '__main__':
    main()
