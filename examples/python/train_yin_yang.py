"""Train the Yin-Yang network (examples/yin_yang.yaml) from Python and plot the learned delays.

    python3 -m venv v && v/bin/pip install ./python
    v/bin/python examples/python/train_yin_yang.py [--epochs N] [--out RUN_DIR]

Writes the run folder as `rgenn train` does; with matplotlib installed, also RUN_DIR/delays.png:
the delays of every connection that learns them, before and after training.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import rgenn

HERE = Path(__file__).resolve().parent


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--epochs", type=int, default=None, help="default: the YAML's")
    args.add_argument("--out", default="run_yin_yang", help="run folder")
    a = args.parse_args()

    net = rgenn.Network(HERE.parent / "yin_yang.yaml")
    print(net.summary())
    before = {k: v.copy() for k, v in net.params().items() if k.endswith(".delay")}

    def on_epoch(m: dict) -> None:
        print(
            f"epoch {m['epoch']}/{m['epochs']}: train accuracy {100 * m['train_accuracy']:.1f}%,"
            f" validation {100 * m['validation_accuracy']:.1f}%"
        )

    res = net.train(epochs=a.epochs, out=a.out, on_epoch=on_epoch)
    print(f"best validation accuracy {100 * res['best_accuracy']:.1f}% ({res['protocol']})")
    after = {k: v for k, v in net.params().items() if k in before}
    plot(before, after, Path(a.out) / "delays.png")


def plot(before: dict[str, np.ndarray], after: dict[str, np.ndarray], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot")
        return
    fig, axes = plt.subplots(1, len(after), figsize=(5 * len(after), 3.5), squeeze=False)
    for ax, name in zip(axes[0], after):
        ax.hist(before[name].ravel(), bins=40, alpha=0.6, label="initial")
        ax.hist(after[name].ravel(), bins=40, alpha=0.6, label="learned")
        ax.set_xlabel(f"{name} (ms)")
        ax.set_ylabel("synapses")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
