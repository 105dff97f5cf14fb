"""Recyclers beyond the paper that respect the target's geometry.

- ``procrustes``: centre both row sets and scale each to unit RMS row norm, then the orthogonal
  map W (E_s, E_t) that best rotates the source rows onto the target rows (semi-orthogonal when
  the widths differ: W = U·Vᵀ from the SVD of Vsᵀ·Vt). A prompt is centred and scaled the same
  way, rotated, and put back in the target's units: P't = ((Ps - μs) / σs)·W·σt + μt. A rotation
  keeps the prompt's own geometry (angles, relative norms), which a least-squares map does not.
- ``ridge``: v2v-lin with an L2 penalty, Y = argmin ||Vs·Y - Vt||² + α·||Y||², α chosen by
  leave-one-out cross-validation over the selected rows (scikit-learn's ``RidgeCV``, efficient
  generalised cross-validation, one α for all target dimensions).
"""

from __future__ import annotations

import numpy as np

from prompt_recycling.errors import RecyclingError
from prompt_recycling.recyclers.base import Recycler

ALPHAS = np.logspace(-4, 2, 13)  # times the mean squared norm of a source row


def _rms(rows: np.ndarray) -> float:
    return float(np.sqrt((rows**2).sum(axis=1).mean()))


class Procrustes(Recycler):
    """``procrustes``: centred, scale-normalised orthogonal map (see the module docstring)."""

    name = "procrustes"

    def _fit(self, vs, vt):
        self.source_mean, self.target_mean = vs.mean(axis=0), vt.mean(axis=0)  # (E_s,), (E_t,)
        cs, ct = vs - self.source_mean, vt - self.target_mean
        self.source_scale, self.target_scale = np.array([_rms(cs)]), np.array([_rms(ct)])
        if self.source_scale[0] == 0 or self.target_scale[0] == 0:
            raise RecyclingError("procrustes needs rows that are not all the same")
        # SVD of the (E_s, E_t) cross-covariance; W = U·Vᵀ is (E_s, E_t) with orthonormal
        # rows or columns (whichever width is smaller).
        u, _, vh = np.linalg.svd(
            (cs / self.source_scale[0]).T @ (ct / self.target_scale[0]), full_matrices=False
        )
        self.matrix = u @ vh

    def _apply(self, ps):
        unit = (ps - self.source_mean) / self.source_scale[0]  # (P, E_s)
        return unit @ self.matrix * self.target_scale[0] + self.target_mean  # (P, E_t)

    def _state(self):
        return {
            "matrix": self.matrix,
            "source_mean": self.source_mean,
            "target_mean": self.target_mean,
            "source_scale": self.source_scale,
            "target_scale": self.target_scale,
        }

    def _set_state(self, state):
        for key, value in state.items():
            setattr(self, key, value)


class Ridge(Recycler):
    """``ridge``: v2v-lin with an L2 penalty chosen by cross-validation (no intercept, like
    v2v-lin)."""

    name = "ridge"

    def _fit(self, vs, vt):
        from sklearn.linear_model import RidgeCV

        scale = float((vs**2).sum(axis=1).mean())  # α relative to a row's squared norm
        model = RidgeCV(alphas=ALPHAS * scale, fit_intercept=False).fit(vs, vt)
        self.matrix = np.asarray(model.coef_, dtype=np.float64).reshape(vt.shape[1], -1).T
        self.alpha = np.array([model.alpha_ / scale])  # (E_s, E_t) map; relative α kept

    def _apply(self, ps):
        return ps @ self.matrix  # (P, E_s) @ (E_s, E_t)

    def _state(self):
        return {"matrix": self.matrix, "alpha": self.alpha}

    def _set_state(self, state):
        self.matrix, self.alpha = state["matrix"], state["alpha"]
