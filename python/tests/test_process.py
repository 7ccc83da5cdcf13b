"""Ctrl-C stops a training run with KeyboardInterrupt and leaves its checkpoint intact; repeated
simulate calls do not grow the process."""

import signal
import subprocess
import sys
import textwrap
import time

import numpy as np

import rgenn
from conftest import ROOT

TRAIN = textwrap.dedent(
    """
    import sys, rgenn
    net = rgenn.Network(sys.argv[1])
    def on_epoch(m):
        print("epoch", m["epoch"], flush=True)
    try:
        net.train(epochs=1000, out=sys.argv[2], threads=1, on_epoch=on_epoch)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(3)
    """
)


def test_sigint_stops_training_and_keeps_the_checkpoint(tmp_path):
    out = tmp_path / "run"
    child = subprocess.Popen(
        [sys.executable, "-c", TRAIN, str(ROOT / "examples/yin_yang.yaml"), str(out)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout.readline().strip() == "epoch 1"
    child.send_signal(signal.SIGINT)
    rest, _ = child.communicate(timeout=60)
    assert child.returncode == 3, rest
    assert rest.strip().endswith("interrupted")
    epochs = 1 + rest.count("epoch")
    with np.load(out / "checkpoint.npz") as ck:
        assert ck["progress"][0] == epochs
    lines = (out / "metrics.csv").read_text().strip().splitlines()
    assert len(lines) == 1 + epochs
    # the run continues from its checkpoint
    res = rgenn.Network(ROOT / "examples/yin_yang.yaml").train(
        epochs=epochs + 1, out=out, resume=True
    )
    assert res["epoch"] == epochs + 1


GRAD = textwrap.dedent(
    """
    import sys, numpy as np, rgenn
    net = rgenn.Network(sys.argv[1])
    n = 1_000_000  # tens of seconds of forward and backward passes
    rng = np.random.default_rng(0)
    data = rgenn.SpikeDataset(
        times=rng.uniform(0, 20, 5 * n),
        units=np.tile(np.arange(5), n),
        offsets=np.arange(0, 5 * n + 1, 5),
        labels=rng.integers(0, 3, n),
    )
    net.grad(rgenn.SpikeDataset(times=[1.0], units=[0], offsets=[0, 1], labels=[0]))
    print("start", flush=True)
    try:
        net.grad(data, threads=1)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(3)
    """
)


def test_sigint_stops_a_long_pass():
    child = subprocess.Popen(
        [sys.executable, "-c", GRAD, str(ROOT / "examples/yin_yang.yaml")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "start"
        time.sleep(0.5)
        child.send_signal(signal.SIGINT)
        # the pass stops at its next batch, long before it would end
        rest, _ = child.communicate(timeout=5)
    finally:
        child.kill()
    assert child.returncode == 3 and rest.strip() == "interrupted"


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_repeated_simulate_keeps_memory_flat():
    net = rgenn.Network(ROOT / "examples/yin_yang.yaml")
    rng = np.random.default_rng(0)
    n = 200
    data = rgenn.SpikeDataset(
        times=rng.uniform(0, 20, 5 * n),
        units=np.tile(np.arange(5), n),
        offsets=np.arange(0, 5 * n + 1, 5),
        labels=rng.integers(0, 3, n),
    )
    for _ in range(10):
        net.simulate(data)
        net.grad(data)
    before = rss_kib()
    for _ in range(100):
        out = net.simulate(data)
        del out
    grown = rss_kib() - before
    assert grown < 4096, f"RSS grew by {grown} KiB over 100 calls"


def test_simulate_releases_the_gil():
    import threading
    import time

    net = rgenn.Network(ROOT / "examples/yin_yang.yaml")
    n = 20000
    rng = np.random.default_rng(1)
    data = rgenn.SpikeDataset(
        times=rng.uniform(0, 20, 5 * n),
        units=np.tile(np.arange(5), n),
        offsets=np.arange(0, 5 * n + 1, 5),
    )
    net.simulate(data, threads=1)  # built before timing
    done = threading.Event()
    worker = threading.Thread(target=lambda: (net.simulate(data, threads=1), done.set()))
    ticks = 0
    start = time.perf_counter()
    worker.start()
    while not done.is_set():
        ticks += 1
        time.sleep(0.001)
    worker.join()
    elapsed = time.perf_counter() - start
    # with the GIL held during the call, this thread would not run until it returned
    assert elapsed < 0.05 or ticks > 10, (elapsed, ticks)
