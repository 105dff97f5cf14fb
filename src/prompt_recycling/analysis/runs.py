"""The training runs themselves: the independent unit's name, whether a run converged (the
premise of F3), and whether a model's own tuned prompts beat its zero-shot (headroom, F1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from prompt_recycling.analysis import clustered
from prompt_recycling.analysis.rows import decode_labels, with_calibration, with_init
from prompt_recycling.settings import defaults

# the schema's analysis.convergence_tolerance (the paper: within 2.25% of the best by the first
# checkpoint); a config's own value is passed to every function that takes ``tolerance``
CONVERGENCE_TOLERANCE = defaults("analysis")["convergence_tolerance"]


def tolerance_text(tolerance: float) -> str:
    """The tolerance as the report says it, e.g. 0.0225 -> ``2.25%``."""
    return f"{100 * tolerance:g}%"


def correct(row) -> np.ndarray:
    """Per example, whether ``row``'s prediction is right."""
    return decode_labels(row.predictions) == decode_labels(row.gold)


def run_id(dataset: str, model: str, seed, init: str = "") -> str:
    """A training run's name, the independent unit: data set, model, seed (and init, on an
    init axis: runs of two inits with one seed are two runs)."""
    return f"{dataset}|{model}|{int(seed)}" + (f"|{init}" if init else "")


CONVERGENCE_COLUMNS = [
    "dataset", "model", "seed", "init", "by_step", "first_step", "first", "best", "best_step",
    "last", "last_step", "trained_past", "converged",
]  # fmt: skip


def convergence(table: pd.DataFrame, tolerance: float = CONVERGENCE_TOLERANCE) -> pd.DataFrame:
    """Per tuned prompt run (data set, model, seed): validation accuracy by step, and the paper's
    premise for F3: the run ``converged`` when its *first* trained checkpoint is within
    ``tolerance`` (relative) of the best validation accuracy the run reaches, and it was
    trained past the last checkpoint recycled from it (``trained_past``), so that the best is
    known and the step axis is about training after convergence. Without validation scores
    (``evaluation.validation: false``) the frame has its columns and no rows."""
    table = with_init(table)
    val = table[(table.condition == "tuned") & (table.split == "validation") & (table.step > 0)]
    rec = table[table.condition == "recycled"]
    recycled_last = rec.groupby(["dataset", "source", "seed", "init"]).step.max().to_dict()
    rows = []
    for (d, m, s, i), g in val.groupby(["dataset", "model", "seed", "init"]):
        g = g.sort_values("step")
        acc = g.accuracy.to_numpy()
        best, first, last_step = acc.max(), acc[0], int(g.step.iat[-1])
        past = (d, m, s, i) in recycled_last and last_step > recycled_last[(d, m, s, i)]
        rows.append(
            {
                "dataset": d,
                "model": m,
                "seed": int(s),
                "init": i,
                "by_step": {int(k): float(v) for k, v in zip(g.step, g.accuracy, strict=True)},
                "first_step": int(g.step.iat[0]),
                "first": first,
                "best": best,
                "best_step": int(g.step.iat[int(np.argmax(acc))]),
                "last": acc[-1],
                "last_step": last_step,
                "trained_past": bool(past),
                "converged": bool(past and first >= best * (1 - tolerance)),
            }
        )
    return pd.DataFrame(rows, columns=CONVERGENCE_COLUMNS)


def headroom(table: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Per data set x model (raw scores, test split): does the prompt tuned on the model, at
    its last step, beat the model's zero-shot? Mean gain over the seeds' runs and the test
    examples (:func:`prompt_recycling.analysis.clustered.crossed_mean`); ``headroom`` when its
    interval is above 0."""
    test = with_init(with_calibration(table[table.split == "test"].copy()))
    test = test[~test.calibrated]
    rows = []
    for (d, m), g in test[test.condition == "tuned"].groupby(["dataset", "model"]):
        zs = test[(test.condition == "zero-shot") & (test.dataset == d) & (test.model == m)]
        if zs.empty:
            continue
        z = correct(zs.iloc[0]).astype(float)
        last = g[g.step == g.step.max()]
        diffs = np.stack([correct(r) - z for _, r in last.iterrows()])
        runs = [run_id(d, m, s, i) for s, i in zip(last.seed, last.init, strict=True)]
        e = clustered.crossed_mean(diffs, runs, seed=seed)
        rows.append(
            {
                "dataset": d,
                "model": m,
                "step": int(last.step.iat[0]),
                "runs": e.n,
                "gain": e.value,
                "low": e.low,
                "high": e.high,
                "headroom": bool(e.low > 0),
            }
        )
    cols = ["dataset", "model", "step", "runs", "gain", "low", "high", "headroom"]
    return pd.DataFrame(rows, columns=cols)
