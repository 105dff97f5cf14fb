"""The rules' conda environments as Snakemake deploys them: a copy in .snakemake/conda/, from
whose folder conda runs pip."""

import shutil
from pathlib import Path

import pytest
import yaml

from prompt_recycling.condaenv import deployable, pip_paths

ROOT = Path(__file__).resolve().parents[1]
ENVS = sorted((ROOT / "envs").glob("*.yaml"))


def deployed_copy(env_file: Path, work: Path) -> Path:
    """Where Snakemake puts the env file it is given before conda reads it (and runs pip from
    its folder): <workdir>/.snakemake/conda/<hash>.yaml."""
    target = work / ".snakemake" / "conda" / "0123456789abcdef.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(env_file, target)
    return target


def missing(copy: Path) -> list[str]:
    env = yaml.safe_load(copy.read_text())
    return [p for _, p in pip_paths(env) if not (copy.parent / p).exists()]


@pytest.mark.parametrize("env_file", ENVS, ids=lambda p: p.name)
def test_every_local_path_pip_is_given_exists_where_snakemake_deploys_the_env(env_file, tmp_path):
    assert pip_paths(yaml.safe_load(env_file.read_text()))  # the constraints and the project
    # the shipped file as it is: its paths are relative to envs/, not to the copy
    assert missing(deployed_copy(env_file, tmp_path / "raw"))
    work = tmp_path / "work"
    given = deployable(env_file, work / ".snakemake" / "envs")
    copy = deployed_copy(given, work)
    assert missing(copy) == []
    deps = yaml.safe_load(copy.read_text())["dependencies"]
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    assert f"-c {ROOT / 'constraints.txt'}" in pip and f"-e {ROOT}[gguf]" in pip
    before = given.stat().st_mtime_ns
    assert deployable(env_file, work / ".snakemake" / "envs") == given
    assert given.stat().st_mtime_ns == before  # unchanged content: not rewritten
