"""Does bf16 evaluation change a conclusion of the default grid? fp32 against bf16, run for run.

Runs the grid of a config twice, side by side (runs ``<run>-fp32`` and ``<run>-<mode>``,
sharing the fetched models, prepared data and fitted recyclers), with ``evaluation.bf16`` false
and ``--mode``: ``bf16`` (bf16 autocast) or ``checked`` (bf16 screen, fp32 decisions);
training is the config's in both, so both score the same prompts. Then compares:

- every prediction (``tables/evaluations.csv``): how many of the same examples, in the same
  evaluation, the two predict differently, per condition;
- every finding (``tables/findings.csv``): the verdict (and after Holm), the estimate, and the
  estimate's move against the fp32 interval's half-width;
- every reliability cell (``tables/reliability.csv``): each numeric column's largest move;
- the job seconds per rule (``benchmarks/<run>/``), fp32 / the mode.

The mode passes when every verdict agrees and every estimate moves by less than a quarter of
its fp32 interval's half-width. Writes ``bench/results/<mode>_conclusions.{md,csv,json}``
(``bf16_conclusions``, ``checked_conclusions``; the json: the runs' wall seconds, read again by
``--no-run``). ``--keep-fp32`` compares with the fp32 run already on disk instead of running it.

    python bench/bf16_conclusions.py [--configfile config/config.yaml] [--mode checked]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch
import yaml

from prompt_recycling.device import cpu_kind, native_bf16

ROOT = Path(__file__).resolve().parents[1]
QUARTER = 0.25  # of the fp32 interval's half-width


MODES = {"fp32": False, "bf16": True, "checked": "checked"}  # evaluation.bf16 of each run
KEYS = ["dataset", "condition", "split", "model", "source", "method", "calibrated"]
KEYS += ["vocab_size", "word_offset", "step", "seed", "random_index"]  # one evaluation


def run_grid(config: dict, run: str, precision: bool | str, cores: int) -> float:
    """Run the grid as ``run`` with ``evaluation.bf16 = precision``; its wall seconds."""
    config = {**config, "run": run}
    config["evaluation"] = {**(config.get("evaluation") or {}), "bf16": precision}
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        yaml.safe_dump(config, f)
    start = time.perf_counter()
    args = [sys.executable, "-m", "snakemake", "--profile", "profiles/local", "--cores"]
    args += [str(cores), "--configfile", f.name, "--replace-workflow-config"]
    subprocess.run(args, cwd=ROOT, check=True)
    return time.perf_counter() - start


def job_seconds(run: str) -> pd.Series:
    """Job seconds per rule of ``run``: the wall time of each job (its Snakemake benchmark
    file's ``s``), one thread per job. The files' ``cpu_time`` is sampled by Snakemake and, on
    jobs of seconds, ranges from a third of the job's time to nearly all of it."""
    rows = []
    for tsv in (ROOT / "benchmarks" / run).glob("*/**/*.tsv"):
        rule = tsv.relative_to(ROOT / "benchmarks" / run).parts[0]
        rows.append((rule, float(pd.read_csv(tsv, sep="\t")["s"].iloc[-1])))
    return pd.DataFrame(rows, columns=["rule", "s"]).groupby("rule")["s"].sum()


def compare_predictions(fp32: pd.DataFrame, other: pd.DataFrame) -> pd.DataFrame:
    """Per condition: evaluations and predictions compared, and how many predictions differ."""
    both = fp32.merge(other, on=KEYS, suffixes=("_fp32", "_other"), validate="one_to_one")
    if len(both) != len(fp32) or len(both) != len(other):
        raise SystemExit(f"the runs hold other evaluations: {len(fp32)}, {len(other)}, {len(both)}")
    a, b = both.predictions_fp32.astype(str), both.predictions_other.astype(str)
    both["predictions"] = a.str.len()
    pairs = zip(a, b, strict=True)
    both["differ"] = [sum(x != y for x, y in zip(p, q, strict=True)) for p, q in pairs]
    table = both.groupby("condition").agg(
        evaluations=("differ", "size"), predictions=("predictions", "sum"), differ=("differ", "sum")
    )
    table.loc["all"] = table.sum()
    return table.reset_index()


def compare_findings(fp32: pd.DataFrame, bf16: pd.DataFrame) -> pd.DataFrame:
    both = fp32.merge(bf16, on="finding", suffixes=("_fp32", "_bf16"))
    half = (both.high_fp32 - both.low_fp32) / 2
    untestable = both.estimate_fp32.isna() & both.estimate_bf16.isna()
    both["move"] = (both.estimate_bf16 - both.estimate_fp32).abs().where(~untestable, 0.0)
    both["move_of_half_width"] = both.move / half.where(half > 0)
    both["verdicts_agree"] = (both.verdict_fp32 == both.verdict_bf16) & (
        both.verdict_holm_fp32 == both.verdict_holm_bf16
    )
    small = (both.move_of_half_width < QUARTER) | ((half.fillna(0) <= 0) & (both.move == 0))
    both["passes"] = both.verdicts_agree & small
    keep = ["finding", "n_fp32", "estimate_fp32", "estimate_bf16", "low_fp32", "high_fp32"]
    keep += ["move_of_half_width", "verdict_fp32", "verdict_bf16", "verdict_holm_fp32"]
    return both[keep + ["verdict_holm_bf16", "verdicts_agree", "passes"]]


def compare_reliability(fp32: pd.DataFrame, bf16: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in ("dataset", "source", "target", "recycler", "calibrated") if c in fp32]
    both = fp32.merge(bf16, on=keys, suffixes=("_fp32", "_bf16"))
    numeric = [c for c in fp32.select_dtypes("number").columns if c not in keys]
    moves = {c: (both[f"{c}_bf16"] - both[f"{c}_fp32"]).abs().max() for c in numeric}
    return pd.DataFrame({"column": list(moves), "largest_move": list(moves.values())})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configfile", default="config/config.yaml")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--mode", choices=["bf16", "checked"], default="checked")
    parser.add_argument(
        "--no-run", action="store_true", help="compare the last runs' tables again, not rerun"
    )
    parser.add_argument(
        "--keep-fp32", action="store_true", help="compare with the fp32 run on disk, not rerun"
    )
    args = parser.parse_args()
    config = yaml.safe_load((ROOT / args.configfile).read_text())
    base, mode = config.get("run", "default"), args.mode
    out = ROOT / "bench" / "results"
    walls_file = out / f"{mode}_conclusions.json"
    if args.no_run:
        walls = json.loads(walls_file.read_text())
    else:
        walls = {}
        for name in ("fp32", mode):
            if name == "fp32" and args.keep_fp32:
                walls[name] = None
                continue
            walls[name] = run_grid(config, f"{base}-{name}", MODES[name], args.cores)
        walls_file.write_text(json.dumps(walls) + "\n")
    tables = {n: ROOT / "results" / f"{base}-{n}" / "tables" for n in ("fp32", mode)}

    def read(name, table):
        return pd.read_csv(tables[name] / table, dtype={"predictions": str})

    predictions = compare_predictions(
        read("fp32", "evaluations.csv"), read(mode, "evaluations.csv")
    )
    findings = compare_findings(read("fp32", "findings.csv"), read(mode, "findings.csv"))
    reliability = compare_reliability(
        read("fp32", "reliability.csv"), read(mode, "reliability.csv")
    )
    seconds = pd.DataFrame({n: job_seconds(f"{base}-{n}") for n in ("fp32", mode)})
    seconds[f"fp32/{mode}"] = seconds.fp32 / seconds[mode]
    verdict = f"{mode} passes" if bool(findings.passes.all()) else f"{mode} fails"
    findings.to_csv(out / f"{mode}_conclusions.csv", index=False)
    native = native_bf16(torch.device("cpu"))
    wall = ", ".join(f"{n} {w:.0f} s" for n, w in walls.items() if w is not None)
    text = [
        f"# fp32 against {mode} evaluation: {args.configfile}, {args.cores} cores\n",
        f"CPU: {cpu_kind()} (native bf16: {'yes' if native else 'no'}).\n",
        f"**{verdict}**: every verdict must agree and every estimate move by less than "
        f"{QUARTER} of its fp32 interval's half-width.\n",
        f"Wall time: {wall} (training and fetching included in the first run: a later one "
        "reuses the fetched models, data and trained prompts).\n",
        "## Predictions that differ from fp32's (same examples, same evaluation)\n",
        predictions.to_markdown(index=False),
        "\n## Findings\n",
        findings.to_markdown(index=False, floatfmt=".4g").replace("bf16", mode),
        "\n## Reliability cells: largest move per column\n",
        reliability.to_markdown(index=False, floatfmt=".4g"),
        "\n## Job seconds per rule (wall time of each job, one thread per job)\n",
        "Rules of the shared resources (fetching, preparing, fitting) ran in the first run only.\n",
        seconds.to_markdown(floatfmt=".1f"),
        "",
    ]
    (out / f"{mode}_conclusions.md").write_text("\n".join(text))
    print("\n".join(text))


if __name__ == "__main__":
    main()
