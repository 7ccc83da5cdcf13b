#!/usr/bin/env python3
"""Convert the published Braille reading data (Mueller-Cleve et al. 2022, Zenodo record 7050094)
into rgenn spike-dataset .npz files: braille_train.npz, braille_validation.npz, braille_test.npz.

The published files are pickled pandas DataFrames with one row per recording: a letter column
(Space, A-Z) and, per taxel, the ON and OFF event times of the sigma-delta encoding. Column names
differ between releases, so pass them: --letter-col and --events-col (a column holding, per row, a
list of 24 arrays of event times: taxel t ON is channel 2t, OFF is 2t+1). --time-scale converts the
stored times to ms (1000 for seconds). Split 70:10:20 with a fixed seed, as in the paper.
Not run in CI (needs pandas and the published files; verify its output on the real data).

usage: braille_to_npz.py DATA.pkl --out-dir DIR [--letter-col letter] [--events-col events]
       [--time-scale 1000] [--seed 0]
"""
import argparse
import os
import sys

import numpy as np

CLASSES = ["Space"] + [chr(ord("A") + i) for i in range(26)]  # labels 0..26
CHANNELS = 24  # 12 taxels x (ON, OFF)


def to_dataset(rows, time_scale):
    times, units, offsets, labels = [], [], [0], []
    for letter, channels in rows:
        if len(channels) != CHANNELS:
            sys.exit(f"a recording of {letter!r} has {len(channels)} channels; expected {CHANNELS}")
        ev = [(float(t) * time_scale, c) for c, ts in enumerate(channels) for t in np.ravel(ts)]
        ev.sort()
        times += [t for t, _ in ev]
        units += [c for _, c in ev]
        offsets.append(len(times))
        labels.append(CLASSES.index(letter))
    return {
        "times": np.asarray(times, dtype=np.float32),
        "units": np.asarray(units, dtype=np.uint32),
        "offsets": np.asarray(offsets, dtype=np.uint64),
        "labels": np.asarray(labels, dtype=np.int64),
    }


def save_atomic(path, arrays):
    tmp = path + ".tmp.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pickle")
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--letter-col", default="letter")
    ap.add_argument("--events-col", default="events")
    ap.add_argument("--time-scale", type=float, default=1000.0)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    import pandas as pd  # only needed here

    df = pd.read_pickle(a.pickle)
    for col in (a.letter_col, a.events_col):
        if col not in df.columns:
            sys.exit(f"{a.pickle}: no column {col!r}; columns are {list(df.columns)}")
    rows = [(str(r[a.letter_col]).strip() or "Space", r[a.events_col]) for _, r in df.iterrows()]
    rows = [("Space" if l.lower() == "space" else l.upper(), e) for l, e in rows]
    bad = sorted({l for l, _ in rows if l not in CLASSES})
    if bad:
        sys.exit(f"{a.pickle}: unknown letters {bad}")
    order = np.random.default_rng(a.seed).permutation(len(rows))
    n_train, n_val = int(0.7 * len(rows)), int(0.1 * len(rows))
    parts = {
        "train": order[:n_train],
        "validation": order[n_train:n_train + n_val],
        "test": order[n_train + n_val:],
    }
    os.makedirs(a.out_dir, exist_ok=True)
    latest = 0.0
    for name, idx in parts.items():
        d = to_dataset([rows[i] for i in idx], a.time_scale)
        latest = max(latest, float(d["times"].max(initial=0.0)))
        save_atomic(os.path.join(a.out_dir, f"braille_{name}.npz"), d)
        print(f"braille_{name}.npz: {len(idx)} recordings, {len(d['times'])} events")
    print(f"latest event at {latest:.1f} ms: set `duration:` in braille_2layer.yaml to at least this")


if __name__ == "__main__":
    main()
