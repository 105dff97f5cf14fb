"""Beyond the paper: the recyclability features, the leave-one-pair-out predictor and the
recycler comparison, each on data whose answer is known by construction."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from prompt_recycling.analysis import recyclability
from prompt_recycling.analysis.beyond import PREDICTOR_TITLE, predictor_summary, write_predictor
from prompt_recycling.analysis.compare import most_reliable, paired, recycler_comparison, summary
from prompt_recycling.analysis.recyclability import (
    auc,
    out_of_fold,
    predictor,
    predictor_tables,
    within_auc,
)
from prompt_recycling.diagnostics import FEATURES, prompt_features, recycler_diagnostics, unit_rows
from prompt_recycling.embeddings import load_vocab_table
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


def frame(n_per_pair=30, separable=True, seed=0, noise=0.0, pairs=("a→b", "b→c", "c→a")):
    """Recycled prompts of three pairs whose success follows ``prompt_norm`` (or not at all;
    ``noise``: how far success strays from it); three prompts of each training run."""
    rng = np.random.default_rng(seed)
    rows = []
    for pair in pairs:
        src, tgt = pair.split("→")
        for i in range(n_per_pair):
            norm = rng.uniform(0, 10)
            beats = float(norm + noise * rng.normal() < 5)
            beats = beats if separable else float(rng.random() < 0.5)
            features = {f: rng.normal() for f in FEATURES} | {"prompt_norm": norm}
            rows.append(
                {
                    "source": src,
                    "target": tgt,
                    "beats_zero_shot": beats,
                    "run": f"{pair}|{i // 3}",
                    "source_prompt": f"{pair}|{i // 3}|10",
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
    table = predictor(frame(), n_resamples=20).set_index(["features", "held_out"])
    assert table.loc[("prompt_norm", "pooled"), "auc"] > 0.95
    assert table.loc[("all features", "pooled"), "auc"] > 0.85
    low, high = table.loc[("prompt_norm", "pooled"), ["auc_low", "auc_high"]]
    assert 0.8 < low <= high <= 1.0
    said = predictor_summary(table.reset_index().assign(calibrated=False))
    assert len(said) == 2 and said[0].startswith("**Exploratory, not a finding**")
    assert "best single feature prompt_norm 1.00 [1.00, 1.00]" in said[1]
    assert "30 training runs; 3 ordered pairs of 3 model pairs." in said[1]
    noise = predictor(frame(separable=False, seed=3), n_resamples=20).set_index(
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
    table = predictor(frame(separable=False, seed=5), n_resamples=5).set_index(
        ["features", "held_out"]
    )
    # a feature constant within every pair cannot rank anything
    constant = frame().assign(
        features=lambda f: f.source.map(lambda s: json.dumps({"log_step": 1}))
    )
    tied = predictor(constant, n_resamples=5).set_index(["features", "held_out"])
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
    assert set(predictor_tables(pd.concat([frame(), both]), n_resamples=2).calibrated) == {
        False,
        True,
    }


def width(table, features="all features", held_out="pooled"):
    row = table.set_index(["features", "held_out"]).loc[(features, held_out)]
    return row.auc_high - row.auc_low


def test_intervals_resample_whole_training_runs_not_their_checkpoints():
    # every run's prompts at three identical checkpoints: nine prompts a run, still one run
    one = frame(n_per_pair=24, noise=3.0, seed=6)
    steps = [one.assign(step=step, source_prompt=one.run + f"|{step}") for step in (10, 20, 30)]
    three = pd.concat(steps, ignore_index=True)
    by_run = predictor(three, n_resamples=60)
    by_checkpoint = predictor(three.assign(run=three.source_prompt), n_resamples=60)
    pooled = by_run.set_index(["features", "held_out"]).loc[("all features", "pooled")]
    assert pooled.runs == 24 and pooled.source_prompts == 72 and pooled.n == 216
    pair = by_run.set_index(["features", "held_out"]).loc[("all features", "a → b")]
    assert pair.runs == 8 and pair.source_prompts == 24 and pair.n == 72
    assert (
        pooled.auc
        == by_checkpoint.set_index(["features", "held_out"]).loc[("all features", "pooled"), "auc"]
    )  # the same models: only the interval depends on the unit
    assert 0.55 < pooled.auc < 0.95 and pooled.resamples == 60
    # checkpoints resampled as if independent: about 1/sqrt(3) of the honest width
    assert width(by_run) > 1.3 * width(by_checkpoint)
    assert width(by_run, "prompt_norm") > 1.3 * width(by_checkpoint, "prompt_norm")


def test_every_resample_refits_the_leave_one_pair_out_models(monkeypatch):
    fits = []
    model = recyclability._model

    def counted():
        fits.append(1)
        return model()

    monkeypatch.setattr(recyclability, "_model", counted)
    predictor(frame(n_per_pair=12), n_resamples=4)
    # 7 feature sets x 3 held-out pairs, once for the estimate and once in each resample
    assert len(fits) == 7 * 3 * (1 + 4)


def test_the_fast_model_is_the_scikit_learn_pipeline():
    from prompt_recycling.logistic import Logistic, sklearn_pipeline

    rng = np.random.default_rng(8)
    x = rng.normal(size=(150, 6)) * [0.1, 1, 10, 1, 1, 1]
    x[rng.random(x.shape) < 0.1] = np.nan
    x[:, 3], x[:, 4] = np.nan, 2.0  # a column never seen, a constant one
    y = (np.nan_to_num(x[:, 0]) + 0.05 * rng.normal(size=150) > 0).astype(int)
    new = rng.normal(size=(40, 6))
    new[0, 1] = np.nan
    ours = Logistic().fit(x, y).predict_proba(new)
    theirs = sklearn_pipeline().fit(x, y).predict_proba(new)
    assert np.abs(ours - theirs).max() < 1e-5 and np.ptp(ours[:, 1]) > 0.5


def test_more_than_half_the_resamples_degenerate_means_no_interval():
    from prompt_recycling.analysis.recyclability import percentile_interval

    low, high, skipped, why = percentile_interval(np.r_[0.6, 0.7, 0.8, np.full(4, np.nan)])
    assert math.isnan(low) and math.isnan(high) and skipped == 4
    assert why == "4 of 7 resamples of runs had one outcome or no model"
    low, high, skipped, why = percentile_interval(np.r_[0.6, 0.7, 0.8, 0.9, np.nan])
    assert (low, high, skipped, why) == (
        np.percentile([0.6, 0.7, 0.8, 0.9], 2.5),
        np.percentile([0.6, 0.7, 0.8, 0.9], 97.5),
        1,
        "",
    )


def test_no_interval_with_few_runs_and_degenerate_resamples_counted():
    few = frame(n_per_pair=12).assign(run=lambda f: f.source)  # one run per source: 3
    row = (
        predictor(few, n_resamples=5)
        .set_index(["features", "held_out"])
        .loc[("all features", "pooled")]
    )
    assert row.runs == 3 and math.isfinite(row.auc) and math.isnan(row.auc_low)
    assert "fewer than 4" in row.interval_note and row.resamples == 0
    said = predictor_summary(predictor(few, n_resamples=5).assign(calibrated=False))
    assert "no interval: 3 training runs (fewer than 4)" in said[1]
    # in pair a→b only the first of 4 runs ever succeeds: resamples without it hold one outcome
    rare = frame(n_per_pair=12, separable=False, seed=7)
    ab = rare.source == "a"
    rare.loc[ab, "beats_zero_shot"] = (rare[ab].run == "a→b|0").astype(float)
    rare.loc[ab & (rare.run == "a→b|0"), "beats_zero_shot"] = [1.0, 0.0, 1.0]
    table = predictor(rare, n_resamples=40).set_index(["features", "held_out"])
    pair = table.loc[("all features", "a → b")]
    # P(run 0 left out of a resample of 12 runs) = (11/12)^12, about 0.35
    assert 0 < pair.resamples_skipped < 40 and pair.resamples + pair.resamples_skipped == 40
    assert table.loc[("all features", "pooled"), "resamples_skipped"] == 0


def test_the_predictor_is_written_as_exploratory_with_what_its_pairs_allow(tmp_path):
    out = {
        k: tmp_path / f"predictor.{e}"
        for k, e in (("predictor", "csv"), ("predictor_md", "md"), ("predictor_html", "html"))
    }
    both_ways = frame(n_per_pair=12, noise=2.0, pairs=("a→b", "b→a"))
    write_predictor(both_ways, out, n_resamples=3)
    md = out["predictor_md"].read_text()
    assert md.startswith("**Exploratory, not a finding**")
    assert (
        "8 training runs; 2 ordered pairs of the same 2 models: leave-one-pair-out predicts each "
        "direction from the reverse; says little about unseen pairs." in md
    )
    assert "n (runs / source prompts)" in md and "Exploratory, not a finding. A logistic" in md
    html = out["predictor_html"].read_text()
    assert "exploratory" in PREDICTOR_TITLE and "exploratory, not a finding" in html
    assert "the same 2 models" in html
    write_predictor(frame(n_per_pair=12), out, n_resamples=3)
    md = out["predictor_md"].read_text()
    assert "12 training runs; 3 ordered pairs of 3 model pairs." in md
    assert "the same 2 models" not in md
    four = frame(n_per_pair=12, pairs=("a→b", "b→a", "a→c", "c→a"))
    said = predictor_summary(predictor(four, n_resamples=2).assign(calibrated=False))
    assert "4 ordered pairs of 2 model pairs: 4 of the 4 held-out pairs" in said[1]


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
                    ("v2v-lin", 5, True),
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
                            "calibrated": cal,
                            "same_as": "",
                            "vocab_size": 10,
                            "step": step,
                            "seed": seed,
                            "accuracy": correct.mean(),
                            "zero_shot": zs.mean(),
                            "top_label_share": 0.6,
                            "run": f"d|{relation[:4]}|{seed}",
                            "cluster": f"d|{relation[:4]}|{seed}",
                            "correct": correct,
                            "d_zero_shot": correct - zs,
                        }
                    )
    return pd.DataFrame(rows)


def test_the_comparison_pairs_recyclers_on_the_same_prompts():
    comp = comp_frame()
    versus = recycler_comparison(comp).set_index(["size_relation", "recycler", "calibrated"])
    good = versus.loc[("same-size", "good", False)]
    assert good.vs_v2v_lin == pytest.approx(0.10)
    assert 0 < good.vs_v2v_lin_low < 0.10 < good.vs_v2v_lin_high  # examples resampled too
    assert versus.loc[("same-size", "v2v-lin", True)].vs_v2v_lin == pytest.approx(0.05)
    assert versus.loc[("same-size", "v2v-lin", False)].vs_v2v_lin == 0
    assert good.beats_zero_shot == 1.0 and good.gain == pytest.approx(0.06)
    assert good.n == 6 and good.runs == 3 and good.seeds == 3
    raw = comp[~comp.calibrated]
    e = paired(raw[raw.method == "good"], raw[raw.method == "v2v-lin"])
    assert e.value == pytest.approx(0.10)
    best = most_reliable(comp, recycler_comparison(comp))
    assert [b["best"]["recycler"] for b in best] == ["good", "good"]
    assert (best[0]["runner_up"]["recycler"], best[0]["runner_up"]["calibrated"]) == (
        "v2v-lin",
        True,
    )
    assert best[0]["lead"].value == pytest.approx(0.05)
    said = "\n".join(summary(comp, recycler_comparison(comp)))
    assert "most reliable is **good**" in said and "Beats v2v-lin (raw) with a 95%" in said
    assert "runner-up v2v-lin+cal" in said  # the calibrated variant, labelled from its column
