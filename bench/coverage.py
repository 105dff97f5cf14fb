"""How often does a 95% interval of the report cover the truth?

Simulated grids with a known truth (:mod:`prompt_recycling.analysis.coverage`: run-, checkpoint-,
item- and example-level noise at the default grid's magnitudes), null and non-null effects,
6 to 30 independent training runs. For each setting, ``--grids`` grids are drawn and every
estimand's interval is computed by

- ``landed``: the statistics of an earlier commit (default 0d00d93, before this bench),
  clustering by *source prompt* (data set, source, seed, step) as that code did, with its
  percentile crossed bootstrap (``--landed-resamples`` resamples);
- ``new``: this checkout's :mod:`prompt_recycling.stats`, clustering by *training run*
  (cluster-robust t on Satterthwaite degrees of freedom, shares floored by Wilson over runs).

Estimands: ``mean`` gain over zero-shot, ``share`` of prompts beating zero-shot, and their
differences between two halves of the runs (``mean_diff``, ``share_diff``: the F5 contrasts).

    python bench/coverage.py [--grids 1000] [--landed-runs 6]
    python bench/coverage.py --two-sets 150 --runs 10 --grids 500

Writes ``bench/results/coverage.csv`` and ``coverage.md``. ``--two-sets N``: the second half of
the runs is scored on a test set of its own of N examples (a second data set, as RT's 1,041 and
IMDB's 150 in cpu-full), the new code only; writes ``coverage_two_sets.csv`` / ``.md``.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from prompt_recycling.analysis import clustered
from prompt_recycling.analysis.coverage import Setting, coverage

ESTIMANDS = ("mean", "share", "mean_diff", "share_diff")


def landed_stats(commit: str):
    """The ``stats`` module as it was at ``commit`` (imported from ``git show``)."""
    root = Path(__file__).resolve().parents[1]
    text = subprocess.run(
        ["git", "show", f"{commit}:src/prompt_recycling/stats.py"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "stats_landed.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("stats_landed", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["stats_landed"] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--grids", type=int, default=1000)
    ap.add_argument("--runs", type=int, nargs="+", default=[6, 12, 30])
    ap.add_argument("--landed", default="0d00d93")
    ap.add_argument("--landed-runs", type=int, nargs="*", default=[6])
    ap.add_argument("--landed-resamples", type=int, default=500)
    ap.add_argument("--two-sets", type=int, default=0, metavar="N")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "coverage")
    args = ap.parse_args()
    if args.two_sets:
        args.landed_runs = []
        args.out = args.out.with_name(args.out.name + "_two_sets")
    old = landed_stats(args.landed)
    effects = {"null": dict(mu=0.0, delta=0.0), "effect": dict(mu=0.2, delta=0.3)}
    rows = []
    for runs in args.runs:
        for effect, kw in effects.items():
            s = Setting(runs=runs, examples_b=args.two_sets, **kw)
            coders = [("new", clustered, dict(clusters="run"))]
            if runs in args.landed_runs:
                kw_old = dict(clusters="prompt", n_resamples=args.landed_resamples)
                coders.append((f"landed {args.landed}", old, kw_old))
            for code, module, ckw in coders:
                t0 = time.time()
                res = coverage(s, module, args.grids, seed=runs, **ckw)
                for k in ESTIMANDS:
                    rows.append(
                        {
                            "code": code,
                            "runs": runs,
                            "effect": effect,
                            "estimand": k,
                            "grids": args.grids,
                            "coverage": res[k],
                            "mean_width": res[f"{k}_width"],
                            "truth": res[f"{k}_truth"],
                        }
                    )
                print(
                    f"{code:>16} runs={runs:>2} {effect:>6}: "
                    + ", ".join(f"{k} {100 * res[k]:.1f}%" for k in ESTIMANDS)
                    + f"  ({time.time() - t0:.0f} s)",
                    flush=True,
                )
    table = pd.DataFrame(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out.with_suffix(".csv"), index=False)
    wide = table.pivot_table(
        index=["code", "runs", "effect"], columns="estimand", values="coverage"
    ).reset_index()
    wide = wide[["code", "runs", "effect", *ESTIMANDS]]
    for k in ESTIMANDS:
        wide[k] = (100 * wide[k]).map("{:.1f}%".format)
    s = Setting()
    two = f" --two-sets {args.two_sets} --runs {' '.join(map(str, args.runs))}"
    examples = (
        f"{s.examples} test examples for the first half of the runs, {args.two_sets} others "
        f"for the second (two data sets)"
        if args.two_sets
        else f"{s.examples} test examples"
    )
    head = (
        f"# Coverage of the report's 95% intervals\n\n`python bench/coverage.py --grids "
        f"{args.grids}{two if args.two_sets else ''}`: {args.grids} simulated grids per row; "
        f"each run gives {s.steps} checkpoints x {s.items} recyclers x word counts, {examples}; "
        f"noise (logit scale) run {s.run_sd}, checkpoint {s.step_sd}, item {s.item_sd}; effect: "
        f"mu {effects['effect']['mu']}, half difference {effects['effect']['delta']}. "
        f"Binomial standard error of a coverage near 95% over {args.grids} grids: "
        f"{100 * (0.95 * 0.05 / args.grids) ** 0.5:.1f} points.\n\n"
    )
    args.out.with_suffix(".md").write_text(head + wide.to_markdown(index=False) + "\n")
    print(wide.to_markdown(index=False))


if __name__ == "__main__":
    main()
