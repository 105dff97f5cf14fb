"""How long `snakemake -n` takes to build the DAG of config/paper.yaml, and of a grid with
about ten times as many jobs (30 seeds instead of 3), measured in the same run.

    python bench/bench_dryrun.py
"""

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def dry_run(config: Path, workdir: str) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "-n",
            "-s",
            str(ROOT / "Snakefile"),
            "--configfile",
            str(config),
        ],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed = time.perf_counter() - start
    total = int(re.search(r"^total\s+(\d+)", done.stdout, re.M).group(1))
    return elapsed, total


def main():
    paper = ROOT / "config/paper.yaml"
    config = yaml.safe_load(paper.read_text())
    config["grid"]["seeds"] = 30
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "paper-x10.yaml"
        big.write_text(yaml.safe_dump(config))
        t1, n1 = dry_run(paper, tmp)
        t10, n10 = dry_run(big, tmp)
    print(f"paper grid:   {n1:6d} jobs, dry-run {t1:6.2f} s")
    print(
        f"30-seed grid: {n10:6d} jobs, dry-run {t10:6.2f} s "
        f"({n10 / n1:.1f}x the jobs, {t10 / t1:.2f}x the time)"
    )


if __name__ == "__main__":
    main()
