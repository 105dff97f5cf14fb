"""Does bf16 evaluation change a conclusion of the default grid? fp32 against bf16, run for run.

Runs the grid of a config twice, side by side (runs ``<run>-fp32`` and ``<run>-bf16``, sharing
the fetched models, prepared data and fitted recyclers), with ``evaluation.bf16`` false and
true; training is the config's in both, so both score the same prompts. Then compares:

- every finding (``tables/findings.csv``): the verdict (and after Holm), the estimate, and the
  estimate's move against the fp32 interval's half-width;
- every reliability cell (``tables/reliability.csv``): each numeric column's largest move;
- the job seconds per rule (``benchmarks/<run>/``), fp32 / bf16.

bf16 passes when every verdict agrees and every estimate moves by less than a quarter of its
fp32 interval's half-width. Writes ``bench/results/bf16_conclusions.{md,csv,json}`` (the
json: the runs' wall seconds, read again by ``--no-run``).

    python bench/bf16_conclusions.py [--configfile config/config.yaml] [--cores 2]
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
import yaml

ROOT = Path(__file__).resolve().parents[1]
QUARTER = 0.25  # of the fp32 interval's half-width


def run_grid(config: dict, run: str, precision: bool, cores: int) -> float:
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
    keys = [c for c in ("dataset", "source", "target", "recycler") if c in fp32]
    both = fp32.merge(bf16, on=keys, suffixes=("_fp32", "_bf16"))
    numeric = [c for c in fp32.select_dtypes("number").columns if c not in keys]
    moves = {c: (both[f"{c}_bf16"] - both[f"{c}_fp32"]).abs().max() for c in numeric}
    return pd.DataFrame({"column": list(moves), "largest_move": list(moves.values())})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configfile", default="config/config.yaml")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument(
        "--no-run", action="store_true", help="compare the last runs' tables again, not rerun"
    )
    args = parser.parse_args()
    config = yaml.safe_load((ROOT / args.configfile).read_text())
    base = config.get("run", "default")
    out = ROOT / "bench" / "results"
    if args.no_run:
        walls = json.loads((out / "bf16_conclusions.json").read_text())
    else:
        walls = {}
        for name, flag in (("fp32", False), ("bf16", True)):
            walls[name] = run_grid(config, f"{base}-{name}", flag, args.cores)
        (out / "bf16_conclusions.json").write_text(json.dumps(walls) + "\n")
    tables = {n: ROOT / "results" / f"{base}-{n}" / "tables" for n in ("fp32", "bf16")}
    findings = compare_findings(
        pd.read_csv(tables["fp32"] / "findings.csv"), pd.read_csv(tables["bf16"] / "findings.csv")
    )
    reliability = compare_reliability(
        pd.read_csv(tables["fp32"] / "reliability.csv"),
        pd.read_csv(tables["bf16"] / "reliability.csv"),
    )
    seconds = pd.DataFrame({n: job_seconds(f"{base}-{n}") for n in ("fp32", "bf16")})
    seconds["fp32/bf16"] = seconds.fp32 / seconds.bf16
    verdict = "bf16 passes" if bool(findings.passes.all()) else "bf16 fails"
    findings.to_csv(out / "bf16_conclusions.csv", index=False)
    text = [
        f"# fp32 against bf16 evaluation: {args.configfile}, {args.cores} cores\n",
        f"**{verdict}**: every verdict must agree and every estimate move by less than "
        f"{QUARTER} of its fp32 interval's half-width.\n",
        f"Wall time: fp32 {walls['fp32']:.0f} s, bf16 {walls['bf16']:.0f} s (training and "
        "fetching included in the first: the second reuses the fetched models and data).\n",
        "## Findings\n",
        findings.to_markdown(index=False, floatfmt=".4g"),
        "\n## Reliability cells: largest move per column\n",
        reliability.to_markdown(index=False, floatfmt=".4g"),
        "\n## Job seconds per rule (wall time of each job, one thread per job)\n",
        "Rules of the shared resources (fetching, preparing, fitting) ran in the first run only.\n",
        seconds.to_markdown(floatfmt=".1f"),
        "",
    ]
    (out / "bf16_conclusions.md").write_text("\n".join(text))
    print("\n".join(text))


if __name__ == "__main__":
    main()
