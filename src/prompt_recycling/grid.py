"""The experiment grid, defined once from the validated config.

Every file of the grid is named here, with exactly the grid values it depends on:

================================================================  ==============================
path                                                              depends on
================================================================  ==============================
resources/models/{model}.json                                     model (where it is, its size)
resources/data/{dataset}/{split}.jsonl                            dataset
results/prompts/{dataset}/{model}/seed{seed}/step-{step}.npy      dataset, model, seed, step
results/recyclers/{source}__{target}/{method}/n{size}.safetensors  pair, method, vocabulary size
results/recycled/{dataset}/{source}__{target}/seed{seed}/
    {method}/n{size}/step-{step}.npy                              all of them
results/evaluations/{dataset}/recycled/{source}__{target}/seed{seed}.csv
results/evaluations/{dataset}/tuned/{model}/seed{seed}.csv
results/evaluations/{dataset}/zero-shot/{model}.csv
results/evaluations/{dataset}/random/{model}.csv
================================================================  ==============================

A fitted recycler depends on neither data set nor step, so one fit serves all of them.
Evaluation jobs are grouped by the model they load (one job per data set × pair × seed scores
every recycled prompt of that group), keeping the per-job start-up cost small.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from prompt_recycling.errors import RecyclingError
from prompt_recycling.recyclers import RECYCLERS

SWEEPS = ("paper", "full")
KINDS = ("recycled", "tuned", "zero-shot", "random")


def _key_error(key: str, message: str) -> RecyclingError:
    return RecyclingError(f"config key '{key}': {message}")


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
        models = tuple(g.get("models") or ())
        for m in models:
            if m not in models_defined:
                raise _key_error("grid.models", f"model {m!r} is not defined under models")
        raw_pairs = g.get("pairs")
        if raw_pairs is None:
            pairs = tuple(itertools.permutations(models, 2))
        else:
            pairs = []
            for pair in raw_pairs:
                if not isinstance(pair, list | tuple) or len(pair) != 2:
                    raise _key_error("grid.pairs", f"each pair is [source, target], got {pair!r}")
                for m in pair:
                    if m not in models_defined:
                        raise _key_error("grid.pairs", f"model {m!r} is not defined under models")
                if pair[0] == pair[1]:
                    raise _key_error("grid.pairs", f"pair {pair} recycles a model to itself")
                pairs.append((pair[0], pair[1]))
            pairs = tuple(pairs)
        if not pairs:
            raise _key_error("grid.pairs", "the grid has no model pair")
        recyclers = tuple(g.get("recyclers") or ())
        for r in recyclers:
            if r not in RECYCLERS:
                raise _key_error(
                    "grid.recyclers", f"unknown recycler {r!r}; known: {sorted(RECYCLERS)}"
                )
        steps = tuple(g.get("steps") or ())
        if not steps or any(not isinstance(s, int) or s <= 0 for s in steps):
            raise _key_error("grid.steps", f"must be positive integers, got {list(steps)}")
        if any(b <= a for a, b in itertools.pairwise(steps)):
            raise _key_error("grid.steps", f"must be strictly increasing, got {list(steps)}")
        sizes = tuple(g.get("vocab_sizes") or ())
        if not sizes or any(not isinstance(s, int) or s <= 0 for s in sizes):
            raise _key_error("grid.vocab_sizes", f"must be positive integers, got {list(sizes)}")
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

    def expected_rows(self) -> dict[str, int]:
        """How many rows of each kind the aggregated table must hold."""
        d, s = len(self.datasets), len(self.seeds)
        return {
            "recycled": d * len(self.pairs) * s * len(self.recyclers) * len(self.cells()),
            "tuned": d * len(self.tuned_models) * s * len(self.steps),
            "zero-shot": d * len(self.targets),
            "random": d * len(self.targets) * self.random_prompts,
        }

    def job_counts(self) -> dict[str, int]:
        """Jobs per rule for a run from nothing (what ``snakemake -n`` should list)."""
        d, s = len(self.datasets), len(self.seeds)
        counts = {
            "fetch_model": len(self.tuned_models),
            "prepare_data": d,
            "train_prompts": d * len(self.tuned_models) * s,
            "fit_recyclers": len(self.pairs) * len(self.recyclers),
            "evaluate_recycled": d * len(self.pairs) * s,
            "evaluate_tuned": d * len(self.tuned_models) * s,
            "evaluate_zero_shot": d * len(self.targets),
            "evaluate_random": d * len(self.targets) if self.random_prompts else 0,
            "aggregate": 1,
            "reliability": 1,
            "figures": 1,
            "write_report": 1,
            "all": 1,
        }
        return {k: v for k, v in counts.items() if v}


def prompt_path(dataset: str, model: str, seed: int, step: int) -> str:
    return f"results/prompts/{dataset}/{model}/seed{seed}/step-{step}.npy"


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


def check_vocab_sizes(config: dict, grid: Grid, locate) -> None:
    """Fail early when a pair shares fewer filtered words than ``word_offset + size``.

    ``locate(model) -> folder or None``: only pairs whose both models are already on disk
    (``path:`` sources, or fetched) can be checked before any job runs; the fit job checks the
    rest.
    """
    from pathlib import Path

    from transformers import AutoTokenizer

    from prompt_recycling.vocab import align_vocabularies, tokenizer_vocab

    offset = (config.get("grid") or {}).get("word_offset", 1000)
    need = offset + max(grid.sizes_used())
    cache: dict[str, tuple] = {}
    for source, target in grid.pairs:
        dirs = [locate(m) for m in (source, target)]
        if not all(d and Path(d, "config.json").exists() for d in dirs):
            continue
        for m, d in zip((source, target), dirs, strict=True):
            if m not in cache:
                cache[m] = tokenizer_vocab(AutoTokenizer.from_pretrained(d))
        aligned = align_vocabularies(
            *cache[source][:1], *cache[target][:1], cache[source][1], cache[target][1]
        )
        if need > aligned.n_words:
            raise _key_error(
                "grid.vocab_sizes",
                f"{source} -> {target} share {aligned.n_words} word pieces, fewer than "
                f"word_offset {offset} + vocabulary size {max(grid.sizes_used())}",
            )
