"""The interface every recycler shares: fit on paired vocabulary rows, map a prompt, save to
and load from one ``.safetensors`` file."""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod

import numpy as np
from safetensors.numpy import save_file

from prompt_recycling.errors import RecyclingError
from prompt_recycling.fsutil import atomic_path


def _as_2d(name: str, array, width: int | None = None) -> np.ndarray:
    array = np.asarray(array)
    if array.ndim != 2:
        raise RecyclingError(f"{name} must be 2-D, got shape {array.shape}")
    if width is not None and array.shape[1] != width:
        raise RecyclingError(
            f"{name} has width {array.shape[1]} but the source embeddings have width {width}"
        )
    if not np.isfinite(array).all():
        raise RecyclingError(f"{name} contains NaN or inf values")
    return array


def _relative_error(pred: np.ndarray, target: np.ndarray) -> float:
    return float(np.linalg.norm(pred - target) / max(np.linalg.norm(target), 1e-30))


class Recycler(ABC):
    """Maps a source prompt (P, E_s) to a target prompt (P, E_t).

    Subclasses set ``name`` and implement ``_fit``, ``_apply``, ``_state`` and ``_set_state``.
    After :meth:`fit`, ``fit_error`` is the relative Frobenius error ||f(Vs) - Vt|| / ||Vt|| on
    the fitting rows and ``source_dim`` / ``target_dim`` are known. ``diagnostics`` holds what
    :func:`prompt_recycling.diagnostics.recycler_diagnostics` measured when it was fitted for a
    grid (held-out error, vocabulary norms, pair similarity); saved with it.
    """

    name: str = ""

    def __init__(self) -> None:
        self.source_dim: int | None = None
        self.target_dim: int | None = None
        self.fit_error: float | None = None
        self.diagnostics: dict = {}

    def fit(self, source_rows, target_rows) -> Recycler:
        """Fit on paired embedding rows: source_rows (N, E_s), target_rows (N, E_t)."""
        vs = _as_2d("source rows", source_rows).astype(np.float64)
        vt = _as_2d("target rows", target_rows).astype(np.float64)
        if len(vs) != len(vt):
            raise RecyclingError(f"{len(vs)} source rows but {len(vt)} target rows")
        self.source_dim, self.target_dim = vs.shape[1], vt.shape[1]
        self._fit(vs, vt)
        self.fit_error = _relative_error(self._apply(vs), vt)
        return self

    def __call__(self, prompt, dtype=np.float32) -> np.ndarray:
        """Recycle a prompt (P, E_s) into (P, E_t); computed in float64, returned as ``dtype``."""
        if self.source_dim is None:
            raise RecyclingError(f"recycler {self.name!r} is not fitted")
        ps = _as_2d("prompt", prompt, width=self.source_dim).astype(np.float64)
        return self._apply(ps).astype(dtype)

    def save(self, path: str | os.PathLike) -> None:
        """Write the fitted recycler to one ``.safetensors`` file, atomically."""
        tensors = {k: np.ascontiguousarray(v) for k, v in self._state().items()}
        meta = {
            "method": self.name,
            "config": json.dumps(self._config()),
            "source_dim": str(self.source_dim),
            "target_dim": str(self.target_dim),
            "fit_error": repr(self.fit_error),
            "diagnostics": json.dumps(self.diagnostics),
        }
        with atomic_path(path) as tmp:
            save_file(tensors, str(tmp), metadata=meta)

    def _config(self) -> dict:
        return {}

    @abstractmethod
    def _fit(self, vs: np.ndarray, vt: np.ndarray) -> None: ...

    @abstractmethod
    def _apply(self, ps: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def _state(self) -> dict[str, np.ndarray]: ...

    @abstractmethod
    def _set_state(self, state: dict[str, np.ndarray]) -> None: ...
