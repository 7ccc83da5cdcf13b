"""rgenn from Python: load a network YAML, simulate, differentiate and train it with numpy arrays.

The simulators are the ones the ``rgenn`` command line builds (C++, Rust or CUDA kernels generated
from the network); every result equals the command line's bit for bit. Long calls release the GIL;
Ctrl-C stops a pass or a training run between batches with ``KeyboardInterrupt``.

>>> import rgenn
>>> net = rgenn.Network("examples/sequence_detection.yaml")
>>> data = rgenn.SpikeDataset.load("examples/data/sequence_detection.npz")
>>> out = net.simulate(data)                     # the arrays `rgenn simulate` writes
>>> grads = net.grad(data)                       # the arrays `rgenn grad` writes
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Union

import numpy as np

from . import _rgenn
from ._rgenn import BackendError, DataError, Error, ModelError, SimulationError, __version__

__all__ = [
    "BackendError",
    "DataError",
    "Error",
    "ModelError",
    "Network",
    "SimulationError",
    "SpikeDataset",
    "__version__",
]

PathLike = Union[str, "os.PathLike[str]"]
Params = Union[Mapping[str, Any], PathLike, None]

# Milliseconds per unit of event time (`from_events`' time_unit).
_MS_PER = {"s": 1000.0, "ms": 1.0, "us": 1e-3, "ns": 1e-6}
_DIVIDE_BY = {"us": 1000.0, "ns": 1e6}


def _ints(name: str, values: Any) -> np.ndarray:
    a = np.asarray(values)
    if a.ndim != 1:
        raise DataError(f"`{name}` must be one-dimensional, not of shape {a.shape}")
    if a.dtype.kind not in "iu" and not (a.size == 0 and a.dtype.kind == "f"):
        raise DataError(f"`{name}` must hold integers, not {a.dtype}")
    if a.dtype == np.uint64 and a.size and a.max() > np.iinfo(np.int64).max:
        raise DataError(f"`{name}` holds a value too large for int64")
    return np.ascontiguousarray(a, dtype=np.int64)


def _floats(name: str, values: Any) -> np.ndarray:
    a = np.asarray(values)
    if a.ndim != 1:
        raise DataError(f"`{name}` must be one-dimensional, not of shape {a.shape}")
    if a.dtype.kind not in "fiu":
        raise DataError(f"`{name}` must hold real numbers (ms), not {a.dtype}")
    return np.ascontiguousarray(a, dtype=np.float64)


class SpikeDataset:
    """Spike trials: trial ``k`` is the spikes ``offsets[k]:offsets[k + 1]`` of ``times`` (ms) and
    ``units``; ``labels`` holds one class per trial (needed by ``Network.grad`` and training).

    The arrays are checked when the dataset is made (equal lengths, offsets from 0 that never
    decrease and end at the number of spikes, finite times, non-negative units and labels) and
    held in the simulators' layout, so passes read them without another conversion. The
    attributes are read-only copies: ``times`` float64, ``units`` uint32, ``offsets`` uint64,
    ``labels`` int64 or None.
    """

    times: np.ndarray
    units: np.ndarray
    offsets: np.ndarray
    labels: np.ndarray | None

    def __init__(
        self,
        times: Any,
        units: Any,
        offsets: Any,
        labels: Any = None,
    ) -> None:
        native = _rgenn.Dataset(
            _floats("times", times),
            _ints("units", units),
            _ints("offsets", offsets),
            None if labels is None else _ints("labels", labels),
        )
        self._adopt(native)

    def _adopt(self, native: _rgenn.Dataset) -> None:
        self._native = native
        self.times, self.units, self.offsets, self.labels = native.arrays()
        for a in (self.times, self.units, self.offsets, self.labels):
            if a is not None:
                a.flags.writeable = False

    @classmethod
    def load(cls, path: PathLike) -> SpikeDataset:
        """Read a spike-dataset ``.npz`` (``times``, ``units``, ``offsets``, optional ``labels``),
        as ``rgenn simulate --data`` does."""
        ds = cls.__new__(cls)
        ds._adopt(_rgenn.read_dataset(os.fspath(path)))
        return ds

    @classmethod
    def from_events(
        cls,
        events: Sequence[np.ndarray],
        labels: Sequence[int] | None = None,
        time_unit: str = "us",
        channel_field: str = "x",
    ) -> SpikeDataset:
        """One trial per structured event array, as tonic's datasets give them (fields ``t``,
        ``x``, ``p``; SHD and SSC events have ``t`` in microseconds and the channel in ``x``).

        ``time_unit`` is the unit of ``t`` ("s", "ms", "us" or "ns"); ``channel_field`` names the
        field that becomes the input unit. Polarity and other fields are ignored.
        """
        if time_unit not in _MS_PER:
            raise ValueError(f"time_unit must be one of {sorted(_MS_PER)}, not {time_unit!r}")
        times, units, offsets = [], [], [0]
        for k, ev in enumerate(events):
            ev = np.asarray(ev)
            names = ev.dtype.names or ()
            for field in ("t", channel_field):
                if field not in names:
                    raise DataError(
                        f"trial {k}: the events have no field `{field}` (fields: {list(names)})"
                    )
            t = ev["t"].astype(np.float64)
            if time_unit in _DIVIDE_BY:
                t = t / _DIVIDE_BY[time_unit]
            elif time_unit == "s":
                t = t * 1000.0
            times.append(t)
            units.append(_ints(f"trial {k}: {channel_field}", ev[channel_field]))
            offsets.append(offsets[-1] + len(ev))
        return cls(
            np.concatenate(times) if times else np.zeros(0),
            np.concatenate(units) if units else np.zeros(0, dtype=np.int64),
            np.asarray(offsets, dtype=np.int64),
            None if labels is None else np.asarray(labels),
        )

    def save(self, path: PathLike) -> None:
        """Write the dataset as a spike-dataset ``.npz`` the command line reads."""
        arrays = {"times": self.times, "units": self.units, "offsets": self.offsets}
        if self.labels is not None:
            arrays["labels"] = self.labels
        np.savez(os.fspath(path), **arrays)

    def __len__(self) -> int:
        """Number of trials."""
        return len(self._native)

    def __repr__(self) -> str:
        labelled = "labelled" if self.labels is not None else "unlabelled"
        return f"SpikeDataset({len(self)} trials, {len(self.times)} spikes, {labelled})"


def _dataset(data: SpikeDataset | PathLike) -> _rgenn.Dataset:
    if isinstance(data, SpikeDataset):
        return data._native
    if isinstance(data, (str, os.PathLike)):
        return SpikeDataset.load(data)._native
    raise TypeError(f"expected a SpikeDataset or the path of one, not {type(data).__name__}")


def _params(params: Params) -> dict[str, Any]:
    """Keyword arguments of the native calls for `params` (a dict of arrays or a file)."""
    if params is None:
        return {}
    if isinstance(params, (str, os.PathLike)):
        return {"params_file": os.fspath(params)}
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict of arrays or a file path, not {type(params)}")
    arrays = {}
    for name, value in params.items():
        a = np.asarray(value)
        if name.endswith((".weight", ".delay")) and a.dtype.kind != "f":
            raise DataError(f"`{name}` must be a float32 or float64 array, not {a.dtype}")
        arrays[name] = np.ascontiguousarray(a, dtype=np.float64) if a.dtype.kind == "f" else a
    return {"params": arrays}


class Network:
    """A network loaded from its YAML file, with its current weights and delays.

    A file that cannot be read or is invalid raises :class:`ModelError`, whose ``str`` is the
    positioned report ``rgenn check`` prints. Simulators are built on first use of a backend
    (cached on disk as the command line caches them): ``"cpu"`` (C++ kernels), ``"rust"`` (the
    same kernels as Rust, bit-identical) or ``"cuda"``; a backend that cannot run here raises
    :class:`BackendError`.
    """

    def __init__(self, path: PathLike) -> None:
        self._model = _rgenn.Model(os.fspath(path))

    @property
    def name(self) -> str:
        """The network's name."""
        return self._model.name

    @property
    def precision(self) -> str:
        """``"float32"`` or ``"float64"``: the dtype of outputs and parameters."""
        return self._model.precision

    @property
    def n_steps(self) -> int:
        """Steps per trial."""
        return self._model.steps[0]

    @property
    def dt(self) -> float:
        """The time step in ms."""
        return self._model.steps[1]

    def summary(self) -> str:
        """The summary ``rgenn check`` prints: sizes, ring lengths, memory."""
        return self._model.summary()

    def simulate(
        self,
        data: SpikeDataset | PathLike,
        params: Params = None,
        backend: str = "cpu",
        threads: int | None = None,
    ) -> dict[str, np.ndarray]:
        """Run every trial of ``data`` forward; returns the arrays ``rgenn simulate`` writes:
        ``<pop>.times`` / ``.units`` / ``.offsets`` (spikes), ``<pop>.readout`` and recorded
        variables. ``params`` (a dict like :meth:`params` returns, or a parameter ``.npz``)
        replaces the network's parameters for this call only. ``threads`` defaults to every core;
        results never depend on it."""
        return self._model.simulate(_dataset(data), backend, threads, **_params(params))

    def grad(
        self,
        data: SpikeDataset | PathLike,
        params: Params = None,
        backend: str = "cpu",
        threads: int | None = None,
    ) -> dict[str, np.ndarray]:
        """Forward and backward over every (labelled) trial of ``data``: the mean ``loss`` and
        ``<conn>.weight_grad``, ``<conn>.delay_grad`` (per ms), as ``rgenn grad`` writes them."""
        grads, _accuracy = self._model.grad(_dataset(data), backend, threads, **_params(params))
        return grads

    def params(self) -> dict[str, np.ndarray]:
        """The current parameters as a parameter file holds them: ``<conn>.weight`` and
        ``<conn>.delay`` (ms, learnable delays only) shaped ``[pre, post]`` for dense
        connections, ``<conn>.pre`` / ``<conn>.post`` for sparse ones."""
        return self._model.params()

    def set_params(self, params: Params) -> None:
        """Replace parameters by those of a dict (names as :meth:`params` gives them; missing
        ones keep their values) or of a parameter ``.npz``."""
        self._model.set_params(**_params(params))

    def train(
        self,
        train: SpikeDataset | None = None,
        test: SpikeDataset | None = None,
        *,
        validation: SpikeDataset | None = None,
        epochs: int | None = None,
        out: PathLike = "run",
        resume: bool = False,
        backend: str = "cpu",
        threads: int | None = None,
        on_epoch: Callable[[dict[str, Any]], None] | None = None,
        on_batch: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """Train with the YAML's ``training:`` settings and write the run folder ``out`` as
        ``rgenn train`` does (params.npz, params_last.npz, metrics.csv, checkpoint.npz,
        result.json, plots).

        The data are the YAML's ``data:`` splits; ``train``, ``validation`` and ``test`` replace
        the ones given (a ``held_out`` validation split is then cut from the given ``train``).
        Training starts from the network's current parameters, which are the last epoch's when it
        returns. ``on_epoch`` receives each epoch's metrics (the columns of metrics.csv) and
        ``on_batch`` the running loss and accuracy after each batch. Ctrl-C (or an exception in
        a callback) stops the run at the next batch; the run folder keeps the last finished
        epoch's files, so ``resume=True`` continues from its checkpoint.

        Returns the last epoch's metrics with ``epochs``, ``best_accuracy``, ``selection``,
        ``protocol`` and ``stopped_early``.
        """
        for name, d in (("train", train), ("validation", validation), ("test", test)):
            if d is not None and not isinstance(d, SpikeDataset):
                raise TypeError(f"{name} must be a SpikeDataset, not {type(d).__name__}")
        return self._model.train(
            backend,
            os.fspath(out),
            train=None if train is None else train._native,
            validation=None if validation is None else validation._native,
            test=None if test is None else test._native,
            epochs=epochs,
            threads=threads,
            resume=resume,
            on_epoch=on_epoch,
            on_batch=on_batch,
        )

    def __repr__(self) -> str:
        return f"Network({self.name!r}, {self.n_steps} steps of {self.dt} ms)"
