"""SpikeDataset from arrays, files and tonic-style event arrays."""

import numpy as np
import pytest

import rgenn
from conftest import ROOT

# tonic's audio datasets (SHD, SSC) give events of this dtype: `int` fields, `t` in microseconds.
TONIC = np.dtype([("t", "<i8"), ("x", "<i8"), ("p", "<i8")])


def events(pairs):
    a = np.zeros(len(pairs), dtype=TONIC)
    for i, (t, x) in enumerate(pairs):
        a[i] = (t, x, 1)
    return a


def test_from_events_equals_arrays():
    ev = [events([(1500, 3), (10_000, 0)]), events([]), events([(250, 699)])]
    d = rgenn.SpikeDataset.from_events(ev, labels=[2, 0, 1])
    assert d.times.tolist() == [1.5, 10.0, 0.25]
    assert d.units.tolist() == [3, 0, 699] and d.units.dtype == np.uint32
    assert d.offsets.tolist() == [0, 2, 2, 3]
    assert d.labels.tolist() == [2, 0, 1]
    assert len(d) == 3
    s = rgenn.SpikeDataset.from_events([events([(2, 1)])], time_unit="s")
    assert s.times.tolist() == [2000.0] and s.labels is None


def test_from_events_errors():
    with pytest.raises(rgenn.DataError, match="no field `x`"):
        rgenn.SpikeDataset.from_events([np.zeros(1, dtype=[("t", "<i8"), ("y", "<i8")])])
    with pytest.raises(ValueError, match="time_unit"):
        rgenn.SpikeDataset.from_events([events([])], time_unit="min")


def test_from_events_simulates_like_the_file(tmp_path):
    file = rgenn.SpikeDataset.load(ROOT / "examples/data/sequence_detection.npz")
    ev = []
    for k in range(len(file)):
        a, b = file.offsets[k], file.offsets[k + 1]
        ev.append(events(list(zip((file.times[a:b] * 1000).astype(int), file.units[a:b]))))
    d = rgenn.SpikeDataset.from_events(ev, labels=file.labels)
    net = rgenn.Network(ROOT / "examples/sequence_detection.yaml")
    ours, theirs = net.simulate(d), net.simulate(file)
    assert all(ours[k].tobytes() == theirs[k].tobytes() for k in theirs)
    d.save(tmp_path / "d.npz")
    again = rgenn.SpikeDataset.load(tmp_path / "d.npz")
    assert again.times.tobytes() == d.times.tobytes() and again.labels.tolist() == [0, 1]


def test_arrays_are_read_only():
    d = rgenn.SpikeDataset(times=[1.0], units=[0], offsets=[0, 1])
    with pytest.raises(ValueError):
        d.times[0] = 2.0
