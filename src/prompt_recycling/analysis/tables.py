"""The tables of a run, written atomically: the aggregated results, pair descriptions,
training histories, paired comparisons, reliability, convergence and findings.

Percentages everywhere (accuracy, shares, gains in points); every pooled number carries its 95%
interval and the number of prompts and seeds it is computed over.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from prompt_recycling.analysis.comparisons import (
    comparisons,
    comparisons_csv,
    reliability,
    variant,
)
from prompt_recycling.analysis.findings import findings
from prompt_recycling.analysis.rows import aggregate, expected_counts, with_calibration
from prompt_recycling.analysis.runs import CONVERGENCE_TOLERANCE, convergence
from prompt_recycling.analysis.verdicts import Finding, findings_table, stand_in
from prompt_recycling.fsutil import atomic_path


def write_csv(frame: pd.DataFrame, path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def write_text(text: str, path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text)


def aggregate_all(
    expected: dict,
    evaluations: list[str],
    models: list[str],
    pairs: list[str],
    histories: list[str],
    out: dict,
) -> pd.DataFrame:
    """Aggregate a grid's outputs (``expected``: :meth:`prompt_recycling.plan.Grid.expected_rows`,
    resolved with the models' widths)."""
    infos = [json.loads(Path(m).read_text()) for m in models]
    widths = {i["name"]: i["width"] for i in infos}
    counts = expected_counts(expected, widths)
    table = aggregate(evaluations, counts, out["csv"], out["parquet"])
    write_csv(pd.DataFrame([json.loads(Path(p).read_text()) for p in pairs]), out["pairs"])
    frames = [pd.read_csv(h) for h in histories]
    write_csv(pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(), out["training"])
    return table


def pct(x: float, digits: int = 1) -> str:
    return "n/a" if x is None or pd.isna(x) else f"{100 * x:.{digits}f}"


def interval(value: float, low: float, high: float, signed: bool = False) -> str:
    """``62.3 [58.1, 66.0]`` in percent (points when ``signed``)."""
    if pd.isna(value):
        return "n/a"
    f = "{:+.1f}" if signed else "{:.1f}"
    if pd.isna(low) or pd.isna(high):
        return f.format(100 * value) + " [n/a]"
    return f"{f.format(100 * value)} [{f.format(100 * low)}, {f.format(100 * high)}]"


def bias(label: str, share: float) -> str:
    return "n/a" if not label or pd.isna(share) else f"{label} {100 * share:.0f}%"


def reliability_shown(rel: pd.DataFrame) -> pd.DataFrame:
    """The reliability table as a person reads it (percent, intervals, label bias)."""
    if rel.empty:
        return pd.DataFrame()
    method = [
        variant(r, c) + (f" (= {', '.join(variant(x, c) for x in s.split(','))})" if s else "")
        for r, c, s in zip(rel.recycler, rel.calibrated, rel.same_as.fillna(""), strict=True)
    ]
    return pd.DataFrame(
        {
            "dataset": rel.dataset,
            "pair": rel.source + " → " + rel.target,
            "size relation": rel.size_relation,
            "recycler": method,
            "n (prompts / runs)": [f"{n} / {c}" for n, c in zip(rel.n, rel.runs, strict=True)],
            "beats ZS % [95% CI]": [
                interval(*v)
                for v in zip(
                    rel.beats_zero_shot,
                    rel.beats_zero_shot_low,
                    rel.beats_zero_shot_high,
                    strict=True,
                )
            ],
            "sig. above / below ZS %": [
                f"{pct(a, 0)} / {pct(b, 0)}"
                for a, b in zip(rel.significantly_above, rel.significantly_below, strict=True)
            ],
            "beats random %": rel.beats_random.map(lambda v: pct(v, 0)),
            "gain over ZS, points [95% CI]": [
                interval(*v, signed=True)
                for v in zip(rel.mean_gain, rel.mean_gain_low, rel.mean_gain_high, strict=True)
            ],
            "recycled acc. %": rel.mean_accuracy.map(pct),
            "recycled bias": [
                bias(a, b) for a, b in zip(rel.top_label, rel.top_label_share, strict=True)
            ],
            "zero-shot %": rel.zero_shot.map(pct),
            "random %": rel.random.map(pct),
            "identity %": rel.identity.map(pct),
            "re-tuned % (same step / last)": [
                f"{pct(a)} / {pct(b)}"
                for a, b in zip(rel.re_tuned, rel.re_tuned_final, strict=True)
            ],
            "source %": rel.source_accuracy.map(pct),
        }
    )


RELIABILITY_NOTE = """\
One row per data set × ordered pair × recycler, over its recycled prompts from trained source
prompts (steps > 0; every seed, step and vocabulary size). n = recycled prompts (distinct
independent training runs they come from). *beats ZS* = share whose test accuracy on the target
is above the target's zero-shot accuracy; intervals are 95%, over training runs (a run's
checkpoints and word counts move as one) and test examples; *sig.
above / below* = share significantly above / below zero-shot (exact McNemar, p < 0.05, same
test examples); *beats random* = share above the mean of the K random prompts (drawn as tuned
prompts start); *gain* = mean accuracy minus zero-shot, in points; *bias* = the most-predicted
label and the share of test examples it is predicted for (mean over prompts); *identity* = the
source prompt used on the target as is (pairs of equal width); *re-tuned* = a prompt tuned on
the target with the same seed and step / its last step; *source* = the source prompt on its own
model. A recycler marked (= other) gives numerically the same prompts as the other one. A
recycler named with *+cal* is scored after contextual calibration on content-free inputs, and so
are its baselines in that row (zero-shot, random, identity, re-tuned).
"""


def findings_shown(items: list[Finding], stand_ins: bool = True) -> pd.DataFrame:
    """The findings as shown: the paper's claim, this run's measure and interval with its n,
    and the verdicts before and after Holm's adjustment (said to be on stand-in models)."""
    rows = []
    on = " (stand-in models)" if stand_ins else ""
    for f in items:
        e = f.estimate
        if e is None:
            estimate = "—"
        else:
            shown = _share(e) if f.id == "F1" else e.format()
            estimate = f"{shown} (n = {e.n} {e.unit})"
        verdict = f.verdict + (f": {f.reason}" if f.reason else "")
        rows.append(
            {
                "finding": f.label,
                "the paper claims": f.claim,
                "this run measures": f.measure,
                "estimate [95% CI]": estimate,
                "verdict": verdict + (on if f.estimate is not None else ""),
                "Holm-adjusted": f.verdict_holm if f.estimate is not None else "—",
                "detail": f.detail,
            }
        )
    return pd.DataFrame(rows)


def _share(e) -> str:
    return f"{100 * e.value:.1f}% [{100 * e.low:.1f}, {100 * e.high:.1f}]"


def markdown(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "(no rows)\n"
    return frame.to_markdown(index=False) + "\n"


HTML_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; font-size: 13px; margin: 1em; }}
table {{ border-collapse: collapse; }}
th, td {{ padding: 3px 8px; border-bottom: 1px solid #ddd; text-align: left;
          vertical-align: top; }}
th {{ background: #f3f3f3; }}
p {{ max-width: 60em; }}
</style></head><body>
<h3>{title}</h3>
{table}
<p>{note}</p>
</body></html>
"""


def html_page(frame: pd.DataFrame, title: str, note: str = "") -> str:
    """A standalone HTML page with ``frame`` as a table (the Snakemake report shows HTML files
    inline; markdown and CSV only as downloads)."""
    import html

    body = frame.to_html(index=False, border=0, na_rep="—") if len(frame) else "<p>(no rows)</p>"
    note = html.escape(" ".join(note.split())).replace("*", "")
    return HTML_PAGE.format(title=html.escape(title), table=body, note=note)


def write_analysis(
    table: pd.DataFrame,
    out: dict,
    seed: int = 0,
    convergence_tolerance: float = CONVERGENCE_TOLERANCE,
    comp: pd.DataFrame | None = None,
) -> list[Finding]:
    """Comparisons, reliability (CSV, markdown, LaTeX, HTML), convergence and findings (CSV,
    markdown, HTML); ``comp``: :func:`~prompt_recycling.analysis.comparisons.comparisons` of
    ``table``."""
    comp = comparisons(table) if comp is None else comp
    raw = table[~with_calibration(table).calibrated]  # the paper's findings: raw scores
    write_csv(comparisons_csv(comp), out["comparisons"])
    rel = reliability(comp, seed)
    write_csv(rel, out["reliability"])
    shown = reliability_shown(rel)
    write_text(
        "Accuracy in %.\n\n" + markdown(shown) + "\n" + RELIABILITY_NOTE, out["reliability_md"]
    )
    tex = shown.to_latex(index=False, escape=True) if len(shown) else ""
    tex = tex.replace("→", "$\\rightarrow$")
    write_text(tex + "\n% " + RELIABILITY_NOTE.replace("\n", "\n% ") + "\n", out["reliability_tex"])
    conv = convergence(raw, convergence_tolerance)
    write_csv(conv, out["convergence"])
    found = findings(comp, raw, seed, convergence_tolerance)
    standing = stand_in(raw)
    write_csv(findings_table(found), out["findings"])
    write_text(markdown(findings_shown(found, standing)), out["findings_md"])
    if "reliability_html" in out:
        title = "Reliability of recycled prompts (accuracy in %)"
        write_text(html_page(shown, title, RELIABILITY_NOTE), out["reliability_html"])
    if "findings_html" in out:
        title = "The paper's findings: its measures, 95% intervals over training runs"
        shown = findings_shown(found, standing)
        write_text(html_page(shown, title, FINDINGS_NOTE), out["findings_html"])
    return found


FINDINGS_NOTE = """Each finding is the paper's claim on the paper's own measure, in its direction,
with a 95% interval whose independent unit is the training run (data set x source model x
seed; its checkpoints, recyclers and word counts move together), crossed with the test
examples: reproduced when the interval excludes the null on the paper's side, not reproduced
when it excludes the paper's claim, inconclusive otherwise, not testable when the run lacks what
the finding needs. Holm-adjusted: the verdict kept only if its Holm-adjusted p-value over the
testable findings is below 0.05."""
