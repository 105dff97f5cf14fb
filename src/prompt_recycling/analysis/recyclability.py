"""Will a recycled prompt help? Cheap features computed without scoring it, and a logistic
regression on them that predicts "beats the target's zero-shot accuracy", scored by
leave-one-pair-out ROC AUC (every pair's prompts are predicted by a model fitted on the other
pairs only). Exploratory, never a finding: with few ordered pairs the held-out pair is often the
reverse direction of a pair fitted on (the same two models; :func:`design_caveat`), so the
score says little about a pair never seen. Its intervals resample whole training runs (a run's
checkpoints are not independent) and refit every model on each resample.

The features of one recycled prompt are computed when it is scored
(:mod:`prompt_recycling.diagnostics`, where they are listed).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from prompt_recycling.diagnostics import FEATURES
from prompt_recycling.logistic import Logistic, auc, within_auc

N_RESAMPLES = 500  # each resample refits every leave-one-pair-out model (7 feature sets)


def feature_frame(comp: pd.DataFrame) -> pd.DataFrame:
    """The feature columns of the comparisons' ``features`` JSON (NaN where missing)."""
    parsed = [json.loads(f) if isinstance(f, str) and f else {} for f in comp.features]
    frame = pd.DataFrame(parsed, index=comp.index, columns=list(FEATURES), dtype=float)
    return frame


def _model() -> Logistic:
    return Logistic()


def out_of_fold(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """P(beats zero-shot) of every prompt from a model fitted on the other groups (pairs) only;
    NaN where the other groups hold one outcome only (nothing to learn from)."""
    scores = np.full(len(y), np.nan)
    for g in np.unique(groups):
        test, train = groups == g, groups != g
        if len(np.unique(y[train])) == 2:
            scores[test] = _model().fit(x[train], y[train]).predict_proba(x[test])[:, 1]
    return scores


MIN_RUNS = 4  # fewer training runs than this: no interval (a resample of 3 says nothing)


def design(rec: pd.DataFrame) -> dict:
    """What the leave-one-pair-out evaluation of ``rec`` can say: its training runs (the
    independent unit), its ordered pairs, the unordered model pairs behind them, and how many
    held-out pairs have their reverse direction (the same two models) among the fitted ones."""
    ordered = set(zip(rec.source, rec.target, strict=True))
    reverse = sum((t, s) in ordered for s, t in ordered)
    return {
        "runs": int(rec.run.nunique()),
        "ordered_pairs": len(ordered),
        "model_pairs": len({frozenset(p) for p in ordered}),
        "reverse_held_out": reverse,
    }


def design_caveat(runs: int, ordered_pairs: int, model_pairs: int, reverse_held_out: int) -> str:
    """What the design allows, in words, for every place the predictor is shown."""
    said = f"{runs} training run{'s' * (runs != 1)}; "
    if ordered_pairs < 2:
        return said + f"{ordered_pairs} ordered pair: nothing to fit on when it is held out."
    if model_pairs == 1 and ordered_pairs == 2:
        return said + (
            "2 ordered pairs of the same 2 models: leave-one-pair-out predicts each direction "
            "from the reverse; says little about unseen pairs."
        )
    said += f"{ordered_pairs} ordered pairs of {model_pairs} model pair{'s' * (model_pairs != 1)}"
    if reverse_held_out:
        return said + (
            f": {reverse_held_out} of the {ordered_pairs} held-out pairs are predicted by a model "
            "fitted on their reverse direction too (the same two models), not an unseen pair."
        )
    return said + "."


def resampled_aucs(
    x: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    runs: np.ndarray,
    seed: int = 0,
    n_resamples: int = N_RESAMPLES,
) -> pd.DataFrame:
    """The evaluation repeated on resamples of whole training runs (with replacement; a run
    drawn twice brings its rows twice), the leave-one-pair-out models refitted on each: one row
    per resample, the pooled :func:`within_auc` and each held-out pair's AUC. NaN where a
    resample leaves one outcome, or no model (the other pairs hold one outcome)."""
    runs = np.asarray(runs)
    names = np.unique(runs)
    members = [np.flatnonzero(runs == r) for r in names]
    pairs = list(np.unique(groups))
    rng = np.random.default_rng(seed)
    out = np.full((n_resamples, 1 + len(pairs)), math.nan)
    for b in range(n_resamples):
        idx = np.concatenate([members[i] for i in rng.integers(len(names), size=len(names))])
        yb, gb = y[idx], groups[idx]
        score = out_of_fold(x[idx], yb, gb)
        out[b, 0] = within_auc(yb, score, gb)
        for j, g in enumerate(pairs, start=1):
            m = gb == g
            out[b, j] = auc(yb[m], score[m])
    return pd.DataFrame(out, columns=["pooled", *pairs])


def percentile_interval(reps: np.ndarray) -> tuple[float, float, int, str]:
    """95% percentile interval of the finite resampled values, the number of degenerate
    (skipped) resamples, and why there is no interval (when more than half are degenerate)."""
    reps = np.asarray(reps, float)
    ok = reps[np.isfinite(reps)]
    skipped = len(reps) - len(ok)
    if len(ok) == 0 or len(ok) < len(reps) / 2:
        why = f"{skipped} of {len(reps)} resamples of runs had one outcome or no model"
        return math.nan, math.nan, skipped, why
    return float(np.percentile(ok, 2.5)), float(np.percentile(ok, 97.5)), skipped, ""


def predictor(rec: pd.DataFrame, seed: int = 0, n_resamples: int = N_RESAMPLES) -> pd.DataFrame:
    """Leave-one-pair-out evaluation of the predictor on recycled prompts (``rec``: comparisons
    of one calibration setting, trained prompts, duplicates removed, with their training
    ``run``): one row per held-out pair and one pooled row (:func:`within_auc`), for all
    features together and each one alone. Exploratory: pairs are ordered, so the reverse
    direction of a held-out pair (the same two models) may be among the pairs it is fitted on
    (:func:`design`). Intervals resample whole training runs and refit every model on each
    resample (:func:`resampled_aucs`); none with fewer than ``MIN_RUNS`` runs."""
    x_all = feature_frame(rec)
    y = rec.beats_zero_shot.to_numpy().astype(int)
    groups = (rec.source + " → " + rec.target).to_numpy()
    runs = rec.run.to_numpy()
    prompts = (rec.source_prompt if "source_prompt" in rec else rec.run).to_numpy()
    about = design(rec)
    about.pop("runs")  # each row counts the runs of its own prompts
    rows = []
    for name in ("all features", *FEATURES):
        cols = list(FEATURES) if name == "all features" else [name]
        x = x_all[cols].to_numpy()
        score = out_of_fold(x, y, groups)
        held = [*np.unique(groups), "pooled"]
        masks = [groups == g for g in held[:-1]] + [np.ones(len(y), bool)]
        found = [
            _auc_row(name, g, y[m], score[m], groups[m], runs[m])
            for g, m in zip(held, masks, strict=True)
        ]
        wanted = [r for r in found if math.isfinite(r["auc"]) and r["runs"] >= MIN_RUNS]
        reps = resampled_aucs(x, y, groups, runs, seed, n_resamples) if wanted else None
        for r, m in zip(found, masks, strict=True):
            r["source_prompts"] = len(set(prompts[m]))
            r |= about | _interval(r, reps, n_resamples)
            rows.append(r)
    return pd.DataFrame(rows)


def _interval(row: dict, reps: pd.DataFrame | None, n_resamples: int) -> dict:
    """The row's interval from the resamples, or why there is none."""
    low = high = math.nan
    used = skipped = 0
    if not math.isfinite(row["auc"]):
        why = "no AUC"
    elif row["runs"] < MIN_RUNS:
        why = f"{row['runs']} training runs (fewer than {MIN_RUNS})"
    else:
        low, high, skipped, why = percentile_interval(reps[row["held_out"]].to_numpy())
        used = n_resamples - skipped
    return {
        "auc_low": low,
        "auc_high": high,
        "resamples": used,
        "resamples_skipped": skipped,
        "interval_note": why,
    }


def _auc_row(features: str, pair: str, y, score, groups, runs) -> dict:
    finite = score[np.isfinite(score)]
    within = [score[(groups == g) & np.isfinite(score)] for g in set(groups)]
    tied = len(finite) > 0 and all(len(set(w)) <= 1 for w in within)  # nothing ranked in a pair
    value = math.nan if tied else within_auc(y, score, groups)
    return {
        "features": features,
        "held_out": pair,
        "n": len(y),
        "predicted": len(finite),
        "tied": tied,
        "runs": len(set(runs)),
        "beats_zero_shot": float(np.mean(y)) if len(y) else math.nan,
        "auc": value,
    }


def _recycled(comp: pd.DataFrame, calibrated: bool) -> pd.DataFrame:
    from prompt_recycling.analysis.comparisons import pooled

    rec = pooled(comp, dedupe=True, trained=True, calibrated=calibrated)
    if rec.empty or feature_frame(rec).isna().all().all():
        return rec.iloc[:0]
    return rec


def predictor_tables(
    comp: pd.DataFrame, seed: int = 0, n_resamples: int = N_RESAMPLES
) -> pd.DataFrame:
    """:func:`predictor`'s table for raw and for calibrated recycled prompts (``calibrated``)."""
    frames = []
    for calibrated in (False, True):
        rec = _recycled(comp, calibrated)
        if len(rec):
            table = predictor(rec, seed, n_resamples)
            frames.append(table.assign(calibrated=calibrated))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def predictor_scores(comp: pd.DataFrame) -> dict[bool, pd.DataFrame]:
    """Out-of-fold scores of the all-features predictor, raw and calibrated (for the ROC)."""
    out = {}
    for calibrated in (False, True):
        rec = _recycled(comp, calibrated)
        if len(rec):
            y = rec.beats_zero_shot.to_numpy().astype(int)
            groups = (rec.source + " → " + rec.target).to_numpy()
            score = out_of_fold(feature_frame(rec).to_numpy(), y, groups)
            out[calibrated] = pd.DataFrame({"pair": groups, "beats_zero_shot": y, "score": score})
    return out
