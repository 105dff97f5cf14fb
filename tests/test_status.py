"""`prompt-recycle status`: jobs per stage from Snakemake's dry runs and incomplete records;
outputs Snakemake takes as done but that are damaged, and `prompt-recycle repair`."""

import base64
import subprocess

import numpy as np
import pytest

from prompt_recycling import status
from prompt_recycling.damage import damaged_outputs
from prompt_recycling.errors import RecyclingError
from prompt_recycling.status import (
    Job,
    done_outputs,
    incomplete_outputs,
    job_states,
    repair_command,
    status_table,
)

SNAKEFILE = """
rule all:
    input: "c.txt"

rule make_a:
    output: "a.txt"
    shell: "echo a > {output}"

rule make_c:
    input: "a.txt"
    output: "c.txt", "d.txt"
    shell: "cat {input} > {output[0]}; touch {output[1]}"
"""


def test_the_dag_is_read_from_snakemake_itself_with_its_own_needrun(tmp_path):
    """Every job of the DAG, done or not, with its files and Snakemake's decision; no lock is
    taken (a running grid's lock stays), and a workflow Snakemake cannot plan is an error."""
    (tmp_path / "Snakefile").write_text(SNAKEFILE)
    (tmp_path / "a.txt").write_text("a\n")
    jobs = {j["rule"]: j for j in status.dag_jobs(["--cores", "1"], tmp_path)}
    assert jobs["make_a"] == {
        "rule": "make_a",
        "outputs": ["a.txt"],
        "inputs": [],
        "needrun": False,
    }
    assert jobs["make_c"]["outputs"] == ["c.txt", "d.txt"] and jobs["make_c"]["needrun"]
    assert jobs["all"]["inputs"] == ["c.txt"] and jobs["all"]["needrun"]
    assert not (tmp_path / ".snakemake/locks").exists() or not any(
        (tmp_path / ".snakemake/locks").iterdir()
    )
    every, pending, damaged = status.grid_state(["--cores", "1"], tmp_path)
    assert every == {"all": 1, "make_a": 1, "make_c": 1} and damaged == []
    assert sorted(job.rule for job in pending) == ["all", "make_c"]
    (tmp_path / "Snakefile").write_text(SNAKEFILE.replace('input: "a.txt"', 'input: "b.txt"'))
    with pytest.raises(RecyclingError, match="could not plan the grid: MissingInput(?s:.*)b.txt"):
        status.dag_jobs([], tmp_path)


PENDING = [
    Job("train_prompts", ["results/prompts/d/a/seed0/step-0.npy", "results/h0.csv"], []),
    Job("train_prompts", ["results/prompts/d/a/seed1/step-0.npy", "results/h1.csv"], []),
    Job("evaluate_tuned", ["results/evaluations/d/tuned/a/seed0.csv"], []),
    Job("all", [], ["results/report.md"]),
]


def test_states_and_table(tmp_path):
    every = {"train_prompts": 6, "evaluate_tuned": 3, "all": 1}
    running = {"results/h0.csv"}
    states = job_states(every, PENDING, running)
    assert states == {
        "train_prompts": {"done": 4, "running": 1, "left": 1},
        "evaluate_tuned": {"done": 2, "running": 0, "left": 1},
    }
    table = status_table(states, {"train_prompts": 60.0}, cores=2)
    assert "train_prompts" in table and "all" in table.splitlines()[-2]
    assert "time left: about 1 min on 2 core(s), plus evaluate_tuned" in table  # 2 x 60 s / 2
    done = status_table({"train_prompts": {"done": 6, "running": 0, "left": 0}}, {}, cores=2)
    assert done.endswith("the grid is complete")


def chain_of_jobs(n_train: int, n_eval_each: int) -> list:
    """``n_train`` training jobs, each followed by ``n_eval_each`` evaluations of its
    prompts, and one aggregate over every evaluation."""
    from prompt_recycling.status import Job

    jobs, evals = [], []
    for t in range(n_train):
        jobs.append(Job("train_prompts", [f"p{t}.npy"], []))
        for e in range(n_eval_each):
            evals.append(f"e{t}-{e}.csv")
            jobs.append(Job("evaluate_tuned", [evals[-1]], [f"p{t}.npy"]))
    return [*jobs, Job("aggregate", ["table.csv"], evals)]


def test_time_left_follows_the_jobs_dependencies_not_just_their_sum():
    from prompt_recycling.status import time_left

    s = {"train_prompts": 100.0, "evaluate_tuned": 10.0, "aggregate": 5.0}
    # one job left: its own time, not divided by the cores
    assert time_left(chain_of_jobs(1, 0)[:1], s, cores=8) == 100.0
    # a chain waits for itself: train, then evaluate, then aggregate
    assert time_left(chain_of_jobs(1, 1), s, cores=8) == 115.0
    # four runs on two slots: the long training jobs first (two rounds), then the four
    # evaluations (two rounds), then the aggregate; their sum over the slots would say 215
    assert time_left(chain_of_jobs(4, 1), s, cores=2) == 100 + 100 + 10 + 10 + 5
    # two runs on three slots: one slot idles while they train; then 8 evaluations in 3 rounds
    assert time_left(chain_of_jobs(2, 4), s, cores=3) == 100 + 3 * 10 + 5
    assert time_left([], s, cores=2) == 0.0


def test_seconds_per_job_read_shared_and_run_benchmarks_of_the_run_asked_about(tmp_path):
    from prompt_recycling.status import Job, run_of, seconds_per_job

    def bench(path, *seconds):
        f = tmp_path / "benchmarks" / path
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("s\th:m:s\n" + "".join(f"{x}\t0:00:01\n" for x in seconds))

    bench("fetch_model/m.0123456789.tsv", 4)
    bench("big/train_prompts/d/m/seed0.tsv", 300)
    bench("big/train_prompts/d/m/seed1.tsv", 500)
    bench("small/train_prompts/d/m/seed0.tsv", 10)
    assert seconds_per_job(tmp_path, "big") == {"fetch_model": 4.0, "train_prompts": 400.0}
    assert seconds_per_job(tmp_path, "small")["train_prompts"] == 10.0
    assert seconds_per_job(tmp_path)["train_prompts"] == 270.0  # every run's
    jobs = [Job("evaluate_tuned", ["results/big/evaluations/d/tuned/m/seed0.csv"], [])]
    assert run_of(jobs) == "big" and run_of([]) is None


def test_incomplete_records_are_decoded(tmp_path):
    path = "results/prompts/d/a/seed0/history.csv"
    code = base64.urlsafe_b64encode(path.encode()).decode()
    record = tmp_path / ".snakemake" / "incomplete" / code
    record.parent.mkdir(parents=True)
    record.write_text("")
    assert incomplete_outputs(tmp_path) == {path}


# --- damaged outputs: files Snakemake takes as done that are missing, empty or cut short


def cut(path, keep):
    """Keep the first ``keep`` bytes of ``path`` (a negative ``keep`` drops that many)."""
    data = path.read_bytes()
    path.write_bytes(data[:keep])


def why(tmp_path, name):
    found = dict(damaged_outputs([name], tmp_path))
    return found.get(name)


def test_csv_needs_a_header_and_whole_rows(tmp_path):
    (tmp_path / "ok.csv").write_text('a,b,c\n1,"x, y",3\n4,5,6\n')
    (tmp_path / "header.csv").write_text("a,b,c\n")  # a table with no rows is whole
    (tmp_path / "nocolumns.csv").write_text("\n")  # what pandas writes for a frame without any
    (tmp_path / "crlf.csv").write_text("a,b\r\n1,2\r\n")
    for name in ("ok.csv", "header.csv", "nocolumns.csv", "crlf.csv"):
        assert why(tmp_path, name) is None, name
    (tmp_path / "cut.csv").write_text("a,b,c\n1,2,3\n4,5\n")  # cut between fields, at a line end
    assert "line 3 has 2 fields, the header 3" in why(tmp_path, "cut.csv")
    (tmp_path / "midrow.csv").write_text("a,b,c\n1,2,3\n4,5,6")
    assert "cut short" in why(tmp_path, "midrow.csv")
    (tmp_path / "empty.csv").write_text("")
    assert why(tmp_path, "empty.csv") == "empty"
    assert why(tmp_path, "gone.csv") == "missing"


def test_npy_size_must_match_its_header(tmp_path):
    np.save(tmp_path / "p.npy", np.ones((4, 8), np.float32))
    np.save(tmp_path / "none.npy", np.ones((0, 8), np.float32))
    assert why(tmp_path, "p.npy") is None and why(tmp_path, "none.npy") is None
    cut(tmp_path / "p.npy", -5)
    assert "unreadable" in why(tmp_path, "p.npy")
    np.save(tmp_path / "long.npy", np.ones((4, 8), np.float32))
    with open(tmp_path / "long.npy", "ab") as f:
        f.write(b"\0" * 4)
    assert "its header says" in why(tmp_path, "long.npy")
    np.save(tmp_path / "head.npy", np.ones((4, 8), np.float32))
    cut(tmp_path / "head.npy", 40)  # inside the header
    assert "unreadable" in why(tmp_path, "head.npy")


def test_safetensors_size_must_match_its_header(tmp_path):
    from safetensors.numpy import save_file

    tensors = {"w": np.ones((3, 5), np.float32), "b": np.zeros(5, np.float32)}
    save_file(tensors, str(tmp_path / "r.safetensors"), metadata={"method": "v2v-lin"})
    assert why(tmp_path, "r.safetensors") is None
    cut(tmp_path / "r.safetensors", -4)
    assert "its header says" in why(tmp_path, "r.safetensors")
    cut(tmp_path / "r.safetensors", 30)  # inside the JSON header
    assert "header of" in why(tmp_path, "r.safetensors")
    cut(tmp_path / "r.safetensors", 5)
    assert "no header length" in why(tmp_path, "r.safetensors")


def test_json_jsonl_parquet_others_folders_and_records(tmp_path):
    (tmp_path / "m.json").write_text('{"n": 1}')
    (tmp_path / "bad.json").write_text('{"n": ')
    (tmp_path / "d.jsonl").write_text('{"x": 1}\n{"x": 2}\n')
    (tmp_path / "cut.jsonl").write_text('{"x": 1}\n{"x": ')
    (tmp_path / "t.parquet").write_bytes(b"PAR1" + b"\0" * 8 + b"PAR1")
    (tmp_path / "cut.parquet").write_bytes(b"PAR1" + b"\0" * 8)
    (tmp_path / "report.md").write_text("# report\n")
    (tmp_path / "figure.png").write_bytes(b"")
    (tmp_path / "adapter").mkdir()
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "x.log").write_text("")  # records are not checked
    names = [
        "m.json",
        "bad.json",
        "d.jsonl",
        "cut.jsonl",
        "t.parquet",
        "cut.parquet",
        "report.md",
        "figure.png",
        "adapter",
        "logs/x.log",
        "benchmarks/fit/x.tsv",
        "m.json",  # each path once
    ]
    found = damaged_outputs(names, tmp_path)
    assert [name for name, _ in found] == ["bad.json", "cut.jsonl", "cut.parquet", "figure.png"]
    assert "line 2 is not JSON" in dict(found)["cut.jsonl"]


# --- status and repair on a fake grid

EVERY = [
    {"rule": "train_prompts", "outputs": ["results/p/step-0.npy", "results/p/history.csv"]},
    {"rule": "evaluate_tuned", "outputs": ["results/e/seed0.csv"]},
    {"rule": "aggregate", "outputs": ["results/tables/evaluations.csv"]},
    {"rule": "all", "outputs": [], "inputs": ["results/tables/evaluations.csv"]},
]


@pytest.fixture
def grid(tmp_path, monkeypatch):
    """A finished fake grid in ``tmp_path`` whose DAG says that nothing is left."""
    (tmp_path / "results/p").mkdir(parents=True)
    np.save(tmp_path / "results/p/step-0.npy", np.ones((2, 3), np.float32))
    (tmp_path / "results/p/history.csv").write_text("step,loss\n0,1.5\n")
    (tmp_path / "results/e").mkdir()
    (tmp_path / "results/e/seed0.csv").write_text("model,acc\na,0.5\n")
    (tmp_path / "results/tables").mkdir()
    (tmp_path / "results/tables/evaluations.csv").write_text("model,acc\na,0.5\n")

    def fake_dag(args, workdir="."):
        return [{"inputs": [], **job, "needrun": False} for job in EVERY]

    monkeypatch.setattr(status, "dag_jobs", fake_dag)
    return tmp_path


def test_done_outputs_leave_out_the_jobs_left():
    left = [status.Job("evaluate_tuned", ["results/e/seed0.csv"], [])]
    every = [status.Job(j["rule"], j["outputs"], []) for j in EVERY]
    assert done_outputs(every, left) == [
        "results/p/step-0.npy",
        "results/p/history.csv",
        "results/tables/evaluations.csv",
    ]


def test_status_names_damaged_outputs_and_the_repair_command(grid, cli):
    code, out, _ = cli(["status", "--directory", str(grid), "--cores", "2"])
    assert code == 0 and "the grid is complete" in out and "damaged" not in out
    (grid / "results/e/seed0.csv").unlink()
    cut(grid / "results/p/step-0.npy", -3)
    args = ["status", "--directory", str(grid), "--", "--configfile", "config/my grid.yaml"]
    code, out, _ = cli(args)
    assert code == 0 and "the grid is complete" not in out
    assert "damaged: 2 output(s) of jobs done; the grid is not complete" in out
    assert "results/p/step-0.npy: unreadable" in out and "results/e/seed0.csv: missing" in out
    assert f"prompt-recycle repair --directory {grid} -- --configfile 'config/my grid.yaml'" in out
    many = [(f"f{i}.csv", "missing") for i in range(12)]
    done = {"train_prompts": {"done": 1, "running": 0, "left": 0}}
    table = status_table(done, {}, 1, many, "prompt-recycle repair")
    assert "f9.csv" in table and "f10.csv" not in table and "... and 2 more" in table


def test_repair_reruns_the_damaged_outputs_with_the_users_arguments(grid, cli, monkeypatch):
    ran = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: ran.append((cmd, kw)) or Done(0))
    code, out, _ = cli(["repair", "--directory", str(grid), "--", "--profile", "profiles/local"])
    assert code == 0 and "nothing is damaged" in out and ran == []
    (grid / "results/p/history.csv").write_text("step,loss\n0,1.5\n1,")
    (grid / "results/e/seed0.csv").write_text("")
    code, out, _ = cli(["repair", "-n", "--directory", str(grid), "--", "--profile", "p", "all"])
    assert code == 0 and len(ran) == 1
    cmd, kw = ran[0]
    assert cmd[1:] == [
        "-m",
        "snakemake",
        "--profile",
        "p",
        "all",
        "-n",
        "--forcerun",
        "results/p/history.csv",
        "results/e/seed0.csv",
    ]
    assert kw["cwd"] == str(grid) and "running: " in out and "--forcerun" in out
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: Done(3))
    assert cli(["repair", "--directory", str(grid)])[0] == 3  # Snakemake's failure is the exit
    assert repair_command(["a.csv"], [])[1:] == ["-m", "snakemake", "--forcerun", "a.csv"]


class Done:
    def __init__(self, returncode):
        self.returncode = returncode
