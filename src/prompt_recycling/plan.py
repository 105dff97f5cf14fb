"""The experiment grid as plain data: which jobs run and which files each one reads and writes.

Built once from the validated config (torch-free: a Snakefile parse imports neither torch nor
transformers). One method per rule gives that rule's items, so the Snakefile declares exactly
what the job's script is handed; file names come from :mod:`prompt_recycling.paths`.

Step 0 is the untrained initial prompt (a control, recycled like the others). Evaluation jobs
are grouped by the model they load: one job per data set × pair × seed scores every recycled
prompt of that group, and the source prompts as they are (the identity control) for pairs of
equal width.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from prompt_recycling import paths
from prompt_recycling.errors import RecyclingError
from prompt_recycling.settings import EvalConfig, defaults

SWEEPS = ("paper", "full")


def key_error(key: str, message: str) -> RecyclingError:
    return RecyclingError(f"config key '{key}': {message}")


def _no_repeats(key: str, values) -> None:
    """A repeated grid value would name the same output twice (or silently count once)."""
    seen = set()
    for v in values:
        v = tuple(v) if isinstance(v, list) else v
        if v in seen:
            shown = list(v) if isinstance(v, tuple) else v
            raise key_error(key, f"{shown!r} is listed twice")
        seen.add(v)


def _pairs(raw, models: tuple, defined: set) -> tuple[tuple[str, str], ...]:
    """``grid.pairs`` checked against ``grid.models``; ``None`` = every ordered pair."""
    if raw is None:
        pairs = tuple(itertools.permutations(models, 2))
    else:
        pairs = []
        for pair in raw:
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                raise key_error("grid.pairs", f"each pair is [source, target], got {pair!r}")
            for m in pair:
                if m not in defined:
                    raise key_error("grid.pairs", f"model {m!r} is not defined under models")
                if m not in models:
                    raise key_error("grid.pairs", f"model {m!r} is not in grid.models")
            if pair[0] == pair[1]:
                raise key_error("grid.pairs", f"pair {list(pair)} recycles a model to itself")
            pairs.append((pair[0], pair[1]))
        pairs = tuple(pairs)
        _no_repeats("grid.pairs", pairs)
        unpaired = [m for m in models if not any(m in p for p in pairs)]
        if unpaired:
            raise key_error("grid.models", f"{unpaired[0]!r} is in no pair of grid.pairs")
    if not pairs:
        raise key_error("grid.pairs", "the grid has no model pair")
    return pairs


def _defined(config: dict, section: str, key: str, names, noun: str) -> tuple:
    names = tuple(names or ())
    for n in names:
        if n not in (config.get(section) or {}):
            raise key_error(key, f"{noun} {n!r} is not defined under {section}")
    _no_repeats(key, names)
    return names


def _steps(steps) -> tuple[int, ...]:
    steps = tuple(steps or ())
    if not steps or any(not isinstance(s, int) or s < 0 for s in steps) or steps[-1] <= 0:
        raise key_error(
            "grid.steps", f"must be integers >= 0 with a positive last one, got {list(steps)}"
        )
    if any(b <= a for a, b in itertools.pairwise(steps)):
        raise key_error("grid.steps", f"must be strictly increasing, got {list(steps)}")
    return steps


def _sizes(g: dict) -> tuple[tuple[int, ...], int]:
    sizes = tuple(g.get("vocab_sizes") or ())
    if not sizes or any(not isinstance(s, int) or s <= 0 for s in sizes):
        raise key_error("grid.vocab_sizes", f"must be positive integers, got {list(sizes)}")
    _no_repeats("grid.vocab_sizes", sizes)
    default = g.get("default_vocab_size", max(sizes))
    if default not in sizes:
        raise key_error("grid.default_vocab_size", f"{default} is not in vocab_sizes")
    return tuple(sorted(sizes)), default


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
    # The settings blocks the jobs take (a model's and a data set's entries, tuning, evaluation,
    # recycling); absent keys take the schema's defaults in the settings objects.
    blocks: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_config(cls, config: dict) -> Grid:
        """Build and check the grid; errors name the offending config key. Keys left out take
        the schema's defaults (the Snakefile validates first; tests may not)."""
        g = {**defaults("grid"), **(config.get("grid") or {})}
        datasets = _defined(config, "datasets", "grid.datasets", g.get("datasets"), "data set")
        models = _defined(config, "models", "grid.models", g.get("models"), "model")
        pairs = _pairs(g.get("pairs"), models, set(config.get("models") or {}))
        recyclers = tuple(g["recyclers"])
        _no_repeats("grid.recyclers", recyclers)
        sizes, default = _sizes(g)
        n_seeds = g["seeds"]
        if not isinstance(n_seeds, int) or n_seeds < 1:
            raise key_error("grid.seeds", f"the number of seeds must be >= 1, got {n_seeds!r}")
        sweep = g["sweep"]
        if sweep not in SWEEPS:
            raise key_error("grid.sweep", f"must be one of {SWEEPS}, got {sweep!r}")
        k = g["random_prompts"]
        if not isinstance(k, int) or k < 0:
            raise key_error("grid.random_prompts", f"must be >= 0, got {k!r}")
        blocks = {
            "models": {m: config["models"][m] for m in config.get("models") or {}},
            "datasets": {d: config["datasets"][d] for d in datasets},
            "tuning": dict(config.get("tuning") or {}),
            "evaluation": dict(config.get("evaluation") or {}),
            "recycling": dict(config.get("recycling") or {}),
            "word_offset": g["word_offset"],
            "held_out_words": g.get("held_out_words", defaults("grid")["held_out_words"]),
        }
        return cls(
            datasets,
            models,
            pairs,
            recyclers,
            _steps(g.get("steps")),
            sizes,
            default,
            tuple(range(n_seeds)),
            sweep,
            k,
            blocks,
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

    sources = property(lambda self: sorted({s for s, _ in self.pairs}))
    targets = property(lambda self: sorted({t for _, t in self.pairs}))

    @property
    def tuned_models(self) -> list[str]:
        """Models that get prompts tuned: sources (to recycle) and targets (re-tuned baseline)."""
        return sorted(set(self.sources) | set(self.targets))

    @property
    def baselines(self) -> list[str]:
        return [b for b in paths.BASELINES if b != "random" or self.random_prompts]

    # ---- one method per rule: the files a job reads and writes -----------------------------
    def checkpoints(self, dataset: str, model: str, seed) -> dict[int, str]:
        """train_prompts / evaluate_tuned: ``{step: prompt file}`` of one run."""
        return {step: paths.prompt(dataset, model, seed, step) for step in self.steps}

    def recyclers_of(self, source: str, target: str, method: str) -> dict[int, str]:
        """fit_recyclers: ``{vocabulary size: recycler file}`` of one pair and method."""
        return {n: paths.recycler(source, target, method, n) for n in self.sizes_used()}

    def recycled_items(self, dataset: str, source: str, target: str, seed) -> list[dict]:
        """evaluate_recycled: each prompt it recycles and scores, its checkpoint and recycler."""
        return [
            {
                "method": m,
                "size": n,
                "step": step,
                "prompt": paths.prompt(dataset, source, seed, step),
                "recycler": paths.recycler(source, target, m, n),
                "recycled": paths.recycled(dataset, source, target, seed, m, n, step),
            }
            for step, n in self.cells()
            for m in self.recyclers
        ]

    # ---- settings the rules hand their jobs ------------------------------------------------
    def tuning(self, model: str) -> dict:
        """The ``tuning`` block with the model's own overrides."""
        overrides = self.blocks["models"][model].get("tuning") or {}
        return {**self.blocks["tuning"], **overrides}

    def evaluation(self) -> dict:  # the fields of settings.EvalConfig
        return dict(self.blocks["evaluation"])

    def reader(self, model: str, dataset: str) -> dict:
        """How ``model`` reads ``dataset`` (the fields of ``settings.ReaderConfig``)."""
        spec = self.blocks["models"][model]
        data = {**defaults("datasets", "*"), **self.blocks["datasets"][dataset]}
        max_length = spec.get("max_length") or EvalConfig(**self.blocks["evaluation"]).max_length
        return {
            "labels": list(data["labels"]),
            "template": data.get("template") or spec.get("template"),
            "architecture": spec.get("architecture"),
            "max_length": max_length,
            "placement": spec.get("placement"),
        }

    def recycler_settings(self, method: str) -> dict:
        return dict(self.blocks["recycling"].get(method) or {})

    def word_offset(self) -> int:
        return self.blocks["word_offset"]

    def held_out_words(self) -> int:  # past the selection: each recycler's held-out error
        return self.blocks["held_out_words"]

    # ---- stage targets ---------------------------------------------------------------------
    def prompt_files(self) -> list[str]:
        return [
            path
            for d in self.datasets
            for m in self.tuned_models
            for s in self.seeds
            for path in self.checkpoints(d, m, s).values()
        ]

    def history_files(self) -> list[str]:
        runs = itertools.product(self.datasets, self.tuned_models, self.seeds)
        return [paths.history(d, m, s) for d, m, s in runs]

    def recycler_files(self) -> list[str]:
        return [
            path
            for a, b in self.pairs
            for r in self.recyclers
            for path in self.recyclers_of(a, b, r).values()
        ]

    def pair_files(self) -> list[str]:
        return [paths.pair(a, b) for a, b in self.pairs]

    def evaluation_files(self) -> list[str]:
        files = []
        for d in self.datasets:
            files += [paths.eval_recycled(d, a, b, s) for a, b in self.pairs for s in self.seeds]
            files += [paths.eval_tuned(d, m, s) for m in self.tuned_models for s in self.seeds]
            files += [paths.eval_baseline(d, b, m) for b in self.baselines for m in self.targets]
        return files

    # ---- what the results must hold --------------------------------------------------------
    def expected_rows(self, validation: bool = True) -> dict:
        """How many rows of each condition the aggregated table must hold. Identity rows exist for
        pairs of equal width only, which the plan cannot know before the models are fetched:
        ``identity_per_pair`` rows per such pair of ``pairs``
        (:func:`prompt_recycling.rows.expected_counts` resolves them)."""
        d, s = len(self.datasets), len(self.seeds)
        c = 1 + EvalConfig(**self.blocks["evaluation"]).calibrate  # raw (and calibrated) rows
        return {
            "recycled": c * d * len(self.pairs) * s * len(self.recyclers) * len(self.cells()),
            "tuned": c * d * len(self.tuned_models) * s * len(self.steps) * (1 + validation),
            "zero-shot": c * d * len(self.targets),
            "random": c * d * len(self.targets) * self.random_prompts,
            "identity_per_pair": c * d * s * len(self.steps),
            "pairs": [list(p) for p in self.pairs],
        }

    def counts(self) -> dict[str, int]:
        """What the figures and tables pool over, for their captions."""
        d, s = len(self.datasets), len(self.seeds)
        per_cell = d * len(self.pairs) * s * len(self.recyclers)
        return {
            "datasets": d,
            "pairs": len(self.pairs),
            "seeds": s,
            "recyclers": len(self.recyclers),
            "recycled_prompts": per_cell * len(self.cells()),
            "recycled_from_trained": per_cell * sum(step > 0 for step, _ in self.cells()),
            "source_prompts": d * len(self.sources) * s * sum(step > 0 for step in self.steps),
        }
