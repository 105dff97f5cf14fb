"""Pooled gains and shares of many prompts, with intervals over independent training runs.

Prompts are not independent: checkpoints of one training run share its initialisation and its
batches, and one checkpoint is recycled with several recyclers and word counts. The
independent unit is the *training run* (data set x source model x seed). Every prompt is also
scored on the same test examples, which are a sample too. So each interval here combines

- a cluster-robust variance over runs, the leave-one-run-out jackknife (CR3; MacKinnon,
  Nielsen and Webb 2023: honest with few or unbalanced clusters, where the CR1 sandwich is
  not); groups of distinct runs (two size relations) each on their own G_k - 1 degrees of
  freedom (Welch), groups sharing runs (two recyclers of the same prompts) left out
  together, so that their pairing is credited;
- the variance the test examples add (the column means' variance over n; for a share, an
  example bootstrap of ``EXAMPLE_RESAMPLES``);

on Satterthwaite's degrees of freedom: with 6 runs the t quantile is about 2.6, where a
percentile bootstrap over 6 clusters behaves like 1.96 or less. A share (of prompts beating
zero-shot) gets the Wilson score interval on its effective sample size; a difference of shares
adds, to a group whose prompts all agree, the variance of a share observed on its runs with
one success and one failure added (Agresti-Caffo), so that 3 of 3 runs is not read as
certainty. Coverage of every estimand at 6-30 runs, null and non-null: ``bench/coverage.py``
(``bench/results/coverage.md``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

from prompt_recycling.stats import CONFIDENCE, N_RESAMPLES, Estimate

EXAMPLE_RESAMPLES = 500  # behind a share's example variance (a variance, not a tail quantile)


def _effective_wilson(e: Estimate) -> tuple[float, float]:
    """Wilson score interval of a clustered share ``e``: the sample size is the effective
    number of independent observations p(1-p)/var (the cluster-robust variance of ``e``), at
    most the number of clusters (never narrower than if each run were one observation), and
    the normal quantile is the t quantile on ``e``'s degrees of freedom. When every item
    agrees (no variance to read) it counts each cluster once: 0 of 6 runs gives [0, 52%]."""
    p = e.value
    if not (e.n and math.isfinite(p)):
        return math.nan, math.nan
    var = (
        ((e.high - e.low) / 2 / stats.t.ppf(0.5 + CONFIDENCE / 2, e.df)) ** 2
        if math.isfinite(e.df) and e.df > 0
        else 0.0
    )
    n = e.n if var <= 0 or p in (0.0, 1.0) else max(min(p * (1 - p) / var, e.n), 1.0)
    df = e.df if math.isfinite(e.df) and e.df > 0 else max(e.n - 1, 1)
    z = float(stats.t.ppf(0.5 + CONFIDENCE / 2, df))
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return float(max(centre - half, 0.0)), float(min(centre + half, 1.0))


def _codes(clusters) -> tuple[np.ndarray, int]:
    names, index = np.unique(np.asarray(clusters, dtype=object).astype(str), return_inverse=True)
    return index, len(names)


def _example_weights(n_examples: int, n_resamples: int, rng) -> np.ndarray:
    """U (B, examples): multinomial resampling counts of the test examples."""
    p = np.full(n_examples, 1 / n_examples)
    return rng.multinomial(n_examples, p, size=n_resamples).astype(float)


def _as_rows(rows) -> np.ndarray:
    rows = np.asarray(rows, float)
    if rows.ndim != 2:
        raise ValueError(f"expected an (items, examples) array, got shape {rows.shape}")
    return rows


@dataclass(frozen=True)
class _Group:
    """One group of items (prompts) scored on the same test examples."""

    rows: np.ndarray  # (items, examples) per-example paired differences
    clusters: np.ndarray  # (items,) the independent unit of each item (its training run)
    share: bool

    @property
    def values(self) -> np.ndarray:
        """Each item's statistic: its mean over the examples, or whether that is above 0."""
        means = self.rows.mean(1)
        return (means > 0).astype(float) if self.share else means

    def resampled(self, u: np.ndarray) -> np.ndarray:
        """The group's statistic under each example resample ``u`` (B, examples) -> (B,)."""
        means = (u @ self.rows.T) / u.sum(1, keepdims=True)  # (B, items)
        return ((means > 0) if self.share else means).mean(1)


def _jackknife(groups: list[tuple[_Group, int]]) -> tuple[float, int]:
    """Leave-one-cluster-out variance of sum(sign * mean(group)) and the number of clusters
    (NaN where leaving a cluster out empties a group, or with fewer than two clusters)."""
    names = np.unique(np.concatenate([g.clusters for g, _ in groups]))
    n = len(names)
    if n < 2:
        return math.nan, n
    left_out = np.zeros(n)  # (clusters,) the statistic without each cluster
    for g, sign in groups:
        idx = np.searchsorted(names, g.clusters)
        sums = np.bincount(idx, weights=g.values, minlength=n)
        counts = np.bincount(idx, minlength=n)
        rest = len(g.values) - counts
        if (rest == 0).any():
            return math.nan, n
        left_out += sign * (g.values.sum() - sums) / rest
    return float((n - 1) / n * ((left_out - left_out.mean()) ** 2).sum()), n


def _cluster_t(
    groups: list[tuple[_Group, int]], seed: int, n_resamples: int, unit: str
) -> Estimate:
    """sum(sign * mean(group)) with a cluster-robust t interval (see :func:`crossed_mean`)."""
    names = np.concatenate([g.clusters for g, _ in groups]).astype(str)
    codes, n_clusters = _codes(names)
    value = sum(sign * g.values.mean() for g, sign in groups)
    n_examples = groups[0][0].rows.shape[1]
    # example component: the test examples are a sample too (shared by every group)
    if all(not g.share for g, _ in groups):
        column = sum(sign * g.rows.mean(0) for g, sign in groups)  # (examples,)
        v_examples = float(column.var(ddof=1) / n_examples) if n_examples > 1 else 0.0
    else:
        b = min(n_resamples, EXAMPLE_RESAMPLES)
        u = _example_weights(n_examples, b, np.random.default_rng(seed))
        reps = sum(sign * g.resampled(u) for g, sign in groups)
        v_examples = float(reps.var(ddof=1))
    if n_clusters < 2:
        return Estimate(float(value), math.nan, math.nan, n_clusters, unit)
    # run component: the leave-one-run-out jackknife (CR3), which unlike the CR1 sandwich stays
    # honest when one run carries many of the prompts. Groups of distinct runs (two size
    # relations) each bring their own G_k - 1 degrees of freedom (Welch); groups that share runs
    # (one run's prompts under two recyclers) are left out together, so pairing is credited.
    sets = [set(g.clusters) for g, _ in groups]
    disjoint = sum(map(len, sets)) == n_clusters
    parts = [[(g, sign)] for g, sign in groups] if disjoint else [groups]
    v_parts = [_jackknife(part) for part in parts]
    if any(math.isnan(v) for v, _ in v_parts):
        return Estimate(float(value), math.nan, math.nan, n_clusters, unit)
    v_runs = sum(v for v, _ in v_parts)
    var = v_runs + v_examples
    if var <= 0:
        return Estimate(float(value), float(value), float(value), n_clusters, unit, 1.0, math.inf)
    # Satterthwaite: each run part has G_k - 1 degrees of freedom, the examples' many
    den = sum(v**2 / (g_k - 1) for v, g_k in v_parts if g_k > 1)
    df = var**2 / (den + v_examples**2 / max(n_examples - 1, 1))
    se = math.sqrt(var)
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, df)) * se
    p = float(2 * stats.t.sf(abs(value) / se, df))
    return Estimate(float(value), float(value - half), float(value + half), n_clusters, unit, p, df)


def crossed_mean(
    rows,
    clusters,
    share: bool = False,
    seed: int = 0,
    n_resamples: int = N_RESAMPLES,
    unit: str = "runs",
) -> Estimate:
    """The mean over items of their mean over test examples (``share``: the share of items
    whose mean is above 0), with a 95% interval over the *independent* units and the examples.

    ``rows``: (items, examples) per-example paired differences, e.g. correct(recycled) -
    correct(zero-shot); ``clusters``: each item's independent unit, the training run of its
    source prompt (its checkpoints, vocabulary sizes and recyclers are not independent).

    The interval is a cluster-robust t interval (the module docstring): leave-one-run-out
    jackknife variance plus the variance the test examples add, on Satterthwaite degrees of
    freedom with G - 1 for the run part. A share gets the Wilson interval on its effective
    sample size, never fewer observations than runs."""
    rows = _as_rows(rows)
    if len(rows) == 0:
        return Estimate(math.nan, math.nan, math.nan, 0, unit)
    g = _Group(rows, np.asarray(clusters, dtype=object).astype(str), share)
    e = _cluster_t([(g, 1)], seed, n_resamples, unit)
    if not share:
        return e
    low, high = _effective_wilson(e)
    return replace(e, low=low, high=high, p_value=math.nan)


def crossed_difference(
    rows_a,
    clusters_a,
    rows_b,
    clusters_b,
    share: bool = False,
    seed: int = 0,
    n_resamples: int = N_RESAMPLES,
    unit: str = "runs",
) -> Estimate:
    """:func:`crossed_mean` of A minus that of B, two groups of prompts scored on the same
    test examples. A run that has prompts in both groups is one cluster (its influence on
    both means is summed, so a paired design is credited); the examples are shared. A
    difference of shares adds the Agresti-Caffo variance of a group whose prompts all agree.
    Shares carry no p-value (a t test against 0 means nothing for them): read one from the
    interval (:func:`prompt_recycling.verdicts.p_of`)."""
    rows_a, rows_b = _as_rows(rows_a), _as_rows(rows_b)
    if len(rows_a) == 0 or len(rows_b) == 0:
        return Estimate(math.nan, math.nan, math.nan, 0, unit)
    if rows_a.shape[1] != rows_b.shape[1]:
        raise ValueError("the two groups were scored on different example sets")
    ca = np.asarray(clusters_a, dtype=object).astype(str)
    cb = np.asarray(clusters_b, dtype=object).astype(str)
    ga, gb = _Group(rows_a, ca, share), _Group(rows_b, cb, share)
    e = _cluster_t([(ga, 1), (gb, -1)], seed, n_resamples, unit)
    if not share:
        return e
    # a group whose prompts all agree shows no variance: give it that of a share observed on
    # its runs with one success and one failure added (Agresti-Caffo), so that 3 of 3 runs is
    # not read as certainty
    floor = 0.0
    for g in (ga, gb):
        p, k = g.values.mean(), len(set(g.clusters))
        if p in (0.0, 1.0):
            q = (p * k + 1) / (k + 2)
            floor += q * (1 - q) / (k + 2)
    if floor > 0:
        # no variance read from the data: Welch's lower bound on the degrees of freedom
        df = e.df if math.isfinite(e.df) else max(min(len(set(ca)), len(set(cb))) - 1, 1)
        t = float(stats.t.ppf(0.5 + CONFIDENCE / 2, df))
        half = t * math.sqrt(((e.high - e.low) / (2 * t)) ** 2 + floor)
        e = replace(e, low=e.value - half, high=e.value + half, df=df)
    return replace(e, low=float(max(e.low, -1.0)), high=float(min(e.high, 1.0)), p_value=math.nan)
