"""The paper's findings, each decided by an interval on a paired difference.

Each finding is one number whose sign the paper predicts, computed from the paired comparisons
of :func:`prompt_recycling.analysis.comparisons` over trained recycled prompts (steps > 0;
numerically identical recycled prompts counted once):

- F1 recycled prompts beat the target's zero-shot accuracy: mean gain over zero-shot (> 0);
- F2 recycled prompts sit between random prompts and re-tuned ones: gain over random (> 0)
  *and* the re-tuned prompt's lead (same seed and step, > 0);
- F3 recyclability falls as the source prompt trains longer: per-unit slope of the gain over
  zero-shot per doubling of steps (< 0), over source prompts that converged;
- F4 more words fitting the recycler do not help: slope of the gain per doubling of words at
  the last step (< 0);
- F5 large→small recycling is more reliable than same-size (a), small→large is the least
  reliable (b), and v2v-nn is the best recycler for same-size pairs (c): differences of the
  share of prompts beating zero-shot.

A verdict is ``supported`` / ``contradicted`` / ``inconclusive`` (:func:`stats.verdict`), or
``not testable`` when the run lacks what the finding needs (said why).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from prompt_recycling import stats
from prompt_recycling.analysis import PAPER_METHODS, convergence, gain, pooled, rows_of


@dataclass(frozen=True)
class Finding:
    id: str
    claim: str
    paper: str
    estimate: stats.Estimate | None
    direction: int  # +1 / -1: the sign the paper predicts
    detail: str
    reason: str = ""  # why it is not testable

    @property
    def verdict(self) -> str:
        if self.estimate is None:
            return "not testable"
        return self.estimate.verdict(self.direction)

    def as_row(self) -> dict:
        e = self.estimate
        return {
            "finding": self.id,
            "claim": self.claim,
            "paper": self.paper,
            "estimate": math.nan if e is None else e.value,
            "low": math.nan if e is None else e.low,
            "high": math.nan if e is None else e.high,
            "n": 0 if e is None else e.n,
            "unit": "" if e is None else e.unit,
            "p_value": math.nan if e is None else e.p_value,
            "verdict": self.verdict,
            "detail": self.detail or self.reason,
        }


def _seeds(rec) -> str:
    return f"{rec.cluster.nunique()} source prompts, {rec.seed.nunique()} seeds"


def f1(rec: pd.DataFrame, seed: int) -> Finding:
    claim = "Recycled prompts beat the target's zero-shot accuracy"
    paper = "up to 88.9% of recycled prompts beat the baselines (best setting)"
    if rec.empty:
        return Finding("F1", claim, paper, None, 1, "", "no trained recycled prompt")
    mean = gain(rec, seed=seed)
    share = gain(rec, share=True, seed=seed)
    detail = (
        f"mean gain over zero-shot (points); {100 * share.value:.1f}% "
        f"[{100 * share.low:.1f}, {100 * share.high:.1f}] of {len(rec)} prompts beat it "
        f"({100 * rec.significantly_above.mean():.1f}% significantly, McNemar p < 0.05; "
        f"{100 * rec.significantly_below.mean():.1f}% significantly below); {_seeds(rec)}"
    )
    return Finding("F1", claim, paper, mean, 1, detail)


def f2(rec: pd.DataFrame, seed: int) -> list[Finding]:
    claim_a = "Recycled prompts beat random prompts on the target"
    claim_b = "Prompts re-tuned on the target beat recycled ones (same seed and step)"
    paper = "recycled prompts sit between random and re-tuned prompts"
    out = []
    r = rec[rec.d_random.notna()]
    if r.empty:
        out.append(Finding("F2a", claim_a, paper, None, 1, "", "no random-prompt baseline"))
    else:
        e = gain(r, "d_random", seed=seed)
        detail = f"mean gain over the mean of the random prompts (points); {_seeds(r)}"
        out.append(Finding("F2a", claim_a, paper, e, 1, detail))
    r = rec[rec.d_re_tuned.notna()]
    if r.empty:
        out.append(Finding("F2b", claim_b, paper, None, 1, "", "no re-tuned prompt"))
    else:
        e = gain(r, "d_re_tuned", seed=seed)
        detail = f"re-tuned minus recycled accuracy (points); {_seeds(r)}"
        out.append(Finding("F2b", claim_b, paper, e, 1, detail))
    return out


def _units(rec: pd.DataFrame) -> pd.Series:
    return rec.dataset + "|" + rec.source + "→" + rec.target + "|" + rec.seed.astype(str)


def f3(rec: pd.DataFrame, conv: pd.DataFrame) -> Finding:
    claim = "Recyclability falls as the source prompt trains longer"
    paper = "prompts trained longer recycle less reliably"
    if rec.step.nunique() < 2:
        return Finding("F3", claim, paper, None, -1, "", "fewer than two trained steps")
    if conv.empty or not conv.converged.any():
        return Finding(
            "F3", claim, paper, None, -1, "", "no source prompt converged (validation accuracy)"
        )
    ok = conv[conv.converged]
    keys = set(zip(ok.dataset, ok.model, ok.seed, strict=True))
    sel = [(d, s, k) in keys for d, s, k in zip(rec.dataset, rec.source, rec.seed, strict=True)]
    r = rec[sel]
    if r.empty:
        return Finding("F3", claim, paper, None, -1, "", "no recycled prompt of a converged run")
    r = r[r.vocab_size == r.vocab_size.value_counts().idxmax()]  # the step sweep's word count
    cell = r.groupby([_units(r), "step"]).gain_zero_shot.mean().reset_index()
    cell.columns = ["unit", "step", "gain"]
    e = stats.trend(cell.step, cell.gain, cell.unit)
    detail = (
        f"slope of the gain over zero-shot per doubling of steps (points) at "
        f"{int(r.vocab_size.iat[0])} words, steps "
        f"{sorted(int(v) for v in r.step.unique())}; {len(ok)} of {len(conv)} source runs "
        f"converged"
    )
    return Finding("F3", claim, paper, e, -1, detail)


def f4(rec: pd.DataFrame) -> Finding:
    claim = "More words fitting the recycler do not help"
    paper = "performance does not rise (falls) with the number of words"
    last = rec[rec.step == rec.step.max()] if len(rec) else rec
    if last.vocab_size.nunique() < 2:
        return Finding("F4", claim, paper, None, -1, "", "fewer than two vocabulary sizes")
    cell = last.groupby([_units(last), "vocab_size"]).gain_zero_shot.mean().reset_index()
    cell.columns = ["unit", "words", "gain"]
    e = stats.trend(cell.words, cell.gain, cell.unit)
    detail = (
        f"slope of the gain over zero-shot per doubling of words (points), words "
        f"{sorted(int(v) for v in last.vocab_size.unique())}, step {int(last.step.max())}"
    )
    return Finding("F4", claim, paper, e, -1, detail)


def f5(rec: pd.DataFrame, seed: int) -> list[Finding]:
    paper = "Large→Base beats Base→Base; Base→Large least reliable; v2v-nn best Base→Base"
    relations = {k: g for k, g in rec.groupby("size_relation")}
    out = []

    def diff(a, b, fid, claim, direction):
        if a not in relations or b not in relations:
            missing = [k for k in (a, b) if k not in relations]
            why = f"no {' or '.join(missing)} pair in this run"
            return Finding(fid, claim, paper, None, direction, "", why)
        ga, gb = relations[a], relations[b]
        e = stats.crossed_difference(
            rows_of(ga, "d_zero_shot"),
            ga.cluster,
            rows_of(gb, "d_zero_shot"),
            gb.cluster,
            share=True,
            seed=seed,
        )
        detail = (
            f"share beating zero-shot, {a} {100 * ga.beats_zero_shot.mean():.1f}% minus "
            f"{b} {100 * gb.beats_zero_shot.mean():.1f}% (points)"
        )
        return Finding(fid, claim, paper, e, direction, detail)

    out.append(diff("large->small", "same-size", "F5a", "Large→small beats same-size", 1))
    b1 = diff("small->large", "same-size", "F5b", "Small→large below same-size", -1)
    b2 = diff("small->large", "large->small", "F5b'", "Small→large below large→small", -1)
    out += [b1, b2]
    claim = "v2v-nn is the best recycler for same-size pairs"
    same = relations.get("same-size")
    if same is None or "v2v-nn" not in set(same.method) or same.method.nunique() < 2:
        out.append(Finding("F5c", claim, paper, None, 1, "", "no same-size pair with v2v-nn"))
        return out
    # the same source prompts under both recyclers; compared as two samples (conservative)
    others = same[same.method != "v2v-nn"]
    best = others.groupby("method").beats_zero_shot.mean().idxmax()
    nn, ot = same[same.method == "v2v-nn"], others[others.method == best]
    e = stats.crossed_difference(
        rows_of(nn, "d_zero_shot"),
        nn.cluster,
        rows_of(ot, "d_zero_shot"),
        ot.cluster,
        share=True,
        seed=seed,
    )
    detail = (
        f"share beating zero-shot, v2v-nn {100 * nn.beats_zero_shot.mean():.1f}% minus {best} "
        f"{100 * ot.beats_zero_shot.mean():.1f}% (points)"
    )
    out.append(Finding("F5c", claim, paper, e, 1, detail))
    return out


def findings(
    comp: pd.DataFrame, table: pd.DataFrame, seed: int = 0, tolerance: float = 0.0225
) -> list[Finding]:
    """F1-F5 for the run (pooled over data sets and pairs; see the module docstring): the
    paper's recyclers, raw scores (recyclers beyond the paper and calibration: :mod:`.compare`)."""
    rec = pooled(comp)
    rec = rec[rec.method.isin(PAPER_METHODS)] if len(rec) else rec
    conv = convergence(table, tolerance)
    sources = set(rec.source) if len(rec) else set()
    conv = conv[conv.model.isin(sources)] if len(conv) else conv
    return [f1(rec, seed), *f2(rec, seed), f3(rec, conv), f4(rec), *f5(rec, seed)]


def findings_table(items: list[Finding]) -> pd.DataFrame:
    return pd.DataFrame([f.as_row() for f in items])
