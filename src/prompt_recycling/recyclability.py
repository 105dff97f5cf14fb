"""Will a recycled prompt help? Cheap features computed without scoring it, and a logistic
regression on them that predicts "beats the target's zero-shot accuracy", scored by
leave-one-pair-out ROC AUC (every pair's prompts are predicted by a model fitted on the other
pairs only, so the score says how well it carries to a pair it has never seen).

The features of one recycled prompt (all known before it is evaluated):

- ``heldout_error``: the recycler's relative error ||f(Vs) - Vt|| / ||Vt|| on word rows it was
  not fitted on (the pieces that follow the selected ones in frequency order);
- ``prompt_norm``: the source prompt's median row norm over the source words' median row norm
  (how far tuning took it from the vocabulary the map was fitted on);
- ``recycled_norm``: the same for the recycled prompt, in the target's units;
- ``nearest_cosine``: the mean over the recycled prompt's rows of the cosine to the nearest row
  of the target's whole embedding table;
- ``pair_knn_overlap``: how alike the two tables are (10-nearest-neighbour overlap of the
  fitting words, :func:`prompt_recycling.pairs.similarity`);
- ``log_step``: log2(1 + the source prompt's training steps).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

FEATURES = (
    "heldout_error",
    "prompt_norm",
    "recycled_norm",
    "nearest_cosine",
    "pair_knn_overlap",
    "log_step",
)
N_RESAMPLES = 1000
HELD_OUT = 500  # word pieces past the selection on which a recycler's held-out error is measured


def _row_norm(rows: np.ndarray) -> float:
    return float(np.median(np.linalg.norm(np.asarray(rows, np.float64), axis=1)))


def recycler_diagnostics(recycler, vs, vt, held_s=None, held_t=None) -> dict:
    """What a fitted recycler carries for the predictor: its error on held-out word rows
    (NaN without any), the median row norms of the fitting rows, and the pair's similarity."""
    from prompt_recycling.pairs import similarity

    error = math.nan
    if held_s is not None and len(held_s):
        pred = recycler(held_s, dtype=np.float64)
        error = float(np.linalg.norm(pred - held_t) / max(np.linalg.norm(held_t), 1e-30))
    return {
        "heldout_error": error,
        "heldout_words": 0 if held_s is None else len(held_s),
        "source_row_norm": _row_norm(vs),
        "target_row_norm": _row_norm(vt),
        "pair_knn_overlap": similarity(vs, vt, max_rows=2000)["knn_overlap"],
    }


def unit_rows(table: np.ndarray) -> np.ndarray:
    table = np.asarray(table, np.float32)
    return table / np.maximum(np.linalg.norm(table, axis=1, keepdims=True), 1e-12)


def prompt_features(
    source_prompt: np.ndarray,
    recycled: np.ndarray,
    diagnostics: dict,
    target_units: np.ndarray,
    step: int,
) -> dict:
    """The features of one recycled prompt (``target_units``: the target's embedding table with
    unit rows, :func:`unit_rows`)."""
    nan = math.nan
    cos = unit_rows(recycled) @ target_units.T  # (P, V)
    return {
        "heldout_error": diagnostics.get("heldout_error", nan),
        "prompt_norm": _row_norm(source_prompt) / diagnostics.get("source_row_norm", nan),
        "recycled_norm": _row_norm(recycled) / diagnostics.get("target_row_norm", nan),
        "nearest_cosine": float(cos.max(axis=1).mean()),
        "pair_knn_overlap": diagnostics.get("pair_knn_overlap", nan),
        "log_step": math.log2(1 + step),
    }


def feature_frame(comp: pd.DataFrame) -> pd.DataFrame:
    """The feature columns of the comparisons' ``features`` JSON (NaN where missing)."""
    parsed = [json.loads(f) if isinstance(f, str) and f else {} for f in comp.features]
    frame = pd.DataFrame(parsed, index=comp.index, columns=list(FEATURES), dtype=float)
    return frame


def _model():
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(
        SimpleImputer(strategy="median", keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(max_iter=1000),
    )


def out_of_fold(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """P(beats zero-shot) of every prompt from a model fitted on the other groups (pairs) only;
    NaN where the other groups hold one outcome only (nothing to learn from)."""
    scores = np.full(len(y), np.nan)
    for g in np.unique(groups):
        test, train = groups == g, groups != g
        if len(np.unique(y[train])) == 2:
            scores[test] = _model().fit(x[train], y[train]).predict_proba(x[test])[:, 1]
    return scores


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC by the rank-sum (Mann-Whitney) identity, ties counted half; NaN with one class.
    The same number as :func:`sklearn.metrics.roc_auc_score`, fast enough to bootstrap."""
    from scipy.stats import rankdata

    ok = np.isfinite(score)
    y, score = np.asarray(y)[ok], np.asarray(score)[ok]
    pos = int(y.sum())
    neg = len(y) - pos
    if pos == 0 or neg == 0:
        return math.nan
    ranks = rankdata(score)
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def within_auc(y: np.ndarray, score: np.ndarray, groups: np.ndarray) -> float:
    """The AUC over positive-negative pairs *of the same group* only (each group's AUC weighted
    by its positives x negatives). Held-out scores of different groups come from different
    models, and groups differ in how often their prompts succeed: ranking across groups would
    score those base rates, not the predictor."""
    num = den = 0.0
    for g in np.unique(groups):
        m = groups == g
        a = auc(y[m], score[m])
        if not math.isnan(a):
            ok = np.isfinite(score[m])
            w = y[m][ok].sum() * (1 - y[m][ok]).sum()
            num, den = num + a * w, den + w
    return num / den if den else math.nan


def auc_interval(
    y, score, groups, clusters, seed: int = 0, n_resamples: int = N_RESAMPLES
) -> tuple[float, float]:
    """95% percentile interval of :func:`within_auc`, resampling whole source prompts."""
    clusters = np.asarray(clusters)
    names = np.unique(clusters)
    members = [np.flatnonzero(clusters == c) for c in names]
    rng = np.random.default_rng(seed)
    reps = []
    for _ in range(n_resamples):
        idx = np.concatenate([members[i] for i in rng.integers(len(names), size=len(names))])
        reps.append(within_auc(y[idx], score[idx], groups[idx]))
    reps = np.array(reps)
    reps = reps[np.isfinite(reps)]
    if len(reps) < n_resamples // 2:
        return math.nan, math.nan
    return float(np.percentile(reps, 2.5)), float(np.percentile(reps, 97.5))


def predictor(rec: pd.DataFrame, seed: int = 0, n_resamples: int = N_RESAMPLES) -> pd.DataFrame:
    """Leave-one-pair-out evaluation of the predictor on recycled prompts (``rec``: comparisons
    of one calibration setting, trained prompts, duplicates removed): one row per held-out pair
    and one pooled row (:func:`within_auc`), for all features together and each one alone.
    Pairs are ordered: the reverse direction of a held-out pair (the same two models, the other
    target) may be among the pairs it is fitted on."""
    x_all = feature_frame(rec)
    y = rec.beats_zero_shot.to_numpy().astype(int)
    groups = (rec.source + " → " + rec.target).to_numpy()
    clusters = rec.cluster.to_numpy()
    rows = []
    for name in ("all features", *FEATURES):
        cols = list(FEATURES) if name == "all features" else [name]
        score = out_of_fold(x_all[cols].to_numpy(), y, groups)
        for g in np.unique(groups):
            m = groups == g
            rows.append(
                _auc_row(name, g, y[m], score[m], groups[m], clusters[m], seed, n_resamples)
            )
        rows.append(_auc_row(name, "pooled", y, score, groups, clusters, seed, n_resamples))
    return pd.DataFrame(rows)


def _auc_row(features: str, pair: str, y, score, groups, clusters, seed, n_resamples) -> dict:
    finite = score[np.isfinite(score)]
    within = [score[(groups == g) & np.isfinite(score)] for g in set(groups)]
    tied = len(finite) > 0 and all(len(set(w)) <= 1 for w in within)  # nothing ranked in a pair
    value = math.nan if tied else within_auc(y, score, groups)
    ok = math.isfinite(value)
    interval = auc_interval(y, score, groups, clusters, seed, n_resamples) if ok else None
    low, high = interval or (math.nan, math.nan)
    return {
        "features": features,
        "held_out": pair,
        "n": len(y),
        "predicted": len(finite),
        "tied": tied,
        "source_prompts": len(set(clusters)),
        "beats_zero_shot": float(np.mean(y)) if len(y) else math.nan,
        "auc": value,
        "auc_low": low,
        "auc_high": high,
    }


def _recycled(comp: pd.DataFrame, calibrated: bool) -> pd.DataFrame:
    from prompt_recycling.analysis import pooled

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
