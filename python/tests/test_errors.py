"""Errors arrive as exceptions: a bad network file as ModelError with the CLI's positioned report,
bad data as DataError, an unusable backend as BackendError."""

import os

import numpy as np
import pytest

import rgenn
from conftest import ROOT, run_cli

BAD = """name: net
dt: 1.0
duration: 10.0
populations:
  input: {size: 2, model: spike_input}
  out: {sizee: 2, model: li, readout: max}
connections:
  in_out: {source: input, target: out, weight: 1.0}
"""


def test_model_error_is_the_cli_report(cli, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    with pytest.raises(rgenn.ModelError) as err:
        rgenn.Network(path)
    r = run_cli(cli, "check", str(path))
    assert r.returncode != 0
    assert str(err.value) == r.stderr
    assert f"{path}:6:" in str(err.value) and "sizee" in str(err.value)
    assert isinstance(err.value, rgenn.Error)


def test_missing_file():
    with pytest.raises(rgenn.ModelError, match="no_such.yaml"):
        rgenn.Network("no_such.yaml")


def test_dataset_validation():
    with pytest.raises(rgenn.DataError, match="offsets"):
        rgenn.SpikeDataset(times=[1.0, 2.0], units=[0, 1], offsets=[0, 1])
    with pytest.raises(rgenn.DataError, match="`units` has 1 entries|`times` has 2"):
        rgenn.SpikeDataset(times=[1.0, 2.0], units=[0], offsets=[0, 2])
    with pytest.raises(rgenn.DataError, match="integers"):
        rgenn.SpikeDataset(times=[1.0], units=[0.5], offsets=[0, 1])
    with pytest.raises(rgenn.DataError, match="non-finite"):
        rgenn.SpikeDataset(times=[np.nan], units=[0], offsets=[0, 1])
    with pytest.raises(rgenn.DataError, match="labels"):
        rgenn.SpikeDataset(times=[1.0], units=[0], offsets=[0, 1], labels=[0, 1])
    with pytest.raises(rgenn.DataError, match="negative"):
        rgenn.SpikeDataset(times=[1.0], units=[0], offsets=[0, 1], labels=[-1])


def test_pass_errors():
    net = rgenn.Network(ROOT / "examples/sequence_detection.yaml")
    unlabelled = rgenn.SpikeDataset(times=[0.0], units=[0], offsets=[0, 1])
    with pytest.raises(rgenn.DataError, match="labels"):
        net.grad(unlabelled)
    too_wide = rgenn.SpikeDataset(times=[0.0], units=[5], offsets=[0, 1])
    with pytest.raises(rgenn.DataError, match="unit 5"):
        net.simulate(too_wide)
    with pytest.raises(ValueError, match="unknown backend"):
        net.simulate(unlabelled, backend="gpu")
    with pytest.raises(rgenn.DataError, match="not a parameter"):
        net.set_params({"in_out.wieght": np.zeros((2, 2))})
    with pytest.raises(rgenn.DataError, match="shape"):
        net.set_params({"in_out.delay": np.zeros(3)})
    with pytest.raises(rgenn.DataError, match="float"):
        net.set_params({"in_out.delay": np.zeros((2, 2), dtype=np.int32)})


def test_cuda_without_nvcc_is_a_backend_error(monkeypatch):
    for var in ("RGENN_NVCC", "CUDA_PATH", "CUDA_HOME"):
        monkeypatch.delenv(var, raising=False)
    path = [p for p in os.environ["PATH"].split(os.pathsep) if not os.path.exists(f"{p}/nvcc")]
    monkeypatch.setenv("PATH", os.pathsep.join(path))
    net = rgenn.Network(ROOT / "examples/sequence_detection.yaml")
    data = rgenn.SpikeDataset.load(ROOT / "examples/data/sequence_detection.npz")
    with pytest.raises(rgenn.BackendError, match="nvcc"):
        net.simulate(data, backend="cuda")
    # the network still runs on the CPU afterwards
    assert "output.readout" in net.simulate(data)


def test_a_callback_exception_stops_training(tmp_path):
    net = rgenn.Network(ROOT / "examples/sequence_detection.yaml")
    batches = []

    def on_epoch(m):
        raise ValueError(f"stop at {m['epoch']}")

    with pytest.raises(ValueError, match="stop at 1"):
        net.train(epochs=5, out=tmp_path / "run", on_epoch=on_epoch, on_batch=batches.append)
    # no callback runs after the exception; epoch 1 is on disk
    assert [b["epoch"] for b in batches] == [1, 1]
    assert batches[1]["seen"] == 2 and batches[1]["examples"] == 2
    assert len((tmp_path / "run" / "metrics.csv").read_text().strip().splitlines()) == 2
