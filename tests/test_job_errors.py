"""A failed job: one line on the console naming the rule, the cause and the log; the traceback
in the log only. Causes are named: the package's errors, a full disk, an unreachable server."""

import errno
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from tinygrid import make_tiny_grid, small_grid

from prompt_recycling.errors import RecyclingError
from prompt_recycling.smk import job_error_line, logged

ROOT = Path(__file__).resolve().parents[1]


def fail_in_a_job(tmp_path, capsys, exc):
    log = tmp_path / "job.log"
    job = SimpleNamespace(log=[str(log)], rule="train_prompts")
    with pytest.raises(SystemExit) as ended, logged(job):
        print("working")
        raise exc
    assert ended.value.code == 1
    err = capsys.readouterr().err
    return err, log.read_text()


def test_a_failed_job_prints_one_line_and_logs_the_traceback(tmp_path, capsys):
    err, log = fail_in_a_job(tmp_path, capsys, RecyclingError("training loss became nan"))
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err == (
        f"error in rule train_prompts: training loss became nan (log: {tmp_path / 'job.log'})\n"
    )
    assert log.startswith("working\n") and "Traceback (most recent call last)" in log
    assert log.rstrip().endswith("error: training loss became nan")


class ConnectionError(OSError):  # noqa: A001 (the name requests and urllib3 give theirs)
    pass


@pytest.mark.parametrize(
    "exc, line",
    [
        (
            OSError(errno.ENOSPC, "No space left on device", "results/x.csv"),
            "disk full writing results/x.csv (No space left on device): free space, then run "
            "the grid again",
        ),
        (
            ConnectionError("Max retries exceeded with url: https://huggingface.co/api"),
            "cannot reach the server (Max retries exceeded with url: https://huggingface.co/api); "
            "no network here? use a 'path:' or 'pypi:' source, or a Hub cache with "
            "HF_HUB_OFFLINE=1",
        ),
        (FileNotFoundError(2, "No such file or directory", "a.jsonl"), "a.jsonl: No such file "
         "or directory"),
        (KeyError("width"), "KeyError: 'width' (unexpected: the traceback is in the log)"),
    ],
)  # fmt: skip
def test_causes_are_named_in_one_line(exc, line):
    assert job_error_line(exc) == line


@pytest.mark.slow
def test_a_failed_grid_job_shows_no_traceback_on_the_console(tmp_path):
    """Through Snakemake with the local profile: the tuning job fails (a learning rate so large
    that the loss stops being finite), the console has its one line and no traceback, once."""
    config = small_grid(yaml.safe_load(make_tiny_grid(tmp_path).read_text()))
    config["tuning"].update(learning_rate=1e38)
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(config))
    args = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile")]
    args += ["--configfile", "bad.yaml", "--profile", str(ROOT / "profiles/local")]
    args += ["--cores", "2", "prompts_all"]
    done = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    console = done.stdout + done.stderr
    assert done.returncode != 0
    assert "Traceback" not in console, console[-3000:]
    lines = [x for x in console.splitlines() if x.startswith("error in rule train_prompts:")]
    assert len(lines) == 2, console[-3000:]  # the two runs (tiny-a, tiny-b), each once
    assert all("(log: logs/default/train_prompts/tiny-sst/" in x for x in lines)
