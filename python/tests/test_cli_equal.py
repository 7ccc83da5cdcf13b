"""The package's results equal the command line's byte for byte: simulate, grad and train."""

import csv

import numpy as np
import pytest

import rgenn
from conftest import ROOT, run_cli

MODEL = "examples/sequence_detection.yaml"
DATA = "examples/data/sequence_detection.npz"


def same_arrays(ours: dict, path) -> None:
    with np.load(path) as theirs:
        assert list(ours) == list(theirs.files)
        for name in theirs.files:
            a, b = ours[name], theirs[name]
            assert a.dtype == b.dtype, name
            assert a.shape == b.shape, name
            assert a.tobytes() == b.tobytes(), name


@pytest.mark.parametrize("backend", ["cpu", "rust"])
def test_simulate_equals_cli(cli, tmp_path, backend):
    out = tmp_path / "sim.npz"
    r = run_cli(cli, "simulate", MODEL, "--data", DATA, "--out", str(out), "--backend", backend)
    assert r.returncode == 0, r.stderr
    net = rgenn.Network(ROOT / MODEL)
    data = rgenn.SpikeDataset.load(ROOT / DATA)
    same_arrays(net.simulate(data, backend=backend, threads=1), out)


def test_grad_equals_cli_also_with_params(cli, tmp_path):
    net = rgenn.Network(ROOT / MODEL)
    data = rgenn.SpikeDataset.load(ROOT / DATA)
    out = tmp_path / "grad.npz"
    r = run_cli(cli, "grad", MODEL, "--data", DATA, "--out", str(out))
    assert r.returncode == 0, r.stderr
    same_arrays(net.grad(data), out)
    # other parameters, as a dict and as the file the CLI reads
    p = net.params()
    p["in_out.delay"] = np.array([[3.0, 7.0], [8.0, 1.0]], dtype=np.float32)
    pfile = tmp_path / "p.npz"
    np.savez(pfile, **p)
    r = run_cli(cli, "grad", MODEL, "--data", DATA, "--params", str(pfile), "--out", str(out))
    assert r.returncode == 0, r.stderr
    same_arrays(net.grad(data, params=p), out)
    same_arrays(net.grad(data, params=pfile), out)
    # a call's params do not stick; set_params does
    assert net.params()["in_out.delay"][0, 1] == 10.0
    net.set_params(p)
    same_arrays(net.grad(data), out)


def metrics_without_times(path) -> list:
    with open(path) as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        del r["seconds"], r["examples_per_second"]
    return rows


def test_train_equals_cli(cli, tmp_path):
    theirs, ours, given = tmp_path / "cli", tmp_path / "py", tmp_path / "given"
    model = "examples/yin_yang.yaml"
    r = run_cli(cli, "train", model, "--epochs", "2", "--out", str(theirs), "--quiet")
    assert r.returncode == 0, r.stderr
    seen = []
    res = rgenn.Network(ROOT / model).train(epochs=2, out=ours, on_epoch=seen.append)
    assert [m["epoch"] for m in seen] == [1, 2]
    assert res["epochs"] == 2 and res["selection"] == "validation"
    for name in ["params.npz", "params_last.npz", "checkpoint.npz", "model.ir.json"]:
        assert (ours / name).read_bytes() == (theirs / name).read_bytes(), name
    assert metrics_without_times(ours / "metrics.csv") == metrics_without_times(
        theirs / "metrics.csv"
    )
    # the same examples given as datasets train the same parameters
    net = rgenn.Network(ROOT / "examples/sequence_detection.yaml")
    r = run_cli(cli, "train", MODEL, "--epochs", "3", "--out", str(theirs), "--quiet")
    assert r.returncode == 0, r.stderr
    res = net.train(epochs=3, out=ours)
    data = rgenn.SpikeDataset.load(ROOT / DATA)  # the generator's two trials
    net2 = rgenn.Network(ROOT / MODEL)
    res2 = net2.train(train=data, test=data, epochs=3, out=given)
    assert res2["train_loss"] == res["train_loss"]
    for name in ["params.npz", "params_last.npz", "checkpoint.npz"]:
        assert (given / name).read_bytes() == (theirs / name).read_bytes(), name
    assert net2.params()["in_out.delay"].tobytes() == net.params()["in_out.delay"].tobytes()


def test_float64_network_equals_cli(cli, tmp_path):
    model = tmp_path / "seq64.yaml"
    model.write_text((ROOT / MODEL).read_text().replace("precision: f32", "precision: f64"))
    net = rgenn.Network(model)
    assert net.precision == "float64"
    data = rgenn.SpikeDataset.load(ROOT / DATA)
    for command, ours in [("simulate", net.simulate(data)), ("grad", net.grad(data))]:
        out = tmp_path / f"{command}.npz"
        r = run_cli(cli, command, str(model), "--data", DATA, "--out", str(out))
        assert r.returncode == 0, r.stderr
        same_arrays(ours, out)
    assert net.params()["in_out.delay"].dtype == np.float64
