"""What a recycler and a recycled prompt carry for the recyclability predictor
(:mod:`prompt_recycling.analysis.recyclability`), computed when the recycler is fitted and when
the prompt is scored: no task data, nothing the evaluation decides.

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

import math

import numpy as np

from prompt_recycling.settings import defaults

FEATURES = (
    "heldout_error",
    "prompt_norm",
    "recycled_norm",
    "nearest_cosine",
    "pair_knn_overlap",
    "log_step",
)

# word pieces past the selection on which a recycler's held-out error is measured
HELD_OUT = defaults("grid")["held_out_words"]


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
