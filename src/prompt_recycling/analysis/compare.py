"""Which recycler is most reliable, per size relation: the paper's three, the ones beyond it,
and each of them after contextual calibration (``+cal``), with paired tests.

For every recycler (and its calibrated variant) pooled over the data sets and pairs of one size
relation, over recycled prompts from trained source prompts:

- its gain over the target's zero-shot accuracy, *the zero-shot scored the same way* (raw for
  raw prompts, calibrated for calibrated ones), and the share of prompts above it;
- its paired difference from ``v2v-lin`` as the paper runs it (raw): the same source prompt,
  step and word count under both, per test example;
- which one is most reliable (largest share above its zero-shot, then largest mean gain), and
  its paired lead over the runner-up.

Intervals are 95%, over training runs and test examples
(:func:`prompt_recycling.analysis.clustered.crossed_mean`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from prompt_recycling.analysis.clustered import crossed_mean
from prompt_recycling.analysis.comparisons import pooled, rows_of, variant
from prompt_recycling.stats import Estimate

REFERENCE = "v2v-lin"  # the paper's recycler as it runs it: the baseline of every new one
MATCH = ["dataset", "source", "target", "seed", "init", "step", "vocab_size"]


def paired(a: pd.DataFrame, b: pd.DataFrame, seed: int = 0) -> Estimate:
    """Accuracy of A minus B on the same source prompts (matched on :data:`MATCH`) and the same
    test examples, in points over the matched prompts."""
    keys = [k for k in MATCH if k in a and k in b]  # init: on an init axis
    left = a.set_index(keys)
    right = b.set_index(keys)
    common = left.index.intersection(right.index)
    if not len(common):
        return crossed_mean(np.zeros((0, 0)), [])
    a, b = left.loc[common], right.loc[common]
    diffs = [x - y for x, y in zip(rows_of(a, "correct"), rows_of(b, "correct"), strict=True)]
    return crossed_mean(diffs, a.cluster, seed=seed, strata=a.index.get_level_values("dataset"))


def _cells(e: Estimate, name: str) -> dict:
    return {name: e.value, f"{name}_low": e.low, f"{name}_high": e.high}


def recycler_comparison(comp: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """One row per size relation × recycler variant (see the module docstring)."""
    rec = pooled(comp, dedupe=False, calibrated=None)
    rows = []
    for relation, group in rec.groupby("size_relation", sort=True):
        ref = group[(group.method == REFERENCE) & ~group.calibrated.astype(bool)]
        for (method, cal), g in group.groupby(["method", "calibrated"], sort=False):
            d = rows_of(g, "d_zero_shot")
            gain = crossed_mean(d, g.cluster, seed=seed, strata=g.dataset)
            share = crossed_mean(d, g.cluster, share=True, seed=seed, strata=g.dataset)
            versus = None if is_reference(method, cal) else paired(g, ref, seed)
            rows.append(
                {
                    "size_relation": relation,
                    "recycler": method,
                    "calibrated": bool(cal),
                    "pairs": g.source.str.cat(g.target, sep="→").nunique(),
                    "n": len(g),
                    "runs": g.run.nunique(),
                    "seeds": g.seed.nunique(),
                    "accuracy": g.accuracy.mean(),
                    "zero_shot": g.zero_shot.mean(),
                    **_cells(share, "beats_zero_shot"),
                    **_cells(gain, "gain"),
                    **_cells(versus or Estimate(0.0, 0.0, 0.0, 0, ""), "vs_v2v_lin"),
                    "top_label_share": g.top_label_share.mean(),
                }
            )
    return _order(pd.DataFrame(rows))


def is_reference(method: str, calibrated: bool) -> bool:
    """Whether a variant is the reference every other one is compared with (raw v2v-lin)."""
    return method == REFERENCE and not calibrated


def _of(frame: pd.DataFrame, method: str, calibrated: bool) -> pd.DataFrame:
    return frame[(frame.method == method) & (frame.calibrated.astype(bool) == bool(calibrated))]


def _order(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame
    return frame.sort_values(
        ["size_relation", "calibrated", "beats_zero_shot", "gain"],
        ascending=[True, True, False, False],
    ).reset_index(drop=True)


def most_reliable(comp: pd.DataFrame, table: pd.DataFrame, seed: int = 0) -> list[dict]:
    """Per size relation: the most reliable variant (``table``: :func:`recycler_comparison`),
    the runner-up, and the best one's paired lead over it (accuracy points)."""
    rec = pooled(comp, dedupe=True, calibrated=None)  # a recycler equal to another counts once
    out = []
    for relation, t in table.groupby("size_relation", sort=True):
        g = rec[rec.size_relation == relation]
        present = set(zip(g.method, g.calibrated.astype(bool), strict=True))
        kept = [(m, bool(c)) in present for m, c in zip(t.recycler, t.calibrated, strict=True)]
        t = t[kept].sort_values(["beats_zero_shot", "gain"], ascending=False)
        if t.empty:
            continue
        item = {"size_relation": relation, "best": t.iloc[0].to_dict(), "runner_up": None}
        if len(t) > 1:
            best, second = t.iloc[0], t.iloc[1]
            item["runner_up"] = t.iloc[1].to_dict()
            item["lead"] = paired(
                _of(g, best.recycler, best.calibrated),
                _of(g, second.recycler, second.calibrated),
                seed,
            )
        out.append(item)
    return out


def _ci(value, low, high) -> str:
    return f"{100 * value:+.1f} [{100 * low:+.1f}, {100 * high:+.1f}]"


def _share(value, low, high) -> str:
    return f"{100 * value:.0f}% [{100 * low:.0f}, {100 * high:.0f}]"


def summary(comp: pd.DataFrame, versus: pd.DataFrame, seed: int = 0) -> list[str]:
    """What the comparison says, per size relation, as markdown bullets with n and intervals."""
    if versus.empty:
        return []
    lines = []
    for item in most_reliable(comp, versus, seed):
        b = item["best"]
        text = (
            f"**{item['size_relation']}**: most reliable is "
            f"**{variant(b['recycler'], b['calibrated'])}**: "
            f"{_share(b['beats_zero_shot'], b['beats_zero_shot_low'], b['beats_zero_shot_high'])}"
            f" of {b['n']} prompts ({b['runs']} runs, {b['seeds']} seeds) "
            f"beat {'calibrated ' if b['calibrated'] else ''}zero-shot; mean gain "
            f"{_ci(b['gain'], b['gain_low'], b['gain_high'])} points"
        )
        if item["runner_up"] is not None:
            lead, r = item["lead"], item["runner_up"]
            text += (
                f"; runner-up {variant(r['recycler'], r['calibrated'])}; accuracy of the best "
                f"minus the "
                f"runner-up on the same prompts {_ci(lead.value, lead.low, lead.high)} points"
            )
        lines.append(f"- {text}.")
    for relation, t in versus.groupby("size_relation", sort=True):
        raw, cal = t[~t.calibrated.astype(bool)], t[t.calibrated.astype(bool)]
        if len(raw) and len(cal):
            lines.append(
                f"- {relation}: calibration moves the target's zero-shot accuracy from "
                f"{100 * raw.zero_shot.mean():.1f}% to {100 * cal.zero_shot.mean():.1f}%, "
                f"recycled prompts' mean accuracy from {100 * raw.accuracy.mean():.1f}% to "
                f"{100 * cal.accuracy.mean():.1f}%, and the share of examples they give their "
                f"most-predicted label from {100 * raw.top_label_share.mean():.0f}% to "
                f"{100 * cal.top_label_share.mean():.0f}% (means over recyclers)."
            )
    for label, col in (("v2v-lin (raw)", "vs_v2v_lin"), ("its zero-shot", "gain")):
        ref = [is_reference(m, c) for m, c in zip(versus.recycler, versus.calibrated, strict=True)]
        tested = versus[[not x for x in ref]] if col == "vs_v2v_lin" else versus
        wins = tested[tested[f"{col}_low"] > 0]
        names = ", ".join(
            f"{variant(r.recycler, r.calibrated)} ({r.size_relation})" for r in wins.itertuples()
        )
        lines.append(
            f"- Beats {label} with a 95% interval above zero: {names or 'none'} (of "
            f"{len(tested)} recycler × size-relation rows; intervals not adjusted for the "
            f"number of rows)."
        )
    return lines
