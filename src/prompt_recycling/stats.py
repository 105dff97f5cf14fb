"""Paired comparisons, cluster-bootstrap intervals, trends and verdicts (scipy does the work).

Every finding of the report is a difference whose sign the paper predicts. An estimate comes
with a 95% confidence interval, and the verdict reads only the interval:

- ``supported``: the interval excludes zero on the paper's side;
- ``contradicted``: it excludes zero on the other side;
- ``inconclusive``: it contains zero (or could not be computed).

Four kinds of interval, each over the units that actually vary:

- two conditions scored on the same test examples: exact McNemar test
  (:func:`scipy.stats.binomtest` on the discordant pairs) and a paired bootstrap over examples
  (:func:`paired_difference`);
- pooled gains and shares of many recycled prompts compared on the same test examples: both
  the prompts and the examples are samples, so :func:`crossed_mean` and
  :func:`crossed_difference` resample whole *source prompts* (prompts recycled from one source
  prompt with several vocabulary sizes are not independent) and test examples at once (Owen's
  "pigeonhole" bootstrap for crossed designs, Owen 2007; scipy has no crossed resampling). A
  consistent 0.5-point gain over zero-shot on 1,000 examples is then inconclusive, as it should
  be, however many prompts show it. A bootstrap cannot show uncertainty when every cluster
  agrees (0 of 15 prompts beat zero-shot gives [0, 0]), so the interval of a share is never
  narrower than the Wilson score interval that counts each source prompt as one observation
  (0 of 15: [0, 20.4%]), nor that of a difference of shares narrower than Newcombe's hybrid
  score interval built from those;
- trends over steps or word counts: one slope per unit (a seed's prompt on one pair), then a
  t interval across units (:func:`trend`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
N_RESAMPLES = 2000
VERDICTS = ("supported", "contradicted", "inconclusive", "not testable")


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence interval over ``n`` units of kind ``unit``."""

    value: float
    low: float
    high: float
    n: int
    unit: str
    p_value: float = math.nan

    def verdict(self, direction: int) -> str:
        """``direction`` +1: the paper predicts a positive difference; -1: negative."""
        return verdict(self.low, self.high, direction)

    def format(self, scale: float = 100.0, digits: int = 1, suffix: str = "") -> str:
        """``+3.1 [+0.4, +5.8]`` (scaled; signs shown)."""
        if math.isnan(self.value):
            return "n/a"
        v, lo, hi = (scale * x for x in (self.value, self.low, self.high))
        if math.isnan(lo) or math.isnan(hi):
            return f"{v:+.{digits}f}{suffix} [CI n/a]"
        return f"{v:+.{digits}f}{suffix} [{lo:+.{digits}f}, {hi:+.{digits}f}]"


def verdict(low: float, high: float, direction: int) -> str:
    if direction not in (1, -1):
        raise ValueError(f"direction must be +1 or -1, got {direction}")
    if math.isnan(low) or math.isnan(high):
        return "inconclusive"
    if (direction > 0 and low > 0) or (direction < 0 and high < 0):
        return "supported"
    if (direction > 0 and high < 0) or (direction < 0 and low > 0):
        return "contradicted"
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


def wilson(share: float, n: int) -> tuple[float, float]:
    """Wilson score interval of a share observed on ``n`` units (k rounded to an integer)."""
    k = int(round(share * n))
    ci = stats.binomtest(k, n).proportion_ci(CONFIDENCE, method="wilson")
    return float(ci.low), float(ci.high)


def _cluster_weights(clusters, n_resamples: int, rng) -> tuple[np.ndarray, int]:
    """W (B, items): each item weighted by its cluster's multinomial resampling count."""
    codes, index = np.unique(np.asarray(clusters, dtype=object).astype(str), return_inverse=True)
    counts = rng.multinomial(len(codes), np.full(len(codes), 1 / len(codes)), size=n_resamples)
    return counts[:, index].astype(float), len(codes)


def _example_weights(n_examples: int, n_resamples: int, rng) -> np.ndarray:
    """U (B, examples): multinomial resampling counts of the test examples."""
    p = np.full(n_examples, 1 / n_examples)
    return rng.multinomial(n_examples, p, size=n_resamples).astype(float)


def _item_means(rows: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Per-replicate mean of every item over the resampled examples: (B, items)."""
    return (u @ rows.T) / u.sum(1, keepdims=True)


def _statistic(means: np.ndarray, w: np.ndarray, share: bool) -> np.ndarray:
    values = (means > 0).astype(float) if share else means
    return (w * values).sum(-1) / w.sum(-1)


def _as_rows(rows) -> np.ndarray:
    rows = np.asarray(rows, float)
    if rows.ndim != 2:
        raise ValueError(f"expected an (items, examples) array, got shape {rows.shape}")
    return rows


def _percentile(reps: np.ndarray) -> tuple[float, float]:
    tail = 100 * (1 - CONFIDENCE) / 2
    reps = reps[np.isfinite(reps)]
    if len(reps) == 0:
        return math.nan, math.nan
    low, high = np.percentile(reps, [tail, 100 - tail])
    return float(low), float(high)


def crossed_mean(
    rows,
    clusters,
    share: bool = False,
    seed: int = 0,
    n_resamples: int = N_RESAMPLES,
    unit: str = "source prompts",
) -> Estimate:
    """The mean over items of their mean over examples (``share``: the share of items whose
    example mean is above 0), with a bootstrap interval resampling clusters of items and test
    examples together. ``rows``: (items, examples) per-example paired differences, e.g.
    correct(recycled) - correct(zero-shot). Shares are never given an interval narrower than
    the cluster-level Wilson interval."""
    rows = _as_rows(rows)
    if len(rows) == 0:
        return Estimate(math.nan, math.nan, math.nan, 0, unit)
    means = rows.mean(1)
    value = float(((means > 0).mean()) if share else means.mean())
    rng = np.random.default_rng(seed)
    w, n_clusters = _cluster_weights(clusters, n_resamples, rng)
    u = _example_weights(rows.shape[1], n_resamples, rng)
    low, high = _percentile(_statistic(_item_means(rows, u), w, share))
    if n_clusters < 2:
        low = high = math.nan
    if share and n_clusters >= 1:
        w_low, w_high = wilson(value, n_clusters)
        low, high = np.fmin(low, w_low), np.fmax(high, w_high)
    return Estimate(value, float(low), float(high), n_clusters, unit)


def crossed_difference(
    rows_a,
    clusters_a,
    rows_b,
    clusters_b,
    share: bool = False,
    seed: int = 0,
    n_resamples: int = N_RESAMPLES,
    unit: str = "source prompts",
) -> Estimate:
    """:func:`crossed_mean` of A minus that of B: two groups of prompts scored on the same
    test examples (the examples are resampled once for both, the clusters of each group on
    their own). Shares are never given an interval narrower than Newcombe's."""
    rows_a, rows_b = _as_rows(rows_a), _as_rows(rows_b)
    if len(rows_a) == 0 or len(rows_b) == 0:
        return Estimate(math.nan, math.nan, math.nan, 0, unit)
    if rows_a.shape[1] != rows_b.shape[1]:
        raise ValueError("the two groups were scored on different example sets")
    ma, mb = rows_a.mean(1), rows_b.mean(1)
    pa_ = float((ma > 0).mean() if share else ma.mean())
    pb_ = float((mb > 0).mean() if share else mb.mean())
    value = pa_ - pb_
    rng = np.random.default_rng(seed)
    wa, na = _cluster_weights(clusters_a, n_resamples, rng)
    wb, nb = _cluster_weights(clusters_b, n_resamples, rng)
    u = _example_weights(rows_a.shape[1], n_resamples, rng)  # the same examples for both
    reps = _statistic(_item_means(rows_a, u), wa, share)
    reps = reps - _statistic(_item_means(rows_b, u), wb, share)
    low, high = _percentile(reps)
    if na < 2 or nb < 2:
        low = high = math.nan
    if share:
        la, ua = wilson(pa_, na)
        lb, ub = wilson(pb_, nb)
        low = np.fmin(low, value - math.sqrt((pa_ - la) ** 2 + (ub - pb_) ** 2))
        high = np.fmax(high, value + math.sqrt((ua - pa_) ** 2 + (pb_ - lb) ** 2))
    n = len(set(map(str, clusters_a)) | set(map(str, clusters_b)))  # shared prompts count once
    return Estimate(value, float(low), float(high), n, unit)


def trend(
    x, y, units, log2: bool = True, unit: str = "seeds x pairs", min_points: int = 2
) -> Estimate:
    """Mean per-unit slope of ``y`` on ``x`` (on log2 x: change per doubling), with a t
    interval across units; ``p_value`` is the one-sample t test against 0.

    Units with fewer than ``min_points`` distinct x values are left out."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    units = np.asarray(units, dtype=object).astype(str)
    slopes = []
    for u in np.unique(units):
        sel = units == u
        xu = np.log2(x[sel]) if log2 else x[sel]
        if len(np.unique(xu)) >= min_points:
            slopes.append(stats.linregress(xu, y[sel]).slope)
    slopes = np.asarray(slopes)
    if len(slopes) == 0:
        return Estimate(math.nan, math.nan, math.nan, 0, unit)
    value = float(slopes.mean())
    if len(slopes) < 2:
        return Estimate(value, math.nan, math.nan, 1, unit)
    if np.allclose(slopes, value):
        return Estimate(value, value, value, len(slopes), unit, 1.0 if value == 0 else 0.0)
    test = stats.ttest_1samp(slopes, 0.0)
    ci = test.confidence_interval(CONFIDENCE)
    return Estimate(value, float(ci.low), float(ci.high), len(slopes), unit, float(test.pvalue))


def kendall_tau(x: Sequence[float], y: Sequence[float]) -> float:
    """Kendall's tau-b of y against x (NaN when either is constant)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(stats.kendalltau(x, y).statistic)


def se_of_accuracy(p: float, n: int) -> float:
    """Binomial standard error of an accuracy ``p`` measured on ``n`` examples."""
    return math.sqrt(max(p * (1 - p), 0.0) / n) if n else math.nan
