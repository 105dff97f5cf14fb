"""The rules' conda environment as Snakemake deploys it.

Snakemake copies an environment file to ``.snakemake/conda/<hash>.yaml`` before conda creates
it, and conda runs pip from the folder of that copy. A pip option whose path is relative to the
shipped file's folder (``-c ../constraints.txt``, ``-e ../[gguf]``) would then point next to the
copy, where nothing is. :func:`deployable` writes the file Snakemake is given instead: the same
environment with those paths made absolute. Torch-free.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from prompt_recycling.fsutil import atomic_path

# pip options that take a local path (a requirements or constraints file, a project folder)
PATH_OPTIONS = ("-c", "-r", "-e", "--constraint", "--requirement", "--editable")
_PATH = re.compile(r"^(?P<path>[^\[]*)(?P<extras>\[[^\]]*\])?$")


def pip_paths(env: dict) -> list[tuple[str, str]]:
    """(option, path without extras) of every pip option of ``env`` that names a local path."""
    found = []
    for dep in env.get("dependencies", []):
        for line in dep.get("pip", []) if isinstance(dep, dict) else []:
            option, _, value = line.strip().partition(" ")
            value = value.strip()
            if option in PATH_OPTIONS and value and "://" not in value:
                found.append((option, _PATH.match(value)["path"] or "."))
    return found


def _absolute(line: str, folder: Path) -> str:
    option, _, value = line.strip().partition(" ")
    value = value.strip()
    if option not in PATH_OPTIONS or not value or "://" in value:
        return line
    parts = _PATH.match(value)
    path = Path(parts["path"] or ".")
    if not path.is_absolute():
        path = (folder / path).resolve()
    return f"{option} {path}{os.sep if value.endswith('/') else ''}{parts['extras'] or ''}"


def deployable(env_file: str | os.PathLike, out_dir: str | os.PathLike) -> Path:
    """``out_dir/<env_file's name>``: the environment of ``env_file`` with every local pip
    path made absolute (resolved against ``env_file``'s folder). Rewritten only when its
    content changes, so Snakemake's environment hash stays put."""
    env_file = Path(env_file).resolve()
    env = yaml.safe_load(env_file.read_text())
    for dep in env.get("dependencies", []):
        if isinstance(dep, dict) and "pip" in dep:
            dep["pip"] = [_absolute(line, env_file.parent) for line in dep["pip"]]
    text = f"# generated from {env_file} (local pip paths made absolute)\n"
    text += yaml.safe_dump(env, sort_keys=False)
    out = Path(out_dir).resolve() / env_file.name
    if not out.exists() or out.read_text() != text:
        out.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(out) as tmp:
            Path(tmp).write_text(text)
    return out
