"""``norm-match``: any recycler, with its output rows rescaled so that the recycled prompt is
as large, in the target's units, as the source prompt was in the source's.

A tuned prompt's rows grow far past a vocabulary row's norm; a map fitted on vocabulary rows
shrinks or distorts that. Row i of the output gets the norm ||Ps_i|| / m_s · m_t, where m_s and
m_t are the median row norms of the selected source and target vocabulary rows; its direction
is the base recycler's.
"""

from __future__ import annotations

import numpy as np

from prompt_recycling.errors import RecyclingError
from prompt_recycling.recyclers.base import Recycler
from prompt_recycling.settings import defaults


class NormMatch(Recycler):
    """``norm-match`` around a base recycler (``base``: a registry name, default v2v-lin)."""

    name = "norm-match"
    takes_settings = True
    BASES: dict[str, type[Recycler]] = {}  # filled by the registry (no import cycle)

    def __init__(self, base: str = defaults("recycling", "norm-match")["base"]) -> None:
        super().__init__()
        if base not in self.BASES or base == self.name:
            raise RecyclingError(
                f"norm-match base must be one of {sorted(self.BASES)}, got {base!r}"
            )
        self.base_name = base
        self.base = self.BASES[base]()

    def _fit(self, vs, vt):
        self.base.fit(vs, vt)
        self.norms = np.array(
            [np.median(np.linalg.norm(vs, axis=1)), np.median(np.linalg.norm(vt, axis=1))]
        )  # (m_s, m_t)

    def _apply(self, ps):
        out = self.base._apply(ps)  # (P, E_t), the base recycler's directions
        wanted = np.linalg.norm(ps, axis=1) / self.norms[0] * self.norms[1]  # (P,)
        have = np.maximum(np.linalg.norm(out, axis=1), 1e-30)
        return out * (wanted / have)[:, None]

    def _config(self):
        return {"base": self.base_name}

    def _state(self):
        state = {f"base.{k}": v for k, v in self.base._state().items()}
        return {**state, "norms": self.norms}

    def _set_state(self, state):
        self.norms = state["norms"]
        self.base._set_state({k[5:]: v for k, v in state.items() if k.startswith("base.")})
        self.base.source_dim, self.base.target_dim = self.source_dim, self.target_dim
