"""A finding, its verdict before and after Holm's adjustment, and the findings table.

A finding states the paper's claim in its own direction (``../shared/notes/paper.md`` §4),
the quantity this run estimates for it, and a 95% interval. Its verdict:

- *reproduced*: the interval excludes the null on the paper's side;
- *not reproduced*: the interval excludes the paper's claim (the other side of the null, or of
  the paper's own number where the claim is one: F1's 88.9%);
- *inconclusive*: neither; *not testable*: the run lacks what the finding needs (said why).

The Holm-adjusted verdict keeps a decisive verdict only when its Holm-adjusted p-value over the
testable findings is below 0.05. On an init axis each init's findings, and the pooled ones, are
a family of their own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import pandas as pd
from scipy import stats as sps

from prompt_recycling import stats

ALPHA = 0.05
PAPER_MODELS = ("t5",)  # model names of the paper's family (T5 1.1 LM-adapted)


@dataclass(frozen=True)
class Finding:
    id: str
    claim: str  # the paper's claim, in its words and direction
    measure: str  # what is estimated, in this run's terms
    estimate: stats.Estimate | None
    direction: int  # +1 / -1: the side of ``null`` the paper claims
    detail: str
    reason: str = ""  # why it is not testable
    null: float = 0.0
    bound: float | None = None  # the paper's own number, when the claim is one (F1)
    p: float = math.nan  # the p-value Holm adjusts (see :func:`with_holm`)
    p_holm: float = math.nan
    init: str = ""  # on an init axis: the init's runs only, or "pooled" (every init's runs)

    @property
    def label(self) -> str:
        """``F1``, or ``F1 (class-label)`` / ``F1 (pooled)`` on an init axis."""
        return f"{self.id} ({self.init})" if self.init else self.id

    @property
    def verdict(self) -> str:
        e = self.estimate
        if e is None:
            return "not testable"
        bound = self.null if self.bound is None else self.bound
        if (self.direction > 0 and e.high < bound) or (self.direction < 0 and e.low > bound):
            return "not reproduced"  # the interval excludes the paper's claim
        return e.verdict(self.direction, self.null)

    @property
    def verdict_holm(self) -> str:
        v = self.verdict
        if v in ("reproduced", "not reproduced") and not self.p_holm < ALPHA:
            return "inconclusive"
        return v

    def as_row(self) -> dict:
        e = self.estimate
        return {
            "finding": self.label,
            "init": self.init,
            "claim": self.claim,
            "measure": self.measure,
            "estimate": math.nan if e is None else e.value,
            "low": math.nan if e is None else e.low,
            "high": math.nan if e is None else e.high,
            "n": 0 if e is None else e.n,
            "unit": "" if e is None else e.unit,
            "p_value": self.p,
            "p_holm": self.p_holm,
            "verdict": self.verdict,
            "verdict_holm": self.verdict_holm,
            "detail": self.detail or self.reason,
        }


def p_of(e: stats.Estimate, null: float = 0.0) -> float:
    """Two-sided p-value against ``null`` read from a t interval: the half-width on the null's
    side of the estimate (a share's interval is asymmetric, or clipped at 0 or 1 on the
    other side) and its df, so that p < 0.05 exactly when the interval excludes ``null``."""
    if not (math.isfinite(e.low) and math.isfinite(e.high)):
        return math.nan
    df = e.df if math.isfinite(e.df) else 1e6
    t = float(sps.t.ppf(0.5 + stats.CONFIDENCE / 2, df))
    half = e.value - e.low if e.value >= null else e.high - e.value
    if half <= 0:
        return 0.0 if e.value != null else 1.0
    return float(2 * sps.t.sf(abs(e.value - null) / (half / t), df))


def with_holm(items: list[Finding]) -> list[Finding]:
    """Holm-adjusted p-values over the testable findings (F1's own p; the others' read from
    their intervals against their null)."""
    ps = [
        math.nan
        if f.estimate is None
        else f.estimate.p_value
        if f.id == "F1"
        else p_of(f.estimate, f.null)
        for f in items
    ]
    adjusted = stats.holm(ps)
    return [
        replace(f, p=float(p), p_holm=float(q)) for f, p, q in zip(items, ps, adjusted, strict=True)
    ]


def stand_in(table: pd.DataFrame) -> bool:
    """Whether the run's models are stand-ins for the paper's (T5 1.1 LM-adapted)."""
    models = set(table.model.dropna().astype(str))
    return not all(any(p in m.lower() for p in PAPER_MODELS) for m in models)


def findings_table(items: list[Finding]) -> pd.DataFrame:
    return pd.DataFrame([f.as_row() for f in items])
