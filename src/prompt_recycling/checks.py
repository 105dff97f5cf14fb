"""Checks of a config the schema cannot express, run at parse time before any job, so that a
mistake fails in one line instead of inside a job (or hours later): prompt plus text within a
model's positions, templates, sources that must exist, formats that need an origin of source,
labels and split sizes. Only what the grid uses is checked. Torch-free.
"""

from __future__ import annotations

from pathlib import Path

from prompt_recycling.errors import ConfigKeyError, RecyclingError
from prompt_recycling.plan import Grid
from prompt_recycling.plan import key_error as _key_error
from prompt_recycling.settings import TuneConfig, template_problem


def plan(config: dict, locate=None) -> Grid:
    """Everything checked before any job, in order: the schema (filling its defaults into
    ``config``), the grid, the cross-field checks, and whether a prompt plus the text fits the
    models already on disk (``locate``; default: ``path:`` sources and fetched models)."""
    grid = Grid.from_config(config)  # validates: the schema fills its defaults into config
    check_config(config, grid)
    check_positions(grid, locate or (lambda name: _on_disk(config, name)))
    return grid


def _on_disk(config: dict, name: str) -> str | None:
    from prompt_recycling.fetch import model_location

    location = model_location(config, name)
    return location if Path(location).is_dir() else None


def check_positions(grid: Grid, locate) -> None:
    """Fail early when a prompt plus the text budget cannot fit a model's input positions.

    ``locate(model) -> folder or None``: models already on disk (``path:`` sources, or fetched)
    are checked from their ``config.json`` before any job runs; the jobs check the rest.
    """
    from prompt_recycling.modelinfo import check_fits, read_config, usable_positions

    for model in grid.tuned_models:
        folder = locate(model)
        model_config = read_config(folder) if folder else None
        if model_config is None:
            continue
        prompt_length = TuneConfig(**grid.tuning(model)).prompt_length
        max_length = max(grid.reader(model, d)["max_length"] for d in grid.datasets)
        try:
            check_fits(prompt_length, max_length, usable_positions(model_config), model)
        except RecyclingError as exc:
            raise _key_error("tuning.prompt_length", str(exc)) from None


# ---- cross-field checks at parse time ------------------------------------------------------


def check_config(config: dict, grid: Grid | None = None) -> None:
    """Checks the schema cannot express, run before any job so that a mistake fails in one line
    instead of inside a job (or hours later): templates, sources that must exist, formats that
    need an origin of source, labels and split sizes. Only what the grid uses is checked."""
    grid = grid or Grid.from_config(config)
    used = list(grid.tuned_models)
    for name in used:  # onnx-bert references are fetched too
        reference = ((config["models"][name].get("convert") or {}).get("onnx-bert") or {}).get(
            "reference"
        )
        if reference is not None:
            key = f"models.{name}.convert.onnx-bert.reference"
            if reference not in config["models"] or reference == name:
                raise _key_error(key, f"{reference!r} is not another model defined under models")
            used += [] if reference in used else [reference]
    for name in used:
        _check_model(config["models"][name], f"models.{name}")
    for name in grid.tuned_models:  # the LM loss needs label log-likelihoods
        if grid.tuning(name).get("loss") == "lm" and grid.is_declared_encoder(name):
            raise _key_error(
                "tuning.loss",
                f"lm needs a language model; models.{name} is an encoder (use loss: rank, or "
                f"a loss: rank override under models.{name}.tuning)",
            )
    for name in grid.datasets:
        _check_dataset(name, config["datasets"][name], prepared(grid, name))


def prepared(grid: Grid, dataset: str) -> bool:
    """Whether ``dataset`` was prepared under its current key (the key covers the spec and, for
    a ``path:`` source, the content's fingerprint): it was read and split as configured, so a
    parse need not read it again. The key is computed (which may write the fingerprint cache)
    only when some preparation of the data set exists: a first parse creates nothing."""
    from prompt_recycling import paths

    if not any(Path().glob(paths.DATA_MANIFEST.format(dataset=dataset, key="*"))):
        return False
    return Path(grid.data_file(dataset, "train")).with_name("manifest.json").is_file()


def _check_source(source: dict, key: str) -> str:
    origin = next(k for k in ("hub", "path", "pypi") if k in source)
    for extra in ("revision", "subset"):
        if extra in source and origin != "hub":
            raise _key_error(
                f"{key}.source.{extra}", f"only hub sources take {extra}, not {origin}"
            )
    if "subset" in source and key.startswith("models."):
        raise _key_error(f"{key}.source.subset", "subset names a Hub data set configuration")
    if origin == "path":
        if not Path(source["path"]).exists():
            raise _key_error(
                f"{key}.source.path",
                f"{source['path']} does not exist (relative to the working directory {Path.cwd()})",
            )
    return origin


def _check_template(template: str | None, key: str) -> None:
    problem = None if template is None else template_problem(template)
    if problem:
        raise _key_error(key, problem)


def _check_model(spec: dict, key: str) -> None:
    origin = _check_source(spec["source"], key)
    if spec.get("convert") and origin != "pypi":
        raise _key_error(
            f"{key}.convert", f"converts pypi sources only; a {origin} source is used as it is"
        )
    _check_template(spec.get("template"), f"{key}.template")


def _check_dataset(name: str, spec: dict, done: bool = False) -> None:
    from prompt_recycling.fetch.readers import FORMATS, vader_label_ids

    key = f"datasets.{name}"
    origin, fmt = _check_source(spec["source"], key), spec["format"]
    hub = FORMATS[fmt].hub
    if hub != (origin == "hub"):
        need = "a hub source" if hub else "a path or pypi source"
        raise _key_error(f"{key}.source", f"format {fmt} needs {need}, got a {origin} source")
    if "splits" in spec and not FORMATS[fmt].resplit:
        resplit = ", ".join(f for f, v in FORMATS.items() if v.resplit)
        raise _key_error(
            f"{key}.splits",
            f"format {fmt} keeps its source's own splits; splits apply to "
            f"{resplit} (cap sizes with max_train / max_eval)",
        )
    labels = list(spec["labels"])
    if fmt == "vader-rt":
        vader_label_ids(labels, f"{key}.labels")
    if hub and len(labels) != 2:
        raise _key_error(
            f"{key}.labels", f"format {fmt} has labels 0 and 1: give 2 verbalizers, got {labels}"
        )
    _check_template(spec.get("template"), f"{key}.template")
    if origin == "path" and not done:  # read in full once, until it is prepared
        _check_path_data(name, spec, labels)


def _check_path_data(name: str, spec: dict, labels: list[str]) -> None:
    """A local data set is read now: its labels, and whether it holds the requested splits."""
    from prompt_recycling.examples import read_examples
    from prompt_recycling.fetch.datasets import SPLITS, dedupe
    from prompt_recycling.fetch.readers import read_whole

    key, path, fmt = f"datasets.{name}", Path(spec["source"]["path"]), spec["format"]
    try:
        if fmt == "jsonl":
            for split in SPLITS:
                read_examples(path / f"{split}.jsonl", labels)
            return
        n = len(dedupe(read_whole(fmt, path, labels, spec, name, progress=False)))
    except ConfigKeyError:
        raise
    except (ValueError, OSError) as exc:  # RecyclingError is a ValueError
        reason = str(exc) if isinstance(exc, RecyclingError) else f"{type(exc).__name__}: {exc}"
        raise _key_error(f"{key}.source.path", f"cannot be read ({reason})") from None
    sizes = {s: v for s, v in (spec.get("splits") or {}).items() if v}
    if sum(sizes.values()) > n:
        raise _key_error(
            f"{key}.splits", f"{sizes} add up to {sum(sizes.values())}, more than the {n} examples"
        )
