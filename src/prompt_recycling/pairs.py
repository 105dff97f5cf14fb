"""How alike two models' embedding tables are over the words that fit the recyclers.

Two numbers per pair, both over the same selected word pieces (rows paired by token):

- ``median_row_cosine``: the median cosine between a word's source and target rows. Defined
  only for equal widths; near 1 means the two tables are nearly the same (shared ancestry, as
  MiniLM-L3 and L6), so recycling between them is close to using the prompt as it is.
- ``knn_overlap``: for each word, the share of its ``k`` nearest neighbours (cosine, among the
  selected words) that are the same in both tables, averaged. Width-free; 1 = the same
  neighbourhood structure, ``k / n`` = chance.
"""

from __future__ import annotations

import math

import numpy as np


def _unit(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, np.float64)
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


def knn_sets(rows: np.ndarray, k: int) -> np.ndarray:
    """Indices (n, k) of each row's k nearest other rows by cosine."""
    u = _unit(rows)
    sim = u @ u.T  # (n, n)
    np.fill_diagonal(sim, -np.inf)
    return np.argpartition(-sim, k, axis=1)[:, :k]


def similarity(vs: np.ndarray, vt: np.ndarray, k: int = 10, max_rows: int = 4000) -> dict:
    """``median_row_cosine`` (NaN for unequal widths) and ``knn_overlap`` of paired rows
    vs (N, E_s), vt (N, E_t); at most ``max_rows`` rows (the first ones) are used."""
    vs, vt = vs[:max_rows], vt[:max_rows]
    if len(vs) != len(vt):
        raise ValueError(f"{len(vs)} source rows but {len(vt)} target rows")
    cos = math.nan
    if vs.shape[1] == vt.shape[1]:
        cos = float(np.median((_unit(vs) * _unit(vt)).sum(1)))
    k = min(k, len(vs) - 1)
    if k < 1:
        return {"median_row_cosine": cos, "knn_overlap": math.nan, "knn_k": k}
    a, b = knn_sets(vs, k), knn_sets(vt, k)
    overlap = np.mean([len(np.intersect1d(x, y)) / k for x, y in zip(a, b, strict=True)])
    return {"median_row_cosine": cos, "knn_overlap": float(overlap), "knn_k": k}


def size_relation(source: dict, target: dict) -> str:
    """``same-size``, ``small->large`` or ``large->small`` from embedding width and parameter
    count (``{"width": E, "params": n}`` of each model): the same width and parameter counts
    within a factor of 1.5 count as the same size (MiniLM-L3 17.4M vs L6 22.7M, both 384-d)."""
    ws, wt = source["width"], target["width"]
    ps, pt = source["params"], target["params"]
    if ws == wt and max(ps, pt) <= 1.5 * min(ps, pt):
        return "same-size"
    bigger = (wt, pt) > (ws, ps) if ws != wt else pt > ps
    return "small->large" if bigger else "large->small"
