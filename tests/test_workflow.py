"""The Snakemake workflow: formatting, lint, dry-runs of the shipped configs, and a tiny
end-to-end grid that is killed mid-run and resumed (bad configs: test_config_errors.py)."""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import kill_group
from tinygrid import make_tiny_grid

from prompt_recycling.analysis.rows import expected_counts, read_table
from prompt_recycling.diagnostics import FEATURES
from prompt_recycling.paths import FIG_STEPS, FIG_WORDS, figure_points
from prompt_recycling.plan import Grid

pytestmark = pytest.mark.slow  # the workflow tier: Snakemake runs (docs/development.md, "Tests")

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def smk(*args, cwd=ROOT, check=True, timeout=900, env=None):
    done = subprocess.run(
        [*SNAKEMAKE, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
    )
    if check and done.returncode != 0:
        raise AssertionError(
            f"snakemake {args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done


def job_stats(output: str) -> dict[str, int]:
    """The 'Job stats' table of a dry-run, as {rule: count}."""
    block = output.split("Job stats:")[1]
    stats = {}
    for line in block.splitlines()[3:]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        stats[parts[0]] = int(parts[1])
    return stats


def dry_run(config: str, *targets: str, cwd: Path, **kwargs):
    """``snakemake -n`` of a shipped config in ``cwd`` (an empty folder: the grid from nothing)."""
    args = ["-n", *targets, "-s", str(ROOT / "Snakefile"), "--configfile", str(ROOT / config)]
    return smk(*args, cwd=cwd, **kwargs)


def test_snakefmt_clean():
    done = subprocess.run(
        [sys.executable, "-m", "snakefmt", "--check", "Snakefile", "workflow"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def test_lint_clean():
    done = smk("--lint", check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_default_config_dry_run_matches_the_grid(tmp_path):
    done = dry_run("config/config.yaml", cwd=tmp_path)
    # 1 data set, 2 models in 2 pairs, 3 recyclers, 4 word counts, 5 seeds; one evaluation
    # job per source run and pair (its 7 cells: 4 steps at 4,000 words, 3 more word counts at
    # the last step, and the identity control); zero-shot + random + null-prompt per target
    assert job_stats(done.stdout) == {
        "fetch_model": 2,
        "prepare_data": 1,
        "train_prompts": 10,
        "describe_pair": 2,
        "fit_recyclers": 2 * 3 * 4,
        "evaluate_recycled": 2 * 5,
        "evaluate_tuned": 10,
        "evaluate_baseline": 6,
        "aggregate": 1,
        "analyse": 1,
        "figures": 1,
        "write_report": 1,
        "publish": 1,
        "all": 1,
        "total": 71,
    }
    # the report stage target: every job but publishing and the default target's own
    report = dry_run("config/config.yaml", "report_all", cwd=tmp_path)
    stats = job_stats(report.stdout)
    assert stats.pop("report_all") == 1 and stats["total"] == 70
    assert "all" not in stats and "publish" not in stats


def test_dry_run_needs_neither_torch_nor_transformers(tmp_path):
    """Planning a grid (on a login node, in CI, a conda user's driving environment) imports no
    deep-learning stack and nothing the README's conda route leaves out: packages of those
    names that fail on import are put first on the path."""
    blocked = tmp_path / "blocked"
    # (pandas not: the SLURM executor plugin, installed here, imports it when Snakemake starts)
    left_out = ("scipy", "sklearn", "matplotlib", "peft", "onnx", "tqdm")
    for name in ("torch", "transformers", *left_out):
        (blocked / name).mkdir(parents=True)
        (blocked / name / "__init__.py").write_text(f"raise ImportError('{name} is blocked')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(blocked), str(ROOT / "src")])}
    work = tmp_path / "work"
    work.mkdir()
    done = dry_run("config/config.yaml", cwd=work, env=env, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert job_stats(done.stdout)["total"] == 71


def test_paper_config_dry_run_job_count_equals_the_grid(tmp_path):
    done = dry_run("config/paper.yaml", cwd=tmp_path)
    # 2 data sets x 2 models x 3 seeds x 2 inits = 24 runs; 2 pairs x 3 recyclers x 5 word
    # counts = 30 fits; one recycling job per data set, pair, seed and init (its 9 cells: 5
    # steps at 4,000 words, 4 more word counts at 20K); T5 is declared seq2seq: zero-shot and
    # random prompts of each init only
    stats = job_stats(done.stdout)
    assert stats["train_prompts"] == stats["evaluate_tuned"] == 24
    assert stats["fit_recyclers"] == 30 and stats["evaluate_baseline"] == 2 * 2 * 3
    assert stats["evaluate_recycled"] == 2 * 2 * 3 * 2 and stats["total"] == 126
    for init in ("random-uniform", "class-label"):  # every run's files under its init
        assert f"results/paper/prompts/sst2/t5-base/{init}/seed2/step-20000.npy" in done.stdout
        assert f"evaluations/imdb-hub/random/{init}/t5-large.csv" in done.stdout


def test_causal_config_dry_run_gives_the_large_models_jobs_their_memory(tmp_path):
    """config/causal.yaml: the Qwen pair both ways on RT; no null prompt for causal models;
    every job that loads the 1.5B asks for its declared memory, the 0.5B's for theirs."""
    import yaml

    done = dry_run("config/causal.yaml", cwd=tmp_path)
    stats = job_stats(done.stdout)
    grid = yaml.safe_load((ROOT / "config/causal.yaml").read_text())["grid"]
    runs = 2 * grid["seeds"]  # one data set, two models
    assert stats["train_prompts"] == stats["evaluate_tuned"] == stats["evaluate_recycled"] == runs
    assert stats["evaluate_baseline"] == 2 * 2  # zero-shot and random per target
    models = yaml.safe_load((ROOT / "config/causal.yaml").read_text())["models"]
    loading = ("fetch_model", "train_prompts", "evaluate_tuned", "evaluate_baseline")
    seen = {}
    for block in done.stdout.split("\nrule ")[1:]:
        rule, wildcards = block.split(":")[0], re.search(r"wildcards: (.*)", block)
        if rule in loading or rule == "evaluate_recycled":
            fields = dict(kv.split("=") for kv in wildcards.group(1).split(", "))
            model = fields["target" if rule == "evaluate_recycled" else "model"]
            mem = int(re.search(r"mem_mb=(\d+)", block).group(1))
            assert mem == models[model]["mem_mb"], (rule, model, mem)
            seen.setdefault(rule, set()).add(model)
    assert all(seen[r] == {"qwen-0.5b", "qwen-1.5b"} for r in (*loading, "evaluate_recycled"))


def test_the_own_model_example_plans_its_grid_from_local_models_and_data(tmp_path):
    """config/examples/own-model.yaml, with the folders its header describes (tiny models and
    a few JSON lines here), is a valid grid: the dry run lists its jobs."""
    import json

    from prompt_recycling.tiny import save_tiny_bert, wordpiece_vocab

    pieces = wordpiece_vocab(100, extra=["negative", "positive"])
    save_tiny_bert(tmp_path / "my-models/small", pieces, hidden=16, layers=2, seed=1)
    save_tiny_bert(tmp_path / "my-models/large", pieces, hidden=24, layers=3, heads=2, seed=2)
    data = tmp_path / "my-data/reviews"
    data.mkdir(parents=True)
    for split in ("train", "validation", "test"):
        lines = [{"text": f"a {w} film", "label": w} for w in ["negative", "positive"] * 4]
        (data / f"{split}.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    stats = job_stats(dry_run("config/examples/own-model.yaml", cwd=tmp_path).stdout)
    assert stats["train_prompts"] == stats["evaluate_tuned"] == 2 * 3  # 2 models x 3 seeds
    assert stats["evaluate_recycled"] == 2 * 3 and stats["fit_recyclers"] == 2 * 3 * 2
    assert stats["evaluate_baseline"] == 2 * 3  # zero-shot, random, null prompt per target


def job_resources(output: str) -> dict[str, dict[str, str]]:
    """{rule and wildcards: {resource: value}} of every job a dry run lists."""
    jobs = {}
    for block in output.split("\nrule ")[1:]:
        head = block.split(":")[0] + " " + (re.findall(r"wildcards: (.*)", block) or [""])[0]
        found = re.findall(r"resources: (.*)", block)
        jobs[head] = dict(kv.split("=", 1) for kv in found[0].split(", ")) if found else {}
    return jobs


def test_the_readmes_cluster_command_keeps_every_rules_memory_and_time(tmp_path):
    """--default-resources on the command line replaces the profile's default-resources: with
    every rule declaring its memory and time, naming a partition and an account changes
    nothing else."""
    pytest.importorskip("snakemake_executor_plugin_slurm")
    base = ["-n", "-s", str(ROOT / "Snakefile"), "--configfile", str(ROOT / "config/paper.yaml")]
    base += ["--replace-workflow-config", "--profile", str(ROOT / "profiles/slurm")]
    plain = job_resources(smk(*base, cwd=tmp_path).stdout)
    named = ["--default-resources", "slurm_partition=p1", "slurm_account=acct"]
    given = job_resources(smk(*base, *named, cwd=tmp_path).stdout)
    assert given.keys() == plain.keys() and len(given) > 50
    for job, res in given.items():
        if job.startswith(("fetch_model", "prepare_data", "all ")):
            continue  # run on the submit host
        assert res.pop("slurm_partition") == "p1" and res.pop("slurm_account") == "acct", job
        kept = {k: v for k, v in plain[job].items() if k not in ("slurm_partition",)}
        assert {k: res.get(k) for k in ("mem_mb", "runtime")} == {
            k: kept.get(k) for k in ("mem_mb", "runtime")
        }, job
        assert int(res["mem_mb"]) >= 2000 and int(res["runtime"]) >= 10, job


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("grid")
    return root, make_tiny_grid(root)


def resume_config(root: Path, base: Path) -> Path:
    """The tiny grid with one long training run: checkpoints at 0, 5 and 1500, state every 50."""
    config = yaml.safe_load(base.read_text())
    config["grid"]["steps"] = [0, 5, 1500]
    config["grid"]["validation_steps"] = []
    config["tuning"]["save_every"] = 50
    path = root / "resume.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_a_killed_training_job_resumes_at_its_saved_step_with_the_same_prompt(tiny):
    """Snakemake deletes a job's outputs before rerunning it; the job restores the checkpoints
    from its resume state and continues from the saved step, ending bit-identical."""
    import torch

    root, base = tiny
    config = resume_config(root, base)
    target = "results/default/prompts/tiny-sst/tiny-a/seed0/step-1500.npy"
    args = [
        *SNAKEMAKE,
        "-s",
        str(ROOT / "Snakefile"),
        "--configfile",
        str(config),
        "--cores",
        "1",
        "--rerun-incomplete",
        target,
    ]
    clean = root / "resume-clean"
    clean.mkdir()
    subprocess.run(args, cwd=clean, check=True, capture_output=True, timeout=600)

    work = root / "resume-killed"
    work.mkdir()
    state = work / "results/default/prompts/tiny-sst/tiny-a/.seed0.resume/state.pt"
    proc = subprocess.Popen(
        args, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.time() + 300
        saved = 0
        while time.time() < deadline and proc.poll() is None and saved < 200:
            if state.exists():
                try:
                    saved = torch.load(state, weights_only=True)["step"]
                except Exception:  # being replaced right now: read it again
                    pass
            time.sleep(0.05)
        assert proc.poll() is None, "training finished before it could be killed"
    finally:
        kill_group(proc)
    saved = torch.load(state, weights_only=True)["step"]
    assert (
        saved >= 200
        and (work / "results/default/prompts/tiny-sst/tiny-a/seed0/step-5.npy").exists()
    )
    unlock = [*SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--configfile", str(config), "--unlock"]
    subprocess.run(unlock, cwd=work, check=True, capture_output=True)
    subprocess.run(args, cwd=work, check=True, capture_output=True, timeout=600)
    log = (work / "logs/default/train_prompts/tiny-sst/tiny-a/seed0.log").read_text()
    assert f"resuming prompt tuning at step {saved} " in log  # not from scratch
    # 1,500 steps in a log: the bar prints plain lines now and then, never a redraw per step
    assert "\r" not in log and "\x1b" not in log and len(log.splitlines()) < 40
    for step in (0, 5, 1500):
        name = f"results/default/prompts/tiny-sst/tiny-a/seed0/step-{step}.npy"
        assert (work / name).read_bytes() == (clean / name).read_bytes()
    assert not state.exists()  # cleaned up after the run


def recorded(work: Path, kind: str) -> set[str]:
    """Output paths Snakemake holds a ``kind`` record for (``metadata``: finished;
    ``incomplete``: started, not finished), decoded from its record file names (urlsafe
    base64 of the path, split into ``@``-prefixed folders when long)."""
    import base64

    root = work / ".snakemake" / kind
    paths = set()
    for f in root.rglob("*") if root.exists() else []:
        if f.is_file():
            code = "".join(part.removeprefix("@") for part in f.relative_to(root).parts)
            paths.add(base64.urlsafe_b64decode(code).decode())
    return paths


@pytest.mark.xdist_group("both-cores")  # runs the grid on both cores (test_grid_edits too)
def test_kill_9_then_resume_finishes_the_grid_without_recomputing(tiny):
    root, config = tiny
    work = root / "run"
    work.mkdir()
    args = [
        *SNAKEMAKE,
        "-s",
        str(ROOT / "Snakefile"),
        "--configfile",
        str(config),
        "--cores",
        "2",
        "--rerun-incomplete",
    ]
    proc = subprocess.Popen(
        args, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        # kill as soon as Snakemake has recorded a finished training job
        deadline = time.time() + 300
        while time.time() < deadline and proc.poll() is None:
            finished = recorded(work, "metadata") - recorded(work, "incomplete")
            if any(p.startswith("results/default/prompts/") for p in finished):
                break
            time.sleep(0.2)
    finally:
        kill_group(proc)
    assert not (work / "results/default/report.md").exists(), "the grid finished before the kill"
    # prompts of training jobs that Snakemake recorded as finished before the kill, with their
    # modification times: a rerun must keep them
    finished = recorded(work, "metadata") - recorded(work, "incomplete")
    outputs = {
        work / p: (work / p).stat().st_mtime_ns
        for p in finished
        if p.startswith("results/default/prompts/") and p.endswith(".npy")
    }
    assert outputs, f"no training job finished before the kill: {sorted(finished)}"

    smk("-s", str(ROOT / "Snakefile"), "--configfile", str(config), "--unlock", cwd=work)
    smk(
        "-s",
        str(ROOT / "Snakefile"),
        "--configfile",
        str(config),
        "--cores",
        "2",
        "--rerun-incomplete",
        cwd=work,
    )
    assert {p: p.stat().st_mtime_ns for p in outputs} == outputs  # nothing finished was redone

    table = read_table(work / "results/default/tables/evaluations.csv")
    grid = Grid.from_config(yaml.safe_load(config.read_text()))
    widths = {"tiny-a": 16, "tiny-b": 16, "tiny-big": 24}  # identity only for tiny-a -> tiny-b
    expected = expected_counts(grid.expected_rows(), widths)
    assert table.condition.value_counts().to_dict() == expected
    # 3 pairs x 3 methods x 4 cells; 1 pair x 3 steps; 3 models x (3 steps x 2 splits + 1
    # validation step); ...; each twice: as scored and after contextual calibration
    assert expected == {
        "recycled": 72,
        "identity": 6,
        "tuned": 42,
        "zero-shot": 6,
        "random": 12,
        "null-prompt": 6,
    }
    assert (table.groupby("condition").calibrated.mean() == 0.5).all()
    # the step trained past the last recycled one: validation rows only, what convergence reads
    past = table[(table.condition == "tuned") & (table.step == 6)]
    assert len(past) == 3 * 2 and set(past.split) == {"validation"}
    assert set(table[table.condition == "recycled"].step) == {0, 2, 4}
    assert set(table[(table.condition == "tuned") & (table.split == "test")].step) == {0, 2, 4}
    # the null prompt per target on the test split; with the default placement, zero-shot
    null = table[table.condition == "null-prompt"].set_index(["model", "calibrated"])
    zero = table[table.condition == "zero-shot"].set_index(["model", "calibrated"])
    assert set(null.split) == {"test"} and len(null) == 6
    assert (null.predictions == zero.predictions.reindex(null.index)).all()
    assert set(table.placement) == {"after-cls-fixed"}  # every row: tiny BERT encoders
    recycled = table[table.condition == "recycled"]
    features = pd.DataFrame([json.loads(f) for f in recycled.features])
    assert list(features.columns.sort_values()) == sorted(FEATURES)
    assert features.notna().all().all() and (features.heldout_error > 0).all()
    assert (table[table.condition != "recycled"].features == "").all()
    assert set(table.size_relation) - {""} == {"same-size", "small->large", "large->small"}
    test = table[table.split == "test"]
    assert test.gold.nunique() == 1 and len(test.gold.iat[0]) == 24  # one example set
    assert (table.predictions.str.len() == table.n).all()
    lin = table[table.method == "lin-comb"]
    assert (lin.same_as == "v2v-lin").all()  # detected as the same prompt as v2v-lin
    tables = work / "results/default/tables"
    for name in (
        "reliability.csv",
        "reliability.md",
        "reliability.tex",
        "reliability.html",
        "findings.csv",
        "findings.html",
        "comparisons.csv",
        "convergence.csv",
        "pairs.csv",
        "training.csv",
        "recyclers.csv",
        "recyclers.md",
        "recyclers.html",
        "predictor.csv",
        "predictor.md",
        "predictor.html",
    ):
        assert (tables / name).stat().st_size > 0
    findings = pd.read_csv(tables / "findings.csv")
    ids = ["F1", "F2a", "F2b", "F3", "F4", "F5a", "F5b", "F5b'", "F5c", "F5c'"]
    assert list(findings.finding) == ids
    verdicts = {"reproduced", "not reproduced", "inconclusive", "not testable"}
    assert set(findings.verdict) <= verdicts and set(findings.verdict_holm) <= verdicts
    pairs = pd.read_csv(tables / "pairs.csv").set_index("source")
    assert pairs.median_row_cosine.notna().to_dict() == {
        "tiny-a": True,
        "tiny-b": False,
        "tiny-big": False,
    }
    for name in ("recyclability_vs_steps", "performance_vs_words", "label_bias"):
        for suffix in ("", "_by_size") if name != "label_bias" else ("",):
            for ext in ("png", "pdf"):
                assert (
                    work / f"results/default/figures/{name}{suffix}.{ext}"
                ).stat().st_size > 1000
    for name in ("recyclers_by_size", "recyclability_predictor"):
        for ext in ("png", "pdf"):
            assert (work / f"results/default/figures/{name}.{ext}").stat().st_size > 1000
    versus = pd.read_csv(tables / "recyclers.csv")
    assert len(versus) == 3 * 3 * 2  # size relations x recyclers x (raw, calibrated)
    assert set(zip(versus.recycler, versus.calibrated, strict=True)) == {
        (m, c) for m in grid.recyclers for c in (False, True)
    }
    predicted = pd.read_csv(tables / "predictor.csv")
    assert set(predicted.held_out) == {f"{a} → {b}" for a, b in grid.pairs} | {"pooled"}
    report = (work / "results/default/report.md").read_text()
    assert all(f"| F{i}" in report for i in range(1, 6))
    assert "recyclers compared, raw and calibrated" in report and "most reliable is" in report
    assert "can a recycled prompt's success be predicted?" in report
    assert "pooled leave-one-pair-out AUC" in report
    assert "Warning: a test split has only 24 examples" in report

    check_html_report(work, config, grid)

    # an analysis setting recomputes the analysis and what shows it from the table, nothing
    # else (growing and shrinking the grid: test_grid_edits.py)
    analysis = root / "analysis.yaml"
    analysis.write_text(yaml.safe_dump({"analysis": {"seed": 1}}))
    done = smk(
        "-s", str(ROOT / "Snakefile"), "--configfile", str(config), str(analysis), "-n", cwd=work
    )
    published = {"write_report", "publish", "all", "total"}
    assert set(job_stats(done.stdout)) == {"analyse", "figures"} | published
    # a model fewer (with its pairs), or a pair fewer: the tables shrink, nothing is recomputed
    for name, grid_keys in (
        ("no-big", {"models": ["tiny-a", "tiny-b"], "pairs": [["tiny-a", "tiny-b"]]}),
        ("two-pairs", {"pairs": [["tiny-a", "tiny-b"], ["tiny-b", "tiny-big"]]}),
    ):
        smaller = yaml.safe_load(config.read_text())
        smaller["grid"].update(grid_keys)
        (root / f"{name}.yaml").write_text(yaml.safe_dump(smaller))
        done = smk(
            "-n",
            "-s",
            str(ROOT / "Snakefile"),
            "--configfile",
            str(root / f"{name}.yaml"),
            cwd=work,
        )
        stats = job_stats(done.stdout)
        assert set(stats) == {"aggregate", "analyse", "figures"} | published, (name, stats)

    # a style change redraws the figures (and the report) from the table, nothing else
    style = root / "style.yaml"
    style.write_text(yaml.safe_dump({"figures": {"dpi": 90}}))
    done = smk(
        "-s", str(ROOT / "Snakefile"), "--configfile", str(config), str(style), "-n", cwd=work
    )
    assert set(job_stats(done.stdout)) == {"figures"} | published
    # so does renaming a model or a data set: titles are cosmetic, not the jobs' parameters
    renamed = yaml.safe_load(config.read_text())
    renamed["models"]["tiny-a"]["title"] = "Tiny A, renamed"
    renamed["datasets"]["tiny-sst"]["title"] = "Tiny SST, renamed"
    (root / "renamed.yaml").write_text(yaml.safe_dump(renamed))
    done = smk(
        "-s", str(ROOT / "Snakefile"), "--configfile", str(root / "renamed.yaml"), "-n", cwd=work
    )
    assert set(job_stats(done.stdout)) == {"figures"} | published

    # a failed aggregate (an evaluation file with a row too many) leaves the published tables,
    # figures and report as they were, and says what is wrong and what fixes it
    published_files = {p: p.read_bytes() for p in (work / "results/default").glob("*/*.*")}
    published_files[work / "results/default/report.md"] = (
        work / "results/default/report.md"
    ).read_bytes()
    tuned = work / "results/default/evaluations/tiny-sst/tuned/tiny-a/seed0.csv"
    lines = tuned.read_text().splitlines(keepends=True)
    tuned.write_text("".join(lines + lines[-1:]))
    done = smk(
        "-s",
        str(ROOT / "Snakefile"),
        "--configfile",
        str(config),
        "--cores",
        "2",
        cwd=work,
        check=False,
    )
    assert done.returncode != 0
    log = (work / "logs/default/aggregate.log").read_text()
    assert (
        "results table is inconsistent: tuned: expected" in log and "prompt-recycle repair" in log
    )
    assert not (
        work / "results/default/build/tables/evaluations.csv"
    ).exists()  # deleted by Snakemake
    assert {p: p.read_bytes() for p in published_files} == published_files
    shutil.rmtree(work / ".snakemake", ignore_errors=True)


def check_html_report(work: Path, config: Path, grid: Grid) -> None:
    """``snakemake --report``: one self-contained HTML file holding every figure with its
    caption (and the counts it pools over), the findings and reliability tables as HTML, the
    results table as a download and the workflow description."""
    import base64

    out = work / "report.html"
    smk("-s", str(ROOT / "Snakefile"), "--configfile", str(config), "--report", str(out), cwd=work)
    html = out.read_text()
    found = re.search(r'<script id="results">\s*var results = (\{.*?\});?\s*</script>', html, re.S)
    results = json.loads(found.group(1))
    figures = {
        f"results/default/build/figures/{n}.png"
        for n in ("label_bias", "recyclers_by_size", "recyclability_predictor")
    }
    figures |= {
        f"results/default/build/figures/{n}{s}.png"
        for n in ("recyclability_vs_steps", "performance_vs_words")
        for s in ("", "_by_size")
    }
    tables = {
        f"results/default/build/tables/{n}.html"
        for n in ("findings", "reliability", "recyclers", "predictor")
    }
    data = {"results/default/build/tables/evaluations.csv", "results/default/build/report.md"}
    assert set(results) == figures | tables | data
    counts = grid.counts()
    for path, entry in results.items():
        assert len(entry["caption"]) > 100, path
        content = base64.b64decode(entry["data_uri"].split(",", 1)[1])
        assert len(content) > 500, path
        if path in tables:
            assert b"<table" in content
        if path.endswith("findings.html"):
            assert all(f"F{i}".encode() in content for i in range(1, 6))
    caption = results["results/default/build/figures/recyclability_vs_steps.png"]["caption"]
    # each point's prompts: every ordered pair of the data set x the seeds, as counted from the
    # rows each drawn point stands on
    assert f"over {counts['prompts_per_point']} recycled prompts" in " ".join(caption.split())
    drawn = json.loads((work / figure_points("default", built=True)).read_text())
    for name in (FIG_STEPS, FIG_WORDS):
        each = counts["prompts_per_point"]
        assert drawn[name]["prompts_per_point"] == {"min": each, "max": each}, name
    description = html[html.index('<script id="workflow-desc">') :][:5000]
    assert "Prompt recycling grid" in description and "tiny-sst" in description
