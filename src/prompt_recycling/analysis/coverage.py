"""Grids with a known truth, to measure how often an interval covers it.

A simulated grid has ``runs`` independent training runs; each run gives prompts at ``steps``
checkpoints, each recycled with ``items`` recyclers x word counts; every prompt and the
target's zero-shot are scored on the same ``examples`` test examples. Correctness is drawn on
the logit scale, so that easy examples are easy for every condition (the paired structure of
the real grid):

    zero-shot:  z_j  ~ Bernoulli(sigmoid(a_j)),                 a_j ~ N(EASE, EXAMPLE_SD)
    prompt i:   c_ij ~ Bernoulli(sigmoid(a_j + mu + r + k + e)), r run, k checkpoint, e item

with r ~ N(0, run_sd), k ~ N(0, step_sd), e ~ N(0, item_sd). The defaults are the magnitudes
the default grid shows (about 4 accuracy points between runs' mean gains, 2 between
checkpoints of one run, 1 between recyclers and word counts; zero-shot about 66%; 1,041 test
examples). ``examples_b`` > 0 scores the second half of the runs on a test set of its own, of
that size (a second data set: its examples share nothing with the first's). ``groups`` = 2
splits the runs into halves whose effects differ by ``delta`` (the F5 contrasts: two size
relations, distinct source runs).

The truth is the population value: over new runs, new checkpoints and a new test set of the
same size, computed once per setting by Monte Carlo (:func:`truth`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EASE = 0.9  # mean logit of an example: zero-shot about 66% correct
EXAMPLE_SD = 2.0  # examples range from hard to easy


@dataclass(frozen=True)
class Setting:
    runs: int = 6
    steps: int = 3
    items: int = 4  # recyclers x word counts per checkpoint
    examples: int = 1041
    mu: float = 0.0  # logit shift of every recycled prompt (0: no effect)
    delta: float = 0.0  # extra shift of the second half of the runs
    run_sd: float = 0.25
    step_sd: float = 0.12
    item_sd: float = 0.06
    examples_b: int = 0  # > 0: the second half of the runs on a test set of its own


@dataclass
class Grid:
    rows: np.ndarray  # (prompts, examples): correct(prompt) - correct(zero-shot)
    run: np.ndarray  # (prompts,) run id: the independent unit
    prompt: np.ndarray  # (prompts,) run|step id: a source prompt (a checkpoint of a run)
    half: np.ndarray  # (prompts,) 0/1: which group of runs (for differences)
    strata: np.ndarray | None = None  # (prompts,) each prompt's test set, when two


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _offsets(s: Setting, rng, runs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per prompt: logit offset, run index, step index ((runs*steps*items,) each)."""
    r = rng.normal(0, s.run_sd, runs)
    r[runs // 2 :] += s.delta
    k = rng.normal(0, s.step_sd, (runs, s.steps))
    e = rng.normal(0, s.item_sd, (runs, s.steps, s.items))
    off = s.mu + r[:, None, None] + k[:, :, None] + e  # (runs, steps, items)
    run = np.broadcast_to(np.arange(runs)[:, None, None], off.shape)
    step = np.broadcast_to(np.arange(s.steps)[None, :, None], off.shape)
    return off.ravel(), run.ravel(), step.ravel()


def simulate(s: Setting, rng) -> Grid:
    """One grid of ``s``'s shape."""
    a = rng.normal(EASE, EXAMPLE_SD, s.examples)  # (examples,)
    z = rng.random(s.examples) < _sigmoid(a)
    off, run, step = _offsets(s, rng, s.runs)
    prompt = np.char.add(np.char.add(run.astype(str), "|"), step.astype(str))
    half = (run >= s.runs // 2).astype(int)
    if s.examples_b:
        rows = _two_sets(s, rng, a, z, off, half.astype(bool))
        return Grid(rows, run.astype(str), prompt, half, np.where(half, "b", "a"))
    c = rng.random((len(off), s.examples)) < _sigmoid(a[None, :] + off[:, None])
    rows = c.astype(np.float32) - z.astype(np.float32)  # (prompts, examples)
    return Grid(rows, run.astype(str), prompt, half)


def _two_sets(s: Setting, rng, a, z, off, second) -> list[np.ndarray]:
    """Per prompt, correct - zero-shot on its half's own test set (the second: fresh)."""
    a_b = rng.normal(EASE, EXAMPLE_SD, s.examples_b)
    z_b = rng.random(s.examples_b) < _sigmoid(a_b)
    rows = []
    for o, b in zip(off, second, strict=True):
        ease, zero = (a_b, z_b) if b else (a, z)
        c = rng.random(len(ease)) < _sigmoid(ease + o)
        rows.append(c.astype(np.float32) - zero.astype(np.float32))
    return rows


def truth(s: Setting, rng, draws: int = 100000) -> dict[str, float]:
    """Population mean gain, share of prompts above zero-shot, and (halves) their
    differences: second half minus first."""
    out: dict[str, list[float]] = {"mean": [], "share": []}
    by_half: dict[int, dict[str, list[float]]] = {0: {"m": [], "s": []}, 1: {"m": [], "s": []}}
    batch = 200  # prompts scored on one fresh test set
    for _ in range(max(draws // batch, 1)):
        a = rng.normal(EASE, EXAMPLE_SD, s.examples)
        z = rng.random(s.examples) < _sigmoid(a)
        runs = max(2 * (batch // (2 * s.steps * s.items)), 2)  # even: equal halves
        off, run, _ = _offsets(s, rng, runs)
        half = run >= runs // 2
        if s.examples_b:
            m = np.array([r.mean() for r in _two_sets(s, rng, a, z, off, half)])
        else:
            c = rng.random((len(off), s.examples)) < _sigmoid(a[None, :] + off[:, None])
            m = c.mean(1) - z.mean()
        out["mean"].append(m.mean())
        out["share"].append((m > 0).mean())
        for h in (0, 1):
            sel = half == bool(h)
            by_half[h]["m"].append(m[sel].mean())
            by_half[h]["s"].append((m[sel] > 0).mean())
    result = {k: float(np.mean(v)) for k, v in out.items()}
    result["mean_diff"] = float(np.mean(by_half[1]["m"]) - np.mean(by_half[0]["m"]))
    result["share_diff"] = float(np.mean(by_half[1]["s"]) - np.mean(by_half[0]["s"]))
    return result


def estimates(grid: Grid, module, clusters: str = "run", n_resamples: int = 500) -> dict:
    """Each estimand's interval by ``module``'s ``crossed_mean`` / ``crossed_difference``
    (this package's :mod:`prompt_recycling.stats`, or an earlier version of it), clustering
    by ``run`` or by ``prompt`` (checkpoints as if independent)."""
    cl = getattr(grid, clusters)
    a, b = grid.half == 1, grid.half == 0
    out = {}
    one = {} if grid.strata is None else {"strata": grid.strata}

    def part(mask):  # two test sets: the interval knows which prompts share their examples
        if grid.strata is None:
            return grid.rows[mask], {}
        return [r for r, m in zip(grid.rows, mask, strict=True) if m], {"strata": grid.strata[mask]}

    (rows_a, st_a), (rows_b, st_b) = part(a), part(b)
    both = {f"{k}_a": v for k, v in st_a.items()} | {f"{k}_b": v for k, v in st_b.items()}
    for name, share in (("mean", False), ("share", True)):
        e = module.crossed_mean(grid.rows, cl, share=share, n_resamples=n_resamples, **one)
        out[name] = (e.low, e.high)
        d = module.crossed_difference(
            rows_a, cl[a], rows_b, cl[b], share=share, n_resamples=n_resamples, **both
        )
        out[f"{name}_diff"] = (d.low, d.high)
    return out


def coverage(s: Setting, module, grids: int, seed: int = 0, **kw) -> dict[str, float]:
    """Share of ``grids`` simulated grids whose 95% interval covers the truth, per estimand;
    also the mean interval width."""
    rng = np.random.default_rng(seed)
    true = truth(s, np.random.default_rng(seed + 10**6))
    hits: dict[str, list[bool]] = {k: [] for k in true}
    widths: dict[str, list[float]] = {k: [] for k in true}
    for _ in range(grids):
        for k, (low, high) in estimates(simulate(s, rng), module, **kw).items():
            hits[k].append(bool(low <= true[k] <= high))
            widths[k].append(high - low)
    return {
        **{k: float(np.mean(v)) for k, v in hits.items()},
        **{f"{k}_width": float(np.nanmean(v)) for k, v in widths.items()},
        **{f"{k}_truth": v for k, v in true.items()},
    }
