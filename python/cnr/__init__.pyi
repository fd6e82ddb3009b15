# Type stubs for IDEs and type checkers; the docstrings are in __init__.py and docs/python.md.
import os
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

__version__: str

Numbers = Union[str, Sequence[float]]
Path = Union[str, os.PathLike]

class CnrError(Exception): ...

class ModelError(CnrError):
    diagnostics: List[Dict[str, Any]]

class SolveError(CnrError): ...

class Cancel:
    def __init__(self) -> None: ...
    def cancel(self) -> None: ...
    @property
    def cancelled(self) -> bool: ...

class Record:
    w: Optional[npt.NDArray[np.float64]]
    b: Optional[npt.NDArray[np.float64]]
    status: str
    objective: Optional[float]
    max_violation: Optional[float]
    relative_violation: Optional[float]
    training_loss: Optional[float]
    recovery_error: Optional[float]
    method: str
    backend: str
    samples: int
    d: int
    filters: int
    attempts: List[Dict[str, Any]]
    timings: Dict[str, float]
    def to_dict(self) -> Dict[str, Any]: ...
    def _repr_html_(self) -> str: ...
    def __getattr__(self, name: str) -> Any: ...

class Model:
    text: str
    name: str
    base: Optional[str]
    path: Optional[str]
    def __init__(self, source: Path, name: Optional[str] = ..., base: Optional[str] = ...) -> None: ...
    def check(
        self,
        set: Optional[Mapping[str, str]] = ...,
        unset: Optional[Sequence[str]] = ...,
        params: Optional[Mapping[str, float]] = ...,
        samples: Optional[int] = ...,
        seed: Optional[int] = ...,
        noise: Optional[float] = ...,
    ) -> Dict[str, Any]: ...
    def solve(
        self,
        x: Optional[npt.ArrayLike] = ...,
        y: Optional[npt.ArrayLike] = ...,
        planted: Optional[npt.ArrayLike] = ...,
        planted_bias: Optional[npt.ArrayLike] = ...,
        x_test: Optional[npt.ArrayLike] = ...,
        y_test: Optional[npt.ArrayLike] = ...,
        method: str = ...,
        backend: Optional[str] = ...,
        set: Optional[Mapping[str, str]] = ...,
        unset: Optional[Sequence[str]] = ...,
        params: Optional[Mapping[str, float]] = ...,
        samples: Optional[int] = ...,
        seed: Optional[int] = ...,
        noise: Optional[float] = ...,
        tolerance: Optional[float] = ...,
        threads: Optional[int] = ...,
        refine_gd: Optional[int] = ...,
        cancel: Optional[Cancel] = ...,
    ) -> Record: ...
    def data(self, **settings: Any) -> Dict[str, npt.NDArray[np.float64]]: ...
    def eval(self, w: npt.ArrayLike, b: Optional[npt.ArrayLike] = ..., **settings: Any) -> Dict[str, Any]: ...
    def conv_weights(self, w: Any, b: Optional[npt.ArrayLike] = ..., **settings: Any) -> Dict[str, Any]: ...
    def to_torch(self, w: Any, b: Optional[npt.ArrayLike] = ..., **settings: Any) -> Any: ...
    def compile(self, emit: str = ..., **settings: Any) -> str: ...

class Rows(List[Dict[str, Any]]):
    def _repr_html_(self, most: int = ...) -> str: ...

def solve_program(source: Path, tolerance: Optional[float] = ..., cancel: Optional[Cancel] = ...) -> Dict[str, Any]: ...
def sweep(
    model: Union[Model, Path],
    ratio: Optional[Numbers] = ...,
    samples: Optional[Numbers] = ...,
    params: Optional[Mapping[str, Numbers]] = ...,
    activation: Optional[Union[str, Sequence[str]]] = ...,
    noise: Optional[Numbers] = ...,
    anchor: Optional[Union[str, Sequence[str]]] = ...,
    restarts: Optional[Numbers] = ...,
    refine: Optional[Numbers] = ...,
    trials: Optional[int] = ...,
    seed: Optional[int] = ...,
    threshold: Optional[float] = ...,
    baseline: bool = ...,
    refine_gd: Optional[int] = ...,
    jobs: Optional[int] = ...,
    method: str = ...,
    backend: Optional[str] = ...,
    out: Optional[Path] = ...,
    force: bool = ...,
    set: Optional[Mapping[str, str]] = ...,
    cancel: Optional[Cancel] = ...,
    on_row: Optional[Callable[[Dict[str, Any]], None]] = ...,
    progress: Optional[bool] = ...,
) -> Any: ...

class ConvexCNN:
    record_: Record
    network_: Dict[str, Any]
    n_neurons_: int
    def __init__(
        self,
        input_shape: Union[int, Sequence[int]],
        kernel: Union[int, Sequence[int]],
        stride: Union[int, Sequence[int]] = ...,
        padding: Union[int, Sequence[int]] = ...,
        channels: int = ...,
        bias: bool = ...,
        offset: bool = ...,
        weight_decay: float = ...,
        form: str = ...,
        arrangements: Union[int, str] = ...,
        seed: int = ...,
        tolerance: Optional[float] = ...,
        threads: Optional[int] = ...,
    ) -> None: ...
    def get_params(self, deep: bool = ...) -> Dict[str, Any]: ...
    def set_params(self, **params: Any) -> "ConvexCNN": ...
    def model(self) -> str: ...
    def fit(self, X: npt.ArrayLike, y: npt.ArrayLike) -> "ConvexCNN": ...
    def predict(self, X: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
    def score(self, X: npt.ArrayLike, y: npt.ArrayLike) -> float: ...
