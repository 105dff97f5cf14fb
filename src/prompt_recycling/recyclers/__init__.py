"""The three recyclers of Lester et al. (2022), and three beyond the paper (``procrustes``,
``ridge``: :mod:`.geometry`; ``norm-match``: :mod:`.norm_match`), behind one small interface.

All of them are fitted on *paired rows* of the two input-embedding tables, i.e. the selected
tokens looked up in the source table ``Vs`` (N, E_s) and in the target table ``Vt`` (N, E_t),
and map a source prompt ``Ps`` (P, E_s) to a target prompt (P, E_t).

- ``v2v-lin``: Y (E_s, E_t) = argmin ||Vs·Y - Vt||_F, no bias; P't = Ps·Y.
- ``v2v-nn``: f = Linear(E_s, 4·E_t) -> ReLU -> Linear(4·E_t, E_t), trained with MSE; P't = f(Ps).
- ``lin-comb``: X (P, N) = min-norm argmin ||X·Vs - Ps||_F; P't = X·Vt.

Why v2v-lin and lin-comb give the same prompt: with minimum-norm least-squares solutions,
Y = pinv(Vs)·Vt and X = Ps·pinv(Vs), so both recycled prompts are Ps·pinv(Vs)·Vt. When
N >= E_s and Vs has full column rank the least-squares Y is unique and Ps lies in the row
space of Vs, so lin-comb reconstructs Ps exactly. The paper's TensorFlow code solved v2v-lin
through the normal equations (Cholesky of VsᵀVs), which squares the condition number; here both
use an SVD-based solver (LAPACK gelsd via ``numpy.linalg.lstsq``) in float64, so the two agree
to rounding error (~1e-10 or better), and differences between them in a results table are noise.
"""

from __future__ import annotations

import json
import os

from safetensors.numpy import load_file, safe_open

from prompt_recycling.errors import RecyclingError
from prompt_recycling.recyclers.base import Recycler
from prompt_recycling.recyclers.geometry import Procrustes, Ridge
from prompt_recycling.recyclers.mlp import V2VMLP
from prompt_recycling.recyclers.norm_match import NormMatch
from prompt_recycling.recyclers.paper import LinearCombination, V2VLinear

__all__ = ["RECYCLERS", "Recycler", "get_recycler", "load_recycler"]


RECYCLERS: dict[str, type[Recycler]] = {
    cls.name: cls for cls in (V2VLinear, V2VMLP, LinearCombination, Procrustes, Ridge, NormMatch)
}
NormMatch.BASES = {k: v for k, v in RECYCLERS.items() if v is not NormMatch}


def get_recycler(method: str, **config) -> Recycler:
    """A new, unfitted recycler by name (``v2v-lin``, ``v2v-nn``, ``lin-comb``, ``procrustes``,
    ``ridge``, ``norm-match``); settings go to the recyclers that take them."""
    if method not in RECYCLERS:
        raise RecyclingError(f"unknown method {method!r}; choose one of {sorted(RECYCLERS)}")
    if config and not getattr(RECYCLERS[method], "takes_settings", False):
        raise RecyclingError(f"{method} takes no settings (got {sorted(config)})")
    return RECYCLERS[method](**config)


def load_recycler(path: str | os.PathLike) -> Recycler:
    """Read a recycler written by :meth:`Recycler.save`."""
    try:
        with safe_open(str(path), framework="numpy") as f:
            meta = f.metadata() or {}
    except Exception as exc:  # safetensors raises its own error types
        raise RecyclingError(f"cannot read recycler file {path}: {exc}") from None
    if meta.get("method") not in RECYCLERS:
        raise RecyclingError(f"{path} is not a recycler file (no known method in its metadata)")
    recycler = get_recycler(meta["method"], **json.loads(meta.get("config", "{}")))
    recycler.source_dim = int(meta["source_dim"])
    recycler.target_dim = int(meta["target_dim"])
    recycler._set_state(load_file(str(path)))
    recycler.fit_error = float(meta["fit_error"])
    recycler.diagnostics = json.loads(meta.get("diagnostics") or "{}")
    return recycler
