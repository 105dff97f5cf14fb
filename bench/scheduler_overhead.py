"""CPU time of Snakemake's own process on the tiny grid, with Snakemake's default job-rate
limit (100/1s: the scheduler re-runs every second once per job event it has seen while jobs
waited) and with 1000/60s (a re-run a minute), measured in the same run. The profiles keep
the default: the longer timespan saves CPU but can stall the scheduler (README).

    python bench/scheduler_overhead.py

Prints, per setting, the main process's CPU seconds (user + sys, from /proc while it runs),
its largest thread count and the wall time, then the ratio of CPU seconds.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from tinygrid import make_tiny_grid  # noqa: E402


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def run(root: Path, config: Path, rate: str) -> tuple[float, int, float]:
    work = root / rate.replace("/", "-")
    work.mkdir()
    args = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile")]
    args += ["--configfile", str(config), "--profile", str(ROOT / "profiles/local")]
    args += ["--max-jobs-per-timespan", rate]
    t0 = time.time()
    proc = subprocess.Popen(args, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cpu, threads = 0.0, 0
    while proc.poll() is None:
        try:
            cpu = cpu_seconds(proc.pid)
            threads = max(threads, len(list(Path(f"/proc/{proc.pid}/task").iterdir())))
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.5)
    if proc.wait() != 0:
        sys.exit(f"snakemake failed with --max-jobs-per-timespan {rate} (in {work})")
    return cpu, threads, time.time() - t0


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = make_tiny_grid(root)
        results = {rate: run(root, config, rate) for rate in ("100/1s", "1000/60s")}
    for rate, (cpu, threads, wall) in results.items():
        print(f"{rate:>9}: Snakemake {cpu:5.1f} CPU s, {threads} threads, {wall:5.1f} s wall")
    ratio = results["100/1s"][0] / max(results["1000/60s"][0], 0.01)
    print(f"CPU of Snakemake's own process, 100/1s over 1000/60s: {ratio:.2f}x")


if __name__ == "__main__":
    main()
