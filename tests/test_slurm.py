"""The tiny grid through a real SLURM cluster (scripts/slurm-local.sh), then kill and resume.

Skipped only where SLURM cannot run: not root, or no apt-get to install it. A hang fails the
test (every wait has a timeout) instead of stalling CI.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import yaml

from prompt_recycling.grid import Grid
from prompt_recycling.tiny import make_tiny_grid

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "profiles/slurm-local"


def _cluster_ready() -> str | None:
    """Start the local cluster (idempotent); return why it cannot run, or None."""
    if os.geteuid() != 0:
        return "SLURM test needs root (to install and start the daemons)"
    if shutil.which("sinfo") is None and shutil.which("apt-get") is None:
        return "SLURM is not installed and apt-get is not available to install it"
    done = subprocess.run(
        ["bash", str(ROOT / "scripts/slurm-local.sh"), "start"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        pytest.fail(f"could not start the local SLURM cluster:\n{done.stdout}\n{done.stderr}")
    return None


@pytest.fixture(scope="module")
def cluster():
    reason = _cluster_ready()
    if reason:
        print(f"skipping SLURM test: {reason}")
        pytest.skip(reason)
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        pytest.fail("snakemake-executor-plugin-slurm is missing: pip install -e '.[dev]'")


def sacct_jobs(since: str) -> list[dict]:
    out = subprocess.run(
        ["sacct", "-X", "-n", "-P", "-S", since, "-o", "JobID,State,Comment"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    return [
        dict(zip(("id", "state", "comment"), line.split("|"), strict=True))
        for line in out.splitlines()
        if line
    ]


def snakemake_args(config, *extra) -> list[str]:
    return [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(ROOT / "Snakefile"),
        "--configfile",
        str(config),
        "--profile",
        str(PROFILE),
        *extra,
    ]


def snakemake(work, config, *extra, timeout=900):
    return subprocess.run(
        snakemake_args(config, *extra), cwd=work, capture_output=True, text=True, timeout=timeout
    )


def test_tiny_grid_through_slurm_with_kill_and_resume(cluster, tmp_path):
    config = make_tiny_grid(tmp_path)
    work = tmp_path / "run"
    work.mkdir()
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(time.time() - 2))
    t0 = time.time()
    proc = subprocess.Popen(
        snakemake_args(config),
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    # kill snakemake once a few jobs have completed in SLURM
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if sum(j["state"] == "COMPLETED" for j in sacct_jobs(since)) >= 4:
            break
        time.sleep(1)
    assert proc.poll() is None, "the grid finished (or failed) before the kill"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    subprocess.run(["scancel", "-u", "root"], check=True)  # orphans would race the rerun
    time.sleep(2)
    completed = {j["comment"] for j in sacct_jobs(since) if j["state"] == "COMPLETED"}
    # outputs of jobs that SLURM saw complete before the kill must not be made again
    prefix = "rule_fetch_model_wildcards_"
    finished = sorted(
        work / "resources/models" / f"{c.removeprefix(prefix)}.json"
        for c in completed
        if c.startswith(prefix)
    )
    assert finished, "no model description finished before the kill"
    mtimes = {p: p.stat().st_mtime_ns for p in finished}

    done = snakemake(work, config, "--unlock")
    assert done.returncode == 0, done.stderr
    done = snakemake(work, config)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    print(f"SLURM grid with kill and resume: {time.time() - t0:.0f} s")
    assert {p: p.stat().st_mtime_ns for p in finished} == mtimes  # not redone

    # every job of the grid ran as a SLURM job: per rule, the completed SLURM jobs
    # (distinct rule/wildcards comments, over both runs) match the grid's job counts
    grid = Grid.from_config(yaml.safe_load(config.read_text()))
    jobs = sacct_jobs(since)
    done_comments = {j["comment"] for j in jobs if j["state"] == "COMPLETED"}
    per_rule = Counter(c.split("_wildcards_")[0].removeprefix("rule_") for c in done_comments)
    expected = {k: v for k, v in grid.job_counts().items() if k != "all"}
    assert dict(per_rule) == expected
    assert completed <= done_comments
    table = pd.read_csv(work / "results/tables/evaluations.csv")
    widths = {"tiny-a": 16, "tiny-b": 16, "tiny-big": 24}
    assert len(table) == sum(grid.expected_rows(widths).values())
    print(
        f"sacct: {len(jobs)} jobs, {len(done_comments)} distinct completed; "
        f"states {Counter(j['state'] for j in jobs)}"
    )


def test_failing_job_is_retried_and_reported_with_its_log(cluster, tmp_path):
    config = make_tiny_grid(tmp_path)
    broken = yaml.safe_load(config.read_text())
    broken["datasets"]["tiny-sst"]["source"]["path"] = str(tmp_path / "missing")
    config.write_text(yaml.safe_dump(broken))
    work = tmp_path / "run"
    work.mkdir()
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(time.time() - 2))
    done = snakemake(work, config, "resources/data/tiny-sst/test.jsonl", timeout=300)
    out = done.stdout + done.stderr
    assert done.returncode != 0
    assert "logs/prepare_data/tiny-sst.log" in out
    failed = [j for j in sacct_jobs(since) if j["state"] == "FAILED"]
    assert len(failed) == 2  # the first attempt and the profile's one retry
    assert "does not exist" in (work / "logs/prepare_data/tiny-sst.log").read_text()
