"""Findings F1-F5 from a synthetic results table whose answers are known by construction."""

import numpy as np
import pandas as pd
import pytest

from prompt_recycling.analysis import comparisons, convergence, pooled, reliability
from prompt_recycling.errors import RecyclingError
from prompt_recycling.evaluate import summarize
from prompt_recycling.findings import findings
from prompt_recycling.rows import aggregate, row, write_rows

N = 400
GOLD = np.arange(N) % 2
LABELS = ["negative", "positive"]
PAIRS = {  # (source, target): size relation
    ("big", "s1"): "large->small",
    ("s1", "s2"): "same-size",
    ("s2", "big"): "small->large",
}
STEPS = [0, 10, 20, 40, 80]
SEEDS = range(4)


def result(acc: float, shift: int = 0):
    """Predictions with accuracy ``acc`` (the first round(acc * N) examples right)."""
    k = int(round(acc * N))
    pred = np.where(np.arange(N) < k, GOLD, 1 - GOLD)
    return summarize(np.roll(pred, shift) if shift else pred, GOLD, LABELS)


def table(recycled_acc, val_curve=None, sizes=(100,)):
    """``recycled_acc(size_relation, method, step, seed, size) -> accuracy``; zero-shot is 0.60
    everywhere, random prompts 0.50, tuned prompts 0.80 (validation: ``val_curve(step)``)."""
    rows = []
    models = {m for pair in PAIRS for m in pair}
    base = {"dataset": "d", "split": "test"}
    for m in sorted(models):
        rows.append(row(result(0.60), GOLD, **base, condition="zero-shot", model=m))
        for k in range(3):
            rows.append(
                row(result(0.50), GOLD, **base, condition="random", model=m, random_index=k)
            )
        for seed in SEEDS:
            for step in STEPS:
                tuned = {**base, "condition": "tuned", "model": m, "step": step, "seed": seed}
                rows.append(row(result(0.80), GOLD, **tuned))
                v = val_curve(step) if val_curve else 0.80
                rows.append(row(result(v), GOLD, **{**tuned, "split": "validation"}))
    for (src, tgt), kind in PAIRS.items():
        for seed in SEEDS:
            for step in STEPS:
                for size in sizes:
                    for method in ("v2v-lin", "v2v-nn", "lin-comb"):
                        same = "v2v-lin" if method == "lin-comb" else ""
                        acc = recycled_acc(kind, "v2v-lin" if same else method, step, seed, size)
                        rows.append(
                            row(
                                result(acc),
                                GOLD,
                                **base,
                                condition="recycled",
                                model=tgt,
                                source=src,
                                size_relation=kind,
                                method=method,
                                vocab_size=size,
                                step=step,
                                seed=seed,
                                same_as=same,
                            )
                        )
    return pd.DataFrame(rows)


def paper_like(kind, method, step, seed, size):
    """Large->small mostly above zero-shot, same-size around it, small->large below; v2v-nn
    best on same-size pairs; falling with steps; falling with words."""
    base = {"large->small": 0.66, "same-size": 0.61, "small->large": 0.50}[kind]
    if kind == "same-size" and method == "v2v-nn":
        base += 0.06
    jitter = 0.01 * ((seed * 7 + step) % 3 - 1)
    return base - 0.01 * np.log2(max(step, 1) / 10) - 0.01 * np.log2(size / 100) + jitter


def verdicts(found):
    return {f.id: f.verdict for f in found}


def test_findings_of_a_paper_like_run_are_supported():
    t = table(paper_like, sizes=(100, 200, 400))
    found = findings(comparisons(t), t)
    v = verdicts(found)
    assert v["F2a"] == "supported" and v["F2b"] == "supported"
    assert v["F3"] == "supported" and v["F4"] == "supported"
    assert v["F5a"] == "supported"  # large->small MORE reliable than same-size: the paper's way
    assert v["F5b"] == "supported" and v["F5b'"] == "supported"
    assert v["F5c"] == "supported"


def test_f5_reversed_is_contradicted():
    def reversed_kinds(kind, method, step, seed, size):
        swap = {"large->small": "small->large", "small->large": "large->small"}
        return paper_like(swap.get(kind, kind), method, step, seed, size)

    t = table(reversed_kinds)
    v = verdicts(findings(comparisons(t), t))
    assert v["F5a"] == "contradicted" and v["F5b'"] == "contradicted"


def test_no_effect_is_inconclusive_not_supported():
    t = table(lambda kind, method, step, seed, size: 0.60 + 0.005 * (seed % 2))
    f1 = next(f for f in findings(comparisons(t), t) if f.id == "F1")
    assert f1.verdict == "inconclusive" and f1.estimate.low <= 0 <= f1.estimate.high


def test_duplicated_prompts_are_counted_once():
    t = table(paper_like)
    comp = comparisons(t)
    rec = pooled(comp)
    assert set(rec.method) == {"v2v-lin", "v2v-nn"}  # lin-comb (same_as v2v-lin) left out
    assert len(rec) == len(PAIRS) * len(SEEDS) * (len(STEPS) - 1) * 2  # step 0 left out too
    f1 = next(f for f in findings(comp, t) if f.id == "F1")
    assert f1.estimate.n == len(PAIRS) * len(SEEDS) * (len(STEPS) - 1)  # distinct source prompts
    rel = reliability(comp)
    assert set(rel[rel.recycler == "lin-comb"].same_as) == {"v2v-lin"}


def test_f3_is_not_testable_when_no_source_prompt_converged():
    # validation accuracy peaks at step 20, then falls well past 2.25% of the best
    t = table(paper_like, val_curve=lambda step: {0: 0.5, 10: 0.7, 20: 0.8, 40: 0.7, 80: 0.6}[step])
    conv = convergence(t)
    assert not conv.converged.any() and set(conv.best_step) == {20}
    f3 = next(f for f in findings(comparisons(t), t) if f.id == "F3")
    assert f3.verdict == "not testable" and "converged" in f3.reason


def test_comparisons_are_paired_on_the_same_examples():
    t = table(paper_like)
    comp = comparisons(t)
    r = comp[(comp.size_relation == "same-size") & (comp.method == "v2v-nn") & (comp.step == 10)]
    assert np.allclose(r.zero_shot, 0.60) and np.allclose(r.random, 0.50)
    assert (r.re_tuned == 0.80).all() and (r.p_zero_shot < 0.05).all()


def test_aggregate_refuses_rows_scored_on_other_examples(tmp_path):
    rows = [
        row(result(0.6), GOLD, dataset="d", split="test", condition="zero-shot", model="a"),
        row(
            result(0.6),
            np.roll(GOLD, 1),
            dataset="d",
            split="test",
            condition="zero-shot",
            model="b",
        ),
    ]
    write_rows(rows, tmp_path / "a.csv")
    with pytest.raises(RecyclingError, match="different example sets"):
        aggregate([str(tmp_path / "a.csv")], {"zero-shot": 2}, str(tmp_path / "t.csv"))
    with pytest.raises(RecyclingError, match="zero-shot: expected 3 rows, found 2"):
        aggregate([str(tmp_path / "a.csv")], {"zero-shot": 3}, str(tmp_path / "t.csv"))


def test_the_paper_findings_are_about_the_papers_recyclers_and_raw_scores():
    t = table(paper_like)
    comp = comparisons(t)
    rec = comp[comp.condition == "recycled"]
    others = [
        rec[rec.method == "v2v-nn"].assign(
            method="procrustes", d_zero_shot=lambda f: f.d_zero_shot + 1
        ),
        rec.assign(method=lambda f: f.method + "+cal", calibrated=True, beats_zero_shot=1.0),
    ]
    extended = pd.concat([comp, *others], ignore_index=True)
    before = {f.id: (f.verdict, f.estimate) for f in findings(comp, t)}
    after = {f.id: (f.verdict, f.estimate) for f in findings(extended, t)}
    assert after == before
