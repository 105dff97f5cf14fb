"""The README's two commands exist, and CI runs the README's test command, not a copy."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def readme_commands():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- setup -->\s*```bash\n(.*?)```", text, re.S)
    assert block, "README.md must hold the set-up block after <!-- setup -->"
    lines = (line.split(" #")[0].strip() for line in block.group(1).splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_test_one():
    main_cmd, test_cmd = readme_commands()
    assert "main" in main_cmd and "test" in test_cmd
    ci = [
        line
        for line in (ROOT / ".ci/run").read_text().splitlines()
        if line and not line.startswith(("#", "set ", "cd ", "trap "))
    ]
    # CI starts the local SLURM cluster, opts in to the cluster tests, runs the test command
    assert ci == [
        "bash scripts/slurm-local.sh start",
        "export PROMPT_RECYCLING_SLURM_TESTS=1",
        test_cmd,
    ]
    for cmd in (main_cmd, test_cmd):
        assert (ROOT / cmd.split()[1]).is_file()


def test_gitignore_keeps_generated_trees_out_and_bench_results_in():
    ignored = (ROOT / ".gitignore").read_text().split()
    for entry in ["/results/", "/resources/", "/logs/", ".snakemake/", ".venv/"]:
        assert entry in ignored
    assert (ROOT / "bench/results/calibrate_tuning.md").is_file()  # anchored: not ignored


def test_license_and_citation_agree_with_pyproject():
    import tomllib

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["license"]["text"] == "Apache-2.0"
    assert (
        "Apache License\n                           Version 2.0" in (ROOT / "LICENSE").read_text()
    )
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["license"] == "Apache-2.0" and citation["version"] == meta["version"]
    paper = citation["preferred-citation"]
    assert paper["title"] == "Reducing Retraining by Recycling Parameter-Efficient Prompts"
    assert "arXiv:2208.05577" in [i["value"] for i in paper["identifiers"]]
