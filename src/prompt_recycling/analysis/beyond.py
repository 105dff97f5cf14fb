"""The tables beyond the paper, next to the paper's (:mod:`prompt_recycling.analysis.tables`):
the recyclers compared per size relation, raw and calibrated
(:mod:`prompt_recycling.analysis.compare`), and the recyclability predictor
(:mod:`prompt_recycling.analysis.recyclability`), which is exploratory and shown as such (never
among the findings F1–F5).
"""

from __future__ import annotations

import pandas as pd

from prompt_recycling.analysis.compare import is_reference, recycler_comparison, summary
from prompt_recycling.analysis.comparisons import comparisons, variant
from prompt_recycling.analysis.findings import Finding
from prompt_recycling.analysis.recyclability import N_RESAMPLES, design_caveat, predictor_tables
from prompt_recycling.analysis.runs import CONVERGENCE_TOLERANCE
from prompt_recycling.analysis.tables import (
    html_page,
    interval,
    markdown,
    pct,
    write_analysis,
    write_csv,
    write_text,
)


def analyse(
    table: pd.DataFrame,
    out: dict,
    seed: int = 0,
    convergence_tolerance: float = CONVERGENCE_TOLERANCE,
) -> list[Finding]:
    """Everything the ``analyse`` rule writes: the paper's tables and findings, the recycler
    comparison and the predictor (when ``out`` names them)."""
    comp = comparisons(table)
    found = write_analysis(table, out, seed, convergence_tolerance, comp=comp)
    if "recyclers" in out:
        write_beyond(comp, out, seed)
    return found


def write_beyond(comp: pd.DataFrame, out: dict, seed: int = 0) -> None:
    """The recycler comparison (calibration, recyclers beyond the paper) and the predictor."""
    versus = recycler_comparison(comp, seed)
    write_csv(versus, out["recyclers"])
    shown = recyclers_shown(versus)
    said = "\n".join(summary(comp, versus, seed))
    write_text(said + "\n\n" + markdown(shown) + "\n" + RECYCLERS_NOTE, out["recyclers_md"])
    write_text(html_page(shown, "Recyclers compared", RECYCLERS_NOTE), out["recyclers_html"])
    write_predictor(comp, out, seed)


PREDICTOR_TITLE = (
    "Recyclability predictor — exploratory, not a finding (leave-one-pair-out ROC AUC)"
)


def write_predictor(
    comp: pd.DataFrame, out: dict, seed: int = 0, n_resamples: int = N_RESAMPLES
) -> None:
    """The predictor's CSV, markdown and HTML, labelled exploratory with what its design allows."""
    pred = predictor_tables(comp, seed, n_resamples)
    write_csv(pred, out["predictor"])
    shown = predictor_shown(pred)
    said = "\n".join(predictor_summary(pred))
    write_text(said + "\n\n" + markdown(shown) + "\n" + PREDICTOR_NOTE, out["predictor_md"])
    write_text(
        html_page(shown, PREDICTOR_TITLE, said + "\n\n" + PREDICTOR_NOTE), out["predictor_html"]
    )


def predictor_summary(pred: pd.DataFrame) -> list[str]:
    """A line saying the predictor is exploratory, then one bullet per calibration setting: its
    runs and pairs (and what leave-one-pair-out means with them), the pooled AUC of all features
    and the best feature."""
    lines = [
        "**Exploratory, not a finding** (the findings are F1–F5): whether cheap features tell "
        "a recycled prompt's success in advance, on the few pairs and training runs of this grid."
    ]
    for cal, t in pred.groupby("calibrated", sort=True) if len(pred) else []:
        pooled = t[t.held_out == "pooled"].set_index("features")
        every = pooled.loc["all features"]
        single = pooled.drop(index="all features").dropna(subset=["auc"])
        best = single.auc.idxmax() if len(single) else None
        caveat = design_caveat(
            *(int(every[c]) for c in ("runs", "ordered_pairs", "model_pairs", "reverse_held_out"))
        )
        text = (
            f"- {'Calibrated' if cal else 'Raw'} recycled prompts: {int(every.n)}, "
            f"{100 * every.beats_zero_shot:.0f}% beat zero-shot; {caveat} All features, pooled "
            f"leave-one-pair-out AUC {_auc_of(every)}"
        )
        if best is not None:
            text += f"; best single feature {best} {_auc_of(single.loc[best])}"
        lines.append(text + " (0.5 = chance).")
    return lines


def recyclers_shown(versus: pd.DataFrame) -> pd.DataFrame:
    if versus.empty:
        return pd.DataFrame()
    return pd.DataFrame(
        {
            "size relation": versus.size_relation,
            "recycler": [
                variant(m, c) for m, c in zip(versus.recycler, versus.calibrated, strict=True)
            ],
            "n (prompts / runs)": [
                f"{n} / {c}" for n, c in zip(versus.n, versus.runs, strict=True)
            ],
            "accuracy %": versus.accuracy.map(pct),
            "its zero-shot %": versus.zero_shot.map(pct),
            "beats ZS % [95% CI]": _intervals(versus, "beats_zero_shot"),
            "gain over ZS, points [95% CI]": _intervals(versus, "gain", signed=True),
            "vs v2v-lin, points [95% CI]": [
                "reference" if is_reference(m, c) else v
                for m, c, v in zip(
                    versus.recycler,
                    versus.calibrated,
                    _intervals(versus, "vs_v2v_lin", signed=True),
                    strict=True,
                )
            ],
            "top label %": versus.top_label_share.map(lambda v: pct(v, 0)),
        }
    )


def predictor_shown(pred: pd.DataFrame) -> pd.DataFrame:
    if pred.empty:
        return pd.DataFrame()
    return pd.DataFrame(
        {
            "prompts": pred.calibrated.map({True: "calibrated", False: "raw"}),
            "features": pred.features,
            "held-out pair": pred.held_out,
            "n (runs / source prompts)": [
                f"{n} ({r} / {c})"
                for n, r, c in zip(pred.n, pred.runs, pred.source_prompts, strict=True)
            ],
            "beat ZS %": pred.beats_zero_shot.map(lambda v: pct(v, 0)),
            "ROC AUC [95% CI over runs, refitted]": [_auc_of(r) for r in pred.itertuples()],
        }
    )


def _auc_of(row) -> str:
    if row.predicted == 0:
        return "n/a (the other pairs hold one outcome)"
    if row.tied:
        return "n/a (every score tied: no ranking)"
    if pd.isna(row.auc):
        return "n/a (one outcome)"
    if pd.isna(row.auc_low):
        return f"{row.auc:.2f} [no interval: {row.interval_note}]"
    return f"{row.auc:.2f} [{row.auc_low:.2f}, {row.auc_high:.2f}]"


def _intervals(frame: pd.DataFrame, name: str, signed: bool = False) -> list[str]:
    cols = zip(frame[name], frame[f"{name}_low"], frame[f"{name}_high"], strict=True)
    return [interval(*v, signed=signed) for v in cols]


RECYCLERS_NOTE = """\
One row per size relation × recycler, over recycled prompts from trained source prompts (steps
> 0), pooled over data sets, pairs, seeds, steps and word counts. *+cal*: the same recycled
prompts after contextual calibration (Zhao et al. 2021: the label distribution the target gives,
with the prompt, to content-free inputs is divided out); *its zero-shot* is scored the same way
(calibrated for +cal rows). *vs v2v-lin*: accuracy minus v2v-lin's (raw, as the paper runs it)
on the same source prompts and test examples. Intervals are 95%, over training runs
(a run's checkpoints and word counts move together) and test examples.
"""
PREDICTOR_NOTE = """\
Exploratory, not a finding. A logistic regression predicts whether a recycled prompt beats the
target's zero-shot accuracy (raw prompts against raw zero-shot, calibrated against calibrated)
from features known before it is scored. Each ordered pair's prompts are predicted by a model
fitted on the other pairs only (the reverse direction of the same two models may be among them);
*pooled* ranks successes against failures of the same held-out pair only (pairs differ in base
rate), over all pairs. One row per feature set (all features, then each alone). n/a: the held-
out prompts are all on one side of zero-shot, the other pairs' are (no model to fit), or every
score is tied (a feature constant within the pair). 0.5 is chance. n counts recycled prompts;
runs are the source prompts' training runs (data set, source model, seed), the independent unit:
the checkpoints of one run are not. Intervals: 95% percentile, over resamples of whole runs
(with replacement) with every leave-one-pair-out model refitted on each; resamples with one
outcome or no model are skipped (more than half skipped: no interval), and with fewer than 4
runs there is none. With only a few ordered pairs, and the reverse of the held-out pair among
those fitted on, the AUC says little about how the predictor carries to a pair never seen.
"""
