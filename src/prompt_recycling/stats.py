"""Paired comparisons, trends, multiplicity and verdicts (scipy does the work).

Every finding of the report is a quantity whose direction the paper states. An estimate comes
with a 95% confidence interval, and the verdict reads only the interval:

- ``reproduced``: the interval excludes the null on the paper's side;
- ``not reproduced``: the interval excludes the paper's claim (lies on the other side);
- ``inconclusive``: it contains the null (or could not be computed);
- ``not testable``: the run lacks what the finding needs (decided by the caller).

Intervals here:

- two conditions scored on the same test examples: exact McNemar test
  (:func:`scipy.stats.binomtest` on the discordant pairs) and a paired bootstrap over examples
  (:func:`paired_difference`);
- pooled gains and shares of many prompts over independent training runs and test examples:
  :mod:`prompt_recycling.analysis.clustered` (cluster-robust t, coverage checked by simulation);
- trends over steps or word counts: one slope per series, averaged within its training run,
  then a t interval across runs (:func:`trend`);
- the best of k settings: Clopper-Pearson with Bonferroni over the settings
  (:func:`best_of_k_share`); several findings: Holm's step-down adjustment (:func:`holm`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
N_RESAMPLES = 2000


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence interval over ``n`` units of kind ``unit``."""

    value: float
    low: float
    high: float
    n: int
    unit: str
    p_value: float = math.nan
    df: float = math.nan  # degrees of freedom of a t interval

    def verdict(self, direction: int, null: float = 0.0) -> str:
        """``direction`` +1: the paper predicts a value above ``null``; -1: below."""
        return verdict(self.low, self.high, direction, null)

    def format(self, scale: float = 100.0, digits: int = 1, suffix: str = "") -> str:
        """``+3.1 [+0.4, +5.8]`` (scaled; signs shown)."""
        if math.isnan(self.value):
            return "n/a"
        v, lo, hi = (scale * x for x in (self.value, self.low, self.high))
        if math.isnan(lo) or math.isnan(hi):
            return f"{v:+.{digits}f}{suffix} [CI n/a]"
        return f"{v:+.{digits}f}{suffix} [{lo:+.{digits}f}, {hi:+.{digits}f}]"


def verdict(low: float, high: float, direction: int, null: float = 0.0) -> str:
    """``direction`` +1: the paper claims a value above ``null``; -1: below. Reproduced when
    the interval excludes ``null`` on the paper's side, not reproduced when it excludes the
    paper's claim (lies wholly on the other side), inconclusive otherwise."""
    if direction not in (1, -1):
        raise ValueError(f"direction must be +1 or -1, got {direction}")
    if math.isnan(low) or math.isnan(high):
        return "inconclusive"
    if (direction > 0 and low > null) or (direction < 0 and high < null):
        return "reproduced"
    if (direction > 0 and high < null) or (direction < 0 and low > null):
        return "not reproduced"
    return "inconclusive"


def mcnemar_exact(a_correct, b_correct) -> float:
    """Two-sided exact McNemar p-value for two classifiers scored on the same examples."""
    a, b = np.asarray(a_correct, bool), np.asarray(b_correct, bool)
    if a.shape != b.shape:
        raise ValueError(f"paired comparison of different example sets: {a.shape} vs {b.shape}")
    only_a, only_b = int((a & ~b).sum()), int((~a & b).sum())
    if only_a + only_b == 0:
        return 1.0
    return float(stats.binomtest(only_a, only_a + only_b, 0.5).pvalue)


def _bootstrap(data, statistic, seed: int, n_resamples: int) -> tuple[float, float]:
    """scipy's percentile bootstrap interval of ``statistic`` over ``data``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = stats.bootstrap(
            data,
            statistic,
            vectorized=True,
            n_resamples=n_resamples,
            confidence_level=CONFIDENCE,
            method="percentile",
            rng=np.random.default_rng(seed),
        )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def paired_difference(
    a, b, seed: int = 0, n_resamples: int = N_RESAMPLES, with_p: bool = True
) -> Estimate:
    """mean(a - b) over the same examples, with a paired bootstrap interval over examples.

    ``a``, ``b``: per-example scores (1/0 correctness, or a mean over several prompts).
    With ``with_p`` and 0/1 inputs the exact McNemar p-value is attached.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"paired comparison of different example sets: {a.shape} vs {b.shape}")
    d = a - b
    value = float(d.mean())
    if np.all(d == d[0]):  # no variation: the interval is the point
        low = high = value
    else:
        low, high = _bootstrap((d,), lambda x, axis: x.mean(axis), seed, n_resamples)
    binary = np.isin(a, (0, 1)).all() and np.isin(b, (0, 1)).all()
    p = mcnemar_exact(a.astype(bool), b.astype(bool)) if with_p and binary else math.nan
    return Estimate(value, low, high, len(d), "examples", p)


def trend(
    x,
    y,
    units,
    log2: bool = True,
    unit: str = "runs",
    min_points: int = 2,
    clusters=None,
) -> Estimate:
    """Mean per-unit slope of ``y`` on ``x`` (on log2 x: change per doubling), with a t
    interval across independent units; ``p_value`` is the one-sample t test against 0.

    ``units``: the series a slope is fitted to (e.g. one run's prompts on one pair);
    ``clusters``: the independent unit of each point (its training run; default the series).
    Slopes of one cluster are averaged first, so a run recycled to two targets counts once.
    Units with fewer than ``min_points`` distinct x values are left out."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    units = np.asarray(units, dtype=object).astype(str)
    clusters = units if clusters is None else np.asarray(clusters, dtype=object).astype(str)
    per_cluster: dict[str, list[float]] = {}
    for u in np.unique(units):
        sel = units == u
        xu = np.log2(x[sel]) if log2 else x[sel]
        if len(np.unique(xu)) >= min_points:
            per_cluster.setdefault(clusters[sel][0], []).append(stats.linregress(xu, y[sel]).slope)
    slopes = np.asarray([np.mean(v) for v in per_cluster.values()])
    if len(slopes) == 0:
        return Estimate(math.nan, math.nan, math.nan, 0, unit)
    value = float(slopes.mean())
    if len(slopes) < 2:
        return Estimate(value, math.nan, math.nan, 1, unit)
    if np.allclose(slopes, value):
        p = 1.0 if value == 0 else 0.0
        return Estimate(value, value, value, len(slopes), unit, p, len(slopes) - 1)
    test = stats.ttest_1samp(slopes, 0.0)
    ci = test.confidence_interval(CONFIDENCE)
    return Estimate(
        value, float(ci.low), float(ci.high), len(slopes), unit, float(test.pvalue), len(slopes) - 1
    )


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN entries stay NaN and are not counted)."""
    p = np.asarray(p_values, float)
    out = np.full(p.shape, math.nan)
    ok = np.flatnonzero(np.isfinite(p))
    order = ok[np.argsort(p[ok], kind="stable")]
    m, running = len(order), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def best_of_k_share(k: int, n: int, settings: int) -> tuple[float, float]:
    """Clopper-Pearson interval of the share ``k``/``n`` of the setting picked as the best of
    ``settings``: Bonferroni over the settings (level 1 - 0.05/settings), so it covers the
    picked setting's share whichever one the data picked."""
    if n == 0:
        return math.nan, math.nan
    level = 1 - (1 - CONFIDENCE) / max(settings, 1)
    ci = stats.binomtest(int(k), int(n)).proportion_ci(level, method="exact")
    return float(ci.low), float(ci.high)


def best_of_k_p(k: int, n: int, settings: int, null: float, above: bool) -> float:
    """Bonferroni-adjusted two-sided-equivalent p-value that the picked setting's share is
    above (``above``) or below ``null``: consistent with :func:`best_of_k_share`'s interval."""
    if n == 0:
        return math.nan
    alt = "greater" if above else "less"
    p = stats.binomtest(int(k), int(n), null, alternative=alt).pvalue
    return float(min(1.0, 2 * max(settings, 1) * p))


def se_of_accuracy(p: float, n: int) -> float:
    """Binomial standard error of an accuracy ``p`` measured on ``n`` examples."""
    return math.sqrt(max(p * (1 - p), 0.0) / n) if n else math.nan
