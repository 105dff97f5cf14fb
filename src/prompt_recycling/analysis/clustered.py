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
  example bootstrap of ``EXAMPLE_RESAMPLES``), per data set: prompts of one data set share
  its examples, data sets share none, and each adds its part weighted by its share of items;

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
    """One group of items (prompts), each scored on the test examples of its stratum (its data
    set): items of one stratum share their examples, strata share none."""

    blocks: dict[str, np.ndarray]  # stratum -> (items, examples) per-example paired differences
    clusters: np.ndarray  # (items,) the independent unit of each item, in the blocks' order
    share: bool

    @property
    def size(self) -> int:
        return len(self.clusters)

    @property
    def values(self) -> np.ndarray:
        """Each item's statistic: its mean over the examples, or whether that is above 0."""
        means = np.concatenate([b.mean(1) for b in self.blocks.values()])
        return (means > 0).astype(float) if self.share else means

    def column(self, stratum: str) -> np.ndarray | float:
        """What each of ``stratum``'s examples contributes to the group's mean (its items'
        share of the group times their mean on that example)."""
        b = self.blocks.get(stratum)
        return 0.0 if b is None else b.mean(0) * len(b) / self.size

    def resampled(self, u: dict[str, np.ndarray]) -> np.ndarray:
        """The group's statistic under each example resample ``u[stratum]`` (B, examples)."""
        total = 0.0
        for s, b in self.blocks.items():
            means = (u[s] @ b.T) / u[s].sum(1, keepdims=True)  # (B, items)
            total = total + ((means > 0) if self.share else means).sum(1)
        return total / self.size


def _group(rows, clusters, strata, share: bool) -> _Group:
    """``rows``: an (items, examples) array, or one 1-D array per item when ``strata`` (each
    item's example set, e.g. its data set) says which items share their examples."""
    clusters = np.asarray(clusters, dtype=object).astype(str)
    if strata is None:
        return _Group({"": _as_rows(rows)}, clusters, share)
    strata = np.asarray(strata, dtype=object).astype(str)
    if len(strata) != len(clusters):
        raise ValueError("one stratum per item is needed")
    blocks, order = {}, []
    for s in sorted(set(strata)):
        idx = np.flatnonzero(strata == s)
        if len({len(rows[i]) for i in idx}) > 1:
            raise ValueError(f"items of {s!r} were scored on different example sets")
        blocks[s] = np.stack([np.asarray(rows[i], float) for i in idx])
        order.extend(idx)
    return _Group(blocks, clusters[np.asarray(order, int)], share)


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
    # example component: the test examples are a sample too, shared by every group's items of
    # one stratum (data set) and independent across strata
    sizes = {}
    for g, _ in groups:
        for s, b in g.blocks.items():
            if sizes.setdefault(s, b.shape[1]) != b.shape[1]:
                raise ValueError("the groups were scored on different example sets")
    if all(not g.share for g, _ in groups):
        v_strata = []
        for s, n in sizes.items():
            column = sum(sign * g.column(s) for g, sign in groups)  # (examples,)
            v_strata.append((float(column.var(ddof=1) / n) if n > 1 else 0.0, n))
    else:
        rng = np.random.default_rng(seed)
        b = min(n_resamples, EXAMPLE_RESAMPLES)
        u = {s: _example_weights(n, b, rng) for s, n in sizes.items()}
        reps = sum(sign * g.resampled(u) for g, sign in groups)
        v_strata = [(float(reps.var(ddof=1)), sum(sizes.values()))]
    v_examples = sum(v for v, _ in v_strata)
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
    df = var**2 / (den + sum(v**2 / max(n - 1, 1) for v, n in v_strata))
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
    strata=None,
) -> Estimate:
    """The mean over items of their mean over test examples (``share``: the share of items
    whose mean is above 0), with a 95% interval over the *independent* units and the examples.

    ``rows``: (items, examples) per-example paired differences, e.g. correct(recycled) -
    correct(zero-shot); ``clusters``: each item's independent unit, the training run of its
    source prompt (its checkpoints, vocabulary sizes and recyclers are not independent);
    ``strata``: each item's example set (its data set), when items were scored on different
    ones: ``rows`` is then one 1-D array per item, and each data set's examples add their own
    variance, weighted by its share of the items.

    The interval is a cluster-robust t interval (the module docstring): leave-one-run-out
    jackknife variance plus the variance the test examples add, on Satterthwaite degrees of
    freedom with G - 1 for the run part. A share gets the Wilson interval on its effective
    sample size, never fewer observations than runs."""
    if len(rows) == 0:
        return Estimate(math.nan, math.nan, math.nan, 0, unit)
    g = _group(rows, clusters, strata, share)
    e = _cluster_t([(g, 1)], seed, n_resamples, unit)
    if not share:
        return _in_range(e, rows)
    low, high = _effective_wilson(e)
    return replace(e, low=low, high=high, p_value=math.nan)


def _in_range(e: Estimate, rows) -> Estimate:
    """A mean of per-example values within [-1, 1] (paired differences of right / wrong) lies
    in [-1, 1]: the t interval's ends are cut there, as the share's are cut to [0, 1] (with two
    runs, t's 12.7 can reach past them). Cutting to where the mean can be keeps the coverage."""
    values = np.concatenate([np.ravel(np.asarray(r, dtype=float)) for r in rows])
    if values.size and np.all(np.abs(values) <= 1):
        return replace(e, low=max(e.low, -1.0), high=min(e.high, 1.0))
    return e


def crossed_difference(
    rows_a,
    clusters_a,
    rows_b,
    clusters_b,
    share: bool = False,
    seed: int = 0,
    n_resamples: int = N_RESAMPLES,
    unit: str = "runs",
    strata_a=None,
    strata_b=None,
) -> Estimate:
    """:func:`crossed_mean` of A minus that of B, two groups of prompts scored on the same
    test examples (per data set, with ``strata_a`` and ``strata_b``). A run that has prompts
    in both groups is one cluster (its influence on both means is summed, so a paired design
    is credited); the examples are shared. A
    difference of shares adds the Agresti-Caffo variance of a group whose prompts all agree.
    Shares carry no p-value (a t test against 0 means nothing for them): read one from the
    interval (:func:`prompt_recycling.analysis.verdicts.p_of`)."""
    if len(rows_a) == 0 or len(rows_b) == 0:
        return Estimate(math.nan, math.nan, math.nan, 0, unit)
    ga = _group(rows_a, clusters_a, strata_a, share)
    gb = _group(rows_b, clusters_b, strata_b, share)
    ca, cb = ga.clusters, gb.clusters
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
