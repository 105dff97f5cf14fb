"""The paper's two linear recyclers, ``v2v-lin`` and ``lin-comb`` (the same map: see the
package docstring)."""

from __future__ import annotations

import numpy as np

from prompt_recycling.recyclers.base import Recycler


class V2VLinear(Recycler):
    """``v2v-lin``: least-squares linear map Y (E_s, E_t) with Vs·Y ≈ Vt, no bias."""

    name = "v2v-lin"

    def _fit(self, vs, vt):
        # (N, E_s) \ (N, E_t) -> (E_s, E_t); SVD-based, min-norm if rank-deficient.
        self.matrix, *_ = np.linalg.lstsq(vs, vt, rcond=None)

    def _apply(self, ps):
        return ps @ self.matrix  # (P, E_s) @ (E_s, E_t) -> (P, E_t)

    def _state(self):
        return {"matrix": self.matrix}

    def _set_state(self, state):
        self.matrix = state["matrix"]


class LinearCombination(Recycler):
    """``lin-comb``: express each prompt vector as a combination of the selected source
    embeddings (min-norm least squares), then apply the same weights to the target ones."""

    name = "lin-comb"

    def _fit(self, vs, vt):
        self.source_rows, self.target_rows = vs, vt  # kept: the solve happens per prompt

    def _apply(self, ps):
        # Solve Vsᵀ (E_s, N) · Xᵀ (N, P) = Psᵀ (E_s, P); min-norm when N > E_s.
        x_t, *_ = np.linalg.lstsq(self.source_rows.T, ps.T, rcond=None)
        return x_t.T @ self.target_rows  # (P, N) @ (N, E_t) -> (P, E_t)

    def _state(self):
        return {"source_rows": self.source_rows, "target_rows": self.target_rows}

    def _set_state(self, state):
        self.source_rows, self.target_rows = state["source_rows"], state["target_rows"]
