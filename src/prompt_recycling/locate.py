"""Where a shipped config's shared resources are, for the scripts that run outside Snakemake
(the benches): a model's description and a data set's splits carry a content key
(:mod:`prompt_recycling.keys`), so their paths come from the config that names them.
Torch-free."""

from __future__ import annotations

from pathlib import Path

import yaml

from prompt_recycling.errors import RecyclingError
from prompt_recycling.plan import Grid

SHIPPED = ("config/config.yaml", "config/cpu-full.yaml", "config/imdb.yaml", "config/causal.yaml")


def grid_of(config: str | Path, root: str | Path = ".") -> Grid:
    """The grid of a config file (relative to ``root``): its axes and every file of it."""
    return Grid.from_config(yaml.safe_load((Path(root) / config).read_text()))


def _grid_naming(section: str, name: str, root: str | Path = ".") -> Grid:
    """The grid of the first shipped config that uses ``name`` (a model it defines, a data set
    of its grid)."""
    for path in SHIPPED:
        grid = grid_of(path, root)
        if name in (grid.blocks["models"] if section == "models" else grid.datasets):
            return grid
    raise RecyclingError(f"no shipped config ({', '.join(SHIPPED)}) uses {section}.{name}")


def model_file(model: str, root: str | Path = ".") -> Path:
    """``resources/models/<model>.<key>.json`` of a model a shipped config defines."""
    return Path(root) / _grid_naming("models", model, root).model_file(model)


def model_location(model: str, root: str | Path = ".") -> str:
    """The folder (or Hub id) of a fetched model a shipped config defines, its files checked
    against the manifest its description recorded, as every job checks them."""
    from prompt_recycling.jobs.common import model_info  # imports torch: only when called

    return model_info(str(model_file(model, root)))["location"]


def data_file(dataset: str, split: str, root: str | Path = ".") -> Path:
    """``resources/data/<dataset>.<key>/<split>.jsonl`` of a data set a shipped config defines."""
    return Path(root) / _grid_naming("datasets", dataset, root).data_file(dataset, split)
