"""`prompt-recycle status`: jobs per stage from Snakemake's dry runs and incomplete records."""

import base64

from prompt_recycling.status import (
    incomplete_outputs,
    job_counts,
    job_states,
    pending_jobs,
    status_table,
)

DRY_RUN = """Building DAG of jobs...
Job stats:
job                  count
-----------------  -------
train_prompts            2
evaluate_tuned           1
all                      1
total                    4


[Sat Nov 28 13:53:36 2026]
rule train_prompts:
    input: resources/models/a.json, resources/data/d/train.jsonl
    output: results/prompts/d/a/seed0/step-0.npy, results/prompts/d/a/seed0/history.csv
    log: logs/train_prompts/d/a/seed0.log
    jobid: 3
[Sat Nov 28 13:53:36 2026]
rule train_prompts:
    output: results/prompts/d/a/seed1/step-0.npy, results/prompts/d/a/seed1/history.csv
    jobid: 4
[Sat Nov 28 13:53:36 2026]
localrule evaluate_tuned:
    output: results/evaluations/d/tuned/a/seed0.csv
    jobid: 5
[Sat Nov 28 13:53:36 2026]
localrule all:
    input: results/report.md
    jobid: 0
"""


def test_dry_run_text_is_read_into_jobs_and_counts():
    assert job_counts(DRY_RUN) == {"train_prompts": 2, "evaluate_tuned": 1, "all": 1}
    jobs = pending_jobs(DRY_RUN)
    assert [rule for rule, _ in jobs] == ["train_prompts", "train_prompts", "evaluate_tuned", "all"]
    assert jobs[1][1] == [
        "results/prompts/d/a/seed1/step-0.npy",
        "results/prompts/d/a/seed1/history.csv",
    ]
    assert job_counts("Nothing to be done (all requested files are present and up to date).") == {}


def test_states_and_table(tmp_path):
    every = {"train_prompts": 6, "evaluate_tuned": 3, "all": 1}
    running = {"results/prompts/d/a/seed0/history.csv"}
    states = job_states(every, pending_jobs(DRY_RUN), running)
    assert states == {
        "train_prompts": {"done": 4, "running": 1, "left": 1},
        "evaluate_tuned": {"done": 2, "running": 0, "left": 1},
    }
    table = status_table(states, {"train_prompts": 60.0}, cores=2)
    assert "train_prompts" in table and "all" in table.splitlines()[-2]
    assert "time left: about 1 min on 2 core(s), plus evaluate_tuned" in table  # 2 x 60 s / 2
    done = status_table({"train_prompts": {"done": 6, "running": 0, "left": 0}}, {}, cores=2)
    assert done.endswith("the grid is complete")


def test_incomplete_records_are_decoded(tmp_path):
    path = "results/prompts/d/a/seed0/history.csv"
    code = base64.urlsafe_b64encode(path.encode()).decode()
    record = tmp_path / ".snakemake" / "incomplete" / code
    record.parent.mkdir(parents=True)
    record.write_text("")
    assert incomplete_outputs(tmp_path) == {path}
