"""Share of the grid's job time that is overhead, from a finished run's logs and benchmarks.

Every job logs "timing: start-up A s, job B s" (A: interpreter start, Snakemake's script
preamble and the package/torch imports; B: the rest) and model-loading jobs log
"timing: model load C s". Overhead = A + C; per-rule wall times come from benchmarks/*.tsv.

    python bench/job_overhead.py [WORKDIR]
"""

import re
import sys
from collections import defaultdict
from pathlib import Path

import pandas as pd


def main():
    work = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    startup = load = total = 0.0
    jobs = 0
    for log in (work / "logs").rglob("*.log"):
        text = log.read_text(errors="replace")
        m = re.search(r"timing: start-up ([\d.]+) s, job ([\d.]+) s", text)
        if not m:
            continue
        jobs += 1
        startup += float(m.group(1))
        total += float(m.group(1)) + float(m.group(2))
        load += sum(float(x) for x in re.findall(r"timing: model load ([\d.]+) s", text))
    if not jobs:
        sys.exit(f"no job logs with timing lines under {work / 'logs'}")
    print(
        f"{jobs} jobs, {total:.0f} job-seconds: start-up {startup:.0f} s "
        f"({100 * startup / total:.1f}%), model loading {load:.0f} s "
        f"({100 * load / total:.1f}%) -> overhead {100 * (startup + load) / total:.1f}%"
    )
    per_rule = defaultdict(list)
    for tsv in (work / "benchmarks").rglob("*.tsv"):
        rule = tsv.relative_to(work / "benchmarks").parts[0]
        per_rule[rule].append(float(pd.read_csv(tsv, sep="\t")["s"].iloc[0]))
    print(f"{'rule':20s} {'jobs':>5s} {'total s':>9s} {'mean s':>8s}")
    for rule, secs in sorted(per_rule.items(), key=lambda kv: -sum(kv[1])):
        print(f"{rule:20s} {len(secs):5d} {sum(secs):9.1f} {sum(secs) / len(secs):8.1f}")


if __name__ == "__main__":
    main()
