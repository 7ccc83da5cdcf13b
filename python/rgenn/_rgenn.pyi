"""Type stubs of rgenn's native module (the public API is in rgenn/__init__.py)."""

from typing import Any, Callable

import numpy as np

__version__: str

class Error(Exception): ...
class ModelError(Error): ...
class BackendError(Error): ...
class DataError(Error): ...
class SimulationError(Error): ...

class Dataset:
    def __init__(
        self,
        times: np.ndarray,
        units: np.ndarray,
        offsets: np.ndarray,
        labels: np.ndarray | None = None,
    ) -> None: ...
    def __len__(self) -> int: ...
    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]: ...
    @property
    def origin(self) -> str: ...

def read_dataset(path: str) -> Dataset: ...

class Model:
    def __init__(self, path: str) -> None: ...
    def summary(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def precision(self) -> str: ...
    @property
    def steps(self) -> tuple[int, float]: ...
    @property
    def path(self) -> str: ...
    def simulate(
        self,
        data: Dataset,
        backend: str,
        threads: int | None = None,
        params: dict[str, np.ndarray] | None = None,
        params_file: str | None = None,
    ) -> dict[str, np.ndarray]: ...
    def grad(
        self,
        data: Dataset,
        backend: str,
        threads: int | None = None,
        params: dict[str, np.ndarray] | None = None,
        params_file: str | None = None,
    ) -> tuple[dict[str, np.ndarray], float]: ...
    def params(self) -> dict[str, np.ndarray]: ...
    def set_params(
        self,
        params: dict[str, np.ndarray] | None = None,
        params_file: str | None = None,
    ) -> None: ...
    def train(
        self,
        backend: str,
        out: str,
        train: Dataset | None = None,
        validation: Dataset | None = None,
        test: Dataset | None = None,
        epochs: int | None = None,
        threads: int | None = None,
        resume: bool = False,
        on_epoch: Callable[[dict[str, Any]], None] | None = None,
        on_batch: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]: ...
