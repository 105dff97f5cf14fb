"""The experiment grid, defined once from the validated config (torch-free: a Snakefile parse
imports neither torch nor transformers).

Every file of the grid is named here, with exactly the grid values it depends on:

================================================================  ==============================
path                                                              depends on
================================================================  ==============================
resources/models/{model}.json                                     model (where it is, its size)
resources/data/{dataset}/{split}.jsonl                            dataset
results/prompts/{dataset}/{model}/seed{seed}/step-{step}.npy      dataset, model, seed, step
results/prompts/{dataset}/{model}/seed{seed}/history.csv          dataset, model, seed
results/pairs/{source}__{target}.json                             pair (vocabulary similarity)
results/recyclers/{source}__{target}/{method}/n{size}.safetensors  pair, method, vocabulary size
results/recycled/{dataset}/{source}__{target}/seed{seed}/
    {method}/n{size}/step-{step}.npy                              all of them
results/evaluations/{dataset}/recycled/{source}__{target}/seed{seed}.csv
results/evaluations/{dataset}/tuned/{model}/seed{seed}.csv
results/evaluations/{dataset}/zero-shot/{model}.csv
results/evaluations/{dataset}/random/{model}.csv
================================================================  ==============================

Step 0 is the untrained initial prompt (a control, recycled like the others). A fitted recycler
depends on neither data set nor step, so one fit serves all of them. Evaluation jobs are
grouped by the model they load (one job per data set × pair × seed scores every recycled prompt
of that group, and the identity control for pairs of equal width).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from prompt_recycling.errors import RecyclingError
from prompt_recycling.recyclers import RECYCLERS

SWEEPS = ("paper", "full")


def _key_error(key: str, message: str) -> RecyclingError:
    return RecyclingError(f"config key '{key}': {message}")


def _no_repeats(key: str, values) -> None:
    """A repeated grid value would name the same output twice (or silently count once)."""
    seen = set()
    for v in values:
        v = tuple(v) if isinstance(v, list) else v
        if v in seen:
            shown = list(v) if isinstance(v, tuple) else v
            raise _key_error(key, f"{shown!r} is listed twice")
        seen.add(v)


def _pairs(raw, models: tuple, defined: set) -> tuple[tuple[str, str], ...]:
    """``grid.pairs`` checked against ``grid.models``; ``None`` = every ordered pair."""
    if raw is None:
        pairs = tuple(itertools.permutations(models, 2))
    else:
        pairs = []
        for pair in raw:
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                raise _key_error("grid.pairs", f"each pair is [source, target], got {pair!r}")
            for m in pair:
                if m not in defined:
                    raise _key_error("grid.pairs", f"model {m!r} is not defined under models")
                if m not in models:
                    raise _key_error("grid.pairs", f"model {m!r} is not in grid.models")
            if pair[0] == pair[1]:
                raise _key_error("grid.pairs", f"pair {list(pair)} recycles a model to itself")
            pairs.append((pair[0], pair[1]))
        pairs = tuple(pairs)
        _no_repeats("grid.pairs", pairs)
        unpaired = [m for m in models if not any(m in p for p in pairs)]
        if unpaired:
            raise _key_error("grid.models", f"{unpaired[0]!r} is in no pair of grid.pairs")
    if not pairs:
        raise _key_error("grid.pairs", "the grid has no model pair")
    return pairs


@dataclass(frozen=True)
class Grid:
    datasets: tuple[str, ...]
    models: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]
    recyclers: tuple[str, ...]
    steps: tuple[int, ...]
    vocab_sizes: tuple[int, ...]
    default_vocab_size: int
    seeds: tuple[int, ...]
    sweep: str
    random_prompts: int

    @classmethod
    def from_config(cls, config: dict) -> Grid:
        """Build and check the grid; errors name the offending config key."""
        g = config.get("grid") or {}
        models_defined = set(config.get("models") or {})
        datasets_defined = set(config.get("datasets") or {})
        datasets = tuple(g.get("datasets") or ())
        for d in datasets:
            if d not in datasets_defined:
                raise _key_error("grid.datasets", f"data set {d!r} is not defined under datasets")
        _no_repeats("grid.datasets", datasets)
        models = tuple(g.get("models") or ())
        for m in models:
            if m not in models_defined:
                raise _key_error("grid.models", f"model {m!r} is not defined under models")
        _no_repeats("grid.models", models)
        pairs = _pairs(g.get("pairs"), models, models_defined)
        recyclers = tuple(g.get("recyclers") or ())
        for r in recyclers:
            if r not in RECYCLERS:
                raise _key_error(
                    "grid.recyclers", f"unknown recycler {r!r}; known: {sorted(RECYCLERS)}"
                )
        _no_repeats("grid.recyclers", recyclers)
        steps = tuple(g.get("steps") or ())
        if not steps or any(not isinstance(s, int) or s < 0 for s in steps) or steps[-1] <= 0:
            raise _key_error(
                "grid.steps", f"must be integers >= 0 with a positive last one, got {list(steps)}"
            )
        if any(b <= a for a, b in itertools.pairwise(steps)):
            raise _key_error("grid.steps", f"must be strictly increasing, got {list(steps)}")
        sizes = tuple(g.get("vocab_sizes") or ())
        if not sizes or any(not isinstance(s, int) or s <= 0 for s in sizes):
            raise _key_error("grid.vocab_sizes", f"must be positive integers, got {list(sizes)}")
        _no_repeats("grid.vocab_sizes", sizes)
        default = g.get("default_vocab_size", sizes[-1])
        if default not in sizes:
            raise _key_error("grid.default_vocab_size", f"{default} is not in vocab_sizes")
        n_seeds = g.get("seeds", 1)
        if not isinstance(n_seeds, int) or n_seeds < 1:
            raise _key_error("grid.seeds", f"the number of seeds must be >= 1, got {n_seeds!r}")
        sweep = g.get("sweep", "paper")
        if sweep not in SWEEPS:
            raise _key_error("grid.sweep", f"must be one of {SWEEPS}, got {sweep!r}")
        k = g.get("random_prompts", 3)
        if not isinstance(k, int) or k < 0:
            raise _key_error("grid.random_prompts", f"must be >= 0, got {k!r}")
        return cls(
            datasets,
            models,
            pairs,
            recyclers,
            steps,
            tuple(sorted(set(sizes))),
            default,
            tuple(range(n_seeds)),
            sweep,
            k,
        )

    # ---- the grid's cells ------------------------------------------------------------------
    def cells(self) -> list[tuple[int, int]]:
        """(step, vocabulary size) cells evaluated for every pair × method × seed."""
        if self.sweep == "full":
            return list(itertools.product(self.steps, self.vocab_sizes))
        cells = [(s, self.default_vocab_size) for s in self.steps]
        cells += [(self.steps[-1], n) for n in self.vocab_sizes if n != self.default_vocab_size]
        return sorted(cells)

    def sizes_used(self) -> list[int]:
        return sorted({n for _, n in self.cells()})

    @property
    def sources(self) -> list[str]:
        return sorted({s for s, _ in self.pairs})

    @property
    def targets(self) -> list[str]:
        return sorted({t for _, t in self.pairs})

    @property
    def tuned_models(self) -> list[str]:
        """Models that get prompts tuned: sources (to recycle) and targets (re-tuned baseline)."""
        return sorted(set(self.sources) | set(self.targets))

    # ---- files -----------------------------------------------------------------------------
    def prompt_files(self) -> list[str]:
        return [
            prompt_path(d, m, s, st)
            for d in self.datasets
            for m in self.tuned_models
            for s in self.seeds
            for st in self.steps
        ]

    def recycler_files(self) -> list[str]:
        return [
            recycler_path(a, b, r, n)
            for a, b in self.pairs
            for r in self.recyclers
            for n in self.sizes_used()
        ]

    def evaluation_files(self) -> list[str]:
        files = []
        for d in self.datasets:
            files += [
                f"results/evaluations/{d}/recycled/{a}__{b}/seed{s}.csv"
                for a, b in self.pairs
                for s in self.seeds
            ]
            files += [
                f"results/evaluations/{d}/tuned/{m}/seed{s}.csv"
                for m in self.tuned_models
                for s in self.seeds
            ]
            files += [f"results/evaluations/{d}/zero-shot/{m}.csv" for m in self.targets]
            if self.random_prompts:
                files += [f"results/evaluations/{d}/random/{m}.csv" for m in self.targets]
        return files

    def history_files(self) -> list[str]:
        return [
            history_path(d, m, s)
            for d in self.datasets
            for m in self.tuned_models
            for s in self.seeds
        ]

    def pair_files(self) -> list[str]:
        return [pair_path(a, b) for a, b in self.pairs]

    def expected_rows(self, widths: dict[str, int], validation: bool = True) -> dict[str, int]:
        """How many rows of each kind the aggregated table must hold; ``widths`` (model ->
        embedding width) decides which pairs get the identity control."""
        d, s = len(self.datasets), len(self.seeds)
        same_width = sum(widths[a] == widths[b] for a, b in self.pairs)
        counts = {
            "recycled": d * len(self.pairs) * s * len(self.recyclers) * len(self.cells()),
            "identity": d * same_width * s * len(self.steps),
            "tuned": d * len(self.tuned_models) * s * len(self.steps) * (2 if validation else 1),
            "zero-shot": d * len(self.targets),
            "random": d * len(self.targets) * self.random_prompts,
        }
        return {k: v for k, v in counts.items() if v}

    def counts(self) -> dict[str, int]:
        """What the figures and tables pool over, for their captions."""
        d, s = len(self.datasets), len(self.seeds)
        trained = sum(step > 0 for step in self.steps)
        return {
            "datasets": d,
            "pairs": len(self.pairs),
            "seeds": s,
            "recyclers": len(self.recyclers),
            "recycled_prompts": d * len(self.pairs) * s * len(self.recyclers) * len(self.cells()),
            "recycled_from_trained": d
            * len(self.pairs)
            * s
            * len(self.recyclers)
            * sum(step > 0 for step, _ in self.cells()),
            "source_prompts": d * len(self.sources) * s * trained,
        }

    def job_counts(self) -> dict[str, int]:
        """Jobs per rule for a run from nothing (what ``snakemake -n`` should list)."""
        d, s = len(self.datasets), len(self.seeds)
        counts = {
            "fetch_model": len(self.tuned_models),
            "prepare_data": d,
            "train_prompts": d * len(self.tuned_models) * s,
            "describe_pair": len(self.pairs),
            "fit_recyclers": len(self.pairs) * len(self.recyclers),
            "evaluate_recycled": d * len(self.pairs) * s,
            "evaluate_tuned": d * len(self.tuned_models) * s,
            "evaluate_zero_shot": d * len(self.targets),
            "evaluate_random": d * len(self.targets) if self.random_prompts else 0,
            "aggregate": 1,
            "analyse": 1,
            "figures": 1,
            "write_report": 1,
            "all": 1,
        }
        return {k: v for k, v in counts.items() if v}


def prompt_path(dataset: str, model: str, seed: int, step: int) -> str:
    return f"results/prompts/{dataset}/{model}/seed{seed}/step-{step}.npy"


def history_path(dataset: str, model: str, seed: int) -> str:
    return f"results/prompts/{dataset}/{model}/seed{seed}/history.csv"


def pair_path(source: str, target: str) -> str:
    return f"results/pairs/{source}__{target}.json"


def recycler_path(source: str, target: str, method: str, size: int) -> str:
    return f"results/recyclers/{source}__{target}/{method}/n{size}.safetensors"


def recycled_path(dataset, source, target, seed, method, size, step) -> str:
    return (
        f"results/recycled/{dataset}/{source}__{target}/seed{seed}/{method}/n{size}/step-{step}.npy"
    )


def pair_kind(source: dict, target: dict) -> str:
    """``same-size``, ``small->large`` or ``large->small`` from embedding width and parameter
    count (``{"width": E, "params": n}`` of each model): the same width and parameter counts
    within a factor of 1.5 count as the same size (MiniLM-L3 17.4M vs L6 22.7M, both 384-d)."""
    ws, wt = source["width"], target["width"]
    ps, pt = source["params"], target["params"]
    if ws == wt and max(ps, pt) <= 1.5 * min(ps, pt):
        return "same-size"
    bigger = (wt, pt) > (ws, ps) if ws != wt else pt > ps
    return "small->large" if bigger else "large->small"


def check_positions(config: dict, grid: Grid, locate) -> None:
    """Fail early when a prompt plus the text budget cannot fit a model's input positions.

    ``locate(model) -> folder or None``: models already on disk (``path:`` sources, or fetched)
    are checked from their ``config.json`` before any job runs; the jobs check the rest.
    """
    from prompt_recycling.modelinfo import check_fits, read_config, usable_positions

    evaluation = config.get("evaluation") or {}
    for model in grid.tuned_models:
        folder = locate(model)
        model_config = read_config(folder) if folder else None
        if model_config is None:
            continue
        spec = config["models"][model]
        tuning = {**(config.get("tuning") or {}), **(spec.get("tuning") or {})}
        max_length = spec.get("max_length", evaluation.get("max_length", 128))
        try:
            check_fits(
                tuning.get("prompt_length", 100), max_length, usable_positions(model_config), model
            )
        except RecyclingError as exc:
            raise _key_error("tuning.prompt_length", str(exc)) from None


# ---- cross-field checks at parse time ------------------------------------------------------
RESPLIT_FORMATS = ("vader-rt", "imdb-csv")  # read whole, then split by ``splits``
HUB_FORMATS = ("hub-glue-sst2", "hub-imdb")  # the Hub's own splits and 0/1 labels


def check_config(config: dict, grid: Grid | None = None) -> None:
    """Checks the schema cannot express, run before any job so that a mistake fails in one line
    instead of inside a job (or hours later): templates, sources that must exist, formats that
    need a kind of source, labels and split sizes. Only what the grid uses is checked."""
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
    for name in grid.datasets:
        _check_dataset(name, config["datasets"][name])


def _check_source(source: dict, key: str) -> str:
    kind = next(k for k in ("hub", "path", "pypi") if k in source)
    for extra in ("revision", "subset"):
        if extra in source and kind != "hub":
            raise _key_error(f"{key}.source.{extra}", f"only hub sources take {extra}, not {kind}")
    if "subset" in source and key.startswith("models."):
        raise _key_error(f"{key}.source.subset", "subset names a Hub data set configuration")
    if kind == "path":
        if not Path(source["path"]).exists():
            raise _key_error(
                f"{key}.source.path",
                f"{source['path']} does not exist (relative to the working directory {Path.cwd()})",
            )
    return kind


def _check_template(template: str | None, key: str) -> None:
    if template is None:
        return
    if "{text}" not in template:
        raise _key_error(key, f"must contain {{text}} (where the text goes), got {template!r}")
    try:
        template.format(text="")
    except (KeyError, IndexError, ValueError) as exc:
        raise _key_error(
            key,
            f"{template!r} has braces other than {{text}} ({exc!r}); write {{{{ }}}} for literal "
            "braces",
        ) from None


def _check_model(spec: dict, key: str) -> None:
    kind = _check_source(spec["source"], key)
    if spec.get("convert") and kind != "pypi":
        raise _key_error(
            f"{key}.convert", f"converts pypi sources only; a {kind} source is used as it is"
        )
    _check_template(spec.get("template"), f"{key}.template")


def _check_dataset(name: str, spec: dict) -> None:
    from prompt_recycling.fetch.datasets import vader_label_ids

    key = f"datasets.{name}"
    kind, fmt = _check_source(spec["source"], key), spec["format"]
    if (fmt in HUB_FORMATS) != (kind == "hub"):
        need = "a hub source" if fmt in HUB_FORMATS else "a path or pypi source"
        raise _key_error(f"{key}.source", f"format {fmt} needs {need}, got a {kind} source")
    if "splits" in spec and fmt not in RESPLIT_FORMATS:
        raise _key_error(
            f"{key}.splits",
            f"format {fmt} keeps its source's own splits; splits apply to "
            f"{', '.join(RESPLIT_FORMATS)} (cap sizes with max_train / max_eval)",
        )
    labels = list(spec.get("labels", ["negative", "positive"]))
    if fmt == "vader-rt":
        vader_label_ids(labels, f"{key}.labels")
    if fmt in HUB_FORMATS and len(labels) != 2:
        raise _key_error(
            f"{key}.labels", f"format {fmt} has labels 0 and 1: give 2 verbalizers, got {labels}"
        )
    _check_template(spec.get("template"), f"{key}.template")
    if kind == "path":
        _check_path_data(name, spec, labels)


def _check_path_data(name: str, spec: dict, labels: list[str]) -> None:
    """A local data set is read now: its labels, and whether it holds the requested splits."""
    from prompt_recycling.examples import read_examples
    from prompt_recycling.fetch.datasets import READERS, SPLITS, dedupe

    key, path, fmt = f"datasets.{name}", Path(spec["source"]["path"]), spec["format"]
    try:
        if fmt == "jsonl":
            for split in SPLITS:
                read_examples(path / f"{split}.jsonl", labels)
            return
        kwargs = (
            {"threshold": spec.get("threshold", 0.5), "name": name} if fmt == "vader-rt" else {}
        )
        n = len(dedupe(READERS[fmt](path, labels, **kwargs)))
    except (ValueError, OSError) as exc:  # RecyclingError is a ValueError
        if str(exc).startswith("config key"):
            raise
        reason = str(exc) if isinstance(exc, RecyclingError) else f"{type(exc).__name__}: {exc}"
        raise _key_error(f"{key}.source.path", f"cannot be read ({reason})") from None
    sizes = {s: v for s, v in (spec.get("splits") or {}).items() if v}
    if sum(sizes.values()) > n:
        raise _key_error(
            f"{key}.splits", f"{sizes} add up to {sum(sizes.values())}, more than the {n} examples"
        )
