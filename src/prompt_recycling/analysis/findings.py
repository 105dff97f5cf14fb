"""The paper's findings (``../shared/notes/paper.md`` §4), each on the paper's own measure and in
its direction, decided by a 95% interval over independent training runs.

Over trained recycled prompts of the paper's recyclers (steps > 0, raw scores, numerically
identical recycled prompts counted once); *share* = share of recycled prompts whose test
accuracy is above the target's zero-shot (the paper's "reliability"):

- F1 under the best setting (data set x pair x recycler x step x words) 88.9% of recycled
  prompts beat zero-shot: the best setting's share, over settings whose target has headroom
  (its re-tuned prompt beats zero-shot significantly), with a Clopper-Pearson interval
  Bonferroni-adjusted for picking the best of k settings; *reproduced* when it is above one
  half, *not reproduced* when it excludes 88.9%. The pooled mean gain is shown beside it;
- F2a recycled prompts beat random prompts (mean gain over them); F2b they lag behind prompts
  re-tuned on the target (re-tuned minus recycled, same seed and step);
- F3 reliability falls as the source prompt trains on *after convergence*: slope of the share
  per doubling of steps, over runs whose first recycled checkpoint is within 2.25% of the best
  validation accuracy the run reaches (the premise); otherwise "premise not met";
- F4 performance falls as more words fit the recycler: slope of the gain per doubling of words;
- F5a large→small beats same-size (share); F5b small→large beats zero-shot more often than
  same-size (share) but its mean accuracy is below random prompts (gain over random); F5c
  v2v-nn is the most reliable for same-size pairs, v2v-lin (= lin-comb) beats v2v-nn when the
  sizes differ.

Intervals: :mod:`prompt_recycling.analysis.clustered` (gains, shares and their differences), slopes
averaged within runs then a t interval across runs (:func:`stats.trend`). Verdicts
(:func:`stats.verdict`) are given unadjusted and Holm-adjusted over the testable findings.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from prompt_recycling import stats
from prompt_recycling.analysis import clustered
from prompt_recycling.analysis.comparisons import (
    PAPER_METHODS,
    gain,
    pooled,
    rows_of,
)
from prompt_recycling.analysis.rows import with_init
from prompt_recycling.analysis.runs import CONVERGENCE_TOLERANCE, convergence, headroom, run_id
from prompt_recycling.analysis.verdicts import Finding, with_holm

F1_CLAIM = 0.889  # the paper's best-setting share
F1_NULL = 0.5  # "most recycled prompts beat zero-shot"
SETTING = ["dataset", "source", "target", "method", "step", "vocab_size"]


def _runs(rec) -> str:
    return f"{rec.run.nunique()} runs ({rec.seed.nunique()} seeds), {len(rec)} prompts"


def f1(rec: pd.DataFrame, room: pd.DataFrame, seed: int) -> Finding:
    claim = "Under the best setting 88.9% of recycled prompts beat the target's zero-shot"
    measure = "share of the best setting's recycled prompts beating zero-shot"
    if rec.empty:
        return Finding("F1", claim, measure, None, 1, "", "no trained recycled prompt")
    ok = set(zip(room[room.headroom].dataset, room[room.headroom].model, strict=True))
    eligible = rec[[(d, t) in ok for d, t in zip(rec.dataset, rec.target, strict=True)]]
    pooled_gain = gain(rec, seed=seed)
    said = f"pooled mean gain over zero-shot {pooled_gain.format()} points ({_runs(rec)})"
    if eligible.empty:
        why = "no headroom: no target's re-tuned prompt beats its zero-shot significantly"
        return Finding("F1", claim, measure, None, 1, said, why, F1_NULL, F1_CLAIM)
    # one outcome per run and setting (a run's prompts in one setting, if several, averaged)
    per_run = eligible.groupby([*SETTING, "run"])[["beats_zero_shot", "gain_zero_shot"]].mean()
    cells = per_run.groupby(SETTING).agg(
        share=("beats_zero_shot", "mean"),
        n=("beats_zero_shot", "size"),
        k=("beats_zero_shot", "sum"),
        gain=("gain_zero_shot", "mean"),
    )
    ranked = cells.sort_values(["share", "gain"], ascending=False)
    best, key = ranked.iloc[0], dict(zip(SETTING, ranked.index[0], strict=True))
    k, n, m = int(round(best.k)), int(best.n), len(cells)
    low, high = stats.best_of_k_share(k, n, m)
    if high < F1_CLAIM:
        p = stats.best_of_k_p(k, n, m, F1_CLAIM, above=False)
    elif low > F1_NULL:
        p = stats.best_of_k_p(k, n, m, F1_NULL, above=True)
    else:
        p = min(
            stats.best_of_k_p(k, n, m, F1_NULL, True), stats.best_of_k_p(k, n, m, F1_CLAIM, False)
        )
    e = stats.Estimate(float(best.share), low, high, n, "runs", p)
    where = ", ".join(f"{c} {key[c]}" for c in SETTING)
    detail = (
        f"best of {m} settings with headroom ({where}): {k} of {n}; Clopper-Pearson, Bonferroni "
        f"over the {m} settings; reproduced above 50%, not reproduced below 88.9%; {said}"
    )
    return Finding("F1", claim, measure, e, 1, detail, null=F1_NULL, bound=F1_CLAIM)


def f2(rec: pd.DataFrame, seed: int) -> list[Finding]:
    out = []
    r = rec[rec.d_random.notna()]
    claim = "Recycled prompts beat randomly sampled prompts"
    measure = "mean gain over the mean of the random prompts (points)"
    if r.empty:
        out.append(Finding("F2a", claim, measure, None, 1, "", "no random-prompt baseline"))
    else:
        out.append(Finding("F2a", claim, measure, gain(r, "d_random", seed=seed), 1, _runs(r)))
    claim = "Recycled prompts lag behind prompts re-tuned on the target"
    measure = "re-tuned minus recycled accuracy, same seed and step (points)"
    r = rec[rec.d_re_tuned.notna()]
    if r.empty:
        out.append(Finding("F2b", claim, measure, None, 1, "", "no re-tuned prompt"))
    else:
        # a recycled prompt depends on its source run and on the target run it is compared
        # with (same seed and init): runs linked by a seed form one cluster
        linked = r.dataset + "|" + r.seed.astype(str) + ("|" + r.init).where(r.init != "", "")
        e = clustered.crossed_mean(rows_of(r, "d_re_tuned"), linked, seed=seed, strata=r.dataset)
        e = replace(e, unit="seeds (source and re-tuned runs linked)")
        out.append(Finding("F2b", claim, measure, e, 1, _runs(r)))
    return out


def _series(rec: pd.DataFrame) -> pd.Series:
    return rec.run + "→" + rec.target


def f3(rec: pd.DataFrame, conv: pd.DataFrame, tolerance: float) -> Finding:
    """``conv``: :func:`~prompt_recycling.analysis.runs.convergence` of the source runs."""
    claim = "Reliability falls as the source prompt trains on after converging"
    measure = "change in the share beating zero-shot per doubling of steps"
    if rec.step.nunique() < 2:
        return Finding("F3", claim, measure, None, -1, "", "fewer than two trained steps")
    at = rec[rec.vocab_size == rec.vocab_size.value_counts().idxmax()]  # the step sweep's size
    keys = [_series(at).rename("series"), "run", "dataset", "source", "seed", "step"]
    cell = at.groupby(keys).beats_zero_shot.mean().rename("share").reset_index()
    slope = stats.trend(cell.step, cell.share, cell.series, clusters=cell.run)
    described = f"all runs: {slope.format()} points per doubling ({slope.n} runs)"
    pre = conv
    if pre.empty:
        why = "no validation scores (evaluation.validation: false): convergence is not known"
        return Finding("F3", claim, measure, None, -1, described, why)
    if not pre.converged.any():
        unknown = int((~pre.trained_past).sum()) if len(pre) else 0
        why = (
            f"premise not met: no source run's first checkpoint (step {int(rec.step.min())}) is "
            f"within {100 * tolerance:.2f}% of the best validation accuracy the run reaches"
        )
        if unknown:
            why += f" ({unknown} of {len(pre)} runs not trained past their last recycled step)"
        return Finding("F3", claim, measure, None, -1, described, why)
    met = pre[pre.converged]
    ok = {run_id(*k) for k in zip(met.dataset, met.model, met.seed, met.init, strict=True)}
    c = cell[cell.run.isin(ok)]
    e = stats.trend(c.step, c.share, c.series, clusters=c.run)
    detail = (
        f"{int(pre.converged.sum())} of {len(pre)} source runs met the premise; steps "
        f"{sorted(int(v) for v in at.step.unique())} at {int(at.vocab_size.iat[0])} words; "
        f"{described}"
    )
    return Finding("F3", claim, measure, e, -1, detail)


def f4(rec: pd.DataFrame) -> Finding:
    claim = "Recycling performance declines as more (rarer) words fit the recycler"
    measure = "change in the gain over zero-shot per doubling of words (points)"
    last = rec[rec.step == rec.step.max()] if len(rec) else rec
    if last.vocab_size.nunique() < 2:
        return Finding("F4", claim, measure, None, -1, "", "fewer than two vocabulary sizes")
    cell = last.groupby([_series(last), "run", "vocab_size"]).gain_zero_shot.mean().reset_index()
    cell.columns = ["series", "run", "words", "gain"]
    e = stats.trend(cell.words, cell.gain, cell.series, clusters=cell.run)
    spread = last.groupby("vocab_size").gain_zero_shot.std()
    detail = (
        f"words {sorted(int(v) for v in last.vocab_size.unique())} at step "
        f"{int(last.step.max())}; spread of the gain (SD, points) "
        + ", ".join(f"{int(w)}: {100 * s:.1f}" for w, s in spread.items())
    )
    return Finding("F4", claim, measure, e, -1, detail)


def _share_diff(a, b, seed):
    da, db = rows_of(a, "d_zero_shot"), rows_of(b, "d_zero_shot")
    return clustered.crossed_difference(
        da, a.run, db, b.run, share=True, seed=seed, strata_a=a.dataset, strata_b=b.dataset
    )


def f5(rec: pd.DataFrame, seed: int) -> list[Finding]:
    rel = {k: g for k, g in rec.groupby("size_relation")}
    other = rec[rec.size_relation != "same-size"]

    def share_vs(a, b, fid, claim):
        measure = f"share beating zero-shot, {a} minus {b} (points)"
        if a not in rel or b not in rel:
            why = f"no {' or '.join(k for k in (a, b) if k not in rel)} pair in this run"
            return Finding(fid, claim, measure, None, 1, "", why)
        ga, gb = rel[a], rel[b]
        detail = (
            f"{100 * ga.beats_zero_shot.mean():.1f}% ({ga.run.nunique()} runs) minus "
            f"{100 * gb.beats_zero_shot.mean():.1f}% ({gb.run.nunique()} runs)"
        )
        return Finding(fid, claim, measure, _share_diff(ga, gb, seed), 1, detail)

    out = [
        share_vs("large->small", "same-size", "F5a", "Large→Base is more reliable than Base→Base"),
        share_vs(
            "small->large",
            "same-size",
            "F5b",
            "Base→Large beats zero-shot far more often than Base→Base",
        ),
    ]
    claim = "Base→Large is unstable: its mean accuracy is below random prompts"
    measure = "small→large mean gain over random prompts (points)"
    up = rel.get("small->large")
    if up is None or up.d_random.isna().all():
        out.append(Finding("F5b'", claim, measure, None, -1, "", "no small->large pair"))
    else:
        up = up[up.d_random.notna()]
        out.append(Finding("F5b'", claim, measure, gain(up, "d_random", seed=seed), -1, _runs(up)))
    claim = "v2v-nn is the best recycler for Base→Base"
    same = rel.get("same-size")
    if same is None or "v2v-nn" not in set(same.method) or same.method.nunique() < 2:
        out.append(Finding("F5c", claim, "", None, 1, "", "no same-size pair with v2v-nn"))
    else:
        rest = same[same.method != "v2v-nn"]
        best = rest.groupby("method").beats_zero_shot.mean().idxmax()
        nn, ot = same[same.method == "v2v-nn"], rest[rest.method == best]
        measure = f"same-size share beating zero-shot, v2v-nn minus the best other ({best})"
        detail = f"{100 * nn.beats_zero_shot.mean():.1f}% vs {100 * ot.beats_zero_shot.mean():.1f}%"
        out.append(Finding("F5c", claim, measure, _share_diff(nn, ot, seed), 1, detail))
    claim = "v2v-lin and lin-comb do well when source and target differ in size"
    measure = "share beating zero-shot across sizes, v2v-lin (= lin-comb) minus v2v-nn"
    lin, nn = other[other.method == "v2v-lin"], other[other.method == "v2v-nn"]
    if lin.empty or nn.empty:
        out.append(Finding("F5c'", claim, measure, None, 1, "", "no pair of different sizes"))
    else:
        detail = (
            f"{100 * lin.beats_zero_shot.mean():.1f}% vs {100 * nn.beats_zero_shot.mean():.1f}%"
        )
        out.append(Finding("F5c'", claim, measure, _share_diff(lin, nn, seed), 1, detail))
    return out


def findings(
    comp: pd.DataFrame,
    table: pd.DataFrame,
    seed: int = 0,
    tolerance: float = CONVERGENCE_TOLERANCE,
) -> list[Finding]:
    """F1-F5 for the run (see the module docstring): the paper's recyclers, raw scores. On an
    init axis with several inits: F1-F5 over every init's runs (``pooled``), then per init
    (its runs, its random prompts; zero-shot is shared), each set Holm-adjusted on its own."""
    found = _family(comp, table, seed, tolerance)
    inits = sorted(set(comp.init) - {""}) if len(comp) and "init" in comp else []
    if len(inits) < 2:
        return found
    found = [replace(f, init="pooled") for f in found]
    table = with_init(table)
    for init in inits:
        sub = table[table.init.isin([init, ""])]
        found += [
            replace(f, init=init) for f in _family(comp[comp.init == init], sub, seed, tolerance)
        ]
    return found


def _family(comp, table, seed: int, tolerance: float) -> list[Finding]:
    rec = pooled(comp)
    rec = rec[rec.method.isin(PAPER_METHODS)] if len(rec) else rec
    conv = convergence(table, tolerance)
    sources = set(rec.source) if len(rec) else set()
    conv = conv[conv.model.isin(sources)] if len(conv) else conv
    found = [f1(rec, headroom(table, seed), seed), *f2(rec, seed)]
    found += [f3(rec, conv, tolerance), f4(rec), *f5(rec, seed)]
    return with_holm(found)
