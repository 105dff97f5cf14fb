"""The statistics behind every verdict, on synthetic data whose answer is known."""

import math

import numpy as np
import pytest

from prompt_recycling import stats
from prompt_recycling.analysis import clustered, coverage


def test_identical_predictions_give_p_1_and_an_interval_at_zero():
    rng = np.random.default_rng(0)
    a = rng.random(500) < 0.7
    e = stats.paired_difference(a, a.copy())
    assert e.p_value == 1.0
    assert e.value == 0 and e.low <= 0 <= e.high
    assert e.verdict(1) == "inconclusive" and e.verdict(-1) == "inconclusive"


def test_a_clear_gain_is_reproduced_and_its_opposite_not():
    rng = np.random.default_rng(1)
    gold = rng.random(1000) < 0.5
    good = np.where(rng.random(1000) < 0.85, gold, ~gold) == gold  # ~85% correct
    weak = np.where(rng.random(1000) < 0.60, gold, ~gold) == gold  # ~60% correct
    e = stats.paired_difference(good, weak)
    assert 0.2 < e.value < 0.3 and 0 < e.low < e.value < e.high
    assert e.p_value < 1e-10
    assert e.verdict(1) == "reproduced" and e.verdict(-1) == "not reproduced"
    assert e.n == 1000 and e.unit == "examples"


def test_mcnemar_counts_only_discordant_pairs():
    a = np.array([1, 1, 1, 1, 0, 0, 1, 0], bool)
    b = np.array([1, 1, 0, 0, 0, 0, 1, 0], bool)  # a right where b is wrong twice, never else
    assert stats.mcnemar_exact(a, b) == pytest.approx(0.5)  # two-sided binomial, 2 of 2
    with pytest.raises(ValueError, match="different example sets"):
        stats.mcnemar_exact(a, b[:5])


@pytest.mark.parametrize(
    "low,high,direction,expected",
    [
        (0.01, 0.05, 1, "reproduced"),
        (0.01, 0.05, -1, "not reproduced"),
        (-0.05, -0.01, -1, "reproduced"),
        (-0.05, 0.01, 1, "inconclusive"),
        (math.nan, 0.01, 1, "inconclusive"),
    ],
)
def test_verdict_reads_only_the_interval(low, high, direction, expected):
    assert stats.verdict(low, high, direction) == expected


def test_a_cluster_counts_once_however_many_rows_it_has():
    # 10 source prompts, one of them recycled 100 times: resampling rows would make it certain
    rows = np.r_[np.ones((100, 50)), -np.ones((9, 50))]  # per-example differences
    clusters = np.r_[np.zeros(100, int), np.arange(1, 10)]
    e = clustered.crossed_mean(rows, clusters)
    assert e.n == 10 and e.value == pytest.approx((100 - 9) / 109)
    assert e.low < 0 < e.high  # whole clusters resampled: the big one is often left out


def test_a_small_consistent_gain_is_inconclusive_however_many_prompts_show_it():
    rng = np.random.default_rng(4)
    n = 1000
    zero_shot = rng.random(n) < 0.6
    prompt = zero_shot.copy()
    prompt[np.flatnonzero(~zero_shot)[:15]] = True  # every prompt fixes the same 15 examples
    prompt[np.flatnonzero(zero_shot)[:10]] = False  # and breaks the same 10: +0.5 points
    rows = np.stack([prompt.astype(float) - zero_shot] * 60)
    e = clustered.crossed_mean(rows, np.arange(60))
    assert e.value > 0 and e.low <= 0  # examples are a sample too
    assert e.verdict(1) == "inconclusive"


def test_a_share_where_every_cluster_agrees_still_has_an_honest_interval():
    below = -np.ones((15, 30))
    e = clustered.crossed_mean(below, np.arange(15), share=True)
    assert e.value == 0 and e.low == 0
    assert e.high == pytest.approx(0.235, abs=0.002)  # Wilson 0 of 15 runs, t on 14 df
    d = clustered.crossed_difference(-below, np.arange(15), below, np.arange(15) + 100, share=True)
    assert d.value == 1 and 0.6 < d.low < 0.95 and d.high == 1
    assert d.verdict(1) == "reproduced"


def test_difference_of_two_alike_groups_is_inconclusive():
    rng = np.random.default_rng(2)
    a = (rng.random((60, 200)) < 0.5).astype(float) - 0.5
    b = (rng.random((60, 200)) < 0.5).astype(float) - 0.5
    e = clustered.crossed_difference(a, np.arange(60) // 3, b, 100 + np.arange(60) // 3)
    assert e.low < 0 < e.high and e.n == 40
    with pytest.raises(ValueError, match="different example sets"):
        clustered.crossed_difference(a, np.arange(60), b[:, :10], np.arange(60))


def two_data_sets(seed=8):
    """Runs 0-5 scored on 300 examples of one data set, runs 6-9 on 120 of another; two
    prompts per run, the run's effect plus noise shared by its data set's examples."""
    rng = np.random.default_rng(seed)
    runs = np.repeat(np.arange(10), 2)
    strata = np.where(runs < 6, "rt", "imdb")
    common = {"rt": rng.normal(0, 0.4, 300), "imdb": rng.normal(0, 0.4, 120)}
    effect = rng.normal(0.05, 0.05, 10)
    rows = [
        effect[r] + common[s] + rng.normal(0, 0.2, len(common[s]))
        for r, s in zip(runs, strata, strict=True)
    ]
    return rows, runs, strata


def test_data_sets_of_different_sizes_pool_with_each_its_own_example_variance():
    rows, runs, strata = two_data_sets()
    e = clustered.crossed_mean(rows, runs, strata=strata)
    assert e.n == 10 and e.value == pytest.approx(np.mean([r.mean() for r in rows]))
    # the variance is the runs' jackknife (as for the item means alone) plus, per data set,
    # its share of the items squared times the variance of its examples' column mean
    runs_only = clustered.crossed_mean(np.array([[r.mean()] for r in rows]), runs)
    t = stats_t(runs_only.df)
    v_runs = ((runs_only.high - runs_only.low) / 2 / t) ** 2
    v_examples = 0.0
    for s in ("rt", "imdb"):
        block = np.stack([r for r, x in zip(rows, strata, strict=True) if x == s])
        share = len(block) / len(rows)
        v_examples += share**2 * block.mean(0).var(ddof=1) / block.shape[1]
    v = ((e.high - e.low) / 2 / stats_t(e.df)) ** 2
    assert v == pytest.approx(v_runs + v_examples, rel=1e-9)
    assert v_examples > 0.1 * v_runs  # the examples' part is not negligible here


def test_examples_are_matched_within_a_data_set_never_across():
    """Reordering one data set's examples (the same order for all its prompts) changes
    nothing; stacking two data sets' examples column by column would pair unrelated ones."""
    rows, runs, strata = two_data_sets()
    order = np.random.default_rng(1).permutation(120)
    moved = [r[order] if s == "imdb" else r for r, s in zip(rows, strata, strict=True)]
    a = clustered.crossed_mean(rows, runs, strata=strata)
    b = clustered.crossed_mean(moved, runs, strata=strata)
    assert (a.value, a.low, a.high) == pytest.approx((b.value, b.low, b.high), rel=1e-9)
    # a share's example variance is an example bootstrap: equal up to its resampling noise
    a = clustered.crossed_mean(rows, runs, share=True, strata=strata)
    b = clustered.crossed_mean(moved, runs, share=True, strata=strata)
    assert a.value == b.value and (a.low, a.high) == pytest.approx((b.low, b.high), abs=0.03)
    d = clustered.crossed_difference(
        rows[:12], runs[:12], rows[12:], runs[12:], strata_a=strata[:12], strata_b=strata[12:]
    )
    assert d.n == 10 and d.value == pytest.approx(
        np.mean([r.mean() for r in rows[:12]]) - np.mean([r.mean() for r in rows[12:]])
    )
    one = np.stack(rows[:12])  # one data set given as strata: the 2-D call, to the digit
    assert clustered.crossed_mean(one, runs[:12], strata=strata[:12]) == clustered.crossed_mean(
        one, runs[:12]
    )
    with pytest.raises(ValueError, match="different example sets"):
        clustered.crossed_mean([rows[0], rows[0][:10]], [0, 1], strata=["rt", "rt"])


def stats_t(df):
    from scipy import stats as sp

    return float(sp.t.ppf(0.975, df))


def test_trend_is_a_t_interval_across_units():
    rng = np.random.default_rng(3)
    x = np.tile([25, 50, 100, 200, 400], 6)
    units = np.repeat(np.arange(6), 5)
    falling = -0.02 * np.log2(x) + rng.normal(0, 0.002, len(x))
    e = stats.trend(x, falling, units)
    assert e.n == 6 and e.value == pytest.approx(-0.02, abs=0.003)
    assert e.verdict(-1) == "reproduced" and e.p_value < 0.001
    flat = rng.normal(0, 0.02, len(x))
    assert stats.trend(x, flat, units).verdict(-1) == "inconclusive"
    one = stats.trend(x[:5], falling[:5], units[:5])  # one unit: no interval
    assert one.n == 1 and math.isnan(one.low) and one.verdict(-1) == "inconclusive"


def test_estimate_format():
    e = stats.Estimate(0.031, 0.004, 0.058, 30, "source prompts")
    assert e.format() == "+3.1 [+0.4, +5.8]"
    assert stats.Estimate(math.nan, math.nan, math.nan, 0, "x").format() == "n/a"


def test_checkpoints_of_one_run_are_one_unit():
    """Three checkpoints of each of 6 runs: the interval is the one of 6 runs (t on 5 df), not
    of 18 prompts."""
    rng = np.random.default_rng(5)
    run_effect = rng.normal(0, 0.05, 6)
    rows = np.repeat(run_effect, 3)[:, None] + rng.normal(0, 0.3, (18, 500))
    by_run = clustered.crossed_mean(rows, np.repeat(np.arange(6), 3))
    by_prompt = clustered.crossed_mean(rows, np.arange(18))
    assert by_run.n == 6 and by_prompt.n == 18
    assert by_run.high - by_run.low > 1.4 * (by_prompt.high - by_prompt.low)
    assert by_run.df < 6


def test_a_run_in_both_groups_is_paired():
    """Two recyclers of the same prompts differ by a constant: pairing by run sees it."""
    rng = np.random.default_rng(6)
    base = np.repeat(rng.normal(0, 0.1, 6), 3)[:, None] + rng.normal(0, 0.3, (18, 400))
    runs = np.repeat(np.arange(6), 3)
    paired = clustered.crossed_difference(base + 0.03, runs, base, runs)
    apart = clustered.crossed_difference(base + 0.03, runs, base, runs + 100)
    assert paired.value == pytest.approx(0.03)
    assert paired.high - paired.low < 0.5 * (apart.high - apart.low)


def test_verdict_against_another_null():
    assert stats.verdict(0.55, 0.9, 1, null=0.5) == "reproduced"
    assert stats.verdict(0.3, 0.45, 1, null=0.5) == "not reproduced"


def test_holm_and_best_of_k():
    assert list(stats.holm([0.01, 0.04, math.nan, 0.03])[[0, 1, 3]]) == [0.03, 0.06, 0.06]
    low, high = stats.best_of_k_share(3, 3, 1)
    assert low == pytest.approx(0.025 ** (1 / 3)) and high == 1
    assert stats.best_of_k_share(3, 3, 20)[0] < low  # picking the best of 20 widens it
    assert stats.best_of_k_p(12, 12, 24, 0.5, above=True) < 0.05


def test_intervals_cover_the_truth_on_simulated_grids():
    """A fast version of bench/coverage.py: 6 runs, no effect, 120 grids. The bench (1,000
    grids per setting) is the measurement; this guards a looser band."""
    res = coverage.coverage(coverage.Setting(runs=6), clustered, 120, seed=1)
    assert 0.86 <= res["mean"] <= 0.995, res
    assert 0.86 <= res["share"] <= 1.0, res
    assert 0.86 <= res["mean_diff"] <= 0.995, res
    # and clustering by checkpoint, as if independent, is too narrow
    narrow = coverage.coverage(coverage.Setting(runs=6), clustered, 120, seed=1, clusters="prompt")
    assert narrow["mean_diff"] < res["mean_diff"]


def test_a_mean_interval_stays_where_the_mean_can_be():
    """Two runs far apart: the t interval on one degree of freedom (t = 12.7) reaches past
    +-1, where a mean of paired right-minus-wrong differences cannot be; its ends are cut."""
    rows = np.array([[1.0] * 20, [-0.6] * 20])
    wide = clustered.crossed_mean(rows, ["a", "b"])
    assert wide.value == pytest.approx(0.2)
    assert wide.low == -1.0 and wide.high == 1.0
    narrow = clustered.crossed_mean(np.array([[0.1] * 20, [0.2] * 20]), ["a", "b"])
    assert -1 < narrow.low < 0.15 < narrow.high < 1  # not cut when it stays inside
