"""Beyond the paper: the recyclability features, the leave-one-pair-out predictor and the
recycler comparison, each on data whose answer is known by construction."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from prompt_recycling.beyond import predictor_summary
from prompt_recycling.compare import most_reliable, paired, recycler_comparison, summary
from prompt_recycling.embeddings import load_vocab_table
from prompt_recycling.recyclability import (
    FEATURES,
    auc,
    out_of_fold,
    predictor,
    predictor_tables,
    prompt_features,
    recycler_diagnostics,
    unit_rows,
    within_auc,
)
from prompt_recycling.recyclers import get_recycler, load_recycler


def test_auc_is_sklearns_with_ties_and_nan_with_one_outcome():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 60)
    s = rng.integers(0, 5, 60).astype(float)  # many ties
    assert auc(y, s) == pytest.approx(roc_auc_score(y, s))
    assert math.isnan(auc(np.ones(5, int), np.arange(5.0)))  # one outcome
    assert math.isnan(auc(np.array([0, 1, 1]), np.array([np.nan, 0.2, 0.1])))  # unscored: out
    assert auc(np.array([0, 0, 1]), np.array([np.nan, 0.1, 0.2])) == 1.0


def test_diagnostics_of_an_exact_linear_map_have_no_held_out_error():
    rng = np.random.default_rng(1)
    m = rng.normal(size=(8, 6))
    vs, hs = rng.normal(size=(200, 8)), rng.normal(size=(50, 8))
    lin = get_recycler("v2v-lin").fit(vs, vs @ m)
    diag = recycler_diagnostics(lin, vs, vs @ m, hs, hs @ m)
    assert diag["heldout_error"] < 1e-8 and diag["heldout_words"] == 50
    noisy = recycler_diagnostics(lin, vs, vs @ m, hs, hs @ m + rng.normal(size=(50, 6)))
    assert noisy["heldout_error"] > 0.1
    assert math.isnan(recycler_diagnostics(lin, vs, vs @ m)["heldout_error"])
    assert diag["source_row_norm"] == pytest.approx(np.median(np.linalg.norm(vs, axis=1)))


def test_the_diagnostics_travel_with_the_recycler_file(tmp_path):
    rng = np.random.default_rng(2)
    rec = get_recycler("procrustes").fit(rng.normal(size=(40, 4)), rng.normal(size=(40, 4)))
    rec.diagnostics = {"heldout_error": 0.25, "pair_knn_overlap": 0.5}
    rec.save(tmp_path / "r.safetensors")
    assert load_recycler(tmp_path / "r.safetensors").diagnostics == rec.diagnostics


def test_prompt_features_known_answers():
    vocab = np.eye(4, 3) * 2.0  # rows of norm 2 (one of them zero: ignored by the max)
    recycled = np.array([[0.0, 4.0, 0.0], [1.0, 1.0, 0.0]])
    diag = {"heldout_error": 0.3, "source_row_norm": 2.0, "target_row_norm": 2.0}
    f = prompt_features(np.full((2, 5), 3.0), recycled, diag, unit_rows(vocab), step=7)
    assert f["nearest_cosine"] == pytest.approx((1 + 1 / math.sqrt(2)) / 2)
    assert f["prompt_norm"] == pytest.approx(math.sqrt(45) / 2)
    assert f["recycled_norm"] == pytest.approx(np.median([4, math.sqrt(2)]) / 2)
    assert f["log_step"] == 3 and f["heldout_error"] == 0.3
    assert set(f) == set(FEATURES)


def test_held_out_words_follow_the_selection_and_are_never_fitted_on(tiny_models):
    from prompt_recycling.transfer import align_pair, held_out_words, select_tokens

    source, target = (load_vocab_table(p) for p in list(tiny_models.values())[:2])
    aligned = align_pair(source, target)
    sel = select_tokens(aligned, num_words=20, word_offset=5)
    held = held_out_words(aligned, sel, size=15)
    assert not set(held.pieces) & set(sel.pieces)
    assert held.pieces == select_tokens(aligned, 15, 25).pieces
    everything = select_tokens(aligned, sel.n_filtered - 5, 5)
    assert held_out_words(aligned, everything) is None
    assert held_out_words(aligned, sel, size=0) is None


def frame(n_per_pair=30, separable=True, seed=0):
    """Recycled prompts of three pairs whose success follows ``prompt_norm`` (or not at all)."""
    rng = np.random.default_rng(seed)
    rows = []
    for pair in ("a→b", "b→c", "c→a"):
        src, tgt = pair.split("→")
        for i in range(n_per_pair):
            norm = rng.uniform(0, 10)
            beats = float(norm < 5) if separable else float(rng.random() < 0.5)
            features = {f: rng.normal() for f in FEATURES} | {"prompt_norm": norm}
            rows.append(
                {
                    "source": src,
                    "target": tgt,
                    "beats_zero_shot": beats,
                    "cluster": f"{pair}|{i // 3}",
                    "features": json.dumps(features),
                    "condition": "recycled",
                    "same_as": "",
                    "step": 10,
                    "calibrated": False,
                }
            )
    return pd.DataFrame(rows)


def test_a_feature_that_decides_success_is_found_on_pairs_never_seen():
    table = predictor(frame()).set_index(["features", "held_out"])
    assert table.loc[("prompt_norm", "pooled"), "auc"] > 0.95
    assert table.loc[("all features", "pooled"), "auc"] > 0.85
    low, high = table.loc[("prompt_norm", "pooled"), ["auc_low", "auc_high"]]
    assert 0.8 < low <= high <= 1.0
    said = predictor_summary(table.reset_index().assign(calibrated=False))
    assert len(said) == 1 and "best single feature prompt_norm 1.00 [1.00, 1.00]" in said[0]
    noise = predictor(frame(separable=False, seed=3), n_resamples=100).set_index(
        ["features", "held_out"]
    )
    assert 0.25 < noise.loc[("all features", "pooled"), "auc"] < 0.75


def test_pooled_auc_ranks_within_pairs_so_base_rates_are_not_mistaken_for_skill():
    rng = np.random.default_rng(4)
    groups = np.repeat(["a", "b"], 200)
    y = np.concatenate([rng.random(200) < 0.8, rng.random(200) < 0.3]).astype(int)
    # held-out scores that carry only the other pair's base rate, plus noise
    score = np.where(groups == "a", 0.3, 0.8) + 0.01 * rng.normal(size=400)
    assert auc(y, score) < 0.35  # across pairs: the base rates, inverted
    assert within_auc(y, score, groups) == pytest.approx(0.5, abs=0.08)
    table = predictor(frame(separable=False, seed=5), n_resamples=50).set_index(
        ["features", "held_out"]
    )
    # a feature constant within every pair cannot rank anything
    constant = frame().assign(
        features=lambda f: f.source.map(lambda s: json.dumps({"log_step": 1}))
    )
    tied = predictor(constant, n_resamples=50).set_index(["features", "held_out"])
    assert tied.loc[("log_step", "pooled"), "tied"] and np.isnan(
        tied.loc[("log_step", "pooled"), "auc"]
    )
    assert table.loc[("all features", "pooled"), "predicted"] == 90


def test_pairs_with_one_outcome_give_no_score_rather_than_a_guess():
    y = np.array([1, 1, 0, 0, 1, 1])
    groups = np.array(["a", "a", "b", "b", "c", "c"])
    x = np.arange(6.0)[:, None]
    scores = out_of_fold(x, y, groups)
    # holding out b leaves a and c (all positive): no model, no score
    assert np.isnan(scores[2:4]).all() and np.isfinite(scores[[0, 1, 4, 5]]).all()
    both = frame().assign(calibrated=True)
    assert set(predictor_tables(pd.concat([frame(), both]), n_resamples=50).calibrated) == {
        False,
        True,
    }


def comp_frame():
    """Comparisons of two recyclers on the same 12 source prompts (2 relations), raw and
    calibrated: 'good' is right on 10 more of 100 examples than v2v-lin everywhere."""
    n = 100
    rows = []
    for relation in ("same-size", "large->small"):
        for seed in range(3):
            for step in (10, 20):
                for method, extra, cal in (
                    ("v2v-lin", 0, False),
                    ("good", 10, False),
                    ("v2v-lin+cal", 5, True),
                ):
                    correct = (np.arange(n) < 50 + extra + seed).astype(np.int8)
                    zs = (np.arange(n) < 55).astype(float)
                    rows.append(
                        {
                            "dataset": "d",
                            "source": relation[:4],
                            "target": "t",
                            "size_relation": relation,
                            "condition": "recycled",
                            "method": method,
                            "recycler": method.removesuffix("+cal"),
                            "calibrated": cal,
                            "same_as": "",
                            "vocab_size": 10,
                            "step": step,
                            "seed": seed,
                            "accuracy": correct.mean(),
                            "zero_shot": zs.mean(),
                            "top_label_share": 0.6,
                            "cluster": f"{relation}|{seed}|{step}",
                            "correct": correct,
                            "d_zero_shot": correct - zs,
                        }
                    )
    return pd.DataFrame(rows)


def test_the_comparison_pairs_recyclers_on_the_same_prompts():
    comp = comp_frame()
    versus = recycler_comparison(comp).set_index(["size_relation", "recycler"])
    good = versus.loc[("same-size", "good")]
    assert good.vs_v2v_lin == pytest.approx(0.10)
    assert 0 < good.vs_v2v_lin_low < 0.10 < good.vs_v2v_lin_high  # examples resampled too
    assert versus.loc[("same-size", "v2v-lin+cal")].vs_v2v_lin == pytest.approx(0.05)
    assert versus.loc[("same-size", "v2v-lin")].vs_v2v_lin == 0
    assert good.beats_zero_shot == 1.0 and good.gain == pytest.approx(0.06)
    assert good.n == 6 and good.source_prompts == 6 and good.seeds == 3
    e = paired(comp[comp.method == "good"], comp[comp.method == "v2v-lin"])
    assert e.value == pytest.approx(0.10)
    best = most_reliable(comp, recycler_comparison(comp))
    assert [b["best"]["recycler"] for b in best] == ["good", "good"]
    assert best[0]["runner_up"]["recycler"] == "v2v-lin+cal"
    assert best[0]["lead"].value == pytest.approx(0.05)
    said = "\n".join(summary(comp, recycler_comparison(comp)))
    assert "most reliable is **good**" in said and "Beats v2v-lin (raw) with a 95%" in said
