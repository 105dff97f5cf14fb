"""The tiny grid through a real SLURM cluster (scripts/slurm-local.sh), then kill and resume.

Opt-in: these tests use a running cluster and never start one (starting one installs packages
and daemons). Start it with `bash scripts/slurm-local.sh start` and set
PROMPT_RECYCLING_SLURM_TESTS=1 (`.ci/run` does both, and stops the cluster at exit); without
the variable they are skipped with that reason. A hang fails the test (every wait has a
timeout) instead of stalling CI.
"""

import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import kill_group
from tinygrid import SMALL_JOBS, make_tiny_grid, small_grid

from prompt_recycling import paths
from prompt_recycling.analysis.rows import expected_counts
from prompt_recycling.plan import Grid

# the workflow tier (docs/development.md, "Tests"); under pytest-xdist one worker runs them all,
# one after another: they share one cluster and read its accounting
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("slurm")]

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "profiles/slurm-local"


OPT_IN = "PROMPT_RECYCLING_SLURM_TESTS"


def _cluster_ready() -> str | None:
    """Why the cluster tests cannot run (not opted in), or None; a cluster that was promised
    but does not answer fails the tests."""
    if os.environ.get(OPT_IN) != "1":
        return (
            f"cluster tests are opt-in: run `bash scripts/slurm-local.sh start` (root, Debian) and "
            f"set {OPT_IN}=1 (.ci/run does both)"
        )
    if shutil.which("sinfo") is None:
        pytest.fail(f"{OPT_IN}=1 but SLURM is not installed: bash scripts/slurm-local.sh start")
    done = subprocess.run(["sinfo", "-h"], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        pytest.fail(f"{OPT_IN}=1 but the cluster does not answer: {done.stderr.strip()}")
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


def stop(proc: subprocess.Popen) -> None:
    """Kill a Snakemake process group this test started and cancel its SLURM jobs."""
    kill_group(proc)
    subprocess.run(["scancel", "-u", "root"], check=False, timeout=60)


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


def outputs_of(work: Path, comment: str) -> list[Path]:
    """Output files of a completed SLURM job, from its comment ``rule_<rule>_wildcards_<a>_<b>``
    (the run first; the tiny grid's names hold no ``_``); only the rules whose outputs the
    test compares."""
    rule, _, values = comment.removeprefix("rule_").partition("_wildcards_")
    parts = values.split("_")
    if rule == "evaluate_baseline":
        return [work / paths.eval_baseline(*parts)]
    if rule == "describe_pair":
        return [work / paths.pair(*parts)]
    if rule == "train_prompts":
        return sorted((work / paths.history(*parts)).parent.glob("*"))
    return []


def snakemake_args(config, *extra, profile: bool = True) -> list[str]:
    """Snakemake on the tiny grid: through the test cluster's profile, or locally."""
    where = ["--profile", str(PROFILE)] if profile else ["--cores", "1"]
    snakefile = ["-s", str(ROOT / "Snakefile"), "--configfile", str(config)]
    return [sys.executable, "-m", "snakemake", *snakefile, *where, *extra]


def snakemake(work, config, *extra, timeout=900):
    return subprocess.run(
        snakemake_args(config, *extra), cwd=work, capture_output=True, text=True, timeout=timeout
    )


def test_tiny_grid_through_slurm_with_kill_and_resume(cluster, tmp_path):
    """The smallest grid with every kind of job (each job through SLURM costs a Snakemake and a
    Python start on a node): every job runs as a SLURM job, a kill keeps what finished."""
    config = tmp_path / "small.yaml"
    config.write_text(
        yaml.safe_dump(small_grid(yaml.safe_load(make_tiny_grid(tmp_path).read_text())))
    )
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
    try:
        deadline = time.time() + 300
        while time.time() < deadline and proc.poll() is None:
            if sum(j["state"] == "COMPLETED" for j in sacct_jobs(since)) >= 4:
                break
            time.sleep(1)
        assert proc.poll() is None, "the grid finished (or failed) before the kill"
    finally:
        stop(proc)  # orphans would race the rerun
    time.sleep(2)
    completed = {j["comment"] for j in sacct_jobs(since) if j["state"] == "COMPLETED"}
    # outputs of jobs that SLURM saw complete before the kill must not be made again
    finished = sorted(p for c in completed for p in outputs_of(work, c))
    assert finished, f"no zero-shot, pair or training job finished before the kill: {completed}"
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
    states = defaultdict(set)  # comment -> the SLURM states its submissions ended in
    for j in jobs:
        states[j["comment"]].add(j["state"].split()[0])
    per_rule = Counter(c.split("_wildcards_")[0].removeprefix("rule_") for c in states)
    local = {"all", "fetch_model", "prepare_data"}  # run by Snakemake itself (localrules)
    expected = {k: v for k, v in SMALL_JOBS.items() if k not in local}
    assert dict(per_rule) == expected, dict(states)
    # a job that never COMPLETED in SLURM was cancelled by the kill after Snakemake had
    # recorded its output as finished (so the rerun rightly kept it)
    unfinished = {c: s for c, s in states.items() if "COMPLETED" not in s}
    assert all("CANCELLED" in s for s in unfinished.values()), unfinished
    assert completed <= set(states)
    table = pd.read_csv(work / "results/default/tables/evaluations.csv")
    widths = {"tiny-a": 16, "tiny-b": 16}
    assert len(table) == sum(expected_counts(grid.expected_rows(), widths).values())
    print(
        f"sacct: {len(jobs)} jobs, {len(states)} distinct; unfinished {unfinished}; "
        f"states {Counter(j['state'] for j in jobs)}"
    )


def test_a_cancelled_training_job_resumes_at_its_saved_step(cluster, tmp_path):
    """scancel on the running training job: the profile's retry (a new SLURM job, after
    Snakemake deleted the outputs) continues from the saved step and ends bit-identical."""
    import torch

    base = yaml.safe_load(make_tiny_grid(tmp_path).read_text())
    base["grid"]["steps"] = [0, 5, 1500]
    base["grid"]["validation_steps"] = []
    base["tuning"]["save_every"] = 50
    config = tmp_path / "resume.yaml"
    config.write_text(yaml.safe_dump(base))
    target = "results/default/prompts/tiny-sst/tiny-a/seed0/step-1500.npy"
    clean = tmp_path / "clean"
    clean.mkdir()
    local = snakemake_args(config, target, profile=False)  # the uninterrupted reference
    subprocess.run(local, cwd=clean, check=True, capture_output=True, timeout=600)

    work = tmp_path / "run"
    work.mkdir()
    state = work / "results/default/prompts/tiny-sst/tiny-a/.seed0.resume/state.pt"
    # The plugin reads sacct's state of a cancelled job, "CANCELLED by <uid>", as still running
    # (it matches "CANCELLED" exactly) and would wait forever; squeue reports "CANCELLED".
    proc = subprocess.Popen(
        snakemake_args(config, target, "--slurm-status-command", "squeue"),
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline, saved = time.time() + 300, 0
        while time.time() < deadline and proc.poll() is None and saved < 200:
            if state.exists():
                try:
                    saved = torch.load(state, weights_only=True)["step"]
                except Exception:  # being replaced right now
                    pass
            time.sleep(0.1)
        assert saved >= 200, "the training job never got past its first saved state"
        queue = subprocess.run(
            ["squeue", "-h", "-o", "%i|%k"], capture_output=True, text=True, check=True, timeout=60
        ).stdout
        running = [line.split("|")[0] for line in queue.splitlines() if "train_prompts" in line]
        assert len(running) == 1, queue
        subprocess.run(["scancel", running[0]], check=True, timeout=60)
        out, _ = proc.communicate(timeout=600)
    finally:
        stop(proc)
    assert proc.returncode == 0, out[-3000:]
    log = (work / "logs/default/train_prompts/tiny-sst/tiny-a/seed0.log").read_text()
    resumed = [int(k) for k in re.findall(r"resuming prompt tuning at step (\d+)", log)]
    assert resumed and resumed[0] >= saved, log[-2000:]  # continued, not from scratch
    for step in (0, 5, 1500):
        name = f"results/default/prompts/tiny-sst/tiny-a/seed0/step-{step}.npy"
        assert (work / name).read_bytes() == (clean / name).read_bytes()


def test_failing_job_is_retried_and_reported_with_its_log(cluster, tmp_path):
    """A job that fails on the node (corrupt weights: config checks pass, loading fails) is
    retried once by the profile and reported with its log."""
    config = make_tiny_grid(tmp_path)
    weights = tmp_path / "models/tiny-a/model.safetensors"
    weights.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}garbage")
    work = tmp_path / "run"
    work.mkdir()
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(time.time() - 2))
    target = "results/default/prompts/tiny-sst/tiny-a/seed0/history.csv"
    done = snakemake(work, config, target, timeout=300)
    out = done.stdout + done.stderr
    assert done.returncode != 0
    assert "logs/default/train_prompts/tiny-sst/tiny-a/seed0.log" in out
    failed = [j for j in sacct_jobs(since) if j["state"] == "FAILED"]
    assert len(failed) == 2  # the first attempt and the profile's one retry
    log = (work / "logs/default/train_prompts/tiny-sst/tiny-a/seed0.log").read_text()
    assert "Error while deserializing header" in log
