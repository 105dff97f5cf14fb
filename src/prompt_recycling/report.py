"""``results/report.md``: the paper's findings, restated with this run's numbers.

Each finding is computed from the results table; where the numbers disagree with the paper's
claim the report says "not supported by this run". Nothing here is hard-coded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from prompt_recycling.analysis import references, reliability
from prompt_recycling.fsutil import atomic_path


def _pct(x: float) -> str:
    return "n/a" if pd.isna(x) else f"{100 * x:.1f}%"


def _trend(x, y) -> float:
    """Slope sign of y against x (least squares on ranks of x); NaN when x has one value."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(np.unique(x)) < 2:
        return float("nan")
    r = pd.Series(x).rank().to_numpy()
    return float(np.polyfit(r, y, 1)[0])


def findings(table: pd.DataFrame) -> list[str]:
    rec = table[table.kind == "recycled"].join(references(table), on=["dataset", "model"])
    rel = reliability(table)
    out = []

    share = float((rec.accuracy > rec.zero_shot).mean())
    best = rel.sort_values(["beats_zero_shot", "mean_gain_over_zero_shot"]).iloc[-1]
    out.append(
        f"**F1 — recycled prompts beat the target's zero-shot accuracy.** {_pct(share)} of "
        f"{len(rec)} recycled prompts beat zero-shot. Best setting: {best.recycler} "
        f"{best.source} → {best.target} on {best.dataset} ({_pct(best.beats_zero_shot)} of "
        f"{best.n}, mean gain {100 * best.mean_gain_over_zero_shot:+.1f} points). "
        + (
            "Supported by this run."
            if share > 0.5
            else "Not supported by this run: fewer than "
            "half of the recycled prompts beat zero-shot."
        )
    )

    above_random = float((rec.accuracy > rec.random).mean())
    below_tuned = float((rec.accuracy < rec.tuned).mean())
    out.append(
        f"**F2 — recycled prompts sit between random prompts and prompts re-tuned on the "
        f"target.** Mean recycled accuracy {_pct(rec.accuracy.mean())}; target random prompts "
        f"{_pct(rec.random.mean())}; re-tuned {_pct(rec.tuned.mean())}. {_pct(above_random)} "
        f"beat random prompts and {_pct(below_tuned)} stay below the re-tuned prompt. "
        + (
            "Supported by this run."
            if above_random > 0.5 and below_tuned > 0.5
            else "Not supported by this run."
        )
    )

    default = rec.vocab_size.value_counts().idxmax()
    by_step = (
        rec[rec.vocab_size == default]
        .groupby("step")
        .apply(lambda g: float((g.accuracy > g.zero_shot).mean()), include_groups=False)
    )
    slope = _trend(by_step.index, by_step.values)
    steps_txt = ", ".join(f"{int(s)}: {_pct(v)}" for s, v in by_step.items())
    out.append(
        f"**F3 — recyclability falls as the source prompt trains longer.** Share beating "
        f"zero-shot by source step ({int(default)} words): {steps_txt}. "
        + (
            "Supported by this run."
            if slope < 0
            else "Not supported by this run."
            if slope >= 0
            else "Only one step in this run: not tested."
        )
    )

    last = rec[rec.step == rec.step.max()].groupby("vocab_size").accuracy.mean()
    slope = _trend(last.index, last.values)
    words_txt = ", ".join(f"{int(n)}: {_pct(v)}" for n, v in last.items())
    out.append(
        f"**F4 — more words fitting the recycler do not help (performance falls).** Mean "
        f"recycled accuracy by words (last step): {words_txt}. "
        + (
            "Supported by this run."
            if slope < 0
            else "Not supported by this run."
            if slope >= 0
            else "Only one vocabulary size in this run: not tested."
        )
    )

    kinds = rec.groupby("pair_kind").apply(
        lambda g: float((g.accuracy > g.zero_shot).mean()), include_groups=False
    )
    same = rel[rel.pair_kind == "same-size"]
    best_same = same.groupby("recycler").mean_accuracy.mean().idxmax() if len(same) else None
    kind_txt = ", ".join(f"{k}: {_pct(v)}" for k, v in kinds.items())
    verdict = "Not tested: the run lacks a same-size or a large→small pair."
    if {"same-size", "large->small"} <= set(kinds.index):
        verdict = (
            "Supported by this run."
            if kinds["large->small"] < kinds["same-size"]
            else "Not supported by this run."
        )
    out.append(
        f"**F5 — large→small recycling is less reliable than same-size recycling.** Share "
        f"beating zero-shot by pair kind: {kind_txt}. {verdict}"
        + (f" Best recycler for same-size pairs (mean accuracy): {best_same}." if best_same else "")
    )
    return out


def write_report(
    table: pd.DataFrame,
    out: str,
    reliability_md: str,
    figures: list[str],
    titles: dict | None = None,
) -> None:
    titles = titles or {}
    lines = ["# Prompt recycling: results of this run", ""]
    counts = table.kind.value_counts()
    lines.append(
        "Rows: "
        + ", ".join(f"{k} {counts.get(k, 0)}" for k in ("recycled", "tuned", "zero-shot", "random"))
        + ". Data sets: "
        + ", ".join(titles.get(d, d) for d in sorted(table.dataset.unique()))
        + "."
    )
    lines += ["", "## Findings", ""] + [f"- {f}" for f in findings(table)]
    lines += ["", "## Reliability", "", Path(reliability_md).read_text(), "## Figures", ""]
    base = Path(out).parent
    for fig in figures:
        if fig.endswith(".png"):
            rel = Path(fig).resolve().relative_to(base.resolve())
            lines.append(f"![{Path(fig).stem}]({rel.as_posix()})")
    with atomic_path(out) as tmp:
        Path(tmp).write_text("\n".join(lines) + "\n")
