"""From evaluation rows to paired comparisons, reliability tables and convergence.

Everything here reads the aggregated results table only. Each recycled (or identity) prompt is
compared with its baselines *on the same test examples*:

- zero-shot: the target with no prompt (exact McNemar test, accuracy gain);
- random: the mean over the K random prompts of the target, drawn as tuned prompts start;
- re-tuned: the prompt tuned on the target with the same seed and step, and its last step;
- source: the source prompt's accuracy on its own model (same seed and step).

Each comparison keeps its per-example differences (``d_zero_shot``, ``d_random``,
``d_re_tuned``: arrays over the test examples, in memory only), so pooled numbers get 95%
intervals over the independent *training runs* (data set, source model, seed: a run's
checkpoints, recyclers and vocabulary sizes are not independent) and
test examples (:func:`prompt_recycling.analysis.clustered.crossed_mean`). Recycled prompts that are
numerically the same as another method's (``same_as``: lin-comb equals v2v-lin) are counted
once in pooled numbers.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from prompt_recycling import stats
from prompt_recycling.analysis import clustered
from prompt_recycling.analysis.rows import with_calibration, with_init
from prompt_recycling.analysis.runs import correct as _correct
from prompt_recycling.analysis.runs import run_id
from prompt_recycling.errors import RecyclingError

ALPHA = 0.05


def top_label(shares_json: str) -> tuple[str, float]:
    """The most-predicted label and its share of the examples."""
    shares = json.loads(shares_json) if shares_json else {}
    if not shares:
        return "", math.nan
    label = max(shares, key=shares.get)
    return label, float(shares[label])


ARRAYS = ["correct", "d_zero_shot", "d_random", "d_re_tuned"]
PAPER_METHODS = ("v2v-lin", "v2v-nn", "lin-comb")  # the recyclers the paper's findings are about


def variant(method: str, calibrated: bool) -> str:
    """A recycler as tables and figures name it: ``v2v-lin``, or ``v2v-lin+cal`` for its
    calibrated scores (a label only: rows keep ``method`` and ``calibrated`` as columns)."""
    return f"{method}+cal" if calibrated else method


def comparisons(table: pd.DataFrame) -> pd.DataFrame:
    """One row per recycled or identity prompt (test split) with its paired comparisons and
    per-example differences (``ARRAYS``; :func:`comparisons_csv` leaves them out)."""
    test = with_init(with_calibration(table[table.split == "test"].copy()))
    correct = {i: _correct(r).astype(np.int8) for i, r in test.iterrows()}
    zs = {
        (r.dataset, r.model, r.calibrated): correct[i]
        for i, r in test[test.condition == "zero-shot"].iterrows()
    }
    rnd: dict = {}
    # random prompts drawn from the init of the prompts they are compared with (an init axis)
    random = test[test.condition == "random"]
    for k, g in random.groupby(["dataset", "model", "init", "calibrated"]):
        rnd[k] = np.mean([correct[i] for i in g.index], axis=0)  # per-example share
    tuned = test[test.condition == "tuned"]
    tkey = ["dataset", "model", "seed", "init", "step", "calibrated"]
    tuned_acc = {tuple(k): a for k, a in zip(tuned[tkey].values, tuned.accuracy, strict=True)}
    tuned_ok = {tuple(tuned.loc[i, tkey]): correct[i] for i in tuned.index}
    last = tuned.groupby(["dataset", "model", "seed", "init"]).step.max().to_dict()
    out = []
    for i, r in test[test.condition.isin(["recycled", "identity"])].iterrows():
        c, key, cal = correct[i], (r.dataset, r.model, r.calibrated), r.calibrated
        if key not in zs:
            raise RecyclingError(f"no zero-shot row for {key}: cannot compare")
        rkey = (r.dataset, r.model, r.init, cal)
        label, share = top_label(r.label_shares)
        final = last.get((r.dataset, r.model, r.seed, r.init))
        run = run_id(r.dataset, r.source, r.seed, r.init)
        method = r.method if r.condition == "recycled" else "identity"
        rec = {
            "dataset": r.dataset,
            "condition": r.condition,
            "source": r.source,
            "target": r.model,
            "size_relation": r.size_relation,
            "method": method,
            "calibrated": cal,
            "same_as": r.same_as,
            "vocab_size": r.vocab_size,
            "step": int(r.step),
            "seed": int(r.seed),
            "init": r.init,
            "accuracy": r.accuracy,
            "top_label": label,
            "top_label_share": share,
            "zero_shot": zs[key].mean(),
            "gain_zero_shot": r.accuracy - zs[key].mean(),
            "p_zero_shot": stats.mcnemar_exact(c, zs[key]),
            "random": rnd[rkey].mean() if rkey in rnd else math.nan,
            "re_tuned": tuned_acc.get((r.dataset, r.model, r.seed, r.init, r.step, cal), math.nan),
            "re_tuned_final": tuned_acc.get(
                (r.dataset, r.model, r.seed, r.init, final, cal), math.nan
            ),
            "source_accuracy": tuned_acc.get(
                (r.dataset, r.source, r.seed, r.init, r.step, False), math.nan
            ),
            # the independent unit: the source prompt's training run (its checkpoints are not)
            "run": run,
            "source_prompt": f"{run}|{r.step}",
            "cluster": run,
            "features": getattr(r, "features", ""),
        }
        rec["gain_random"] = rec["accuracy"] - rec["random"]
        rec["correct"] = c
        rec["d_zero_shot"] = c.astype(float) - zs[key]
        rec["d_random"] = c - rnd[rkey] if rkey in rnd else None
        own = tuned_ok.get((r.dataset, r.model, r.seed, r.init, r.step, cal))
        rec["d_re_tuned"] = own.astype(float) - c if own is not None else None
        rec["beats_zero_shot"] = float(rec["gain_zero_shot"] > 0)
        rec["beats_random"] = float(rec["gain_random"] > 0) if rkey in rnd else math.nan
        significant = rec["p_zero_shot"] < ALPHA
        rec["significantly_above"] = float(significant and rec["gain_zero_shot"] > 0)
        rec["significantly_below"] = float(significant and rec["gain_zero_shot"] < 0)
        out.append(rec)
    return pd.DataFrame(out)


def comparisons_csv(comp: pd.DataFrame) -> pd.DataFrame:
    """The comparisons without their per-example arrays (what goes into the CSV)."""
    return comp.drop(columns=[c for c in ARRAYS if c in comp])


def rows_of(frame: pd.DataFrame, column: str) -> list[np.ndarray]:
    """The per-example arrays of ``column``, one per prompt (data sets differ in length: pass
    ``strata=frame.dataset`` to :mod:`prompt_recycling.analysis.clustered`)."""
    values = list(frame[column])
    if any(v is None or np.ndim(v) != 1 for v in values):
        raise ValueError(f"some prompts have no per-example {column!r}: select them first")
    return [np.asarray(v, float) for v in values]


def gain(frame: pd.DataFrame, column: str = "d_zero_shot", share: bool = False, seed: int = 0):
    """Pooled mean gain (or share above 0) of ``column`` with its interval over
    training runs and test examples (:func:`prompt_recycling.analysis.clustered.crossed_mean`)."""
    sel = frame[frame[column].notna()] if len(frame) else frame
    return clustered.crossed_mean(
        rows_of(sel, column), sel.cluster, share=share, seed=seed, strata=sel.dataset
    )


def pooled(
    comp: pd.DataFrame, dedupe: bool = True, trained: bool = True, calibrated: bool | None = False
) -> pd.DataFrame:
    """Recycled prompts for pooled numbers: numerically identical duplicates counted once,
    (``trained``) the untrained step-0 controls left out, and only the raw scores
    (``calibrated`` False, the paper's findings), only the calibrated ones (True) or both."""
    rec = comp[comp.condition == "recycled"]
    if calibrated is not None and len(rec):
        rec = rec[rec.calibrated == calibrated]
    if dedupe:
        rec = rec[rec.same_as.fillna("") == ""]
    if trained:
        rec = rec[rec.step > 0]
    return rec


def reliability(comp: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Per data set × pair × recycler, over its trained recycled prompts (steps > 0)."""
    rows = []
    rec = pooled(comp, dedupe=False, calibrated=None)
    for (d, src, tgt, relation, method, cal), g in rec.groupby(
        ["dataset", "source", "target", "size_relation", "method", "calibrated"], sort=True
    ):
        dup = sorted(set(g.same_as.dropna()) - {""})
        ident = comp[(comp.condition == "identity") & (comp.dataset == d) & (comp.source == src)]
        ident = ident[(ident.target == tgt) & (ident.step > 0)]
        ident = ident[ident.calibrated == cal]
        beats = gain(g, share=True, seed=seed)
        mean_gain = gain(g, seed=seed)
        label, share = g.top_label.mode().iat[0], g.top_label_share.mean()
        rows.append(
            {
                "dataset": d,
                "source": src,
                "target": tgt,
                "size_relation": relation,
                "recycler": method,
                "calibrated": bool(cal),
                "same_as": ",".join(dup),
                "n": len(g),
                "runs": g.run.nunique(),
                "seeds": g.seed.nunique(),
                "beats_zero_shot": beats.value,
                "beats_zero_shot_low": beats.low,
                "beats_zero_shot_high": beats.high,
                "significantly_above": g.significantly_above.mean(),
                "significantly_below": g.significantly_below.mean(),
                "beats_random": g.beats_random.mean(),
                "mean_gain": mean_gain.value,
                "mean_gain_low": mean_gain.low,
                "mean_gain_high": mean_gain.high,
                "mean_accuracy": g.accuracy.mean(),
                "top_label": label,
                "top_label_share": share,
                "zero_shot": g.zero_shot.iat[0],
                "random": g.random.mean(),  # per init on an init axis: their mean
                "re_tuned": g.re_tuned.mean(),
                "re_tuned_final": g.re_tuned_final.mean(),
                "source_accuracy": g.source_accuracy.mean(),
                "identity": ident.accuracy.mean() if len(ident) else math.nan,
            }
        )
    return pd.DataFrame(rows)
